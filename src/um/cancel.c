/*
 * irpsim — NtCancelIoFile, NtCancelIoFileEx, NtCancelSynchronousIoFile
 * (SEMANTICS 5.6). For each request selected the I/O manager calls
 * IoCancelIrp; what happens then is up to the driver's cancel routine.
 *
 * IoCancelIrp must not race with the request's stage 2, which frees the
 * IRP. Stage 2 runs in the issuing thread, so the cancel runs there too:
 * at once (at APC_LEVEL) for the calling thread's own requests, from a
 * kernel APC for another thread's (CancelIoEx, CancelSynchronousIo). The
 * APC interrupts the thread's wait, as Windows' cancellation does; a
 * thread busy outside irpsim gets it at its next Win32 call.
 *
 * NtCancelIoFile waits until the cancelled requests have left the
 * thread's IRP list (their stage 2 has run). Windows polls the list every
 * 10 ms; irpsim waits on the thread's event that is set each time an IRP
 * leaves the list (src/io/cancel.c), and looks again from the first
 * request not yet seen gone, so cancelling n requests costs O(n) however
 * they complete, and no time passes on the virtual clock. A request still
 * there after the limit (about five minutes, as on Windows; the one
 * IopSetThreadIoCancelLimits sets) is disassociated from the thread and
 * IO_DRIVER_CANCEL_TIMEOUT is noted: its late completion then tells
 * nobody. The other two services do not wait.
 */
#include "ump.h"

#include <stdlib.h>

VOID UmpCancelOwnIrps(const UMP_IRP_REF *Refs, ULONG Count)
{
    for (ULONG i = 0; i < Count; i++) {
        PVF_IRP_ENTRY Entry = VfIrpLockEntry(Refs[i].Irp);
        BOOLEAN Live = Entry != NULL && Entry->Serial == Refs[i].Serial && Entry->State != VfIrpFreed &&
                       !Entry->WalkFinished;
        VfIrpUnlock();
        if (Live)
            (void)IoCancelIrp(Refs[i].Irp);
    }
}

typedef struct _UMP_CANCEL_APC {
    KAPC Apc;
    ULONG Count;
    UMP_IRP_REF Refs[];
} UMP_CANCEL_APC, *PUMP_CANCEL_APC;

static VOID NTAPI UmpCancelApcRoutine(PKAPC Apc, PKNORMAL_ROUTINE *NormalRoutine, PVOID *NormalContext,
                                      PVOID *SystemArgument1, PVOID *SystemArgument2)
{
    PUMP_CANCEL_APC Record = CONTAINING_RECORD(Apc, UMP_CANCEL_APC, Apc);
    UNREFERENCED_PARAMETER(NormalRoutine);
    UNREFERENCED_PARAMETER(NormalContext);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);
    UmpCancelOwnIrps(Record->Refs, Record->Count);
    free(Record);
}

/* The thread is ending: its exit cancels its requests anyway. */
static VOID NTAPI UmpCancelApcRundown(PKAPC Apc)
{
    free(CONTAINING_RECORD(Apc, UMP_CANCEL_APC, Apc));
}

VOID UmpCancelThreadIrps(PKTHREAD Thread, const UMP_IRP_REF *Refs, ULONG Count)
{
    PUMP_CANCEL_APC Record;
    if (Count == 0)
        return;
    if (Thread == KiGetCurrentThread()) {
        KIRQL Old;
        KeRaiseIrql(APC_LEVEL, &Old);
        UmpCancelOwnIrps(Refs, Count);
        KeLowerIrql(Old);
        return;
    }
    Record = (PUMP_CANCEL_APC)malloc(sizeof(*Record) + Count * sizeof(UMP_IRP_REF));
    if (Record == NULL)
        return;
    Record->Count = Count;
    memcpy(Record->Refs, Refs, Count * sizeof(UMP_IRP_REF));
    for (ULONG i = 0; i < Count; i++)
        Record->Refs[i].Thread = NULL;
    KeInitializeApc(&Record->Apc, Thread, OriginalApcEnvironment, UmpCancelApcRoutine, UmpCancelApcRundown, NULL,
                    KernelMode, NULL);
    if (!KeInsertQueueApc(&Record->Apc, NULL, NULL, 0))
        free(Record);
}

static NTSTATUS UmpWriteIoStatus(KPROCESSOR_MODE Mode, PIO_STATUS_BLOCK IoStatusBlock, NTSTATUS Status)
{
    NTSTATUS Probe = UmpProbe(Mode, IoStatusBlock, sizeof(*IoStatusBlock), TRUE);
    if (!NT_SUCCESS(Probe) || IoStatusBlock == NULL)
        return IoStatusBlock == NULL ? STATUS_ACCESS_VIOLATION : Probe;
    IoStatusBlock->Status = Status;
    IoStatusBlock->Information = 0;
    return Status;
}

/* NtCancelIoFile's list while it is in use. A bug check caught by a test
   can unwind the thread out of the cancel or the wait below; the list is
   then freed by the thread's next NtCancelIoFile (and, being reachable from
   the thread, is not a host leak meanwhile). */
static IRPSIM_THREAD_LOCAL PUMP_IRP_REF UmpCancelInProgress;

/* Waits until Refs (the calling thread's cancelled requests) have left
   its IRP list; at the limit, disassociates those still there. */
static VOID UmpWaitForCancelledIrps(PKTHREAD Thread, const UMP_IRP_REF *Refs, ULONG Count)
{
    ULONGLONG Deadline;
    ULONG Next = 0;
    KIRQL Old;

    IopBeginThreadIrpWait();
    Deadline = IopCancelWaitDeadline();
    for (;;) {
        /* A request that has left the list never comes back: resume at
           the first one not yet seen gone. */
        while (Next < Count && !IopThreadIrpPending(Thread, Refs[Next].Irp, Refs[Next].Serial))
            Next++;
        if (Next == Count)
            break;
        if (IopWaitForThreadIrpRemoval(Deadline) == STATUS_TIMEOUT) {
            KeRaiseIrql(APC_LEVEL, &Old);
            for (; Next < Count; Next++)
                (void)IopDisassociateThreadIrp(Thread, Refs[Next].Irp, Refs[Next].Serial);
            KeLowerIrql(Old);
            break;
        }
    }
    IopEndThreadIrpWait();
}

NTSTATUS NTAPI NtCancelIoFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock)
{
    KPROCESSOR_MODE Mode = ExGetPreviousMode();
    PKTHREAD Thread = KiGetCurrentThread();
    PFILE_OBJECT FileObject;
    PUMP_IRP_REF Refs;
    NTSTATUS Status;
    ULONG Count;
    KIRQL Old;

    if (IoStatusBlock == NULL || !NT_SUCCESS(UmpProbe(Mode, IoStatusBlock, sizeof(*IoStatusBlock), TRUE)))
        return STATUS_ACCESS_VIOLATION;
    Status = ObReferenceObjectByHandle(FileHandle, 0, *IoFileObjectType, Mode, (PVOID *)&FileObject, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    /* At APC_LEVEL no request of ours can finish its stage 2 meanwhile. */
    free(UmpCancelInProgress);
    UmpCancelInProgress = NULL;
    KeRaiseIrql(APC_LEVEL, &Old);
    Count = UmpFindThreadIrps(Thread, FileObject, NULL, FALSE, &Refs);
    UmpCancelInProgress = Refs;
    UmpCancelOwnIrps(Refs, Count);
    KeLowerIrql(Old); /* the completion APCs run here */

    if (Count != 0)
        UmpWaitForCancelledIrps(Thread, Refs, Count);
    UmpCancelInProgress = NULL;
    free(Refs);
    ObDereferenceObject(FileObject);
    return UmpWriteIoStatus(Mode, IoStatusBlock, STATUS_SUCCESS);
}

NTSTATUS NTAPI NtCancelIoFileEx(HANDLE FileHandle, PIO_STATUS_BLOCK IoRequestToCancel, PIO_STATUS_BLOCK IoStatusBlock)
{
    KPROCESSOR_MODE Mode = ExGetPreviousMode();
    PFILE_OBJECT FileObject;
    PUMP_IRP_REF Refs;
    NTSTATUS Status;
    ULONG Count;

    if (IoStatusBlock == NULL || !NT_SUCCESS(UmpProbe(Mode, IoStatusBlock, sizeof(*IoStatusBlock), TRUE)))
        return STATUS_ACCESS_VIOLATION;
    Status = ObReferenceObjectByHandle(FileHandle, 0, *IoFileObjectType, Mode, (PVOID *)&FileObject, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    Count = UmpFindUserIrps(FileObject, IoRequestToCancel, &Refs);
    ObDereferenceObject(FileObject);
    if (Count == 0)
        return STATUS_NOT_FOUND;
    /* One batch per issuing thread. */
    for (ULONG i = 0; i < Count; i++) {
        PKTHREAD Thread = Refs[i].Thread;
        ULONG Batch = 0;
        BOOLEAN Done = FALSE;
        for (ULONG j = 0; j < i && !Done; j++)
            Done = Refs[j].Thread == Thread;
        if (Done)
            continue;
        for (ULONG j = i; j < Count; j++)
            Batch += Refs[j].Thread == Thread;
        {
            UMP_IRP_REF *Mine = (UMP_IRP_REF *)malloc(Batch * sizeof(*Mine));
            ULONG n = 0;
            if (Mine == NULL)
                continue;
            for (ULONG j = i; j < Count; j++) {
                if (Refs[j].Thread == Thread)
                    Mine[n++] = Refs[j];
            }
            UmpCancelThreadIrps(Thread, Mine, n);
            free(Mine);
        }
    }
    UmpReleaseIrpRefs(Refs, Count);
    return UmpWriteIoStatus(Mode, IoStatusBlock, STATUS_SUCCESS);
}

NTSTATUS NTAPI NtCancelSynchronousIoFile(HANDLE ThreadHandle, PIO_STATUS_BLOCK IoRequestToCancel,
                                         PIO_STATUS_BLOCK IoStatusBlock)
{
    KPROCESSOR_MODE Mode = ExGetPreviousMode();
    PUMP_IRP_REF Refs;
    PKTHREAD Thread;
    NTSTATUS Status;
    ULONG Count;

    if (IoStatusBlock == NULL || !NT_SUCCESS(UmpProbe(Mode, IoStatusBlock, sizeof(*IoStatusBlock), TRUE)))
        return STATUS_ACCESS_VIOLATION;
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_TERMINATE, *PsThreadType, Mode, (PVOID *)&Thread, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    Count = UmpFindThreadIrps(Thread, NULL, IoRequestToCancel, TRUE, &Refs);
    UmpCancelThreadIrps(Thread, Refs, Count);
    free(Refs);
    ObDereferenceObject(Thread);
    if (Count == 0)
        return STATUS_NOT_FOUND;
    return UmpWriteIoStatus(Mode, IoStatusBlock, STATUS_SUCCESS);
}
