from __future__ import division, print_function

import array
import dis
import errno
import json
import os
import select
import struct
import sys
import sysconfig
import threading
import time

try:
    import zlib
except ImportError:  # a build without zlib: c_call releasing the GIL falls back to hashlib
    zlib = None

try:
    xrange
except NameError:  # Python 3
    xrange = range
