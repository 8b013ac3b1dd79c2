#!/usr/bin/env bash
# Compiles irpsim's public headers in Microsoft mode (scripts/msvc-clang.sh:
# clang --target=x86_64-pc-windows-msvc, _MSC_VER defined, native
# __try/__except, __declspec) with -Wall -Wextra -Werror, twice: as
# clang-cl compiles them, and with the branches only cl.exe takes
# (IRPSIM_COMPILER_MSVC=1: the _Interlocked intrinsics in interlocked.h, no
# GCC builtins in compiler.h), whose preprocessed text must name no GCC-only
# builtin or keyword (msvc_clang_scan). The C library headers come from
# MinGW-w64, which supports _MSC_VER; only C is checked (those headers' C++
# parts do not work in this mode). What this does and does not prove:
# docs/portability.md. scripts/check-msvc-sources.sh does the same for the
# library's sources.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# shellcheck source=msvc-clang.sh
. "$root/scripts/msvc-clang.sh"

work="$(mktemp -d "${TMPDIR:-/tmp}/irpsim-msvc.XXXXXX")"
trap 'rm -rf "$work"' EXIT
msvc_clang_setup "$work" irpsim-msvc-headers

cat >"$work/driver.c" <<'EOF'
/* Every driver-side header, and the constructs whose spelling differs
   between compilers: interlocked operations, fences, byte swaps, SEH. */
#include <ntifs.h>
#include <ntddk.h>
#include <wdm.h>
#include <ntstrsafe.h>
#include <wdmsec.h>
#include <initguid.h>
#include <irpsim/irpsim.h>
#include <irpsim/trace.h>

int IrpSimMsvcHeaderCheck(PLIST_ENTRY Head);
int IrpSimMsvcHeaderCheck(PLIST_ENTRY Head)
{
    NTSTATUS Status = STATUS_SUCCESS;
    LONG volatile Counter = 0;
    PVOID volatile Slot = NULL;
    InitializeListHead(Head);
    __try {
        InterlockedIncrement(&Counter);
        (void)InterlockedCompareExchangePointer(&Slot, Head, NULL);
        KeMemoryBarrier();
        ExRaiseStatus(STATUS_ACCESS_VIOLATION);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        Status = GetExceptionCode();
    }
    __try {
        Status += (NTSTATUS)RtlUlongByteSwap(1u);
    } __finally {
        Status += AbnormalTermination();
    }
    return (int)Status + ReadAcquire(&Counter);
}
EOF
cat >"$work/app.c" <<'EOF'
/* The application-side Win32 headers. */
#include <windows.h>
#include <winioctl.h>

int IrpSimMsvcAppCheck(void);
int IrpSimMsvcAppCheck(void)
{
    DWORD Bytes = 0;
    HANDLE File = CreateFileW(L"\\\\.\\Hello", GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (File == INVALID_HANDLE_VALUE)
        return (int)GetLastError();
    (void)DeviceIoControl(File, CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS), NULL, 0,
                          NULL, 0, &Bytes, NULL);
    CloseHandle(File);
    return 0;
}
EOF

flags=("${msvc_clang_flags[@]}" -Wall -Wextra -Werror -Wno-multichar -Wno-unknown-pragmas
    -I"$root/include/wdk" -I"$root/include")
# As clang-cl compiles them, then with the branches only cl.exe takes
# (IRPSIM_COMPILER_MSVC=1: no GCC builtins, the _Interlocked intrinsics).
for compiler in clang-cl cl.exe; do
    extra=()
    [ "$compiler" = cl.exe ] && extra=(-DIRPSIM_COMPILER_MSVC=1)
    probes=("$work/driver.c")
    [ -f "$root/include/win32/windows.h" ] && probes+=("$work/app.c")
    for probe in "${probes[@]}"; do
        clang "${flags[@]}" "${extra[@]}" -I"$root/include/win32" -fsyntax-only "$probe"
        if [ "$compiler" = cl.exe ]; then
            clang "${flags[@]}" "${extra[@]}" -I"$root/include/win32" -E "$probe" | msvc_clang_scan "$root" >"$work/scan.txt"
            if [ -s "$work/scan.txt" ]; then
                cat "$work/scan.txt"
                echo "irpsim-msvc-headers: FAILED: cl.exe has none of these; include/irpsim/wdk/compiler.h has the portable spellings" >&2
                exit 1
            fi
        fi
    done
    echo "irpsim-msvc-headers: driver and Win32 headers ($compiler branches): ok"
done
