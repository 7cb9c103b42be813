"""The Markdown output: machine facts, then one table of medians over the
rounds with the ratio Cairn/Redis, the issue's target and whether it is
met, then the commands and notes. Raw numbers of every round go to --json."""
import datetime
import os
import platform
import statistics
import subprocess

from compare.dataset import KEY_BYTES, VALUE_BYTES


def _first_line(argv):
    try:
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=30).stdout.decode().strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError) as e:
        return 'unknown (%s)' % e


def _mount_of(path):
    """(device, mount point, fs type) holding path, from /proc/mounts."""
    path = os.path.realpath(path)
    best = ('?', '/', '?')
    with open('/proc/mounts') as f:
        for line in f:
            dev, mnt, fstype = line.split()[:3]
            mnt = mnt.replace('\\040', ' ')
            if (path == mnt or path.startswith(mnt.rstrip('/') + '/')) and len(mnt) >= len(best[1]):
                best = (dev, mnt, fstype)
    return best


def filesystem_type(path):
    return _mount_of(path)[2]


def load_average():
    return ' '.join('%.2f' % x for x in os.getloadavg())


def machine_facts(repo, bins, data_root):
    cpu = '?'
    with open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    with open('/proc/meminfo') as f:
        mem_kb = int(f.readline().split()[1])
    dev, mnt, fstype = _mount_of(data_root)
    commit = _first_line(['git', '-C', repo, 'rev-parse', 'HEAD'])
    dirty = subprocess.run(['git', '-C', repo, 'status', '--porcelain', '--untracked-files=no'],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           timeout=30).stdout.strip()
    return {
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        'cpu': cpu,
        'cores': os.cpu_count(),
        'memory_gib': round(mem_kb / 1048576, 1),
        'kernel': platform.release(),
        'os': _first_line(['sh', '-c', '. /etc/os-release && echo "$PRETTY_NAME"']),
        'data_root': data_root,
        'filesystem': '%s on %s (mounted at %s)' % (fstype, dev, mnt),
        'load_average_at_start': load_average(),
        'redis_server': _first_line([bins['redis-server'], '--version']),
        'redis_benchmark': _first_line([bins['redis-benchmark'], '--version']),
        'cairn_commit': commit + (' (with uncommitted changes)' if dirty else ''),
        'python': platform.python_version(),
    }


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


FORMATS = {'ops/s': '{:,.0f}', 'ms': '{:.3f}', 's': '{:.2f}', 'B/key': '{:.1f}', '%': '{:.1f}%'}


class Row:
    def __init__(self, workload, metric, unit, redis, cairn, target='', met=None, ratio=True):
        self.workload, self.metric, self.unit = workload, metric, unit
        self.redis, self.cairn, self.target, self.met = redis, cairn, target, met
        self.ratio = cairn / redis if ratio and redis and cairn is not None else None

    def numbers(self):
        return {'workload': self.workload, 'metric': self.metric, 'unit': self.unit,
                'redis': self.redis, 'cairn': self.cairn, 'ratio': self.ratio,
                'target': self.target, 'met': self.met}

    def cells(self):
        def fmt(v):
            return 'n/a' if v is None else FORMATS[self.unit].format(v)
        met = '' if self.met is None else ('yes' if self.met else '**no**')
        ratio = '' if self.ratio is None else '%.2fx' % self.ratio
        return [self.workload, '%s (%s)' % (self.metric, self.unit), fmt(self.redis),
                fmt(self.cairn), ratio, self.target, met]


def _by_server(entries, pick):
    return {kind: _median([pick(e) for e in entries if e.get('server') == kind])
            for kind in ('redis', 'cairn')}


def _result(test, field):
    def pick(e):
        r = next(r for r in e['results'] if r['test'] == test)
        return r['ops_per_sec'] if field == 'ops' else r['latency_ms'].get(field)
    return pick


def _hit_rate(e):
    r = next(r for r in e['results'] if r['test'] == 'get')
    if r.get('hits') is None or r.get('misses') is None or r['hits'] + r['misses'] == 0:
        return None
    return 100 * r['hits'] / (r['hits'] + r['misses'])


def throughput_rows(raw, workload, title, tests, targets, lower_p99=False):
    """targets: test -> (target text, met(redis, cairn)) for ops/s;
    lower_p99: the target also asks Cairn for a lower p99 than Redis."""
    rows = []
    for pipeline in sorted({e['pipeline'] for e in raw if 'pipeline' in e}):
        entries = [e for e in raw if e.get('pipeline') == pipeline]
        c = entries[0]['connections']
        label = '%s %s, -c %d -P %d' % (workload, title, c, pipeline)
        for test in tests:
            ops = _by_server(entries, _result(test, 'ops'))
            text, met = targets.get(test, ('', None))
            ok = met(ops['redis'], ops['cairn']) if met and None not in ops.values() else None
            rows.append(Row(label, test.upper(), 'ops/s', ops['redis'], ops['cairn'], text, ok))
            if test == 'get':
                hits = _by_server(entries, _hit_rate)
                rows.append(Row(label, 'GET hits (counted by cairn-bench only)', '%',
                                hits['redis'], hits['cairn'], ratio=False))
            for field, name in (('p50', 'p50'), ('p99', 'p99'), ('p999', 'p99.9')):
                lat = _by_server(entries, _result(test, field))
                if field == 'p999' and lat['cairn'] is None and lat['redis'] is None:
                    continue
                lower = lower_p99 and field == 'p99'
                ok = (lat['cairn'] < lat['redis']) if lower and None not in lat.values() else None
                rows.append(Row(label, '%s %s' % (test.upper(), name), 'ms', lat['redis'],
                                lat['cairn'], 'lower' if lower else '', ok))
    return rows


def single_connection_rows(raw):
    runs = [e for e in raw if 'results' in e]
    label = '3 single connection durable, -c 1 -P 1'
    ops = _by_server(runs, _result('put', 'ops'))
    rows = [Row(label, 'PUT', 'ops/s', ops['redis'], ops['cairn'])]
    # The target is judged against the faster probe: the stricter bound.
    for key, shape in (('syncs_per_sec', 'appending'),
                       ('zero_filled_syncs_per_sec', 'in a zero-filled file')):
        bound = _median([e['probe'][key] for e in raw if key in e.get('probe', {})])
        pct = {k: (100 * v / bound if v is not None and bound else None) for k, v in ops.items()}
        rows.append(Row(label, 'fdatasync probe, same dir, ' + shape, 'ops/s', bound, bound,
                        ratio=False))
        rows.append(Row(label, 'PUT as % of that rate', '%', pct['redis'], pct['cairn'],
                        'Cairn >= 80%', None if pct['cairn'] is None else pct['cairn'] >= 80,
                        ratio=False))
    for field in ('p50', 'p99'):
        lat = _by_server(runs, _result('put', field))
        rows.append(Row(label, 'PUT ' + field, 'ms', lat['redis'], lat['cairn']))
    return rows


def _overhead(e, n, rss_key, base_key='rss_empty'):
    if e.get(rss_key) is None or e.get(base_key) is None:
        return None
    return (e[rss_key] - e[base_key] - n * (KEY_BYTES + VALUE_BYTES)) / n


def recovery_rows(raw):
    n = raw[0]['keys']
    label = '4 recovery, %d keys' % n
    pick = lambda redis_key, cairn_key: lambda e: e.get(
        redis_key if e['server'] == 'redis' else cairn_key)
    log = _by_server(raw, pick('restart_aof_seconds', 'restart_log_seconds'))
    snap = _by_server(raw, pick('restart_rdb_seconds', 'restart_snapshot_seconds'))
    load = _by_server(raw, pick('load_seconds', 'load_seconds'))
    met = snap['cairn'] <= snap['redis'] / 2 if None not in snap.values() else None
    empty = _by_server(raw, lambda e: e.get('start_empty_seconds'))
    return [
        Row(label, 'start to PING, empty data dir', 's', empty['redis'], empty['cairn']),
        Row(label, 'start to PING: AOF (c) / log (a)', 's', log['redis'], log['cairn']),
        Row(label, 'start to PING: RDB (d) / snapshots (b)', 's', snap['redis'], snap['cairn'],
            '<= 0.5x', met),
        Row(label, 'bulk load with the pipe client', 's', load['redis'], load['cairn']),
    ]


def memory_rows(raw):
    n = raw[0]['keys']
    label = '5 memory, %d keys' % n
    loaded = _by_server(raw, lambda e: _overhead(e, n, 'rss_loaded'))
    restarted = _by_server(raw, lambda e: _overhead(
        e, n, 'rss_after_rdb' if e['server'] == 'redis' else 'rss_after_snapshot'))
    used = _by_server(raw, lambda e: _overhead(e, n, 'used_memory_loaded', 'used_memory_empty')
                      if e['server'] == 'redis' else
                      _overhead(e, n, 'index_bytes_loaded', 'index_bytes_empty'))
    target = lambda v: None if v is None else v <= 64
    return [
        Row(label, 'RSS overhead after the load', 'B/key', loaded['redis'], loaded['cairn'],
            'Cairn <= 64', target(loaded['cairn'])),
        Row(label, 'RSS overhead after restart (RDB / snapshots)', 'B/key', restarted['redis'],
            restarted['cairn'], 'Cairn <= 64', target(restarted['cairn'])),
        Row(label, 'heap overhead: Redis used_memory, Cairn STATS index_bytes', 'B/key',
            used['redis'], used['cairn']),
    ]


def markdown(facts, params, rows, commands, notes, settings):
    out = ['## Cairn against Redis', '']
    for key, value in facts.items():
        out.append('- %s: %s' % (key.replace('_', ' '), value))
    for key, value in params.items():
        out.append('- %s: %s' % (key.replace('_', ' '), value))
    out += ['', '| workload | metric | Redis | Cairn | Cairn/Redis | target | met? |',
            '|---|---|---:|---:|---:|---|---|']
    for row in rows:
        out.append('| ' + ' | '.join(row.cells()) + ' |')
    out += ['', 'Medians over the rounds. Latencies are per request as each load generator '
            'measures them; redis-benchmark --csv prints no p99.9 (n/a). GETs read random keys '
            'of the same -r keyspace right after the PUT test, on both servers alike; where '
            'few keys exist, most GETs miss.', '']
    out += ['### Settings', ''] + ['- %s' % s for s in settings]
    out += ['', '### Commands ($PORT, $DIR: a free port and a new directory per run)', '']
    for workload in sorted(commands):
        for label, text in commands[workload].items():
            out.append('- workload %s, %s: `%s`' % (workload, label, text))
    if notes:
        out += ['', '### Notes', ''] + ['- %s' % n for n in notes]
    return '\n'.join(out) + '\n'
