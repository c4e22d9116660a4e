# ---- Runtime: pools ----------------------------------------------------------------------
# The lanes are tasks given to a pool of WORKERS: multiprocessing.Pool's map ('pool', map's
# own chunksize), concurrent.futures.ProcessPoolExecutor ('process-pool', one submit per lane)
# or ThreadPoolExecutor ('thread-pool': threads of this interpreter). A worker process records
# the lanes it runs on its own channel; a `send` goes through one SimpleQueue that one thread of
# the main process reads. A plain global counter is each worker process's own copy, a shared
# one a multiprocessing.Value with its lock, a lock a multiprocessing.Lock.
import multiprocessing
try:
    import queue
except ImportError:  # Python 2.7
    import Queue as queue

SENDS = None  # the worker processes' queue of messages to the main process
FINISHED = None  # lanes that ended, for a run with lanes that repeat forever


def simple_queue(ctx):
    if hasattr(ctx, 'SimpleQueue'):
        return ctx.SimpleQueue()
    import multiprocessing.queues
    return multiprocessing.queues.SimpleQueue()  # Python 2.7


def send_to_main(payload):
    """`send` from a worker process: pickled and written to the main process's queue."""
    SENDS.put(payload)


SEND = send_to_main


def worker_init(settings, locks, shared, stop, sends, finished):
    """A pool's worker process starts: its channel, its stop signal, the run's settings."""
    global LOCK_OBJECTS, SHARED, SENDS, FINISHED
    LOCK_OBJECTS, SHARED, SENDS, FINISHED = locks, shared, sends, finished
    start_child(settings, stop)


def pool_task(lane):
    """One task: the lane's program, in whichever worker took it."""
    global STOP_AT
    STOP_AT = min(STOP_AT, STOP_VALUE.value)
    run_lane(lane, LANES[lane][1])
    if FINISHED is not None:
        FINISHED.put(lane)
    return not FAILED


def read_sends(sends):
    """The one reader of the workers' messages, until the run's end puts None."""
    while sends.get() is not None:
        pass


def map_chunksize(tasks, workers):
    """Pool.map's own chunksize (Lib/multiprocessing/pool.py, `_map_async`)."""
    chunksize, extra = divmod(tasks, workers * 4)
    return max(1, chunksize + (1 if extra else 0))


def thread_pool_main():
    global STOP_AT, LOCK_OBJECTS, SEND
    import concurrent.futures
    LOCK_OBJECTS = [threading.Lock() for _ in LOCKS]
    mailbox = queue.Queue()
    SEND = mailbox.put  # `send` between threads: queue.put of a reference, no copy
    setup()
    calibration = calibrate()
    send_meta(hello())
    send_meta(calibration)
    start = announce_start()
    executor = concurrent.futures.ThreadPoolExecutor(WORKERS)
    futures = [(executor.submit(run_lane, lane, group), forever)
               for lane, (name, group, forever) in enumerate(LANES)]
    finite = [future for future, forever in futures if not forever]
    concurrent.futures.wait(finite)
    if finite:
        STOP_AT = min(clock(), STOP_AT)
    end = STOP_AT
    executor.shutdown(wait=True)
    finish(start, end, end_reason(start, end), counter_values())
    if FAILED:
        sys.exit(1)


def worker_processes(pool):
    if RUNTIME == 'pool':
        return list(pool._pool)
    return list((pool._processes or {}).values())


def main():
    global STOP_AT, LOCK_OBJECTS, SHARED, STOP_VALUE, SENDS
    if RUNTIME == 'thread-pool':
        thread_pool_main()
        return
    setup()
    ctx = context()
    LOCK_OBJECTS = [ctx.Lock() for _ in LOCKS]
    SHARED = make_shared(ctx)
    STOP_VALUE = ctx.Value('d', INFINITY, lock=False)
    SENDS = simple_queue(ctx)
    forever = [lane for lane, (_, _, f) in enumerate(LANES) if f]
    finished = simple_queue(ctx) if forever else None
    calibration = calibrate()
    send_meta(hello())
    send_meta(calibration)
    # Workers set their own handler; until then a stop signal must not kill them.
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    start = announce_start()
    STOP_VALUE.value = STOP_AT
    settings = {
        'calibration': calibration,
        'parent': None if START_METHOD == 'forkserver' else os.getpid(),
    }
    reader = threading.Thread(target=read_sends, args=(SENDS,), name='sends')
    reader.daemon = True
    reader.start()
    initargs = (settings, LOCK_OBJECTS, SHARED, STOP_VALUE, SENDS, finished)
    lanes = list(range(len(LANES)))
    if RUNTIME == 'pool':
        pool = ctx.Pool(WORKERS, initializer=worker_init, initargs=initargs)
        result = pool.map_async(pool_task, lanes, map_chunksize(len(lanes), WORKERS))
        wait_all = result.get
    else:
        import concurrent.futures
        pool = concurrent.futures.ProcessPoolExecutor(
            WORKERS, mp_context=ctx, initializer=worker_init, initargs=initargs)
        futures = [pool.submit(pool_task, lane) for lane in lanes]

        def wait_all():
            return [future.result() for future in futures]
    if forever:
        # The run ends with its finite lanes (or at its duration); the others stop there.
        left = len(lanes) - len(forever)
        while left > 0:
            if finished.get() not in forever:
                left -= 1
        STOP_AT = min(clock(), STOP_AT)
        STOP_VALUE.value = STOP_AT
        for process in worker_processes(pool):
            os.kill(process.pid, signal.SIGUSR1)
    ok = all(wait_all())
    end = STOP_AT if STOP_AT < INFINITY else clock()
    if RUNTIME == 'pool':
        pool.close()
        pool.join()
    else:
        pool.shutdown(wait=True)
    SENDS.put(None)
    reader.join()
    if not ok:
        FAILED.append('a task')
    finish(start, end, end_reason(start, end), counter_values())
    if FAILED:
        sys.exit(1)
