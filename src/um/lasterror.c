/*
 * irpsim — the calling thread's last error (KTHREAD.LastError, the TEB
 * field on Windows).
 */
#include "ump.h"

DWORD WINAPI GetLastError(VOID)
{
    return KiGetCurrentThread()->LastError;
}

VOID WINAPI SetLastError(DWORD dwErrCode)
{
    KiGetCurrentThread()->LastError = dwErrCode;
}

VOID UmpSetLastNtError(NTSTATUS Status)
{
    SetLastError(RtlNtStatusToDosError(Status));
}
