import os, platform, sys
sys.stdout.write('%s|%s|%s\n' % (
    platform.python_implementation(),
    '.'.join([str(part) for part in sys.version_info[:3]]) + (
        '' if sys.version_info[3] == 'final' else
        '-%s%d' % (sys.version_info[3], sys.version_info[4])),
    os.path.realpath(sys.executable)))
