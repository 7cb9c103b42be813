#!/usr/bin/env python3
"""Limits every client is held to, token or not (docs/security.md): a
request must arrive whole within --frame-timeout-ms of its first byte;
answers must leave within --write-timeout-ms; a BATCH's operations and a text
line's arguments are counted before anything per operation or argument is
allocated; without a token, protected mode serves loopback peers only;
cairnd raises its RLIMIT_NOFILE to the hard limit. Attacks:
  - slow loris: requests trickled 1 byte every 0.5 s;
  - an authenticated 32 MiB text line `a a a ...`;
  - an authenticated 32 MiB BATCH of empty triples;
  - an authenticated client pipelining GETs of a 1 MiB value, never reading;
  - a non-loopback peer in protected mode, with it off, and with a token;
  - more connections than the soft RLIMIT_NOFILE cairnd was started with,
    and a --max-connections over the hard limit.
Usage: limits_attacks_test.py PATH_TO_CAIRND   (exit 0 pass, 1 fail)"""
import json
import os
import re
import resource
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attack_harness as h  # noqa: E402
import cairn_wire as w  # noqa: E402

FRAME_TIMEOUT_MS = 2000
DEADLINE_SERVER = h.ServerSpec(flags=('--frame-timeout-ms', FRAME_TIMEOUT_MS))
TOKEN_SERVER = h.ServerSpec(token=True)
WRITE_TIMEOUT_MS = 1500
MAX_PENDING = 4 << 20
WRITE_TIMEOUT_SERVER = h.ServerSpec(token=True, flags=(
    '--write-timeout-ms', WRITE_TIMEOUT_MS, '--max-pending-bytes-per-connection', MAX_PENDING))
PROTECTED_SERVER = h.ServerSpec(bind='0.0.0.0')
UNPROTECTED_SERVER = h.ServerSpec(bind='0.0.0.0', flags=('--protected-mode', 'no'))
TOKEN_ANY_ADDRESS_SERVER = h.ServerSpec(bind='0.0.0.0', token=True)
NOFILE_SOFT = 1024
NOFILE_SERVER = h.ServerSpec(nofile_soft=NOFILE_SOFT)
OVER_SOFT_NOFILE = NOFILE_SOFT + 200
# A 32 MiB request from a client with the token: its buffer may cost it
# three times over (the buffer, a copy as the buffer grows, one copy while
# it is checked) and no more, not per operation or per argument.
HUGE_REQUEST_KIB = 3 * (h.DEFAULT_MAX_FRAME >> 10) + (16 << 10)
SLACK_KIB = h.SLACK_KIB

suite = h.Suite('limits for everyone')


@suite.attack('slow loris: 40 requests trickled 1 byte every 0.5 s',
              SLACK_KIB + 40 * h.IDLE_CONNECTION_KIB, DEADLINE_SERVER)
def trickle(srv, fail):
    """20 binary frames and 20 text lines, each sent 1 byte every 0.5 s:
    --frame-timeout-ms (2 s here) bounds a whole request from its first
    byte, not the gap between bytes, so each must be closed within 4 s (2 s,
    a timer step of up to 1 s, this loop's step). Each holds a few bytes."""
    requests = [w.frame(w.PUT, 1, [b'k', b'v' * 100])] * 20 + [b'PUT k ' + b'v' * 100 + b'\n'] * 20
    socks = [h.connect(srv.port) for _ in requests]
    start = time.monotonic()
    open_at_limit = None  # those open at the first look past the limit
    for i in range(int(8 / 0.5)):
        open_now = [(s, r) for s, r in zip(socks, requests) if not h.peer_closed(s)]
        if open_at_limit is None and time.monotonic() - start > FRAME_TIMEOUT_MS / 1000 + 2.0:
            open_at_limit = open_now
        if not open_now:
            break
        for s, request in open_now:
            try:
                s.send(request[i:i + 1])
            except OSError:
                pass
        time.sleep(0.5)
    still_open = sum(not h.peer_closed(s) for s in socks)
    h.close_all(socks)
    if still_open:
        fail('%d of %d trickling connections still open after 8 s'
             % (still_open, len(socks)))
    elif open_at_limit:
        fail('%d of %d trickling connections open 4 s after their first byte'
             % (len(open_at_limit), len(socks)))


def huge_authenticated(srv, data, text, fail):
    """Sends data (one 32 MiB request) after AUTH; returns the answer (a line
    in text mode, else (status, id, body)), or fails if none comes in 30 s."""
    s = h.session(srv, text=text)
    sent = h.blast([s], data, seconds=30, stall=5)[0]
    answer = h.read_line(s, 30) if text else h.read_frame(s, 30)
    s.close()
    if not answer:
        fail('no answer after %d of %d bytes sent' % (sent, len(data)))
    return answer


@suite.attack('authenticated 32 MiB text line of "a a a"', HUGE_REQUEST_KIB, TOKEN_SERVER)
def a_a_a_line(srv, fail):
    """A 32 MiB line of 16 Mi one-byte arguments from a client with the
    token (within --max-frame-bytes): its arguments must be counted before
    the line is split, so it costs the line's buffer, not ~550 MiB of
    strings, and is answered with an error."""
    answer = huge_authenticated(srv, h.a_a_a_line(), True, fail)
    if answer and not h.is_error_line(answer):
        fail('answered %r, not an error' % answer[:60])


@suite.attack('authenticated 32 MiB BATCH of empty triples', HUGE_REQUEST_KIB, TOKEN_SERVER)
def empty_triples_batch(srv, fail):
    """A 32 MiB BATCH of 2.6 M empty puts from a client with the token: a
    BATCH has at most 100,000 operations, counted before any is allocated,
    so it costs the frame's buffer, not ~440 MiB of operations, and is
    answered BAD_REQUEST."""
    answer = huge_authenticated(srv, h.empty_triples_batch(), False, fail)
    if answer and answer[0] != h.BAD_REQUEST_STATUS:
        fail('answered status 0x%02x %r, not BAD_REQUEST' % (answer[0], answer[2][:60]))


def connections(c):
    """The server's count of open connections (STATS), c's own included."""
    status, fields = c.call(w.STATS, [])
    return json.loads(fields[0])['connections'] if status == w.OK else None


@suite.attack('write-progress timeout: pipelined GETs of a 1 MiB value, never read',
              SLACK_KIB + 3 * (MAX_PENDING >> 10) + 4 * 1024, WRITE_TIMEOUT_SERVER)
def never_reads(srv, fail):
    """A client with the token pipelines GETs of a 1 MiB value and reads
    nothing: once its buffers are full no byte of the answers leaves, and
    --write-timeout-ms (1.5 s here) must close it within 3 s of our sends
    stalling (seen as the RST of a socket closed with requests unread, or in
    STATS). Until then it holds --max-pending-bytes-per-connection (4 MiB)
    of answers waiting, a copy of them as their buffer grows and the answers
    being written (3 x 4 MiB), and the PUT of the value costs 4 x 1 MiB
    (request, parsed, log, memtable); 14 MiB measured without the timeout."""
    c = srv.client()
    c.call(w.PUT, [b'big', os.urandom(1 << 20)])
    s = h.session(srv, rcvbuf=4096)
    h.blast([s], w.frame(w.GET, 1, [b'big']) * 10000, seconds=10, stall=1)
    if not h.wait_until(lambda: h.peer_closed(s) or connections(c) == 1,
                        WRITE_TIMEOUT_MS / 1000 + 1.5):
        fail('the connection that reads nothing is still open %.1f s after it stalled'
             % (WRITE_TIMEOUT_MS / 1000 + 1.5))
    s.close()
    c.close()


def non_loopback_address():
    """This machine's own IPv4 address that is not loopback (the source of a
    UDP socket connected to a documentation address, which sends nothing,
    else the first global one `ip -4 addr` lists), or None."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.connect(('192.0.2.1', 9))
        address = u.getsockname()[0]
        if not address.startswith('127.'):
            return address
    except OSError:
        pass
    finally:
        u.close()
    try:
        out = subprocess.run(['ip', '-4', '-o', 'addr'], capture_output=True, text=True).stdout
    except OSError:
        return None
    found = [a for a in re.findall(r'inet (\d+\.\d+\.\d+\.\d+)/', out) if not a.startswith('127.')]
    return found[0] if found else None


def own_address():
    address = non_loopback_address()
    if address is None:
        raise h.Skip('this machine has no non-loopback IPv4 address to connect from')
    return address


def refused_as_protected(srv, address, first_bytes, fail, what):
    """Sends first_bytes from address: the answer must be UNAUTHORIZED
    naming protected mode (text) or an UNAUTHORIZED frame (binary), and the
    connection closed."""
    s = h.connect(srv.port, host=address)
    s.sendall(first_bytes)
    received, closed = h.read_until_closed(s, 3)
    s.close()
    if what == 'text':
        ok = received.startswith(b'UNAUTHORIZED') and b'protected mode' in received.lower()
    else:
        ok = received[:3] == bytes([0xCB, 1, h.UNAUTHORIZED_STATUS])
    if not ok:
        fail('%s from %s: expected UNAUTHORIZED (protected mode), got %r'
             % (what, address, received[:80]))
    if not closed:
        fail('%s from %s: connection not closed' % (what, address))


@suite.attack('protected mode: a non-loopback peer without a token', SLACK_KIB, PROTECTED_SERVER)
def protected_mode(srv, fail):
    """cairnd bound to 0.0.0.0 without a token serves loopback peers only
    (--protected-mode yes, the default): a peer connecting to this machine's
    own non-loopback address is answered UNAUTHORIZED, text or binary, and
    closed, while 127.0.0.1 is served. Nothing is buffered."""
    address = own_address()
    refused_as_protected(srv, address, b'PING\n', fail, 'text')
    refused_as_protected(srv, address, w.frame(w.PING, 4, []), fail, 'binary')
    if not srv.healthy():
        fail('a loopback client is not served in protected mode')


@suite.attack('protected mode off: a non-loopback peer is served', SLACK_KIB, UNPROTECTED_SERVER)
def unprotected(srv, fail):
    """With --protected-mode no, the same non-loopback peer is served."""
    address = own_address()
    if not srv.healthy(address):
        fail('a client from %s is not served with --protected-mode no' % address)


@suite.attack('a token on 0.0.0.0: a non-loopback peer is served after AUTH', SLACK_KIB,
              TOKEN_ANY_ADDRESS_SERVER)
def token_any_address(srv, fail):
    """With a token, protected mode has nothing to protect: a non-loopback
    peer that AUTHs is served."""
    address = own_address()
    if not srv.healthy(address):
        fail('a client from %s is not served after AUTH' % address)


def nofile_limits(pid):
    """(soft, hard) 'Max open files' of a process, from /proc/PID/limits."""
    with open('/proc/%d/limits' % pid) as f:
        for line in f:
            if line.startswith('Max open files'):
                soft, hard = line.split()[3:5]
                return int(soft), int(hard)
    return None


def warns_about_max_connections(srv, hard):
    """Starts one more cairnd with the soft limit 1024 and --max-connections
    over the hard limit: it must start, with a warning naming
    --max-connections. Returns what failed, or None."""
    spec = NOFILE_SERVER._replace(flags=('--max-connections', hard + 1000))
    try:
        other = h.Server(srv.cairnd, srv.dir, spec, 2)
    except RuntimeError as e:
        return str(e)
    other.stop()
    with open(other.log.name) as f:
        warned = [line for line in f if 'warn' in line.lower() and
                  ('max-connections' in line or 'max_connections' in line)]
    return None if warned else ('--max-connections %d over the hard RLIMIT_NOFILE %d: no warning '
                                'naming it in the log (%s)' % (hard + 1000, hard,
                                                               w.log_tail(other.log, 2)))


@suite.attack('%d connections to a cairnd started with RLIMIT_NOFILE soft %d'
              % (OVER_SOFT_NOFILE, NOFILE_SOFT),
              SLACK_KIB + OVER_SOFT_NOFILE * h.IDLE_CONNECTION_KIB, NOFILE_SERVER)
def nofile(srv, fail):
    """cairnd started with a soft RLIMIT_NOFILE of 1024 under a higher hard
    limit raises it to the hard limit, so it serves more connections than
    1024 (idle, a few KiB each); and a --max-connections over the hard limit
    is warned about and lowered, not left to fail at accept time."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < OVER_SOFT_NOFILE * 2 + 300:
        raise h.Skip('the hard RLIMIT_NOFILE (%d) is too low to exceed a soft 1024' % hard)
    limits = nofile_limits(srv.proc.pid)
    if limits is None or limits[0] != limits[1]:
        fail('RLIMIT_NOFILE (soft, hard) of cairnd is %s, not raised to the hard limit' % (limits,))
    socks = h.connect_many(srv.port, OVER_SOFT_NOFILE)
    if not srv.healthy(timeout=3):
        fail('a fresh client is not served with %d connections open' % len(socks))
    h.close_all(socks)
    problem = warns_about_max_connections(srv, limits[1] if limits else hard)
    if problem:
        fail(problem)


if __name__ == '__main__':
    sys.exit(suite.main(sys.argv))
