#!/usr/bin/env bash
# Installs what is missing, builds irpsim and runs the main demo.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deps.sh
. "$root/scripts/deps.sh"
irpsim_install_deps
build="${IRPSIM_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target irpsim_demo
"$(cat "$build/irpsim-demo-path.txt")" "$@"
