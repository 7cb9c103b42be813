"""A minimal blocking client of the Cairn binary protocol (docs/protocol.md), for
the robustness drivers in this folder. Not a general client library."""
import os
import shutil
import socket
import struct
import subprocess
import time

SEGMENT_HEADER_BYTES = 32  # storage/log_format.h
RECORD_HEADER_BYTES = 21   # u64 checksum, u32 payload length, u8 type, u64 version
PAGE_BYTES = 4096

PING, GET, PUT, DELETE, CAS, BATCH, SCAN, INCR, STATS, AUTH, SNAPSHOT = range(1, 12)
OK, NOT_FOUND, VERSION_MISMATCH = 0, 1, 2


def u64(v):
    return struct.pack('>Q', v)


def frame(opcode, request_id, fields):
    body = b''.join(struct.pack('>I', len(f)) + f for f in fields)
    return bytes([0xCA, 1, opcode, 0]) + struct.pack('>II', request_id, len(body)) + body


class Client:
    def __init__(self, port, timeout=10.0, host='127.0.0.1'):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.next_id = 1

    def close(self):
        self.sock.close()

    def _read_exact(self, n):
        data = b''
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError('server closed the connection')
            data += chunk
        return data

    def call(self, opcode, fields):
        """Sends one request; returns (status, [fields])."""
        request_id = self.next_id
        self.next_id += 1
        self.sock.sendall(frame(opcode, request_id, fields))
        header = self._read_exact(12)
        if header[0] != 0xCB or struct.unpack('>I', header[4:8])[0] != request_id:
            raise ConnectionError('bad response header %r' % header)
        body = self._read_exact(struct.unpack('>I', header[8:12])[0])
        out = []
        while body:
            n = struct.unpack('>I', body[:4])[0]
            out.append(body[4:4 + n])
            body = body[4 + n:]
        return header[2], out

    def get(self, key):
        """(value, version) or None."""
        status, fields = self.call(GET, [key])
        if status == NOT_FOUND:
            return None
        assert status == OK, (status, fields)
        return fields[0], struct.unpack('>Q', fields[1])[0]

    def stats_last_version(self):
        import json
        status, fields = self.call(STATS, [])
        assert status == OK
        return json.loads(fields[0])['last_version']


def unused_port():
    """A loopback port nothing listens on now (another process may take it
    before the caller does: callers retry). cairnd's --port 0 means no
    plaintext listener, not any free port."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def start_cairnd(cairnd, data, port_file, log, flags=(), command_prefix=(), preexec_fn=None,
                 attempts=3):
    """Starts cairnd on a free port; returns (process, port) once it listens.
    A start that exits because the port was taken meanwhile (its log, a file
    object, says "Address already in use") is tried again on another port, up
    to `attempts` times. command_prefix runs it under another program (e.g.
    strace); preexec_fn runs in the child before cairnd (e.g. to lower a
    limit)."""
    env = dict(os.environ)
    if command_prefix:
        # LeakSanitizer stops threads with ptrace, which a tracer already holds.
        env['ASAN_OPTIONS'] = (env.get('ASAN_OPTIONS', '') + ':detect_leaks=0').lstrip(':')
    for attempt in range(1, attempts + 1):
        if os.path.exists(port_file):
            os.remove(port_file)
        log.flush()
        log_start = os.path.getsize(log.name)
        proc = subprocess.Popen(
            list(command_prefix) + [cairnd, '--data-dir', data, '--port', str(unused_port()),
                                    '--port-file', port_file] + list(flags),
            stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=preexec_fn)
        deadline = time.time() + 30
        while not os.path.exists(port_file):
            if proc.poll() is not None or time.time() > deadline:
                break
            time.sleep(0.02)
        if os.path.exists(port_file):
            return proc, int(open(port_file).read())
        with open(log.name, 'rb') as f:
            f.seek(log_start)
            port_taken = b'Address already in use' in f.read()
        if proc.poll() is None or attempt == attempts or not port_taken:
            kill(proc)
            raise RuntimeError('cairnd did not start (exit %s)' % proc.poll())


def kill(proc):
    """Kills proc (None, or one that has exited: nothing to do) and reaps it."""
    if proc and proc.poll() is None:
        proc.kill()
        proc.wait()


def log_tail(log, lines=1):
    """The last lines of cairnd's output file (a file object), joined by ' | '."""
    log.flush()
    with open(log.name, 'rb') as f:
        return ' | '.join(f.read().decode(errors='replace').strip().splitlines()[-lines:])


def newest_segment(data_dir):
    """Path of the log segment with the highest number in data_dir."""
    names = sorted(n for n in os.listdir(data_dir) if n.startswith('log-') and n.endswith('.wal'))
    return os.path.join(data_dir, names[-1])


DATA_RECORD_TYPES = (1, 2, 3)  # put, delete, batch (docs/storage.md §3.2)


def walk_records(contents, offset=SEGMENT_HEADER_BYTES):
    """Walks the records of a segment's bytes from offset by their lengths
    (not their types, which a newer format may extend), up to the first whose
    checksum field is zero (the zeros the log writes ahead of itself) or that
    runs past the end. Checksums are not verified. Returns (end offset, the
    offsets of the data records walked: puts, deletes and batches, not the
    group records that open each commit group)."""
    starts = []
    while offset + RECORD_HEADER_BYTES <= len(contents):
        checksum, length, kind = struct.unpack_from('<QIB', contents, offset)
        end = offset + RECORD_HEADER_BYTES + length
        if checksum == 0 or end > len(contents):
            break
        if kind in DATA_RECORD_TYPES:
            starts.append(offset)
        offset = end
    return offset, starts


def finish(failures, work, kept):
    """Prints the failures (the first 20), removes the work directory unless
    CAIRN_KEEP_WORK is set (then says where the kept things are), and returns
    the script's exit code."""
    for x in failures[:20]:
        print('FAIL:', x)
    if os.environ.get('CAIRN_KEEP_WORK'):
        print(kept, 'kept in', work)
    else:
        shutil.rmtree(work)
    return 1 if failures else 0
