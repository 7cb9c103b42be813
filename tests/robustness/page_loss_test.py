#!/usr/bin/env python3
"""Page loss: a power cut during the fdatasync of a group of writes that spans
several 4 KiB pages may keep any subset of the pages written since the last
sync (writeback order is not file order). This builds such a state by hand:
  1. cairnd --fsync always takes 300 sequential PUTs, each acknowledged;
  2. the test notes where the log's records end (they are followed by the
     zeros the log writes ahead of itself);
  3. it sends one pipelined burst of 12 PUTs of 1,000-byte values in one
     send and kills cairnd with SIGKILL without reading any answer, so none
     of the burst is acknowledged;
  4. it zeroes the log from the burst's first byte to the next 4 KiB
     boundary (the lost first page) and leaves the later pages, which hold
     later records of the burst.
Then cairnd must start on the directory with the default strict recovery
and
  - every acknowledged PUT reads back with its value;
  - each burst key is absent or has its exact value, and the present ones
    are a prefix of the burst's order;
  - a PUT after the restart succeeds and survives another restart.
Usage: page_loss_test.py PATH_TO_CAIRND   (exit 0 pass, 1 fail)"""
import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cairn_wire as w  # noqa: E402

ACKED = 300
BURST = 12
BURST_VALUE_BYTES = 1000
# Seconds between the burst's send and the kill, per attempt: at once first;
# if the writer had not written the burst by then, give it time.
KILL_DELAYS = (0, 0, 0, 0.05, 0.05, 0.1)


def acked_key(i):
    return b'acked-%03d' % i


def acked_value(i):
    return b'value-%03d-' % i + b'a' * (i % 50)


def burst_key(i):
    return b'burst-%02d' % i


def burst_value(i):
    return (b'%02d' % i) * (BURST_VALUE_BYTES // 2)


class Failed(Exception):
    pass


def start(cairnd, data, port_file, log):
    return w.start_cairnd(cairnd, data, port_file, log,
                          ['--fsync', 'always', '--shards', '2', '--snapshot-every-bytes', '0'])


def build_state(cairnd, data, port_file, log, delay):
    """Steps 1-3. Returns (segment path, where the acknowledged records end,
    the burst's end in the file, the number of burst records in the file)."""
    proc, port = start(cairnd, data, port_file, log)
    try:
        c = w.Client(port)
        for i in range(ACKED):
            status, fields = c.call(w.PUT, [acked_key(i), acked_value(i)])
            if status != w.OK:
                raise Failed('PUT %d answered %d %r before any fault' % (i, status, fields))
        segment = w.newest_segment(data)
        contents = open(segment, 'rb').read()
        end, starts = w.walk_records(contents)
        if len(starts) != ACKED:
            raise Failed('%d records in %s before the burst, expected %d'
                         % (len(starts), segment, ACKED))
        burst = b''.join(w.frame(w.PUT, 1000 + i, [burst_key(i), burst_value(i)])
                         for i in range(BURST))
        c.sock.sendall(burst)  # the answers are never read: nothing of it is acknowledged
        if delay:
            time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        c.close()
    finally:
        w.kill(proc)
    burst_end, burst_starts = w.walk_records(open(segment, 'rb').read(), end)
    return segment, end, burst_end, len(burst_starts)


def check_store(port, expect_extra=None):
    """Checks the acknowledged PUTs and the burst; returns (failures, burst
    keys recovered)."""
    failures = []
    c = w.Client(port)
    for i in range(ACKED):
        got = c.get(acked_key(i))
        if got is None or got[0] != acked_value(i):
            failures.append('acknowledged %r is %r after the restart'
                            % (acked_key(i), got and got[0][:40]))
    present = []
    for i in range(BURST):
        got = c.get(burst_key(i))
        if got is not None:
            present.append(i)
            if got[0] != burst_value(i):
                failures.append('burst key %r came back with a value that was never written: %r'
                                % (burst_key(i), got[0][:40]))
    if present != list(range(len(present))):
        failures.append('burst keys recovered %r are not a prefix of the burst order' % present)
    if expect_extra:
        got = c.get(expect_extra[0])
        if got is None or got[0] != expect_extra[1]:
            failures.append('%r, written after the first restart, is %r after the second'
                            % (expect_extra[0], got))
    c.close()
    return failures, present


def main():
    cairnd = sys.argv[1]
    work = tempfile.mkdtemp(prefix='cairn-pageloss-')
    port_file = os.path.join(work, 'port')
    log = open(os.path.join(work, 'cairnd.log'), 'ab')
    failures = []
    proc = None
    attempts = missed = 0
    summary = 'page loss: no attempt got the burst into the log'
    try:
        for delay in KILL_DELAYS:
            attempts += 1
            data = os.path.join(work, 'data-%d' % attempts)
            segment, end, burst_end, burst_records = build_state(cairnd, data, port_file, log,
                                                                 delay)
            boundary = (end // w.PAGE_BYTES + 1) * w.PAGE_BYTES
            with open(segment, 'rb') as f:
                f.seek(boundary)
                later_page = f.read(w.PAGE_BYTES)
            if burst_end > boundary and any(later_page):
                break
            missed += 1  # the kill came before the writer wrote the burst past the first page
        else:
            raise Failed('in %d attempts the burst never reached the page after the first one '
                         '(the test proves nothing)' % attempts)
        with open(segment, 'r+b') as f:
            f.seek(end)
            f.write(b'\0' * (boundary - end))
        what = ('zeroed %d bytes at offset %d of %s (acknowledged records end there; the burst\'s '
                '%d records in the file end at %d), attempt %d, %d missed'
                % (boundary - end, end, os.path.basename(segment), burst_records, burst_end,
                   attempts, missed))
        summary = 'page loss: ' + what + '; restart refused'
        try:
            proc, port = start(cairnd, data, port_file, log)
        except RuntimeError as e:
            raise Failed('strict restart after losing the first page of an unacknowledged '
                         'group failed (%s): %s' % (e, w.log_tail(log)))
        f, present = check_store(port)
        failures += f
        c = w.Client(port)
        extra = (b'after-restart', b'written after the page loss')
        status, fields = c.call(w.PUT, list(extra))
        c.close()
        if status != w.OK:
            failures.append('PUT after the restart answered %d %r' % (status, fields))
        proc.send_signal(signal.SIGTERM)
        if proc.wait(timeout=30) != 0:
            failures.append('cairnd did not exit cleanly on SIGTERM: %s' % w.log_tail(log))
        try:
            proc, port = start(cairnd, data, port_file, log)
        except RuntimeError as e:
            raise Failed('second restart failed (%s): %s' % (e, w.log_tail(log)))
        f, present_again = check_store(port, extra if status == w.OK else None)
        failures += f
        if present_again != present:
            failures.append('burst keys %r after the first restart, %r after the second'
                            % (present, present_again))
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        summary = ('page loss: %s; restarted twice: %d acknowledged PUTs checked, %d of %d burst '
                   'keys recovered' % (what, ACKED, len(present), BURST))
    except Failed as e:
        failures.append(str(e))
    finally:
        w.kill(proc)
    print(summary)
    return w.finish(failures, work, 'data and log')


if __name__ == '__main__':
    sys.exit(main())
