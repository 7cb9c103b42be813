"""Child processes with a timeout each, and a registry of the servers this
run started so that every one is killed (by its PID) however the run ends:
normal exit, an exception, Ctrl-C or SIGTERM."""
import atexit
import os
import signal
import socket
import subprocess

_live = {}  # pid -> Popen of every server started and not yet stopped


class Error(Exception):
    """A step of the comparison failed; the message says which and why."""


def tail(path, lines=30):
    try:
        with open(path, 'rb') as f:
            data = f.read()[-16384:]
    except OSError as e:
        return '(no log: %s)' % e
    return '\n'.join(data.decode('utf-8', 'replace').splitlines()[-lines:])


def run(argv, timeout, stdin_path=None, cwd=None):
    """Runs argv to completion; returns its stdout. Raises Error on a timeout
    or a non-zero exit, with the end of its output."""
    stdin = open(stdin_path, 'rb') if stdin_path else subprocess.DEVNULL
    try:
        done = subprocess.run(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        raise Error('%s: no result after %ss (killed)' % (' '.join(argv), timeout))
    finally:
        if stdin_path:
            stdin.close()
    out = done.stdout.decode('utf-8', 'replace')
    if done.returncode != 0:
        err = done.stderr.decode('utf-8', 'replace')
        raise Error('%s exited with %d:\n%s%s' % (' '.join(argv), done.returncode,
                                                   out[-2000:], err[-2000:]))
    return out


def spawn(argv, log_path):
    """Starts a server with stdout and stderr into log_path."""
    with open(log_path, 'ab') as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    _live[proc.pid] = proc
    return proc


def stop(proc, timeout=120):
    """SIGTERM, then SIGKILL after timeout seconds; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    _live.pop(proc.pid, None)
    return proc.returncode


def kill_all():
    for proc in list(_live.values()):
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _live.pop(proc.pid, None)


def _on_signal(signo, _frame):
    raise SystemExit(128 + signo)


def install_cleanup():
    """Kills the registered servers at exit; SIGTERM and SIGHUP unwind like
    Ctrl-C so that every finally block runs."""
    atexit.register(kill_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def owns_listener(pid, port):
    """True if process pid holds the socket listening on 127.0.0.1:port: the
    port was picked before the server bound it, so another program could have
    taken it meanwhile."""
    want = '0100007F:%04X' % port
    inodes = set()
    with open('/proc/net/tcp') as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if cols[1] == want and cols[3] == '0A':  # 0A: LISTEN
                inodes.add('socket:[%s]' % cols[9])
    fd_dir = '/proc/%d/fd' % pid
    for fd in os.listdir(fd_dir):
        try:
            if os.readlink(os.path.join(fd_dir, fd)) in inodes:
                return True
        except OSError:
            pass
    return False
