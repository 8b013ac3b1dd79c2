/*
 * irpsim — ReadFile, WriteFile, ReadFileEx, WriteFileEx (SEMANTICS A.3,
 * A.4; the IRPs are built in ntreadwrite.c).
 *
 * ReadFile / WriteFile: the OVERLAPPED supplies the byte offset
 * (Offset/OffsetHigh) and the event; without one the file position of a
 * synchronous handle is used, and an overlapped handle fails with
 * ERROR_INVALID_PARAMETER. A synchronous ReadFile at end of file
 * (STATUS_END_OF_FILE) succeeds with 0 bytes, as kernel32 does; with an
 * OVERLAPPED it fails with ERROR_HANDLE_EOF.
 *
 * ReadFileEx / WriteFileEx pass an APC routine: when the request is
 * reported (3.6), the completion routine is queued to this thread as a
 * user APC and runs at its next alertable wait with the mapped error code
 * (0 on success), the byte count and the OVERLAPPED. They return FALSE
 * only for an error status; for a warning they return TRUE with the
 * warning's error in GetLastError, else ERROR_SUCCESS.
 */
#include "ump.h"

typedef NTSTATUS(NTAPI *PUMP_READ_WRITE)(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine,
                                         PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer,
                                         ULONG Length, PLARGE_INTEGER ByteOffset, PULONG Key);

static BOOL UmpReadWriteFile(PCSTR Name, PUMP_READ_WRITE Service, HANDLE hFile, PVOID Buffer, DWORD Length,
                             LPDWORD lpBytes, LPOVERLAPPED lpOverlapped)
{
    UMP_CALL Call;
    NTSTATUS Status;
    BOOL Result;

    UmpEnter(&Call, Name, hFile);
    if (lpBytes != NULL)
        *lpBytes = 0;
    if (lpOverlapped != NULL) {
        LARGE_INTEGER Offset;
        HANDLE Event;
        PVOID Context;
        if (!UmpPrepareOverlapped(lpOverlapped, &Event, &Context)) {
            SetLastError(ERROR_NOACCESS);
            return (BOOL)UmpLeave(&Call, FALSE);
        }
        Offset.LowPart = lpOverlapped->Offset;
        Offset.HighPart = (LONG)lpOverlapped->OffsetHigh;
        Status = Service(hFile, Event, NULL, Context, (PIO_STATUS_BLOCK)lpOverlapped, Buffer, Length, &Offset, NULL);
        Result = UmpOverlappedResult(Status, lpOverlapped, lpBytes);
    } else {
        IO_STATUS_BLOCK IoStatus = {{0}, 0};
        Status = Service(hFile, NULL, NULL, NULL, &IoStatus, Buffer, Length, NULL, NULL);
        Result = UmpSynchronousResult(Status, hFile, &IoStatus, lpBytes, Service == NtReadFile);
    }
    return (BOOL)UmpLeave(&Call, (ULONG_PTR)Result);
}

BOOL WINAPI ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead, LPDWORD lpNumberOfBytesRead,
                     LPOVERLAPPED lpOverlapped)
{
    return UmpReadWriteFile("ReadFile", NtReadFile, hFile, lpBuffer, nNumberOfBytesToRead, lpNumberOfBytesRead,
                            lpOverlapped);
}

BOOL WINAPI WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite, LPDWORD lpNumberOfBytesWritten,
                      LPOVERLAPPED lpOverlapped)
{
    return UmpReadWriteFile("WriteFile", NtWriteFile, hFile, (PVOID)lpBuffer, nNumberOfBytesToWrite,
                            lpNumberOfBytesWritten, lpOverlapped);
}

/* The user APC that calls a ReadFileEx / WriteFileEx completion routine
   (kernel32's BasepIoCompletion). */
static VOID NTAPI UmpIoCompletionApc(PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, ULONG Reserved)
{
    LPOVERLAPPED_COMPLETION_ROUTINE Routine = (LPOVERLAPPED_COMPLETION_ROUTINE)(ULONG_PTR)ApcContext;
    NTSTATUS Status = IoStatusBlock->Status;
    UNREFERENCED_PARAMETER(Reserved);
    Routine(NT_SUCCESS(Status) ? ERROR_SUCCESS : RtlNtStatusToDosError(Status), (DWORD)IoStatusBlock->Information,
            (LPOVERLAPPED)IoStatusBlock);
}

static BOOL UmpReadWriteFileEx(PCSTR Name, PUMP_READ_WRITE Service, HANDLE hFile, PVOID Buffer, DWORD Length,
                               LPOVERLAPPED lpOverlapped, LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    LARGE_INTEGER Offset;
    UMP_CALL Call;
    NTSTATUS Status;

    UmpEnter(&Call, Name, hFile);
    if (lpCompletionRoutine == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    if (!NT_SUCCESS(UmpProbe(UserMode, lpOverlapped, lpOverlapped != NULL ? sizeof(*lpOverlapped) : 1, TRUE))) {
        SetLastError(ERROR_NOACCESS);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    Offset.LowPart = lpOverlapped->Offset;
    Offset.HighPart = (LONG)lpOverlapped->OffsetHigh;
    lpOverlapped->Internal = (ULONG_PTR)(ULONG)STATUS_PENDING;
    Status = Service(hFile, NULL, UmpIoCompletionApc, (PVOID)(ULONG_PTR)lpCompletionRoutine,
                     (PIO_STATUS_BLOCK)lpOverlapped, Buffer, Length, &Offset, NULL);
    if (NT_ERROR(Status)) {
        UmpSetLastNtError(Status);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    SetLastError(NT_WARNING(Status) ? RtlNtStatusToDosError(Status) : ERROR_SUCCESS);
    return (BOOL)UmpLeave(&Call, TRUE);
}

BOOL WINAPI ReadFileEx(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead, LPOVERLAPPED lpOverlapped,
                       LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    return UmpReadWriteFileEx("ReadFileEx", NtReadFile, hFile, lpBuffer, nNumberOfBytesToRead, lpOverlapped,
                              lpCompletionRoutine);
}

BOOL WINAPI WriteFileEx(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite, LPOVERLAPPED lpOverlapped,
                        LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    return UmpReadWriteFileEx("WriteFileEx", NtWriteFile, hFile, (PVOID)lpBuffer, nNumberOfBytesToWrite,
                              lpOverlapped, lpCompletionRoutine);
}
