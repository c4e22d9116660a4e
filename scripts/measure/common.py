"""What the measuring scripts share: the fastest of many timed runs, a loop's instructions as
gilscope's calibration counts them, and CPU-bound processes beside a measurement. Imported by
the scripts beside it (their folder is on sys.path when run as `python scripts/measure/X.py`);
it runs on Python 2.7 and 3.x."""
import contextlib
import dis
import os
import time

clock = getattr(time, 'perf_counter', time.time)


def best(function, n, repeats=41, warm_up=False):
    """The fastest of `repeats` calls of `function(n)`, per iteration (after one call to warm up,
    when asked: to fill a dict the loop writes, say)."""
    if warm_up:
        function(n)
    fastest = float('inf')
    for _ in range(repeats):
        start = clock()
        function(n)
        fastest = min(fastest, clock() - start)
    return fastest / n


def loop_instructions(function):
    """`function`'s loop's instructions per iteration, counted as gilscope's calibration counts
    them (`sim/src/cpython/program/dis_count.py`)."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, '..', '..', 'sim', 'src', 'cpython', 'program', 'dis_count.py')
    namespace = {'dis': dis}
    exec(compile(open(path).read(), path, 'exec'), namespace)
    return namespace['loop_instructions'](function)


def spin(stop):
    while not stop.is_set():
        pass


@contextlib.contextmanager
def busy_processes(ctx, count):
    """`count` processes of `ctx` spinning on a core each while the block runs."""
    stop = ctx.Event()
    spinners = [ctx.Process(target=spin, args=(stop,)) for _ in range(count)]
    for s in spinners:
        s.start()
    try:
        yield
    finally:
        stop.set()
        for s in spinners:
            s.join()
