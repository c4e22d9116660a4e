"""What `counter += 1` and `counter += one()` on a global cost, in countdown bytecodes.

The loops are the ones gilscope's CPython program runs (`while n > 0: counter += 1; n -= 1`
and the same with `one()`): each is timed single-threaded, best of many, and the countdown
loop `while n > 0: n -= 1` alone is subtracted, which leaves the statement's own cost; it is
printed in units of one countdown bytecode (the countdown loop's time over its instruction
count, as gilscope's calibration measures a bytecode). Runs on Python 2.7 and 3.x:

    for v in 2.7.18 3.9.18 3.11.7 3.13.0; do ~/.pyenv/versions/$v/bin/python increment_cost.py; done
"""
import sys

from common import best, loop_instructions

counter = 0


def one():
    return 1


def countdown(n):
    while n > 0:
        n -= 1


def plain(n):
    global counter
    while n > 0:
        counter += 1
        n -= 1


def call(n):
    global counter
    while n > 0:
        counter += one()
        n -= 1




N = 20000
loop = best(countdown, N)
bytecode = loop / loop_instructions(countdown)
plain_cost = (best(plain, N) - loop) / bytecode
call_cost = (best(call, N) - loop) / bytecode
print('%-8s countdown %.2f ns/bytecode (%d a loop)   counter += 1: %.1f bytecodes   counter += one(): %.1f bytecodes'
      % (sys.version.split()[0], bytecode * 1e9, loop_instructions(countdown), plain_cost, call_cost))
