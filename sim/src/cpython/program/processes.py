# ---- Runtime: multiprocessing ------------------------------------------------------------
# One process per lane, started with START_METHOD, each with its own interpreter and GIL. A
# `send` is pickled and written to a pipe that the main process reads. A plain global counter
# is each process's own copy; a shared one is a multiprocessing.Value with its lock; a lock is
# a multiprocessing.Lock, shared by every process.
import multiprocessing.connection

try:
    from multiprocessing.reduction import ForkingPickler
    PICKLE = ForkingPickler.dumps
except (ImportError, AttributeError):  # 2.7: Connection.send pickles with cPickle, highest protocol
    import cPickle

    def PICKLE(payload):
        return cPickle.dumps(payload, cPickle.HIGHEST_PROTOCOL)

CONNECTION = None  # a worker's end of its pipe to the main process


def write_to_main(message):
    """The pickle written to the pipe to the main process."""
    CONNECTION.send_bytes(message)


# `send` between processes, in the two steps of `Connection.send`: pickled, then written.
SEND, SEND_WRITE = PICKLE, write_to_main


def worker_main(lane, group, settings, connection, locks, shared, stop):
    """A worker process: runs one lane and reports to the main process."""
    global CONNECTION, LOCK_OBJECTS, SHARED
    CONNECTION, LOCK_OBJECTS, SHARED = connection, locks, shared
    start_child(settings, stop)
    run_lane(lane, group)
    connection.close()
    if FAILED:
        sys.exit(1)


def readable(connections):
    if hasattr(multiprocessing.connection, 'wait'):
        return multiprocessing.connection.wait(connections)
    return select.select(connections, [], [])[0]  # Python 2.7


def receive(workers):
    """Reads what the workers send until each has closed its pipe, that is, ended. When the
    finite lanes have all ended, the others are told to stop."""
    global STOP_AT
    open_pipes = dict((worker[1], worker) for worker in workers)
    finite_left = len([worker for worker in workers if not worker[2]])
    while open_pipes:
        for reader in readable(list(open_pipes)):
            try:
                reader.recv_bytes()
            except EOFError:
                worker = open_pipes.pop(reader)
                reader.close()
                if worker[2]:
                    continue
                finite_left -= 1
                if finite_left == 0:
                    STOP_AT = min(clock(), STOP_AT)
                    STOP_VALUE.value = STOP_AT
                    for other in open_pipes.values():
                        os.kill(other[0].pid, signal.SIGUSR1)


def main():
    global STOP_AT, LOCK_OBJECTS, SHARED, STOP_VALUE
    setup()
    ctx = context()
    LOCK_OBJECTS = [ctx.Lock() for _ in LOCKS]
    SHARED = make_shared(ctx)
    STOP_VALUE = ctx.Value('d', INFINITY, lock=False)
    calibration = calibrate()
    send_meta(hello())
    send_meta(calibration)
    # Workers set their own handler; until then a stop signal must not kill them.
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    start = announce_start()
    STOP_VALUE.value = STOP_AT
    settings = {
        'calibration': calibration,
        # A forkserver's children are the server's: they die with it, and it with us.
        'parent': None if START_METHOD == 'forkserver' else os.getpid(),
    }
    workers = []
    for lane, (name, group, forever) in enumerate(LANES):
        reader, writer = ctx.Pipe(duplex=False)
        process = ctx.Process(target=worker_main, name=name,
                              args=(lane, group, settings, writer, LOCK_OBJECTS, SHARED,
                                    STOP_VALUE))
        process.daemon = True
        process.start()
        writer.close()
        workers.append((process, reader, forever))
    receive(workers)
    end = STOP_AT if STOP_AT < INFINITY else clock()
    for process, _, _ in workers:
        process.join()
        if process.exitcode:
            FAILED.append(process.name)
            how = ('was killed by signal %d' % -process.exitcode if process.exitcode < 0
                   else 'exited with status %d' % process.exitcode)
            send_meta({'type': 'error', 'text': 'worker process %s %s' % (process.name, how)})
    finish(start, end, end_reason(start, end), counter_values())
    if FAILED:
        sys.exit(1)
