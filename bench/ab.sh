#!/usr/bin/env bash
# Two cairnd builds side by side on one workload: rounds alternate A then B,
# each on a fresh cairnd whose data directory is on the disk (/var/tmp), and
# print one line per run. Durable PUTs at -P 1 and -P 16 by default.
# Usage: bench/ab.sh CAIRND_A CAIRND_B [ROUNDS]
#   e.g. with CAIRND_A built from an earlier revision (a second worktree):
#        bench/ab.sh CAIRND_A build/server/cairnd 5
# Env: CAIRN_BENCH (default build/bench/cairn_bench/cairn-bench), FSYNC (always),
#      PORT (7391).
set -euo pipefail
cd "$(dirname "$0")/.."
a=$1 b=$2 rounds=${3:-3}
bench=${CAIRN_BENCH:-build/bench/cairn_bench/cairn-bench}
port=${PORT:-7391}
for round in $(seq 1 "$rounds"); do
  for side in A B; do
    cairnd=$a
    [[ $side == B ]] && cairnd=$b
    dir=$(mktemp -d /var/tmp/cairn-ab-XXXXXX)
    "$cairnd" --port "$port" --data-dir "$dir/data" --fsync "${FSYNC:-always}" >"$dir/log" 2>&1 &
    pid=$!
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    p1=$("$bench" -p "$port" -t put -n 100000 -r 1000000 -c 50 -P 1 -d 100 -q)
    p16=$("$bench" -p "$port" -t put -n 300000 -r 1000000 -c 50 -P 16 -d 100 -q)
    kill "$pid"
    wait "$pid" || true
    rm -rf "$dir"
    echo "round $round $side | -P 1: $p1 | -P 16: $p16"
  done
done
