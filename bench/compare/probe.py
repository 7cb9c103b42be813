"""The disk's own bound for one synchronous writer: append a ~140-byte
record (a 16-byte key, a 100-byte value and a log record's framing) and
fdatasync after each, like a durable store with one client and no batching.
Python's per-call cost is microseconds, far below one fdatasync."""
import os
import time

RECORD = b'r' * 140


def fdatasync_rate(directory, seconds):
    """Returns (syncs per second, syncs) measured in a new file in directory."""
    path = os.path.join(directory, 'fdatasync-probe.dat')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
    try:
        os.fdatasync(fd)
        count = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            os.write(fd, RECORD)
            os.fdatasync(fd)
            count += 1
        elapsed = time.perf_counter() - start
    finally:
        os.close(fd)
        os.unlink(path)
    return count / elapsed, count
