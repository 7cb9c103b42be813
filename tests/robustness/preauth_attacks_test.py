#!/usr/bin/env python3
"""Attacks by clients that do not know the token (docs/security.md), against
a cairnd started with --auth-token-file. Before AUTH a connection may send
requests of at most 16 KiB (a larger one is answered TOO_LARGE and closed as
soon as its header, or its 16,385th line byte, arrives), is served only AUTH,
PING (payload of at most 64 bytes) and QUIT, may have at most 16 KiB of
answers waiting, is closed after --auth-timeout-ms, and is the first closed
when --max-unauthenticated-connections is reached. So every attack here may
cost the server a few MiB at most, whatever the attacker sends. Attacks:
  - requests at and just over the 16 KiB limit, PING payloads at 64 and 65;
  - one 32 MiB text line `a a a ...`;
  - one 32 MiB binary BATCH of empty triples;
  - 100 clients sending `PING <32 MiB of 0x80>` and never reading;
  - 50 clients pipelining PINGs and never reading;
  - idle and PING-only sockets past the auth deadline;
  - a flood of unauthenticated sockets past --max-connections while a real
    client connects, AUTHs, PUTs and GETs.
Usage: preauth_attacks_test.py PATH_TO_CAIRND   (exit 0 pass, 1 fail)"""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attack_harness as h  # noqa: E402
import cairn_wire as w  # noqa: E402

PREAUTH_MAX = 16384       # the largest request before AUTH
PREAUTH_PING_MAX = 64     # the largest PING payload echoed before AUTH
TOKEN_SERVER = h.ServerSpec(token=True)
AUTH_TIMEOUT_MS = 1000
AUTH_DEADLINE_SERVER = h.ServerSpec(token=True, flags=('--auth-timeout-ms', AUTH_TIMEOUT_MS))
# The flood: more sockets than --max-connections, which is twice the cap on
# unauthenticated ones; scaled down together if descriptors are short.
FLOOD_SCALE = min(1.0, (h.fd_limit() - 300) / 2000)
FLOOD, MAX_CONNECTIONS = int(800 * FLOOD_SCALE), int(600 * FLOOD_SCALE)
UNAUTH_CAP, AUTHENTICATED = int(300 * FLOOD_SCALE), int(100 * FLOOD_SCALE)
FLOOD_SERVER = h.ServerSpec(token=True, flags=(
    '--max-connections', MAX_CONNECTIONS, '--max-unauthenticated-connections', UNAUTH_CAP))
# What one unauthenticated connection may cost at most: 16 KiB of answers
# waiting and one answer over it, the rest of one 64 KiB read kept (or 16 KiB
# of request), and what an idle one costs, rounded up. Checking the answer
# cap only between reads is not enough: the answers to one 64 KiB read of
# PINGs of 0x80 are 256 KiB (today's per-read pending check, with the cap set
# to 16 KiB, let each such connection cost ~340 KiB).
PER_CONNECTION_KIB = 100
SLACK_KIB = h.SLACK_KIB

suite = h.Suite('pre-auth')


def ping_of_0x80():
    """`PING <0x80 x (32 MiB - 6)>\\n`: a line just within --max-frame-bytes
    whose echo, quoted as \\x80, would be four times as large."""
    return b'PING ' + b'\x80' * (h.DEFAULT_MAX_FRAME - 6) + b'\n'


def shown(answer):
    """An answer (a line, or (status, id, body)) shortened for a message."""
    return answer[:60] if isinstance(answer, bytes) else answer and answer[:2] + (answer[2][:60],)


def is_error_frame(answer):
    return answer is not None and answer[0] >= h.BAD_REQUEST_STATUS


def exchanges(srv, steps, read, fail):
    """On one fresh connection, sends each step's request in turn and reads
    its answer with read; fails each answer its step's check rejects.
    steps: (what is sent, request, check(answer), what is expected)."""
    s = h.connect(srv.port)
    for what, request, check, expected in steps:
        s.sendall(request)
        answer = read(s)
        if not check(answer):
            fail('%s: expected %s, got %r' % (what, expected, shown(answer)))
    return s


def too_large_and_closed(srv, what, request, read, is_too_large, fail):
    """request (a header or a line's first bytes, over 16 KiB) on a fresh
    connection must be answered TOO_LARGE at once and the connection closed."""
    s = exchanges(srv, [(what, request, is_too_large, 'TOO_LARGE at once')],
                  lambda s: read(s, 2), fail)
    if not h.read_until_closed(s, 2)[1]:
        fail('%s: connection not closed within 2 s' % what)
    s.close()


def binary_limits(srv, fail):
    """The binary half of preauth_boundaries."""
    header = bytes([0xCA, 1, w.PUT, 0]) + struct.pack('>II', 5, PREAUTH_MAX + 1)
    too_large_and_closed(srv, 'binary header declaring a %d-byte body' % (PREAUTH_MAX + 1),
                         header, h.read_frame,
                         lambda a: a is not None and a[:2] == (h.TOO_LARGE_STATUS, 5), fail)
    payload = b'p' * PREAUTH_PING_MAX
    echoed = lambda a: a is not None and a[0] == w.OK and a[2][4:] == payload  # noqa: E731
    exchanges(srv, [
        ('binary PING of a %d-byte body' % PREAUTH_MAX,
         w.frame(w.PING, 1, [b'p' * (PREAUTH_MAX - 4)]), is_error_frame, 'an error'),
        ('binary PING of %d payload bytes' % (PREAUTH_PING_MAX + 1),
         w.frame(w.PING, 2, [payload + b'p']), is_error_frame, 'an error'),
        ('binary GET', w.frame(w.GET, 3, [b'k']),
         lambda a: a and a[0] == h.UNAUTHORIZED_STATUS, 'UNAUTHORIZED'),
        ('binary PING of %d payload bytes' % PREAUTH_PING_MAX,
         w.frame(w.PING, 4, [payload]), echoed, 'its payload echoed'),
    ], h.read_frame, fail).close()


def text_limits(srv, fail):
    """The text half of preauth_boundaries."""
    too_large_and_closed(srv, '%d bytes of a text line' % (PREAUTH_MAX + 1),
                         b'a' * (PREAUTH_MAX + 1), h.read_line,
                         lambda a: a.startswith(b'TOO_LARGE'), fail)
    payload = b'p' * PREAUTH_PING_MAX
    unauthorized = lambda a: a.startswith(b'UNAUTHORIZED')  # noqa: E731
    s = exchanges(srv, [
        ('text PING line of %d bytes' % PREAUTH_MAX,
         b'PING ' + b'p' * (PREAUTH_MAX - 5) + b'\n', h.is_error_line, 'an error'),
        ('text PING of %d payload bytes' % (PREAUTH_PING_MAX + 1),
         b'PING ' + payload + b'p\n', h.is_error_line, 'an error'),
        ('text line `a a a ...` of %d bytes' % (PREAUTH_MAX - 1),
         b'a ' * (PREAUTH_MAX // 2 - 1) + b'a\n', unauthorized, 'UNAUTHORIZED'),
        ('text GET', b'GET k\n', unauthorized, 'UNAUTHORIZED'),
        ('text PING of %d payload bytes' % PREAUTH_PING_MAX, b'PING ' + payload + b'\n',
         lambda a: a == b'OK "' + payload + b'"', 'its payload echoed'),
        ('text QUIT', b'QUIT\n', lambda a: a == b'OK', 'OK'),
    ], h.read_line, fail)
    if not h.read_until_closed(s, 2)[1]:
        fail('QUIT before AUTH: connection not closed within 2 s')
    s.close()


@suite.attack('pre-auth limits at their boundaries', SLACK_KIB, TOKEN_SERVER)
def preauth_boundaries(srv, fail):
    """Before AUTH: a frame header declaring 16,385 body bytes is answered
    TOO_LARGE and closed without its body; 16,385 bytes of a text line are
    answered TOO_LARGE and closed without a newline; a request of exactly
    16,384 bytes is served (a PING that long gets an error, the connection
    stays; a line of 8,192 arguments whose command is not AUTH, PING or QUIT
    is UNAUTHORIZED); a PING payload of 64 bytes is echoed, 65 is an error;
    GET is UNAUTHORIZED; QUIT closes. A few connections of 16 KiB at most:
    the allocator's slack is the bound."""
    binary_limits(srv, fail)
    text_limits(srv, fail)


def huge_unauthenticated(srv, data, fail, answer_starts):
    """Sends data (one request of 32 MiB) on a connection that has not
    authenticated: the server must close it once the request proves too
    large; an answer, if one can still be read, must start answer_starts."""
    s = h.connect(srv.port)
    sent = h.blast([s], data, seconds=20, stall=2)[0]
    received, closed = h.read_until_closed(s, 3)
    s.close()
    if not closed:
        fail('connection not closed after %d of %d bytes sent (answer %r)'
             % (sent, len(data), received[:60]))
    if received and not received.startswith(answer_starts):
        fail('answered %r' % received[:60])


@suite.attack('pre-auth 32 MiB text line of "a a a"', SLACK_KIB, TOKEN_SERVER)
def preauth_a_a_a_line(srv, fail):
    """A 32 MiB line of one-byte arguments before AUTH (today's server splits
    it into 16 Mi strings, ~550 MiB, to answer UNKNOWN_OPCODE): it must be cut
    at 16 KiB, so the server holds one 16 KiB buffer for it."""
    huge_unauthenticated(srv, h.a_a_a_line(), fail, b'TOO_LARGE')


@suite.attack('pre-auth 32 MiB BATCH of empty triples', SLACK_KIB, TOKEN_SERVER)
def preauth_empty_triples_batch(srv, fail):
    """A 32 MiB BATCH of empty triples before AUTH (today's server buffers
    the body and parses 2.6 M operations, ~440 MiB, to answer UNAUTHORIZED):
    its header alone must get TOO_LARGE, so nothing of the body is kept."""
    huge_unauthenticated(srv, h.empty_triples_batch(), fail, b'\xcb\x01\x12')


@suite.attack('100 clients PING <32 MiB of 0x80> before AUTH, never reading',
              SLACK_KIB + 100 * PER_CONNECTION_KIB, TOKEN_SERVER)
def preauth_ping_flood(srv, fail):
    """100 connections each send a 32 MiB PING of 0x80 bytes (each would be
    echoed as 128 MiB of `\\x80`) and read nothing: each must be closed at its
    16,385th byte, so the server holds 100 x 16 KiB at most."""
    socks = h.connect_many(srv.port, 100, rcvbuf=4096)
    sent = h.blast(socks, ping_of_0x80(), seconds=30, stall=2)
    time.sleep(0.5)
    open_ones = sum(not h.peer_closed(s) for s in socks)
    h.close_all(socks)
    if open_ones:
        fail('%d of %d connections still open after %d MiB sent'
             % (open_ones, len(socks), sum(sent) >> 20))


@suite.attack('50 clients pipelining PINGs before AUTH, never reading',
              SLACK_KIB + 50 * PER_CONNECTION_KIB, TOKEN_SERVER)
def preauth_pipelined_pings(srv, fail):
    """50 connections pipeline `PING <64 bytes of 0x80>` (each answer four
    times its request) and read nothing: past 16 KiB of answers waiting the
    server must stop reading them, so each costs PER_CONNECTION_KIB at most,
    not --max-pending-bytes-per-connection (64 MiB). The clients give up
    once the server has taken nothing for 3 s (a server busy answering also
    stalls them for a while)."""
    pings = (b'PING ' + b'\x80' * PREAUTH_PING_MAX + b'\n') * ((64 << 20) // 70)
    socks = h.connect_many(srv.port, 50, rcvbuf=4096)
    sent = h.blast(socks, pings, seconds=10, stall=3)
    h.close_all(socks)
    if any(n == len(pings) for n in sent):
        fail('the server read all %d MiB of PINGs from %d of %d clients'
             % (len(pings) >> 20, sum(n == len(pings) for n in sent), len(socks)))


def closed_by_server(s, ping):
    """True if the server has closed s; with ping, found by sending `PING`
    (an activity that must not hold the auth deadline off)."""
    if not ping:
        return h.peer_closed(s)
    try:
        return h.text_call(s, b'PING', 1) == b''
    except OSError:
        return True


def seen_closed(socks, start, timeout, ping=False):
    """Watches socks every 0.25 s until the server has closed them all or
    timeout (from start) passes; returns the ones still open."""
    left = list(socks)
    while left and time.monotonic() < start + timeout:
        left = [s for s in left if not closed_by_server(s, ping)]
        time.sleep(0.25)
    return left


def open_sockets(socks):
    return [s for s in socks if not h.peer_closed(s)]


def pings_answered(socks):
    """How many of socks (binary, authenticated) answer a PING."""
    answered = 0
    for s in socks:
        try:
            s.sendall(w.frame(w.PING, 9, []))
        except OSError:
            continue
        answered += h.read_frame(s) is not None
    return answered


@suite.attack('idle and PING-only sockets past the auth deadline',
              SLACK_KIB + 110 * h.IDLE_CONNECTION_KIB, AUTH_DEADLINE_SERVER)
def auth_deadline(srv, fail):
    """100 idle connections and 10 that send PING every 0.25 s without AUTH
    must all be closed once --auth-timeout-ms (1 s here) has passed (within
    2 s of it: a timer step of up to 1 s, and a loaded machine), and none at
    0.5 s; a connection that AUTHs at once stays open. Idle connections cost
    a few KiB each."""
    start = time.monotonic()
    idle = h.connect_many(srv.port, 100)
    pinging = h.connect_many(srv.port, 10)
    authed = h.session(srv, text=True)
    time.sleep(0.5)
    if any(h.peer_closed(s) for s in idle):
        fail('idle unauthenticated connections closed within 0.5 s')
    limit = AUTH_TIMEOUT_MS / 1000 + 2.0
    for what, socks, ping in (('PING-only', pinging, True), ('idle', idle, False)):
        left = seen_closed(socks, start, limit, ping)
        if left:
            fail('%d of %d %s connections still open %.1f s after connecting'
                 % (len(left), len(socks), what, limit))
    if h.text_call(authed, b'PING') != b'OK':
        fail('the authenticated connection was not served past the auth deadline')
    h.close_all(idle + pinging + [authed])


@suite.attack('flood of unauthenticated sockets past --max-connections',
              SLACK_KIB + (FLOOD + AUTHENTICATED) * h.IDLE_CONNECTION_KIB, FLOOD_SERVER)
def unauthenticated_flood(srv, fail):
    """With AUTHENTICATED clients connected, FLOOD idle sockets (more than
    --max-connections) arrive: the oldest unauthenticated ones are closed to
    keep them at --max-unauthenticated-connections, authenticated clients are
    not counted in that cap (nor closed), and a client that then connects,
    AUTHs, PUTs and GETs is served. Idle sockets cost a few KiB each."""
    authed = [h.session(srv) for _ in range(AUTHENTICATED)]
    flood = h.connect_many(srv.port, FLOOD)
    if len(flood) < FLOOD:
        fail('only %d of %d flood sockets connected' % (len(flood), FLOOD))
    h.wait_until(lambda: len(open_sockets(flood)) <= UNAUTH_CAP, 3)
    still_open = open_sockets(flood)
    if len(still_open) > UNAUTH_CAP:
        fail('%d flood sockets open, over --max-unauthenticated-connections %d'
             % (len(still_open), UNAUTH_CAP))
    elif len(still_open) < UNAUTH_CAP - AUTHENTICATED // 2:
        fail('only %d flood sockets left open: authenticated clients were counted in '
             '--max-unauthenticated-connections %d' % (len(still_open), UNAUTH_CAP))
    elif open_sockets(flood[:FLOOD - UNAUTH_CAP - 10]):
        fail('newer flood sockets were closed before the oldest ones')
    if not srv.healthy():
        fail('a client that connects, AUTHs, PUTs and GETs was not served during the flood')
    answered = pings_answered(authed)
    if answered != len(authed):
        fail('%d of %d authenticated clients not served after the flood'
             % (len(authed) - answered, len(authed)))
    h.close_all(authed + flood)


if __name__ == '__main__':
    sys.exit(suite.main(sys.argv))
