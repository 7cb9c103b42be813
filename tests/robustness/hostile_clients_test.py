#!/usr/bin/env python3
"""Hostile and careless clients against one cairnd without a token. After
each attack the server must still answer a fresh client, and the attack may
add no more than its bound to cairnd's peak resident memory (attack_harness
says how that is measured and reported). Attacks:
  - random bytes on many connections (binary and text first bytes);
  - frames with body lengths just under, at and over the limit, and 4 GiB;
  - slow-loris senders (a partial frame trickled, then silence);
  - 5,000 idle connections at once;
  - clients that pipeline requests but never read the answers;
  - a flood of connections past --max-connections;
  - HTTP requests and the cross-protocol lines;
  - a TLS ClientHello.
The pre-auth attacks are in preauth_attacks_test.py, the deadlines and
request shapes every client is held to in limits_attacks_test.py.
Usage: hostile_clients_test.py PATH_TO_CAIRND   (exit 0 pass, 1 fail)"""
import os
import random
import ssl
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attack_harness as h  # noqa: E402
import cairn_wire as w  # noqa: E402

MAX_FRAME = 1 << 20
MAX_PENDING = 1 << 20
# Both ends of every connection live in this process tree.
IDLE = h.scaled(5000, 2, reserve=2500)
MAX_CONNECTIONS = IDLE + 200
PLAIN = h.ServerSpec(flags=(
    '--max-frame-bytes', MAX_FRAME, '--max-value-bytes', MAX_FRAME // 2,
    '--max-connections', MAX_CONNECTIONS, '--frame-timeout-ms', 1000,
    '--max-pending-bytes-per-connection', MAX_PENDING))
PER_CONNECTION_KIB = h.IDLE_CONNECTION_KIB
SLACK_KIB = h.SLACK_KIB

suite = h.Suite('hostile clients (no token)')


@suite.attack('random bytes on 200 connections', SLACK_KIB + 200 * (4 + PER_CONNECTION_KIB),
              PLAIN)
def random_bytes(srv, fail):
    """Up to 4 KiB of random bytes after a binary or text first byte on each
    of 200 connections: each is closed or waits, holding at most what it
    sent (a frame header declaring a large body reserves nothing)."""
    rng = random.Random(7)
    socks = []
    for _ in range(200):
        s = h.connect(srv.port)
        s.sendall(rng.choice([b'G', b'\xca', b'\x00', b'P']) + os.urandom(rng.randrange(1, 4096)))
        socks.append(s)
    h.close_all(socks)


@suite.attack('frame lengths near the limit and 4 GiB', SLACK_KIB, PLAIN)
def lengths_near_limits(srv, fail):
    """Headers declaring MAX_FRAME - 1, MAX_FRAME, MAX_FRAME + 1 and 4 GiB:
    the ones over the limit are answered TOO_LARGE (echoing the id) and
    closed at once, without the body; the others wait for a body of which
    1,000 bytes come. Nothing is allocated for body bytes that have not
    come, so the bound is the allocator's slack alone."""
    for length in (MAX_FRAME - 1, MAX_FRAME, MAX_FRAME + 1, 0xFFFFFFFF):
        s = h.connect(srv.port)
        s.sendall(bytes([0xCA, 1, w.PUT, 0]) + struct.pack('>II', 77, length))
        if length > MAX_FRAME:
            answer = h.read_frame(s)
            if answer is None or answer[:2] != (h.TOO_LARGE_STATUS, 77):
                fail('body length %d: expected TOO_LARGE echoing id 77, got %r' % (length, answer))
            if not h.read_until_closed(s, 5)[1]:
                fail('body length %d: connection not closed' % length)
        else:
            s.sendall(b'\0' * 1000)  # the frame timeout or our close ends it
        s.close()


@suite.attack('50 slow-loris senders', SLACK_KIB + 50 * PER_CONNECTION_KIB, PLAIN)
def slow_loris(srv, fail):
    """50 connections send part of a frame, a byte more, then nothing: each
    must be closed by --frame-timeout-ms (1 s here); each holds a few bytes."""
    socks = []
    for i in range(50):
        s = h.connect(srv.port)
        s.sendall(bytes([0xCA, 1, w.PUT, 0]) + struct.pack('>II', i, 100) + b'\0\0')
        socks.append(s)
    time.sleep(0.3)
    for s in socks:
        s.sendall(b'\0')
    closed = sum(h.read_until_closed(s, 6)[1] for s in socks)
    if closed != len(socks):
        fail('%d of %d stalled connections closed' % (closed, len(socks)))
    h.close_all(socks)


@suite.attack('%d idle connections' % IDLE, SLACK_KIB + IDLE * PER_CONNECTION_KIB, PLAIN)
def idle_connections(srv, fail):
    """IDLE connections that send nothing, open at once, while a fresh client
    must be served: an idle connection holds no read buffer (before that fix
    5,000 of them took 328 MiB, a 64 KiB buffer each)."""
    socks = h.connect_many(srv.port, IDLE)
    if len(socks) < IDLE:
        fail('only %d of %d connections opened' % (len(socks), IDLE))
    if not srv.healthy():
        fail('not serving with %d idle connections open' % len(socks))
    h.close_all(socks)


# Requests a connection may have read and not answered (kMaxSlots in
# server/connection.cc), and what each costs there, rounded up.
MAX_REQUESTS_IN_FLIGHT, REQUEST_IN_FLIGHT_BYTES = 16384, 128


@suite.attack('20 clients that never read', SLACK_KIB + 200 + 20 * (
    3 * MAX_PENDING + MAX_REQUESTS_IN_FLIGHT * REQUEST_IN_FLIGHT_BYTES) // 1024, PLAIN)
def never_read(srv, fail):
    """20 clients pipeline GETs of a 200 KiB value and never read: each may
    hold --max-pending-bytes-per-connection (1 MiB) of answers waiting, a
    copy as their buffer grows and one answer being written (3 MiB), and
    up to 16,384 GETs read but not answered (2 MiB), so at most 5 MiB each,
    plus the value stored; 75 MiB measured in all (before that fix they grew
    the server past 7 GiB)."""
    c = srv.client()
    c.call(w.PUT, [b'big', os.urandom(200 * 1024)])
    c.close()
    socks = [h.connect(srv.port, rcvbuf=4096) for _ in range(20)]
    h.blast(socks, w.frame(w.GET, 1, [b'big']) * 100000, seconds=8, stall=2)
    time.sleep(1)  # the server answers what its buffers hold, up to its cap
    h.close_all(socks)


@suite.attack('connection flood past the limit', SLACK_KIB + MAX_CONNECTIONS * PER_CONNECTION_KIB,
              PLAIN)
def connection_flood(srv, fail):
    """MAX_CONNECTIONS + 50 connections: the ones over the limit are answered
    BUSY (and closed) when they speak."""
    socks = h.connect_many(srv.port, MAX_CONNECTIONS + 50)
    busy = 0
    for s in socks[-50:]:
        s.sendall(b'PING\n')
        busy += h.read_line(s).startswith(b'BUSY')
    if busy == 0:
        fail('no connection over the limit got BUSY')
    h.close_all(socks)


def refused(srv, payload, fail, what):
    """Sends payload on a fresh connection: the server must close it within
    3 s without executing anything (no OK, text or binary)."""
    s = h.connect(srv.port)
    s.sendall(payload)
    received, closed = h.read_until_closed(s, 3)
    s.close()
    if received.startswith(b'OK') or received[:3] == b'\xcb\x01\x00':
        fail('%s was executed: %r' % (what, received[:80]))
    if not closed:
        fail('%s: connection not closed (got %r)' % (what, received[:80]))


HTTP_AND_CROSS_PROTOCOL = (
    b'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n'
    b'\r\nPUT x y\n\n',
    b'GET / HTTP/1.1\r\nHost: x\r\n\r\n', b'POST /x HTTP/1.0\r\n\r\n', b'Host: evil\r\n',
    b'PUT k v HTTP/1.1\r\n')


@suite.attack('HTTP requests and cross-protocol lines', SLACK_KIB, PLAIN)
def cross_protocol(srv, fail):
    """A browser-style POST / HTTP/1.1 whose body is a command, and the
    cross-protocol lines of docs/protocol.md section 6: each closes the
    connection at once, unexecuted. Nothing is buffered."""
    for payload in HTTP_AND_CROSS_PROTOCOL:
        refused(srv, payload, fail, repr(payload[:20]))


def tls_client_hello():
    """The ClientHello Python's ssl module sends (TLS record 0x16 0x03 0x01,
    with SNI, supported versions and key shares), taken from a memory BIO."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname='cairn.example')
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    assert hello[:3] == b'\x16\x03\x01', hello[:16]
    return hello


@suite.attack('TLS ClientHello on the plain port', SLACK_KIB, PLAIN)
def tls_hello(srv, fail):
    """A TLS client pointed at the plain port: its first byte 0x16 makes the
    connection binary and the header's magic is wrong, so it is answered
    BAD_REQUEST and closed; nothing is buffered."""
    refused(srv, tls_client_hello(), fail, 'TLS ClientHello')


if __name__ == '__main__':
    sys.exit(suite.main(sys.argv))
