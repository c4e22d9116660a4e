"""Where a pool's task round trip goes: the hops between the caller, the pool's threads in the
parent and the worker, measured per thread.

Run with each interpreter: `~/.pyenv/versions/3.13.0/bin/python scripts/measure/executor_hops.py`
(optionally a count of CPU-bound processes to run beside it, `... executor_hops.py 2`). For
`multiprocessing.Pool(2)`, `ProcessPoolExecutor(2)` and `ThreadPoolExecutor(2)` (fork) it prints:
- `round trip`: one `apply_async(f).get()` / `submit(f).result()` of a function that returns at
  once, median and p90 of wall time over ROUNDS, each of REPEATS pools;
- per thread of the parent (the caller, and the pool's own threads, by name) and for the
  workers: CPU time per task (`/proc/self/task/TID/schedstat`, first field), time spent
  runnable but waiting for a core (second field) and how many times it was put on a core per
  task (third field: each is a wake-up, or a preemption); the sum of the parent's CPU is the
  Python the parent runs per task, with its GIL;
- `many small`: `map(f, range(TASKS))` per task, all submitted at once (Pool's map with its own
  chunksize, `TASKS / (4 * WORKERS)` rounded up, and with chunksize 1, so each task is a message
  each way; the executors' map submits one future per task);
- `large result`: one task returning 1 MB (`bytes(1_000_000)`), round trip;
- `wake`: a thread waking another blocked on a `threading.Event` and back (half the round trip:
  one wake-up and GIL handoff), and a process woken through a pipe (half a ping-pong);
- `hops`: one round trip's path, hop by hop (medians of `perf_counter`, a clock every process
  shares here), from instrumented calls: for the executor the caller's `submit`, the manager
  thread's `connection.wait` returning, its `add_call_item_to_queue`, the feeder's pickling and
  `send_bytes`, the task starting on the worker, the manager's `process_result_item`, the
  caller's `result()` returning; for `Pool` the caller's `apply_async`, the task handler's
  `Connection.send`, the task starting, the result handler's `recv` returning and `_set`, the
  caller's `get()` returning.
Quote `cat /proc/loadavg` beside its figures: on a loaded machine a wake-up also waits for a core.
"""
import concurrent.futures
import multiprocessing as mp
import os
import sys
import threading
import time

from common import busy_processes

ROUNDS = 300
REPEATS = 3
TASKS = 400
WORKERS = 2


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def us(values):
    return "median %7.1f us  p90 %7.1f us" % (pct(values, 0.5) * 1e6, pct(values, 0.9) * 1e6)


def nothing(x=None):
    return x


def large(x=None):
    return bytes(1_000_000)


def schedstat(path):
    """(cpu ns, run-queue wait ns, times on a core) of one thread or process."""
    try:
        with open(path) as f:
            cpu, wait, slices = f.read().split()
        return int(cpu), int(wait), int(slices)
    except (OSError, ValueError):
        return 0, 0, 0


def thread_name(t):
    """A thread's name and its target's (3.9 names a pool's threads only "Thread-N")."""
    target = getattr(t, "_target", None)
    return "%s (%s)" % (t.name, getattr(target, "__name__", "")) if target else t.name


def parent_threads():
    """Each thread of this process by name (the caller is MainThread)."""
    return {t.native_id: thread_name(t) for t in threading.enumerate()
            if t.native_id is not None}


def sample(worker_pids):
    stats = {}
    for tid, name in parent_threads().items():
        stats[name] = schedstat("/proc/self/task/%d/schedstat" % tid)
    for pid in worker_pids:
        old = stats.get("workers", (0, 0, 0))
        new = schedstat("/proc/%d/schedstat" % pid)
        stats["workers"] = tuple(a + b for a, b in zip(old, new))
    return stats


def role(name):
    """A stable name for a pool's thread (their names carry counters)."""
    for key, label in (("_handle_workers", "Pool worker handler"),
                       ("_handle_tasks", "Pool task handler"),
                       ("_handle_results", "Pool result handler"),
                       ("QueueFeederThread", "call queue feeder"),
                       ("ThreadPoolExecutor", "executor worker thread")):
        if key in name:
            return label
    if name.startswith("Thread-") and "(" not in name:
        return "executor manager"
    return name


def per_task(before, after, tasks, totals):
    for name, end in after.items():
        start = before.get(name, (0, 0, 0))
        diff = [(e - s) / tasks for e, s in zip(end, start)]
        row = totals.setdefault(role(name), [[], [], []])
        for column, value in zip(row, diff):
            column.append(value)


def show_threads(totals):
    parent_cpu = 0.0
    for name, (cpu, wait, slices) in sorted(totals.items()):
        cpu_us, wait_us, slices_n = (pct(cpu, 0.5) / 1e3, pct(wait, 0.5) / 1e3, pct(slices, 0.5))
        if name != "workers":
            parent_cpu += cpu_us
        print("    %-24s cpu %6.1f us  waiting for a core %6.1f us  on a core %4.2f times  per task"
              % (name, cpu_us, wait_us, slices_n))
    print("    %-24s cpu %6.1f us per task" % ("parent, all threads", parent_cpu))


def worker_pids(pool):
    if isinstance(pool, concurrent.futures.ProcessPoolExecutor):
        return list(pool._processes)
    if isinstance(pool, concurrent.futures.ThreadPoolExecutor):
        return []
    return [p.pid for p in pool._pool]


def round_trip(pool, fn):
    if isinstance(pool, concurrent.futures.Executor):
        return pool.submit(fn).result()
    return pool.apply_async(fn).get()


def many(pool, tasks, chunksize=None):
    if isinstance(pool, concurrent.futures.Executor):
        return list(pool.map(nothing, range(tasks)))
    return pool.map(nothing, range(tasks), chunksize)


def measure(label, make):
    trips, larges, smalls, ones, totals = [], [], [], [], {}
    for _ in range(REPEATS):
        pool = make()
        for _ in range(20):  # every worker started and warm
            round_trip(pool, nothing)
        pids = worker_pids(pool)
        before = sample(pids)
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            round_trip(pool, nothing)
            trips.append(time.perf_counter() - t0)
        per_task(before, sample(pids), ROUNDS, totals)
        t0 = time.perf_counter()
        many(pool, TASKS)
        smalls.append((time.perf_counter() - t0) / TASKS)
        if not isinstance(pool, concurrent.futures.Executor):
            t0 = time.perf_counter()
            many(pool, TASKS, 1)
            ones.append((time.perf_counter() - t0) / TASKS)
        for _ in range(ROUNDS // 10):
            t0 = time.perf_counter()
            round_trip(pool, large)
            larges.append(time.perf_counter() - t0)
        if isinstance(pool, concurrent.futures.Executor):
            pool.shutdown()
        else:
            pool.close()
            pool.join()
    print("%s" % label)
    print("  round trip               %s  (%d rounds)" % (us(trips), len(trips)))
    show_threads(totals)
    print("  many small, per task     %s  (%d maps of %d)" % (us(smalls), len(smalls), TASKS))
    if ones:
        print("  ... chunksize 1          %s" % us(ones))
    print("  large result (1 MB)      %s  (%d rounds)" % (us(larges), len(larges)))


def ping(event_in, event_out, rounds):
    for _ in range(rounds):
        event_in.wait()
        event_in.clear()
        event_out.set()


def measure_thread_wake():
    there, back = threading.Event(), threading.Event()
    t = threading.Thread(target=ping, args=(there, back, ROUNDS), name="ping")
    t.start()
    halves = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        there.set()
        back.wait()
        back.clear()
        halves.append((time.perf_counter() - t0) / 2)
    t.join()
    print("wake a thread (Event)      %s" % us(halves))


def pipe_echo(conn, rounds):
    for _ in range(rounds):
        conn.send_bytes(conn.recv_bytes())


def measure_process_wake(ctx):
    parent, child = ctx.Pipe()
    p = ctx.Process(target=pipe_echo, args=(child, ROUNDS))
    p.start()
    parent.send_bytes(b"x")
    parent.recv_bytes()
    halves = []
    for _ in range(ROUNDS - 1):
        t0 = time.perf_counter()
        parent.send_bytes(b"x")
        parent.recv_bytes()
        halves.append((time.perf_counter() - t0) / 2)
    p.join()
    print("wake a process (pipe)      %s" % us(halves))


STAMPS = []


def stamp(name):
    STAMPS.append((name, time.perf_counter()))


def started(x=None):
    return time.perf_counter()


def wrap(owner, attr, before=None, after=None):
    original = getattr(owner, attr)

    def wrapped(*args, **kwargs):
        if before:
            stamp(before)
        result = original(*args, **kwargs)
        if after:
            stamp(after)
        return result
    setattr(owner, attr, wrapped)
    return original


def show_hops(label, rounds):
    """Medians of each stamp after the round trip's start, in the order of the path."""
    print("  hops of %s (medians after the call began, %d rounds)" % (label, len(rounds)))
    names = []
    for trip in rounds:
        for name, _ in trip:
            if name not in names:
                names.append(name)
    medians = [(pct([t for trip in rounds for n, t in trip if n == name], 0.5), name)
               for name in names]
    for median, name in sorted(medians):
        print("    %-44s %7.1f us" % (name, median * 1e6))


def trip_of(t0, worker_start, t_end):
    trip = [(n, t - t0) for n, t in STAMPS if t0 <= t <= t_end]
    trip.append(("task starts on the worker", worker_start - t0))
    trip.append(("caller has the result", t_end - t0))
    trip.sort(key=lambda x: x[1])
    seen = {}
    numbered = []
    for name, t in trip:  # a thread that wakes twice in a round trip: its first, its second
        seen[name] = seen.get(name, 0) + 1
        numbered.append((name if seen[name] == 1 else "%s (%d)" % (name, seen[name]), t))
    return numbered


def measure_hops(ctx):
    import concurrent.futures.process as cfp
    import multiprocessing.connection as mpc
    import multiprocessing.pool as mpp
    # The executor.
    ex = concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx)
    ex.submit(nothing).result()
    restore = [
        (cfp._ExecutorManagerThread, "wait_result_broken_or_wakeup",
         wrap(cfp._ExecutorManagerThread, "wait_result_broken_or_wakeup",
              None, "manager: connection.wait returned")),
        (cfp._ExecutorManagerThread, "add_call_item_to_queue",
         wrap(cfp._ExecutorManagerThread, "add_call_item_to_queue",
              "manager: add_call_item_to_queue", None)),
        (cfp._ExecutorManagerThread, "process_result_item",
         wrap(cfp._ExecutorManagerThread, "process_result_item",
              "manager: process_result_item", "manager: future set")),
    ]
    ex.shutdown()
    ex = concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx)
    ex._call_queue._send_bytes = (lambda send: lambda b: (stamp("feeder: pickled, send_bytes"), send(b)))(
        ex._call_queue._send_bytes)
    for _ in range(20):
        ex.submit(started).result()
    rounds = []
    for _ in range(ROUNDS):
        del STAMPS[:]
        t0 = time.perf_counter()
        f = ex.submit(started)
        stamp("caller: submit returned")
        worker_start = f.result()
        rounds.append(trip_of(t0, worker_start, time.perf_counter()))
        time.sleep(0.0005)
    ex.shutdown()
    for owner, attr, original in restore:
        setattr(owner, attr, original)
    show_hops("ProcessPoolExecutor submit(f).result()", rounds)
    # Pool.
    original_send, original_recv = mpc.Connection.send, mpc.Connection.recv

    def send(self, obj):
        if "_handle_tasks" in thread_name(threading.current_thread()):
            stamp("task handler: Connection.send")
        return original_send(self, obj)

    def recv(self):
        obj = original_recv(self)
        if "_handle_results" in thread_name(threading.current_thread()):
            stamp("result handler: recv returned")
        return obj
    mpc.Connection.send, mpc.Connection.recv = send, recv
    original_set = wrap(mpp.ApplyResult, "_set", "result handler: _set", None)
    pool = ctx.Pool(1)
    for _ in range(20):
        pool.apply_async(started).get()
    rounds = []
    for _ in range(ROUNDS):
        del STAMPS[:]
        t0 = time.perf_counter()
        r = pool.apply_async(started)
        stamp("caller: apply_async returned")
        worker_start = r.get()
        rounds.append(trip_of(t0, worker_start, time.perf_counter()))
        time.sleep(0.0005)
    pool.close()
    pool.join()
    mpc.Connection.send, mpc.Connection.recv = original_send, original_recv
    mpp.ApplyResult._set = original_set
    show_hops("Pool apply_async(f).get()", rounds)


def main():
    busy = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    ctx = mp.get_context("fork")
    with open("/proc/loadavg") as f:
        load = f.read().strip()
    print("python %s, %d cores, %d busy processes beside, %d workers, /proc/loadavg %s"
          % (sys.version.split()[0], os.cpu_count(), busy, WORKERS, load))
    with busy_processes(ctx, busy):
        measure_thread_wake()
        measure_process_wake(ctx)
        measure_hops(ctx)
        measure("multiprocessing.Pool apply_async(f).get()", lambda: ctx.Pool(WORKERS))
        measure("ProcessPoolExecutor submit(f).result()",
                lambda: concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=ctx))
        measure("ThreadPoolExecutor submit(f).result()",
                lambda: concurrent.futures.ThreadPoolExecutor(WORKERS))


if __name__ == "__main__":
    main()
