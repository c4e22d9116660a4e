"""The new GIL of CPython 3.2+ on the convoy workload, in SimPy: gilscope's benchmark peer.

The same rules as gilscope's simulator (docs/gil-model.md rules 1-8), for two threads on two
cores (so the OS run queue never matters and is not modelled):

- take_gil: while the GIL is locked, wait on `cond` for at most the switch interval; a wait
  that expires with no switch meanwhile (same switch number) sets the holder's drop request.
- the holder notices the drop request at its next check point (3.10+: a loop's back-edge,
  every `loop_body` bytecodes, and the boundary between two ops), drops the GIL (signalling
  one waiter on `cond`) and, forced, waits on `switch_cond` until another thread takes it.
- a thread starting I/O drops the GIL (forced off too if a drop request is pending).
- every wake-up of a blocked thread (signalled, timed out, I/O done) costs the OS wake-up
  latency, uniform in [0.5, 1.5) x its mean, as gilscope's engine draws it.

Workload (benches/simpy/convoy.toml): a busy thread computing 100,000 bytecodes forever, an
I/O thread doing REQUESTS times 56 us of I/O then 40 bytecodes. Prints a JSON line of the
figures to compare with `gilscope run benches/simpy/convoy.toml --json`.
"""

import argparse
import json
import random

import simpy

NS_PER_BYTECODE = 5
LOOP_BODY = 8
THREAD_START_NS = 40_000


class CountingEnvironment(simpy.Environment):
    """An environment that counts the events it processes."""

    def __init__(self):
        super().__init__()
        self.events = 0

    def step(self):
        self.events += 1
        super().step()


class Gil:
    """One GIL: its lock, holder, switch number, and the threads on `cond` and `switch_cond`."""

    def __init__(self):
        self.locked = False
        self.holder = None
        self.last_holder = None
        self.switch_number = 0
        self.cond = []  # (thread, event) waiting on cond
        self.switch_cond = []  # events of threads forced off
        self.switches = 0
        self.forced_switches = 0
        self.drop_requests = 0


class Model:
    """The engine: shared state and the GIL's operations, each thread a SimPy process."""

    def __init__(self, env, interval_ns, wake_latency_ns, seed):
        self.env = env
        self.interval = interval_ns
        self.wake_mean = wake_latency_ns
        self.rng = random.Random(seed)
        self.gil = Gil()

    def wake_latency(self):
        if self.wake_mean == 0:
            return 0
        return self.wake_mean // 2 + self.rng.randrange(self.wake_mean)

    def take_gil(self, t):
        gil = self.gil
        while gil.locked:
            saved = gil.switch_number
            signalled = self.env.event()
            gil.cond.append((t, signalled))
            expired = self.env.timeout(self.interval)
            fired = yield signalled | expired
            if signalled not in fired:
                gil.cond.remove((t, signalled))
            yield self.env.timeout(self.wake_latency())
            timed_out = signalled not in fired
            if timed_out and gil.locked and gil.switch_number == saved:
                self.request_drop(t)
        self.acquire(t)

    def acquire(self, t):
        gil = self.gil
        gil.locked = True
        gil.holder = t
        if gil.last_holder is not t:
            gil.last_holder = t
            gil.switch_number += 1
            gil.switches += 1
        if gil.switch_cond:
            gil.switch_cond.pop(0).succeed()
        t.drop_request = False

    def drop_gil(self, t):
        """Releases, signals one waiter on cond; returns the event to wait on when forced."""
        gil = self.gil
        gil.locked = False
        gil.holder = None
        if gil.cond:
            _, signalled = gil.cond.pop(self.rng.randrange(len(gil.cond)))
            signalled.succeed()
        if t.drop_request and gil.last_holder is t:
            t.drop_request = False
            gil.forced_switches += 1
            switched = self.env.event()
            gil.switch_cond.append(switched)
            return switched
        t.drop_request = False
        return None

    def request_drop(self, requester):
        holder = self.gil.holder
        if holder is None or holder.drop_request:
            return
        self.gil.drop_requests += 1
        holder.drop_request = True
        if holder.computing:
            holder.process.interrupt()

    def yield_gil(self, t):
        """At a check point with a drop request: drop, wait for the switch, take it again."""
        switched = self.drop_gil(t)
        if switched is not None:
            yield switched
            yield self.env.timeout(self.wake_latency())
        yield from self.take_gil(t)

    def compute(self, t, bytecodes):
        """A bytecode loop holding the GIL, yielding at a back-edge when asked to drop it."""
        done = 0
        while done < bytecodes:
            if t.drop_request:
                yield from self.yield_gil(t)
                continue
            start = self.env.now
            t.computing = True
            try:
                yield self.env.timeout((bytecodes - done) * NS_PER_BYTECODE)
                done = bytecodes
            except simpy.Interrupt:
                position = done + (self.env.now - start) // NS_PER_BYTECODE
                check = min(bytecodes, -(-position // LOOP_BODY) * LOOP_BODY)
                t.computing = False
                elapsed = self.env.now - start
                yield self.env.timeout(max(0, (check - done) * NS_PER_BYTECODE - elapsed))
                done = check
            t.computing = False

    def check_point(self, t):
        """The boundary before an op: yield to a drop request, or take the GIL."""
        if t.holds():
            if t.drop_request:
                yield from self.yield_gil(t)
        else:
            yield from self.take_gil(t)


class Thread:
    """A simulated thread's GIL-side state."""

    def __init__(self, model, name):
        self.model = model
        self.name = name
        self.drop_request = False
        self.computing = False
        self.process = None

    def holds(self):
        return self.model.gil.holder is self


def busy(model, t):
    yield from model.take_gil(t)
    while True:
        yield from model.check_point(t)
        yield from model.compute(t, 100_000)


def io(model, t, requests, resume_lags):
    env = model.env
    yield env.timeout(THREAD_START_NS)
    for _ in range(requests):
        yield from model.check_point(t)
        # The I/O call: Py_BEGIN_ALLOW_THREADS drops the GIL (forced off if asked to).
        switched = model.drop_gil(t)
        if switched is not None:
            yield switched
            yield env.timeout(model.wake_latency())
        yield env.timeout(56_000)
        done = env.now
        yield env.timeout(model.wake_latency())
        yield from model.take_gil(t)
        resume_lags.append(env.now - done)
        yield from model.compute(t, 40)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--interval-us", type=int, default=100)
    parser.add_argument("--wake-latency-us", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count-events", action="store_true",
                        help="count the events SimPy processes (slower; not for timing)")
    args = parser.parse_args()
    env = CountingEnvironment() if args.count_events else simpy.Environment()
    model = Model(env, args.interval_us * 1000, args.wake_latency_us * 1000, args.seed)
    lags = []
    busy_thread = Thread(model, "busy")
    io_thread = Thread(model, "io")
    busy_thread.process = env.process(busy(model, busy_thread))
    io_thread.process = env.process(io(model, io_thread, args.requests, lags))
    env.run(until=io_thread.process)
    gil = model.gil
    counted = {"events": env.events} if args.count_events else {}
    print(json.dumps({
        **counted,
        "wall_ms": env.now / 1e6,
        "switches": gil.switches,
        "forced_switches": gil.forced_switches,
        "drop_requests": gil.drop_requests,
        "resume_lag_mean_ms": sum(lags) / len(lags) / 1e6,
    }))


if __name__ == "__main__":
    main()
