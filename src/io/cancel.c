/*
 * irpsim — cancellation basics (SEMANTICS.md 5.1, 5.2, 5.5): IoCancelIrp,
 * IoSetCancelRoutine, the cancel spin lock, and thread-exit cancellation.
 */
#include "iop.h"
#include "../trace/tracep.h"

#include <stdlib.h>

/* The one system-wide cancel spin lock. */
KSPIN_LOCK IopCancelSpinLock;

/* IoCancelThreadIo: poll every 100 ms (relative, 100 ns units), give up on
   an IRP after 3000 polls (about five minutes), as Windows does. */
static volatile LONGLONG IopThreadIoPollInterval = 1000000;
static volatile ULONG IopThreadIoRetries = 3000;

VOID IopSetThreadIoCancelLimits(LONGLONG PollInterval, ULONG Retries)
{
    __atomic_store_n(&IopThreadIoPollInterval, PollInterval > 0 ? PollInterval : 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&IopThreadIoRetries, Retries, __ATOMIC_SEQ_CST);
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
    PVOID Caller = __builtin_return_address(0);
    PDRIVER_OBJECT Driver = KiCurrentDriver();
    PDRIVER_CANCEL Previous;
    PVF_IRP_ENTRY Entry;
    BOOLEAN Freed;

    Entry = VfIrpLockEntry(Irp);
    Freed = Entry != NULL && Entry->State == VfIrpFreed;
    if (Entry != NULL && !Freed && CancelRoutine != NULL)
        Entry->CancelDriver = Driver;
    VfIrpUnlock();
    if (Freed)
        IopCheckIrpNotFreed(Irp, "IoSetCancelRoutine", IOP_PAGE_FAULT_IN_FREED_SPECIAL_POOL, (ULONG_PTR)Irp, 1,
                            (ULONG_PTR)Caller, 0);
    /* The exchange is the arbiter between the driver and IoCancelIrp. */
    IRPSIM_SCHED_POINT(KI_SCHED_POINT_INTERLOCKED, &Irp->CancelRoutine);
    Previous = __atomic_exchange_n(&Irp->CancelRoutine, CancelRoutine, __ATOMIC_SEQ_CST);
    TRACE_EVENT(IrpSimTraceIrpCancelRoutineSet, Irp, CancelRoutine, Previous, 0);
    return Previous;
}

BOOLEAN NTAPI IoCancelIrp(PIRP Irp)
{
    PVOID Caller = __builtin_return_address(0);
    PKTHREAD Thread = KiGetCurrentThread();
    PDEVICE_OBJECT Device = NULL;
    PDRIVER_OBJECT Driver;
    PDRIVER_OBJECT Saved;
    PDRIVER_CANCEL Routine;
    VF_IRP_ENTRY Entry;
    KIRQL OldIrql;
    ULONG LocksBefore;

    VfCheckIrql("IoCancelIrp", DISPATCH_LEVEL);
    IRPSIM_SCHED_POINT(KI_SCHED_POINT_IO, Irp);
    if (VfIrpQuery(Irp, &Entry) && Entry.State == VfIrpFreed) {
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
    __atomic_store_n(&Irp->Cancel, TRUE, __ATOMIC_SEQ_CST);
    IRPSIM_SCHED_POINT(KI_SCHED_POINT_INTERLOCKED, &Irp->CancelRoutine);
    Routine = __atomic_exchange_n(&Irp->CancelRoutine, NULL, __ATOMIC_SEQ_CST);
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
    if (VfIrpQuery(Irp, &Entry) && Entry.CancelDriver != NULL)
        Driver = Entry.CancelDriver;

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

/* Detaches the first IRP of Thread's list whose walk has not finished
   (5.5): it stays with its driver, and its completion will free it without
   reporting to anyone. */
static VOID IopDisassociateThreadIrp(PKTHREAD Tcb)
{
    PIRP Found = NULL;
    PDEVICE_OBJECT Device = NULL;

    PalMutexLock(&Tcb->IrpListLock);
    for (PLIST_ENTRY Link = Tcb->IrpList.Flink; Link != &Tcb->IrpList; Link = Link->Flink) {
        PIRP Irp = CONTAINING_RECORD(Link, IRP, ThreadListEntry);
        PVF_IRP_ENTRY Entry = VfIrpLockEntry(Irp);
        BOOLEAN Finished = Entry != NULL && Entry->WalkFinished;
        if (!Finished) {
            /* Under the state lock: the end of the walk reads Thread there. */
            Irp->Tail.Overlay.Thread = NULL;
            if (Entry != NULL) {
                Entry->Disassociated = TRUE;
                Device = Entry->Device;
            }
        }
        VfIrpUnlock();
        if (!Finished) {
            RemoveEntryList(&Irp->ThreadListEntry);
            InitializeListHead(&Irp->ThreadListEntry);
            Found = Irp;
            break;
        }
    }
    PalMutexUnlock(&Tcb->IrpListLock);

    /* Windows writes an IO_DRIVER_CANCEL_TIMEOUT error-log entry here. */
    if (Found != NULL)
        TRACE_TEXT(IrpSimTraceNote, Found, Device, Tcb,
                   "IO_DRIVER_CANCEL_TIMEOUT: IRP not completed after cancel; disassociated from its exiting thread");
}

VOID NTAPI IoCancelThreadIo(PETHREAD Thread)
{
    PKTHREAD Tcb = KiThreadFromEThread(Thread);
    LARGE_INTEGER Interval;
    PIRP *Irps = NULL;
    ULONG Count = 0;
    ULONG Polls = 0;
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

    Interval.QuadPart = -__atomic_load_n(&IopThreadIoPollInterval, __ATOMIC_SEQ_CST);
    while (IopThreadHasIrps(Thread)) {
        /* Lowering the IRQL lets the completion APCs run. */
        KeLowerIrql(OldIrql);
        (void)KeDelayExecutionThread(KernelMode, FALSE, &Interval);
        KeRaiseIrql(APC_LEVEL, &OldIrql);
        if (++Polls > __atomic_load_n(&IopThreadIoRetries, __ATOMIC_SEQ_CST)) {
            IopDisassociateThreadIrp(Tcb);
            Polls = 0;
        }
    }
    KeLowerIrql(OldIrql);
}
