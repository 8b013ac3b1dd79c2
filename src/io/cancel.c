/*
 * irpsim — cancellation basics (SEMANTICS.md 5.1, 5.2, 5.5): IoCancelIrp,
 * IoSetCancelRoutine, the cancel spin lock, thread-exit cancellation, and
 * the wait for cancelled requests that thread exit and NtCancelIoFile
 * share.
 *
 * Waiting for cancelled IRPs. Windows polls the thread's IRP list (every
 * 100 ms at thread exit, 10 ms in NtCancelIoFile) and gives an IRP up
 * after about five minutes: it disassociates it from the thread and logs
 * IO_DRIVER_CANCEL_TIMEOUT. irpsim keeps the limit but does not poll: the
 * thread waits on an event that IopDequeueThreadIrp sets each time an IRP
 * leaves that thread's list, so the wait ends as soon as the last IRP has
 * gone (no matter how many there were) and, on the virtual clock, no time
 * passes unless a driver really holds an IRP. The IRPs waited for are the
 * waiting thread's own, whose stage 2 runs in that thread (as a kernel
 * APC delivered during the wait, or at once), so the event is the
 * thread's own and is set from the thread itself. The one removal made by
 * another thread, IoReuseIrp on a threaded IRP after its verifier report,
 * is seen when the wait's limit is reached.
 */
#include "iop.h"
#include "../trace/tracep.h"

#include <stdlib.h>

/* The one system-wide cancel spin lock. */
KSPIN_LOCK IopCancelSpinLock;

/* How long a cancelled IRP is waited for before it is disassociated:
   Windows' 3000 polls of 100 ms at thread exit (about five minutes). The
   interval only scales the limit; nothing polls. */
static volatile LONGLONG IopThreadIoPollInterval = 1000000;
static volatile ULONG IopThreadIoRetries = 3000;

VOID IopSetThreadIoCancelLimits(LONGLONG PollInterval, ULONG Retries)
{
    PAL_ATOMIC_STORE(&IopThreadIoPollInterval, PollInterval > 0 ? PollInterval : 1, PAL_ORDER_SEQ_CST);
    PAL_ATOMIC_STORE(&IopThreadIoRetries, Retries, PAL_ORDER_SEQ_CST);
}

ULONGLONG IopCancelWaitDeadline(VOID)
{
    ULONGLONG Limit = (ULONGLONG)PAL_ATOMIC_LOAD(&IopThreadIoPollInterval, PAL_ORDER_SEQ_CST) *
                      PAL_ATOMIC_LOAD(&IopThreadIoRetries, PAL_ORDER_SEQ_CST);
    return KeQueryInterruptTime() + Limit;
}

/* ---- waiting for IRPs to leave the calling thread's list ---- */

/* The calling thread's event, set when one of its IRPs leaves its list
   while IopRemovalWaiting is TRUE (between IopBeginThreadIrpWait and
   IopEndThreadIrpWait). */
static IRPSIM_THREAD_LOCAL KEVENT IopRemovalEvent;
static IRPSIM_THREAD_LOCAL BOOLEAN IopRemovalWaiting;

VOID IopThreadIrpRemoved(PKTHREAD Thread)
{
    if (IopRemovalWaiting && Thread == KiGetCurrentThreadIfAny())
        KeSetEvent(&IopRemovalEvent, IO_NO_INCREMENT, FALSE);
}

VOID IopBeginThreadIrpWait(VOID)
{
    KeInitializeEvent(&IopRemovalEvent, SynchronizationEvent, FALSE);
    IopRemovalWaiting = TRUE;
}

NTSTATUS IopWaitForThreadIrpRemoval(ULONGLONG Deadline)
{
    ULONGLONG Now = KeQueryInterruptTime();
    LARGE_INTEGER Timeout;
    if (Now >= Deadline)
        return STATUS_TIMEOUT;
    Timeout.QuadPart = -(LONGLONG)(Deadline - Now);
    return KeWaitForSingleObject(&IopRemovalEvent, Executive, KernelMode, FALSE, &Timeout);
}

VOID IopEndThreadIrpWait(VOID)
{
    IopRemovalWaiting = FALSE;
}

VOID NTAPI IoAcquireCancelSpinLock(PKIRQL Irql)
{
    KeAcquireSpinLock(&IopCancelSpinLock, Irql);
}

VOID NTAPI IoReleaseCancelSpinLock(KIRQL Irql)
{
    KeReleaseSpinLock(&IopCancelSpinLock, Irql);
}

PDRIVER_CANCEL NTAPI IoSetCancelRoutine(PIRP Irp, PDRIVER_CANCEL CancelRoutine)
{
    PVOID Caller = PAL_RETURN_ADDRESS();
    PDRIVER_OBJECT Driver = KiCurrentDriver();
    PDRIVER_CANCEL Previous;
    PVF_IRP_ENTRY Entry;
    BOOLEAN Freed;

    Entry = VfIrpLockEntry(Irp);
    Freed = Entry != NULL && Entry->State == VfIrpFreed;
    if (Entry != NULL && !Freed)
        Entry->CancelDriver = CancelRoutine != NULL ? Driver : NULL;
    VfIrpUnlock();
    if (Freed)
        IopCheckIrpNotFreed(Irp, "IoSetCancelRoutine", IOP_PAGE_FAULT_IN_FREED_SPECIAL_POOL, (ULONG_PTR)Irp, 1,
                            (ULONG_PTR)Caller, 0);
    /* The exchange is the arbiter between the driver and IoCancelIrp. */
    IRPSIM_SCHED_POINT(KI_SCHED_POINT_INTERLOCKED, &Irp->CancelRoutine);
    Previous = PAL_ATOMIC_EXCHANGE(&Irp->CancelRoutine, CancelRoutine, PAL_ORDER_SEQ_CST);
    TRACE_EVENT(IrpSimTraceIrpCancelRoutineSet, Irp, CancelRoutine, Previous, 0);
    return Previous;
}

BOOLEAN NTAPI IoCancelIrp(PIRP Irp)
{
    PVOID Caller = PAL_RETURN_ADDRESS();
    PKTHREAD Thread = KiGetCurrentThread();
    PDEVICE_OBJECT Device = NULL;
    PDRIVER_OBJECT Driver;
    PDRIVER_OBJECT Saved;
    PDRIVER_CANCEL Routine;
    PVF_IRP_ENTRY Locked;
    VF_IRP_ENTRY Entry;
    KIRQL OldIrql;
    ULONG LocksBefore;

    VfCheckIrql("IoCancelIrp", DISPATCH_LEVEL);
    IRPSIM_SCHED_POINT(KI_SCHED_POINT_IO, Irp);
    /* The lock-free look first: a cancel storm makes this call a million times. */
    if (VfIrpIsFreed(Irp) && VfIrpQuery(Irp, &Entry) && Entry.State == VfIrpFreed) {
        /* Completed with its cancel routine still set, then freed: what
           Windows reports when IoCancelIrp finds that routine (5.1). */
        if (Entry.CompletedWithCancelRoutine != NULL)
            VfBugCheck(CANCEL_STATE_IN_COMPLETED_IRP, (ULONG_PTR)Irp, (ULONG_PTR)Entry.CompletedWithCancelRoutine,
                       0, 0, Irp, NULL, NULL);
        IopCheckIrpNotFreed(Irp, "IoCancelIrp", IOP_PAGE_FAULT_IN_FREED_SPECIAL_POOL, (ULONG_PTR)Irp, 1,
                            (ULONG_PTR)Caller, 0);
    }

    LocksBefore = KiHeldSpinLockCount(Thread);
    IoAcquireCancelSpinLock(&OldIrql);
    PAL_ATOMIC_STORE(&Irp->Cancel, TRUE, PAL_ORDER_SEQ_CST);
    IRPSIM_SCHED_POINT(KI_SCHED_POINT_INTERLOCKED, &Irp->CancelRoutine);
    Routine = PAL_ATOMIC_EXCHANGE(&Irp->CancelRoutine, NULL, PAL_ORDER_SEQ_CST);
    TRACE_EVENT(IrpSimTraceIrpCancelRequested, Irp, Routine, 0, 0);
    if (Routine == NULL) {
        IoReleaseCancelSpinLock(OldIrql);
        return FALSE;
    }
    /* We own the routine now, so nobody else is moving the IRP. */
    if (Irp->CurrentLocation > Irp->StackCount + 1) {
        IoReleaseCancelSpinLock(OldIrql);
        VfBugCheck(CANCEL_STATE_IN_COMPLETED_IRP, (ULONG_PTR)Irp, (ULONG_PTR)Routine, 0, 0, Irp, NULL, NULL);
    }
    Irp->CancelIrql = OldIrql;
    /* The current location's device; an originator holding its own fresh
       IRP has no current location (CurrentLocation == StackCount + 1). */
    if (Irp->CurrentLocation >= 1 && Irp->CurrentLocation <= Irp->StackCount)
        Device = Irp->Tail.Overlay.CurrentStackLocation->DeviceObject;
    Driver = Device != NULL ? Device->DriverObject : Thread->CurrentDriver;
    Locked = VfIrpLockEntry(Irp);
    if (Locked != NULL && Locked->CancelDriver != NULL)
        Driver = Locked->CancelDriver;
    VfIrpUnlock();

    TRACE_EVENT(IrpSimTraceIrpCancelRoutineRun, Irp, Routine, Device, 0);
    Saved = KiEnterDriver(Thread, Driver);
    Routine(Device, Irp);
    KiLeaveDriver(Thread, Saved);
    /* The IRP may be gone now: only the thread's own state is looked at. */
    if (KiThreadHoldsSpinLock(Thread, &IopCancelSpinLock))
        VfBugCheck(DRIVER_RETURNED_HOLDING_CANCEL_LOCK, (ULONG_PTR)Irp, (ULONG_PTR)Routine, 0, 0, Irp, NULL, NULL);
    /* Back at the IRQL IoCancelIrp was called at (IoReleaseCancelSpinLock
       with Irp->CancelIrql), holding no other lock (verifier); reported as
       the cancel routine's driver's doing. */
    Saved = KiEnterDriver(Thread, Driver);
    if (KiHeldSpinLockCount(Thread) > LocksBefore)
        VfReport(DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_CANCEL_HOLDS_LOCK, (ULONG_PTR)Routine,
                 (ULONG_PTR)Thread->HeldLocks[KiHeldSpinLockCount(Thread) - 1].Lock, (ULONG_PTR)Irp, NULL, NULL, NULL);
    if (Thread->Irql != OldIrql)
        VfReport(DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_CANCEL_IRQL, (ULONG_PTR)Routine, OldIrql, Thread->Irql,
                 NULL, NULL, NULL);
    KiLeaveDriver(Thread, Saved);
    return TRUE;
}

/* Disassociation (5.5): Irp (IrpListLock held, Entry its locked state
   entry, walk not finished) leaves its thread's list and loses its Thread;
   it stays with its driver, and its completion will free it without
   reporting to anyone. Returns the device it is at. */
static PDEVICE_OBJECT IopDetachIrpLocked(PIRP Irp, PVF_IRP_ENTRY Entry)
{
    PDEVICE_OBJECT Device = NULL;
    /* Under the state lock: the end of the walk reads Thread there. */
    Irp->Tail.Overlay.Thread = NULL;
    if (Entry != NULL) {
        Entry->Disassociated = TRUE;
        Device = Entry->Device;
    }
    RemoveEntryList(&Irp->ThreadListEntry);
    InitializeListHead(&Irp->ThreadListEntry);
    return Device;
}

/* Windows writes an IO_DRIVER_CANCEL_TIMEOUT error-log entry naming the
   device; irpsim puts the note in the trace. */
static VOID IopNoteCancelTimeout(PIRP Irp, PDEVICE_OBJECT Device, PKTHREAD Tcb, PCSTR Text)
{
    TRACE_TEXT(IrpSimTraceNote, Irp, Device, Tcb, Text);
}

/* Detaches the first IRP of Thread's list whose walk has not finished. */
static VOID IopDisassociateFirstThreadIrp(PKTHREAD Tcb)
{
    PIRP Found = NULL;
    PDEVICE_OBJECT Device = NULL;

    PalMutexLock(&Tcb->IrpListLock);
    for (PLIST_ENTRY Link = Tcb->IrpList.Flink; Link != &Tcb->IrpList; Link = Link->Flink) {
        PIRP Irp = CONTAINING_RECORD(Link, IRP, ThreadListEntry);
        PVF_IRP_ENTRY Entry = VfIrpLockEntry(Irp);
        BOOLEAN Finished = Entry != NULL && Entry->WalkFinished;
        if (!Finished) {
            Device = IopDetachIrpLocked(Irp, Entry);
            Found = Irp;
        }
        VfIrpUnlock();
        if (Found != NULL)
            break;
    }
    PalMutexUnlock(&Tcb->IrpListLock);
    if (Found != NULL)
        IopNoteCancelTimeout(Found, Device, Tcb,
                             "IO_DRIVER_CANCEL_TIMEOUT: IRP not completed after cancel; disassociated from its "
                             "exiting thread");
}

/* TRUE if Irp is still the IRP allocated as number Serial and is on a
   thread's list, which is the one it was queued to (Tcb's IrpListLock
   held). Its state entry is locked on return (VfIrpUnlock) when Entry is
   given. */
static BOOLEAN IopIrpOnListLocked(PIRP Irp, ULONGLONG Serial, PVF_IRP_ENTRY *Entry)
{
    PVF_IRP_ENTRY Found = VfIrpLockEntry(Irp);
    BOOLEAN OnList = Found != NULL && Found->Serial == Serial && Found->State != VfIrpFreed && !Found->Disassociated &&
                     !IsListEmpty(&Irp->ThreadListEntry);
    if (Entry != NULL)
        *Entry = Found;
    else
        VfIrpUnlock();
    return OnList;
}

BOOLEAN IopThreadIrpPending(PKTHREAD Tcb, PIRP Irp, ULONGLONG Serial)
{
    ULONGLONG Current;
    VF_IRP_STATE State;
    BOOLEAN OnList;
    /* Freed, or its address reused, is gone for sure: no lock needed. A
       lock-free answer that it is alive is confirmed under the locks. */
    if (!VfIrpPeek(Irp, &Current, &State) || Current != Serial || State == VfIrpFreed)
        return FALSE;
    PalMutexLock(&Tcb->IrpListLock);
    OnList = IopIrpOnListLocked(Irp, Serial, NULL);
    PalMutexUnlock(&Tcb->IrpListLock);
    return OnList;
}

BOOLEAN IopDisassociateThreadIrp(PKTHREAD Tcb, PIRP Irp, ULONGLONG Serial)
{
    PDEVICE_OBJECT Device = NULL;
    PVF_IRP_ENTRY Entry;
    BOOLEAN Detach;

    PalMutexLock(&Tcb->IrpListLock);
    /* Tail.Overlay.Thread is only read while the walk has not finished
       (afterwards the completion APC lives there). */
    Detach = IopIrpOnListLocked(Irp, Serial, &Entry) && !Entry->WalkFinished;
    if (Detach)
        Device = IopDetachIrpLocked(Irp, Entry);
    VfIrpUnlock();
    PalMutexUnlock(&Tcb->IrpListLock);
    if (Detach)
        IopNoteCancelTimeout(Irp, Device, Tcb,
                             "IO_DRIVER_CANCEL_TIMEOUT: IRP not completed after CancelIo; disassociated from its "
                             "thread");
    return Detach;
}

VOID NTAPI IoCancelThreadIo(PETHREAD Thread)
{
    PKTHREAD Tcb = KiThreadFromEThread(Thread);
    PIRP *Irps = NULL;
    ULONGLONG Deadline;
    ULONG Count = 0;
    KIRQL OldIrql;

    if (Tcb != KiGetCurrentThread())
        VfBugCheck(IRPSIM_INVALID_USE, (ULONG_PTR) "IoCancelThreadIo must run on the exiting thread", (ULONG_PTR)Thread,
                   0, 0, NULL,
                   "IoCancelThreadIo was called for a thread other than the calling one. Thread exit runs it on "
                   "the exiting thread itself, which is what keeps that thread's IRP list stable.",
                   "Call it only from the thread-exit path of the thread whose I/O is cancelled.");

    /* At APC_LEVEL the completion APCs cannot run, so nothing leaves the
       list while it is walked. */
    KeRaiseIrql(APC_LEVEL, &OldIrql);
    PalMutexLock(&Tcb->IrpListLock);
    for (PLIST_ENTRY Link = Tcb->IrpList.Flink; Link != &Tcb->IrpList; Link = Link->Flink)
        Count++;
    if (Count != 0)
        Irps = (PIRP *)malloc(Count * sizeof(PIRP));
    if (Irps != NULL) {
        ULONG i = 0;
        for (PLIST_ENTRY Link = Tcb->IrpList.Flink; Link != &Tcb->IrpList; Link = Link->Flink)
            Irps[i++] = CONTAINING_RECORD(Link, IRP, ThreadListEntry);
    }
    PalMutexUnlock(&Tcb->IrpListLock);
    if (Irps != NULL) {
        for (ULONG i = 0; i < Count; i++)
            (void)IoCancelIrp(Irps[i]);
        free(Irps);
    }
    /* Lowering the IRQL lets the completion APCs run; each IRP that
       leaves the list ends the wait below, which then looks again. */
    KeLowerIrql(OldIrql);

    IopBeginThreadIrpWait();
    Deadline = IopCancelWaitDeadline();
    while (IopThreadHasIrps(Thread)) {
        if (IopWaitForThreadIrpRemoval(Deadline) != STATUS_TIMEOUT)
            continue;
        KeRaiseIrql(APC_LEVEL, &OldIrql);
        IopDisassociateFirstThreadIrp(Tcb);
        KeLowerIrql(OldIrql);
        Deadline = IopCancelWaitDeadline(); /* the next IRP gets the full time again */
    }
    IopEndThreadIrpWait();
}
