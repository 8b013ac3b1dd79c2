#!/usr/bin/env bash
# Installs what is missing, builds irpsim and runs the whole test suite.
#   bash scripts/test.sh                      normal build
#   bash scripts/test.sh --sanitize address,undefined
#   bash scripts/test.sh --sanitize thread
#   bash scripts/test.sh --release           optimised (RelWithDebInfo):
#                                            what -O2 alone warns about
# Windows (MinGW-w64 + Wine): scripts/test-mingw.sh; the installed package
# and the consumer project: scripts/test-package.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deps.sh
. "$root/scripts/deps.sh"
irpsim_install_deps

sanitize=""
release=""
if [ "${1:-}" = "--sanitize" ]; then
    sanitize="${2:?--sanitize needs a list, e.g. address,undefined}"
elif [ "${1:-}" = "--release" ]; then
    release=1
fi
jobs="$(nproc 2>/dev/null || echo 2)"
if [ -n "$sanitize" ]; then
    # The same as the asan-ubsan / tsan presets in CMakePresets.json.
    build="${IRPSIM_BUILD_DIR:-$root/build-${sanitize//,/-}}"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DIRPSIM_BUILD_BENCH=OFF \
        -DIRPSIM_SANITIZE="$sanitize" >/dev/null
elif [ -n "$release" ]; then
    build="${IRPSIM_BUILD_DIR:-$root/build-release}"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
else
    build="${IRPSIM_BUILD_DIR:-$root/build}"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug >/dev/null
fi
cmake --build "$build" -j"$jobs"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 300
