"""What every workload shares: the binaries, the parameters, a fresh server
in its own directory under the data root (deleted afterwards, its process
stopped whatever happens), and the record of every round for --json."""
import contextlib
import os
import shutil
import sys
import tempfile

from compare import procs, servers

# Redis never forks or rewrites during a run: no RDB save points, no
# automatic AOF rewrite, and a plain (not RDB-preamble) append-only file.
REDIS_COMMON = ['--save', '', '--aof-use-rdb-preamble', 'no', '--auto-aof-rewrite-percentage', '0']
REDIS_DURABLE = REDIS_COMMON + ['--appendonly', 'yes', '--appendfsync', 'always']
REDIS_NON_DURABLE = REDIS_COMMON + ['--appendonly', 'yes', '--appendfsync', 'no']
REDIS_RDB = REDIS_COMMON + ['--appendonly', 'no', '--dbfilename', 'dump.rdb']
# Cairn keeps every default but these.
CAIRN_DURABLE = ['--fsync', 'always']
CAIRN_NON_DURABLE = ['--fsync', 'never']

KINDS = ('redis', 'cairn')


class Bench:
    """bins: name -> path for redis-server, redis-benchmark, redis-cli,
    cairnd, cairn-cli, cairn-bench. params: the sizes of this run."""

    def __init__(self, bins, data_root, params, rounds, threads):
        self.bins, self.data_root, self.params = bins, data_root, params
        self.rounds, self.threads = rounds, threads
        self.raw = {}  # workload -> list of per-round records
        self.commands = {}  # workload -> {label: command template}
        self.notes = []  # things the table's reader must know

    def record(self, workload, entry):
        self.raw.setdefault(workload, []).append(entry)

    def remember_command(self, workload, label, argv, port, data_dir=None):
        """Keeps the first command of each kind, with $PORT and $DIR for the
        parts that change between runs."""
        text = []
        for i, a in enumerate(argv):
            if a == str(port) and i > 0 and argv[i - 1] in ('-p', '--port'):
                a = '$PORT'
            elif data_dir and a == data_dir:
                a = '$DIR'
            elif a == '' or ' ' in a:
                a = "'%s'" % a
            text.append(os.path.basename(a) if i == 0 else a)
        self.commands.setdefault(workload, {}).setdefault(label, ' '.join(text))

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)
            print('note: ' + text, file=sys.stderr)

    @contextlib.contextmanager
    def run_dir(self, label):
        """A new directory under the data root, removed afterwards."""
        path = tempfile.mkdtemp(prefix=label + '-', dir=self.data_root)
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def server(self, kind, run_dir, args, log_name='server.log'):
        """A server object on run_dir/data (not started)."""
        data = os.path.join(run_dir, 'data')
        os.makedirs(data, exist_ok=True)
        log = os.path.join(run_dir, log_name)
        if kind == 'redis':
            return servers.Redis(self.bins['redis-server'], data, log, args)
        return servers.Cairn(self.bins['cairnd'], data, log, args)

    @contextlib.contextmanager
    def running(self, server, timeout=600):
        """Starts server; yields the seconds to its first PING answer; stops
        it afterwards (cleanly if the body succeeded, else killed, with the
        end of its log on stderr)."""
        seconds = server.start(timeout)
        try:
            yield seconds
        except BaseException as e:
            server.kill()
            if not isinstance(e, KeyboardInterrupt):
                print('%s log %s ends:\n%s' % (server.name, server.log_path,
                                               procs.tail(server.log_path)), file=sys.stderr)
            raise
        server.stop()


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total
