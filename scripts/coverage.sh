#!/usr/bin/env bash
# Line and branch coverage of the library (src/) by the test suite, with
# GCC's gcov and gcovr (Debian package gcovr): the "coverage" preset of
# CMakePresets.json, then a text summary on stdout and an HTML report in
# build-coverage/coverage/index.html. Not part of CI.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deps.sh
. "$root/scripts/deps.sh"
irpsim_install_deps
if ! command -v gcovr >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends gcovr >/dev/null
    else
        echo "irpsim: missing package: gcovr"
        echo "irpsim: run:  sudo apt-get install -y gcovr"
        exit 1
    fi
fi
jobs="$(nproc 2>/dev/null || echo 2)"
build="$root/build-coverage"
(cd "$root" && cmake --preset coverage >/dev/null)
cmake --build "$build" -j"$jobs"
find "$build" -name '*.gcda' -delete
status=0
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 300 || status=$?
mkdir -p "$build/coverage"
gcovr --root "$root" --object-directory "$build" --filter "$root/src/" \
    --exclude-unreachable-branches --print-summary \
    --html-details "$build/coverage/index.html" --txt "$build/coverage/summary.txt"
echo "irpsim: coverage report: $build/coverage/index.html"
exit "$status"
