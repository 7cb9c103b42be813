#!/usr/bin/env python3
"""Cairn against Redis on the same machine (issue 5): fresh servers on
loopback, each in its own directory on the real disk, the same workloads
driven by redis-benchmark and cairn-bench with the same flags, alternating
Redis then Cairn each round; prints a Markdown table of medians with the
ratio Cairn/Redis and the issue's targets.

  bench/compare.py                    # setup, Release build, all workloads, 3 rounds
  bench/compare.py --quick            # smoke run: small sizes, 1 round
  bench/compare.py --only 1,4 --build-dir build-release --json out.json

Workloads: 1 durable writes, 2 non-durable PUT and GET, 3 one connection
durable beside the disk's fdatasync rate, 4 recovery time, 5 memory per key.
Python 3 standard library only."""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True  # leave no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from compare import (dataset, probe, procs, recovery, report, runner, setup_tree,  # noqa: E402
                     throughput)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FULL = {'requests': 100000, 'connections': 50, 'value_size': 100, 'keyspace': 1000000,
        'keys': 1000000, 'probe_seconds': 5, 'single_seconds': 10}
QUICK = {'requests': 20000, 'connections': 50, 'value_size': 100, 'keyspace': 1000000,
         'keys': 100000, 'probe_seconds': 2, 'single_seconds': 2}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--quick', action='store_true', help='small sizes and 1 round (a smoke run)')
    ap.add_argument('--only', default='1,2,3,4,5', help='workloads to run, e.g. 1,4')
    ap.add_argument('--rounds', type=int, help='rounds per workload (default 3, --quick 1)')
    ap.add_argument('--requests', type=int, help='-n of workloads 1 and 2')
    ap.add_argument('--keys', type=int, help='keys loaded in workloads 4 and 5')
    ap.add_argument('--threads', type=int, default=1, help='load generator threads (default 1)')
    ap.add_argument('--build-dir', help='existing build tree to use (default: build a Release '
                    'tree in build-release)')
    ap.add_argument('--data-root', help='where the servers\' directories go (default: '
                    'BUILD_DIR/compare-data); must not be tmpfs')
    ap.add_argument('--skip-setup', action='store_true',
                    help='do not run install-deps.sh nor install Redis')
    ap.add_argument('--cairn-bench', help='cairn-bench binary (default: the build tree\'s)')
    ap.add_argument('--json', help='write every round\'s raw numbers to this file')
    args = ap.parse_args()
    try:
        args.only = sorted({int(w) for w in args.only.split(',')})
    except ValueError:
        ap.error('--only takes workload numbers, e.g. 1,4')
    if not set(args.only) <= {1, 2, 3, 4, 5}:
        ap.error('workloads are 1 to 5')
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    if args.rounds < 1 or args.threads < 1:
        ap.error('--rounds and --threads must be at least 1')
    return args


def prepare(args):
    """Installs, builds, and checks the data root; returns (bins, data root)."""
    if not args.skip_setup:
        setup_tree.install_packages(REPO)
    if args.build_dir:
        build_dir = os.path.abspath(args.build_dir)
    else:
        build_dir = setup_tree.build(REPO)
    kind = setup_tree.build_type(build_dir)
    if kind != 'Release':
        print('warning: %s is a %s build, not Release' % (build_dir, kind), file=sys.stderr)
    bins = setup_tree.binaries(build_dir, args.cairn_bench)
    data_root = os.path.abspath(args.data_root or os.path.join(build_dir, 'compare-data'))
    os.makedirs(data_root, exist_ok=True)
    fstype = report.filesystem_type(data_root)
    if fstype in ('tmpfs', 'ramfs'):
        raise procs.Error('%s is on %s: fdatasync would cost nothing there; give --data-root '
                          'on a real disk' % (data_root, fstype))
    return bins, data_root


def run_workloads(bench, only):
    rows = []
    if 1 in only:
        throughput.durable_writes(bench)
        rows += report.throughput_rows(bench.raw['1'], '1', 'durable writes', ['put'], {
            'put': ('>= 1.5x', lambda r, c: c >= 1.5 * r)}, lower_p99=True)
    if 2 in only:
        throughput.non_durable(bench)
        at_least = ('>= 1.0x', lambda r, c: c >= r)
        rows += report.throughput_rows(bench.raw['2'], '2', 'non-durable', ['put', 'get'], {
            'put': at_least, 'get': at_least})
    if 3 in only:
        throughput.single_connection(bench)
        rows += report.single_connection_rows(bench.raw['3'])
    if 4 in only or 5 in only:
        with bench.run_dir('dataset') as directory:
            print('writing the data set: %d keys' % bench.params['keys'], file=sys.stderr)
            paths = dataset.write(directory, bench.params['keys'])
            recovery.recovery_and_memory(bench, paths)
        if 4 in only:
            rows += report.recovery_rows(bench.raw['4+5'])
        if 5 in only:
            rows += report.memory_rows(bench.raw['4+5'])
    return rows


SETTINGS = [
    'Redis, every run: `%s`; durable: `%s`; non-durable: `%s`; from RDB: `%s`' % (
        ' '.join(a or "''" for a in runner.REDIS_COMMON),
        ' '.join(runner.REDIS_DURABLE[len(runner.REDIS_COMMON):]),
        ' '.join(runner.REDIS_NON_DURABLE[len(runner.REDIS_COMMON):]),
        ' '.join(runner.REDIS_RDB[len(runner.REDIS_COMMON):])),
    'Cairn: every default except `--port`, `--data-dir`, `--fsync always` (durable) or `--fsync '
    'never` (non-durable); workloads 4 and 5 load under `%s` so that case (a) replays the log '
    'only' % ' '.join(recovery.CAIRN_LOAD),
    'Workload 3: before each round and after the last, a probe writes %d-byte records with an '
    'fdatasync after each (bench/compare/probe.py), appending to a new file in the data root, '
    'then over a zero-filled one; each bound is the median of its probes; -n is the first '
    'appending probe\'s rate times single_seconds, the same for both servers.' % len(probe.RECORD),
    'Restarts read from the page cache (the data was just written; caches are not dropped).',
    'Memory overhead per key: (VmRSS loaded - VmRSS empty after start - keys x %d) / keys.' % (
        dataset.KEY_BYTES + dataset.VALUE_BYTES),
]


def main():
    args = parse_args()
    procs.install_cleanup()
    params = dict(QUICK if args.quick else FULL)
    if args.requests:
        params['requests'] = args.requests
    if args.keys:
        params['keys'] = args.keys
    try:
        bins, data_root = prepare(args)
        facts = report.machine_facts(REPO, bins, data_root)
        bench = runner.Bench(bins, data_root, params, args.rounds, args.threads)
        rows = run_workloads(bench, args.only)
    except procs.Error as e:
        print('compare.py: %s' % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('compare.py: interrupted; servers stopped, directories removed', file=sys.stderr)
        return 130
    finally:
        procs.kill_all()
    facts['load_average_at_end'] = report.load_average()
    run_params = dict(params, rounds=args.rounds, load_generator_threads=args.threads,
                      workloads=','.join(map(str, args.only)))
    sys.stdout.write(report.markdown(facts, run_params, rows, bench.commands, bench.notes,
                                     SETTINGS))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'facts': facts, 'params': run_params, 'settings': SETTINGS,
                       'commands': bench.commands, 'notes': bench.notes,
                       'table': [r.numbers() for r in rows],
                       'rounds': bench.raw}, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
