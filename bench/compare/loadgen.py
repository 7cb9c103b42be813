"""Runs the two load generators with the same -c -n -d -r -P and returns
their results in one shape:
  {"test": "put"|"get", "ops_per_sec": float, "errors": int|None,
   "latency_ms": {"p50", "p99", "p999", "max", ...} (None where unknown)}
redis-benchmark's CSV has no p99.9: it stays None and prints as n/a."""
import csv
import io
import json

from compare import procs

# redis-benchmark's test names for the workloads cairn-bench calls put/get.
REDIS_TEST = {'put': 'set', 'get': 'get'}


def _common_flags(port, c, n, d, r, pipeline, threads):
    return ['-h', '127.0.0.1', '-p', str(port), '-c', str(c), '-n', str(n), '-d', str(d),
            '-r', str(r), '-P', str(pipeline)] + (['--threads', str(threads)] if threads > 1 else [])


def redis_command(binary, port, tests, c, n, d, r, pipeline, threads):
    return [binary] + _common_flags(port, c, n, d, r, pipeline, threads) + [
        '-t', ','.join(REDIS_TEST[t] for t in tests), '--csv']


def cairn_command(binary, port, tests, c, n, d, r, pipeline, threads):
    # cairn-bench's --threads defaults to 1 like redis-benchmark's, so the
    # flag is given only where redis-benchmark gets it too.
    return [binary] + _common_flags(port, c, n, d, r, pipeline, threads) + [
        '-t', ','.join(tests), '-q', '--json']


def parse_redis_csv(text):
    """redis-benchmark 7 --csv: a header line, then per test
    test,rps,avg,min,p50,p95,p99,max (latencies in ms)."""
    names = {v.upper(): k for k, v in REDIS_TEST.items()}
    results = []
    for row in csv.DictReader(io.StringIO(text)):
        results.append({
            'test': names.get(row['test'], row['test'].lower()),
            'ops_per_sec': float(row['rps']),
            'errors': None,
            'latency_ms': {
                'min': float(row['min_latency_ms']),
                'mean': float(row['avg_latency_ms']),
                'p50': float(row['p50_latency_ms']),
                'p95': float(row['p95_latency_ms']),
                'p99': float(row['p99_latency_ms']),
                'p999': None,
                'max': float(row['max_latency_ms']),
            },
        })
    return results


def parse_cairn_json(text):
    doc = json.loads(text)
    results = []
    for r in doc['results']:
        lat = dict(r['latency_ms'])
        lat.setdefault('p999', None)
        results.append({'test': r['test'], 'ops_per_sec': float(r['ops_per_sec']),
                        'errors': r.get('errors'), 'hits': r.get('hits'),
                        'misses': r.get('misses'), 'latency_ms': lat})
    return results


def run(kind, binary, port, tests, c, n, d, r, pipeline, threads, timeout):
    """Runs one load generator; returns (command, results in test order)."""
    build = redis_command if kind == 'redis' else cairn_command
    argv = build(binary, port, tests, c, n, d, r, pipeline, threads)
    out = procs.run(argv, timeout)
    results = parse_redis_csv(out) if kind == 'redis' else parse_cairn_json(out)
    got = [x['test'] for x in results]
    if got != list(tests):
        raise procs.Error('%s printed results for %s, expected %s:\n%s' % (
            ' '.join(argv), got, list(tests), out[-2000:]))
    return argv, results
