"""The resident memory of a fresh interpreter's process, the baseline of gilscope's memory
estimate (`sim/src/engine/runtime.rs`, `INTERPRETER_MIB`).

Run with each interpreter, from Python 2.7 on:
`for v in ~/.pyenv/versions/*; do $v/bin/python scripts/measure/interpreter_memory.py; done`.
Imports what a run's main process imports (`threading`, `multiprocessing`) and nothing else,
then prints its PSS (pages shared with other processes split among them) and RSS, in MiB,
from /proc (Linux). Memory does not depend on the machine's load.
"""
import multiprocessing  # noqa: F401 (imported for its pages)
import sys
import threading  # noqa: F401


def field(path, key):
    with open(path) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


if __name__ == "__main__":
    print(
        "python %s pss_mib %.2f rss_mib %.2f"
        % (
            sys.version.split()[0],
            field("/proc/self/smaps_rollup", "Pss"),
            field("/proc/self/status", "VmRSS"),
        )
    )
