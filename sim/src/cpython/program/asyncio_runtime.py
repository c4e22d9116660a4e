# ---- Runtime: asyncio --------------------------------------------------------------------
# One task per lane on one event loop, in the main thread. Tasks switch only at an await that
# suspends; `offload` runs on the threads of a ThreadPoolExecutor, which contend for the GIL
# with the event loop's thread. asyncio waits in epoll, whose timeout is counted in whole
# milliseconds, so an `io` or `sleep` of less than 1 ms lasts about 1 ms.
import asyncio
import concurrent.futures

try:
    import queue
except ImportError:
    import Queue as queue

MAILBOX = queue.Queue()
SEND = MAILBOX.put  # `send` between tasks: queue.put of a reference, no copy
LOCK_OBJECTS = []  # asyncio.Lock objects, made on the loop
EXECUTOR = None
EXECUTOR_LOCAL = threading.local()
EXECUTOR_RECORDERS = []
EXECUTOR_GATE = threading.Lock()


async def io_async(rec, seconds):
    """`io` in a task: await asyncio.sleep: the task suspends and the event loop runs the
    others, or waits in epoll when none is ready."""
    await asyncio.sleep(begin_blocking(rec, R_IO, seconds))
    rec.event(R_OP_END)


async def sleep_async(rec, seconds):
    """`sleep` in a task: await asyncio.sleep."""
    await asyncio.sleep(begin_blocking(rec, R_SLEEP, seconds))
    rec.event(R_OP_END)


async def lock_async(rec, index):
    """`lock` in a task: await asyncio.Lock.acquire(), which suspends only when it is taken."""
    t = clock()
    if t >= STOP_AT:
        raise Stopped()
    held = LOCK_OBJECTS[index]
    if not held.locked():
        await held.acquire()
        rec.put(R_LOCK_TAKEN, index, 0, t)
    else:
        rec.put(R_LOCK_WAIT, index, 0, t)
        rec.flush()
        await held.acquire()
        rec.event(R_LOCK_TAKEN, index)
    rec.held.append(held)


def executor_job(bytecodes):
    """An offloaded job, on an executor thread: the countdown loop, on that thread's lane."""
    rec = getattr(EXECUTOR_LOCAL, 'rec', None)
    if rec is None:
        with EXECUTOR_GATE:
            rec = Recorder(EXECUTOR_LANES[len(EXECUTOR_RECORDERS)])
            EXECUTOR_RECORDERS.append(rec)
        EXECUTOR_LOCAL.rec = rec
        set_timer_slack()
        rec.event(R_THREAD_START)
    try:
        compute(rec, bytecodes)
    finally:
        rec.event(R_IDLE)
        rec.flush()


async def offload(rec, bytecodes):
    """`offload`: await loop.run_in_executor(EXECUTOR, job): the task suspends while an
    executor thread runs the job's Python."""
    begin(rec, R_OFFLOAD, bytecodes)
    await asyncio.get_event_loop().run_in_executor(EXECUTOR, executor_job, bytecodes)
    rec.event(R_OP_END)


async def run_task(lane, group):
    """One task: its group's program, between a start and an end record."""
    rec = Recorder(lane)
    rec.event(R_THREAD_START)
    reason = 0
    try:
        await GROUPS[group](rec)
    except (Stopped, asyncio.CancelledError):
        reason = 1
    except Exception as error:
        reason = 2
        lane_failed(lane, error)
    for held in rec.held:
        held.release()
    rec.event(R_THREAD_END, reason)
    rec.flush()
    DONE.append(rec.done)


async def run_tasks():
    global STOP_AT
    LOCK_OBJECTS[:] = [asyncio.Lock() for _ in LOCKS]
    tasks = [(asyncio.ensure_future(run_task(lane, group)), forever)
             for lane, (name, group, forever) in enumerate(LANES)]
    finite = [task for task, forever in tasks if not forever]
    if finite:
        await asyncio.wait(finite)
        # The run ends with its finite tasks (or at its duration); the others stop there.
        STOP_AT = min(clock(), STOP_AT)
        for task, forever in tasks:
            if forever:
                task.cancel()
    end = STOP_AT
    await asyncio.wait([task for task, _ in tasks])
    return end


def main():
    global STOP_AT, EXECUTOR
    setup()
    calibration = calibrate()
    send_meta(hello())
    send_meta(calibration)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    if EXECUTOR_LANES:
        EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=len(EXECUTOR_LANES))
    start = announce_start()
    end = loop.run_until_complete(run_tasks())
    if EXECUTOR is not None:
        EXECUTOR.shutdown(wait=True)
    loop.close()
    finish(start, end, end_reason(start, end), counter_values())
    if FAILED:
        sys.exit(1)
