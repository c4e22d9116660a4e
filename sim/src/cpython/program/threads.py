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


def main():
    global STOP_AT
    setup()
    calibration = calibrate()
    send_meta(hello())
    send_meta(calibration)
    start = announce_start()
    threads = []
    for lane, (name, group, forever) in enumerate(LANES):
        thread = threading.Thread(target=run_lane, args=(lane, group), name=name)
        thread.daemon = True
        thread.start()
        threads.append((thread, forever))
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
