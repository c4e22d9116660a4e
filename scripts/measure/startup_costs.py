"""Start-up and memory costs of CPython's runtimes on this machine (gil-model.md rules 20-21).

Run with each interpreter: `~/.pyenv/versions/3.13.0/bin/python scripts/measure/startup_costs.py`.
Prints one line per figure, medians in microseconds (wall time, and CPU time, which the
machine's load does not inflate), memory in MiB:
- thread: `Thread.start()` returning (the new thread is running), and the resident memory one
  more idle thread adds;
- subinterpreter (3.12+): creating one, running `pass` in it, destroying it; the memory one
  more adds;
- process, per start method: from `Process.start()` to the child running its target, for the
  first child of the method and for later ones, and the child's resident memory (RSS, and PSS:
  its shared pages split between the processes that share them);
- the interpreter's own resident memory at start.
"""
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time


def rss_mib(pid="self"):
    fields = {}
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024.0


def pss_mib(pid="self"):
    try:
        with open("/proc/%s/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return float("nan")
    return float("nan")


def med_us(samples):
    return statistics.median(samples) * 1e6


def thread_costs(n=200):
    starts, cpus = [], []
    for _ in range(n):
        t = threading.Thread(target=lambda: None)
        c0 = time.process_time()
        t0 = time.perf_counter()
        t.start()
        starts.append(time.perf_counter() - t0)
        t.join()
        cpus.append(time.process_time() - c0)
    stop = threading.Event()
    before = rss_mib()
    idle = [threading.Thread(target=stop.wait) for _ in range(50)]
    for t in idle:
        t.start()
    after = rss_mib()
    stop.set()
    for t in idle:
        t.join()
    print(
        "thread start_us %.1f cpu_us %.1f memory_mib_each %.3f"
        % (med_us(starts), med_us(cpus), (after - before) / 50)
    )


def subinterpreter_costs(n=30):
    try:
        import _interpreters as interp  # 3.13
    except ImportError:
        try:
            import _xxsubinterpreters as interp  # 3.12
        except ImportError:
            print("subinterpreter none")
            return
    creates, cpus, runs, destroys = [], [], [], []
    for _ in range(n):
        c0 = time.process_time()
        t0 = time.perf_counter()
        i = interp.create()
        t1 = time.perf_counter()
        cpus.append(time.process_time() - c0)
        if hasattr(interp, "run_string"):
            interp.run_string(i, "pass")
        else:
            interp.exec(i, "pass")
        t2 = time.perf_counter()
        interp.destroy(i)
        t3 = time.perf_counter()
        creates.append(t1 - t0)
        runs.append(t2 - t1)
        destroys.append(t3 - t2)
    before = rss_mib()
    kept = [interp.create() for _ in range(10)]
    after = rss_mib()
    for i in kept:
        interp.destroy(i)
    print(
        "subinterpreter create_us %.0f create_cpu_us %.0f run_us %.0f destroy_us %.0f"
        " memory_mib_each %.2f"
        % (med_us(creates), med_us(cpus), med_us(runs), med_us(destroys), (after - before) / 10)
    )


def child(conn):
    # CPU time since the process began (a forked child starts from zero): what booting cost it,
    # whatever the machine's load.
    conn.send((time.monotonic(), time.process_time(), rss_mib(), pss_mib()))
    conn.recv()  # stay alive until the parent has read our memory


def process_costs(method, n=6):
    ctx = mp.get_context(method)
    lines = []
    for _ in range(n):
        here, there = ctx.Pipe()
        p = ctx.Process(target=child, args=(there,))
        t0 = time.monotonic()
        p.start()
        started, cpu, rss, pss = here.recv()
        here.send(None)
        p.join()
        lines.append((started - t0, cpu, rss, pss))
    print(
        "process %s first_us %.0f later_us %.0f first_cpu_us %.0f later_cpu_us %.0f"
        " rss_mib %.1f pss_mib %.1f"
        % (
            method,
            lines[0][0] * 1e6,
            med_us([l[0] for l in lines[1:]]),
            lines[0][1] * 1e6,
            med_us([l[1] for l in lines[1:]]),
            statistics.median(l[2] for l in lines),
            statistics.median(l[3] for l in lines),
        )
    )


if __name__ == "__main__":
    print("python %s load %.1f" % (sys.version.split()[0], os.getloadavg()[0]))
    print("interpreter rss_mib %.1f pss_mib %.1f" % (rss_mib(), pss_mib()))
    # Processes first: a forked child shares (and counts) whatever the parent has touched.
    for method in ("fork", "spawn", "forkserver"):
        process_costs(method)
    thread_costs()
    subinterpreter_costs()
