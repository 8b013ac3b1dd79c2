/*
 * irpsim — IoCallDriver (SEMANTICS.md 2) and the checks on the value a
 * dispatch routine returns (4.4).
 *
 * Which checks always run and which need the verifier: the ones that stop
 * irpsim from jumping through a garbage pointer or corrupting memory (not an
 * IRP, freed IRP, NULL or dead device, no dispatch routine, no stack
 * location left) always run; Driver Verifier's own reports (0xC9/0x10,
 * 0x203, 0x208, 0x21C, 0x307 before the call; 0x05, 0xC4/0xC5, 0x1510,
 * 0x23D, 0x23E, 0x225, 0x224, 0x226 after it) go through VfReport, which
 * applies the rule classes and makes the non-fatal ones report-and-continue.
 */
#include "iop.h"
#include "../trace/tracep.h"

#include <stdio.h>

/* Before the IRP moves to Slot (the next location, not yet given its
   device): 0x208, too few locations left for the target's stack, and
   0x21C, the caller copied its location without setting a completion
   routine. */
static VOID IopCheckForwarding(PIRP Irp, PIO_STACK_LOCATION Slot, PDEVICE_OBJECT DeviceObject, PVOID Caller)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[400];
    PIO_STACK_LOCATION Own = Slot + 1;

    if (Irp->CurrentLocation < DeviceObject->StackSize) {
        snprintf(Rule, sizeof(Rule),
                 "IRP %p was sent to a device whose stack needs %d stack location(s), but only %d are left. A driver "
                 "below will find no location of its own (bug check 0x35 when it passes the IRP on).",
                 (void *)Irp, (int)DeviceObject->StackSize, (int)Irp->CurrentLocation);
        VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x208, (ULONG_PTR)Caller, (ULONG_PTR)Irp,
                 (ULONG_PTR)DeviceObject, Irp, Rule, NULL);
    }
    /* Only a driver that has a location of its own can copy it. */
    if (Irp->CurrentLocation + 1 <= Irp->StackCount && Slot->CompletionRoutine == NULL && Slot->Control == 0 &&
        Slot->MajorFunction == Own->MajorFunction && Slot->MinorFunction == Own->MinorFunction &&
        Slot->Flags == Own->Flags && Slot->DeviceObject == Own->DeviceObject && Slot->FileObject == Own->FileObject &&
        memcmp(&Slot->Parameters, &Own->Parameters, sizeof(Slot->Parameters)) == 0)
        VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x21C, (ULONG_PTR)Caller, (ULONG_PTR)Irp,
                 (ULONG_PTR)DeviceObject, Irp, NULL, NULL);
}

/* After the dispatch routine returned: IRQL (0x05), spin locks
   (0xC4/0x1510) and critical regions (0xC4/0xC5) as they were. */
static VOID IopCheckDispatchReturn(PKTHREAD Thread, PDRIVER_DISPATCH Dispatch, PDEVICE_OBJECT DeviceObject, KIRQL Irql,
                                   KIRQL IrqlAfter, ULONG LocksBefore, SHORT ApcDisableBefore)
{
    ULONG Locks = KiHeldSpinLockCount(Thread);
    if (IrqlAfter != Irql)
        VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x05, (ULONG_PTR)DeviceObject, Irql, IrqlAfter, NULL, NULL,
                 NULL);
    if (Locks > LocksBefore)
        VfReport(DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_DISPATCH_HOLDS_LOCK, (ULONG_PTR)Dispatch,
                 (ULONG_PTR)Thread->HeldLocks[Locks - 1].Lock, (ULONG_PTR)DeviceObject, NULL, NULL, NULL);
    if (Thread->KernelApcDisable != ApcDisableBefore)
        VfReport(DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_DISPATCH_APC_DISABLE, (ULONG_PTR)Dispatch,
                 (ULONG_PTR)(LONG_PTR)Thread->KernelApcDisable, (ULONG_PTR)(LONG_PTR)ApcDisableBefore, NULL, NULL,
                 NULL);
}

/* The state as the IRP went into the driver, for the verifier's checks
   on the dispatch routine's return. */
typedef struct _IOP_SEND {
    PDRIVER_OBJECT Driver;     /* the device's driver, read before the call */
    PVF_IRP_ENTRY Holder;      /* the IRP's entry if its holder records without the lock (VfIrpHolderEntry) */
    ULONGLONG Serial;
    ULONG SendsBefore;         /* SendCount after this send */
    ULONG CompletionsBefore;   /* CompletionCount before the call */
    BOOLEAN EventWasSignalled; /* 0x307 */
    KIRQL Irql;
    ULONG LocksBefore;
    SHORT ApcDisableBefore;
} IOP_SEND;

/* The IRP is now in Driver's device: what IopRecordSend records, by the
   sender of an IRP that may record without the lock (VfIrpHolderEntry). */
FORCEINLINE VOID IopRecordHolderSend(PVF_IRP_ENTRY Entry, PDEVICE_OBJECT DeviceObject, PDRIVER_OBJECT Driver,
                                     LONG Location)
{
    PAL_ATOMIC_STORE(&Entry->Location, (CHAR)Location, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(&Entry->Device, DeviceObject, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(&Entry->DeviceDriver, Driver, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(&Entry->WalkFinished, FALSE, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(&Entry->SendCount, PAL_ATOMIC_LOAD(&Entry->SendCount, PAL_ORDER_RELAXED) + 1, PAL_ORDER_RELAXED);
    /* Last (release): a reader that sees InDriver sees where. */
    VfIrpStoreState(Entry, VfIrpInDriver);
}

/* What a send records in the IRP's entry (under its lock, or by its
   holder without it), what the checks on the dispatch routine's return
   compare with, and (verifier) forgetting what happened below its
   location before. */
static VOID IopRecordSendIn(PIRP Irp, PVF_IRP_ENTRY Entry, PDEVICE_OBJECT DeviceObject, LONG Location,
                            BOOLEAN Verifying, IOP_SEND *Send)
{
    IopRecordHolderSend(Entry, DeviceObject, Send->Driver, Location);
    Send->Serial = PAL_ATOMIC_LOAD(&Entry->Serial, PAL_ORDER_RELAXED);
    Send->SendsBefore = PAL_ATOMIC_LOAD(&Entry->SendCount, PAL_ORDER_RELAXED);
    Send->CompletionsBefore = PAL_ATOMIC_LOAD(&Entry->CompletionCount, PAL_ORDER_RELAXED);
    if (!Verifying)
        return;
    VfIrpClearLocationsUpTo(Entry->MarkedPending, Location);
    VfIrpClearLocationsUpTo(Entry->WalkPassed, Location);
    VfIrpClearLocationsUpTo(Entry->PendingSeen, Location);
    VfIrpClearLocationsUpToShared(Entry->ForwardedPending, Location + 1);
    /* 0x307: a request its builder will wait for, issued with its event
       already signalled (sampled before anyone can complete it). Such an
       IRP is never a holder's. */
    if (Location == Entry->StackCount &&
        (Entry->Origin == IrpSimIrpOriginIoBuildSynchronousFsdRequest ||
         Entry->Origin == IrpSimIrpOriginIoBuildDeviceIoControlRequest) &&
        Irp->UserEvent != NULL && Irp->UserEvent->Header.IrpSimCookie == KI_OBJECT_COOKIE(&Irp->UserEvent->Header))
        Send->EventWasSignalled = PAL_ATOMIC_LOAD(&Irp->UserEvent->Header.SignalState, PAL_ORDER_SEQ_CST) != 0;
}

/* The IRP is now in this driver: IopRecordSendIn, by its holder or under
   its lock. */
static DECLSPEC_NOINLINE VOID IopRecordSend(PIRP Irp, PVF_IRP_ENTRY Holder, PVF_IRP_ENTRY Hint,
                                            PDEVICE_OBJECT DeviceObject, LONG Location, BOOLEAN Verifying,
                                            PVOID Caller, IOP_SEND *Send)
{
    PVF_IRP_ENTRY Entry;
    Send->Holder = Holder;
    if (Holder != NULL) {
        IopRecordSendIn(Irp, Holder, DeviceObject, Location, Verifying, Send);
        return;
    }
    Entry = VfIrpLockEntryHint(Irp, Hint);
    if (Entry == NULL) {
        /* An IRP built by hand without IoInitializeIrp: track it from here. */
        VfIrpUnlock();
        VfIrpTrack(Irp, IrpSimIrpOriginUnknown, FALSE, Caller);
        Entry = VfIrpLockEntry(Irp);
    }
    if (Entry != NULL)
        IopRecordSendIn(Irp, Entry, DeviceObject, Location, Verifying, Send);
    VfIrpUnlock();
}

/* The verifier's checks after the dispatch routine returned: IRQL, locks
   and critical regions (IopCheckDispatchReturn), the STATUS_PENDING
   contract (0x23D, 0x23E), 0x225, the status it completed with (0x224), an
   IRP left untouched (0x226), 0x307. From here the IRP may be completed
   and freed: only the state table (and, while the IRP is provably alive,
   its slot) are read. */
/* What the checks on a dispatch routine's return found in the IRP's entry. */
typedef struct _IOP_DISPATCH_VERDICT {
    BOOLEAN Unmarked;  /* 0x23D */
    BOOLEAN Marked;    /* 0x23E */
    BOOLEAN Mismatch;  /* 0x224 */
    BOOLEAN Untouched; /* 0x226 */
    NTSTATUS CompletedStatus;
} IOP_DISPATCH_VERDICT;

/* Judges the return from Entry, trip Send->Serial. The IRP's slot is read
   only with ReadSlot (under the IRP's lock, while no completion walks the
   IRP): FALSE if the judgement needs it without. Entry may be changing (a
   holder's, read without the lock): every field is read with acquire, so
   a Serial read after them tells whether they were all of this trip
   (VfpResetHolderFields). The caller records a forwarded STATUS_PENDING
   (IopRecordForwardedPending) once it knows the judgement stands. */
static BOOLEAN IopJudgeDispatch(PVF_IRP_ENTRY Entry, const IOP_SEND *Send, PIO_STACK_LOCATION Slot, LONG Location,
                                NTSTATUS Status, BOOLEAN ReadSlot, IOP_DISPATCH_VERDICT *Verdict)
{
    BOOLEAN Live = PAL_ATOMIC_LOAD(&Entry->State, PAL_ORDER_ACQUIRE) != VfIrpFreed;
    /* Read once: a walk may pass the location meanwhile. */
    BOOLEAN Passed = VfIrpTestLocation(Entry->WalkPassed, Location);
    BOOLEAN Marked = VfIrpTestLocation(Entry->MarkedPending, Location) ||
                     (Passed && VfIrpTestLocation(Entry->PendingSeen, Location));
    /* The caller forwarded it (from its own location, or from the one
       above after skipping) and the lower driver returned STATUS_PENDING. */
    BOOLEAN Forwarded = VfIrpTestLocation(Entry->ForwardedPending, Location) ||
                        VfIrpTestLocation(Entry->ForwardedPending, Location + 1);
    BOOLEAN Completed;
    if (!Marked && Status == STATUS_PENDING && !Forwarded && Live && !Passed) {
        /* Completion has not passed the location, so the IRP is not freed
           (by a driver that keeps the rules). */
        if (!ReadSlot)
            return FALSE;
        Marked = (Slot->Control & SL_PENDING_RETURNED) != 0; /* set by hand, not by IoMarkIrpPending */
    }
    /* Completed during the call - by this very driver when no other
       IoCallDriver came between (a driver below, after a skip, has the
       same location). */
    Completed = PAL_ATOMIC_LOAD(&Entry->CompletionCount, PAL_ORDER_ACQUIRE) != Send->CompletionsBefore;
    Verdict->Unmarked = Status == STATUS_PENDING && !Marked && !Forwarded;
    Verdict->Marked = Status != STATUS_PENDING && Marked;
    Verdict->CompletedStatus = PAL_ATOMIC_LOAD(&Entry->CompletedStatus, PAL_ORDER_ACQUIRE);
    Verdict->Mismatch = Completed && PAL_ATOMIC_LOAD(&Entry->CompletedAtLocation, PAL_ORDER_ACQUIRE) == Location &&
                        PAL_ATOMIC_LOAD(&Entry->CompletedAtSend, PAL_ORDER_ACQUIRE) == Send->SendsBefore &&
                        Status != STATUS_PENDING && Status != Verdict->CompletedStatus;
    Verdict->Untouched = Status != STATUS_PENDING && !Marked && !Completed &&
                         PAL_ATOMIC_LOAD(&Entry->SendCount, PAL_ORDER_ACQUIRE) == Send->SendsBefore && Live;
    return TRUE;
}

/* The dispatch routine at Location returned STATUS_PENDING: the location
   above forwarded a pending request (the check on its own return reads
   this). */
static VOID IopRecordForwardedPending(PVF_IRP_ENTRY Entry, LONG Location, NTSTATUS Status)
{
    if (Status == STATUS_PENDING)
        VfIrpSetLocationShared(Entry->ForwardedPending, Location + 1);
}

static VOID IopCheckDispatchResult(PKTHREAD Thread, PIRP Irp, PVF_IRP_ENTRY Hint, PDEVICE_OBJECT DeviceObject,
                                   PDRIVER_DISPATCH Dispatch, PIO_STACK_LOCATION Slot, LONG Location,
                                   NTSTATUS Status, KIRQL IrqlAfter, const IOP_SEND *Send, PVOID Caller)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[512];
    IOP_DISPATCH_VERDICT Verdict = {FALSE, FALSE, FALSE, FALSE, 0};
    BOOLEAN Judged = FALSE;
    PDRIVER_OBJECT Saved;
    PVF_IRP_ENTRY Entry;

    if (Send->Holder != NULL) {
        /* Without the lock; an entry on another trip meanwhile (freed and
           allocated again, or reused: another serial) has nothing to
           judge. */
        Entry = Send->Holder;
        Judged = PAL_ATOMIC_LOAD(&Entry->Serial, PAL_ORDER_ACQUIRE) != Send->Serial ||
                 IopJudgeDispatch(Entry, Send, Slot, Location, Status, FALSE, &Verdict);
        if (PAL_ATOMIC_LOAD(&Entry->Serial, PAL_ORDER_ACQUIRE) != Send->Serial)
            memset(&Verdict, 0, sizeof(Verdict));
        else if (Judged)
            IopRecordForwardedPending(Entry, Location, Status);
    }
    if (!Judged) {
        Entry = VfIrpLockEntryHint(Irp, Hint);
        if (Entry != NULL && PAL_ATOMIC_LOAD(&Entry->Serial, PAL_ORDER_RELAXED) == Send->Serial) {
            /* A holder's completion takes this lock to start (IoCompleteRequest
               with the verifier) and walks without it: its slot is safe to
               read only while no completion has started. One that has (rare:
               on another thread, before this check) is not judged. */
            VF_IRP_STATE State = PAL_ATOMIC_LOAD(&Entry->State, PAL_ORDER_ACQUIRE);
            BOOLEAN SlotSafe = Send->Holder == NULL || State == VfIrpInDriver || State == VfIrpQueued;
            (void)IopJudgeDispatch(Entry, Send, Slot, Location, Status, SlotSafe, &Verdict);
            IopRecordForwardedPending(Entry, Location, Status);
        }
        VfIrpUnlock();
    }

    /* Reported as the driver's own doing (the report names it), as the
       kernel does for a DPC routine. */
    Saved = KiEnterDriver(Thread, Send->Driver);
    IopCheckDispatchReturn(Thread, Dispatch, DeviceObject, Send->Irql, IrqlAfter, Send->LocksBefore,
                           Send->ApcDisableBefore);
    if (Verdict.Unmarked) {
        snprintf(Rule, sizeof(Rule),
                 "Dispatch routine %p returned STATUS_PENDING for IRP %p (stack location %ld) without calling "
                 "IoMarkIrpPending. The caller now waits, but completion decides from the pending bit whether to "
                 "wake it: if the IRP is completed with an error, the waiter is never woken (a hang).",
                 (void *)Dispatch, (void *)Irp, (long)Location);
        VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x23D, (ULONG_PTR)Dispatch, (ULONG_PTR)Irp,
                 (ULONG_PTR)DeviceObject, NULL, Rule, NULL);
    }
    if (Verdict.Marked) {
        snprintf(Rule, sizeof(Rule),
                 "Dispatch routine %p called IoMarkIrpPending on IRP %p (stack location %ld) but returned 0x%08X, not "
                 "STATUS_PENDING. The caller uses the returned status and does not wait, while completion still "
                 "writes the result and signals the event as for a pended request - possibly after the caller's "
                 "stack frame (its IO_STATUS_BLOCK, its event) is gone.",
                 (void *)Dispatch, (void *)Irp, (long)Location, (unsigned)Status);
        VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x23E, (ULONG_PTR)Dispatch, (ULONG_PTR)Irp,
                 (ULONG_PTR)DeviceObject, NULL, Rule, NULL);
    }
    if ((ULONG)Status == 0xFFFFFFFFu)
        VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x225, (ULONG_PTR)Dispatch, (ULONG_PTR)Irp,
                 (ULONG_PTR)DeviceObject, NULL, NULL, NULL);
    if (Verdict.Mismatch) {
        snprintf(Rule, sizeof(Rule),
                 "Dispatch routine %p completed IRP %p with status 0x%08X but returned 0x%08X. The caller acts on the "
                 "returned value and the I/O manager reports IoStatus.Status: the two must be the same.",
                 (void *)Dispatch, (void *)Irp, (unsigned)Verdict.CompletedStatus, (unsigned)Status);
        VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x224, (ULONG_PTR)Dispatch, (ULONG_PTR)Irp,
                 (ULONG_PTR)DeviceObject, NULL, Rule, NULL);
    }
    if (Verdict.Untouched) {
        snprintf(Rule, sizeof(Rule),
                 "Dispatch routine %p returned 0x%08X for IRP %p without completing it, passing it down or marking it "
                 "pending. Nobody will complete it now, and the caller believes it finished with that status (or the "
                 "routine queued it and forgot IoMarkIrpPending + STATUS_PENDING).",
                 (void *)Dispatch, (unsigned)Status, (void *)Irp);
        VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x226, (ULONG_PTR)Dispatch, (ULONG_PTR)Irp,
                 (ULONG_PTR)DeviceObject, NULL, Rule, NULL);
    }
    KiLeaveDriver(Thread, Saved);
    if (Send->EventWasSignalled && Status == STATUS_PENDING)
        VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x307, (ULONG_PTR)Caller, (ULONG_PTR)Irp,
                 (ULONG_PTR)DeviceObject, NULL, NULL, NULL);
}

/* Bug check 0x1E for a major function with no dispatch routine. */
DECLSPEC_NORETURN static DECLSPEC_NOINLINE VOID IopReportNoDispatch(PIRP Irp, PDRIVER_OBJECT Driver, UCHAR Major)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[512];
    CHAR Name[128];
    IopFormatDriverName(Driver, Name, sizeof(Name));
    snprintf(Rule, sizeof(Rule),
             "IoCallDriver found no dispatch routine for major function 0x%x of %s (%s). Before DriverEntry "
             "the I/O manager fills every MajorFunction entry with its own 'invalid device request' routine; "
             "a driver that stores NULL there makes Windows jump to address 0.",
             Major, Name,
             Major <= IRP_MJ_MAXIMUM_FUNCTION ? "the entry is NULL" : "the code is beyond IRP_MJ_MAXIMUM_FUNCTION");
    VfBugCheck(IOP_KMODE_EXCEPTION_NOT_HANDLED, (ULONG_PTR)STATUS_ACCESS_VIOLATION, 0, 8, 0, Irp, Rule,
               "Leave MajorFunction entries you do not handle alone, and fill the next stack location's "
               "MajorFunction before sending the IRP.");
}

/* IoCallDriver, compiled twice (IopSendIrp): Verifying is a constant in
   each copy. The verifier's checks and the bookkeeping only they read are
   skipped with it off: VfReport would drop every one of them. */
FORCEINLINE NTSTATUS IopCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Caller, const BOOLEAN Verifying)
{
    PKTHREAD Thread = KiGetCurrentThread();
    KIRQL Irql = Thread->Irql;
    PVF_IRP_ENTRY Holder = NULL;
    PVF_IRP_ENTRY Hint;
    PIO_STACK_LOCATION Slot;
    PDRIVER_OBJECT Driver;
    PDRIVER_DISPATCH Dispatch;
    PDRIVER_OBJECT Saved;
    IOP_SEND Send;
    LONG Location;
    UCHAR Major;
    NTSTATUS Status;

    IRPSIM_SCHED_POINT(KI_SCHED_POINT_IO, Irp);
    if (Irp == NULL)
        VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x03, 0, 0, 0, NULL,
                   "IoCallDriver was called with a NULL IRP.", "Pass the IRP you allocated or received.");
    IopCheckIrpNotFreed(Irp, "IoCallDriver", IOP_PAGE_FAULT_IN_FREED_SPECIAL_POOL, (ULONG_PTR)Irp, 0,
                        (ULONG_PTR)Caller, 0);
    if (Irp->Type != IO_TYPE_IRP)
        VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x03, (ULONG_PTR)Irp, 0, 0, NULL, NULL, NULL);
    Hint = IopIrpEntryHint(Irp);
    /* The sender of an IRP no other thread reads through the lock records
       where it went without it. */
    Holder = VfIrpHolderEntry(Irp, Hint);
    if (DeviceObject == NULL)
        VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x204, (ULONG_PTR)Caller, (ULONG_PTR)Irp, 0, Irp, NULL,
                   NULL);
    if (DeviceObject->Type != IO_TYPE_DEVICE) /* IopIsDeviceObject */
        VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x04, (ULONG_PTR)DeviceObject, 0, 0, Irp,
                   "IoCallDriver was called with something that is not a live device object (its Type is not "
                   "IO_TYPE_DEVICE; a deleted device whose last reference is gone looks like this).",
                   "Send only to devices you hold a reference on (IoGetDeviceObjectPointer, "
                   "IoAttachDeviceToDeviceStack's result), and stop using a lower device once it is removed.");
    if (Verifying) {
        PDRIVER_CANCEL CancelRoutine = PAL_ATOMIC_LOAD(&Irp->CancelRoutine, PAL_ORDER_SEQ_CST);
        if (Irql > DISPATCH_LEVEL)
            VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x10, Irql, 0, 0, Irp, NULL, NULL);
        if (CancelRoutine != NULL)
            VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x203, (ULONG_PTR)Caller, (ULONG_PTR)Irp,
                     (ULONG_PTR)DeviceObject, Irp, NULL, NULL);
    }

    /* SEMANTICS 2.1, step by step. */
    Irp->CurrentLocation--;
    if (Irp->CurrentLocation <= 0)
        VfBugCheck(NO_MORE_IRP_STACK_LOCATIONS, (ULONG_PTR)Irp, 0, 0, 0, Irp, NULL, NULL);
    Irp->Tail.Overlay.CurrentStackLocation--;
    Slot = Irp->Tail.Overlay.CurrentStackLocation;
    if (Verifying)
        IopCheckForwarding(Irp, Slot, DeviceObject, Caller);
    Slot->DeviceObject = DeviceObject;
    Location = Irp->CurrentLocation;
    Major = Slot->MajorFunction;
    Driver = DeviceObject->DriverObject;
    Dispatch = Major <= IRP_MJ_MAXIMUM_FUNCTION ? Driver->MajorFunction[Major] : NULL;
    if (Dispatch == NULL)
        IopReportNoDispatch(Irp, Driver, Major);
    if (Holder != NULL && !Verifying) {
        IopRecordHolderSend(Holder, DeviceObject, Driver, Location);
    } else {
        memset(&Send, 0, sizeof(Send));
        Send.Irql = Irql;
        Send.Driver = Driver;
        IopRecordSend(Irp, Holder, Hint, DeviceObject, Location, Verifying, Caller, &Send);
    }

    TRACE_EVENT(IrpSimTraceIrpCallDriver, Irp, DeviceObject, Location, ((ULONG)Major << 8) | Slot->MinorFunction);
    if (Verifying) {
        Send.LocksBefore = KiHeldSpinLockCount(Thread);
        Send.ApcDisableBefore = Thread->KernelApcDisable;
    }
    Saved = KiEnterDriver(Thread, Driver);
    Status = Dispatch(DeviceObject, Irp);
    KiLeaveDriver(Thread, Saved);
    TRACE_EVENT(IrpSimTraceIrpDispatchReturned, Irp, DeviceObject, Status, Location);
    if (Verifying)
        IopCheckDispatchResult(Thread, Irp, Hint, DeviceObject, Dispatch, Slot, Location, Status, Thread->Irql,
                               &Send, Caller);
    return Status;
}

static DECLSPEC_NOINLINE NTSTATUS IopCallDriverVerifying(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Caller)
{
    return IopCallDriver(DeviceObject, Irp, Caller, TRUE);
}

static DECLSPEC_NOINLINE NTSTATUS IopCallDriverPlain(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Caller)
{
    return IopCallDriver(DeviceObject, Irp, Caller, FALSE);
}

FORCEINLINE NTSTATUS IopSendIrp(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Caller)
{
    if (IopVerifierEnabled())
        return IopCallDriverVerifying(DeviceObject, Irp, Caller);
    return IopCallDriverPlain(DeviceObject, Irp, Caller);
}

NTSTATUS FASTCALL IofCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    return IopSendIrp(DeviceObject, Irp, PAL_RETURN_ADDRESS());
}

NTSTATUS NTAPI PoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    /* Since Vista PoCallDriver is IoCallDriver. */
    return IopSendIrp(DeviceObject, Irp, PAL_RETURN_ADDRESS());
}

VOID NTAPI PoStartNextPowerIrp(PIRP Irp)
{
    /* Since Vista power IRPs are not serialised by the power manager, and
       PoStartNextPowerIrp does nothing. */
    UNREFERENCED_PARAMETER(Irp);
}

VOID NTAPI IopIrpMarkedPending(PIRP Irp)
{
    PVOID Caller = PAL_RETURN_ADDRESS();

    IopCheckIrpNotFreed(Irp, "IoMarkIrpPending", IOP_PAGE_FAULT_IN_FREED_SPECIAL_POOL, (ULONG_PTR)Irp, 1,
                        (ULONG_PTR)Caller, 0);
    /* Remembered per location (verifier), so the dispatch-return check
       (4.4) sees the mark even after completion has cleared the Control byte. */
    if (IopVerifierEnabled()) {
        PVF_IRP_ENTRY Hint = IopIrpEntryHint(Irp);
        PVF_IRP_ENTRY Entry = VfIrpHolderEntry(Irp, Hint);
        if (Entry != NULL) {
            VfIrpSetLocation(Entry->MarkedPending, Irp->CurrentLocation);
        } else {
            Entry = VfIrpLockEntryHint(Irp, Hint);
            if (Entry != NULL && Entry->State != VfIrpFreed)
                VfIrpSetLocation(Entry->MarkedPending, Irp->CurrentLocation);
            VfIrpUnlock();
        }
    }
    TRACE_EVENT(IrpSimTraceIrpMarkedPending, Irp, Irp->CurrentLocation, 0, 0);
}
