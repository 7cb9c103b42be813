#!/usr/bin/env python3
"""Kill loop: rounds of start cairnd, drive concurrent writers (PUT, DELETE,
BATCH, CAS, INCR) that record every acknowledgement, kill -9 at a random
moment (small log segments and frequent automatic snapshots put kills
inside rotations and snapshots), restart, and check that
  - every acknowledged write is present with its value, or with the value
    of the one write in flight on that key when the kill came;
  - nothing that was never written appears (every value is unique);
  - a batch in flight is all-or-nothing;
  - versions keep growing across restarts.
Usage: kill_loop_test.py PATH_TO_CAIRND [ROUNDS]   (exit 0 pass, 1 fail)"""
import os
import random
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cairn_wire as w  # noqa: E402

WRITERS = 4
KEYS_PER_WRITER = 12


class Writer(threading.Thread):
    """Owns its keys, so its model is exact; one request in flight at most."""

    def __init__(self, index, port, model, rng_seed):
        super().__init__(daemon=True)
        self.index = index
        self.port = port
        self.model = model          # key -> (value, version); absent = deleted
        self.rng = random.Random(rng_seed)
        self.pending = None         # {key: value-or-None} the op in flight would leave
        self.acked = 0
        self.max_version = 0
        self.error = None
        self.counter = 0

    def key(self):
        return b'w%d-k%d' % (self.index, self.rng.randrange(KEYS_PER_WRITER))

    def unique(self):
        self.counter += 1
        return b'w%d-%d-%d' % (self.index, os.getpid(), self.counter) + os.urandom(4).hex().encode()

    def run(self):
        try:
            client = w.Client(self.port)
        except OSError:
            return
        try:
            while True:
                self.step(client)
        except (ConnectionError, OSError):
            pass  # the kill
        except AssertionError as e:  # a wrong answer from a live server
            self.error = str(e)

    def ack(self, version, effects):
        assert version > self.max_version, 'version %d after %d' % (version, self.max_version)
        self.max_version = version
        for k, v in effects.items():
            if v is None:
                self.model.pop(k, None)
            else:
                self.model[k] = (v, version)
        self.acked += 1
        self.pending = None

    def step(self, client):
        op = self.rng.randrange(5)
        k = self.key()
        if op == 0:
            v = self.unique()
            self.pending = {k: v}
            status, f = client.call(w.PUT, [k, v])
            assert status == w.OK, status
            self.ack(struct.unpack('>Q', f[0])[0], {k: v})
        elif op == 1:
            self.pending = {k: None}
            status, f = client.call(w.DELETE, [k])
            if status == w.NOT_FOUND:
                assert k not in self.model, 'NOT_FOUND for a present key'
                self.pending = None
            else:
                assert status == w.OK, status
                self.ack(struct.unpack('>Q', f[0])[0], {k: None})
        elif op == 2:
            keys = list({self.key() for _ in range(3)})
            effects = {}
            fields = []
            for bk in keys:
                if self.rng.random() < 0.25:
                    effects[bk] = None
                    fields += [b'\x04', bk, b'']
                else:
                    effects[bk] = self.unique()
                    fields += [b'\x03', bk, effects[bk]]
            self.pending = effects
            status, f = client.call(w.BATCH, fields)
            assert status == w.OK, status
            self.ack(struct.unpack('>Q', f[0])[0], effects)
        elif op == 3:
            v = self.unique()
            expected = self.model[k][1] if k in self.model else 0
            self.pending = {k: v}
            status, f = client.call(w.CAS, [k, w.u64(expected), v])
            assert status == w.OK, 'CAS with the right version: %d' % status
            self.ack(struct.unpack('>Q', f[0])[0], {k: v})
        else:
            c = b'w%d-counter' % self.index
            now = int(self.model[c][0]) if c in self.model else 0
            self.pending = {c: b'%d' % (now + 7)}
            status, f = client.call(w.INCR, [c, struct.pack('>q', 7)])
            assert status == w.OK, status
            assert f[0] == b'%d' % (now + 7), (f[0], now)
            self.ack(struct.unpack('>Q', f[1])[0], {c: f[0]})


def start(cairnd, data, port_file, log):
    return w.start_cairnd(cairnd, data, port_file, log,
                          ['--fsync', 'always', '--shards', '3', '--segment-bytes', '65536',
                           '--snapshot-every-bytes', '49152'])


def check(port, writers, models, last_seen_version):
    """Compares the restarted store with each writer's model. Returns
    (failures, keys checked, the store's last version)."""
    failures = []
    client = w.Client(port)
    last = client.stats_last_version()
    if last < last_seen_version:
        failures.append('last_version %d after restart, below acknowledged %d' %
                        (last, last_seen_version))
    checked = 0
    for wr in writers:
        model = models[wr.index]
        keys = {b'w%d-k%d' % (wr.index, i) for i in range(KEYS_PER_WRITER)}
        keys.add(b'w%d-counter' % wr.index)
        observed = {k: client.get(k) for k in keys}
        checked += len(keys)
        pending = wr.pending or {}

        def has_pending_value(k):
            v = pending[k]
            return observed[k] is None if v is None else (
                observed[k] is not None and observed[k][0] == v)

        # Either the write in flight did not happen, or all of it did.
        not_applied = all(observed[k] == model.get(k) for k in keys)
        applied = bool(pending) and all(
            has_pending_value(k) if k in pending else observed[k] == model.get(k) for k in keys)
        if applied:
            versions = {observed[k][1] for k in pending if observed[k] is not None}
            if len(versions) > 1 or any(v <= wr.max_version for v in versions):
                failures.append('writer %d: write in flight applied with versions %r (last '
                                'acknowledged %d)' % (wr.index, versions, wr.max_version))
        if not (not_applied or applied):
            for k in sorted(keys):
                if observed[k] != model.get(k):
                    failures.append('writer %d key %r: got %r, acknowledged %r, in flight %r' %
                                    (wr.index, k, observed[k], model.get(k), pending.get(k, '-')))
        # What the store holds becomes the acknowledged state.
        models[wr.index] = {k: v for k, v in observed.items() if v is not None}
    client.close()
    return failures, checked, last


def main():
    cairnd = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    work = tempfile.mkdtemp(prefix='cairn-kill-')
    data, port_file = os.path.join(work, 'data'), os.path.join(work, 'port')
    log = open(os.path.join(work, 'cairnd.log'), 'ab')
    rng = random.Random(int(os.environ.get('CAIRN_KILL_SEED', '20261127')))
    models = [dict() for _ in range(WRITERS)]
    last_version = 0
    acked = checked = 0
    failures = []
    for r in range(rounds):
        proc, port = start(cairnd, data, port_file, log)
        if r > 0:
            f, c, last_version = check(port, writers, models, last_version)
            failures += ['round %d: %s' % (r, x) for x in f]
            checked += c
        writers = [Writer(i, port, models[i], rng.random()) for i in range(WRITERS)]
        for wr in writers:
            wr.max_version = last_version
            wr.start()
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for wr in writers:
            wr.join(timeout=10)
            if wr.error:
                failures.append('round %d writer %d: %s' % (r, wr.index, wr.error))
            acked += wr.acked
            last_version = max(last_version, wr.max_version)
        if failures:
            break
    proc, port = start(cairnd, data, port_file, log)
    f, c, _ = check(port, writers, models, last_version)
    failures += ['final: %s' % x for x in f]
    checked += c
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    print('kill loop: %d rounds, %d acknowledged writes, %d key states checked after restarts'
          % (rounds, acked, checked))
    for x in failures[:20]:
        print('FAIL:', x)
    if failures:
        print('data and log kept in', work)
        return 1
    shutil.rmtree(work)
    return 0


if __name__ == '__main__':
    sys.exit(main())
