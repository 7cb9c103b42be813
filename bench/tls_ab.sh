#!/usr/bin/env bash
# Durable PUTs over TLS against plaintext on the same cairnd: each round
# starts a fresh cairnd with both listeners (data on the disk, /var/tmp) and
# runs the same cairn-bench workload on the plain port and on the TLS port,
# the order alternating between rounds; prints one line per run.
# Certificates (EC P-256) are made with the openssl command in the run's
# directory; the server asks for no client certificate.
# Usage: bench/tls_ab.sh [ROUNDS]
# Env: CAIRND (default build/server/cairnd), CAIRN_BENCH (default
#      build/bench/cairn_bench/cairn-bench), PORT (7491), TLS_PORT (7492),
#      FSYNC (always), ARGS (cairn-bench's workload flags).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
cairnd=${CAIRND:-build/server/cairnd}
bench=${CAIRN_BENCH:-build/bench/cairn_bench/cairn-bench}
port=${PORT:-7491}
tls_port=${TLS_PORT:-7492}
read -r -a args <<<"${ARGS:--t put -n 300000 -r 1000000 -c 50 -P 16 -d 100 -q}"
dir=$(mktemp -d /var/tmp/cairn-tls-ab-XXXXXX)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$dir"' EXIT
(
  cd "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout ca.key -out ca.pem -subj "/CN=bench CA"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout server.key -out server.csr -subj "/CN=localhost"
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
  openssl x509 -req -days 2 -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -extfile san.ext -out server.pem
) >"$dir/openssl.log" 2>&1
plain() { "$bench" -p "$port" "${args[@]}"; }
tls() { "$bench" -p "$tls_port" --tls --cacert "$dir/ca.pem" "${args[@]}"; }
for round in $(seq 1 "$rounds"); do
  rm -rf "$dir/data"
  "$cairnd" --port "$port" --tls-port "$tls_port" --tls-cert-file "$dir/server.pem" \
    --tls-key-file "$dir/server.key" --tls-auth-clients no --data-dir "$dir/data" \
    --fsync "${FSYNC:-always}" >"$dir/log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null && break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null || { cat "$dir/log" >&2; exit 1; }
  if ((round % 2)); then order=(plain tls); else order=(tls plain); fi
  for side in "${order[@]}"; do echo "round $round $side: $($side)"; done
  kill "$pid"
  wait "$pid" || true
done
