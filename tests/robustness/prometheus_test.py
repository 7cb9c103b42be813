#!/usr/bin/env python3
"""A real Prometheus scrapes cairnd: starts cairnd with --metrics-port, makes
PUTs, starts Debian's prometheus on loopback with a scrape config pointing at
cairnd (1 s interval), and asks Prometheus's HTTP API for the counters until
they show the writes: up == 1, cairn_writes_committed_total == the PUTs made,
cairn_keys == the keys written, and a histogram quantile of the fdatasync
latency that is a number.
Usage: prometheus_test.py PATH_TO_CAIRND   (exit 0 pass, 1 fail, 77 no prometheus)"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cairn_wire as w  # noqa: E402

PUTS = 30
KEYS = 10
DEADLINE_S = 60


def unused_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def query(prometheus_port, expr):
    """The instant vector's first value for expr, or None."""
    url = 'http://127.0.0.1:%d/api/v1/query?%s' % (
        prometheus_port, urllib.parse.urlencode({'query': expr}))
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            result = json.load(answer)['data']['result']
    except (OSError, ValueError, KeyError):
        return None
    return float(result[0]['value'][1]) if result else None


def main():
    cairnd = sys.argv[1]
    prometheus = shutil.which('prometheus')
    if not prometheus:
        print('prometheus: no prometheus on PATH (scripts/install-deps.sh installs it); skipped')
        return 77
    work = tempfile.mkdtemp(prefix='cairn-prometheus-')
    failures = []
    procs = []
    try:
        metrics_port = unused_port()
        with open(os.path.join(work, 'cairnd.log'), 'w') as log:
            proc, port = w.start_cairnd(cairnd, os.path.join(work, 'data'),
                                        os.path.join(work, 'port'), log,
                                        ['--metrics-port', str(metrics_port)])
        procs.append(proc)
        c = w.Client(port)
        for i in range(PUTS):
            status, fields = c.call(w.PUT, [b'key-%d' % (i % KEYS), b'value-%d' % i])
            if status != w.OK:
                failures.append('PUT %d answered %d %r' % (i, status, fields))
        c.close()

        config = os.path.join(work, 'prometheus.yml')
        with open(config, 'w') as f:
            f.write('global:\n  scrape_interval: 1s\n'
                    'scrape_configs:\n  - job_name: cairn\n'
                    '    static_configs:\n      - targets: ["127.0.0.1:%d"]\n' % metrics_port)
        prometheus_port = unused_port()
        with open(os.path.join(work, 'prometheus.log'), 'w') as log:
            procs.append(subprocess.Popen(
                [prometheus, '--config.file', config,
                 '--storage.tsdb.path', os.path.join(work, 'tsdb'),
                 '--web.listen-address', '127.0.0.1:%d' % prometheus_port],
                stdout=log, stderr=subprocess.STDOUT))

        expected = {
            'up{job="cairn"}': 1,
            'cairn_writes_committed_total': PUTS,
            'cairn_keys': KEYS,
        }
        got = {}
        started = time.monotonic()
        while time.monotonic() - started < DEADLINE_S:
            got = {expr: query(prometheus_port, expr) for expr in expected}
            if got == expected:
                break
            time.sleep(0.5)
        for expr, value in expected.items():
            if got.get(expr) != value:
                failures.append('Prometheus answered %s = %r, expected %r (after %d s)'
                                % (expr, got.get(expr), value, DEADLINE_S))
        p99 = query(prometheus_port,
                    'histogram_quantile(0.99, cairn_log_fdatasync_seconds_bucket)')
        if p99 is None or not p99 == p99:  # NaN when no sync was observed
            failures.append('no p99 of the fdatasync latency: %r' % p99)
        print('prometheus: scraped cairnd on :%d through Prometheus on :%d in %.1f s: %s, '
              'fdatasync p99 %s s' % (metrics_port, prometheus_port, time.monotonic() - started,
                                     ', '.join('%s=%s' % kv for kv in got.items()), p99))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    return w.finish(failures, work, 'logs and data')


if __name__ == '__main__':
    sys.exit(main())
