"""What starting a lane of the subinterpreters runtime costs on this machine (gil-model.md
rule 20, issue 11): creating an isolated interpreter, and loading a program into it (compiling
and running its module body, which imports its modules afresh in that interpreter), each alone
in the main thread, then two and four of each at once from threads of their own (the loads
into interpreters the main thread made), to see
whether they run in parallel or serialize (on the main GIL or the runtime's locks).

Run with each interpreter and a program that `gilscope export SCENARIO --runtime
subinterpreters --python-script FILE.py` wrote:
`chrt -f 5 ~/.pyenv/versions/3.13.0/bin/python scripts/measure/subinterpreter_start.py FILE.py`.
Prints medians in milliseconds: CPU time of the thread doing the step (`time.thread_time`,
which the machine's load does not inflate) and wall time; for the steps at once, the wall time
from the start of the first to the end of the last, against the sum of their CPU times.
On 3.12.1 the steps at once may hang (seen twice in session 7, after interpreters were
destroyed or made by threads that had ended; not isolated): run it under `timeout`.
"""
import os
import statistics
import sys
import threading
import time

try:
    import _interpreters as interp  # 3.13

    def create():
        return interp.create("isolated")

except ImportError:
    import _xxsubinterpreters as interp  # 3.12

    def create():
        return interp.create(isolated=True)


LOAD = (
    "namespace = {'__name__': '__gilscope_sub__', '__file__': %r}\n"
    "exec(compile(open(%r).read(), %r, 'exec'), namespace)\n"
)


def load(i, path):
    failure = interp.run_string(i, LOAD % (path, path, path))
    if failure is not None:
        raise RuntimeError(str(failure))


def timed(step):
    c0, t0 = time.thread_time(), time.perf_counter()
    result = step()
    return result, time.thread_time() - c0, t0, time.perf_counter()


def alone(path, n):
    creates, loads = [], []
    for _ in range(n):
        i, cpu, t0, t1 = timed(create)
        creates.append((cpu, t1 - t0))
        _, cpu, t0, t1 = timed(lambda: load(i, path))
        loads.append((cpu, t1 - t0))
        interp.destroy(i)
    return creates, loads


def at_once(step, k):
    """k threads do `step` at once behind a barrier: (sum of CPU, wall span of all)."""
    barrier = threading.Barrier(k)
    out = []

    def worker():
        barrier.wait()
        out.append(timed(step))

    threads = [threading.Thread(target=worker) for _ in range(k)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    span = max(o[3] for o in out) - min(o[2] for o in out)
    return sum(o[1] for o in out), span, [o[0] for o in out]


def ms(x):
    return x * 1e3


def main():
    path = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    print("python %s load %.1f" % (sys.version.split()[0], os.getloadavg()[0]))
    creates, loads = alone(path, n)
    for name, rows in (("create", creates), ("load", loads)):
        print(
            "alone %s cpu_ms %.2f wall_ms %.2f"
            % (name, ms(statistics.median(r[0] for r in rows)),
               ms(statistics.median(r[1] for r in rows)))
        )
    for k in (2, 4):
        # Loads first: on 3.12.1 loading hangs once interpreters made by threads that have
        # since ended exist (session 7; not isolated further).
        for name in ("load", "create"):
            rows = []
            for _ in range(max(2, n // 2)):
                if name == "create":
                    cpu, span, _ = at_once(create, k)
                else:
                    # Made by the main thread, as the real program makes them.
                    left = [create() for _ in range(k)]
                    lock = threading.Lock()

                    def step():
                        with lock:
                            i = left.pop()
                        load(i, path)
                        return i

                    cpu, span, _ = at_once(step, k)
                rows.append((cpu, span))
            print(
                "at_once %d %s cpu_sum_ms %.2f span_ms %.2f"
                % (k, name, ms(statistics.median(r[0] for r in rows)),
                   ms(statistics.median(r[1] for r in rows)))
            )


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    # The interpreters made by other threads are left: destroying them, or letting the
    # runtime tear them down, hangs some 3.12 releases (as in the real program).
    os._exit(0)
