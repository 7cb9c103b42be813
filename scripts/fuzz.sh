#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# SECONDS (default 60) on a scratch copy of its seed corpus in
# tests/fuzz/corpus/<target>/. Prints a line per target; fails if any finds
# a crash (the crashing input is left in build-fuzz/artifacts/). With
# CAIRN_SUMMARY_FILE set (by .ci/run), appends the per-target lines there.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
scripts/install-deps.sh --fuzz
# TARGET:CORPUS:MAX_LEN. The production and pre-auth variants of a protocol
# target share its corpus and take inputs long enough to reach their limits.
runs=(
  frame_decoder_fuzz:frame_decoder_fuzz:4096
  frame_decoder_production_fuzz:frame_decoder_fuzz:262144
  frame_decoder_preauth_fuzz:frame_decoder_fuzz:20000
  text_fuzz:text_fuzz:4096
  text_production_fuzz:text_fuzz:262144
  text_preauth_fuzz:text_fuzz:20000
  log_reader_fuzz:log_reader_fuzz:4096
  snapshot_fuzz:snapshot_fuzz:4096
)
targets=("${runs[@]%%:*}")

CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}"

mkdir -p build-fuzz/artifacts
artifacts() { find build-fuzz/artifacts -name "$1-*" | wc -l; }
summary=()
status=0
for run in "${runs[@]}"; do
  IFS=: read -r target corpus max_len <<<"$run"
  work=$(mktemp -d)
  log=build-fuzz/$target.log
  before=$(artifacts "$target")
  rc=0
  build-fuzz/tests/fuzz/$target "$work" "tests/fuzz/corpus/$corpus" \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/"$target"- >"$log" 2>&1 || rc=$?
  runs=$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
  crashes=$(($(artifacts "$target") - before))
  line="fuzz $target: $runs executions in ${seconds} s, corpus $(ls "$work" | wc -l) inputs, $crashes crashes"
  if ((rc != 0)); then
    line+=", FAILED (exit $rc; see $log and build-fuzz/artifacts/)"
    tail -40 "$log"
    status=1
  fi
  summary+=("$line")
  rm -rf "$work"
done
printf '== fuzz summary (%s s each)\n' "$seconds"
printf '%s\n' "${summary[@]}"
[[ -z ${CAIRN_SUMMARY_FILE:-} ]] || printf '%s\n' "${summary[@]}" >>"$CAIRN_SUMMARY_FILE"
exit $status
