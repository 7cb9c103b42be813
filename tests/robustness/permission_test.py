#!/usr/bin/env python3
"""No permission to write: cairnd pointed at a data directory it cannot
write must refuse to start with exit code 1 and one message naming the path
and the OS error, without crashing and without changing a byte on disk:
  - an existing directory the user cannot write, empty or holding a log and
    a snapshot from a normal run;
  - the same data on a read-only bind mount (needs root and mount);
  - a data-dir path that is a file; whose parent is missing; whose parent
    the user cannot write;
  - a writable directory where only the lock file cannot be opened or
    created (LOCK is a directory; LOCK is a symlink into a missing directory,
    refused as a symlink since the lock file is opened O_NOFOLLOW).
And one degraded case: a directory that accepts no new file but whose files
are writable starts; writes go on into the active segment, SNAPSHOT
answers IO_ERROR, and every acknowledged write survives a restart.

With --check it instead runs `cairnd --check` on the read-only mount and on
the directory the user cannot write, both holding data: the check needs only
read access, so it must report `OK` with the right key count and change
nothing.

As root (CI), cairnd runs as nobody (setpriv from util-linux), since file
modes do not stop root; otherwise file modes suffice.
Usage: permission_test.py PATH_TO_CAIRND [--check]
(exit 0 pass, 1 fail, 77 every case skipped)"""
import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cairn_wire as w  # noqa: E402

IO_ERROR = 0x20
NOBODY = 65534
IS_ROOT = os.geteuid() == 0
AS_USER = (['setpriv', '--reuid=%d' % NOBODY, '--regid=%d' % NOBODY, '--clear-groups']
           if IS_ROOT else [])
KEYS = 12


class Skip(Exception):
    pass


def tree(path):
    """{relative path: (mode, bytes or None)} of everything under path."""
    if not os.path.lexists(path):
        return None
    out = {}
    if not os.path.isdir(path):
        return {'.': (os.lstat(path).st_mode, open(path, 'rb').read())}
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            p = os.path.join(root, n)
            st = os.lstat(p)
            body = open(p, 'rb').read() if stat.S_ISREG(st.st_mode) else None
            out[os.path.relpath(p, path)] = (st.st_mode, body)
    return out


def as_user_can(test_flag, path):
    return subprocess.run(AS_USER + ['test', test_flag, path]).returncode == 0


def deny_writes(path):
    """Makes path unwritable for the user cairnd runs as."""
    if IS_ROOT:
        os.chown(path, 0, 0)
        os.chmod(path, 0o755)
    else:
        os.chmod(path, 0o555)


def give_to_user(path):
    if IS_ROOT:
        os.chown(path, NOBODY, NOBODY)


class Run:
    def __init__(self, cairnd, work):
        self.cairnd, self.work = cairnd, work
        self.port_file = os.path.join(work, 'run', 'port')
        self.log = open(os.path.join(work, 'cairnd.log'), 'ab')
        self.served = []  # every serving cairnd, stopped at the end if a case broke off

    def start(self, data, flags, prefix=()):
        proc, port = w.start_cairnd(self.cairnd, data, self.port_file, self.log,
                                    ['--snapshot-every-bytes', '0'] + list(flags), prefix)
        self.served.append(proc)
        return proc, port

    def stop_all(self):
        for proc in self.served:
            w.kill(proc)

    def refused(self, data):
        """Runs cairnd as the user; returns (exit code, output). A cairnd that
        starts serving, or hangs for a minute, is killed and reported with
        code 'started' or 'hung'."""
        if os.path.exists(self.port_file):
            os.remove(self.port_file)
        proc = subprocess.Popen(AS_USER + [self.cairnd, '--data-dir', data,
                                           '--port', str(w.unused_port()),
                                           '--port-file', self.port_file],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while proc.poll() is None and not os.path.exists(self.port_file):
            if time.time() > deadline:
                break
            time.sleep(0.02)
        if proc.poll() is None:
            proc.kill()
            out = proc.communicate()[0].decode(errors='replace')
            return 'started' if os.path.exists(self.port_file) else 'hung', out
        return proc.returncode, proc.communicate()[0].decode(errors='replace')

    def check(self, data):
        proc = subprocess.run(AS_USER + [self.cairnd, '--check', '--data-dir', data],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return proc.returncode, proc.stdout.decode(errors='replace')

    def serve(self, data, flags=()):
        return self.start(data, flags, AS_USER)

    def fill(self, data):
        """A data directory from a normal run (by the invoking user): a
        snapshot, then a log past it, then a clean stop."""
        proc, port = self.start(data, [])
        c = w.Client(port)
        for i in range(KEYS):
            assert c.call(w.PUT, [b'key-%d' % i, b'value-%d' % i])[0] == w.OK
            if i == KEYS // 2:
                assert c.call(w.SNAPSHOT, [])[0] == w.OK
        c.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        # cairnd creates its directory 0700 and its files 0600; an operator
        # who lets the user read the data opens the modes up, as here.
        os.chmod(data, 0o755)
        for n in os.listdir(data):
            os.chmod(os.path.join(data, n), 0o644 if IS_ROOT else 0o444)


def expect_refusal(run, failures, name, data, errno_code, named=None, watch=None):
    """cairnd exits 1 with a message naming `named` (default data) and the
    OS error, and `watch` (default data) is byte for byte unchanged."""
    watch = watch or data
    before = tree(watch)
    code, out = run.refused(data)
    message = os.strerror(errno_code) if isinstance(errno_code, int) else errno_code
    if code == 'started':
        failures.append('%s: cairnd started serving instead of refusing:\n%s' % (name, out))
    elif code != 1:
        failures.append('%s: exit %s, not 1; output:\n%s' % (name, code, out))
    elif (named or data) not in out or message not in out:
        failures.append('%s: message does not name %s and "%s":\n%s' %
                        (name, named or data, message, out))
    if 'Sanitizer' in out or 'runtime error' in out:
        failures.append('%s: sanitizer report:\n%s' % (name, out))
    if tree(watch) != before:
        failures.append('%s: %s changed on disk' % (name, watch))


def readonly_mount(run, source):
    """A read-only bind mount of source, whose files the user owns, so that
    only the mount denies writes; Skip when mounts are not permitted."""
    for p in [source] + [os.path.join(source, n) for n in os.listdir(source)]:
        give_to_user(p)
    target = os.path.join(run.work, 'ro-mount')
    os.makedirs(target, exist_ok=True)
    if not IS_ROOT or subprocess.run(['mount', '--bind', source, target]).returncode != 0:
        raise Skip('no mount')
    if subprocess.run(['mount', '-o', 'remount,bind,ro', target]).returncode != 0:
        subprocess.run(['umount', target])
        raise Skip('no read-only remount')
    return target


def degraded_directory(run, failures, data):
    """The directory refuses new files, its files are writable: cairnd serves;
    writes land in the active segment; snapshots and rotation fail loudly."""
    run.fill(data)
    for n in os.listdir(data):
        give_to_user(os.path.join(data, n))
        os.chmod(os.path.join(data, n), 0o644)
    give_to_user(data)
    os.chmod(data, 0o555)
    names = sorted(os.listdir(data))
    proc, port = run.serve(data, ['--segment-bytes', '4096'])
    c = w.Client(port)
    acked = 0
    for i in range(60):  # 60 x ~140 bytes: past the 4 KiB segment size
        status, fields = c.call(w.PUT, [b'more-%d' % i, b'x' * 100])
        if status != w.OK:
            failures.append('read-only directory: PUT %d answered %d %r' % (i, status, fields))
            break
        acked += 1
    status, fields = c.call(w.SNAPSHOT, [])
    if status != IO_ERROR or data not in fields[0].decode(errors='replace'):
        failures.append('read-only directory: SNAPSHOT answered %d %r, not IO_ERROR naming '
                        'the directory' % (status, fields))
    c.close()
    proc.send_signal(signal.SIGTERM)
    if proc.wait(timeout=30) != 0:
        failures.append('read-only directory: cairnd did not stop cleanly')
    if sorted(os.listdir(data)) != names:
        failures.append('read-only directory: files appeared or vanished')
    if b'cannot start log segment' not in open(run.log.name, 'rb').read():
        failures.append('read-only directory: no warning that rotation was postponed')
    proc, port = run.serve(data)
    c = w.Client(port)
    missing = [i for i in range(acked) if c.get(b'more-%d' % i) is None]
    missing += [i for i in range(KEYS) if c.get(b'key-%d' % i) is None]
    if missing:
        failures.append('read-only directory: acknowledged writes lost after restart')
    c.close()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    return acked


def startup_cases(run, failures):
    """Returns (cases run, skip reasons); failures collects what went wrong."""
    work, ran, skipped = run.work, 0, []

    def case(name, body):
        nonlocal ran
        try:
            body(os.path.join(work, name))
            ran += 1
        except Skip as e:
            skipped.append('%s: %s' % (name, e))

    def unwritable_empty(data):
        os.mkdir(data)
        deny_writes(data)
        expect_refusal(run, failures, 'unwritable empty directory', data, errno.EACCES)

    def unwritable_with_data(data):
        run.fill(data)
        deny_writes(data)
        expect_refusal(run, failures, 'unwritable directory with data', data, errno.EACCES)

    def readonly_mount_with_data(data):
        run.fill(data)
        ro = readonly_mount(run, data)
        try:
            expect_refusal(run, failures, 'read-only mount with data', ro, errno.EROFS)
        finally:
            subprocess.run(['umount', ro])

    def path_is_a_file(data):
        with open(data, 'wb') as f:
            f.write(b'not a directory\n')
        expect_refusal(run, failures, 'data-dir path is a file', data,
                       'exists and is not a directory')

    def parent_missing(data):
        expect_refusal(run, failures, 'parent missing', os.path.join(data, 'data'),
                       errno.ENOENT, watch=data)

    def parent_unwritable(data):
        os.mkdir(data)
        deny_writes(data)
        expect_refusal(run, failures, 'parent unwritable', os.path.join(data, 'data'),
                       errno.EACCES, watch=data)

    def lock_is_a_directory(data):
        os.makedirs(os.path.join(data, 'LOCK'))
        for p in (data, os.path.join(data, 'LOCK')):
            give_to_user(p)
        expect_refusal(run, failures, 'LOCK is a directory', data, errno.EISDIR,
                       named=os.path.join(data, 'LOCK'))

    def lock_dangling_symlink(data):
        os.mkdir(data)
        give_to_user(data)
        lock = os.path.join(data, 'LOCK')
        os.symlink(os.path.join(work, 'missing', 'LOCK'), lock)
        expect_refusal(run, failures, 'LOCK a dangling symlink', data, 'is a symbolic link',
                       named=lock)

    def readonly_directory_writable_files(data):
        degraded_directory(run, failures, data)

    case('unwritable-empty', unwritable_empty)
    case('unwritable-with-data', unwritable_with_data)
    case('read-only-mount', readonly_mount_with_data)
    case('path-is-a-file', path_is_a_file)
    case('parent-missing', parent_missing)
    case('parent-unwritable', parent_unwritable)
    case('lock-is-a-directory', lock_is_a_directory)
    case('lock-dangling-symlink', lock_dangling_symlink)
    case('read-only-dir-writable-files', readonly_directory_writable_files)
    return ran, skipped


def check_cases(run, failures):
    """cairnd --check needs only read access to the data it checks."""
    ran, skipped = 0, []

    def checks(name, data, watch):
        before = tree(watch)
        code, out = run.check(data)
        if code != 0 or 'OK: %s would open cleanly' % data not in out or \
                'recovered %d keys' % KEYS not in out:
            failures.append('--check on %s: exit %s, output:\n%s' % (name, code, out))
        if tree(watch) != before:
            failures.append('--check on %s changed it' % name)

    data = os.path.join(run.work, 'check-unwritable')
    run.fill(data)
    deny_writes(data)
    checks('a directory the user cannot write', data, data)
    ran += 1
    data = os.path.join(run.work, 'check-ro')
    run.fill(data)
    try:
        ro = readonly_mount(run, data)
        try:
            checks('a read-only mount', ro, data)
            ran += 1
        finally:
            subprocess.run(['umount', ro])
    except Skip as e:
        skipped.append('read-only mount: %s' % e)
    return ran, skipped


def main():
    cairnd, check_mode = os.path.abspath(sys.argv[1]), '--check' in sys.argv[2:]
    if IS_ROOT and shutil.which('setpriv') is None:
        print('permission: running as root without setpriv; skipped')
        return 77
    work = tempfile.mkdtemp(prefix='cairn-perm-')
    os.chmod(work, 0o755)
    os.mkdir(os.path.join(work, 'run'))
    os.chmod(os.path.join(work, 'run'), 0o777)
    if not as_user_can('-x', work):
        print('permission: user %d cannot reach %s; skipped' % (NOBODY, work))
        shutil.rmtree(work)
        return 77
    if not as_user_can('-x', cairnd):  # e.g. a build tree under a private directory
        copy = os.path.join(work, 'cairnd')
        shutil.copy(cairnd, copy)
        os.chmod(copy, 0o755)
        cairnd = copy
    run = Run(cairnd, work)
    failures = []
    try:
        ran, skipped = (check_cases if check_mode else startup_cases)(run, failures)
    finally:
        run.stop_all()
        for root, dirs, _ in os.walk(work):  # let rmtree into what the cases locked
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
    what = '--check on read-only data' if check_mode else 'startup without write access'
    user = 'as uid %d' % NOBODY if IS_ROOT else 'by file modes'
    print('permission: %s, %d case%s %s, %d skipped%s' %
          (what, ran, '' if ran == 1 else 's', user, len(skipped),
           ''.join(' (%s)' % s for s in skipped)))
    for f in failures:
        print('FAIL:', f)
    if not failures:
        shutil.rmtree(work)
    if failures:
        return 1
    return 77 if ran == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
