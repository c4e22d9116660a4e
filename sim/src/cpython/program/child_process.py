# ---- Child processes: what multiprocessing and the process pools share --------------------
# A child process of the run (one per lane, or a pool's worker): its start method's context,
# its own channel for its records, dying with the main process, and the stop signal that ends a
# lane that repeats forever.
import multiprocessing
import signal

LOCK_OBJECTS = []
STOP_VALUE = None  # STOP_AT, shared by every process of the run


def context():
    if hasattr(multiprocessing, 'get_context'):
        return multiprocessing.get_context(START_METHOD)
    return multiprocessing  # Python 2.7: fork is the only start method


def stop_now(signum, frame):
    """SIGUSR1 from the main process: the run is over."""
    global STOP_AT
    STOP_AT = STOP_VALUE.value


def start_child(settings, stop):
    """A child process starts: its channel, its stop signal, the run's settings."""
    global STOP_AT, STOP_VALUE
    open_channel()
    die_with_parent(settings['parent'])
    STOP_VALUE = stop
    signal.signal(signal.SIGUSR1, stop_now)
    STOP_AT = stop.value  # a stop sent before the handler was set was ignored, not lost
    if hasattr(sys, 'setswitchinterval'):
        sys.setswitchinterval(SWITCH_INTERVAL)
    apply_calibration(settings['calibration'])
