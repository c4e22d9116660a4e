"""Where the time goes when worker processes each send one large message to the parent, as the
`multiprocessing` preset's workers do at their end (`sim/src/cpython/program/processes.py`: the
parent waits on every pipe with `multiprocessing.connection.wait` and reads one whole message
with `recv_bytes` before the next).

Run with each interpreter: `~/.pyenv/versions/3.13.0/bin/python scripts/measure/pipe_fan_in.py
[WORK] [ROUNDS] [SENDERS] [BUSY]`; WORK is the countdown each worker runs after a barrier and
before its send (0: they send at once; the preset's 20 M bytecodes are about 2 M iterations),
BUSY a count of CPU-bound processes beside them (a writer that has just computed gets no sleeper's
credit from the scheduler: each time the full pipe puts it to sleep, it waits for a core again). Per round, each of
SENDERS children (4) stamps `send` in three parts (the clock is CLOCK_MONOTONIC, shared by processes):
- `pickle`: `ForkingPickler.dumps` of 1 MB, as `Connection.send` does first;
- `write`: `Connection.send_bytes` of the pickle, which blocks while the 64 KiB pipe is full;
- `send`: the two, what a real trace's `send` span is;
and the parent counts its `read(2)` calls per message and their sizes (by wrapping
the `read` of `Connection._recv`), the time from its wake-up to having a whole message, and
the CPU and context switches of each side (`getrusage`). Prints medians and 90th percentiles.
`pipe_fan_in.py stream` measures the steady state instead: one child writing 200 messages of
1 MB back to back, the parent reading them; per MB the wall time, each side's CPU, page faults
and sleeps (the costs `engine/runtime.rs` takes).
"""
import multiprocessing as mp
import multiprocessing.connection as mpc
import os
import resource
import sys
import time
from multiprocessing.reduction import ForkingPickler

from common import busy_processes

SENDERS, SIZE = 4, 1_000_000


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def show(name, values, unit=1e6, suffix="us"):
    v = [x * unit for x in values]
    print("%-34s median %9.1f %s  p90 %9.1f %s  (%d)" % (name, pct(v, 0.5), suffix, pct(v, 0.9), suffix, len(v)))


def countdown(n):
    while n:
        n -= 1


def child(conn, work, barrier, out):
    payload = bytes(SIZE)
    barrier.wait()
    countdown(work)
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    buf = ForkingPickler.dumps(payload)
    t1 = time.perf_counter()
    conn.send_bytes(buf)
    t2 = time.perf_counter()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    out.send((t0, t1, t2, cpu, r1.ru_nvcsw - r0.ru_nvcsw, r1.ru_nivcsw - r0.ru_nivcsw))


def stream_writer(conn, n, out):
    buf = ForkingPickler.dumps(bytes(SIZE))
    conn.send_bytes(buf)
    c0, r0 = time.process_time(), resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(n - 1):
        conn.send_bytes(buf)
    c1, r1 = time.process_time(), resource.getrusage(resource.RUSAGE_SELF)
    out.send(((c1 - c0) / (n - 1), (r1.ru_minflt - r0.ru_minflt) / (n - 1),
              (r1.ru_nvcsw - r0.ru_nvcsw) / (n - 1)))


def stream(ctx, n=200):
    """One writer, one reader, `n` messages of 1 MB back to back: the costs per MB."""
    r, w = ctx.Pipe(duplex=False)
    out_r, out_w = ctx.Pipe(duplex=False)
    p = ctx.Process(target=stream_writer, args=(w, n, out_w))
    p.start()
    w.close()
    r.recv_bytes()  # the first, cold, left out
    r0, c0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.process_time(), time.perf_counter()
    for _ in range(n - 1):
        r.recv_bytes()
    r1, c1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.process_time(), time.perf_counter()
    m = n - 1
    w_cpu, w_faults, w_sleeps = out_r.recv()
    p.join()
    print("per MB: wall %.0f us; reader CPU %.0f us (kernel %.0f), %.0f page faults, %.1f sleeps;"
          " writer CPU %.0f us, %.0f page faults, %.1f sleeps"
          % ((t1 - t0) / m * 1e6, (c1 - c0) / m * 1e6, (r1.ru_stime - r0.ru_stime) / m * 1e6,
             (r1.ru_minflt - r0.ru_minflt) / m, (r1.ru_nvcsw - r0.ru_nvcsw) / m,
             w_cpu * 1e6, w_faults, w_sleeps))


def main():
    if sys.argv[1:] == ["stream"]:
        print("python %s, %d cores, load %s" % (sys.version.split()[0], os.cpu_count(), os.getloadavg()))
        stream(mp.get_context("fork"))
        return
    work = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    senders = int(sys.argv[3]) if len(sys.argv) > 3 else SENDERS
    busy = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    ctx = mp.get_context("fork")
    print("python %s, %d cores, %d senders, work %d, %d busy beside, load %s"
          % (sys.version.split()[0], os.cpu_count(), senders, work, busy, os.getloadavg()))
    with busy_processes(ctx, busy):
        measure(ctx, work, rounds, senders)


def measure(ctx, work, rounds, senders):
    reads = []
    real_read = os.read

    def counted_read(handle, n):
        chunk = real_read(handle, n)
        reads.append(len(chunk))
        return chunk

    mpc.Connection._recv.__defaults__ = (counted_read,)  # its `read=os.read`
    pickle, write, send, first_wait, child_cpu, vcsw, ivcsw = [], [], [], [], [], [], []
    per_read, reads_per_msg, read_msg, parent_cpu, parent_vcsw = [], [], [], [], []
    recv_cpu = []
    for _ in range(rounds):
        barrier = ctx.Barrier(senders)
        pipes = [ctx.Pipe(duplex=False) for _ in range(senders)]
        outs = [ctx.Pipe(duplex=False) for _ in range(senders)]
        procs = [ctx.Process(target=child, args=(w, work, barrier, ow))
                 for (_, w), (_, ow) in zip(pipes, outs)]
        for p in procs:
            p.start()
        for _, w in pipes:
            w.close()
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        open_pipes = [r for r, _ in pipes]
        done = []
        while open_pipes:
            for r in mpc.wait(open_pipes):
                before = len(reads)
                t, c = time.perf_counter(), time.process_time()
                r.recv_bytes()
                recv_cpu.append(time.process_time() - c)
                done.append(time.perf_counter())
                read_msg.append(done[-1] - t)
                reads_per_msg.append(len(reads) - before - 1)  # less the 4-byte header
                per_read.extend(reads[before + 1:])
                open_pipes.remove(r)
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        parent_cpu.append((r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime))
        parent_vcsw.append(r1.ru_nvcsw - r0.ru_nvcsw)
        stamps = [o.recv() for o, _ in outs]
        start = min(s[0] for s in stamps)
        for t0, t1, t2, cpu, v, iv in stamps:
            pickle.append(t1 - t0)
            write.append(t2 - t1)
            send.append(t2 - t0)
            first_wait.append(t0 - start)
            child_cpu.append(cpu)
            vcsw.append(v)
            ivcsw.append(iv)
        for p in procs:
            p.join()
    show("child pickle (dumps 1 MB)", pickle)
    show("child write (send_bytes)", write)
    show("child send = pickle + write", send)
    show("child send starts after the first", first_wait)
    show("child CPU during send", child_cpu)
    show("child voluntary switches", vcsw, 1, "  ")
    show("child involuntary switches", ivcsw, 1, "  ")
    show("parent recv_bytes of one message", read_msg)
    show("parent CPU in recv_bytes (one)", recv_cpu)
    show("parent read(2) calls per message", reads_per_msg, 1, "  ")
    show("parent bytes per read(2)", per_read, 1, "B ")
    show("parent CPU per message", [c / senders for c in parent_cpu])
    show("parent voluntary switches per message", [v / senders for v in parent_vcsw], 1, "  ")


if __name__ == "__main__":
    main()
