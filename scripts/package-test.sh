#!/usr/bin/env bash
# Builds the Debian package (scripts/package.sh) and tests it for real: its
# file list, conffile and dependencies on the host, then, in a fresh
# debian:bookworm-slim container, apt installs it and checks --version, the
# system user, the unit (systemd-analyze verify), cairnd serving PUT/GET as
# user cairn with /etc/cairn/cairn.json and stopping cleanly on SIGTERM,
# that remove keeps user, data and config and purge removes them. Then,
# with podman, the same image under a running systemd: the maintainer
# scripts enable (not start) the unit, and the unit itself runs cairnd
# (User=, StateDirectory=, sandboxing) and stops it with SIGTERM, exit 0.
# lintian's findings are printed, not judged. docs/packaging.md.
#
# Environment:
#   CONTAINER_CLI      docker-compatible command (default: ../shared/container/podman
#                      beside the repository if present, else docker)
#   CAIRN_TEST_PORT    port cairnd listens on in the container, host network
#                      (default 17170)
#   CAIRN_SUMMARY_FILE if set (by .ci/run), the result line is appended there
# Exits non-zero if any check fails.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

source "$repo/scripts/container-cli.sh"
PORT=${CAIRN_TEST_PORT:-17170}
IMAGE=cairn:package-test
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The checks' bookkeeping, shared by this script and the two that run in
# the container: check DESCRIPTION COMMAND... counts a failure in $failures.
cat >"$tmp/checks.sh" <<'CHECKS'
failures=0
pass() { echo "  ok: $1"; }
fail() { echo "  FAILED: $1" >&2; failures=$((failures + 1)); }
check() {
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
CHECKS
source "$tmp/checks.sh"

start=$SECONDS
echo "== building the package"
deb=$(scripts/package.sh | tail -n 1)
version=$(dpkg-deb -f "$deb" Version)
echo "   $deb ($(du -k "$deb" | cut -f1) KiB) in $((SECONDS - start)) s"

echo "== the package's contents"
dpkg-deb -c "$deb" | awk '{print $1, $2, $6}' | tee "$tmp/contents"
for path in ./usr/bin/cairnd ./usr/bin/cairn-cli ./usr/bin/cairn-bench ./etc/cairn/cairn.json \
  ./lib/systemd/system/cairnd.service; do
  check "holds $path" grep -q " $path\$" "$tmp/contents"
done
check "holds nothing of the client library's development files" \
  bash -c "! grep -E '/include/|\\.a\$|/cmake/' '$tmp/contents'"
dpkg-deb -e "$deb" "$tmp/control"
check "/etc/cairn/cairn.json is a conffile" grep -qx /etc/cairn/cairn.json "$tmp/control/conffiles"
depends=$(dpkg-deb -f "$deb" Depends)
echo "   Depends: $depends"
for dep in adduser init-system-helpers libc6 libstdc++6 libspdlog1.10 libedit2 libssl3; do
  check "depends on $dep" grep -q "$dep" <<<"$depends"
done

echo "== installed in a fresh container (${CT[*]})"
cp "$deb" "$tmp/cairn.deb"
cat >"$tmp/Containerfile" <<'CONTAINERFILE'
FROM debian:bookworm-slim
# systemd for systemd-analyze (not running: this also tests that the
# postinst enables nothing without it), lintian to review the package.
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd lintian
# In /root: a container run with systemd gets a tmpfs on /tmp.
COPY cairn.deb /root/cairn.deb
RUN DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /root/cairn.deb
COPY checks.sh check.sh check-systemd.sh /
CONTAINERFILE
cat >"$tmp/check.sh" <<'CHECK'
#!/bin/bash
# Runs in the container as root: VERSION and PORT in the environment.
set -u
source /checks.sh
for program in cairnd cairn-cli cairn-bench; do
  check "$program --version prints '$program $VERSION'" \
    test "$($program --version)" = "$program $VERSION"
done
entry=$(getent passwd cairn)
check "system user cairn ($entry)" \
  awk -F: '$3 < 1000 && $6 == "/var/lib/cairn" && $7 ~ /nologin|false/ { ok = 1 } END { exit !ok }' <<<"$entry"
check "group cairn" bash -c 'getent group cairn >/dev/null'
check "systemd-analyze verify cairnd.service" systemd-analyze verify /lib/systemd/system/cairnd.service
check "not enabled where systemd is not running" \
  test ! -e /etc/systemd/system/multi-user.target.wants/cairnd.service

# As the unit runs it: user cairn, the packaged config, the state directory
# systemd would make (StateDirectory=cairn, mode 0700); the port overridden.
install -d -o cairn -g cairn -m 0700 /var/lib/cairn
# setpriv execs cairnd itself, so $pid is cairnd's and SIGTERM reaches it.
setpriv --reuid cairn --regid cairn --init-groups \
  cairnd --config /etc/cairn/cairn.json --port "$PORT" >/tmp/cairnd.log 2>&1 &
pid=$!
for _ in $(seq 100); do cairn-cli -p "$PORT" PING >/dev/null 2>&1 && break; sleep 0.1; done
check "cairnd serves as user cairn" test "$(stat -c %U "/proc/$pid")" = cairn
check "PUT" test "$(cairn-cli -p "$PORT" PUT greeting hello)" = 1
check "GET" test "$(cairn-cli -p "$PORT" GET greeting)" = hello
check "its files in /var/lib/cairn belong to cairn" \
  test -z "$(find /var/lib/cairn -mindepth 1 ! -user cairn)" -a -n "$(ls /var/lib/cairn)"
kill -TERM "$pid"
wait "$pid"
check "SIGTERM (the unit's KillSignal) exits 0" test $? = 0
[[ $failures -eq 0 ]] || tail -n 20 /tmp/cairnd.log >&2

echo "== lintian (printed, not judged)"
lintian --tag-display-limit 0 /root/cairn.deb 2>&1 | sed 's/^/   /' || true

DEBIAN_FRONTEND=noninteractive apt-get remove -y -q cairn >/dev/null 2>&1
check "remove keeps the user" bash -c 'getent passwd cairn >/dev/null'
check "remove keeps the data" test -n "$(ls /var/lib/cairn)"
check "remove keeps the config" test -e /etc/cairn/cairn.json
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q cairn >/dev/null 2>&1
check "purge removes the user" bash -c '! getent passwd cairn'
check "purge removes the data" test ! -e /var/lib/cairn
check "purge removes the config" test ! -e /etc/cairn/cairn.json
exit "$failures"
CHECK
cat >"$tmp/check-systemd.sh" <<'CHECK'
#!/bin/bash
# Runs in the container under a running systemd (PID 1), as root; PORT in
# the environment. The package is reinstalled so that its scripts see
# systemd, then the unit runs for real: User=, StateDirectory=, the
# sandboxing, the stop by SIGTERM.
set -u
source /checks.sh
dpkg --purge cairn >/dev/null 2>&1
dpkg -i /root/cairn.deb >/dev/null 2>&1
check "postinst enables the unit where systemd runs" test "$(systemctl is-enabled cairnd)" = enabled
check "... and does not start it" test "$(systemctl is-active cairnd)" = inactive
sed -i "s/\"port\": 7070/\"port\": $PORT/" /etc/cairn/cairn.json
systemctl start cairnd
for _ in $(seq 100); do cairn-cli -p "$PORT" PING >/dev/null 2>&1 && break; sleep 0.1; done
check "systemctl start cairnd: active" test "$(systemctl is-active cairnd)" = active
check "PUT" test "$(cairn-cli -p "$PORT" PUT greeting hello)" = 1
check "GET" test "$(cairn-cli -p "$PORT" GET greeting)" = hello
pid=$(systemctl show -p MainPID --value cairnd)
check "runs as cairn" test "$(stat -c %U "/proc/$pid")" = cairn
check "StateDirectory made /var/lib/cairn, cairn's, 0700" \
  test "$(stat -c '%U %a' /var/lib/cairn)" = "cairn 700"
echo "   $(systemd-analyze security cairnd | tail -n 1)"
systemctl stop cairnd
check "systemctl stop: SIGTERM, exit 0" \
  test "$(systemctl show -p ExecMainStatus --value cairnd)" = 0 -a \
  "$(systemctl show -p Result --value cairnd)" = success
check "cairnd stopped cleanly (journal)" \
  bash -c 'journalctl -u cairnd -o cat --no-pager | grep -q "stopped cleanly"'
systemctl start cairnd
dpkg -r cairn >/dev/null 2>&1
check "remove stops the unit" bash -c '! systemctl is-active --quiet cairnd'
dpkg --purge cairn >/dev/null 2>&1
check "purge removes the user" bash -c '! getent passwd cairn'
[[ $failures -eq 0 ]] || journalctl -u cairnd -o cat --no-pager | tail -n 20 >&2
exit "$failures"
CHECK
chmod 755 "$tmp/check.sh" "$tmp/check-systemd.sh"
"${CT[@]}" build -t "$IMAGE" -f "$tmp/Containerfile" "$tmp" >"$tmp/build.log" 2>&1 ||
  { tail -n 30 "$tmp/build.log" >&2; echo "package-test: image build failed" >&2; exit 1; }
container_failures=0
"${CT[@]}" run --rm --network host -e VERSION="$version" -e PORT="$PORT" "$IMAGE" /check.sh ||
  container_failures=$?
failures=$((failures + container_failures))

echo "== under systemd in a container (the unit for real)"
if "${CT[@]}" --version 2>/dev/null | grep -qi podman; then
  systemd_container=cairn-package-test-$$
  trap '"${CT[@]}" rm -f "$systemd_container" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
  "${CT[@]}" run -d --name "$systemd_container" --network host --systemd=always "$IMAGE" \
    /lib/systemd/systemd >/dev/null
  for _ in $(seq 100); do
    state=$("${CT[@]}" exec "$systemd_container" systemctl is-system-running 2>/dev/null || true)
    [[ $state == running || $state == degraded ]] && break
    sleep 0.2
  done
  echo "   systemd: $state"
  "${CT[@]}" exec -e PORT="$PORT" "$systemd_container" /check-systemd.sh || failures=$((failures + $?))
else
  echo "   skipped: needs podman's --systemd=always"
fi

line="package test: $(basename "$deb"), $failures failed checks, $((SECONDS - start)) s"
echo "== $line"
[[ -n ${CAIRN_SUMMARY_FILE:-} ]] && echo "$line" >>"$CAIRN_SUMMARY_FILE"
exit $((failures > 0))
