/*
 * irpsim — CancelIo, CancelIoEx, CancelSynchronousIo (SEMANTICS 5.6; the
 * work is in cancel.c). The cancelled requests complete through their own
 * OVERLAPPED / event / port / APC, usually with ERROR_OPERATION_ABORTED;
 * a request whose driver set no cancel routine goes on until the driver
 * completes it.
 */
#include "ump.h"

BOOL WINAPI CancelIo(HANDLE hFile)
{
    IO_STATUS_BLOCK IoStatus;
    UMP_CALL Call;
    NTSTATUS Status;

    UmpEnter(&Call, "CancelIo", hFile);
    Status = NtCancelIoFile(hFile, &IoStatus);
    if (!NT_SUCCESS(Status)) {
        UmpSetLastNtError(Status);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    return (BOOL)UmpLeave(&Call, TRUE);
}

BOOL WINAPI CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped)
{
    IO_STATUS_BLOCK IoStatus;
    UMP_CALL Call;
    NTSTATUS Status;

    UmpEnter(&Call, "CancelIoEx", hFile);
    Status = NtCancelIoFileEx(hFile, (PIO_STATUS_BLOCK)lpOverlapped, &IoStatus);
    if (!NT_SUCCESS(Status)) {
        UmpSetLastNtError(Status);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    return (BOOL)UmpLeave(&Call, TRUE);
}

BOOL WINAPI CancelSynchronousIo(HANDLE hThread)
{
    IO_STATUS_BLOCK IoStatus;
    UMP_CALL Call;
    NTSTATUS Status;

    UmpEnter(&Call, "CancelSynchronousIo", hThread);
    Status = NtCancelSynchronousIoFile(hThread, NULL, &IoStatus);
    if (!NT_SUCCESS(Status)) {
        UmpSetLastNtError(Status);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    return (BOOL)UmpLeave(&Call, TRUE);
}
