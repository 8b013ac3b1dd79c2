#!/usr/bin/env bash
# Sourced by scripts/check-msvc-headers.sh and scripts/check-msvc-sources.sh:
# clang in Microsoft mode, the way those checks run it.
#
# There is no cl.exe and no Windows SDK here. clang with
# --target=x86_64-pc-windows-msvc -fms-compatibility behaves like clang-cl
# (_MSC_VER defined, no __GNUC__, __declspec, native __try/__except), and
# MinGW-w64's C library and Windows headers stand in for the SDK's (they
# support _MSC_VER). Two stand-in headers, written for these checks, go
# before MinGW's:
#   _mingw.h  includes MinGW's, then undoes two things it does for a
#             compiler that is not GCC: it defines __attribute__ away (so a
#             GCC attribute in irpsim's code would vanish instead of being
#             seen), and it puts __declspec(noreturn) and
#             __declspec(deprecated) after declarators, where clang rejects
#             them.
#   setjmp.h  jmp_buf, setjmp and longjmp as the Microsoft C runtime
#             declares them: MinGW's two-argument _setjmp conflicts with the
#             one clang's <intrin.h> declares.
#
# msvc_clang_setup installs clang and the MinGW-w64 headers if they are
# missing (as root; otherwise prints the command), makes the stand-in
# headers in $1 and sets the array msvc_clang_flags.
#
# msvc_clang_scan ROOT reads clang -E output and prints file:line: token for
# each GCC-only spelling cl.exe lacks (__atomic_*, __builtin_*, __sync_*,
# __attribute__, _Thread_local, ...) in a line from ROOT/src or
# ROOT/include (the line markers say which file a line comes from); string
# and character literals are skipped. clang accepts all of these in
# Microsoft mode, so only this scan finds them. Allowed: the builtins that
# the standard macros of clang's own <stdarg.h> and <stddef.h> expand to.

msvc_clang_setup() {
    local work="$1" prefix="${2:-irpsim-msvc}"
    local missing=()
    command -v clang >/dev/null 2>&1 || missing+=(clang)
    [ -f /usr/share/mingw-w64/include/stdio.h ] || missing+=(mingw-w64-x86-64-dev)
    if [ "${#missing[@]}" -gt 0 ]; then
        if [ "$(id -u)" -eq 0 ]; then
            echo "$prefix: installing: ${missing[*]}"
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq
            apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        else
            echo "$prefix: run:  sudo apt-get install -y ${missing[*]}"
            exit 1
        fi
    fi

    mkdir -p "$work/msvc-include"
    cat >"$work/msvc-include/_mingw.h" <<'EOF'
/* Stand-in for the Microsoft-mode checks (scripts/msvc-clang.sh). */
#include_next <_mingw.h>
#undef __attribute__
#undef __MINGW_ATTRIB_NORETURN
#define __MINGW_ATTRIB_NORETURN
#undef __MINGW_ATTRIB_DEPRECATED
#define __MINGW_ATTRIB_DEPRECATED
EOF
    cat >"$work/msvc-include/setjmp.h" <<'EOF'
/* Stand-in for the Microsoft-mode checks (scripts/msvc-clang.sh): the
   Microsoft C runtime's interface, not MinGW's. */
#ifndef IRPSIM_MSVC_CHECK_SETJMP_H
#define IRPSIM_MSVC_CHECK_SETJMP_H
typedef struct IrpSimMsvcCheckJumpSlot {
    unsigned __int64 Part[2];
} IrpSimMsvcCheckJumpSlot;
typedef IrpSimMsvcCheckJumpSlot jmp_buf[16];
int __cdecl _setjmp(jmp_buf);
#define setjmp(b) _setjmp(b)
__declspec(noreturn) void __cdecl longjmp(jmp_buf, int);
#endif
EOF

    # The scan msvc_clang_scan runs.
    cat >"$work/msvc-scan.awk" <<'EOF'
BEGIN {
    bad = "(__builtin_[A-Za-z0-9_]+|__atomic_[A-Za-z0-9_]+|__sync_[A-Za-z0-9_]+|__ATOMIC_[A-Z_]+|" \
          "__attribute__|__attribute|__extension__|__asm__|__asm|__inline__|__volatile__|__const__|" \
          "__signed__|__restrict__|__alignof__|__thread|_Thread_local|__label__|__auto_type|__int128|" \
          "__float128|__PRETTY_FUNCTION__|__real__|__imag__)"
    allowed = "^(__builtin_va_start|__builtin_va_end|__builtin_va_arg|__builtin_va_copy|__builtin_va_list|" \
              "__builtin_offsetof)$"
    own = 0
}
/^# [0-9]+ "/ {
    file = $3
    gsub(/^"|"$/, "", file)
    line = $2 - 1
    own = index(file, root "/src/") == 1 || index(file, root "/include/") == 1
    next
}
/^[ \t]*#/ { line++; next }
{
    line++
    if (!own)
        next
    text = $0
    gsub(/"([^"\\]|\\.)*"/, "\"\"", text)
    gsub(/'([^'\\]|\\.)*'/, "''", text)
    while (match(text, bad)) {
        token = substr(text, RSTART, RLENGTH)
        before = RSTART > 1 ? substr(text, RSTART - 1, 1) : " "
        after = substr(text, RSTART + RLENGTH, 1)
        text = substr(text, RSTART + RLENGTH)
        if (before ~ /[A-Za-z0-9_]/ || after ~ /[A-Za-z0-9_]/ || token ~ allowed)
            continue
        print file ":" line ": " token
    }
}
EOF

    msvc_clang_work="$work"
    local resource
    resource="$(clang -print-resource-dir)/include"
    # 19.39: Visual Studio 2022 17.9, the first cl.exe with __typeof__ in C
    # (src/platform/pal_compiler.h needs it).
    # shellcheck disable=SC2034 # read by the scripts that source this file
    msvc_clang_flags=(--target=x86_64-pc-windows-msvc -fms-extensions -fms-compatibility
        -fms-compatibility-version=19.39 -x c -std=c11
        -isystem "$work/msvc-include" -isystem "$resource" -isystem /usr/share/mingw-w64/include)
}

msvc_clang_scan() {
    awk -v root="$1" -f "$msvc_clang_work/msvc-scan.awk"
}
