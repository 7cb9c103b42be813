#!/usr/bin/env python3
"""Full disk: runs cairnd on a small tmpfs (mounted here; needs root), writes
until the disk is full and checks that
  - writes then answer IO_ERROR and the store does not turn read-only;
  - reads keep working;
  - SNAPSHOT on the full disk fails cleanly, leaving the old snapshot whole;
  - once space is freed, writes succeed again;
  - after a restart every acknowledged write is there and no failed one is.
Usage: full_disk_test.py PATH_TO_CAIRND   (exit 0 pass, 1 fail, 77 skipped)"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cairn_wire as w  # noqa: E402

IO_ERROR = 0x20


def start(cairnd, data, port_file, log):
    return w.start_cairnd(cairnd, data, port_file, log,
                          ['--snapshot-every-bytes', '0', '--segment-bytes', '1048576'])


class Failed(Exception):
    pass


def last_line(log):
    log.flush()
    with open(log.name, 'rb') as f:
        return f.read().decode(errors='replace').strip().splitlines()[-1]


def main():
    cairnd = sys.argv[1]
    work = tempfile.mkdtemp(prefix='cairn-full-')
    mnt = os.path.join(work, 'mnt')
    os.mkdir(mnt)
    if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]).returncode != 0:
        print('full disk: cannot mount a tmpfs here (needs root); skipped')
        return 77
    failures = []
    proc = None
    try:
        filler = os.path.join(mnt, 'filler')
        with open(filler, 'wb') as f:
            f.write(b'\0' * (512 * 1024))
        data, port_file = os.path.join(mnt, 'data'), os.path.join(work, 'port')
        log = open(os.path.join(work, 'cairnd.log'), 'ab')
        proc, port = start(cairnd, data, port_file, log)
        c = w.Client(port)
        acked = {}
        for i in range(20):
            k, v = b'small-%d' % i, b'v%d' % i
            status, _ = c.call(w.PUT, [k, v])
            assert status == w.OK
            acked[k] = v
        status, _ = c.call(w.SNAPSHOT, [])
        assert status == w.OK, 'first snapshot failed'
        snapshots = {n: open(os.path.join(data, n), 'rb').read()
                     for n in os.listdir(data) if n.endswith('.snap')}

        errors, value = 0, os.urandom(64 * 1024)
        for i in range(200):
            k = b'big-%d' % i
            status, fields = c.call(w.PUT, [k, value])
            if status == w.OK:
                acked[k] = value
            elif status == IO_ERROR:
                errors += 1
                if c.get(k) is not None:
                    failures.append('PUT %r answered IO_ERROR but its value is visible' % k)
                if errors >= 3:
                    break
            else:
                failures.append('PUT on a full disk answered status %d %r' % (status, fields))
                break
        if errors == 0:
            failures.append('the disk never filled up')
        stats = json.loads(c.call(w.STATS, [])[1][0])
        if stats['read_only']:
            failures.append('a full disk made the store read-only')
        for k, v in acked.items():
            got = c.get(k)
            if got is None or got[0] != v:
                failures.append('read of acknowledged %r failed on the full disk' % k)
                break
        status, fields = c.call(w.SNAPSHOT, [])
        if status != IO_ERROR:
            failures.append('SNAPSHOT on a full disk answered %d, not IO_ERROR' % status)
        for n, contents in snapshots.items():
            if open(os.path.join(data, n), 'rb').read() != contents:
                failures.append('old snapshot %s changed by the failed snapshot' % n)
        if any(n.endswith('.tmp') for n in os.listdir(data)):
            failures.append('a failed snapshot left a .tmp file')

        os.remove(filler)
        status, fields = c.call(w.PUT, [b'after-free', b'yes'])
        if status != w.OK:
            failures.append('PUT after freeing space answered %d %r' % (status, fields))
        else:
            acked[b'after-free'] = b'yes'
        c.close()
        proc.send_signal(signal.SIGTERM)
        if proc.wait(timeout=30) != 0:
            failures.append('cairnd did not exit cleanly after the full disk')
        try:
            proc, port = start(cairnd, data, port_file, log)
        except RuntimeError as e:
            raise Failed('restart after the full disk failed (%s): %s' % (e, last_line(log)))
        c = w.Client(port)
        for k, v in acked.items():
            got = c.get(k)
            if got is None or got[0] != v:
                failures.append('after restart, acknowledged %r is %r' % (k, got and got[1]))
        total = c.stats_last_version()
        if total != len(acked):
            failures.append('%d versions after restart for %d acknowledged writes: a failed '
                            'write took a version or came back' % (total, len(acked)))
        c.close()
        print('full disk: %d acknowledged writes, %d IO_ERROR answers, snapshot refused, '
              'writes resumed, restart checked' % (len(acked), errors))
    except Failed as e:
        failures.append(str(e))
    finally:
        w.kill(proc)
        subprocess.run(['umount', mnt])
    for f in failures:
        print('FAIL:', f)
    if not failures:
        shutil.rmtree(work)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
