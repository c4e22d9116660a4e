"""What passing data between processes costs on this machine, and what a pool adds.

Run with each interpreter: `~/.pyenv/versions/3.13.0/bin/python scripts/measure/pipe_costs.py`
(optionally a count of CPU-bound processes to run beside it, `... pipe_costs.py 4`). Prints one
line per figure, medians (and the 90th percentile) in microseconds of wall time:
- `send`: `Connection.send(bytes(N))` in a child to `recv()` returning in the parent, for a
  small (100 B) and a large (1 MB) message; `send_blocked` is how long the child's `send` itself
  took (it returns once the pipe buffer, 64 KiB on Linux, holds the rest, so a message larger
  than the buffer waits for the reader);
- `queue`: `multiprocessing.Queue.put` in the parent to `get` returning in a child, and back
  (`put` only appends to a buffer; the queue's feeder thread pickles and writes it);
- `fan_in`: four children sending at once to the parent, which reads their pipes one after the
  other: how long each child's `send` took (a large message waits for the reader to drain the
  messages before it);
- `pool_start`: `Pool(W)` returning, and `ProcessPoolExecutor(W)` with its first `submit`'s
  result (the executor starts its workers on demand); `pool_task`: one `apply_async(f).get()`
  of a function that returns at once (submission, the worker's wake-up, the result's way back),
  and the same for `executor.submit(f).result()`.
With BUSY CPU-bound processes beside it (more runnable processes than cores), every figure
that needs the other side to be scheduled grows by the time it waits for a core.
"""
import concurrent.futures
import multiprocessing as mp
import os
import sys
import time

from common import busy_processes

ROUNDS = 200
SMALL, LARGE = 100, 1_000_000


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def show(name, values):
    us = [v * 1e6 for v in values]
    print("%-22s median %9.1f us  p90 %9.1f us  (%d rounds)" % (name, pct(us, 0.5), pct(us, 0.9), len(us)))


def sender(conn, size, rounds, blocked):
    payload = bytes(size)
    for _ in range(rounds):
        conn.recv()  # the parent says go
        t0 = time.perf_counter()
        conn.send((time.time(), payload))
        blocked.send(time.perf_counter() - t0)


def measure_send(ctx, size):
    parent, child = ctx.Pipe()
    blocked_r, blocked_w = ctx.Pipe(duplex=False)
    p = ctx.Process(target=sender, args=(child, size, ROUNDS, blocked_w))
    p.start()
    latency, blocked = [], []
    for _ in range(ROUNDS):
        parent.send(None)
        sent_at, _ = parent.recv()
        latency.append(time.time() - sent_at)
        blocked.append(blocked_r.recv())
        time.sleep(0.001)
    p.join()
    show("send %d B" % size, latency)
    show("send_blocked %d B" % size, blocked)


def echo(inq, outq, rounds):
    for _ in range(rounds):
        outq.put((inq.get(), time.time()))


def measure_queue(ctx, size):
    inq, outq = ctx.Queue(), ctx.Queue()
    p = ctx.Process(target=echo, args=(inq, outq, ROUNDS))
    p.start()
    there, back = [], []
    payload = bytes(size)
    for _ in range(ROUNDS):
        t0 = time.time()
        inq.put((t0, payload))
        (sent, _), got_at = outq.get()
        there.append(got_at - sent)
        back.append(time.time() - got_at)
        time.sleep(0.001)
    p.join()
    show("queue put->get %d B" % size, there)
    show("queue back %d B" % size, back)


def fan_in_sender(conn, size, barrier, took):
    payload = bytes(size)
    barrier.wait()
    t0 = time.perf_counter()
    conn.send(payload)
    took.put(time.perf_counter() - t0)


def measure_fan_in(ctx, size, senders):
    """`senders` children send at once to the parent, which reads their pipes in turn (as the
    real engine's main process and a pool's result handler do)."""
    took_all = []
    for _ in range(ROUNDS // 10):
        barrier, took = ctx.Barrier(senders + 1), ctx.Queue()
        pipes = [ctx.Pipe(duplex=False) for _ in range(senders)]
        procs = [ctx.Process(target=fan_in_sender, args=(w, size, barrier, took)) for _, w in pipes]
        for p in procs:
            p.start()
        barrier.wait()
        for r, _ in pipes:
            r.recv_bytes()
        took_all.extend(took.get() for _ in procs)
        for p in procs:
            p.join()
    show("fan_in %dx%d B send" % (senders, size), took_all)


def nothing(x=None):
    return x


def measure_pool(ctx, workers):
    starts, tasks = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        pool = ctx.Pool(workers)
        starts.append(time.perf_counter() - t0)
        pool.apply_async(nothing).get()
        for _ in range(ROUNDS // 4):
            t0 = time.perf_counter()
            pool.apply_async(nothing).get()
            tasks.append(time.perf_counter() - t0)
        pool.close()
        pool.join()
    show("pool_start Pool(%d)" % workers, starts)
    show("pool_task Pool", tasks)
    starts, tasks = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        ex = concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx)
        ex.submit(nothing).result()
        starts.append(time.perf_counter() - t0)
        for _ in range(ROUNDS // 4):
            t0 = time.perf_counter()
            ex.submit(nothing).result()
            tasks.append(time.perf_counter() - t0)
        ex.shutdown()
    show("pool_start Executor(%d)" % workers, starts)
    show("pool_task Executor", tasks)


def main():
    busy = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    ctx = mp.get_context("fork")
    print("python %s, %d cores, %d busy processes beside, load %s"
          % (sys.version.split()[0], os.cpu_count(), busy, os.getloadavg()))
    with busy_processes(ctx, busy):
        measure_send(ctx, SMALL)
        measure_send(ctx, LARGE)
        measure_queue(ctx, SMALL)
        measure_queue(ctx, LARGE)
        measure_fan_in(ctx, LARGE, 4)
        measure_fan_in(ctx, SMALL, 4)
        measure_pool(ctx, 4)


if __name__ == "__main__":
    main()
