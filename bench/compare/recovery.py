"""Workloads 4 (recovery) and 5 (memory) of issue 5, on one bulk load per
server and round: the same N keys and values into a fresh Redis and a fresh
Cairn, memory measured SETTLE_SECONDS after the load (both servers hand
freed memory back in the background: jemalloc's purge, cairnd's trimmer,
which checks every second), then restarts timed from process
start to the first good PING, with key counts checked after each.
  Redis: load (appendonly yes, appendfsync no) -> SAVE -> stop
         -> (c) restart from the AOF -> stop -> (d) restart from dump.rdb
  Cairn: load (--fsync never, no automatic snapshot) -> stop
         -> (a) restart from the log only -> SNAPSHOT -> stop
         -> (b) restart from the snapshots (and the log they left)"""
import os
import re
import sys
import time

from compare import procs, runner
from compare.runner import KINDS

CAIRN_LOAD = runner.CAIRN_NON_DURABLE + ['--snapshot-every-bytes', '0']
SETTLE_SECONDS = 3


def _check_keys(server, want, when):
    got = server.keys()
    if got != want:
        raise procs.Error('%s holds %s keys %s, expected %d' % (server.name, got, when, want))


def _load(bench, server, path):
    """Bulk-loads path through the server's own pipe client; returns seconds."""
    if server.name == 'cairnd':
        argv = [bench.bins['cairn-cli'], '-h', '127.0.0.1', '-p', str(server.port), '--pipe']
    else:
        argv = [bench.bins['redis-cli'], '-h', '127.0.0.1', '-p', str(server.port), '--pipe']
    started = time.monotonic()
    out = procs.run(argv, timeout=3600, stdin_path=path)
    seconds = time.monotonic() - started
    errors = re.search(r'errors: (\d+)', out)
    if not errors or errors.group(1) != '0':
        raise procs.Error('%s reported errors:\n%s' % (' '.join(argv), out[-2000:]))
    bench.remember_command('4+5', '%s bulk load' % os.path.basename(argv[0]),
                           argv + ['<', os.path.basename(path)], server.port)
    return seconds


def _restart(bench, server, label, then=None):
    """Starts server again; returns (seconds to first good PING, RSS after).
    then(server) runs before it is stopped."""
    with bench.running(server) as seconds:
        _check_keys(server, bench.params['keys'], 'after restart ' + label)
        rss = server.rss()
        bench.remember_command('4+5', '%s restart (%s)' % (server.name, label), server.command(),
                               server.port, server.data_dir)
        if then:
            then(server)
    return seconds, rss


def _measured_load(bench, server, load_path, memory_name, then=None):
    """Starts server empty and bulk-loads load_path; returns the start and load
    times, and RSS and memory_name (the server's own memory figure) empty and
    loaded. then(server) runs before it is stopped."""
    out = {}
    with bench.running(server) as out['start_empty_seconds']:
        out['rss_empty'], out[memory_name + '_empty'] = server.rss(), server.used_memory()
        out['load_seconds'] = _load(bench, server, load_path)
        _check_keys(server, bench.params['keys'], 'after the load')
        time.sleep(SETTLE_SECONDS)
        out['rss_loaded'], out[memory_name + '_loaded'] = server.rss(), server.used_memory()
        bench.remember_command('4+5', server.name + ' load', server.command(), server.port,
                               server.data_dir)
        if then:
            then(server)
    return out


def _redis_round(bench, run_dir, load_path):
    server = bench.server('redis', run_dir, runner.REDIS_NON_DURABLE, 'load.log')
    out = _measured_load(bench, server, load_path, 'used_memory', then=lambda s: s.call('SAVE'))
    out['disk_bytes_aof_and_rdb'] = runner.dir_bytes(server.data_dir)
    server.log_path = run_dir + '/restart-aof.log'
    out['restart_aof_seconds'], out['rss_after_aof'] = _restart(bench, server, 'c')
    server.args = runner.REDIS_RDB
    server.log_path = run_dir + '/restart-rdb.log'
    out['restart_rdb_seconds'], out['rss_after_rdb'] = _restart(bench, server, 'd')
    return out


def _cairn_round(bench, run_dir, load_path):
    server = bench.server('cairn', run_dir, CAIRN_LOAD, 'load.log')
    out = _measured_load(bench, server, load_path, 'index_bytes')
    if server.snapshot_files():
        raise procs.Error('cairnd wrote snapshots during the load (%s): case (a) would not '
                          'replay the log only' % server.snapshot_files())
    out['disk_bytes_log'] = runner.dir_bytes(server.data_dir)
    server.log_path = run_dir + '/restart-log.log'
    out['restart_log_seconds'], out['rss_after_log'] = _restart(
        bench, server, 'a', then=lambda s: s.snapshot())
    out['files_after_snapshot'] = {f: os.path.getsize(os.path.join(server.data_dir, f))
                                   for f in sorted(os.listdir(server.data_dir))}
    server.log_path = run_dir + '/restart-snapshot.log'
    out['restart_snapshot_seconds'], out['rss_after_snapshot'] = _restart(bench, server, 'b')
    return out


def recovery_and_memory(bench, dataset_paths):
    """dataset_paths: (RESP file, text file) of the same params['keys'] pairs."""
    resp_path, text_path = dataset_paths
    for rnd in range(bench.rounds):
        for kind in KINDS:
            print('workloads 4/5 round %d/%d: %s, %d keys' % (
                rnd + 1, bench.rounds, kind, bench.params['keys']), file=sys.stderr)
            with bench.run_dir('w4-%s' % kind) as run_dir:
                if kind == 'redis':
                    out = _redis_round(bench, run_dir, resp_path)
                else:
                    out = _cairn_round(bench, run_dir, text_path)
            out.update({'round': rnd, 'server': kind, 'keys': bench.params['keys']})
            bench.record('4+5', out)
