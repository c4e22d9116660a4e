# ---- Clocks ------------------------------------------------------------------------------
# Every stamp is one reading of one clock, in seconds, as a float:
# - Python 3.3 and later: time.perf_counter, which is CLOCK_MONOTONIC on Linux: nanosecond
#   resolution, never steps, one clock for every thread and process of the machine.
# - Python 2.7 has no monotonic clock in its standard library: time.time (gettimeofday), with
#   1 us resolution, which follows steps of the wall clock. gilscope keeps each lane's stamps
#   in order, so a step would show as a pause, never as time running backwards.
if hasattr(time, 'perf_counter'):
    clock = time.perf_counter
    CLOCK = 'time.perf_counter'
    CLOCK_RESOLUTION = time.get_clock_info('perf_counter').resolution
else:
    clock = time.time
    CLOCK = 'time.time'
    CLOCK_RESOLUTION = 1e-06

INFINITY = float('inf')
# When every lane stops: the run's duration, or the moment the finite lanes have ended.
STOP_AT = INFINITY
# Set when a lane raised: the run stops and the program exits with status 1.
FAILED = []


class Stopped(Exception):
    """Raised at an operation boundary, or between two chunks of a loop, once STOP_AT is past."""


# ---- The stamp channel -------------------------------------------------------------------
# Batches of records, each a 12-byte header (magic, kind, lane, payload bytes) and a payload:
# native doubles for stamps, UTF-8 JSON for the rarer meta messages. A batch is at most 4092
# bytes: a write(2) of up to PIPE_BUF (4096) bytes to a pipe is atomic, so the threads and
# processes of a run can share one pipe without a lock.
MAGIC = b'GILS'
KIND_STAMPS = 1
KIND_META = 2
MAIN_LANE = 0xFFFF
CAP = 510
HEADER = struct.Struct('=4sHHI')
META_MAX = 4080
# A lane about to block flushes its stamps first when the block is long or its last flush
# is old, so that gilscope's view keeps up; otherwise it flushes when its buffer is full.
FLUSH_BEFORE = 0.001
FLUSH_AGE = 0.02
EXIT_CHANNEL_LOST = 3

WRITE = None
WRITE_MODE = ''
BY_HAND = os.environ.get('GILSCOPE_STAMPS') != '1'

if hasattr(array.array, 'tobytes'):
    def array_bytes(values):
        return values.tobytes()
else:  # Python 2.7
    def array_bytes(values):
        return values.tostring()


def libc_writer(fd):
    """write(2) called through ctypes.PyDLL, which keeps the GIL during the call: flushing a
    batch (a few microseconds) then never hands the GIL to another thread, as os.write would."""
    import ctypes
    libc = ctypes.PyDLL(None, use_errno=True)
    write = libc.write
    write.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
    write.restype = ctypes.c_ssize_t
    get_errno = ctypes.get_errno

    def write_all(data):
        while data:
            written = write(fd, data, len(data))
            if written < 0:
                if get_errno() == errno.EINTR:
                    continue
                os._exit(EXIT_CHANNEL_LOST)  # the reader (gilscope) has gone
            data = data[written:]
    return write_all


def os_writer(fd):
    """os.write: releases the GIL around the write (used only where ctypes cannot be loaded)."""
    def write_all(data):
        try:
            while data:
                data = data[os.write(fd, data):]
        except OSError:
            os._exit(EXIT_CHANNEL_LOST)
    return write_all


def open_channel():
    """Where the stamps go: gilscope's pipe on fd 1 (GILSCOPE_STAMPS=1); run by hand, a file
    named as the first argument (GILSCOPE_STAMPS_FILE for worker processes), or nowhere."""
    global WRITE, WRITE_MODE
    if not BY_HAND:
        fd = 1
        # The program's own prints must never mix with the stamps.
        sys.stdout = sys.stderr
    elif os.environ.get('GILSCOPE_STAMPS_FILE'):
        fd = os.open(os.environ['GILSCOPE_STAMPS_FILE'], os.O_WRONLY | os.O_APPEND)
    elif __name__ == '__main__' and len(sys.argv) > 1:
        fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        os.environ['GILSCOPE_STAMPS_FILE'] = sys.argv[1]
    else:
        fd = os.open(os.devnull, os.O_WRONLY)
    try:
        WRITE = libc_writer(fd)
        WRITE_MODE = 'write(2) through ctypes.PyDLL: flushing keeps the GIL'
    except Exception as error:  # no ctypes here (e.g. a 3.12 subinterpreter)
        WRITE = os_writer(fd)
        WRITE_MODE = 'os.write: flushing releases the GIL (no ctypes: %s)' % error


def send_meta(message, lane=MAIN_LANE):
    """Writes one meta message (a JSON object) at once."""
    data = json.dumps(message, sort_keys=True)
    if not isinstance(data, bytes):
        data = data.encode('utf-8')
    if len(data) > META_MAX:
        data = json.dumps({'type': message['type'], 'truncated': len(data)}).encode('utf-8')
    WRITE(HEADER.pack(MAGIC, KIND_META, lane, len(data)) + data)


class Recorder(object):
    """One lane's preallocated stamp buffer. A stamp inside a loop is one double (the clock,
    positive); an event is four: the negated record code, two arguments and the clock."""
    __slots__ = ('lane', 'buf', 'pos', 'flushed', 'held', 'done')

    def __init__(self, lane):
        self.lane = lane
        self.buf = array.array('d', [0.0]) * CAP
        self.pos = 0
        self.flushed = clock()
        self.held = []
        self.done = [0] * len(COUNTERS)

    def flush(self):
        pos = self.pos
        if pos:
            payload = array_bytes(self.buf if pos == CAP else self.buf[:pos])
            WRITE(HEADER.pack(MAGIC, KIND_STAMPS, self.lane, len(payload)) + payload)
            self.pos = 0
        self.flushed = clock()

    def put(self, code, a, b, t):
        pos = self.pos
        if pos + 4 >= CAP:  # keep one free slot for the loops' inline stamps
            self.flush()
            pos = 0
        buf = self.buf
        buf[pos] = -code
        buf[pos + 1] = a
        buf[pos + 2] = b
        buf[pos + 3] = t
        self.pos = pos + 4

    def event(self, code, a=0, b=0):
        t = clock()
        self.put(code, a, b, t)
        return t

    def before_blocking(self, t, seconds):
        if seconds >= FLUSH_BEFORE or t - self.flushed >= FLUSH_AGE:
            self.flush()


class Discard(Recorder):
    """A recorder whose stamps go nowhere: for calibration."""
    __slots__ = ()

    def flush(self):
        self.pos = 0


# ---- Settings carried to the interpreter -------------------------------------------------
NOTES = []
CPUS = None


def libc():
    import ctypes
    return ctypes.CDLL(None, use_errno=True)


def die_with_parent(parent=None):
    """prctl(PR_SET_PDEATHSIG, SIGKILL): the kernel kills this process as soon as its parent
    (gilscope, or for a worker process the program's main process) dies, so that no run
    outlives gilscope. Linux only. `parent`: the pid the parent must have, checked after the
    prctl, in case it died before."""
    try:
        if libc().prctl(1, 9, 0, 0, 0) != 0:
            NOTES.append('prctl(PR_SET_PDEATHSIG) failed')
    except Exception as error:
        NOTES.append('this process does not die with its parent: %s' % error)
    if parent is not None and os.getppid() != parent:
        os._exit(EXIT_CHANNEL_LOST)  # the parent died before the prctl above


def set_timer_slack():
    """prctl(PR_SET_TIMERSLACK, 1): by default Linux lets the timed sleep of a normal thread
    end up to 50 us late, to batch wake-ups; a slack of 1 ns makes sleep() and select() end on
    time, so that a 56 us I/O lasts about 56 us, not about 110 us. Called in every thread."""
    try:
        if libc().prctl(29, 1, 0, 0, 0) != 0:
            return 'prctl(PR_SET_TIMERSLACK) failed: the default 50 us applies'
        return '1 ns'
    except Exception as error:
        return 'not set (%s): the default 50 us applies' % error


def restrict_cores(count):
    """Confines the program (and the threads and processes it starts) to `count` of the CPUs
    it may use, with os.sched_setaffinity or, on Python 2.7, sched_setaffinity through ctypes."""
    if hasattr(os, 'sched_setaffinity'):
        allowed = sorted(os.sched_getaffinity(0))
        chosen = allowed[:count]
        os.sched_setaffinity(0, chosen)
    else:
        import ctypes
        words = 16
        bits = ctypes.sizeof(ctypes.c_ulong) * 8
        mask = (ctypes.c_ulong * words)()
        lib = libc()
        if lib.sched_getaffinity(0, ctypes.sizeof(mask), mask) != 0:
            NOTES.append('sched_getaffinity failed: cores not restricted')
            return None
        allowed = [i for i in range(words * bits) if (mask[i // bits] >> (i % bits)) & 1]
        chosen = allowed[:count]
        new = (ctypes.c_ulong * words)()
        for cpu in chosen:
            new[cpu // bits] |= 1 << (cpu % bits)
        if lib.sched_setaffinity(0, ctypes.sizeof(new), new) != 0:
            NOTES.append('sched_setaffinity failed: cores not restricted')
            return None
    if count > len(allowed):
        NOTES.append('the run asks for %d cores but this process may use %d: it uses %d'
                     % (count, len(allowed), len(allowed)))
    return chosen


def gil_enabled():
    if hasattr(sys, '_is_gil_enabled'):
        return sys._is_gil_enabled()
    return True


def setup():
    """Applies the run's settings to this interpreter before anything is measured."""
    global CPUS, TIMER_SLACK
    open_channel()
    parent = os.environ.get('GILSCOPE_PARENT')
    die_with_parent(int(parent) if parent else None)
    TIMER_SLACK = set_timer_slack()
    CPUS = restrict_cores(CORES)
    if hasattr(sys, 'setswitchinterval'):
        sys.setswitchinterval(SWITCH_INTERVAL)
    else:  # Python 2.7: the old GIL counts ticks
        sys.setcheckinterval(CHECK_INTERVAL)


def hello():
    """What this interpreter is and how it was set up: the first meta message."""
    return {
        'type': 'hello',
        'python': sys.version.split()[0],
        'executable': sys.executable,
        'pid': os.getpid(),
        'clock': CLOCK,
        'resolution': CLOCK_RESOLUTION,
        'free_threaded': bool(sysconfig.get_config_var('Py_GIL_DISABLED')),
        'gil_enabled': gil_enabled(),
        'switch_interval': getattr(sys, 'getswitchinterval', lambda: None)(),
        'check_interval': getattr(sys, 'getcheckinterval', lambda: None)(),
        'cpus': CPUS,
        'timer_slack': TIMER_SLACK,
        'runtime': RUNTIME,
        'lanes': [list(lane) for lane in ALL_LANES],
        'counters': COUNTERS,
        'locks': LOCKS,
        'writer': WRITE_MODE,
        'notes': NOTES,
    }


# ---- Calibration -------------------------------------------------------------------------
# What the operations need measured on this interpreter, measured single-threaded before the
# run starts and reported in the stream: instructions per loop iteration (counted with dis),
# seconds per iteration and the chunk of iterations between two stamps; what one stamp costs;
# the bytes per second of the GIL-releasing C call and the items per second of the GIL-holding
# one.
INSTRUCTIONS = {}
CHUNKS = {}
RELEASE_BYTES_PER_SECOND = 0.0
RELEASE_VIEW = None
RELEASE_BLOCK = 256 << 20
HOLD_ITEMS_PER_SECOND = 0.0
HUGE_CHUNK = 1 << 60


def one():
    """The Python call inside `counter += one()`."""
    return 1


def best_time(function, argument, repeats=5):
    rec = Discard(MAIN_LANE)
    best = INFINITY
    for _ in range(repeats):
        start = clock()
        function(rec, argument)
        best = min(best, clock() - start)
    return best


def calibrate_loop(name, function, calls_one):
    """Measures loop `name` (compute takes bytecodes, the increment loops iterations) in the
    shape it runs in: in chunks of `chunk` iterations with a stamp after each. Timed with that
    chunk (a + s / chunk per iteration) and with a chunk of one (a + s), best of five each, it
    gives `a`, an iteration's time, and `s`, a stamp's. (Timing the loop without chunks would
    not do: its counter would leave the small integers CPython caches, and run slower.)

    On a busy machine a timing can be slowed by a preemption even at its best of five, and
    the difference of two timings is then noise. So every timed run is sized from a direct
    timing (an upper bound of the loop's speed, never from the difference), which bounds the
    calibration to a few tenths of a second whatever the noise; and a stamp is taken to cost
    at most half of a chunk's time: a larger difference is a preemption, not a stamp."""
    instructions = loop_instructions(function)
    if calls_one:
        instructions += len(instruction_offsets(code_of(one))[0])
    INSTRUCTIONS[name] = instructions
    scale = instructions if name == 'compute' else 1
    CHUNKS[name] = 200
    rough = max(best_time(function, 20000 * scale, 3) / 20000, 1e-9)
    chunk = max(2, int(round(CHUNK_SECONDS / rough)))
    singles = max(100, min(5000, int(0.005 / rough)))  # each with a stamp: at most ~10 ms
    for _ in range(2):  # the chunk depends on the speed, and the speed a little on the chunk
        iterations = max(4 * chunk, int(0.01 / rough))
        CHUNKS[name] = chunk
        chunked = best_time(function, iterations * scale) / iterations
        CHUNKS[name] = 1
        single = best_time(function, singles * scale) / singles
        stamp = min(max(0.0, (single - chunked) * chunk / (chunk - 1)), chunked * chunk / 2)
        per_iteration = max(chunked - stamp / chunk, 1e-9)
        rough = min(rough, chunked)
        chunk = max(2, int(round(CHUNK_SECONDS / per_iteration)))
    CHUNKS[name] = chunk
    stamp = min(stamp, chunk * per_iteration / 2)  # at most half of the chunk the run uses
    return {'instructions': instructions, 'ns_per_iteration': per_iteration * 1e9,
            'chunk': chunk, 'stamp_ns': stamp * 1e9,
            'overhead': stamp / (chunk * per_iteration)}


def zero_view(size):
    """A zero-filled buffer the C calls read without copying it."""
    data = bytearray(size)
    if sys.version_info[0] >= 3:
        return memoryview(data)
    return buffer(data)  # noqa: F821 (Python 2.7: zlib wants a read-only buffer)


def view_prefix(view, size):
    if sys.version_info[0] >= 3:
        return view[:size]
    return buffer(view, 0, size)  # noqa: F821 (Python 2.7)


def release_call(view):
    if RELEASE_FUNCTION == 'zlib.compress':
        return zlib.compress(view, 1)
    import hashlib
    return hashlib.sha256(view).digest()


def calibrate_release():
    """Bytes per second of the C call that releases the GIL, and its zero-filled buffer."""
    global RELEASE_BYTES_PER_SECOND, RELEASE_VIEW
    probe = zero_view(4 << 20)
    best = INFINITY
    for _ in range(3):
        start = clock()
        release_call(probe)
        best = min(best, clock() - start)
    RELEASE_BYTES_PER_SECOND = len(probe) / best
    size = int(RELEASE_SECONDS_MAX * RELEASE_BYTES_PER_SECOND) + 1
    RELEASE_VIEW = zero_view(min(size, RELEASE_BLOCK))
    return {'function': RELEASE_FUNCTION, 'bytes_per_us': RELEASE_BYTES_PER_SECOND / 1e6}


def calibrate_hold():
    """Items per second of the C call that keeps the GIL."""
    global HOLD_ITEMS_PER_SECOND
    items = 1 << 20
    best = INFINITY
    for _ in range(3):
        start = clock()
        sum(xrange(items))
        best = min(best, clock() - start)
    HOLD_ITEMS_PER_SECOND = items / best
    return {'function': 'sum(range(n))', 'items_per_us': HOLD_ITEMS_PER_SECOND / 1e6}


def calibrate():
    message = {'type': 'calibration', 'chunk_us': CHUNK_SECONDS * 1e6, 'loops': {}}
    for name, function, calls_one in LOOPS:
        message['loops'][name] = calibrate_loop(name, function, calls_one)
    reset_counters()
    if RELEASE_SECONDS_MAX > 0:
        message['release'] = calibrate_release()
    if HOLD_SECONDS_MAX > 0:
        message['hold'] = calibrate_hold()
    return message


def apply_calibration(message):
    """Takes a calibration measured by the main process (in a worker process or interpreter)."""
    global RELEASE_BYTES_PER_SECOND, RELEASE_VIEW, HOLD_ITEMS_PER_SECOND
    for name, loop in message['loops'].items():
        INSTRUCTIONS[name] = loop['instructions']
        CHUNKS[name] = loop['chunk']
    if 'release' in message:
        RELEASE_BYTES_PER_SECOND = message['release']['bytes_per_us'] * 1e6
        size = int(RELEASE_SECONDS_MAX * RELEASE_BYTES_PER_SECOND) + 1
        RELEASE_VIEW = zero_view(min(size, RELEASE_BLOCK))
    if 'hold' in message:
        HOLD_ITEMS_PER_SECOND = message['hold']['items_per_us'] * 1e6


# ---- Operations --------------------------------------------------------------------------
# Each takes the lane's recorder; each stamps its boundaries; each raises Stopped at its start
# once the run is over.
# The read end of a pipe nobody ever writes to: select() on it waits for its whole timeout.
NEVER_READY, NEVER_WRITTEN = os.pipe()


def begin(rec, code, a=0, b=0):
    t = clock()
    if t >= STOP_AT:
        raise Stopped()
    rec.put(code, a, b, t)
    return t


def blocking_select(seconds):
    end = clock() + seconds
    while True:
        try:
            select.select([NEVER_READY], [], [], seconds)
            return
        except (select.error, IOError, OSError) as error:  # Python 2.7 does not retry EINTR
            if error.args[0] != errno.EINTR:
                raise
            seconds = end - clock()
            if seconds <= 0:
                return


def begin_blocking(rec, code, seconds):
    """The start of a blocking operation of `seconds` (cut at STOP_AT): stamped, and the
    lane's stamps flushed first where it is long. Returns how long it blocks."""
    t = clock()
    if t >= STOP_AT:
        raise Stopped()
    seconds = min(seconds, STOP_AT - t)
    rec.put(code, seconds, 0, t)
    rec.before_blocking(t, seconds)
    return seconds


def io(rec, seconds):
    """`io`: select() on a pipe nobody writes to, for `seconds`: a real blocking call that
    releases the GIL, as waiting on a socket that stays silent that long does."""
    blocking_select(begin_blocking(rec, R_IO, seconds))
    rec.event(R_OP_END)


def sleep(rec, seconds):
    """`sleep`: time.sleep, which releases the GIL."""
    time.sleep(begin_blocking(rec, R_SLEEP, seconds))
    rec.event(R_OP_END)


def c_call_releasing(rec, seconds):
    """`c_call` with `releases_gil = true`: RELEASE_FUNCTION on a zero-filled buffer sized by
    calibration to last `seconds`; the C code brackets its work with Py_BEGIN_ALLOW_THREADS.
    A call longer than one RELEASE_BLOCK buffer is made of several calls."""
    size = int(seconds * RELEASE_BYTES_PER_SECOND)
    t = begin(rec, R_CCALL_RELEASE, seconds)
    rec.before_blocking(t, seconds)
    while size > 0:
        part = min(size, len(RELEASE_VIEW))
        release_call(view_prefix(RELEASE_VIEW, part))
        size -= part
    rec.event(R_OP_END)


def c_call_holding(rec, seconds, code=None):
    """`c_call` that keeps the GIL: sum() over a range, a loop in C with no check point, so no
    other thread runs Python until it returns (like a regular expression backtracking)."""
    items = int(seconds * HOLD_ITEMS_PER_SECOND)
    begin(rec, R_CCALL_HOLD if code is None else code, seconds)
    sum(xrange(items))
    rec.event(R_OP_END)


def load_module(rec, seconds):
    """`import` of a C extension: its loading is C work that keeps the GIL for `seconds`."""
    c_call_holding(rec, seconds, R_IMPORT)


def lock(rec, index):
    """`lock`: acquire() of a lock; a thread that finds it taken blocks with the GIL released."""
    t = clock()
    if t >= STOP_AT:
        raise Stopped()
    held = LOCK_OBJECTS[index]
    if held.acquire(False):
        rec.put(R_LOCK_TAKEN, index, 0, t)
    else:
        rec.put(R_LOCK_WAIT, index, 0, t)
        rec.flush()
        held.acquire()
        rec.event(R_LOCK_TAKEN, index)
    rec.held.append(held)


def unlock(rec, index):
    """`unlock`: release()."""
    held = LOCK_OBJECTS[index]
    rec.held.remove(held)
    held.release()
    rec.event(R_UNLOCK, index)


# A runtime whose `send` crosses processes sets SEND_WRITE: SEND then pickles the message,
# SEND_WRITE writes the pickle to the pipe, and a stamp between the two shows the pickling.
SEND_WRITE = None


def send(rec, size):
    """`send`: pass a message of `size` bytes on (SEND and SEND_WRITE, set by the runtime)."""
    payload = PAYLOADS[size]
    begin(rec, R_SEND, size)
    if SEND_WRITE is None:
        SEND(payload)
    else:
        message = SEND(payload)
        rec.event(R_PICKLED)
        SEND_WRITE(message)
    rec.event(R_OP_END)


class SharedObject(object):
    """What `read` reads an attribute of: an ordinary instance."""

    def __init__(self):
        self.value = 1


def shared_function():
    """What `read` of a function reads an attribute of."""


shared_function.value = 1


class SharedType(object):
    """What `read` of a class reads an attribute of."""
    value = 1


SHARED_MODULE = type(sys)('shared_module')  # what `read` of a module reads an attribute of
SHARED_MODULE.value = 1


def collect(rec, seconds):
    """`collect`: gc.collect(), C work that keeps the GIL, repeated until `seconds` have
    passed: this program's heap is small, so one collection takes far less than a real
    program's (which is what `seconds` stands for)."""
    import gc
    t = begin(rec, R_COLLECT, seconds)
    end = min(t + seconds, STOP_AT)
    gc.collect()
    while clock() < end:
        gc.collect()
    rec.event(R_OP_END)


def more(rec):
    """Whether a lane that repeats forever goes round again (STOP_AT ends it otherwise)."""
    return True


# ---- Lanes -------------------------------------------------------------------------------
def lane_failed(lane, error):
    import traceback
    global STOP_AT
    text = traceback.format_exc()
    sys.stderr.write(text)
    FAILED.append(lane)
    send_meta({'type': 'error', 'lane': lane, 'text': text[-2000:]})
    STOP_AT = clock()


def run_lane(lane, group):
    """The body of one lane: its group's program, between a start and an end record."""
    rec = Recorder(lane)
    program = GROUPS[group]
    if lane != MAIN_LANE:
        set_timer_slack()
    rec.event(R_THREAD_START)
    reason = 0
    try:
        program(rec)
    except Stopped:
        reason = 1
    except Exception as error:
        reason = 2
        lane_failed(lane, error)
    for held in rec.held:
        held.release()
    rec.event(R_THREAD_END, reason)
    rec.flush()
    DONE.append(rec.done)


DONE = []


def announce_start():
    """Time zero of the run, with its deadline and which lanes repeat forever: gilscope ends
    the trace at the deadline, or when the last finite lane ends."""
    global STOP_AT
    start = clock()
    if DURATION is not None:
        STOP_AT = start + DURATION
    send_meta({'type': 'start', 't': start,
               'stop_at': STOP_AT if STOP_AT < INFINITY else None,
               'forever': [forever for _, _, forever in LANES]})
    return start


def end_reason(start, end):
    if FAILED:
        return 'failed'
    if DURATION is not None and end >= start + DURATION:
        return 'duration'
    return 'finished'


def finish(start, end, reason, actual):
    """The last meta message, with each counter's final value; run by hand, a summary on
    stdout as well."""
    send_meta({'type': 'end', 't': end, 'reason': reason, 'counters': actual})
    if not BY_HAND:
        return
    print('%s: %s on Python %s, %.1f ms (%s)' % (
        SCENARIO, RUNTIME, sys.version.split()[0], (end - start) * 1e3, reason))
    for i, name in enumerate(COUNTERS):
        made = sum(done[i] for done in DONE)
        if RUNTIME in ('threads', 'asyncio'):
            print('  counter %s: %d increments, final value %d, %d lost'
                  % (name, made, actual[i], made - actual[i]))
        else:
            print('  counter %s: final value %d in the main interpreter' % (name, actual[i]))
