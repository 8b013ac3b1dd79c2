/*
 * irpsim — deferred procedure calls (SEMANTICS 9.6).
 *
 * A DPC queues on its target processor (KeSetTargetProcessorDpc) or on the
 * processor of the thread that queues it (a timer's DPC: the processor the
 * timer was set on), at the head for HighImportance and at the tail
 * otherwise. The processor thread removes DPCs one at a time, clears
 * DpcData before calling the routine (so the routine may queue its own DPC
 * again) and runs it at DISPATCH_LEVEL with KTHREAD.InDpc set, charged to
 * the driver that initialised the KDPC.
 *
 * After the routine returns irpsim checks what Windows checks or would
 * trip over: the IRQL must be DISPATCH_LEVEL again (0x9
 * IRQL_NOT_GREATER_OR_EQUAL, P1 routine, P2 IRQL, P3 DISPATCH_LEVEL), the
 * routine must not return holding a spin lock it acquired (0xC4/0x1502,
 * irpsim's code) and must not change the APC-disable count (0xC7
 * TIMER_OR_DPC_INVALID P1 4, P2 routine, P3 count before, P4 after).
 *
 * Threaded DPCs (KeInitializeThreadedDpc) run like ordinary DPCs, at
 * DISPATCH_LEVEL — which Windows also does when threaded DPCs are disabled,
 * so a correct threaded DPC routine works either way.
 * Low and medium-high importance queue at the tail like medium importance;
 * irpsim runs every queued DPC promptly, so importance only decides order.
 */
#include "ki.h"
#include "except.h"
#include "../verifier/vf.h"
#include "../trace/tracep.h"

/* The driver whose DPC routine each processor is running (dispatcher
   lock), so an unloading driver's running DPCs can be counted. */
static PDRIVER_OBJECT KipRunningDpcOwner[MAXIMUM_PROCESSORS];

static const CHAR KipDpcRule[] =
    "A KDPC was used that was never initialised with KeInitializeDpc (or the memory is not a KDPC: freed, copied "
    "by value, or another kind of object).";

static VOID KipCheckDpc(PKDPC Dpc)
{
    if (Dpc != NULL && Dpc->IrpSimCookie == KI_OBJECT_COOKIE(Dpc) &&
        (Dpc->Type == DpcObject || Dpc->Type == ThreadedDpcObject))
        return;
    VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KI_VF_UNINITIALIZED, (ULONG_PTR)Dpc, Dpc != NULL ? Dpc->Type : 0,
               Dpc != NULL ? Dpc->IrpSimCookie : 0, NULL, KipDpcRule,
               "Call KeInitializeDpc (IoInitializeDpcRequest for a device's DPC) before queueing the DPC or giving it "
               "to KeSetTimer(Ex).");
}

static BOOLEAN KipDpcQueuedLocked(PKDPC Dpc)
{
    for (ULONG i = 0; i < MAXIMUM_PROCESSORS; i++) {
        if (Dpc->DpcData == (PVOID)&KiProcessorBlock[i])
            return TRUE;
    }
    return FALSE;
}

static VOID KipInitializeDpc(PRKDPC Dpc, UCHAR Type, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)
{
    if (Dpc->IrpSimCookie == KI_OBJECT_COOKIE(Dpc)) {
        BOOLEAN Queued;
        KiAcquireDispatcherLock();
        Queued = KipDpcQueuedLocked(Dpc);
        KiReleaseDispatcherLock();
        if (Queued)
            VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KI_VF_DPC_REINITIALIZED, (ULONG_PTR)Dpc, 0, 0, NULL,
                       "KeInitializeDpc was called on a DPC that is queued. On Windows this corrupts the processor's "
                       "DPC queue.",
                       "Initialise a DPC once; before re-initialising or freeing it, KeRemoveQueueDpc or "
                       "KeFlushQueuedDpcs.");
    }
    Dpc->Type = Type;
    Dpc->Importance = MediumImportance;
    Dpc->Number = 0;
    Dpc->DpcListEntry.Flink = NULL;
    Dpc->DpcListEntry.Blink = NULL;
    Dpc->DeferredRoutine = DeferredRoutine;
    Dpc->DeferredContext = DeferredContext;
    Dpc->SystemArgument1 = NULL;
    Dpc->SystemArgument2 = NULL;
    Dpc->DpcData = NULL;
    Dpc->IrpSimOwner = KiCurrentDriver();
    Dpc->IrpSimTargetSet = FALSE;
    Dpc->IrpSimCookie = KI_OBJECT_COOKIE(Dpc);
}

VOID NTAPI KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)
{
    KipInitializeDpc(Dpc, DpcObject, DeferredRoutine, DeferredContext);
}

VOID NTAPI KeInitializeThreadedDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)
{
    KipInitializeDpc(Dpc, ThreadedDpcObject, DeferredRoutine, DeferredContext);
}

BOOLEAN KiInsertQueueDpcLocked(PKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2, ULONG DefaultProcessor)
{
    ULONG Count = KeNumberProcessors_ != 0 ? KeNumberProcessors_ : 1;
    ULONG Number;
    PKI_PROCESSOR Prcb;

    if (Dpc->DpcData != NULL)
        return FALSE; /* already queued: the earlier arguments stay */
    Number = Dpc->IrpSimTargetSet ? Dpc->Number : DefaultProcessor;
    Prcb = &KiProcessorBlock[Number % Count];
    Dpc->SystemArgument1 = SystemArgument1;
    Dpc->SystemArgument2 = SystemArgument2;
    Dpc->DpcData = Prcb;
    if (Dpc->Importance == HighImportance)
        InsertHeadList(&Prcb->DpcListHead, &Dpc->DpcListEntry);
    else
        InsertTailList(&Prcb->DpcListHead, &Dpc->DpcListEntry);
    Prcb->DpcQueueDepth++;
    /* The verifier's index of queued DPCs (freed pool, unload). */
    VfActiveInsert(Dpc, VfActiveDpc, (PDRIVER_OBJECT)Dpc->IrpSimOwner, Dpc, (PVOID)Dpc->DeferredRoutine);
    KiSchedDpcActivityLocked(1);
    KiSchedWake(&Prcb->Condition);
    TRACE_EVENT(IrpSimTraceDpcQueued, Dpc, Prcb->Number, TRUE, 0);
    return TRUE;
}

BOOLEAN NTAPI KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PKTHREAD Thread = KiGetCurrentThread();
    BOOLEAN Inserted;

    KipCheckDpc(Dpc);
    if (!KiIsSystemRunning())
        VfBugCheck(IRPSIM_INVALID_USE, (ULONG_PTR) "KeInsertQueueDpc called while the simulated machine is not running",
                   0, 0, 0, NULL, NULL, NULL);
    IRPSIM_SCHED_POINT(KI_SCHED_POINT_DISPATCHER, Dpc);
    KiAcquireDispatcherLock();
    Inserted = KiInsertQueueDpcLocked(Dpc, SystemArgument1, SystemArgument2, Thread->Processor);
    KiReleaseDispatcherLock();
    if (!Inserted)
        TRACE_EVENT(IrpSimTraceDpcQueued, Dpc, Thread->Processor, FALSE, 0);
    return Inserted;
}

BOOLEAN NTAPI KeRemoveQueueDpc(PRKDPC Dpc)
{
    BOOLEAN Removed = FALSE;
    ULONG Processor = 0;
    KipCheckDpc(Dpc);
    KiAcquireDispatcherLock();
    if (Dpc->DpcData != NULL) {
        PKI_PROCESSOR Prcb = (PKI_PROCESSOR)Dpc->DpcData;
        RemoveEntryList(&Dpc->DpcListEntry);
        Dpc->DpcData = NULL;
        VfActiveRemove(Dpc);
        Prcb->DpcQueueDepth--;
        KiSchedDpcActivityLocked(-1);
        Processor = Prcb->Number;
        Removed = TRUE;
    }
    KiReleaseDispatcherLock();
    TRACE_EVENT(IrpSimTraceDpcRemoved, Dpc, Removed, Processor, 0);
    return Removed;
}

VOID NTAPI KeSetImportanceDpc(PRKDPC Dpc, KDPC_IMPORTANCE Importance)
{
    KipCheckDpc(Dpc);
    Dpc->Importance = (UCHAR)Importance;
}

VOID NTAPI KeSetTargetProcessorDpc(PRKDPC Dpc, CCHAR Number)
{
    ULONG Processor = (UCHAR)Number;
    KipCheckDpc(Dpc);
    if (Processor >= KeNumberProcessors_)
        VfBugCheck(TIMER_OR_DPC_INVALID, 3, (ULONG_PTR)Dpc, Processor, KeNumberProcessors_, NULL,
                   "KeSetTargetProcessorDpc was given a processor number that does not exist on this machine.",
                   "Target only processors below KeQueryActiveProcessorCount(NULL).");
    Dpc->Number = (USHORT)Processor;
    Dpc->IrpSimTargetSet = TRUE;
}

NTSTATUS NTAPI KeSetTargetProcessorDpcEx(PKDPC Dpc, PPROCESSOR_NUMBER ProcNumber)
{
    KipCheckDpc(Dpc);
    if (ProcNumber == NULL || ProcNumber->Group != 0 || ProcNumber->Number >= KeNumberProcessors_ ||
        ProcNumber->Reserved != 0)
        return STATUS_INVALID_PARAMETER;
    Dpc->Number = ProcNumber->Number;
    Dpc->IrpSimTargetSet = TRUE;
    return STATUS_SUCCESS;
}

BOOLEAN NTAPI KeIsExecutingDpc(VOID)
{
    return KiGetCurrentThread()->InDpc;
}

/* ---- running DPCs (on the processor threads) ---- */

static VOID KipExecuteDpc(PKTHREAD Thread, PKDPC Dpc, PKDEFERRED_ROUTINE Routine, PVOID Context, PVOID Argument1,
                          PVOID Argument2, PDRIVER_OBJECT Owner)
{
    SHORT ApcDisableBefore = Thread->KernelApcDisable;
    ULONG LocksBefore = Thread->HeldLockCount;
    PDRIVER_OBJECT Saved;

    Thread->Irql = DISPATCH_LEVEL;
    Thread->InDpc = TRUE;
    Saved = KiEnterDriver(Thread, Owner);
    TRACE_EVENT(IrpSimTraceDpcRun, Dpc, Routine, Thread->Processor, 0);
    Routine(Dpc, Context, Argument1, Argument2);

    /* Checked while still "inside" the DPC, so a report names its driver. */
    if (Thread->Irql != DISPATCH_LEVEL)
        VfBugCheck(IRQL_NOT_GREATER_OR_EQUAL, (ULONG_PTR)Routine, Thread->Irql, DISPATCH_LEVEL, 0, NULL,
                   "A DPC routine returned at an IRQL other than DISPATCH_LEVEL (it raised the IRQL and did not "
                   "restore it).",
                   "Pair every KeRaiseIrql / KeAcquireSpinLock in the DPC routine with the matching lower / release "
                   "before it returns.");
    if (Thread->HeldLockCount > LocksBefore)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KI_VF_DPC_RETURNED_HOLDING_LOCK, (ULONG_PTR)Routine,
                   (ULONG_PTR)Thread->HeldLocks[Thread->HeldLockCount - 1].Lock, 0, NULL,
                   "A DPC routine returned still holding a spin lock it acquired. Every other user of the lock "
                   "now spins forever.",
                   "Release (KeReleaseSpinLockFromDpcLevel) every spin lock the routine acquired before it returns, "
                   "on every path.");
    if (Thread->KernelApcDisable != ApcDisableBefore)
        VfBugCheck(TIMER_OR_DPC_INVALID, 4, (ULONG_PTR)Routine, (ULONG_PTR)(LONG_PTR)ApcDisableBefore,
                   (ULONG_PTR)(LONG_PTR)Thread->KernelApcDisable, NULL,
                   "A DPC routine changed the thread's APC-disable count (it entered a critical region, or acquired "
                   "a mutex, without leaving it).",
                   "DPC routines must not enter critical regions or acquire mutexes; balance every enter/leave.");
    KiLeaveDriver(Thread, Saved);
    Thread->InDpc = FALSE;
}

BOOLEAN KiRunDpcQueue(PKI_PROCESSOR Prcb)
{
    PKTHREAD Thread = Prcb->Thread;
    KiAcquireDispatcherLock();
    for (;;) {
        PKDPC Dpc;
        PKDEFERRED_ROUTINE Routine;
        PVOID Context, Argument1, Argument2;
        PDRIVER_OBJECT Owner;

        if (Prcb->Stop)
            break;
        if (IsListEmpty(&Prcb->DpcListHead)) {
            KiSchedBlock(&Prcb->Condition, 0);
            continue;
        }
        Dpc = CONTAINING_RECORD(RemoveHeadList(&Prcb->DpcListHead), KDPC, DpcListEntry);
        Prcb->DpcQueueDepth--;
        Prcb->DpcRunning = TRUE; /* still counted as DPC activity until it returns */
        Routine = Dpc->DeferredRoutine;
        Context = Dpc->DeferredContext;
        Argument1 = Dpc->SystemArgument1;
        Argument2 = Dpc->SystemArgument2;
        Owner = (PDRIVER_OBJECT)Dpc->IrpSimOwner;
        Dpc->DpcData = NULL; /* before the routine runs: it may queue itself again */
        VfActiveRemove(Dpc);
        KipRunningDpcOwner[Prcb->Number % MAXIMUM_PROCESSORS] = Owner;
        KiReleaseDispatcherLock();

        KipExecuteDpc(Thread, Dpc, Routine, Context, Argument1, Argument2, Owner);

        KiAcquireDispatcherLock();
        KipRunningDpcOwner[Prcb->Number % MAXIMUM_PROCESSORS] = NULL;
        Prcb->DpcRunning = FALSE;
        KiSchedDpcActivityLocked(-1);
    }
    KiReleaseDispatcherLock();
    return FALSE;
}

VOID KiDpcCrashed(PKI_PROCESSOR Prcb)
{
    PKTHREAD Thread = Prcb->Thread;
    KiAcquireDispatcherLock();
    if (Prcb->DpcRunning) {
        Prcb->DpcRunning = FALSE;
        KiSchedDpcActivityLocked(-1);
    }
    KipRunningDpcOwner[Prcb->Number % MAXIMUM_PROCESSORS] = NULL;
    KiReleaseDispatcherLock();
    KiResetExceptionFrames(NULL); /* the routine's __try frames were jumped over */
    KiReleaseHeldSpinLocks(Thread);
    Thread->Irql = DISPATCH_LEVEL;
    Thread->InDpc = FALSE;
    Thread->KernelApcDisable = 0;
    Thread->SpecialApcDisable = 0;
    Thread->CurrentDriver = NULL;
}

ULONG KiCountRunningDpcs(PDRIVER_OBJECT Driver)
{
    ULONG Count = 0;
    KiAcquireDispatcherLock();
    for (ULONG i = 0; i < MAXIMUM_PROCESSORS; i++) {
        if (KipRunningDpcOwner[i] != NULL && KipRunningDpcOwner[i] == Driver)
            Count++;
    }
    KiReleaseDispatcherLock();
    return Count;
}

/* ---- KeFlushQueuedDpcs ---- */

typedef struct _KIP_FLUSH {
    KEVENT Done;
    volatile LONG Remaining;
} KIP_FLUSH;

static VOID NTAPI KipFlushMarker(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    KIP_FLUSH *Flush = (KIP_FLUSH *)Context;
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Argument1);
    UNREFERENCED_PARAMETER(Argument2);
    if (PAL_ATOMIC_SUB_FETCH(&Flush->Remaining, 1, PAL_ORDER_ACQ_REL) == 0)
        KeSetEvent(&Flush->Done, 0, FALSE);
}

VOID NTAPI KeFlushQueuedDpcs(VOID)
{
    /* A marker DPC at the tail of every processor's queue: when all of them
       have run, so has every DPC queued before the call. */
    PKTHREAD Thread = KiGetCurrentThread();
    KDPC Markers[MAXIMUM_PROCESSORS];
    KIP_FLUSH Flush;
    ULONG Count = KeNumberProcessors_;

    if (Thread->InDpc)
        VfBugCheck(ATTEMPTED_SWITCH_FROM_DPC, 0, 0, 0, 0, NULL,
                   "KeFlushQueuedDpcs was called from a DPC routine; it waits for DPCs and may only be called at "
                   "PASSIVE_LEVEL.",
                   "Flush DPCs from your unload or cleanup path at PASSIVE_LEVEL.");
    if (Thread->Irql != PASSIVE_LEVEL)
        VfBugCheck(IRQL_NOT_LESS_OR_EQUAL, 0, Thread->Irql, 0, (ULONG_PTR)KeFlushQueuedDpcs, NULL,
                   "KeFlushQueuedDpcs was called above PASSIVE_LEVEL; it waits for DPCs to run.",
                   "Call KeFlushQueuedDpcs at PASSIVE_LEVEL (for example in DriverUnload), not with a spin lock held.");
    if (!KiIsSystemRunning())
        return;
    memset(Markers, 0, sizeof(Markers));
    KeInitializeEvent(&Flush.Done, NotificationEvent, FALSE);
    Flush.Remaining = (LONG)Count;
    for (ULONG i = 0; i < Count; i++) {
        KipInitializeDpc(&Markers[i], DpcObject, KipFlushMarker, &Flush);
        Markers[i].IrpSimOwner = NULL;
        Markers[i].Number = (USHORT)i;
        Markers[i].IrpSimTargetSet = TRUE;
        (void)KeInsertQueueDpc(&Markers[i], NULL, NULL);
    }
    /* The markers live in this frame: a bug check raised on another thread
       must not unwind this thread out of the wait while they are queued.
       Hide the catch frame for the wait; it picks the bug check up when the
       test disarms it (IrpSimEndBugCheckCatch) or at its next wait. */
    {
        struct _IRPSIM_BUGCHECK_CATCH *Catch = Thread->BugCheckCatch;
        Thread->BugCheckCatch = NULL;
        (void)KeWaitForSingleObject(&Flush.Done, Executive, KernelMode, FALSE, NULL);
        Thread->BugCheckCatch = Catch;
    }
}
