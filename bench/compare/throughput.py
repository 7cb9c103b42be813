"""Workloads 1 to 3 of issue 5: the same redis-benchmark / cairn-bench flags
against a fresh server of each kind, alternately Redis then Cairn, each
round. Every round's numbers go to the record; the table takes medians."""
import math
import sys

from compare import loadgen, probe, runner
from compare.runner import KINDS


def _one_run(bench, workload, kind, server_args, tests, c, n, pipeline, label):
    p = bench.params
    with bench.run_dir('w%s-%s' % (workload, kind)) as run_dir:
        server = bench.server(kind, run_dir, server_args)
        with bench.running(server):
            gen = 'redis-benchmark' if kind == 'redis' else 'cairn-bench'
            argv, results = loadgen.run(kind, bench.bins[gen], server.port, tests, c, n,
                                        p['value_size'], p['keyspace'], pipeline, bench.threads,
                                        timeout=600 + n / 20)
            keys = server.keys()
        bench.remember_command(workload, server.name, server.command(), server.port,
                               server.data_dir)
        bench.remember_command(workload, '%s %s' % (gen, label), argv, server.port)
    # Random keys: n draws from r give about r(1 - e^(-n/r)) distinct keys.
    expected = p['keyspace'] * (1 - math.exp(-n / p['keyspace']))
    if 'put' in tests and keys < 0.9 * expected:
        bench.note('workload %s %s -P %d: %d keys after %d PUTs, expected about %.0f' % (
            workload, kind, pipeline, keys, n, expected))
    for r in results:
        if r.get('errors'):
            bench.note('workload %s %s %s -P %d: %s errors in %d requests' % (
                workload, kind, r['test'], pipeline, r['errors'], n))
    return {'server': kind, 'pipeline': pipeline, 'connections': c, 'requests': n,
            'command': argv, 'server_command': server.command(), 'keys_after': keys,
            'results': results}


def _alternate(bench, workload, args_of, tests, c, n, pipeline, label):
    for rnd in range(bench.rounds):
        for kind in KINDS:
            print('workload %s %s round %d/%d: %s' % (workload, label, rnd + 1, bench.rounds, kind),
                  file=sys.stderr)
            entry = _one_run(bench, workload, kind, args_of[kind], tests, c, n, pipeline, label)
            entry['round'] = rnd
            bench.record(workload, entry)


def durable_writes(bench):
    """1: Cairn --fsync always against Redis appendfsync always."""
    p = bench.params
    args = {'redis': runner.REDIS_DURABLE, 'cairn': runner.CAIRN_DURABLE}
    for pipeline in (1, 16):
        _alternate(bench, '1', args, ['put'], p['connections'], p['requests'], pipeline,
                   '-P %d' % pipeline)


def non_durable(bench):
    """2: Cairn --fsync never against Redis appendfsync no; PUT then GET."""
    p = bench.params
    args = {'redis': runner.REDIS_NON_DURABLE, 'cairn': runner.CAIRN_NON_DURABLE}
    for pipeline in (1, 16):
        _alternate(bench, '2', args, ['put', 'get'], p['connections'], p['requests'], pipeline,
                   '-P %d' % pipeline)


def _probe(bench, label):
    p = bench.params
    with bench.run_dir('w3-probe') as run_dir:
        rate, syncs = probe.fdatasync_rate(run_dir, p['probe_seconds'])
        zf_rate, zf_syncs = probe.fdatasync_rate(run_dir, p['probe_seconds'], zero_filled=True)
    print('workload 3 %s: fdatasync probe %.0f/s appending, %.0f/s in a zero-filled file' %
          (label, rate, zf_rate), file=sys.stderr)
    bench.record('3', {'probe': {'when': label, 'syncs_per_sec': rate, 'syncs': syncs,
                                 'zero_filled_syncs_per_sec': zf_rate,
                                 'zero_filled_syncs': zf_syncs,
                                 'seconds': p['probe_seconds'],
                                 'record_bytes': len(probe.RECORD)}})
    return rate


def single_connection(bench):
    """3: one connection, no pipelining, durable, beside the disk's own
    fdatasync rate, probed in the same data root before each round and after
    the last (the table takes the median of the probes). The request count
    is sized from the first probe to last about params['single_seconds']
    per server."""
    p = bench.params
    args = {'redis': runner.REDIS_DURABLE, 'cairn': runner.CAIRN_DURABLE}
    n = None
    for rnd in range(bench.rounds):
        rate = _probe(bench, 'before round %d' % (rnd + 1))
        if n is None:
            n = max(200, int(rate * p['single_seconds']))
        for kind in KINDS:
            print('workload 3 round %d/%d: %s, -n %d' % (rnd + 1, bench.rounds, kind, n),
                  file=sys.stderr)
            entry = _one_run(bench, '3', kind, args[kind], ['put'], 1, n, 1, '-c 1 -P 1')
            entry['round'] = rnd
            bench.record('3', entry)
    _probe(bench, 'after the last round')
