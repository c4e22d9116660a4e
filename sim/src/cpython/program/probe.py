# What gilscope needs to know about this interpreter, as one JSON line on stdout.
import multiprocessing


def countdown(n):
    while n > 0:
        n -= 1


def release_call():
    """The C call that really releases the GIL on this build, if any: zlib on every CPython,
    hashlib only when it is backed by OpenSSL (the built-in fallbacks keep the GIL)."""
    if zlib is not None:
        return 'zlib.compress'
    import hashlib
    if hashlib.sha256.__name__.startswith('openssl'):
        return 'hashlib.sha256'
    return None


def subinterpreters():
    """The module that makes interpreters with their own GIL (PEP 684, 3.12 and later);
    `_xxsubinterpreters` exists since 3.8, but until 3.12 its interpreters share one GIL."""
    if sys.version_info < (3, 12):
        return None
    for name in ('_interpreters', '_xxsubinterpreters'):
        try:
            __import__(name)
            return name
        except ImportError:
            pass
    return None


def probe():
    facts = {
        'free_threaded': bool(sysconfig.get_config_var('Py_GIL_DISABLED')),
        'gil_enabled': sys._is_gil_enabled() if hasattr(sys, '_is_gil_enabled') else True,
        'affinity': hasattr(os, 'sched_setaffinity'),
        'asyncio': sys.version_info >= (3, 6),
        'subinterpreters': subinterpreters(),
        'start_methods': (multiprocessing.get_all_start_methods()
                          if hasattr(multiprocessing, 'get_all_start_methods') else ['fork']),
        'release_call': release_call(),
    }
    try:
        import ctypes
        facts['ctypes'] = True
    except ImportError:
        facts['ctypes'] = False
    instructions = loop_instructions(countdown)
    iterations = 1000000
    clock = getattr(time, 'perf_counter', time.time)
    best = float('inf')
    for _ in range(5):
        start = clock()
        countdown(iterations)
        best = min(best, clock() - start)
    facts['loop_instructions'] = instructions
    facts['bytecode_ns'] = best / (iterations * instructions) * 1e9
    return facts


sys.stdout.write(json.dumps(probe()) + '\n')
