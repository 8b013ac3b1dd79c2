/*
 * irpsim — CloseHandle.
 *
 * Closing the last handle to a file object sends IRP_MJ_CLEANUP (in this
 * thread, synchronously); IRP_MJ_CLOSE follows when the last reference
 * goes, which is after every request still holding the file object has
 * completed (SEMANTICS A.5). The I/O manager cancels nothing: the
 * driver's cleanup routine is expected to complete the file's queued
 * requests. CloseHandle succeeds whatever the cleanup status.
 */
#include "ump.h"

BOOL WINAPI CloseHandle(HANDLE hObject)
{
    UMP_CALL Call;
    NTSTATUS Status;

    UmpEnter(&Call, "CloseHandle", hObject);
    Status = NtClose(hObject);
    if (!NT_SUCCESS(Status)) {
        UmpSetLastNtError(Status);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    return (BOOL)UmpLeave(&Call, TRUE);
}
