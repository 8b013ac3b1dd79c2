/*
 * irpsim — how kernel32 drives the native I/O services with or without an
 * OVERLAPPED (SEMANTICS A.3), shared by DeviceIoControl, ReadFile and
 * WriteFile; and GetOverlappedResult(Ex).
 *
 * With an OVERLAPPED: Internal is set to STATUS_PENDING, the OVERLAPPED is
 * the I/O status block, hEvent (low bit cleared) the event, and the
 * OVERLAPPED the APC context that a completion port packet carries, unless
 * the low bit of hEvent is set. Pending -> FALSE with ERROR_IO_PENDING;
 * another status that is not NT_SUCCESS -> FALSE with the mapped error
 * (a warning too: STATUS_BUFFER_OVERFLOW gives ERROR_MORE_DATA); success
 * -> TRUE, the byte count from InternalHigh.
 *
 * Without one: a local I/O status block; if the service returns
 * STATUS_PENDING (an overlapped handle used without an OVERLAPPED) wait
 * on the file handle and take the status block's status. Success -> TRUE;
 * a warning -> FALSE but the byte count is still returned; an error ->
 * FALSE.
 */
#include "ump.h"

BOOLEAN UmpPrepareOverlapped(LPOVERLAPPED Overlapped, PHANDLE Event, PVOID *ApcContext)
{
    if (!NT_SUCCESS(UmpProbe(UserMode, Overlapped, sizeof(*Overlapped), TRUE)))
        return FALSE;
    *Event = (HANDLE)((ULONG_PTR)Overlapped->hEvent & ~(ULONG_PTR)1);
    *ApcContext = ((ULONG_PTR)Overlapped->hEvent & 1) ? NULL : Overlapped;
    Overlapped->Internal = (ULONG_PTR)(ULONG)STATUS_PENDING;
    return TRUE;
}

BOOL UmpOverlappedResult(NTSTATUS Status, LPOVERLAPPED Overlapped, LPDWORD lpBytes)
{
    if (NT_SUCCESS(Status) && Status != STATUS_PENDING) {
        if (lpBytes != NULL)
            *lpBytes = (DWORD)Overlapped->InternalHigh;
        return TRUE;
    }
    UmpSetLastNtError(Status);
    return FALSE;
}

BOOL UmpSynchronousResult(NTSTATUS Status, HANDLE Handle, PIO_STATUS_BLOCK IoStatus, LPDWORD lpBytes,
                          BOOLEAN EndOfFileIsSuccess)
{
    if (Status == STATUS_PENDING) {
        Status = UmpWaitForHandle(Handle, FALSE, NULL);
        if (NT_SUCCESS(Status))
            Status = IoStatus->Status;
    }
    if (NT_SUCCESS(Status)) {
        if (lpBytes != NULL)
            *lpBytes = (DWORD)IoStatus->Information;
        return TRUE;
    }
    if (Status == STATUS_END_OF_FILE && EndOfFileIsSuccess) {
        if (lpBytes != NULL)
            *lpBytes = 0;
        return TRUE;
    }
    if (!NT_ERROR(Status) && lpBytes != NULL)
        *lpBytes = (DWORD)IoStatus->Information;
    UmpSetLastNtError(Status);
    return FALSE;
}

BOOL WINAPI GetOverlappedResultEx(HANDLE hFile, LPOVERLAPPED lpOverlapped, LPDWORD lpNumberOfBytesTransferred,
                                  DWORD dwMilliseconds, BOOL bAlertable)
{
    UMP_CALL Call;
    LARGE_INTEGER Storage;
    NTSTATUS Status;

    UmpEnter(&Call, "GetOverlappedResultEx", hFile);
    if (!NT_SUCCESS(UmpProbe(UserMode, lpOverlapped, lpOverlapped != NULL ? sizeof(*lpOverlapped) : 1, FALSE))) {
        SetLastError(ERROR_NOACCESS);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    if (UmpOverlappedStatus(lpOverlapped) == STATUS_PENDING) {
        HANDLE Waitable = (HANDLE)((ULONG_PTR)lpOverlapped->hEvent & ~(ULONG_PTR)1);
        if (dwMilliseconds == 0) {
            SetLastError(ERROR_IO_INCOMPLETE);
            return (BOOL)UmpLeave(&Call, FALSE);
        }
        /* The event if there is one, else the file (signalled by every
           request on it that completes). */
        Status = UmpWaitForHandle(Waitable != NULL ? Waitable : hFile, (BOOLEAN)(bAlertable != FALSE),
                                  UmpTimeout(dwMilliseconds, &Storage));
        if (Status != STATUS_WAIT_0) {
            if (Status == STATUS_TIMEOUT)
                SetLastError(WAIT_TIMEOUT);
            else if (Status == STATUS_USER_APC)
                SetLastError(WAIT_IO_COMPLETION);
            else
                UmpSetLastNtError(Status);
            return (BOOL)UmpLeave(&Call, FALSE);
        }
        if (UmpOverlappedStatus(lpOverlapped) == STATUS_PENDING) {
            /* Woken by another request on the same file. */
            SetLastError(ERROR_IO_INCOMPLETE);
            return (BOOL)UmpLeave(&Call, FALSE);
        }
    }
    if (lpNumberOfBytesTransferred != NULL)
        *lpNumberOfBytesTransferred = (DWORD)lpOverlapped->InternalHigh;
    Status = UmpOverlappedStatus(lpOverlapped);
    if (!NT_SUCCESS(Status)) {
        UmpSetLastNtError(Status);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    return (BOOL)UmpLeave(&Call, TRUE);
}

BOOL WINAPI GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped, LPDWORD lpNumberOfBytesTransferred,
                                BOOL bWait)
{
    return GetOverlappedResultEx(hFile, lpOverlapped, lpNumberOfBytesTransferred, bWait ? INFINITE : 0, FALSE);
}
