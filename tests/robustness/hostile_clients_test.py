#!/usr/bin/env python3
"""Hostile and careless clients against one cairnd. Each attack runs, then
the server must still answer a fresh client, and its resident memory must
stay bounded. Attacks:
  - random bytes on many connections (binary and text first bytes);
  - frames with body lengths just under, at and over the limit, and 4 GiB;
  - slow-loris senders (a partial frame trickled, then silence);
  - 5,000 idle connections at once;
  - clients that pipeline requests but never read the answers;
  - a flood of connections past --max-connections;
  - HTTP requests and the cross-protocol lines.
Usage: hostile_clients_test.py PATH_TO_CAIRND   (exit 0 pass, 1 fail)"""
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cairn_wire as w  # noqa: E402

MAX_FRAME = 1 << 20
MAX_CONNECTIONS = 0  # set in main: a little over IDLE
IDLE = 5000  # lowered at startup if the file descriptor limit is lower


def rss_kib(pid):
    for line in open('/proc/%d/status' % pid):
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
    return 0


def healthy(port):
    try:
        c = w.Client(port, timeout=10)
        status, _ = c.call(w.PUT, [b'health', b'ok'])
        got = c.get(b'health')
        c.close()
        return status == w.OK and got is not None and got[0] == b'ok'
    except OSError:
        return False


def connect(port):
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    return s


def drain_closed(s, timeout=5.0):
    """True if the server closes s within timeout (reading what it sends)."""
    s.settimeout(timeout)
    try:
        while s.recv(65536):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def random_bytes(port, rng):
    socks = []
    for i in range(200):
        s = connect(port)
        first = rng.choice([b'G', b'\xca', b'\x00', b'P'])
        s.sendall(first + os.urandom(rng.randrange(1, 4096)))
        socks.append(s)
    for s in socks:
        s.close()


def lengths_near_limits(port, failures):
    for length in (MAX_FRAME - 1, MAX_FRAME, MAX_FRAME + 1, 0xFFFFFFFF):
        s = connect(port)
        header = bytes([0xCA, 1, w.PUT, 0]) + struct.pack('>II', 77, length)
        s.sendall(header)
        if length > MAX_FRAME:
            s.settimeout(5)
            answer = s.recv(12)
            if len(answer) < 12 or answer[2] != 0x12 or struct.unpack('>I', answer[4:8])[0] != 77:
                failures.append('body length %d: expected TOO_LARGE echoing id 77, got %r'
                                % (length, answer))
            if not drain_closed(s):
                failures.append('body length %d: connection not closed' % length)
        else:
            # Under the limit: the server waits for the body; send a little
            # of it and leave (the frame timeout or our close ends it).
            s.sendall(b'\0' * 1000)
        s.close()


def slow_loris(port, failures):
    socks = []
    for i in range(50):
        s = connect(port)
        s.sendall(bytes([0xCA, 1, w.PUT, 0]) + struct.pack('>II', i, 100) + b'\0\0')
        socks.append(s)
    time.sleep(0.3)
    for s in socks:
        s.sendall(b'\0')  # a trickle, then silence past --frame-timeout-ms
    closed = sum(drain_closed(s, timeout=6) for s in socks)
    if closed != len(socks):
        failures.append('slow loris: %d of %d stalled connections closed' % (closed, len(socks)))
    for s in socks:
        s.close()


def idle_connections(port, failures):
    socks = []
    try:
        for i in range(IDLE):
            socks.append(connect(port))
    except OSError as e:
        failures.append('idle connections: only %d opened: %s' % (len(socks), e))
    if not healthy(port):
        failures.append('not serving with %d idle connections open' % len(socks))
    for s in socks:
        s.close()
    return len(socks)


def never_read(port, pid, failures):
    socks = []
    request = w.frame(w.GET, 1, [b'big'])
    for i in range(20):
        s = connect(port)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setblocking(False)
        socks.append(s)
    sent = 0
    deadline = time.time() + 5
    while time.time() < deadline:
        progress = False
        for s in socks:
            try:
                sent += s.send(request * 64)
                progress = True
            except BlockingIOError:
                pass
        if not progress:
            break
    rss = rss_kib(pid)
    for s in socks:
        s.close()
    return sent, rss


def connection_flood(port, failures):
    socks, busy = [], 0
    for i in range(MAX_CONNECTIONS + 50):
        try:
            socks.append(connect(port))
        except OSError:
            break
    for s in socks[-50:]:
        s.sendall(b'PING\n')
        s.settimeout(5)
        try:
            if s.recv(100).startswith(b'BUSY'):
                busy += 1
        except (socket.timeout, ConnectionResetError):
            pass
    if busy == 0:
        failures.append('connection flood: no connection over the limit got BUSY')
    for s in socks:
        s.close()
    return busy


def cross_protocol(port, failures):
    for line in (b'GET / HTTP/1.1\r\nHost: x\r\n\r\n', b'POST /x HTTP/1.0\r\n\r\n',
                 b'Host: evil\r\n', b'PUT k v HTTP/1.1\r\n'):
        s = connect(port)
        s.sendall(line)
        s.settimeout(5)
        received = b''
        try:
            while True:
                chunk = s.recv(100)
                if not chunk:
                    break
                received += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        if received.startswith(b'OK'):
            failures.append('cross-protocol line %r was executed: %r' % (line, received))
        s.close()


def main():
    cairnd = sys.argv[1]
    global IDLE, MAX_CONNECTIONS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = hard if hard != resource.RLIM_INFINITY else 20000
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(limit, 20000), hard))
    # Both ends of every connection live in this process tree.
    IDLE = min(IDLE, (min(limit, 20000) - 2500) // 2)
    MAX_CONNECTIONS = IDLE + 200
    work = tempfile.mkdtemp(prefix='cairn-hostile-')
    port_file = os.path.join(work, 'port')
    proc, port = w.start_cairnd(
        cairnd, os.path.join(work, 'data'), port_file, open(os.path.join(work, 'cairnd.log'), 'w'),
        ['--max-frame-bytes', str(MAX_FRAME), '--max-value-bytes', str(MAX_FRAME // 2),
         '--max-connections', str(MAX_CONNECTIONS), '--frame-timeout-ms', '1000',
         '--max-pending-bytes-per-connection', str(1 << 20)])
    failures = []
    rng = random.Random(7)
    c = w.Client(port)
    c.call(w.PUT, [b'big', os.urandom(200 * 1024)])
    c.close()
    base_rss = rss_kib(proc.pid)
    # Each attack with the memory it may add (KiB) to the RSS it found:
    # an idle connection may cost a few KiB, not a read buffer; a client that
    # never reads may hold its pending cap (1 MiB here) of answers waiting and
    # as much again being written, doubled for allocator slack.
    steps = [('random bytes on 200 connections', lambda: random_bytes(port, rng), 32 << 10),
             ('frame lengths near the limit and 4 GiB',
              lambda: lengths_near_limits(port, failures), 32 << 10),
             ('50 slow-loris senders', lambda: slow_loris(port, failures), 32 << 10),
             ('%d idle connections' % IDLE, lambda: idle_connections(port, failures), IDLE * 8),
             ('20 clients that never read', lambda: never_read(port, proc.pid, failures),
              20 * 4 * 1024 + (32 << 10)),
             ('connection flood past the limit', lambda: connection_flood(port, failures),
              MAX_CONNECTIONS * 8),
             ('HTTP and cross-protocol lines', lambda: cross_protocol(port, failures), 32 << 10)]
    # AddressSanitizer's redzones and quarantine multiply what every
    # allocation costs.
    sanitized = b'libasan' in subprocess.run(['ldd', cairnd], capture_output=True).stdout
    scale = 4 if sanitized else 1
    peak = base_rss
    for name, attack, allowance in steps:
        allowance *= scale
        before = rss_kib(proc.pid)
        result = attack()
        time.sleep(0.5)
        rss = max(rss_kib(proc.pid), result[1] if isinstance(result, tuple) else 0)
        peak = max(peak, rss)
        ok = healthy(port)
        print('  %-42s -> serving: %s, RSS %d MiB' % (name, 'yes' if ok else 'NO', rss // 1024))
        if not ok:
            failures.append('not serving after: ' + name)
        if rss > before + allowance:
            failures.append('%s: RSS grew from %d to %d KiB, over the %d KiB allowed'
                            % (name, before, rss, allowance))
        if proc.poll() is not None:
            failures.append('cairnd died during: ' + name)
            break
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    if code != 0:
        failures.append('cairnd exited %d after the attacks' % code)
    print('hostile clients: %d attacks, peak RSS %d MiB (started at %d MiB)'
          % (len(steps), peak // 1024, base_rss // 1024))
    for f in failures:
        print('FAIL:', f)
    if not failures:
        shutil.rmtree(work)
    else:
        print('log kept in', work)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
