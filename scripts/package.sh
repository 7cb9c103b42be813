#!/usr/bin/env bash
# Builds the Debian package of cairnd, cairn-cli and cairn-bench with its
# systemd unit (packaging/, docs/packaging.md): a Release build of those
# three programs only, then cpack -G DEB.
# Usage: scripts/package.sh [BUILD_DIR]   (default: build-package)
# Prints the path of BUILD_DIR/cairn_<version>_<arch>.deb on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build-package}
scripts/install-deps.sh >&2
# Tests off; install (and so cpack) does not build "all" first: the
# micro-benchmarks are not packaged.
scripts/build.sh "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCAIRN_BUILD_TESTS=OFF \
  -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON \
  --target cairnd --target cairn-cli --target cairn-bench >&2
rm -f "$build_dir"/cairn_*.deb
(cd "$build_dir" && cpack -G DEB >&2)
debs=("$build_dir"/cairn_*.deb)
[[ -f ${debs[0]} ]] || { echo "package.sh: cpack made no cairn_*.deb" >&2; exit 1; }
echo "${debs[0]}"
