"""What the attack suites (hostile_clients_test.py, preauth_attacks_test.py,
limits_attacks_test.py) share: the cairnd each attack needs, the peak resident
memory each attack costs, and the socket tools the attacks are made of.

Each attack is a function registered with @suite.attack(name, bound_kib,
server): it gets the running Server and a fail(message) callback. The runner
resets the server's peak RSS (writing 5 to /proc/PID/clear_refs), runs the
attack, reads VmHWM, checks that a fresh client is still served, and prints

  hostile clients: NAME: peak RSS +N KiB over the M KiB before it (bound B KiB)

(then `; FAILED: why` when it failed), which scripts/test.sh copies into the
CI summary. A watchdog kills a cairnd that passes SAFETY_CEILING_KIB, so an
attack the server does not withstand cannot take the machine's memory."""
import collections
import functools
import os
import resource
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cairn_wire as w  # noqa: E402

TOKEN = b'attack-suite-token-0123456789'
SAFETY_CEILING_KIB = 2 << 20
FD_CEILING = 20000  # the suites never need more descriptors than this
TCP_ESTABLISHED = 1  # tcpi_state, the first byte of struct tcp_info
TEXT_STATUSES = (b'OK', b'NOT_FOUND', b'VERSION_MISMATCH', b'BAD_REQUEST', b'UNKNOWN_OPCODE',
                 b'TOO_LARGE', b'TYPE_ERROR', b'UNAUTHORIZED', b'IO_ERROR', b'READ_ONLY',
                 b'BUSY', b'SHUTTING_DOWN')
UNAUTHORIZED_STATUS = 0x14
TOO_LARGE_STATUS = 0x12
BAD_REQUEST_STATUS = 0x10
DEFAULT_MAX_FRAME = 32 << 20  # cairnd's default --max-frame-bytes
# Bounds are built from these. The allocator's own slack: a new arena, the
# thread-local read buffer, the memory trimmer's threshold (4 MiB).
SLACK_KIB = 4 << 10
# What an accepted connection that sends nothing costs: its Connection,
# socket and timer, not a read buffer (about 2 KiB measured).
IDLE_CONNECTION_KIB = 4


class Skip(Exception):
    """Raised by an attack this machine cannot run (the reason is printed)."""


# What an attack needs of its cairnd: extra flags, a token, the address it
# binds, and a soft RLIMIT_NOFILE to start it with (None: this process's).
ServerSpec = collections.namedtuple('ServerSpec', 'flags token bind nofile_soft',
                                    defaults=((), False, '127.0.0.1', None))


def fd_limit():
    """The descriptors this process may hold once raise_fd_limit has run."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return FD_CEILING if hard == resource.RLIM_INFINITY else min(hard, FD_CEILING)


def raise_fd_limit():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit(), hard))


def scaled(count, per_count_fds, reserve=300):
    """count, or fewer if count connections (each costing per_count_fds
    descriptors across the test and cairnd) do not fit under fd_limit()."""
    return max(1, min(count, (fd_limit() - reserve) // per_count_fds))


def status_kib(pid, field):
    """A /proc/PID/status field in KiB (VmRSS, VmHWM), 0 if pid is gone."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak_rss(pid):
    """Sets VmHWM back to the current RSS (proc(5), clear_refs)."""
    with open('/proc/%d/clear_refs' % pid, 'w') as f:
        f.write('5')


class Watchdog:
    """Polls cairnd's RSS while an attack runs; kills cairnd when it passes
    SAFETY_CEILING_KIB. `peak` is the highest RSS it saw, `killed_at` the RSS
    it killed at (None if it did not)."""

    def __init__(self, proc):
        self.proc, self.peak, self.killed_at = proc, 0, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.02):
            rss = status_kib(self.proc.pid, 'VmRSS')
            self.peak = max(self.peak, rss)
            if rss > SAFETY_CEILING_KIB and self.proc.poll() is None:
                self.killed_at = rss
                w.kill(self.proc)
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class Server:
    """One cairnd started from a ServerSpec, in its own folder under work."""

    def __init__(self, cairnd, work, spec, index):
        self.cairnd, self.spec = cairnd, spec
        self.dir = os.path.join(work, 'server-%d' % index)
        os.makedirs(self.dir, exist_ok=True)
        self.log = open(os.path.join(self.dir, 'cairnd.log'), 'a')
        try:
            self.proc, self.port = start(cairnd, self.dir, spec, self.log)
        except RuntimeError as e:
            raise RuntimeError('%s with %s: %s' % (e, describe(spec), w.log_tail(self.log, 2)))

    def alive(self):
        return self.proc.poll() is None

    def client(self, host='127.0.0.1', timeout=10.0):
        """A binary client that has authenticated if the server has a token."""
        c = w.Client(self.port, timeout=timeout, host=host)
        if self.spec.token:
            status, fields = c.call(w.AUTH, [TOKEN])
            if status != w.OK:
                c.close()
                raise ConnectionError('AUTH answered %d %r' % (status, fields))
        return c

    def healthy(self, host='127.0.0.1', timeout=10.0):
        """True if a fresh client is served: PUT and GET (after AUTH)."""
        try:
            c = self.client(host, timeout)
            status, _ = c.call(w.PUT, [b'health', b'ok'])
            got = c.get(b'health')
            c.close()
            return status == w.OK and got is not None and got[0] == b'ok'
        except (OSError, AssertionError):
            return False

    def stop(self):
        """SIGTERM; returns the exit code (None if it had to be killed)."""
        if not self.alive():
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            w.kill(self.proc)
            return None


def describe(spec):
    """The flags a ServerSpec adds, for messages."""
    return ' '.join(map(str, spec.flags)) or 'no extra flags'


def start(cairnd, folder, spec, log):
    """Starts cairnd in folder as spec says; returns (process, port)."""
    flags = ['--bind', spec.bind] + [str(f) for f in spec.flags]
    if spec.token:
        token_file = os.path.join(folder, 'token')
        with open(os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'wb') as f:
            f.write(TOKEN + b'\n')
        flags += ['--auth-token-file', token_file]
    preexec = None
    if spec.nofile_soft is not None:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        soft = min(spec.nofile_soft, hard)
        preexec = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))  # noqa: E731
    return w.start_cairnd(cairnd, os.path.join(folder, 'data'), os.path.join(folder, 'port'), log,
                          flags, preexec_fn=preexec)


Attack = collections.namedtuple('Attack', 'name run bound_kib server')


class Suite:
    """The attacks of one test script, run in the order registered."""

    def __init__(self, title):
        self.title, self.attacks = title, []

    def attack(self, name, bound_kib, server=ServerSpec()):
        """Registers the decorated function fn(server, fail) as an attack
        that may add at most bound_kib KiB to cairnd's RSS at its peak."""
        def register(fn):
            self.attacks.append(Attack(name, fn, bound_kib, server))
            return fn
        return register

    def main(self, argv):
        """Runs every attack against argv[1] (the cairnd binary); returns the
        exit code: 0 all passed, 1 a failure, 77 every attack skipped."""
        raise_fd_limit()
        runner = Runner(argv[1], tempfile.mkdtemp(prefix='cairn-attacks-'))
        try:
            for a in self.attacks:
                runner.run(a)
        finally:
            runner.stop_servers()
        print('hostile clients: %s: %d attacks, %d failed, %d skipped'
              % (self.title, len(self.attacks), runner.failed, runner.skipped))
        code = w.finish(runner.failures, runner.work, 'cairnd logs')
        return 77 if code == 0 and runner.skipped == len(self.attacks) else code


class Runner:
    """Starts the servers attacks need (one per ServerSpec, restarted if an
    attack killed it), runs each attack under the memory watch, and keeps the
    failures."""

    def __init__(self, cairnd, work):
        self.cairnd, self.work = cairnd, work
        self.servers, self.failures = {}, []
        self.failed = self.skipped = self.started = 0
        # AddressSanitizer's redzones and quarantine multiply what every
        # allocation costs.
        ldd = subprocess.run(['ldd', cairnd], capture_output=True).stdout
        self.scale = 4 if b'libasan' in ldd else 1
        if self.scale > 1:
            # Freed memory waits in ASan's quarantine (256 MiB by default)
            # before reuse: an attack that churns small allocations would
            # measure the quarantine filling, not what cairnd holds.
            os.environ['ASAN_OPTIONS'] = (os.environ.get('ASAN_OPTIONS', '') +
                                          ':quarantine_size_mb=8').lstrip(':')

    def server(self, spec):
        srv = self.servers.get(spec)
        if srv is None or not srv.alive():
            self.started += 1
            srv = Server(self.cairnd, self.work, spec, self.started)
            self.servers[spec] = srv
        return srv

    def run(self, attack):
        fails = []
        try:
            srv = self.server(attack.server)
        except RuntimeError as e:
            fails.append(str(e))
            self.report(attack, None, fails)
            return
        reset_peak_rss(srv.proc.pid)
        before = status_kib(srv.proc.pid, 'VmHWM')
        with Watchdog(srv.proc) as dog:
            try:
                attack.run(srv, fails.append)
            except Skip as e:
                self.skipped += 1
                print('hostile clients: %s: skipped: %s' % (attack.name, e))
                return
            except Exception as e:  # noqa: BLE001 -- a failure of this attack, not of the run
                traceback.print_exc(file=sys.stdout)
                fails.append('the attack stopped on %r' % e)
            time.sleep(0.3)  # what the last bytes sent still cost
            peak = max(dog.peak, status_kib(srv.proc.pid, 'VmHWM'))
        if dog.killed_at:
            fails.append('cairnd killed by the test at RSS %d KiB (over the safety ceiling of '
                         '%d KiB)' % (dog.killed_at, SAFETY_CEILING_KIB))
        elif not srv.alive():
            fails.append('cairnd died (exit %s): %s'
                         % (srv.proc.returncode, w.log_tail(srv.log, 3)))
        elif not srv.healthy():
            fails.append('a fresh client is not served afterwards')
        bound = attack.bound_kib * self.scale
        if peak - before > bound:
            fails.append('peak RSS +%d KiB, over the bound of %d KiB' % (peak - before, bound))
        self.report(attack, (peak - before, before, bound), fails)

    def report(self, attack, memory, fails):
        if memory is None:
            line = 'hostile clients: %s: not run' % attack.name
        else:
            line = ('hostile clients: %s: peak RSS +%d KiB over the %d KiB before it (bound %d KiB)'
                    % ((attack.name,) + memory))
        if fails:
            self.failed += 1
            line += '; FAILED: ' + fails[0]
            self.failures += ['%s: %s' % (attack.name, f) for f in fails]
        print(line, flush=True)

    def stop_servers(self):
        for srv in self.servers.values():
            killed = not srv.alive()
            code = srv.stop()
            if code != 0 and not killed:
                self.failures.append('cairnd (%s) exited %s after the attacks: %s'
                                     % (describe(srv.spec), code, w.log_tail(srv.log, 3)))


# --- payloads ---------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def a_a_a_line():
    """A 32 MiB text line `a a a ... a\\n`: 16 Mi one-byte arguments, which
    split into a vector of strings cost today's server ~550 MiB."""
    return b'a ' * ((DEFAULT_MAX_FRAME >> 1) - 1) + b'a\n'


@functools.lru_cache(maxsize=None)
def empty_triples_batch():
    """A BATCH frame whose 32 MiB body is 2.6 M puts of an empty key and an
    empty value (13 bytes each), which parsed into operations cost today's
    server ~440 MiB."""
    return w.frame(w.BATCH, 7, [b'\x03', b'', b''] * (DEFAULT_MAX_FRAME // 13))


# --- socket tools -----------------------------------------------------------

def connect(port, host='127.0.0.1', timeout=10.0, rcvbuf=None):
    """A connected socket; rcvbuf shrinks its receive buffer (a client that
    does not read should not hide the server's answers in a large one)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def connect_many(port, count, **kwargs):
    """count connected sockets (fewer if connecting fails: the rest are what
    it got)."""
    socks = []
    try:
        for _ in range(count):
            socks.append(connect(port, **kwargs))
    except OSError:
        pass
    return socks


def close_all(socks):
    for s in socks:
        s.close()


def read_until_closed(s, timeout):
    """Reads from s until the server closes it or timeout passes; returns
    (bytes received, whether it was closed)."""
    s.settimeout(timeout)
    received = b''
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = s.recv(65536)
            if not chunk:
                return received, True
            received += chunk
    except (ConnectionResetError, BrokenPipeError):
        return received, True
    except socket.timeout:
        pass
    return received, False


def read_line(s, timeout=5.0):
    """One answer line (without its newline), b'' if the server closed or
    said nothing within timeout."""
    s.settimeout(timeout)
    line = b''
    try:
        while not line.endswith(b'\n'):
            chunk = s.recv(1)
            if not chunk:
                break
            line += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return line.rstrip(b'\n')


def read_frame(s, timeout=5.0):
    """(status, request id, body) of one answer frame, or None if the server
    closed or said nothing within timeout."""
    s.settimeout(timeout)
    data = b''
    try:
        while len(data) < 12 or len(data) < 12 + int.from_bytes(data[8:12], 'big'):
            chunk = s.recv(65536)
            if not chunk:
                return None
            data += chunk
    except (socket.timeout, ConnectionResetError):
        return None
    return data[2], int.from_bytes(data[4:8], 'big'), data[12:]


def peer_closed(s):
    """True if the server has closed s (its FIN or RST arrived), read from
    the kernel's TCP state, so without reading what s holds."""
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] != TCP_ESTABLISHED


def blast(socks, data, seconds, stall=1.0, chunk=1 << 20):
    """Sends data on every socket at once until each has sent all of it or
    failed (the server closed it), or nothing moved for `stall` seconds (the
    server stopped reading), or `seconds` passed. Returns the bytes each
    socket sent."""
    view = memoryview(data)
    sent = [0] * len(socks)
    sel = selectors.DefaultSelector()
    for i, s in enumerate(socks):
        s.setblocking(False)
        sel.register(s, selectors.EVENT_WRITE, i)
    deadline = time.monotonic() + seconds
    moved = time.monotonic()
    while sel.get_map() and time.monotonic() < deadline and time.monotonic() - moved < stall:
        for key, _ in sel.select(timeout=0.1):
            i = key.data
            try:
                sent[i] += socks[i].send(view[sent[i]:sent[i] + chunk])
                moved = time.monotonic()
            except BlockingIOError:
                continue
            except OSError:
                sel.unregister(socks[i])
                continue
            if sent[i] == len(data):
                sel.unregister(socks[i])
    sel.close()
    for s in socks:
        s.setblocking(True)
    return sent


def wait_until(predicate, timeout, step=0.05):
    """Polls predicate until it is true or timeout passes; returns its last
    value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


def is_error_line(line):
    """True if a text answer line is an error: a status name other than OK."""
    word = line.split(b' ', 1)[0]
    return word in TEXT_STATUSES and word not in (b'OK', b'NOT_FOUND', b'VERSION_MISMATCH')


def session(srv, text=False, host='127.0.0.1', rcvbuf=None):
    """A socket to srv in text or binary mode (by its first bytes), which has
    authenticated if srv has a token."""
    s = connect(srv.port, host=host, rcvbuf=rcvbuf)
    if srv.spec.token:
        if text:
            answer = text_call(s, b'AUTH ' + TOKEN)
            ok = answer == b'OK'
        else:
            s.sendall(w.frame(w.AUTH, 0, [TOKEN]))
            answer = read_frame(s)
            ok = answer is not None and answer[0] == w.OK
        if not ok:
            s.close()
            raise ConnectionError('AUTH answered %r' % (answer,))
    return s


def text_call(s, line, timeout=5.0):
    """Sends one text line; returns the answer line (b'' if none came)."""
    s.sendall(line + b'\n')
    return read_line(s, timeout)
