/*
 * irpsim — IoCompleteRequest (SEMANTICS.md 3): entry checks, the stack
 * walk, post-processing (stage 1) and the completion APC (stage 2), plus
 * the per-thread lists of threaded IRPs.
 *
 * Slot clearing (3.2 item 5, which SEMANTICS leaves to us): when the walk
 * leaves a stack location it zeroes everything in it except MajorFunction
 * and DeviceObject, which stay so a dump still shows who had that location.
 * The routine and context are cleared before the routine runs, so a second
 * IoCompleteRequest after STATUS_MORE_PROCESSING_REQUIRED can never call a
 * routine twice. SL_ERROR_RETURNED is not modelled.
 *
 * Stage 2 runs at once (raised to APC_LEVEL, as the APC would be) when the
 * IRP is completed on its own thread outside any APC-disabling state;
 * otherwise it is queued to that thread as a special kernel APC built in the
 * IRP's own memory (Irp->Tail.Apc), as Windows does. The trace event
 * IrpSimTraceIrpPostProcessing carries A1 = the thread and A2 = 0 when the
 * APC was queued, 1 when stage 2 ran at once.
 */
#include "iop.h"
#include "../trace/tracep.h"

#include <stdio.h>

PIOP_USER_COMPLETION_HOOK IopUserCompletionHook;

VOID IopSetUserCompletionHook(PIOP_USER_COMPLETION_HOOK Hook)
{
    PAL_ATOMIC_STORE(&IopUserCompletionHook, Hook, PAL_ORDER_SEQ_CST);
}

/* ---- threaded IRPs ---- */

VOID IopQueueThreadIrp(PIRP Irp, PETHREAD Thread)
{
    PKTHREAD Tcb = KiThreadFromEThread(Thread);
    Irp->Tail.Overlay.Thread = Thread;
    PalMutexLock(&Tcb->IrpListLock);
    InsertHeadList(&Tcb->IrpList, &Irp->ThreadListEntry);
    PalMutexUnlock(&Tcb->IrpListLock);
}

VOID IopDequeueThreadIrp(PIRP Irp, PETHREAD Thread)
{
    PKTHREAD Tcb;
    BOOLEAN Removed = FALSE;
    if (Thread == NULL)
        return;
    Tcb = KiThreadFromEThread(Thread);
    PalMutexLock(&Tcb->IrpListLock);
    if (!IsListEmpty(&Irp->ThreadListEntry)) {
        RemoveEntryList(&Irp->ThreadListEntry);
        InitializeListHead(&Irp->ThreadListEntry);
        Removed = TRUE;
    }
    PalMutexUnlock(&Tcb->IrpListLock);
    if (Removed)
        IopThreadIrpRemoved(Tcb); /* CancelIo and thread exit wait for this (cancel.c) */
}

BOOLEAN IopThreadHasIrps(PETHREAD Thread)
{
    PKTHREAD Tcb = KiThreadFromEThread(Thread);
    BOOLEAN Any;
    PalMutexLock(&Tcb->IrpListLock);
    Any = !IsListEmpty(&Tcb->IrpList);
    PalMutexUnlock(&Tcb->IrpListLock);
    return Any;
}

/* ---- stage 2 ---- */

static VOID IopWriteIoStatus(PIRP Irp)
{
    if (Irp->UserIosb != NULL)
        *Irp->UserIosb = Irp->IoStatus;
}

static VOID IopSignalFileObject(PFILE_OBJECT FileObject, NTSTATUS Status)
{
    FileObject->FinalStatus = Status;
    KeSetEvent(&FileObject->Event, 0, FALSE);
}

/* SEMANTICS 3.6. Runs in Thread at APC_LEVEL. Tail.Overlay is gone (the
   APC lived there): FileObject and Thread come from the caller. */
static VOID IopCompleteStage2(PIRP Irp, PFILE_OBJECT FileObject, PETHREAD Thread)
{
    NTSTATUS Status = Irp->IoStatus.Status;
    PKEVENT UserEvent = Irp->UserEvent;
    BOOLEAN SynchronousApi = (Irp->Flags & IRP_SYNCHRONOUS_API) != 0;
    BOOLEAN Synchronous = SynchronousApi || (FileObject != NULL && (FileObject->Flags & FO_SYNCHRONOUS_IO));
    BOOLEAN HookOwns = FALSE;

    if (Irp->Flags & IRP_BUFFERED_IO) {
        if ((Irp->Flags & IRP_INPUT_OPERATION) && Status != STATUS_VERIFY_REQUIRED && !NT_ERROR(Status) &&
            Irp->UserBuffer != NULL && Irp->AssociatedIrp.SystemBuffer != NULL && Irp->IoStatus.Information != 0) {
            /* After a 0xC9/0x312 report (Information beyond the buffer) copy
               only what fits: Windows would overrun the caller's buffer. */
            VF_IRP_ENTRY Entry;
            ULONG_PTR Length = Irp->IoStatus.Information;
            if (VfIrpQuery(Irp, &Entry) && Entry.BufferedCopyLimit != 0 && Length > Entry.BufferedCopyLimit - 1)
                Length = Entry.BufferedCopyLimit - 1;
            if (Length != 0)
                memcpy(Irp->UserBuffer, Irp->AssociatedIrp.SystemBuffer, Length);
        }
        if ((Irp->Flags & IRP_DEALLOCATE_BUFFER) && Irp->AssociatedIrp.SystemBuffer != NULL) {
            ExFreePool(Irp->AssociatedIrp.SystemBuffer);
            Irp->AssociatedIrp.SystemBuffer = NULL;
        }
        Irp->Flags &= ~(IRP_DEALLOCATE_BUFFER | IRP_BUFFERED_IO);
    }
    IopFreeMdlChain(Irp);

    if (!NT_ERROR(Status) || (Irp->PendingReturned && !Synchronous)) {
        /* REPORT */
        PIOP_USER_COMPLETION_HOOK Hook = PAL_ATOMIC_LOAD(&IopUserCompletionHook, PAL_ORDER_SEQ_CST);
        IopWriteIoStatus(Irp);
        if (UserEvent != NULL) {
            KeSetEvent(UserEvent, 0, FALSE);
            if (FileObject != NULL) {
                /* The service that issued a file-object request referenced the event. */
                if (!SynchronousApi)
                    ObDereferenceObject(UserEvent);
                if ((FileObject->Flags & FO_SYNCHRONOUS_IO) && !(Irp->Flags & IRP_OB_QUERY_NAME))
                    IopSignalFileObject(FileObject, Status);
            }
        } else if (FileObject != NULL) {
            IopSignalFileObject(FileObject, Status);
        }
        IopDequeueThreadIrp(Irp, Thread);
        TRACE_EVENT(IrpSimTraceIrpCompleted, Irp, Status, Irp->IoStatus.Information, 0);
        if (Hook != NULL && (Irp->Overlay.AsynchronousParameters.UserApcRoutine != NULL ||
                             (FileObject != NULL && FileObject->CompletionContext != NULL &&
                              Irp->Overlay.AsynchronousParameters.UserApcContext != NULL)))
            HookOwns = Hook(Irp, Thread, FileObject);
        if (FileObject != NULL)
            ObDereferenceObject(FileObject);
        if (!HookOwns)
            IopFreeIrp(Irp);
        return;
    }

    /* NO_REPORT: an error nobody is told about unless the waiting service
       needs it (3.7). */
    if (Irp->PendingReturned && FileObject != NULL) {
        if (SynchronousApi) {
            IopWriteIoStatus(Irp);
            if (UserEvent != NULL)
                KeSetEvent(UserEvent, 0, FALSE);
            else
                KeSetEvent(&FileObject->Event, 0, FALSE);
        } else {
            IopSignalFileObject(FileObject, Status);
        }
    }
    if (UserEvent != NULL && FileObject != NULL && !SynchronousApi)
        ObDereferenceObject(UserEvent);
    TRACE_EVENT(IrpSimTraceIrpCompleted, Irp, Status, Irp->IoStatus.Information, 1);
    if (FileObject != NULL)
        ObDereferenceObject(FileObject);
    IopDequeueThreadIrp(Irp, Thread);
    IopFreeIrp(Irp);
}

static VOID NTAPI IopCompletionApc(PKAPC Apc, PKNORMAL_ROUTINE *NormalRoutine, PVOID *NormalContext,
                                   PVOID *SystemArgument1, PVOID *SystemArgument2)
{
    PIRP Irp = CONTAINING_RECORD(Apc, IRP, Tail.Apc);
    PETHREAD Thread = KiEThreadFromThread(Apc->Thread);
    UNREFERENCED_PARAMETER(NormalRoutine);
    UNREFERENCED_PARAMETER(NormalContext);
    UNREFERENCED_PARAMETER(SystemArgument2);
    IopCompleteStage2(Irp, (PFILE_OBJECT)*SystemArgument1, Thread);
}

/* The thread ends with the completion APC still queued: finish anyway, as
   Windows does (the result is written, the IRP freed). */
static VOID NTAPI IopCompletionApcRundown(PKAPC Apc)
{
    PIRP Irp = CONTAINING_RECORD(Apc, IRP, Tail.Apc);
    IopCompleteStage2(Irp, (PFILE_OBJECT)Apc->SystemArgument1, KiEThreadFromThread(Apc->Thread));
}

/* Nobody to report to (3.5 step 7, second case): free everything. */
static VOID IopFreeOrphanIrp(PIRP Irp, PFILE_OBJECT FileObject, PETHREAD Thread)
{
    IopFreeMdlChain(Irp);
    if ((Irp->Flags & IRP_BUFFERED_IO) && (Irp->Flags & IRP_DEALLOCATE_BUFFER) &&
        Irp->AssociatedIrp.SystemBuffer != NULL) {
        ExFreePool(Irp->AssociatedIrp.SystemBuffer);
        Irp->AssociatedIrp.SystemBuffer = NULL;
    }
    if (Irp->UserEvent != NULL && FileObject != NULL && !(Irp->Flags & IRP_SYNCHRONOUS_API))
        ObDereferenceObject(Irp->UserEvent);
    TRACE_EVENT(IrpSimTraceIrpCompleted, Irp, Irp->IoStatus.Status, Irp->IoStatus.Information, 2);
    if (FileObject != NULL)
        ObDereferenceObject(FileObject);
    IopDequeueThreadIrp(Irp, Thread);
    IopFreeIrp(Irp);
}

VOID IopCompleteDeferredRequest(PIRP Irp)
{
    PETHREAD Thread = Irp->Tail.Overlay.Thread;
    PFILE_OBJECT FileObject = Irp->Tail.Overlay.OriginalFileObject;
    KIRQL Old;
    KeRaiseIrql(APC_LEVEL, &Old);
    IopCompleteStage2(Irp, FileObject, Thread);
    KeLowerIrql(Old);
}

/* ---- stage 1 ---- */

static VOID IopSetStage2Pending(PIRP Irp, BOOLEAN Apc)
{
    PVF_IRP_ENTRY Entry = VfIrpLockEntryHint(Irp, IopIrpEntryHint(Irp));
    if (Entry != NULL) {
        VfIrpStoreState(Entry, VfIrpStage2Queued);
        Entry->ApcQueued = Apc;
    }
    VfIrpUnlock();
}

/* The last completion routine the walk called (for the report on a
   driver-made IRP whose completion ran past its creator). */
typedef struct _IOP_LAST_ROUTINE {
    PIO_COMPLETION_ROUTINE Routine; /* NULL: none was called */
    NTSTATUS Result;
    LONG Location;
} IOP_LAST_ROUTINE;

/* Explains bug check 0x0A for an IRP with no thread whose walk ran to the
   end: which of the three ways its creator let that happen. */
DECLSPEC_NORETURN static VOID IopReportOrphanCompletion(PIRP Irp, const IOP_LAST_ROUTINE *Last)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[1024];
    VF_IRP_ENTRY Entry;
    CHAR Driver[128];
    CHAR How[400];
    LONG Originator;

    Entry.Origin = IrpSimIrpOriginUnknown;
    Entry.Driver = NULL;
    Entry.CompletedAtLocation = 0;
    Entry.StackCount = Irp->StackCount;
    (void)VfIrpQuery(Irp, &Entry);
    IopFormatDriverName(Entry.Driver, Driver, sizeof(Driver));
    Originator = Entry.StackCount + 1;
    if (Entry.CompletedAtLocation == Originator)
        snprintf(How, sizeof(How),
                 "Its creator called IoCompleteRequest on it itself (from its own position above the stack, "
                 "location %ld), which is only legal to finish an IRP whose walk a completion routine stopped.",
                 (long)Originator);
    else if (Last->Routine != NULL && Last->Location == Originator)
        snprintf(How, sizeof(How),
                 "The creator's completion routine %p (in the location above the stack, %ld) returned 0x%08X instead "
                 "of STATUS_MORE_PROCESSING_REQUIRED, so the I/O manager went on to finish the IRP for its owner.",
                 (void *)Last->Routine, (long)Originator, (unsigned)Last->Result);
    else
        snprintf(How, sizeof(How),
                 "No completion routine was set in the location above the stack (location %ld) when it was sent "
                 "(IoSetCompletionRoutine on the next location before IoCallDriver), so no routine returned "
                 "STATUS_MORE_PROCESSING_REQUIRED to take the IRP back.",
                 (long)Originator);
    snprintf(Rule, sizeof(Rule),
             "IRP %p (allocated with %s by %s) was sent without a thread, so its creator is its only owner. "
             "Completion walked every stack location and then went on to hand the IRP to its owner - the thread that "
             "requested it (Tail.Overlay.Thread) - and that owner does not exist: the pointer is NULL. %s Windows "
             "queues the completion APC to the NULL thread here and crashes.",
             (void *)Irp, VfIrpOriginName(Entry.Origin), Driver, How);
    VfBugCheck(IRQL_NOT_LESS_OR_EQUAL, 0, DISPATCH_LEVEL, 0, (ULONG_PTR)IofCompleteRequest, Irp, Rule,
               "Before sending an IRP you allocated, set a completion routine with all three invoke flags "
               "(SDV rule IoAllocateForward); in it, free the IRP (IoFreeIrp) or keep it, and return "
               "STATUS_MORE_PROCESSING_REQUIRED. Never call IoCompleteRequest on an IRP you allocated with "
               "IoAllocateIrp (IoAllocateComplete).");
}

static DECLSPEC_NOINLINE VOID IopPostProcess(PIRP Irp, CCHAR PriorityBoost, PKTHREAD Current, PETHREAD Thread,
                                             BOOLEAN Cancelled, const IOP_LAST_ROUTINE *Last)
{
    PFILE_OBJECT FileObject;

    /* 3.8: an associated IRP only counts down its master. */
    if (Irp->Flags & IRP_ASSOCIATED_IRP) {
        PIRP Master = Irp->AssociatedIrp.MasterIrp;
        LONG Remaining = InterlockedDecrement(&Master->AssociatedIrp.IrpCount);
        IopUnlockMdlChain(Irp);
        IopFreeMdlChain(Irp);
        IopFreeIrp(Irp);
        if (Remaining == 0)
            IofCompleteRequest(Master, PriorityBoost);
        return;
    }
    if (Irp->Tail.Overlay.AuxiliaryBuffer != NULL) {
        ExFreePool(Irp->Tail.Overlay.AuxiliaryBuffer);
        Irp->Tail.Overlay.AuxiliaryBuffer = NULL;
    }
    IopUnlockMdlChain(Irp);
    /* The issuing service (still on the stack) does stage 2 itself. */
    if ((Irp->Flags & IRP_DEFER_IO_COMPLETION) && !Irp->PendingReturned) {
        IopSetStage2Pending(Irp, FALSE);
        return;
    }

    FileObject = Irp->Tail.Overlay.OriginalFileObject;
    if (Thread == NULL) {
        if (Cancelled) {
            IopFreeOrphanIrp(Irp, FileObject, NULL);
            return;
        }
        IopReportOrphanCompletion(Irp, Last);
    }

    if (KiThreadFromEThread(Thread) == Current && !KeAreAllApcsDisabled()) {
        /* Windows delivers the APC before IoCompleteRequest returns here. */
        KIRQL Old;
        TRACE_EVENT(IrpSimTraceIrpPostProcessing, Irp, Thread, 1, 0);
        KeRaiseIrql(APC_LEVEL, &Old);
        IopCompleteStage2(Irp, FileObject, Thread);
        KeLowerIrql(Old);
        return;
    }
    TRACE_EVENT(IrpSimTraceIrpPostProcessing, Irp, Thread, 0, 0);
    IopSetStage2Pending(Irp, TRUE);
    KeInitializeApc(&Irp->Tail.Apc, KiThreadFromEThread(Thread), (KAPC_ENVIRONMENT)Irp->ApcEnvironment,
                    IopCompletionApc, IopCompletionApcRundown, NULL, KernelMode, NULL);
    if (!KeInsertQueueApc(&Irp->Tail.Apc, FileObject, NULL, PriorityBoost)) {
        /* The thread can no longer receive APCs (it is gone). */
        IopFreeOrphanIrp(Irp, FileObject, Thread);
    }
}

/* 0xC9/0x312: a buffered read or METHOD_BUFFERED control request
   completed with more bytes than the caller's output buffer holds (the
   top location keeps the request's lengths until the walk clears it).
   Stage 2 then copies only what fits. */
static VOID IopCheckBufferedInformation(PIRP Irp, PVOID Caller)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[400];
    PIO_STACK_LOCATION Top;
    ULONG_PTR Limit;
    PVF_IRP_ENTRY Entry;

    if (!(Irp->Flags & IRP_BUFFERED_IO) || NT_ERROR(Irp->IoStatus.Status) || Irp->StackCount <= 0 ||
        Irp->CurrentLocation > Irp->StackCount || Irp->IoStatus.Information == 0)
        return;
    Top = (PIO_STACK_LOCATION)(Irp + 1) + (Irp->StackCount - 1);
    if ((Top->MajorFunction == IRP_MJ_DEVICE_CONTROL || Top->MajorFunction == IRP_MJ_INTERNAL_DEVICE_CONTROL) &&
        METHOD_FROM_CTL_CODE(Top->Parameters.DeviceIoControl.IoControlCode) == METHOD_BUFFERED)
        Limit = Top->Parameters.DeviceIoControl.OutputBufferLength;
    else if (Top->MajorFunction == IRP_MJ_READ)
        Limit = Top->Parameters.Read.Length;
    else
        return;
    if (Irp->IoStatus.Information <= Limit)
        return;
    Entry = VfIrpLockEntry(Irp);
    if (Entry != NULL)
        Entry->BufferedCopyLimit = Limit + 1;
    VfIrpUnlock();
    snprintf(Rule, sizeof(Rule),
             "IRP %p (%s) was completed with IoStatus.Information = %llu, but the caller's buffer holds only %llu "
             "byte(s). The I/O manager copies Information bytes back to the caller: on Windows this overruns the "
             "caller's buffer.",
             (void *)Irp, Top->MajorFunction == IRP_MJ_READ ? "a buffered read" : "a METHOD_BUFFERED control request",
             (unsigned long long)Irp->IoStatus.Information, (unsigned long long)Limit);
    VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x312, (ULONG_PTR)Caller, (ULONG_PTR)Irp,
             Irp->IoStatus.Information, Irp, Rule, NULL);
}

/* After a completion routine returned: IRQL (0xC4/0xFA), spin locks
   (0xC4/0x1511), critical regions (0xC4/0xFB) as they were. */
static VOID IopCheckCompletionReturn(PKTHREAD Current, PIO_COMPLETION_ROUTINE Routine, PIRP Irp, KIRQL Irql,
                                     ULONG LocksBefore, SHORT ApcDisableBefore)
{
    ULONG Locks = KiHeldSpinLockCount(Current);
    if (Current->Irql != Irql)
        VfReport(DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_COMPLETION_IRQL, (ULONG_PTR)Routine, Irql, Current->Irql,
                 NULL, NULL, NULL);
    if (Locks > LocksBefore)
        VfReport(DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_COMPLETION_HOLDS_LOCK, (ULONG_PTR)Routine,
                 (ULONG_PTR)Current->HeldLocks[Locks - 1].Lock, (ULONG_PTR)Irp, NULL, NULL, NULL);
    if (Current->KernelApcDisable != ApcDisableBefore)
        VfReport(DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_COMPLETION_APC_DISABLE, (ULONG_PTR)Routine,
                 (ULONG_PTR)(LONG_PTR)Current->KernelApcDisable, (ULONG_PTR)(LONG_PTR)ApcDisableBefore, NULL, NULL,
                 NULL);
}

static VOID IopClearSlot(PIO_STACK_LOCATION Slot)
{
    UCHAR Major = Slot->MajorFunction;
    PDEVICE_OBJECT Device = Slot->DeviceObject;
    memset(Slot, 0, sizeof(*Slot));
    Slot->MajorFunction = Major;
    Slot->DeviceObject = Device;
}

/* Where the walk is (3.2): the step just taken, and how it ended. */
typedef struct _IOP_WALK {
    BOOLEAN Holder;    /* Entry is written without the lock (VfIrpHolderEntry) */
    LONG StackCount;   /* read at the start: a routine may free the IRP */
    ULONGLONG Serial;  /* the IRP's trip number at the start (0 = untracked) */
    PVF_IRP_ENTRY Entry; /* its entry then (entries are recycled, never freed, while the machine runs) */
    /* The step: the location reached and what the location left held. */
    LONG Location;
    BOOLEAN Pending;
    BOOLEAN Call;
    PIO_COMPLETION_ROUTINE Routine;
    PVOID Context;
    /* The end of the walk (3.5). */
    PETHREAD Thread;
    BOOLEAN Cancelled;
} IOP_WALK;

/* Moves the walk from Slot one location up, decides whether Slot's
   completion routine runs and clears Slot. TRUE once the walk has passed
   the top. The last step is taken under the IRP's lock, so thread-exit
   disassociation (which clears Tail.Overlay.Thread) and the end of the walk
   cannot interleave (an IRP with a holder is on no thread's list: it needs
   no lock). With the verifier on every step records what it found for the
   STATUS_PENDING checks: under the lock, or by a holder without it. */
FORCEINLINE BOOLEAN IopWalkStep(PIRP Irp, PIO_STACK_LOCATION Slot, IOP_WALK *Walk, const BOOLEAN Verifying)
{
    /* The verifier's bookkeeping: by the holder, or under the lock. */
    BOOLEAN Locked = Verifying && !Walk->Holder;
    PVF_IRP_ENTRY Entry = NULL;
    NTSTATUS Status;
    UCHAR Control;
    BOOLEAN Propagate;

    if (Locked)
        Entry = VfIrpLockEntryHint(Irp, Walk->Entry);
    else if (Verifying)
        Entry = Walk->Entry;
    Irp->CurrentLocation++;
    Irp->Tail.Overlay.CurrentStackLocation++;
    if (Irp->CurrentLocation > Irp->StackCount + 1) {
        if (Walk->Holder) {
            Walk->Thread = Irp->Tail.Overlay.Thread;
            Walk->Cancelled = PAL_ATOMIC_LOAD(&Irp->Cancel, PAL_ORDER_SEQ_CST);
            PAL_ATOMIC_STORE(&Walk->Entry->Location, Irp->CurrentLocation, PAL_ORDER_RELAXED);
            PAL_ATOMIC_STORE(&Walk->Entry->WalkFinished, TRUE, PAL_ORDER_RELAXED);
            return TRUE;
        }
        if (!Locked)
            Entry = VfIrpLockEntryHint(Irp, Walk->Entry);
        Walk->Thread = Irp->Tail.Overlay.Thread;
        Walk->Cancelled = PAL_ATOMIC_LOAD(&Irp->Cancel, PAL_ORDER_SEQ_CST);
        if (Entry != NULL) {
            PAL_ATOMIC_STORE(&Entry->Location, Irp->CurrentLocation, PAL_ORDER_RELAXED);
            PAL_ATOMIC_STORE(&Entry->WalkFinished, TRUE, PAL_ORDER_RELAXED);
        }
        VfIrpUnlock();
        return TRUE;
    }

    Walk->Location = Irp->CurrentLocation;
    Status = Irp->IoStatus.Status;
    Control = Slot->Control;
    Walk->Pending = (Control & SL_PENDING_RETURNED) != 0;
    Irp->PendingReturned = Walk->Pending;
    Walk->Routine = Slot->CompletionRoutine;
    Walk->Context = Slot->Context;
    Walk->Call = Walk->Routine != NULL && ((NT_SUCCESS(Status) && (Control & SL_INVOKE_ON_SUCCESS)) ||
                                          (!NT_SUCCESS(Status) && (Control & SL_INVOKE_ON_ERROR)) ||
                                          (PAL_ATOMIC_LOAD(&Irp->Cancel, PAL_ORDER_SEQ_CST) &&
                                           (Control & SL_INVOKE_ON_CANCEL)));
    /* No routine to do it: the I/O manager propagates pending. */
    Propagate = !Walk->Call && Walk->Pending && Walk->Location <= Walk->StackCount;
    if (Propagate)
        (Slot + 1)->Control |= SL_PENDING_RETURNED;
    IopClearSlot(Slot);
    if (Entry != NULL) {
        PAL_ATOMIC_STORE(&Entry->Location, (CHAR)Walk->Location, PAL_ORDER_RELAXED);
        if (Walk->Pending)
            VfIrpSetLocation(Entry->PendingSeen, Walk->Location - 1);
        if (Propagate)
            VfIrpSetLocation(Entry->MarkedPending, Walk->Location);
        VfIrpSetLocation(Entry->WalkPassed, Walk->Location - 1); /* last: see irpstate.h */
    }
    if (Locked)
        VfIrpUnlock();
    return FALSE;
}

/* 0x20A: the routine freed the IRP and let the walk go on. */
DECLSPEC_NORETURN static DECLSPEC_NOINLINE VOID IopReportRoutineFreedIrp(PIRP Irp, PIO_COMPLETION_ROUTINE Routine,
                                                                         PDEVICE_OBJECT Device, NTSTATUS Result)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[400];
    snprintf(Rule, sizeof(Rule),
             "Completion routine %p freed IRP %p (or started it over with IoReuseIrp) but returned 0x%08X instead "
             "of STATUS_MORE_PROCESSING_REQUIRED, so the I/O manager would go on completing an IRP that is no "
             "longer the one it was completing.",
             (void *)Routine, (void *)Irp, (unsigned)Result);
    VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x20A, (ULONG_PTR)Routine, (ULONG_PTR)Irp, (ULONG_PTR)Device, Irp,
               Rule, "A completion routine that frees the IRP must return STATUS_MORE_PROCESSING_REQUIRED.");
}

/* The verifier's checks after a routine that let the walk go on:
   IopCheckCompletionReturn, and 0x228 (a routine that found the pending
   bit did not propagate it), reported as the routine's driver's doing. */
static DECLSPEC_NOINLINE VOID IopCheckRoutineResult(PIRP Irp, PKTHREAD Current, PIO_COMPLETION_ROUTINE Routine,
                                                    BOOLEAN PendingToPropagate, PDRIVER_OBJECT Driver,
                                                    PDEVICE_OBJECT Device, KIRQL Irql, ULONG LocksBefore,
                                                    SHORT ApcDisableBefore)
{
    PDRIVER_OBJECT Saved = KiEnterDriver(Current, Driver);
    IopCheckCompletionReturn(Current, Routine, Irp, Irql, LocksBefore, ApcDisableBefore);
    if (PendingToPropagate && !(Irp->Tail.Overlay.CurrentStackLocation->Control & SL_PENDING_RETURNED))
        VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x228, (ULONG_PTR)Routine, (ULONG_PTR)Irp, (ULONG_PTR)Device,
                 Irp, NULL, NULL);
    KiLeaveDriver(Current, Saved);
}

/* Calls the completion routine the step found (3.3) and checks what it
   did. TRUE if it returned STATUS_MORE_PROCESSING_REQUIRED (3.4): the walk
   stops and the IRP stays exactly as it is. */
FORCEINLINE BOOLEAN IopCallCompletionRoutine(PIRP Irp, PKTHREAD Current, const IOP_WALK *Walk, IOP_LAST_ROUTINE *Last,
                                             const BOOLEAN Verifying)
{
    LONG Location = Walk->Location;
    PDEVICE_OBJECT Device =
        Location == Walk->StackCount + 1 ? NULL : Irp->Tail.Overlay.CurrentStackLocation->DeviceObject;
    PDRIVER_OBJECT Driver = Device != NULL ? Device->DriverObject : Current->CurrentDriver;
    /* What the verifier compares after the routine. */
    KIRQL Irql = 0;
    ULONG LocksBefore = 0;
    SHORT ApcDisableBefore = 0;
    PDRIVER_OBJECT Saved;
    NTSTATUS Result;

    if (Verifying) {
        Irql = Current->Irql;
        LocksBefore = KiHeldSpinLockCount(Current);
        ApcDisableBefore = Current->KernelApcDisable;
    }

    /* A holder's walk hands its record to the routine with the IRP: a
       routine that keeps the IRP (STATUS_MORE_PROCESSING_REQUIRED) may let
       another thread free or send it at once, so the walk does not write
       the record after it returns. */
    if (Walk->Holder)
        VfIrpHolderEnterRoutine(Walk->Entry, (CHAR)Location);
    TRACE_EVENT(IrpSimTraceIrpCompletionRoutineStart, Irp, Walk->Routine, Device, Location);
    Saved = KiEnterDriver(Current, Driver);
    Result = Walk->Routine(Device, Irp, Walk->Context);
    KiLeaveDriver(Current, Saved);
    TRACE_EVENT(IrpSimTraceIrpCompletionRoutine, Irp, Walk->Routine, Result, Location);
    Last->Routine = Walk->Routine;
    Last->Result = Result;
    Last->Location = Location;

    if (Result == STATUS_MORE_PROCESSING_REQUIRED) {
        PVF_IRP_ENTRY Entry;
        if (Walk->Holder)
            return TRUE;
        Entry = VfIrpLockEntryHint(Irp, Walk->Entry);
        /* Still ours and still completing (a routine that re-sent the IRP
           already made it "in a driver"; one that freed it, freed). */
        if (Entry != NULL && (Walk->Serial == 0 || Entry->Serial == Walk->Serial) &&
            Entry->State == VfIrpCompleting) {
            VfIrpStoreState(Entry, VfIrpStopped);
            PAL_ATOMIC_STORE(&Entry->Location, (CHAR)Location, PAL_ORDER_RELAXED);
        }
        VfIrpUnlock();
        return TRUE;
    }
    /* Freed by the routine (its entry freed, or since reused for another
       allocation), or started over (IoReuseIrp: a new number): read from
       the entry found at the start, without a lookup. */
    if (Walk->Serial != 0 &&
        (PAL_ATOMIC_LOAD(&Walk->Entry->Irp, PAL_ORDER_ACQUIRE) != Irp ||
         PAL_ATOMIC_LOAD(&Walk->Entry->Serial, PAL_ORDER_RELAXED) != Walk->Serial ||
         PAL_ATOMIC_LOAD(&Walk->Entry->State, PAL_ORDER_ACQUIRE) == VfIrpFreed))
        IopReportRoutineFreedIrp(Irp, Walk->Routine, Device, Result);
    if (Walk->Holder)
        VfIrpHolderLeaveRoutine(Walk->Entry);
    if (Verifying)
        IopCheckRoutineResult(Irp, Current, Walk->Routine, Walk->Pending && Location <= Walk->StackCount, Driver,
                              Device, Irql, LocksBefore, ApcDisableBefore);
    return FALSE;
}

/* IoCompleteRequest, compiled twice (IofCompleteRequest): Verifying is a
   constant in each copy, so the copy without the verifier carries none of
   its bookkeeping. */
FORCEINLINE VOID IopCompleteRequest(PIRP Irp, CCHAR PriorityBoost, const BOOLEAN Verifying)
{
    PKTHREAD Current = KiGetCurrentThread();
    PIO_STACK_LOCATION Slot;
    PDRIVER_CANCEL CancelRoutine;
    PVF_IRP_ENTRY Hint;
    PVF_IRP_ENTRY Entry;
    BOOLEAN NeverSent = FALSE;
    BOOLEAN StartLocked;
    IOP_LAST_ROUTINE Last = {NULL, 0, 0};
    IOP_WALK Walk;

    IRPSIM_SCHED_POINT(KI_SCHED_POINT_IO, Irp);
    if (Irp == NULL)
        VfBugCheck(MULTIPLE_IRP_COMPLETE_REQUESTS, 0, 0, 0, 0, NULL, "IoCompleteRequest was called with a NULL IRP.",
                   "Complete the IRP your dispatch routine received.");
    IopCheckIrpNotFreed(Irp, "IoCompleteRequest", MULTIPLE_IRP_COMPLETE_REQUESTS, (ULONG_PTR)Irp, 0, 0, 0);
    if (Irp->Type != IO_TYPE_IRP)
        VfBugCheck(MULTIPLE_IRP_COMPLETE_REQUESTS, (ULONG_PTR)Irp, 0, 0, 0, NULL,
                   "IoCompleteRequest was called on memory that is not an IRP (Type is not IO_TYPE_IRP).",
                   "Pass the IRP itself, not a pointer into it or a context structure.");

    /* 3.1 */
    memset(&Walk, 0, sizeof(Walk));
    Walk.StackCount = Irp->StackCount;
    if (Irp->CurrentLocation > Walk.StackCount + 1)
        VfBugCheck(MULTIPLE_IRP_COMPLETE_REQUESTS, (ULONG_PTR)Irp, 0, 0, 0, Irp, NULL, NULL);
    CancelRoutine = PAL_ATOMIC_LOAD(&Irp->CancelRoutine, PAL_ORDER_SEQ_CST);
    Hint = IopIrpEntryHint(Irp);
    Entry = VfIrpHolderEntry(Irp, Hint);
    Walk.Holder = Entry != NULL;
    /* A holder's walk records without the lock, but with the verifier it
       takes the lock to start: a sender judging its dispatch routine's
       return may be reading the IRP's slot under it (IopCheckDispatchResult). */
    StartLocked = !Walk.Holder || Verifying;
    if (StartLocked)
        Entry = VfIrpLockEntryHint(Irp, Hint);
    if (Entry != NULL) {
        if (CancelRoutine != NULL)
            PAL_ATOMIC_STORE(&Entry->CompletedWithCancelRoutine, CancelRoutine, PAL_ORDER_RELAXED);
        /* Never given to a driver (0x239): no IoCallDriver since it was made. */
        NeverSent = Verifying && PAL_ATOMIC_LOAD(&Entry->State, PAL_ORDER_RELAXED) == VfIrpAllocated &&
                    PAL_ATOMIC_LOAD(&Entry->Device, PAL_ORDER_RELAXED) == NULL &&
                    PAL_ATOMIC_LOAD(&Entry->CompletionCount, PAL_ORDER_RELAXED) == 0;
        VfIrpStoreState(Entry, VfIrpCompleting);
        PAL_ATOMIC_STORE(&Entry->CompletionCount, PAL_ATOMIC_LOAD(&Entry->CompletionCount, PAL_ORDER_RELAXED) + 1,
                         PAL_ORDER_RELAXED);
        PAL_ATOMIC_STORE(&Entry->CompletedAtLocation, Irp->CurrentLocation, PAL_ORDER_RELAXED);
        PAL_ATOMIC_STORE(&Entry->CompletedAtSend, PAL_ATOMIC_LOAD(&Entry->SendCount, PAL_ORDER_RELAXED),
                         PAL_ORDER_RELAXED);
        PAL_ATOMIC_STORE(&Entry->CompletedStatus, Irp->IoStatus.Status, PAL_ORDER_RELAXED);
        Walk.Serial = PAL_ATOMIC_LOAD(&Entry->Serial, PAL_ORDER_RELAXED);
        Walk.Entry = Entry;
    }
    if (StartLocked)
        VfIrpUnlock();
    /* (VfReport would drop these without the verifier.) */
    if (Verifying && CancelRoutine != NULL)
        VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x07, (ULONG_PTR)CancelRoutine, (ULONG_PTR)Irp, 0, Irp, NULL,
                 NULL);
    if (Verifying && Current->Irql > DISPATCH_LEVEL)
        VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x0E, Current->Irql, (ULONG_PTR)Irp, 0, Irp, NULL, NULL);
    if (Verifying && (Irp->IoStatus.Status == STATUS_PENDING || (ULONG)Irp->IoStatus.Status == 0xFFFFFFFFu))
        VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x06, (ULONG)Irp->IoStatus.Status, (ULONG_PTR)Irp, 0, Irp, NULL,
                 NULL);
    if (NeverSent)
        VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x239, (ULONG_PTR)PAL_RETURN_ADDRESS(), (ULONG_PTR)Irp,
                 0, Irp, NULL, NULL);
    if (Irp->Flags & IRP_BUFFERED_IO)
        IopCheckBufferedInformation(Irp, PAL_RETURN_ADDRESS());
    TRACE_EVENT(IrpSimTraceIrpCompleteBegin, Irp, Irp->IoStatus.Status, Irp->IoStatus.Information,
                Irp->CurrentLocation);

    /* 3.2: walk up from the completing driver's location. */
    for (Slot = Irp->Tail.Overlay.CurrentStackLocation; !IopWalkStep(Irp, Slot, &Walk, Verifying); Slot++) {
        if (Walk.Call && IopCallCompletionRoutine(Irp, Current, &Walk, &Last, Verifying))
            return;
    }
    IopPostProcess(Irp, PriorityBoost, Current, Walk.Thread, Walk.Cancelled, &Last);
}

VOID FASTCALL IofCompleteRequest(PIRP Irp, CCHAR PriorityBoost)
{
    if (IopVerifierEnabled())
        IopCompleteRequest(Irp, PriorityBoost, TRUE);
    else
        IopCompleteRequest(Irp, PriorityBoost, FALSE);
}
