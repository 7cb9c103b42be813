#!/usr/bin/env python3
"""fsync discipline, seen from outside: runs cairnd under strace with
--fsync always, sends sequential PUTs and a SNAPSHOT over text mode, and
checks in the system-call trace that
  1. every PUT's answer leaves only after an fdatasync of the log segment
     that started after the record was written and ended before the answer;
  2. a new log segment's directory is fsynced before records go into it;
  3. each snapshot rename is followed by an fsync of the directory before
     SNAPSHOT is answered.
Usage: fsync_discipline_test.py PATH_TO_CAIRND   (exit 0 pass, 1 fail, 77 skipped)"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cairn_wire  # noqa: E402
import strace_trace  # noqa: E402

PUTS = 40


def main():
    cairnd = sys.argv[1]
    if not strace_trace.can_trace():
        print('fsync discipline: strace cannot trace here (ptrace not permitted); skipped')
        return 77
    work = tempfile.mkdtemp(prefix='cairn-strace-')
    data, port_file, trace = (os.path.join(work, n) for n in ('data', 'port', 'trace'))
    server, port = cairn_wire.start_cairnd(
        cairnd, data, port_file, open(os.path.join(work, 'cairnd.log'), 'w'),
        ['--fsync', 'always', '--shards', '2'],
        ['strace', '-f', '-tt', '-T', '-y', '-s', '256', '-o', trace, '-e',
         'trace=openat,pwrite64,write,writev,sendto,sendmsg,fdatasync,fsync,rename'])
    conn = socket.create_connection(('127.0.0.1', port))
    reader = conn.makefile('rb')
    for i in range(1, PUTS + 1):
        conn.sendall(b'PUT key-%d value-%d\n' % (i, i))
        answer = reader.readline()
        assert answer == b'OK %d\n' % i, answer
    conn.sendall(b'SNAPSHOT\n')
    assert reader.readline().startswith(b'OK '), 'SNAPSHOT failed'
    conn.close()
    # Signal cairnd itself (strace's child), not strace.
    os.kill(strace_trace.traced_pid(server), signal.SIGTERM)
    assert server.wait(timeout=30) == 0, 'cairnd did not exit cleanly'

    calls = strace_trace.parse(trace)
    failures = []
    wal_writes = {}   # key number -> end time of the pwrite that logged it
    wal_syncs = []    # (start, end)
    acks = {}         # version -> start time of the send that carried it
    snapshot_ack = None
    for name, args, start, end in calls:
        if name == 'pwrite64' and '.wal>' in args.split(',', 1)[0]:
            for k in re.findall(r'key-(\d+)', args):
                wal_writes.setdefault(int(k), end)
        elif name == 'fdatasync' and '.wal>' in args:
            wal_syncs.append((start, end))
        elif name in ('sendto', 'sendmsg', 'write', 'writev') and 'socket:' in args.split(',', 1)[0]:
            for v in re.findall(r'OK (\d+)\\n', args):
                if int(v) not in acks:
                    acks[int(v)] = start
                elif snapshot_ack is None:
                    snapshot_ack = start  # SNAPSHOT answers "OK <covered>" = last version
    for i in range(1, PUTS + 1):
        if i not in wal_writes or i not in acks:
            failures.append('PUT %d: record write or answer not seen in the trace' % i)
            continue
        if not any(s >= wal_writes[i] and e <= acks[i] for s, e in wal_syncs):
            failures.append('PUT %d answered at %.6f without an fdatasync of the log between '
                            'its write (%.6f) and the answer' % (i, acks[i], wal_writes[i]))

    def dir_synced_after(t, until):
        return any(n == 'fsync' and a.startswith('fsync(') and a.split(')', 1)[0].endswith(
            '<%s>' % data) and s >= t and e <= until for n, a, s, e in calls)

    creations = [(a, e) for n, a, s, e in calls
                 if n == 'openat' and 'O_CREAT' in a and re.search(r'log-\d+\.wal"', a)]
    for args, end in creations:
        first_record = min((t for t in wal_writes.values() if t > end), default=float('inf'))
        if not dir_synced_after(end, first_record):
            failures.append('segment created without a directory fsync before its records: '
                            + args[:120])
    renames = [(a, e) for n, a, s, e in calls if n == 'rename' and '.snap.tmp' in a]
    if not renames:
        failures.append('no snapshot rename seen')
    for args, end in renames:
        if not dir_synced_after(end, snapshot_ack or float('inf')):
            failures.append('snapshot renamed without a directory fsync before the answer: '
                            + args[:120])

    print('fsync discipline: %d PUTs, %d log syncs, %d segment creations, %d snapshot renames '
          'checked in %d system calls' % (PUTS, len(wal_syncs), len(creations), len(renames),
                                          len(calls)))
    for f in failures:
        print('FAIL:', f)
    if not failures:
        subprocess.run(['rm', '-rf', work])
    else:
        print('trace kept in', trace)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
