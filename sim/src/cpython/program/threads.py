# ---- Runtime: threads --------------------------------------------------------------------
# One threading.Thread per lane, in one interpreter: under a GIL build they take turns; a
# free-threaded build runs them side by side.
try:
    import queue
except ImportError:  # Python 2.7
    import Queue as queue

MAILBOX = queue.Queue()
SEND = MAILBOX.put  # `send` between threads: queue.put of a reference, no copy
LOCK_OBJECTS = [threading.Lock() for _ in LOCKS]

# Every lane waits here until the main thread has started them all, then they begin together,
# as the simulator's threads do. Without it a lane would begin as soon as its Thread.start()
# returned: the main thread, to start the next lane, must first get the GIL back from the lanes
# already running, and behind a CPU-bound lane that takes up to a switch interval, or until
# that lane ends (issue 11: ft-shared-dict's writers then ran one after another, and its
# janitor began after they had all finished).
START_GATE = threading.Event()


def gated_lane(lane, group):
    """A lane's thread: waits at the start gate, then runs the lane."""
    START_GATE.wait()
    run_lane(lane, group)


def main():
    global STOP_AT
    setup()
    calibration = calibrate()
    send_meta(hello())
    send_meta(calibration)
    threads = []
    for lane, (name, group, forever) in enumerate(LANES):
        thread = threading.Thread(target=gated_lane, args=(lane, group), name=name)
        thread.daemon = True
        thread.start()
        threads.append((thread, forever))
    start = announce_start()
    START_GATE.set()
    finite = [thread for thread, forever in threads if not forever]
    for thread in finite:
        thread.join()
    if finite:
        # The run ends with its finite lanes (or at its duration); the others stop there.
        STOP_AT = min(clock(), STOP_AT)
    end = STOP_AT
    for thread, _ in threads:
        thread.join()
    finish(start, end, end_reason(start, end), counter_values())
    if FAILED:
        sys.exit(1)
