#!/usr/bin/env bash
# Checks the three ways another project gets irpsim, with the consumer
# project in tests/consumer (a tiny driver and its CMocka test):
#   1. cmake --install to a temporary prefix, then find_package(irpsim CONFIG)
#      and irpsim_add_driver_test from the installed package;
#   2. pkg-config (irpsim.pc): the driver and a small program built with
#      plain cc, no CMake;
#   3. FetchContent (SOURCE_DIR: this checkout), which is add_subdirectory
#      underneath.
# Each consumer build runs its test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deps.sh
. "$root/scripts/deps.sh"
irpsim_install_deps

jobs="$(nproc 2>/dev/null || echo 2)"
work="${IRPSIM_PACKAGE_DIR:-$root/build-package}"
prefix="$work/prefix"
start=$SECONDS
step() { printf 'irpsim-package: %s (%ds)\n' "$*" "$((SECONDS - start))"; }

rm -rf "$work"
mkdir -p "$work"

step "building and installing irpsim to $prefix"
cmake -S "$root" -B "$work/irpsim" -DCMAKE_BUILD_TYPE="${IRPSIM_PACKAGE_BUILD_TYPE:-RelWithDebInfo}" \
    -DIRPSIM_BUILD_TESTS=OFF -DIRPSIM_BUILD_EXAMPLES=OFF -DIRPSIM_BUILD_BENCH=OFF >/dev/null
cmake --build "$work/irpsim" -j"$jobs" >/dev/null
cmake --install "$work/irpsim" --prefix "$prefix" >/dev/null
for f in include/irpsim/irpsim.h include/irpsim/wdk-headers/ntddk.h include/irpsim/cmocka.h \
    lib/cmake/irpsim/irpsimConfig.cmake lib/cmake/irpsim/IrpSimDriver.cmake lib/pkgconfig/irpsim.pc; do
    [ -e "$prefix/$f" ] || { echo "irpsim-package: not installed: $f" >&2; exit 1; }
done
# Nothing WDK-named may land directly in include/.
if [ -e "$prefix/include/ntddk.h" ] || [ -e "$prefix/include/wdm.h" ]; then
    echo "irpsim-package: WDK header names installed into include/" >&2
    exit 1
fi

step "1. find_package(irpsim CONFIG) from the installed package"
cmake -S "$root/tests/consumer" -B "$work/consumer-package" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/consumer-package" -j"$jobs" >/dev/null
ctest --test-dir "$work/consumer-package" --output-on-failure

step "2. pkg-config, no CMake"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
pkg-config --exists --print-errors "irpsim = $(sed -n 's/^project(irpsim VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")"
cat >"$work/pc_main.c" <<'EOF'
/* Loads the consumer project's driver and unloads it: links the library
   through pkg-config's flags. */
#include "hello_driver.h"
#include <irpsim/irpsim.h>
#include <stdio.h>

int main(void)
{
    PDRIVER_OBJECT Driver;
    if (!NT_SUCCESS(IrpSimInitialize(NULL)))
        return 1;
    if (!NT_SUCCESS(IrpSimLoadDriver(L"\\Driver\\ConsumerHello", HelloDriverEntry, &Driver)))
        return 1;
    IrpSimShutdown();
    printf("pkg-config consumer: driver loaded and unloaded, %u leaks\n", IrpSimGetShutdownLeakCount());
    return IrpSimGetShutdownLeakCount() == 0 ? 0 : 1;
}
EOF
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -Wno-multichar -Wno-unknown-pragmas $(pkg-config --cflags irpsim) \
    -I"$root/tests/consumer" "$work/pc_main.c" "$root/tests/consumer/hello_driver.c" \
    -o "$work/pc_consumer" $(pkg-config --libs irpsim)
"$work/pc_consumer"

step "3. FetchContent (SOURCE_DIR) from this checkout"
cmake -S "$root/tests/consumer" -B "$work/consumer-fetch" -DIRPSIM_CONSUMER_FETCH_FROM="$root" >/dev/null
cmake --build "$work/consumer-fetch" -j"$jobs" >/dev/null
ctest --test-dir "$work/consumer-fetch" --output-on-failure
# As a subproject irpsim builds only the library: none of its own tests.
if ctest --test-dir "$work/consumer-fetch" -N | grep -q 'Total Tests: 1$'; then :; else
    echo "irpsim-package: irpsim as a subproject registered tests of its own" >&2
    ctest --test-dir "$work/consumer-fetch" -N >&2
    exit 1
fi
step "done"
