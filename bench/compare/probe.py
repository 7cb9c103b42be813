"""The disk's own bound for one synchronous writer: write a ~140-byte
record (a 16-byte key, a 100-byte value and a log record's framing) and
fdatasync after each, like a durable store with one client and no batching.
Python's per-call cost is microseconds, far below one fdatasync.

Two shapes: appending to a new file (each sync also commits the file's new
size, as for Redis's AOF), and writing over a file already filled with
zeros (nothing but the data to commit, as for Cairn's log, which writes
zeros ahead of its appends)."""
import os
import time

RECORD = b'r' * 140
ZERO_FILLED_BYTES = 32 << 20


def fdatasync_rate(directory, seconds, zero_filled=False):
    """Returns (syncs per second, syncs) measured in a new file in directory."""
    path = os.path.join(directory, 'fdatasync-probe.dat')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        if zero_filled:
            os.write(fd, bytes(ZERO_FILLED_BYTES))
        os.fdatasync(fd)
        count = 0
        offset = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            if zero_filled and offset + len(RECORD) > ZERO_FILLED_BYTES:
                break
            os.pwrite(fd, RECORD, offset)
            os.fdatasync(fd)
            offset += len(RECORD)
            count += 1
        elapsed = time.perf_counter() - start
    finally:
        os.close(fd)
        os.unlink(path)
    return count / elapsed, count
