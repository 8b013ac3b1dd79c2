/*
 * irpsim — user APCs: QueueUserAPC, and the completion routines of
 * ReadFileEx / WriteFileEx. A user APC runs only when its thread waits
 * alertably in user mode (SleepEx, WaitForSingleObjectEx, ... with
 * bAlertable TRUE), which then returns WAIT_IO_COMPLETION.
 *
 * The APC lives in a host allocation of its own (not pool: it must not be
 * charged to the driver that happened to complete the request), freed when
 * it runs or when its thread ends without running it.
 */
#include "ump.h"

#include <stdlib.h>

typedef struct _UMP_USER_APC {
    KAPC Apc;
    PAPCFUNC UserRoutine;       /* QueueUserAPC */
    ULONG_PTR UserData;
    PIO_APC_ROUTINE IoRoutine;  /* an I/O completion */
    PVOID IoContext;
    PIO_STATUS_BLOCK IoStatusBlock;
} UMP_USER_APC, *PUMP_USER_APC;

static VOID NTAPI UmpUserApcNormal(PVOID NormalContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    UMP_USER_APC Copy = *(PUMP_USER_APC)NormalContext;
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);
    free(NormalContext);
    if (Copy.IoRoutine != NULL)
        Copy.IoRoutine(Copy.IoContext, Copy.IoStatusBlock, 0);
    else
        Copy.UserRoutine(Copy.UserData);
}

static VOID NTAPI UmpUserApcRundown(PKAPC Apc)
{
    free(CONTAINING_RECORD(Apc, UMP_USER_APC, Apc));
}

static BOOLEAN UmpInsertUserApc(PKTHREAD Thread, PUMP_USER_APC Record)
{
    KeInitializeApc(&Record->Apc, Thread, OriginalApcEnvironment, NULL, UmpUserApcRundown, UmpUserApcNormal,
                    UserMode, Record);
    if (KeInsertQueueApc(&Record->Apc, NULL, NULL, 0))
        return TRUE;
    free(Record);
    return FALSE;
}

BOOLEAN UmpQueueIoApc(PKTHREAD Thread, PIO_APC_ROUTINE Routine, PVOID Context, PIO_STATUS_BLOCK IoStatusBlock)
{
    PUMP_USER_APC Record = (PUMP_USER_APC)calloc(1, sizeof(*Record));
    if (Record == NULL)
        return FALSE;
    Record->IoRoutine = Routine;
    Record->IoContext = Context;
    Record->IoStatusBlock = IoStatusBlock;
    return UmpInsertUserApc(Thread, Record);
}

DWORD WINAPI QueueUserAPC(PAPCFUNC pfnAPC, HANDLE hThread, ULONG_PTR dwData)
{
    UMP_CALL Call;
    PUMP_USER_APC Record;
    PKTHREAD Thread;
    NTSTATUS Status;

    UmpEnter(&Call, "QueueUserAPC", hThread);
    if (pfnAPC == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return (DWORD)UmpLeave(&Call, 0);
    }
    Status = ObReferenceObjectByHandle(hThread, THREAD_SET_CONTEXT, *PsThreadType, UserMode, (PVOID *)&Thread, NULL);
    if (!NT_SUCCESS(Status)) {
        UmpSetLastNtError(Status);
        return (DWORD)UmpLeave(&Call, 0);
    }
    Record = (PUMP_USER_APC)calloc(1, sizeof(*Record));
    if (Record == NULL) {
        Status = STATUS_NO_MEMORY;
    } else {
        Record->UserRoutine = pfnAPC;
        Record->UserData = dwData;
        /* A thread that has ended takes no more APCs. */
        if (!UmpInsertUserApc(Thread, Record))
            Status = STATUS_UNSUCCESSFUL;
    }
    ObDereferenceObject(Thread);
    if (!NT_SUCCESS(Status)) {
        UmpSetLastNtError(Status);
        return (DWORD)UmpLeave(&Call, 0);
    }
    return (DWORD)UmpLeave(&Call, 1);
}
