"""Times gilscope and its SimPy peer on the same convoy workload, alternating, in one run.

Each repeat runs `gilscope run convoy.toml --json` and `convoy_gil.py` as whole processes
(start-up included); the medians give the ratio. Both models' figures are printed side by side:
they follow the same rules, so switches, forced switches and resume lag should agree.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(command):
    start = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return time.perf_counter() - start, json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gilscope", required=True, help="the gilscope binary (release)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    gilscope = [args.gilscope, "run", os.path.join(HERE, "convoy.toml"), "--json"]
    simpy = [sys.executable, os.path.join(HERE, "convoy_gil.py"), "--requests", "20000",
             "--interval-us", "100"]
    ours, theirs = [], []
    for _ in range(args.repeats):
        seconds, g = timed(gilscope)
        ours.append(seconds)
        seconds, s = timed(simpy)
        theirs.append(seconds)
    _, counted = timed(simpy + ["--count-events"])
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    mine, peer = statistics.median(ours), statistics.median(theirs)
    print(f"load average before the last run: {load} ({os.cpu_count()} CPUs)")
    print(f"{'':22}{'gilscope':>14}{'SimPy 4.1.2':>14}")
    rows = [
        ("whole process (ms)", mine * 1e3, peer * 1e3),
        ("virtual wall (ms)", g["wall_ms"], s["wall_ms"]),
        ("GIL switches", g["gil"]["switches"], s["switches"]),
        ("forced switches", g["gil"]["forced_switches"], s["forced_switches"]),
        ("drop requests", g["gil"]["drop_requests"], s["drop_requests"]),
        ("resume lag mean (ms)", g["resume_lag_ms"]["mean"], s["resume_lag_mean_ms"]),
    ]
    for name, a, b in rows:
        print(f"{name:22}{a:>14.3f}{b:>14.3f}" if isinstance(a, float) else
              f"{name:22}{a:>14}{b:>14}")
    print(f"SimPy processed {counted['events']} events: "
          f"{counted['events'] / peer / 1e6:.2f} M events/s, whole process")
    print(f"ratio (SimPy / gilscope, medians of {args.repeats}, whole process): {peer / mine:.1f}x")


if __name__ == "__main__":
    main()
