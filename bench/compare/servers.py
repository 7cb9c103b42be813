"""A fresh redis-server or cairnd on loopback: started on a free port with
its own data directory, ready once it answers PING (Redis's -LOADING does
not count), stopped by PID. Also the few requests the comparison needs
(key counts, memory figures, SAVE, SNAPSHOT)."""
import json
import os
import socket
import time

from compare import procs


def _read_line(sock, buf):
    while b'\n' not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError('server closed the connection')
        buf += chunk
    line, _, rest = buf.partition(b'\n')
    return line.rstrip(b'\r'), rest


def rss_bytes(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    raise procs.Error('no VmRSS for pid %d' % pid)


class Server:
    """One server process. Subclasses give the command line and speak PING."""
    name = ''

    def __init__(self, binary, data_dir, log_path, args):
        self.binary, self.data_dir, self.log_path, self.args = binary, data_dir, log_path, args
        self.port = None
        self.proc = None

    def command(self):
        raise NotImplementedError

    def ping(self, sock):
        """True when the server answered PING as a ready server does."""
        raise NotImplementedError

    def start(self, timeout=600):
        """Starts the process and waits for the first good PING; returns the
        seconds from process start to that answer."""
        for attempt in range(3):
            self.port = procs.free_port()
            started = time.monotonic()
            self.proc = procs.spawn(self.command(), self.log_path)
            try:
                seconds = self._wait_ready(started, timeout)
            except procs.Error:
                procs.stop(self.proc, 10)
                if attempt < 2 and 'in use' in procs.tail(self.log_path, 5):
                    continue  # the port was taken between our pick and its bind
                raise
            if procs.owns_listener(self.proc.pid, self.port):
                return seconds
            procs.stop(self.proc, 10)  # another program answered on the port we picked
        raise procs.Error('%s: no free port of its own in 3 tries' % self.name)

    def _wait_ready(self, started, timeout):
        while True:
            if self.proc.poll() is not None:
                raise procs.Error('%s exited with %s before answering PING; log %s ends:\n%s' % (
                    self.name, self.proc.returncode, self.log_path, procs.tail(self.log_path)))
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=5) as sock:
                    if self.ping(sock):
                        return time.monotonic() - started
            except OSError:
                pass
            if time.monotonic() - started > timeout:
                raise procs.Error('%s did not answer PING within %ss; log %s ends:\n%s' % (
                    self.name, timeout, self.log_path, procs.tail(self.log_path)))
            time.sleep(0.002)

    def stop(self, timeout=300):
        """Clean shutdown (SIGTERM); raises if the exit code is not 0."""
        code = procs.stop(self.proc, timeout)
        if code != 0:
            raise procs.Error('%s exited with %s on SIGTERM; log %s ends:\n%s' % (
                self.name, code, self.log_path, procs.tail(self.log_path)))

    def kill(self):
        procs.stop(self.proc, 10)

    def rss(self):
        return rss_bytes(self.proc.pid)

    def connect(self, timeout=600):
        sock = socket.create_connection(('127.0.0.1', self.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


class Redis(Server):
    name = 'redis-server'

    def command(self):
        return [self.binary, '--port', str(self.port), '--bind', '127.0.0.1', '--dir',
                self.data_dir, '--daemonize', 'no', '--logfile', ''] + self.args

    def ping(self, sock):
        sock.sendall(b'PING\r\n')
        line, _ = _read_line(sock, b'')
        return line == b'+PONG'

    def call(self, *args, timeout=600):
        """One command; returns the reply (str for status/bulk, int, list)."""
        out = b'*%d\r\n' % len(args) + b''.join(
            b'$%d\r\n%s\r\n' % (len(a), a) for a in (x.encode() for x in map(str, args)))
        with self.connect(timeout) as sock:
            sock.sendall(out)
            reply, _ = self._reply(sock, b'')
        return reply

    def _reply(self, sock, buf):
        line, buf = _read_line(sock, buf)
        kind, rest = line[:1], line[1:].decode()
        if kind == b'+':
            return rest, buf
        if kind == b'-':
            raise procs.Error('redis answered -%s' % rest)
        if kind == b':':
            return int(rest), buf
        if kind == b'$':
            n = int(rest)
            if n < 0:
                return None, buf
            while len(buf) < n + 2:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError('redis closed the connection')
                buf += chunk
            return buf[:n].decode('utf-8', 'replace'), buf[n + 2:]
        if kind == b'*':
            items = []
            for _ in range(int(rest)):
                item, buf = self._reply(sock, buf)
                items.append(item)
            return items, buf
        raise procs.Error('unexpected redis reply %r' % line)

    def keys(self):
        return self.call('DBSIZE')

    def used_memory(self):
        info = self.call('INFO', 'memory')
        fields = dict(l.split(':', 1) for l in info.splitlines() if ':' in l)
        return int(fields['used_memory'])


class Cairn(Server):
    name = 'cairnd'

    def command(self):
        return [self.binary, '--data-dir', self.data_dir, '--port', str(self.port)] + self.args

    def ping(self, sock):
        sock.sendall(b'PING\n')  # a letter first: the connection speaks text
        line, _ = _read_line(sock, b'')
        return line == b'OK'

    def call(self, line, timeout=600):
        """One text-mode request; returns the answer after "OK "."""
        with self.connect(timeout) as sock:
            sock.sendall(line.encode() + b'\n')
            answer, _ = _read_line(sock, b'')
        status, _, rest = answer.decode('utf-8', 'replace').partition(' ')
        if status != 'OK':
            raise procs.Error('cairnd answered %r to %s' % (answer, line))
        return rest

    def stats(self):
        return json.loads(self.call('STATS'))

    def keys(self):
        return self.stats()['keys']

    def used_memory(self):
        """The heap the index holds, keys and values included (STATS)."""
        return self.stats()['index_bytes']

    def snapshot(self):
        return int(self.call('SNAPSHOT'))

    def snapshot_files(self):
        return sorted(f for f in os.listdir(self.data_dir) if f.startswith('snapshot-'))
