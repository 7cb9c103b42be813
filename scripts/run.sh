#!/usr/bin/env bash
# Installs what is missing, builds, and starts cairnd in the foreground on its
# default configuration (config/cairn.json: 127.0.0.1:7070, data in ./data).
# Extra arguments go to cairnd, e.g. scripts/run.sh --port 7071.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Only what it runs and the CLI to talk to it: the tests and benchmarks are
# most of the build.
scripts/build.sh build --target cairnd --target cairn-cli
exec build/server/cairnd --config config/cairn.json "$@"
