# ---- Runtime: subinterpreters ------------------------------------------------------------
# One interpreter per lane, each with its own GIL (PEP 684, isolated configuration), each run
# by a thread of the main interpreter. Every interpreter has its own modules and globals, so a
# plain counter is each one's own copy. A `send` is pickled, as passing an object that is not
# shareable between interpreters costs. A lane that repeats forever checks a pipe between two
# rounds to learn that the run is over. As a user's code does, the main thread creates the
# interpreters, one after another, and hands each to a thread of its own that runs the
# program in it: loading it (its modules imported afresh, under that interpreter's own GIL)
# overlaps the next creation, and each lane begins once its interpreter has loaded it.
import pickle

SEND = pickle.dumps
LOCK_OBJECTS = []
STOP_READ = None
SUB_SOURCE = '''
namespace = {'__name__': '__gilscope_sub__', '__file__': %r}
exec(compile(open(%r).read(), %r, 'exec'), namespace)
namespace['subinterpreter_main'](%d, %d, %r)
'''


def interpreters_module():
    return __import__(SUBINTERPRETERS)


def new_interpreter():
    if SUBINTERPRETERS == '_interpreters':
        return interpreters_module().create('isolated')
    return interpreters_module().create(isolated=True)


def not_told_to_stop(rec):
    """Whether a lane that repeats forever goes round again: until the main interpreter
    writes to the stop pipe."""
    return not select.select([STOP_READ], [], [], 0)[0]


def subinterpreter_main(lane, group, settings):
    """Runs one lane in this (sub)interpreter."""
    global STOP_AT, STOP_READ, more
    settings = json.loads(settings)
    open_channel()
    apply_calibration(settings['calibration'])
    if settings['stop_at'] is not None:
        STOP_AT = settings['stop_at']
    STOP_READ = settings['stop_fd']
    more = not_told_to_stop
    sys.setswitchinterval(SWITCH_INTERVAL)
    run_lane(lane, group)


def run_interpreter(interpreter, lane, group, settings):
    """The main interpreter's thread for one lane: loads the program into its interpreter
    and runs the lane there."""
    path = os.path.abspath(__file__)
    try:
        failure = interpreters_module().run_string(
            interpreter, SUB_SOURCE % (path, path, path, lane, group, settings))
    except Exception as error:
        lane_failed(lane, error)
        return
    if failure is not None:  # Python 3.13 returns what the interpreter raised
        FAILED.append(lane)
        send_meta({'type': 'error', 'lane': lane, 'text': str(failure)[-2000:]})


def main():
    global STOP_AT
    setup()
    calibration = calibrate()
    send_meta(hello())
    send_meta(calibration)
    stop_read, stop_write = os.pipe()
    start = announce_start()
    settings = json.dumps({'calibration': calibration, 'stop_fd': stop_read,
                           'stop_at': STOP_AT if STOP_AT < INFINITY else None})
    threads = []
    for lane, (name, group, forever) in enumerate(LANES):
        try:
            interpreter = new_interpreter()
        except Exception as error:
            lane_failed(lane, error)
            continue
        thread = threading.Thread(target=run_interpreter,
                                  args=(interpreter, lane, group, settings), name=name)
        thread.daemon = True
        thread.start()
        threads.append((thread, forever))
    finite = [thread for thread, forever in threads if not forever]
    for thread in finite:
        thread.join()
    if finite:
        STOP_AT = min(clock(), STOP_AT)
        os.write(stop_write, b'x')
    end = STOP_AT
    for thread, _ in threads:
        thread.join()
    finish(start, end, end_reason(start, end), counter_values())
    sys.stderr.flush()
    # Tearing the interpreters down hangs or crashes some 3.12 releases; the process ends here.
    os._exit(1 if FAILED else 0)
