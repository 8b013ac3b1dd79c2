/*
 * irpsim — IoCallDriver (SEMANTICS.md 2) and the checks on the value a
 * dispatch routine returns (4.4).
 *
 * Which checks always run and which need the verifier: the ones that stop
 * irpsim from jumping through a garbage pointer or corrupting memory (not an
 * IRP, freed IRP, NULL or dead device, no dispatch routine, no stack
 * location left) always run; Driver Verifier's own reports (0xC9/0x10,
 * 0x203, 0x05, 0x23D, 0x23E) run only with IRPSIM_CONFIG.Verifier. The
 * non-fatal ones (0x23D, 0x23E) stop the machine for now; the verifier will
 * turn them into report-and-continue.
 */
#include "iop.h"
#include "../trace/tracep.h"

#include <stdio.h>

static NTSTATUS IopCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Caller)
{
    static _Thread_local CHAR Rule[512];
    PKTHREAD Thread = KiGetCurrentThread();
    KIRQL Irql = Thread->Irql;
    PIO_STACK_LOCATION Slot;
    PDRIVER_OBJECT Driver;
    PDRIVER_DISPATCH Dispatch;
    PDRIVER_OBJECT Saved;
    PVF_IRP_ENTRY Entry;
    ULONGLONG Serial = 0;
    LONG Location;
    UCHAR Major;
    NTSTATUS Status;
    KIRQL IrqlAfter;
    BOOLEAN ReportUnmarked = FALSE;
    BOOLEAN ReportMarked = FALSE;

    IRPSIM_SCHED_POINT(KI_SCHED_POINT_IO, Irp);
    if (Irp == NULL)
        VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x03, 0, 0, 0, NULL,
                   "IoCallDriver was called with a NULL IRP.", "Pass the IRP you allocated or received.");
    IopCheckIrpNotFreed(Irp, "IoCallDriver", IOP_PAGE_FAULT_IN_FREED_SPECIAL_POOL, (ULONG_PTR)Irp, 0, (ULONG_PTR)Caller, 0);
    if (Irp->Type != IO_TYPE_IRP)
        VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x03, (ULONG_PTR)Irp, 0, 0, NULL, NULL, NULL);
    if (DeviceObject == NULL)
        VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x204, (ULONG_PTR)Caller, (ULONG_PTR)Irp, 0, Irp, NULL,
                   NULL);
    if (!IopIsDeviceObject(DeviceObject))
        VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x04, (ULONG_PTR)DeviceObject, 0, 0, Irp,
                   "IoCallDriver was called with something that is not a live device object (its Type is not "
                   "IO_TYPE_DEVICE; a deleted device whose last reference is gone looks like this).",
                   "Send only to devices you hold a reference on (IoGetDeviceObjectPointer, "
                   "IoAttachDeviceToDeviceStack's result), and stop using a lower device once it is removed.");
    if (IopVerifierEnabled()) {
        PDRIVER_CANCEL CancelRoutine = __atomic_load_n(&Irp->CancelRoutine, __ATOMIC_SEQ_CST);
        if (Irql > DISPATCH_LEVEL)
            VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x10, Irql, 0, 0, Irp, NULL, NULL);
        if (CancelRoutine != NULL)
            VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x203, (ULONG_PTR)Caller, (ULONG_PTR)Irp,
                       (ULONG_PTR)DeviceObject, Irp, NULL, NULL);
    }

    /* SEMANTICS 2.1, step by step. */
    Irp->CurrentLocation--;
    if (Irp->CurrentLocation <= 0)
        VfBugCheck(NO_MORE_IRP_STACK_LOCATIONS, (ULONG_PTR)Irp, 0, 0, 0, Irp, NULL, NULL);
    Irp->Tail.Overlay.CurrentStackLocation--;
    Slot = Irp->Tail.Overlay.CurrentStackLocation;
    Slot->DeviceObject = DeviceObject;
    Location = Irp->CurrentLocation;
    Major = Slot->MajorFunction;
    Driver = DeviceObject->DriverObject;
    Dispatch = Major <= IRP_MJ_MAXIMUM_FUNCTION ? Driver->MajorFunction[Major] : NULL;
    if (Dispatch == NULL) {
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

    /* The IRP is now in this driver; forget what happened below it before. */
    Entry = VfIrpLockEntry(Irp);
    if (Entry == NULL) {
        /* An IRP built by hand without IoInitializeIrp: track it from here. */
        VfIrpUnlock();
        VfIrpTrack(Irp, IrpSimIrpOriginUnknown, FALSE, Caller);
        Entry = VfIrpLockEntry(Irp);
    }
    if (Entry != NULL) {
        Entry->State = VfIrpInDriver;
        Entry->Location = (CHAR)Location;
        Entry->Device = DeviceObject;
        Entry->DeviceDriver = Driver;
        Entry->WalkFinished = FALSE;
        VfIrpClearLocationsUpTo(Entry->MarkedPending, Location);
        VfIrpClearLocationsUpTo(Entry->WalkPassed, Location);
        VfIrpClearLocationsUpTo(Entry->PendingSeen, Location);
        VfIrpClearLocationsUpTo(Entry->ForwardedPending, Location + 1);
        Serial = Entry->Serial;
    }
    VfIrpUnlock();

    TRACE_EVENT(IrpSimTraceIrpCallDriver, Irp, DeviceObject, Location, ((ULONG)Major << 8) | Slot->MinorFunction);
    Saved = KiEnterDriver(Thread, Driver);
    Status = Dispatch(DeviceObject, Irp);
    KiLeaveDriver(Thread, Saved);
    TRACE_EVENT(IrpSimTraceIrpDispatchReturned, Irp, DeviceObject, Status, Location);
    IrqlAfter = Thread->Irql;

    /* From here the IRP may be completed and freed: only the state table
       (and, while the IRP is provably alive, its slot) are read. */
    Entry = VfIrpLockEntry(Irp);
    if (Entry != NULL && Entry->Serial == Serial) {
        BOOLEAN Marked = VfIrpTestLocation(Entry->MarkedPending, Location) ||
                         (VfIrpTestLocation(Entry->WalkPassed, Location) &&
                          VfIrpTestLocation(Entry->PendingSeen, Location));
        /* The caller forwarded it (from its own location, or from the one
           above after skipping) and the lower driver returned STATUS_PENDING. */
        BOOLEAN Forwarded = VfIrpTestLocation(Entry->ForwardedPending, Location) ||
                            VfIrpTestLocation(Entry->ForwardedPending, Location + 1);
        if (!Marked && Status == STATUS_PENDING && !Forwarded && Entry->State != VfIrpFreed &&
            !VfIrpTestLocation(Entry->WalkPassed, Location))
            Marked = (Slot->Control & SL_PENDING_RETURNED) != 0; /* set by hand, not by IoMarkIrpPending */
        if (Status == STATUS_PENDING)
            VfIrpSetLocation(Entry->ForwardedPending, Location + 1);
        ReportUnmarked = Status == STATUS_PENDING && !Marked && !Forwarded;
        ReportMarked = Status != STATUS_PENDING && Marked;
    }
    VfIrpUnlock();

    if (IopVerifierEnabled()) {
        if (IrqlAfter != Irql)
            VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x05, (ULONG_PTR)DeviceObject, Irql, IrqlAfter, NULL,
                       NULL, NULL);
        if (ReportUnmarked)
            VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x23D, (ULONG_PTR)Dispatch, (ULONG_PTR)Irp,
                       (ULONG_PTR)DeviceObject, NULL, NULL, NULL);
        if (ReportMarked)
            VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x23E, (ULONG_PTR)Dispatch, (ULONG_PTR)Irp,
                       (ULONG_PTR)DeviceObject, NULL, NULL, NULL);
    }
    return Status;
}

NTSTATUS FASTCALL IofCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    return IopCallDriver(DeviceObject, Irp, __builtin_return_address(0));
}

NTSTATUS NTAPI PoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    /* Since Vista PoCallDriver is IoCallDriver. */
    return IopCallDriver(DeviceObject, Irp, __builtin_return_address(0));
}

VOID NTAPI PoStartNextPowerIrp(PIRP Irp)
{
    /* Since Vista power IRPs are not serialised by the power manager, and
       PoStartNextPowerIrp does nothing. */
    UNREFERENCED_PARAMETER(Irp);
}

VOID NTAPI IopIrpMarkedPending(PIRP Irp)
{
    PVF_IRP_ENTRY Entry;
    BOOLEAN Freed;

    /* Remembered per location, so the dispatch-return check (4.4) sees the
       mark even after completion has cleared the Control byte. */
    Entry = VfIrpLockEntry(Irp);
    Freed = Entry != NULL && Entry->State == VfIrpFreed;
    if (Entry != NULL && !Freed)
        VfIrpSetLocation(Entry->MarkedPending, Irp->CurrentLocation);
    VfIrpUnlock();
    if (Freed)
        IopCheckIrpNotFreed(Irp, "IoMarkIrpPending", IOP_PAGE_FAULT_IN_FREED_SPECIAL_POOL, (ULONG_PTR)Irp, 1,
                            (ULONG_PTR)__builtin_return_address(0), 0);
    TRACE_EVENT(IrpSimTraceIrpMarkedPending, Irp, Irp->CurrentLocation, 0, 0);
}
