#!/usr/bin/env python3
"""Sync failure: when an fdatasync of the log fails (EIO), Linux reports the
error once and may already have dropped the dirty pages; a later fdatasync
returns 0. Whichever thread saw the error (the writer's group sync, or the
snapshot thread, which syncs the log too), no write whose record was not
synced before the failure may be acknowledged, and the store must turn
read-only.

Each run starts cairnd --fsync always under strace, which fails the N-th
fdatasync of each thread with EIO (-e inject=fdatasync:error=EIO:when=N,
counted per thread), while 4 clients (one connection each, text mode) send
sequential PUTs of unique keys and another connection sends SNAPSHOT in a
loop. It checks
  1. in the trace: after the first fdatasync of a log segment that returned
     EIO, no OK for a PUT is sent unless a successful fdatasync of that
     segment ran after the PUT's record was written and ended before the
     failure began; every OK follows such a sync;
  2. at the clients: no OK answers a PUT sent after any client received an
     error answer; once the log's sync failed, STATS says read_only;
  3. after stopping cairnd (SIGTERM in even runs, SIGKILL in odd ones) and a
     restart without strace: every PUT answered OK is there with its value,
     no PUT answered with an error is (keys are never reused), and PUTs
     without an answer may be either.
Usage: sync_failure_test.py PATH_TO_CAIRND   (exit 0 pass, 1 fail, 77 skipped)"""
import collections
import json
import os
import re
import signal
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cairn_wire as w  # noqa: E402
import strace_trace  # noqa: E402

WRITERS = 4
# Before the writers start, PRE_SNAPSHOTS snapshots of the empty store take
# one fdatasync each (of the snapshot file) in the snapshot thread. Then
# strace fails the fdatasyncs numbered `when` of every thread (it counts per
# thread): a number up to PRE_SNAPSHOTS fails one of the writer's group
# syncs; the range just above it fails the snapshot thread's next syncs, long
# before the writer has made that many groups: snapshot files' (the snapshot
# fails, the store stays writable) until the snapshot thread syncs the log,
# which it does when a group is written but not yet synced (each pwrite is
# delayed by 1 ms, under the writer's log mutex, so that this happens often).
PRE_SNAPSHOTS = 20
INJECT_AT = ('3', '8', '21..60', '21..60', '21..60', '21..60')
RUN_SECONDS = 2.0        # writing time per run, at most
ERRORS_PER_WRITER = 5    # a writer stops after this many error answers
LOG_SYNC = re.compile(r'^fdatasync\(\d+<([^>]*/log-\d+\.wal)> ?\)')
SYNCED_FILE = re.compile(r'^fdatasync\(\d+<([^>]*)>')
LOG_WRITE = re.compile(r'^pwrite64\(\d+<[^>]*/log-\d+\.wal>,')
OK_ANSWER = re.compile(r'OK (\d+)\\n')
lock = threading.Lock()


def key(writer, seq):
    return b'w%d-%d' % (writer, seq)


def value(writer, seq):
    return b'v-w%d-%d-' % (writer, seq) + b'x' * (seq % 40)


class Writer(threading.Thread):
    """Sequential PUTs of fresh keys; records (key, sent, answer, received)
    per request, answer None when none came."""

    def __init__(self, index, port, first_error, deadline):
        super().__init__(daemon=True)
        self.index, self.port = index, port
        self.first_error = first_error   # shared: [receive time of the first error answer]
        self.deadline = deadline
        self.requests = []

    def run(self):
        try:
            conn = socket.create_connection(('127.0.0.1', self.port), timeout=10)
            reader = conn.makefile('rb')
        except OSError:
            return
        errors = 0
        seq = 0
        try:
            while time.monotonic() < self.deadline and errors < ERRORS_PER_WRITER:
                seq += 1
                entry = [seq, time.monotonic(), None, None]
                self.requests.append(entry)
                conn.sendall(b'PUT %s %s\n' % (key(self.index, seq), value(self.index, seq)))
                answer = reader.readline()
                if not answer:
                    break
                entry[2], entry[3] = answer.rstrip(b'\n'), time.monotonic()
                if not answer.startswith(b'OK '):
                    errors += 1
                    with lock:
                        if not self.first_error or entry[3] < self.first_error[0]:
                            self.first_error[:] = [entry[3]]
        except OSError:
            pass  # the stop, or a timeout: the request in flight stays unanswered
        finally:
            conn.close()


def snapshot_loop(port, deadline, results):
    try:
        c = w.Client(port)
        while time.monotonic() < deadline:
            status, _ = c.call(w.SNAPSHOT, [])
            results.append(status)
        c.close()
    except (OSError, ConnectionError):
        pass


def read_only(port):
    c = w.Client(port)
    status, fields = c.call(w.STATS, [])
    c.close()
    return status == w.OK and json.loads(fields[0])['read_only']


def check_trace(trace, oks):
    """oks: {version: key} of the PUTs answered OK. Returns (failures, the
    injected failures as (thread, path) pairs, the first failed fdatasync of
    the log as (path, False, start, end) or None, the writer's thread)."""
    failures = []
    calls = strace_trace.parse(trace, with_pid=True)
    injected = [(pid, SYNCED_FILE.match(a).group(1)) for pid, n, a, s, e in calls
                if n == 'fdatasync' and '(INJECTED)' in a]
    log_syncs = []     # (path, ok, start, end)
    first_write = {}   # key -> end of the first pwrite of the log that held it
    sends = {}         # version -> start of the send that carried "OK version"
    writer_tid = None  # the thread that writes records to the log
    for pid, name, args, start, end in calls:
        m = LOG_SYNC.match(args)
        if name == 'fdatasync' and m:
            log_syncs.append((m.group(1), ') = 0 <' in args, start, end))
        elif name == 'pwrite64' and LOG_WRITE.match(args):
            for k in re.findall(r'(w\d+-\d+)v-', args):
                first_write.setdefault(k.encode(), end)
                writer_tid = writer_tid or pid
        elif name in ('sendto', 'sendmsg', 'write', 'writev') and 'socket:' in args.split(',', 1)[0]:
            for v in OK_ANSWER.findall(args):
                sends.setdefault(int(v), start)
    failed = [x for x in log_syncs if not x[1]]
    first_failure = failed[0] if failed else None
    for version, k in sorted(oks.items()):
        if k not in first_write or version not in sends:
            failures.append('%r answered OK %d: record write or answer not in the trace' %
                            (k, version))
            continue
        written, sent = first_write[k], sends[version]
        synced = [(s, e) for path, ok, s, e in log_syncs if ok and s >= written and e <= sent]
        if not synced:
            failures.append('%r answered OK %d without a successful fdatasync of the log between '
                            'its write and the answer' % (k, version))
        elif first_failure and sent > first_failure[2] and not any(
                e <= first_failure[2] for s, e in synced):
            failures.append(
                '%r answered OK %d at %.6f: its record was written at %.6f, the fdatasync of %s '
                'failed with EIO at %.6f before it was synced, and a later fdatasync returned 0'
                % (k, version, sent, written, os.path.basename(first_failure[0]),
                   first_failure[2]))
    return failures, injected, first_failure, writer_tid


def check_restarted(port, writers):
    """OK answers are there with their values; error answers are not."""
    failures = []
    c = w.Client(port)
    for wr in writers:
        for seq, sent, answer, received in wr.requests:
            if answer is None:
                continue  # in flight at the stop: either is right
            got = c.get(key(wr.index, seq))
            if answer.startswith(b'OK ') and (got is None or got[0] != value(wr.index, seq)):
                failures.append('%r answered %r is %r after the restart'
                                % (key(wr.index, seq), answer, got))
            elif not answer.startswith(b'OK ') and got is not None:
                failures.append('%r answered %r came back after the restart'
                                % (key(wr.index, seq), answer))
    c.close()
    return failures


def run(cairnd, work, index, n):
    """One run; returns (failures, summary counts)."""
    data = os.path.join(work, 'data-%d' % index)
    port_file, trace = os.path.join(work, 'port'), os.path.join(work, 'trace-%d' % index)
    log = open(os.path.join(work, 'cairnd-%d.log' % index), 'ab')
    failures = []
    proc, port = w.start_cairnd(
        cairnd, data, port_file, log,
        ['--fsync', 'always', '--shards', '1', '--snapshot-every-bytes', '0'],
        ['strace', '-f', '-tt', '-T', '-y', '-s', '512', '-o', trace, '-e',
         'trace=openat,pwrite64,write,writev,sendto,sendmsg,fdatasync,fsync',
         '-e', 'inject=fdatasync:error=EIO:when=%s' % n,
         '-e', 'inject=pwrite64:delay_exit=1ms'])
    try:
        c = w.Client(port)
        for _ in range(PRE_SNAPSHOTS):
            c.call(w.SNAPSHOT, [])
        c.close()
        deadline = time.monotonic() + RUN_SECONDS
        first_error = []
        writers = [Writer(i, port, first_error, deadline) for i in range(WRITERS)]
        snapshots = []
        snapshotter = threading.Thread(target=snapshot_loop, args=(port, deadline, snapshots),
                                       daemon=True)
        for t in writers + [snapshotter]:
            t.start()
        for t in writers + [snapshotter]:
            t.join(timeout=RUN_SECONDS + 15)
        ro = read_only(port)
        if index % 2 == 0:
            os.kill(strace_trace.traced_pid(proc), signal.SIGTERM)
        else:
            os.kill(strace_trace.traced_pid(proc), signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        w.kill(proc)

    oks, errors = {}, []
    for wr in writers:
        for seq, sent, answer, received in wr.requests:
            if answer is None:
                continue
            if answer.startswith(b'OK '):
                oks[int(answer.split()[1])] = key(wr.index, seq)
                if first_error and sent > first_error[0]:
                    failures.append('%r sent after a client received an error answer, answered %r'
                                    % (key(wr.index, seq), answer))
            else:
                errors.append((key(wr.index, seq), answer))
    f, injected, first_failure, writer_tid = check_trace(trace, oks)
    failures += f
    if first_failure and not ro:
        failures.append('the fdatasync of the log failed but STATS does not say read_only')

    try:
        proc, port = w.start_cairnd(cairnd, data, port_file, log, ['--fsync', 'always'])
    except RuntimeError as e:
        failures.append('restart without strace failed (%s): %s' % (e, w.log_tail(log)))
        proc = None
    if proc:
        try:
            failures += check_restarted(port, writers)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        finally:
            w.kill(proc)
    counts = collections.Counter(
        ('the writer thread' if t == writer_tid else 'thread %d' % t, os.path.basename(p))
        for t, p in injected)
    where = ', '.join('%s in %s x%d' % (p, t, c) for (t, p), c in sorted(counts.items())) or 'none'
    return (['N=%s: %s' % (n, x) for x in failures],
            {'injected': len(injected), 'log_failed': first_failure is not None,
             'oks': len(oks), 'errors': len(errors), 'where': where})


def main():
    cairnd = sys.argv[1]
    if not strace_trace.can_trace():
        print('sync failure: strace cannot trace here (ptrace not permitted); skipped')
        return 77
    if not strace_trace.can_inject():
        print('sync failure: this strace cannot inject faults (-e inject=); skipped')
        return 77
    work = tempfile.mkdtemp(prefix='cairn-syncfail-')
    failures = []
    totals = {'injected': 0, 'log_runs': 0, 'oks': 0, 'errors': 0}
    started = time.monotonic()
    try:
        for index, n in enumerate(INJECT_AT):
            f, counts = run(cairnd, work, index, n)
            failures += f
            totals['injected'] += counts['injected']
            totals['log_runs'] += counts['log_failed']
            totals['oks'] += counts['oks']
            totals['errors'] += counts['errors']
            print('  N=%s: %d OK, %d error answers; injected EIO into: %s%s'
                  % (n, counts['oks'], counts['errors'], counts['where'],
                     '; %d failures' % len(f) if f else ''))
    finally:
        print('sync failure: %d runs (N = %s), %d injected fdatasync failures (%d runs failed a '
              'log sync), %d OK answers and %d error answers checked in the trace and after '
              'restarts, %.1f s' % (len(INJECT_AT), ' '.join(INJECT_AT),
                                    totals['injected'], totals['log_runs'], totals['oks'],
                                    totals['errors'], time.monotonic() - started))
    return w.finish(failures, work, 'traces, data and logs')


if __name__ == '__main__':
    sys.exit(main())
