#!/usr/bin/env bash
# Cross-builds irpsim, its tests and examples for 64-bit Windows with
# MinGW-w64 GCC and runs them under Wine, as CTest tests
# (CMAKE_CROSSCOMPILING_EMULATOR=wine); then installs that build and builds
# and runs the consumer project (tests/consumer) against the installed
# package, also under Wine.
#
#   bash scripts/test-mingw.sh               Win32 platform layer (preset mingw)
#   bash scripts/test-mingw.sh --pal posix   POSIX threads from winpthreads
#                                            (preset mingw-posix)
#
# Installs what it needs with apt-get when run as root (MinGW-w64 GCC with
# the posix thread model, Wine). Debian has no MinGW build of CMocka, so the
# script fetches Debian's own cmocka source package (apt-get source, with a
# private apt configuration that adds a deb-src entry for the system's
# Debian mirror: the system's apt setup is not changed) and builds it with
# the same toolchain, once: the result is kept in build-mingw-deps/. If the
# source cannot be fetched, the library and examples are still built and
# the examples run; the CMocka tests are reported as not run.
#
# Environment: IRPSIM_MINGW_BUILD_DIR (default build-mingw-<pal>),
# IRPSIM_MINGW_NO_CMOCKA=1 (behave as if CMocka could not be had),
# IRPSIM_CTEST_ARGS (more ctest arguments, e.g. "-E explore"),
# IRPSIM_MINGW_DEPS_DIR (default build-mingw-deps), WINEPREFIX (default: a
# fresh temporary prefix, removed at the end; one that is set is used as it
# is, and set up first if it is empty). Both platform layers can share one
# build directory: switching IRPSIM_PAL recompiles only src/platform/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deps.sh
. "$root/scripts/deps.sh"
irpsim_install_deps

pal=win32
while [ $# -gt 0 ]; do
    case "$1" in
    --pal) pal="${2:?--pal needs win32 or posix}"; shift 2 ;;
    *) echo "usage: $0 [--pal win32|posix]" >&2; exit 2 ;;
    esac
done
case "$pal" in
win32) preset=mingw ;;
posix) preset=mingw-posix ;;
*) echo "usage: $0 [--pal win32|posix]" >&2; exit 2 ;;
esac

jobs="$(nproc 2>/dev/null || echo 2)"
build="${IRPSIM_MINGW_BUILD_DIR:-$root/build-mingw-$pal}"
deps="${IRPSIM_MINGW_DEPS_DIR:-$root/build-mingw-deps}"
toolchain="$root/cmake/toolchains/mingw-w64-x86_64.cmake"
start=$SECONDS

step() { printf 'irpsim-mingw: %s (%ds)\n' "$*" "$((SECONDS - start))"; }

# ---- packages ----
mingw_missing() {
    local missing=()
    command -v x86_64-w64-mingw32-gcc-posix >/dev/null 2>&1 || missing+=(gcc-mingw-w64-x86-64)
    command -v x86_64-w64-mingw32-g++-posix >/dev/null 2>&1 || missing+=(g++-mingw-w64-x86-64)
    command -v wine >/dev/null 2>&1 || missing+=(wine)
    [ -e /usr/lib/wine/wine64 ] || command -v wine64 >/dev/null 2>&1 || missing+=(wine64)
    command -v xz >/dev/null 2>&1 || missing+=(xz-utils)
    [ "${#missing[@]}" -eq 0 ] || echo "${missing[@]}"
}
missing="$(mingw_missing)"
if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ]; then
        step "installing: $missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
        echo "irpsim-mingw: missing packages: $missing"
        echo "irpsim-mingw: run:  sudo apt-get install -y $missing"
        exit 1
    fi
fi

# ---- CMocka for MinGW, from Debian's source package ----
cmocka_prefix="$deps/cmocka"
fetch_cmocka_source() {
    # A private apt configuration with a deb-src entry for the Debian
    # mirror the system uses; apt checks the files against the signed index.
    local work="$deps/apt" mirror codename keyring
    mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -v '^[[:space:]]*#' | grep -oE 'https?://[^ ]*/debian/?( |$)' | head -n 1 | tr -d ' ')" || true
    mirror="${mirror:-http://deb.debian.org/debian}"
    codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
    [ -n "$codename" ] || return 1
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [ -f "$keyring" ] || return 1
    rm -rf "$work"
    mkdir -p "$work/lists/partial" "$work/src"
    echo "deb-src [signed-by=$keyring] $mirror $codename main" >"$work/sources.list"
    local opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
        -o "Dir::State::Lists=$work/lists" -o "APT::Sandbox::User=root")
    apt-get "${opts[@]}" update -qq >"$work/update.log" 2>&1 || return 1
    (cd "$work/src" && apt-get "${opts[@]}" source --download-only -qq cmocka >"$work/source.log" 2>&1) || return 1
    ls "$work/src"/cmocka_*.orig.tar.* >/dev/null 2>&1
}
build_cmocka() {
    local work="$deps/apt" tarball
    tarball="$(ls "$work/src"/cmocka_*.orig.tar.* | head -n 1)"
    rm -rf "$deps/cmocka-src" "$deps/cmocka-build"
    mkdir -p "$deps/cmocka-src"
    tar -xf "$tarball" -C "$deps/cmocka-src" --strip-components=1
    cmake -S "$deps/cmocka-src" -B "$deps/cmocka-build" --toolchain "$toolchain" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$cmocka_prefix" \
        -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF >"$deps/cmocka-configure.log" 2>&1
    cmake --build "$deps/cmocka-build" -j"$jobs" >"$deps/cmocka-build.log" 2>&1
    cmake --install "$deps/cmocka-build" >"$deps/cmocka-install.log" 2>&1
}
have_cmocka=0
if [ -n "${IRPSIM_MINGW_NO_CMOCKA:-}" ]; then
    echo "irpsim-mingw: IRPSIM_MINGW_NO_CMOCKA is set: building the library and examples only"
elif [ -f "$cmocka_prefix/include/cmocka.h" ] && ls "$cmocka_prefix"/lib/libcmocka-static.a >/dev/null 2>&1; then
    have_cmocka=1
else
    mkdir -p "$deps"
    step "fetching Debian's cmocka source package"
    if fetch_cmocka_source; then
        step "building CMocka with MinGW-w64"
        if build_cmocka; then
            have_cmocka=1
        else
            echo "irpsim-mingw: building CMocka failed: see $deps/cmocka-*.log" >&2
            exit 1
        fi
    else
        echo "irpsim-mingw: WARNING: could not fetch Debian's cmocka source package (see $deps/apt/*.log);"
        echo "irpsim-mingw: WARNING: building the library and examples only; the CMocka tests are NOT run."
    fi
fi

# ---- Wine ----
own_prefix=""
if [ -z "${WINEPREFIX:-}" ]; then
    own_prefix="$(mktemp -d "${TMPDIR:-/tmp}/irpsim-wine.XXXXXX")"
    export WINEPREFIX="$own_prefix"
fi
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}" # no Mono/Gecko prompts
cleanup() {
    # Stops the wineserver of this prefix only (the one started for the
    # tests below), then removes the prefix if it is this run's own.
    wineserver -k >/dev/null 2>&1 || true
    if [ -n "$own_prefix" ]; then
        rm -rf "$own_prefix"
    fi
}
trap cleanup EXIT
step "starting Wine (prefix $WINEPREFIX)"
# wineboot sets a new prefix up (a few seconds); a prepared one is used as
# it is (.ci/run prepares one for both platform layers).
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    wineboot --init >/dev/null 2>&1 || wine cmd /c exit >/dev/null 2>&1 || true
fi

# ---- irpsim ----
step "configuring irpsim (preset $preset, IRPSIM_PAL=$pal)"
# A build directory configured against a CMocka elsewhere (another
# IRPSIM_MINGW_DEPS_DIR) keeps that CMocka's cached paths: start it afresh.
if [ -f "$build/CMakeCache.txt" ] &&
    [ "$(sed -n 's/^IRPSIM_MINGW_EXTRA_ROOTS:[A-Z]*=//p' "$build/CMakeCache.txt")" != "$cmocka_prefix" ]; then
    rm -f "$build/CMakeCache.txt"
fi
tests=ON
[ "$have_cmocka" -eq 1 ] || tests=OFF
(cd "$root" && cmake --preset "$preset" -B "$build" -DIRPSIM_BUILD_TESTS="$tests" \
    -DIRPSIM_MINGW_EXTRA_ROOTS="$cmocka_prefix" >/dev/null)
step "building"
cmake --build "$build" -j"$jobs"

# The Win32 facade's functions are IrpSim-prefixed (include/win32/windows.h
# maps the Win32 names to them), so a test program that links irpsim and
# the real kernel32 gets each Win32 function from one place. WDK routines
# that Windows also exports from user-mode DLLs (Rtl*) are expected.
step "checking libirpsim's symbols against the Windows import libraries"
sysroot=/usr/x86_64-w64-mingw32/lib
nm_tool=x86_64-w64-mingw32-nm
"$nm_tool" -g --defined-only "$build/libirpsim.a" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u >"$build/irpsim-symbols.txt"
clashes=""
for lib in kernel32 user32 advapi32 msvcrt; do
    [ -f "$sysroot/lib$lib.a" ] || continue
    "$nm_tool" -g --defined-only "$sysroot/lib$lib.a" 2>/dev/null | awk 'NF == 3 { print $3 }' |
        sed 's/^__imp_//' | sort -u >"$build/$lib-symbols.txt"
    found="$(comm -12 "$build/irpsim-symbols.txt" "$build/$lib-symbols.txt" | grep -v '^Rtl' || true)"
    [ -z "$found" ] || clashes="$clashes $lib: $(echo "$found" | tr '\n' ' ')"
done
if [ -n "$clashes" ]; then
    echo "irpsim-mingw: libirpsim defines names the Windows DLLs export:$clashes" >&2
    exit 1
fi
step "running the tests under Wine"
# The tests' wineserver and the prefix's service processes (services.exe,
# winedevice.exe, plugplay.exe, ...): started here, with their output going
# nowhere, and kept until cleanup stops them. Left to itself, the first
# test's Wine process starts them, and they inherit its output pipe: CTest
# counts that test as running, holding one of its -j slots, until they exit,
# 3 s after the last Wine process of the whole run (a test that seems to
# hang as long as the run). A server that exits between tests also has to
# start again, with the services, for the next one.
timeout 60 wineserver -w >/dev/null 2>&1 || true
wineserver -p </dev/null >/dev/null 2>&1 || true
wine cmd /c exit </dev/null >/dev/null 2>&1 || true
# shellcheck disable=SC2086
if ! ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 300 ${IRPSIM_CTEST_ARGS:-}; then
    # A test process that lost its connection to the wineserver ("wine
    # client error: ... Bad file descriptor") failed for Wine's reasons, not
    # irpsim's. When every failed test did, they run once more; any other
    # failure stands.
    log="$build/Testing/Temporary/LastTest.log"
    failed="$(sed 's/^[0-9]*://' "$build/Testing/Temporary/LastTestsFailed.log" 2>/dev/null | sort -u || true)"
    lost="$(awk '/^[0-9]+\/[0-9]+ Testing: /{name=$3} /wine client error/{print name}' "$log" 2>/dev/null | sort -u || true)"
    if [ -n "$failed" ] && [ -z "$(comm -23 <(echo "$failed") <(echo "$lost"))" ]; then
        echo "irpsim-mingw: $(echo "$failed" | tr '\n' ' ')lost the wineserver connection; running them once more" >&2
        ctest --test-dir "$build" --output-on-failure --rerun-failed --timeout 300
    else
        exit 1
    fi
fi

# ---- the installed package, used by the consumer project ----
if [ "$have_cmocka" -eq 1 ]; then
    step "installing, then building tests/consumer against the installed package"
    prefix="$build/install"
    rm -rf "$prefix" "$build/consumer"
    cmake --install "$build" --prefix "$prefix" >/dev/null
    cmake -S "$root/tests/consumer" -B "$build/consumer" --toolchain "$toolchain" -DCMAKE_BUILD_TYPE=Debug \
        -DIRPSIM_MINGW_EXTRA_ROOTS="$prefix;$cmocka_prefix" >/dev/null
    cmake --build "$build/consumer" -j"$jobs"
    ctest --test-dir "$build/consumer" --output-on-failure --timeout 300
fi
if [ "$have_cmocka" -eq 1 ]; then
    step "done: library, tests, examples and the consumer project built with MinGW-w64 and run under Wine"
else
    step "done: library and examples built and run under Wine; CMocka tests not run (no MinGW CMocka)"
fi
