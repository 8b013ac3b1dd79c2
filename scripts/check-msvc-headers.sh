#!/usr/bin/env bash
# Compiles irpsim's public headers in Microsoft mode, as clang-cl does
# (clang --target=x86_64-pc-windows-msvc: _MSC_VER defined, native
# __try/__except, __declspec), with -Wall -Wextra -Werror: the _MSC_VER
# branches of the headers (basetypes.h, seh.h, compiler.h) are compiled by
# something on every CI run. There is no Microsoft C runtime here, so the
# C library headers come from MinGW-w64, which supports _MSC_VER; only C
# is checked (those headers' C++ parts do not work in this mode). cl.exe's
# own branches (IRPSIM_COMPILER_MSVC, e.g. the _Interlocked intrinsics in
# interlocked.h) need a real cl.exe: docs/portability.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

missing=()
command -v clang >/dev/null 2>&1 || missing+=(clang)
[ -f /usr/share/mingw-w64/include/stdio.h ] || missing+=(mingw-w64-x86-64-dev)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "irpsim-msvc-headers: installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "irpsim-msvc-headers: run:  sudo apt-get install -y ${missing[*]}"
        exit 1
    fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/irpsim-msvc.XXXXXX")"
trap 'rm -rf "$work"' EXIT

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

resource="$(clang -print-resource-dir)/include"
flags=(--target=x86_64-pc-windows-msvc -fms-extensions -fms-compatibility -fms-compatibility-version=19.30
    -fsyntax-only -x c -std=c11 -Wall -Wextra -Werror -Wno-multichar -Wno-unknown-pragmas
    -I"$root/include/wdk" -I"$root/include" -isystem "$resource" -isystem /usr/share/mingw-w64/include)
clang "${flags[@]}" "$work/driver.c"
echo "irpsim-msvc-headers: driver headers: ok"
if [ -f "$root/include/win32/windows.h" ]; then
    clang "${flags[@]}" -I"$root/include/win32" "$work/app.c"
    echo "irpsim-msvc-headers: Win32 headers: ok"
fi
