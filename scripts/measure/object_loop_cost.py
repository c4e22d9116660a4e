"""What an iteration of the `read` and `mutate` loops costs, in countdown bytecodes.

The loops are the ones gilscope's CPython program runs (`sim/src/cpython/program/ops.rs`):
`while n > 0: OBJECT.value; n -= 1` for a `read` of one object every thread shares (an
instance, a function, a module or a class, a module global), `own.value` for a `read` with
`per_thread = true` (an instance in a local), and `DICT[n] = n` for a `mutate` (a module-global
dict, its keys already there, as from the program's second chunk on). Each is timed
single-threaded, best of many, and printed as the whole iteration's cost and as the statement's
own (the countdown loop `while n > 0: n -= 1` subtracted), both in units of one countdown
bytecode (the countdown loop's time over its instruction count, as gilscope's calibration
measures a bytecode). Also printed, for `sim/tests/free_threaded.rs`: the loops of the published
free-threading benchmarks it reproduces, as their authors wrote them (`for _ in range(n)`).
Runs on Python 2.7 and 3.x:

    for v in 2.7.18 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0; do
        ~/.pyenv/versions/$v/bin/python scripts/measure/object_loop_cost.py
    done
"""
import sys
import threading

from common import best, loop_instructions

try:
    range_ = xrange  # noqa: F821 (Python 2.7)
except NameError:
    range_ = range


class SharedObject(object):
    def __init__(self):
        self.value = 1


def shared_function():
    pass


shared_function.value = 1


class SharedType(object):
    value = 1


SHARED_MODULE = type(sys)('shared_module')
SHARED_MODULE.value = 1

OBJECT_INSTANCE = SharedObject()
OBJECT_FUNCTION = shared_function
OBJECT_MODULE = SHARED_MODULE
OBJECT_TYPE = SharedType
DICT = {}


def countdown(n):
    while n > 0:
        n -= 1


def read_instance(n):
    while n > 0:
        OBJECT_INSTANCE.value
        n -= 1


def read_function(n):
    while n > 0:
        OBJECT_FUNCTION.value
        n -= 1


def read_module(n):
    while n > 0:
        OBJECT_MODULE.value
        n -= 1


def read_type(n):
    while n > 0:
        OBJECT_TYPE.value
        n -= 1


def read_own(n):
    own = SharedObject()
    while n > 0:
        own.value
        n -= 1


def mutate(n):
    while n > 0:
        DICT[n] = n
        n -= 1


# The published benchmarks' loops (sim/tests/free_threaded.rs).
D = {'key': 1}
LOCK = threading.Lock()


def dict_get(n):  # modern-di#435: a raw `dict.get` of one shared value
    d = D
    for _ in range_(n):
        d.get('key')


def lock_locked(n):  # cpython#134761: `lock.locked()` on one lock
    lock = LOCK
    for _ in range_(n):
        lock.locked()


def three_attribute_reads(n):  # cpython#139103: shared_instance_attribute
    obj = OBJECT_INSTANCE
    for _ in range_(n):
        obj.value
        obj.value
        obj.value




N = 20000
loop = best(countdown, N, warm_up=True)
own_instructions = loop_instructions(countdown)
bytecode = loop / own_instructions
print('%-8s countdown %.2f ns/bytecode (%d a loop); load %s'
      % (sys.version.split()[0], bytecode * 1e9, own_instructions,
         ' '.join(open('/proc/loadavg').read().split()[:3])))
for function in (read_instance, read_function, read_module, read_type, read_own, mutate,
                 dict_get, lock_locked, three_attribute_reads):
    iteration = best(function, N, warm_up=True) / bytecode
    published = function in (dict_get, lock_locked, three_attribute_reads)
    statement = '' if published else '   statement %5.1f' % (iteration - own_instructions)
    print('  %-22s %2d instructions   iteration %5.1f bytecodes%s'
          % (function.__name__, loop_instructions(function), iteration, statement))
