#!/usr/bin/env bash
# Builds the container image (Dockerfile) and tests it for real: the server
# answers from the host, data survives `stop` and `kill -s KILL` of the
# container (every acknowledged write), `stop` exits 0 quickly, the process is
# not root, the health check passes, TLS works with certificates made by the
# openssl command and mounted into the container (client certificates
# required, SIGHUP reload); prints the image size and a summary.
#
# Environment:
#   CONTAINER_CLI    docker-compatible command (default: ../shared/container/podman
#                    beside the repository if present, else docker)
#   CAIRN_TEST_PORT  port cairnd listens on, host network (default 17070)
#   CAIRN_TEST_TLS_PORT  its TLS port in the TLS part (default 17443)
#   CAIRN_TEST_KEYS  keys written before the kill (default 200)
#   CAIRN_TEST_IMAGE image tag to build and test (default cairn:container-test)
#   CAIRN_TEST_SKIP_BUILD=1  test an existing CAIRN_TEST_IMAGE without building
#   CAIRN_CLI        host-side cairn-cli (default: the one in build*/ if built,
#                    else a python3 text-mode client)
#   CAIRN_SUMMARY_FILE  if set (by .ci/run), the summary's counts are appended there
# Exits non-zero if any check fails. Containers, the volume and temporary
# files are removed on exit; the image is kept (rebuilds reuse its layers).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

# ---- settings
source "$repo/scripts/container-cli.sh"
PORT=${CAIRN_TEST_PORT:-17070}
TLS_PORT=${CAIRN_TEST_TLS_PORT:-17443}
N=${CAIRN_TEST_KEYS:-200}
IMAGE=${CAIRN_TEST_IMAGE:-cairn:container-test}
tag="cairn-test-$$"
VOLUME="$tag-data"
tmp=$(mktemp -d)
containers=()
results=()
failures=0

is_podman=0
"${CT[@]}" --version 2>/dev/null | grep -qi podman && is_podman=1
# podman schedules health checks with systemd timers; there may be no systemd
# here, so the test runs the check itself (podman healthcheck run).
((is_podman)) && export DISABLE_HC_SYSTEMD=true

cleanup() {
  local c
  if ((failures > 0)); then
    for c in "${containers[@]}"; do
      echo "--- last log lines of $c:" >&2
      "${CT[@]}" logs --tail 15 "$c" >&2 || true
    done
  fi
  for c in "${containers[@]}"; do
    "${CT[@]}" kill "$c" >/dev/null 2>&1 || true
    "${CT[@]}" rm -f "$c" >/dev/null 2>&1 || true
  done
  "${CT[@]}" volume rm -f "$VOLUME" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- reporting
pass() { results+=("PASS  $1"); echo "  ok: $1"; }
fail() { results+=("FAIL  $1"); echo "  FAILED: $1" >&2; failures=$((failures + 1)); }
check() { # check DESCRIPTION COMMAND...: runs COMMAND, records the outcome
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
die() {
  echo "container-test: $*" >&2
  summary
  exit 1
}
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
summary() {
  echo
  echo "== summary ($(basename "${CT[0]}"), image $IMAGE)"
  local r
  for r in "${results[@]}"; do echo "  $r"; done
  [[ -n ${image_mb:-} ]] && echo "  image size: $image_mb"
  [[ -n ${stop_seconds:-} ]] && echo "  stop took: ${stop_seconds} s (grace period 10 s)"
  echo "  checks: $((${#results[@]} - failures)) passed, $failures failed"
  [[ -n ${CAIRN_SUMMARY_FILE:-} ]] || return 0
  {
    echo "container ($(basename "${CT[0]}")): $((${#results[@]} - failures)) checks passed," \
      "$failures failed${image_mb:+, image $image_mb}${stop_seconds:+, stop took $stop_seconds s}"
    for r in "${results[@]}"; do [[ $r != FAIL* ]] || echo "  $r"; done
  } >>"$CAIRN_SUMMARY_FILE"
}

# ---- host-side client: cairn-cli from the normal build, else python3 text mode
host_cli=${CAIRN_CLI:-}
if [[ -z $host_cli ]]; then
  for d in build build-*; do
    [[ -d $d ]] || continue
    host_cli=$(find "$d" -type f -name cairn-cli -perm -u+x 2>/dev/null | head -n 1)
    [[ -n $host_cli ]] && break
  done
fi
cat >"$tmp/kv.py" <<'PY'
# One-shot text-mode request, exit codes as cairn-cli: 0 OK, 1 NOT_FOUND, 2 error.
import socket, sys
host, port, token_file, *words = sys.argv[1:]
try:
    with socket.create_connection((host, int(port)), timeout=10) as s:
        f = s.makefile("rwb")
        def ask(line):
            f.write(line.encode() + b"\n")
            f.flush()
            answer = f.readline().decode(errors="replace").rstrip("\n")
            if not answer:
                raise ConnectionError("connection closed")
            return answer
        if token_file:
            answer = ask("AUTH " + open(token_file).read().rstrip())
            if answer != "OK":
                print(answer, file=sys.stderr)
                sys.exit(2)
        answer = ask(" ".join(words))
except (OSError, ValueError) as e:
    print(f"kv.py: {e}", file=sys.stderr)
    sys.exit(2)
print(answer)
sys.exit(0 if answer.startswith("OK") else 1 if answer == "NOT_FOUND" else 2)
PY
# kv [--no-auth] WORDS...: one request to the container from the host.
kv() {
  local token=$tmp/token
  if [[ ${1:-} == --no-auth ]]; then
    token=
    shift
  fi
  if [[ -n $host_cli ]]; then
    "$host_cli" -h 127.0.0.1 -p "$PORT" ${token:+--auth-token-file "$token"} "$@"
  else
    python3 -I -S "$tmp/kv.py" 127.0.0.1 "$PORT" "$token" "$@"
  fi
}
port_in_use() {
  python3 -c 'import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$PORT"
}

# ---- containers
# run_server NAME [container options... --] [cairnd flags...]: a detached
# container on the shared volume.
run_server() {
  local name=$1
  shift
  local health=() options=()
  if [[ " $* " == *" -- "* ]]; then
    while [[ $1 != -- ]]; do
      options+=("$1")
      shift
    done
    shift
  fi
  # Docker runs the first check one interval after start; poll sooner.
  ((is_podman)) || health=(--health-interval 2s)
  "${CT[@]}" run -d --name "$name" --network host "${health[@]}" "${options[@]}" \
    -v "$VOLUME:/data" -v "$tmp/token:/run/secrets/cairn_token:ro" \
    "$IMAGE" --port "$PORT" --auth-token-file /run/secrets/cairn_token "$@" >/dev/null
  containers+=("$name")
}
state() { "${CT[@]}" inspect --format "{{$2}}" "$1" 2>/dev/null; }
wait_ready() { # wait_ready NAME: until PING answers (30 s at most)
  local start deadline
  start=$(now)
  deadline=$((SECONDS + 30))
  until kv PING >/dev/null 2>&1 </dev/null; do
    if [[ $(state "$1" .State.Running) != true ]] || ((SECONDS > deadline)); then
      echo "--- logs of $1:" >&2
      "${CT[@]}" logs "$1" >&2 || true
      die "$1 did not start serving on port $PORT"
    fi
    sleep 0.2
  done
  echo "  $1 answers PING after $(seconds_since "$start") s"
}
healthy() { # healthy NAME: the image's HEALTHCHECK reports healthy
  local status=
  if ((is_podman)); then
    # podman runs health checks from systemd timers; without systemd, run it now.
    "${CT[@]}" healthcheck run "$1" || return 1
    status=$(state "$1" .State.Health.Status)
  else
    local deadline=$((SECONDS + 60))
    while status=$(state "$1" .State.Health.Status); [[ $status != healthy ]]; do
      ((SECONDS < deadline)) || break
      sleep 1
    done
  fi
  echo "  health status of $1: $status"
  [[ $status == healthy ]]
}
get_is() { # get_is KEY VALUE: GET answers found, with VALUE in the output
  local out
  out=$(kv GET "$1" 2>&1) && [[ $out == *"$2"* ]]
}
all_present() { # all_present FILE: every "key value" line of FILE reads back
  local k v missing=0 total=0
  while read -r k v <&3; do
    total=$((total + 1))
    get_is "$k" "$v" </dev/null || { missing=$((missing + 1)); echo "  missing or wrong: $k" >&2; }
  done 3<"$1"
  echo "  read back $((total - missing)) of $total keys"
  ((missing == 0 && total > 0))
}
ping_ok() { kv PING >/dev/null </dev/null; }
not_root_user() { [[ -n $1 && $1 != 0 && $1 != root && $1 != 0:* && $1 != root:* ]]; }
refused_without_auth() { ! kv --no-auth PUT intruder x >/dev/null 2>&1 </dev/null; }
not_found() {
  local rc=0
  kv GET "$1" >/dev/null 2>&1 </dev/null || rc=$?
  [[ $rc == 1 ]]
}
clean_shutdown_logged() { # and prints how long cairnd itself took, from its text log
  "${CT[@]}" logs "$1" 2>/dev/null | python3 -c '
import re, sys
from datetime import datetime
times = {}
for line in sys.stdin:
    m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \w+ (.*)", line)
    if m and m.group(2).startswith("received signal 15"):
        times["signal"] = datetime.fromisoformat(m.group(1))
    elif m and "stopped cleanly" in m.group(2) and "log synced" in m.group(2):
        times["stopped"] = datetime.fromisoformat(m.group(1))
if len(times) != 2:
    sys.exit(1)
ms = (times["stopped"] - times["signal"]).total_seconds() * 1000
print(f"  cairnd: SIGTERM to clean exit in {ms:.0f} ms (its log)")'
}
volume_checks_ok() {
  local out rc=0
  out=$("${CT[@]}" run --rm --network host -v "$VOLUME:/data" "$IMAGE" --check 2>&1) || rc=$?
  while IFS= read -r line; do echo "  $line"; done <<<"$out"
  return "$rc"
}
still_running() { # still_running NAME: running, and no signal has reached cairnd yet
  [[ $(state "$1" .State.Running) == true ]] &&
    ! "${CT[@]}" logs "$1" 2>&1 | grep -q "received signal"
}
stopped_quickly() { [[ $1 == 0 ]] && awk -v s="$2" 'BEGIN { exit !(s < 5) }'; }
died_hard() { # died_hard NAME EXIT_CODE: non-zero exit, no clean-shutdown line
  [[ $2 != 0 ]] && ! "${CT[@]}" logs "$1" 2>&1 | grep -q "stopped cleanly"
}
logs_are_json() { # logs_are_json NAME: every stdout line parses as a JSON object
  "${CT[@]}" logs "$1" 2>/dev/null | python3 -c '
import json, sys
lines = [l for l in sys.stdin if l.strip()]
assert lines, "no log lines"
for l in lines:
    assert isinstance(json.loads(l), dict), l
print(f"  {len(lines)} log lines, all JSON")'
}

echo "== container-test: ${CT[*]}, port $PORT, $N keys"
if [[ -n $host_cli ]]; then echo "  host client: $host_cli"; else echo "  host client: python3 text mode (cairn-cli not built)"; fi
port_in_use && die "something already listens on 127.0.0.1:$PORT (set CAIRN_TEST_PORT)"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/token"
chmod 0644 "$tmp/token"

# ---- build
if [[ ${CAIRN_TEST_SKIP_BUILD:-0} != 1 ]]; then
  echo "== build $IMAGE"
  build=("${CT[@]}" build -t "$IMAGE")
  # podman's default OCI format drops HEALTHCHECK; the docker format keeps it.
  ((is_podman)) && build+=(--format docker)
  start=$(now)
  if ! "${build[@]}" "$repo" >"$tmp/build.log" 2>&1; then
    tail -n 60 "$tmp/build.log" >&2
    die "image build failed"
  fi
  echo "  built in $(seconds_since "$start") s"
fi
bytes=$("${CT[@]}" image inspect --format '{{.Size}}' "$IMAGE")
image_mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }')
# The part the Dockerfile adds, above its runtime base image.
if base=$("${CT[@]}" image inspect --format '{{.Size}}' debian:bookworm-slim 2>/dev/null); then
  image_mb+=$(awk -v b="$bytes" -v a="$base" \
    'BEGIN { printf " (base debian:bookworm-slim %.1f MB + %.1f MB)", a / 1e6, (b - a) / 1e6 }')
fi
echo "  image size: $image_mb"
healthcheck=$("${CT[@]}" image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE")
check "image has a HEALTHCHECK (${healthcheck:0:60}...)" [ "$healthcheck" != null ]
user=$("${CT[@]}" image inspect --format '{{.Config.User}}' "$IMAGE")
check "image's USER is not root ('$user')" not_root_user "$user"

"${CT[@]}" volume create "$VOLUME" >/dev/null

# ---- 1: serve, identity, auth, health, clean stop
echo "== container 1: fresh volume"
run_server "$tag-1"
wait_ready "$tag-1"
check "server answers PING from the host" ping_ok
pid1=$("${CT[@]}" exec "$tag-1" cat /proc/1/comm || true)
check "cairnd is PID 1 (exec-form ENTRYPOINT; PID 1 is '$pid1')" [ "$pid1" = cairnd ]
uid=$("${CT[@]}" exec "$tag-1" cat /proc/1/status | awk '/^Uid:/ { print $2 }' || true)
check "cairnd runs as non-root (uid $uid)" not_root_user "$uid"
check "a request without AUTH is refused (token from the mounted file)" refused_without_auth
check "health check reports healthy" healthy "$tag-1"
for i in $(seq 1 20); do echo "stop-$i value-stop-$i-$$"; done >"$tmp/stop-keys"
written=0
while read -r k v <&3; do kv PUT "$k" "$v" >/dev/null </dev/null && written=$((written + 1)); done 3<"$tmp/stop-keys"
check "20 PUTs acknowledged before stop ($written)" [ "$written" = 20 ]

check "container 1 still running before stop" still_running "$tag-1"
start=$(now)
"${CT[@]}" stop -t 10 "$tag-1" >/dev/null
stop_seconds=$(seconds_since "$start")
echo "  stop took $stop_seconds s"
code=$(state "$tag-1" .State.ExitCode)
check "stop: cairnd exits 0 (exit code $code)" [ "$code" = 0 ]
check "stop: well inside the 10 s grace period (${stop_seconds} s < 5 s)" \
  stopped_quickly 0 "$stop_seconds"
check "stop: cairnd got SIGTERM and logged a clean shutdown, log synced" clean_shutdown_logged "$tag-1"

# ---- 2: same volume after stop; JSON logs; kill -s KILL while writing
echo "== container 2: same volume, --log-format json"
run_server "$tag-2" --log-format json
wait_ready "$tag-2"
check "data written before stop survives a new container" all_present "$tmp/stop-keys"
check "logs are JSON lines on stdout with --log-format json" logs_are_json "$tag-2"
: >"$tmp/acked"
for i in $(seq 1 "$N"); do
  v="value-kill-$i-$$"
  kv PUT "kill-$i" "$v" >/dev/null </dev/null || break
  echo "kill-$i $v" >>"$tmp/acked"
done
acked=$(wc -l <"$tmp/acked")
check "$N PUTs acknowledged before the kill ($acked)" [ "$acked" = "$N" ]
# More writes in flight while the container is killed; keep the acknowledged ones.
(
  i=0
  while :; do
    i=$((i + 1))
    v="value-late-$i-$$"
    kv PUT "late-$i" "$v" >/dev/null 2>&1 </dev/null || break
    echo "late-$i $v" >>"$tmp/acked"
  done
) &
writer=$!
sleep 1
check "container 2 still running before the kill" still_running "$tag-2"
"${CT[@]}" kill -s KILL "$tag-2" >/dev/null
wait "$writer" || true
echo "  killed with $(($(wc -l <"$tmp/acked") - acked)) more writes acknowledged while writing"
code=$(state "$tag-2" .State.ExitCode)
check "kill -s KILL: cairnd died without shutting down (exit code $code)" \
  died_hard "$tag-2" "$code"

# ---- 3: same volume after the kill
echo "== container 3: same volume after kill -s KILL"
run_server "$tag-3"
wait_ready "$tag-3"
check "every write acknowledged before the kill survives ($(wc -l <"$tmp/acked") keys)" all_present "$tmp/acked"
check "data from before the first stop is still there" all_present "$tmp/stop-keys"
check "GET of a key never written is NOT_FOUND (exit 1)" not_found never-written
check "health check reports healthy after recovery" healthy "$tag-3"
check "container 3 still running before stop" still_running "$tag-3"
start=$(now)
"${CT[@]}" stop -t 10 "$tag-3" >/dev/null
again=$(seconds_since "$start")
code=$(state "$tag-3" .State.ExitCode)
check "second stop exits 0 in ${again} s (exit code $code)" stopped_quickly "$code" "$again"
check "cairnd --check finds the volume healthy" volume_checks_ok

# ---- 4: TLS, with certificates made here and mounted read-only
echo "== container 4: TLS on port $TLS_PORT, client certificates required"
tls=$tmp/tls
mkdir -p "$tls"
make_tls_files() { # a CA, a server certificate for 127.0.0.1 and localhost, a client one
  local name
  cd "$tls" &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -keyout ca.key -out ca.pem -subj "/CN=cairn container test CA" &&
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext &&
    for name in server client; do
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$name.key" -out "$name.csr" -subj "/CN=localhost" &&
        openssl x509 -req -days 2 -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
          -extfile san.ext -out "$name.pem" || return 1
    done &&
    chmod 0644 ./*.pem ./*.key # readable by uid 10001 inside (a test key)
}
(make_tls_files) >"$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log" >&2; die "openssl failed"; }
run_server "$tag-4" -v "$tls:/etc/cairn/tls:ro" -- --tls-port "$TLS_PORT" \
  --tls-cert-file /etc/cairn/tls/server.pem --tls-key-file /etc/cairn/tls/server.key \
  --tls-ca-cert-file /etc/cairn/tls/ca.pem
wait_ready "$tag-4"
# tls_kv [--no-cert] WORDS...: one request over TLS from the host.
tls_kv() {
  local cert=(--cert "$tls/client.pem" --key "$tls/client.key")
  if [[ ${1:-} == --no-cert ]]; then
    cert=()
    shift
  fi
  if [[ -n $host_cli ]]; then
    "$host_cli" -h 127.0.0.1 -p "$TLS_PORT" --tls --cacert "$tls/ca.pem" "${cert[@]}" \
      --auth-token-file "$tmp/token" "$@"
  else # the text protocol through openssl s_client
    local answer s_cert=()
    ((${#cert[@]} == 0)) || s_cert=(-cert "$tls/client.pem" -key "$tls/client.key")
    answer=$({ printf 'AUTH %s\n%s\nQUIT\n' "$(cat "$tmp/token")" "$*"; } |
      timeout 10 openssl s_client -quiet -connect "127.0.0.1:$TLS_PORT" -CAfile "$tls/ca.pem" \
        "${s_cert[@]}" 2>/dev/null | sed -n 2p)
    echo "$answer"
    [[ $answer == OK* ]]
  fi
}
tls_put_then_plain_get() { tls_kv PUT tls-key tls-value >/dev/null </dev/null && get_is tls-key tls-value; }
refused_without_cert() { ! tls_kv --no-cert PING >/dev/null 2>&1 </dev/null; }
reloaded_on_sighup() {
  "${CT[@]}" kill -s HUP "$1" >/dev/null &&
    sleep 1 &&
    "${CT[@]}" logs "$1" 2>&1 | grep -q "received SIGHUP: TLS certificate .* reloaded" &&
    tls_kv PING >/dev/null </dev/null
}
tls_ping_ok() { tls_kv PING >/dev/null </dev/null; }
check "PING over TLS with a client certificate" tls_ping_ok
check "a PUT over TLS reads back on the plain port" tls_put_then_plain_get
check "TLS without a client certificate is refused" refused_without_cert
check "SIGHUP reloads the certificate; TLS still answers" reloaded_on_sighup "$tag-4"
"${CT[@]}" stop -t 10 "$tag-4" >/dev/null
code=$(state "$tag-4" .State.ExitCode)
check "TLS container stops with exit code 0 ($code)" [ "$code" = 0 ]

summary
((failures == 0))
