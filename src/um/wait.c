/*
 * irpsim — WaitForSingleObject(Ex), WaitForMultipleObjects(Ex), Sleep(Ex).
 *
 * A handle is waited on through its object: an event's KEVENT, a thread
 * (signalled when it ends), the process, or a file object's event (set
 * when a request on that file completes, which is how kernel32 waits on a
 * file handle). Waits are UserMode waits: with bAlertable TRUE, queued
 * user APCs (ReadFileEx completions, QueueUserAPC) run and the wait
 * returns WAIT_IO_COMPLETION. Kernel APCs (request completion) are
 * delivered during any wait, as on Windows.
 *
 * Not waitable here (ERROR_INVALID_HANDLE): completion ports, and the
 * semaphore and timer types nothing in the facade creates.
 */
#include "ump.h"

#include <stdlib.h>

PVOID UmpWaitableObject(PVOID Object)
{
    POBJECT_TYPE Type = ObpGetObjectType(Object);
    if (Type == &ObpEventObjectType || Type == &ObpThreadObjectType || Type == &ObpProcessObjectType)
        return Object; /* the body starts with a DISPATCHER_HEADER */
    if (Type == &ObpFileObjectType)
        return &((PFILE_OBJECT)Object)->Event;
    return NULL;
}

/* References the object behind Handle for a wait. */
static NTSTATUS UmpReferenceWaitable(HANDLE Handle, PVOID *Object, PVOID *Waitable)
{
    NTSTATUS Status = ObReferenceObjectByHandle(Handle, SYNCHRONIZE, NULL, UserMode, Object, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    *Waitable = UmpWaitableObject(*Object);
    if (*Waitable == NULL) {
        ObDereferenceObject(*Object);
        return STATUS_OBJECT_TYPE_MISMATCH;
    }
    return STATUS_SUCCESS;
}

/* A wait's NTSTATUS as the Win32 result; sets the last error on failure. */
static DWORD UmpWaitResult(NTSTATUS Status)
{
    if (Status >= STATUS_WAIT_0 && Status <= STATUS_WAIT_63)
        return WAIT_OBJECT_0 + (DWORD)(Status - STATUS_WAIT_0);
    if (Status >= STATUS_ABANDONED_WAIT_0 && Status <= STATUS_ABANDONED_WAIT_0 + 63)
        return WAIT_ABANDONED_0 + (DWORD)(Status - STATUS_ABANDONED_WAIT_0);
    if (Status == STATUS_USER_APC)
        return WAIT_IO_COMPLETION;
    if (Status == STATUS_TIMEOUT)
        return WAIT_TIMEOUT;
    UmpSetLastNtError(Status);
    return WAIT_FAILED;
}

NTSTATUS UmpWaitForHandle(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout)
{
    PVOID Object, Waitable;
    NTSTATUS Status = UmpReferenceWaitable(Handle, &Object, &Waitable);
    if (!NT_SUCCESS(Status))
        return Status == STATUS_OBJECT_TYPE_MISMATCH ? STATUS_INVALID_HANDLE : Status;
    do {
        Status = KeWaitForSingleObject(Waitable, UserRequest, UserMode, Alertable, Timeout);
        /* kernel32 waits again after an alert (it only wants APCs). */
    } while (Status == STATUS_ALERTED);
    ObDereferenceObject(Object);
    return Status;
}

static DWORD UmpWaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable)
{
    LARGE_INTEGER Storage;
    return UmpWaitResult(
        UmpWaitForHandle(hHandle, (BOOLEAN)(bAlertable != FALSE), UmpTimeout(dwMilliseconds, &Storage)));
}

DWORD WINAPI WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable)
{
    UMP_CALL Call;
    UmpEnter(&Call, "WaitForSingleObjectEx", hHandle);
    return (DWORD)UmpLeave(&Call, UmpWaitForSingleObject(hHandle, dwMilliseconds, bAlertable));
}

DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds)
{
    UMP_CALL Call;
    UmpEnter(&Call, "WaitForSingleObject", hHandle);
    return (DWORD)UmpLeave(&Call, UmpWaitForSingleObject(hHandle, dwMilliseconds, FALSE));
}

static DWORD UmpWaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll, DWORD dwMilliseconds,
                                       BOOL bAlertable)
{
    PVOID Objects[MAXIMUM_WAIT_OBJECTS];
    PVOID Waitables[MAXIMUM_WAIT_OBJECTS];
    PKWAIT_BLOCK Blocks = NULL;
    LARGE_INTEGER Storage;
    NTSTATUS Status = STATUS_SUCCESS;
    DWORD Referenced = 0;

    if (nCount == 0 || nCount > MAXIMUM_WAIT_OBJECTS || lpHandles == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return WAIT_FAILED;
    }
    if (!NT_SUCCESS(UmpProbe(UserMode, lpHandles, nCount * sizeof(HANDLE), FALSE))) {
        SetLastError(ERROR_NOACCESS);
        return WAIT_FAILED;
    }
    for (; Referenced < nCount; Referenced++) {
        Status = UmpReferenceWaitable(lpHandles[Referenced], &Objects[Referenced], &Waitables[Referenced]);
        if (!NT_SUCCESS(Status))
            break;
    }
    /* Waiting for all of a set that names one object twice is refused
       (STATUS_INVALID_PARAMETER_MIX on Windows). */
    for (DWORD i = 0; NT_SUCCESS(Status) && bWaitAll && i < nCount; i++) {
        for (DWORD j = i + 1; j < nCount; j++) {
            if (Waitables[i] == Waitables[j])
                Status = STATUS_INVALID_PARAMETER;
        }
    }
    if (NT_SUCCESS(Status) && nCount > THREAD_WAIT_OBJECTS) {
        Blocks = (PKWAIT_BLOCK)calloc(nCount, sizeof(KWAIT_BLOCK));
        if (Blocks == NULL)
            Status = STATUS_NO_MEMORY;
    }
    if (NT_SUCCESS(Status)) {
        do {
            Status = KeWaitForMultipleObjects(nCount, Waitables, bWaitAll ? WaitAll : WaitAny, UserRequest, UserMode,
                                              (BOOLEAN)(bAlertable != FALSE), UmpTimeout(dwMilliseconds, &Storage),
                                              Blocks);
        } while (Status == STATUS_ALERTED);
    } else if (Status == STATUS_OBJECT_TYPE_MISMATCH) {
        Status = STATUS_INVALID_HANDLE;
    }
    free(Blocks);
    while (Referenced > 0)
        ObDereferenceObject(Objects[--Referenced]);
    return UmpWaitResult(Status);
}

DWORD WINAPI WaitForMultipleObjectsEx(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll, DWORD dwMilliseconds,
                                      BOOL bAlertable)
{
    UMP_CALL Call;
    UmpEnter(&Call, "WaitForMultipleObjectsEx", NULL);
    return (DWORD)UmpLeave(&Call, UmpWaitForMultipleObjects(nCount, lpHandles, bWaitAll, dwMilliseconds, bAlertable));
}

DWORD WINAPI WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll, DWORD dwMilliseconds)
{
    UMP_CALL Call;
    UmpEnter(&Call, "WaitForMultipleObjects", NULL);
    return (DWORD)UmpLeave(&Call, UmpWaitForMultipleObjects(nCount, lpHandles, bWaitAll, dwMilliseconds, FALSE));
}

DWORD WINAPI SleepEx(DWORD dwMilliseconds, BOOL bAlertable)
{
    UMP_CALL Call;
    LARGE_INTEGER Storage;
    NTSTATUS Status;

    UmpEnter(&Call, "SleepEx", NULL);
    do {
        Status = KeDelayExecutionThread(UserMode, (BOOLEAN)(bAlertable != FALSE),
                                        UmpTimeout(dwMilliseconds, &Storage));
    } while (Status == STATUS_ALERTED);
    return (DWORD)UmpLeave(&Call, Status == STATUS_USER_APC ? WAIT_IO_COMPLETION : 0);
}

VOID WINAPI Sleep(DWORD dwMilliseconds)
{
    UMP_CALL Call;
    LARGE_INTEGER Storage;
    UmpEnter(&Call, "Sleep", NULL);
    (void)KeDelayExecutionThread(UserMode, FALSE, UmpTimeout(dwMilliseconds, &Storage));
    (void)UmpLeave(&Call, 0);
}
