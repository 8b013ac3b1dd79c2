#!/usr/bin/env bash
# Compiles every library source (src/**/*.c) the way cl.exe would see it,
# as far as that can be checked without cl.exe: clang in Microsoft mode
# (scripts/msvc-clang.sh) with IRPSIM_COMPILER_MSVC=1, so the cl.exe
# branches of include/irpsim/wdk/compiler.h and src/platform/pal_compiler.h
# are the ones compiled, and
#   1. -fsyntax-only with irpsim's warnings, -pedantic, -Wgnu and -Wvla, all
#      errors: GNU syntax (statement expressions, ?: without a middle,
#      case ranges, zero-length arrays, void * arithmetic, VLAs, ...) fails;
#   2. the preprocessed text of irpsim's own files (src/, include/) must not
#      name a GCC builtin or keyword cl.exe lacks (__atomic_*, __builtin_*,
#      __sync_*, __attribute__, _Thread_local, ...): clang accepts those in
#      Microsoft mode, cl.exe does not. The standard macros clang's own
#      <stdarg.h> and <stddef.h> expand to builtins are allowed.
# The POSIX platform layer (src/platform/*_posix.c) is left out: with
# cl.exe the Win32 one is built. docs/portability.md says what this does
# and does not prove.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=msvc-clang.sh
. "$root/scripts/msvc-clang.sh"

work="$(mktemp -d "${TMPDIR:-/tmp}/irpsim-msvc-src.XXXXXX")"
trap 'rm -rf "$work"' EXIT
msvc_clang_setup "$work" irpsim-msvc-sources

# cl.exe has no __ATOMIC_* memory order macros either: undefined, a use fails.
flags=("${msvc_clang_flags[@]}" -DIRPSIM_COMPILER_MSVC=1 -U__ATOMIC_RELAXED -U__ATOMIC_CONSUME -U__ATOMIC_ACQUIRE
    -U__ATOMIC_RELEASE -U__ATOMIC_ACQ_REL -U__ATOMIC_SEQ_CST)
# irpsim's own warnings (cmake/IrpSimWarnings.cmake, CMakeLists.txt), then GNU syntax.
warnings=(-Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes
    -Wno-multichar -Wno-unknown-pragmas -pedantic -Wgnu -Wvla -Wno-language-extension-token)

check_one() {
    local source="$1" includes=() name
    case "$source" in
    "$root"/src/platform/*) ;; # the platform layer sees no irpsim include path (CMakeLists.txt)
    *) includes=(-I"$root/include/wdk" -I"$root/include" -I"$root/src") ;;
    esac
    name="${source#"$root"/}"
    if ! clang "${flags[@]}" "${warnings[@]}" "${includes[@]}" -fsyntax-only "$source" >"$work/${name//\//_}.log" 2>&1; then
        echo "irpsim-msvc-sources: $name does not compile in Microsoft mode:"
        cat "$work/${name//\//_}.log"
        return 0
    fi
    clang "${flags[@]}" "${includes[@]}" -E "$source" | msvc_clang_scan "$root"
}

mapfile -t sources < <(find "$root/src" -name '*.c' ! -path "$root/src/platform/*_posix.c" | sort)
# Two at a time on the 2-core CI machine; anything printed is a failure.
jobs="$(nproc 2>/dev/null || echo 2)"
for i in "${!sources[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
        wait -n || true
    done
    check_one "${sources[$i]}" >"$work/result.$i.txt" 2>&1 &
done
wait
failed=0
for i in "${!sources[@]}"; do
    if [ -s "$work/result.$i.txt" ]; then
        cat "$work/result.$i.txt"
        failed=1
    fi
done
if [ "$failed" -ne 0 ]; then
    cat <<'EOF'
irpsim-msvc-sources: FAILED. cl.exe has none of the GCC spellings above. In src/ use
  src/platform/pal_compiler.h: PAL_ATOMIC_LOAD / _STORE / _EXCHANGE / _COMPARE_EXCHANGE /
    _ADD_FETCH / _SUB_FETCH / _FETCH_ADD / _FETCH_OR / _OR_FETCH / _FETCH_AND with PAL_ORDER_*,
    PAL_RETURN_ADDRESS()
  include/irpsim/wdk/compiler.h: IRPSIM_THREAD_LOCAL, IRPSIM_LIKELY / IRPSIM_UNLIKELY,
    IRPSIM_NORETURN, IRPSIM_NOINLINE, IRPSIM_ALIGNED, IRPSIM_FORMAT_PRINTF, IRPSIM_BSWAP*,
    IRPSIM_FULL_FENCE / IRPSIM_COMPILER_FENCE
  or keep the GCC-only code under #if !IRPSIM_COMPILER_MSVC (or defined(__GNUC__)).
EOF
    exit 1
fi
echo "irpsim-msvc-sources: ${#sources[@]} sources compile in Microsoft mode with cl.exe's branches and use no GCC-only spelling"
