/*
 * Cancellation (SEMANTICS.md 5.1, 5.2, 5.5): IoCancelIrp, IoSetCancelRoutine,
 * the cancel spin lock, the 0x48 and 0x11B bug checks, thread exit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "iotest.h"
#include "io/iop.h" /* white box: cancel lock ownership, threaded IRPs, IRP state */
#include <irpsim/cmocka.h>
#include <irpsim/trace.h>

static PDRIVER_OBJECT Driver;
static PIRP HeldIrp;

static int StartMachine(BOOLEAN Verifier)
{
    IRPSIM_CONFIG Config;
    IrpSimDefaultConfig(&Config);
    Config.Verifier = Verifier;
    if (IrpSimInitialize(&Config) != STATUS_SUCCESS)
        return -1;
    IoTestLogCount = 0;
    HeldIrp = NULL;
    Driver = IoTestLoad(L"\\Driver\\IoTest");
    return Driver != NULL ? 0 : -1;
}

static int Setup(void **State)
{
    (void)State;
    return StartMachine(TRUE);
}

static int SetupNoVerifier(void **State)
{
    (void)State;
    return StartMachine(FALSE);
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return 0;
}

IRPSIM_TRACED_FIXTURES(SetupTraced, TeardownTraced, Setup, Teardown)

static NTSTATUS KeepIrp(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    IoTestLogEvent('C', DeviceObject, 'O', Irp);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static PIRP SendHeld(PDEVICE_OBJECT Device)
{
    PIRP Irp = IoAllocateIrp(Device->StackSize, FALSE);
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    IoSetCompletionRoutine(Irp, KeepIrp, NULL, TRUE, TRUE, TRUE);
    assert_int_equal(IoCallDriver(Device, Irp), STATUS_PENDING);
    return Irp;
}

static NTSTATUS PendNoCancelRoutine(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoMarkIrpPending(Irp);
    HeldIrp = Irp;
    return STATUS_PENDING;
}

/* ---- the driver's cancel routine, per 5.3 ---- */

static PDEVICE_OBJECT CancelSawDevice;
static KIRQL CancelSawIrql;
static BOOLEAN CancelSawLockHeld;
static BOOLEAN CancelReleasesLock = TRUE;

static VOID NTAPI HeldCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoTestLogEvent('X', DeviceObject, 'X', Irp);
    CancelSawDevice = DeviceObject;
    CancelSawIrql = KeGetCurrentIrql();
    CancelSawLockHeld = KiThreadHoldsSpinLock(KeGetCurrentThread(), &IopCancelSpinLock);
    assert_true(Irp->Cancel);
    assert_null(Irp->CancelRoutine);
    if (!CancelReleasesLock)
        return; /* the bug behind 0x11B */
    IoReleaseCancelSpinLock(Irp->CancelIrql);
    HeldIrp = NULL;
    Irp->IoStatus.Status = STATUS_CANCELLED;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

static NTSTATUS PendCancelable(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoMarkIrpPending(Irp);
    HeldIrp = Irp;
    IoSetCancelRoutine(Irp, HeldCancel);
    if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL) {
        HeldIrp = NULL;
        Irp->IoStatus.Status = STATUS_CANCELLED;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
    }
    return STATUS_PENDING;
}

/* 5.1 [observed on Windows]: no cancel routine: FALSE, and Cancel stays set. */
static void TestCancelWithoutRoutine(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, PendNoCancelRoutine);
    PIRP Irp = SendHeld(Device);
    (void)State;
    assert_false(IoCancelIrp(Irp));
    assert_true(Irp->Cancel);
    assert_false(IoCancelIrp(Irp));
    assert_true(Irp->Cancel);
    HeldIrp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(HeldIrp, IO_NO_INCREMENT);
    IoFreeIrp(Irp);
}

/* 5.1/5.3: the routine runs at DISPATCH_LEVEL with the cancel lock held,
   Cancel TRUE and CancelRoutine NULL, given the current slot's device and
   CancelIrql = the caller's IRQL; IoCancelIrp returns TRUE. */
static void TestCancelRoutineContract(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, PendCancelable);
    PIRP Irp = SendHeld(Device);
    IRPSIM_TRACE_EVENT Event;
    ULONG Index = 0;
    (void)State;
    assert_true(IoCancelIrp(Irp));
    assert_ptr_equal(CancelSawDevice, Device);
    assert_int_equal(CancelSawIrql, DISPATCH_LEVEL);
    assert_true(CancelSawLockHeld);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_false(KiThreadHoldsSpinLock(KeGetCurrentThread(), &IopCancelSpinLock));
    /* Completed by the cancel routine, then the originator's routine. */
    assert_int_equal(IoTestLogCount, 2);
    assert_int_equal(IoTestLog[0].Kind, 'X');
    assert_int_equal(IoTestLog[1].Kind, 'C');
    assert_int_equal(IoTestLog[1].Status, STATUS_CANCELLED);
    assert_true(Irp->Cancel);
    assert_false(IoCancelIrp(Irp)); /* the routine already ran */
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceIrpCancelRequested, Irp, &Event));
    assert_ptr_equal(Event.Argument[0], HeldCancel);
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceIrpCancelRoutineRun, Irp, &Event));
    assert_ptr_equal(Event.Argument[1], Device);
    IoFreeIrp(Irp);
}

/* 5.2: IoSetCancelRoutine is an exchange returning the previous routine. */
static void TestSetCancelRoutineExchange(void **State)
{
    PIRP Irp = IoAllocateIrp(1, FALSE);
    (void)State;
    assert_null(IoSetCancelRoutine(Irp, HeldCancel));
    assert_ptr_equal(Irp->CancelRoutine, HeldCancel);
    assert_ptr_equal(IoSetCancelRoutine(Irp, NULL), HeldCancel);
    assert_null(IoSetCancelRoutine(Irp, NULL));
    IoFreeIrp(Irp);
}

/* 5.2: returning from a cancel routine with the cancel lock held is
   0x11B DRIVER_RETURNED_HOLDING_CANCEL_LOCK (P1 IRP, P2 routine). */
static void TestReturnHoldingCancelLock(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, PendCancelable);
    PIRP Irp = SendHeld(Device);
    (void)State;
    CancelReleasesLock = FALSE;
    irpsim_assert_bugcheck(DRIVER_RETURNED_HOLDING_CANCEL_LOCK, IoCancelIrp(Irp));
    CancelReleasesLock = TRUE;
    irpsim_assert_bugcheck_parameter(0, Irp);
    irpsim_assert_bugcheck_parameter(1, HeldCancel);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    HeldIrp->IoStatus.Status = STATUS_CANCELLED;
    IoCompleteRequest(HeldIrp, IO_NO_INCREMENT);
    IoFreeIrp(Irp);
}

/* 3.1 + 5.1 without the verifier: completing with the cancel routine still
   set goes unnoticed, and a later IoCancelIrp raises 0x48
   CANCEL_STATE_IN_COMPLETED_IRP (P1 IRP, P2 routine). */
static NTSTATUS CompleteLeavingCancelRoutine(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoSetCancelRoutine(Irp, HeldCancel);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT); /* the bug */
    return STATUS_SUCCESS;
}

static void TestCancelAfterCompletionWithRoutine(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, CompleteLeavingCancelRoutine);
    IO_STATUS_BLOCK Iosb;
    PIRP Irp;
    (void)State;

    /* Still in memory after its walk (its issuer defers stage 2). */
    Irp = IoAllocateIrp(1, FALSE);
    Irp->Tail.Overlay.Thread = PsGetCurrentThread();
    Irp->UserIosb = &Iosb;
    Irp->Flags = IRP_DEFER_IO_COMPLETION;
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    assert_int_equal(IoCallDriver(Device, Irp), STATUS_SUCCESS);
    irpsim_assert_bugcheck(CANCEL_STATE_IN_COMPLETED_IRP, IoCancelIrp(Irp));
    irpsim_assert_bugcheck_parameter(0, Irp);
    irpsim_assert_bugcheck_parameter(1, HeldCancel);
    IopCompleteDeferredRequest(Irp);

    /* Completed and freed: irpsim remembers the routine. */
    Irp = IoAllocateIrp(1, FALSE);
    Irp->Tail.Overlay.Thread = PsGetCurrentThread();
    Irp->UserIosb = &Iosb;
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    assert_int_equal(IoCallDriver(Device, Irp), STATUS_SUCCESS);
    assert_true(VfIrpIsFreed(Irp));
    irpsim_assert_bugcheck(CANCEL_STATE_IN_COMPLETED_IRP, IoCancelIrp(Irp));
    irpsim_assert_bugcheck_parameter(0, Irp);
    irpsim_assert_bugcheck_parameter(1, HeldCancel);
}

/* IoCancelIrp on an IRP that was completed and freed is a use after free. */
static void TestCancelFreedIrp(void **State)
{
    PIRP Irp = IoAllocateIrp(1, FALSE);
    (void)State;
    IoFreeIrp(Irp);
    irpsim_assert_bugcheck(0xCC, IoCancelIrp(Irp));
    irpsim_assert_bugcheck_parameter(0, Irp);
}

/* ---- 5.5: thread exit cancels the thread's IRPs ---- */

static IO_STATUS_BLOCK ThreadIosb;
static KEVENT ThreadEvent;
static PDEVICE_OBJECT ThreadTarget;
static PIRP ThreadIrp;

static VOID NTAPI IssueAndExit(PVOID Context)
{
    PIRP Irp = IoAllocateIrp(ThreadTarget->StackSize, FALSE);
    UNREFERENCED_PARAMETER(Context);
    ThreadIrp = Irp;
    Irp->UserIosb = &ThreadIosb;
    Irp->UserEvent = &ThreadEvent;
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    IopQueueThreadIrp(Irp, PsGetCurrentThread());
    (void)IoCallDriver(ThreadTarget, Irp);
    /* Returning ends the thread; its exit cancels the IRP. */
}

static VOID StartIssuer(PDEVICE_OBJECT Target, PHANDLE Handle)
{
    ThreadIosb.Status = (NTSTATUS)0x12345678;
    KeInitializeEvent(&ThreadEvent, NotificationEvent, FALSE);
    ThreadTarget = Target;
    assert_int_equal(PsCreateSystemThread(Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, IssueAndExit, NULL),
                     STATUS_SUCCESS);
}

static VOID WaitForThread(HANDLE Handle)
{
    PVOID Thread;
    LARGE_INTEGER Timeout;
    Timeout.QuadPart = -30 * 10000000LL; /* a hang guard, not a timing assertion */
    assert_int_equal(ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, &Thread, NULL),
                     STATUS_SUCCESS);
    assert_int_equal(KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, &Timeout), STATUS_SUCCESS);
    ObDereferenceObject(Thread);
    ZwClose(Handle);
}

static void TestThreadExitCancelsIrps(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, PendCancelable);
    HANDLE Handle;
    (void)State;
    StartIssuer(Device, &Handle);
    WaitForThread(Handle);
    /* The cancel routine completed it, and stage 2 ran in the exiting thread. */
    assert_int_equal(IoTestLogCount, 1);
    assert_int_equal(IoTestLog[0].Kind, 'X');
    assert_int_equal(ThreadIosb.Status, STATUS_CANCELLED);
    assert_int_equal(KeReadStateEvent(&ThreadEvent), 1);
    assert_true(VfIrpIsFreed(ThreadIrp));
}

/* 5.5: an IRP that is not completed in time is disassociated from the
   exiting thread; when the driver finally completes it, it is freed
   without reporting to anyone. */
static void TestThreadExitDisassociates(void **State)
{
    PDEVICE_OBJECT Device = IoTestCreateDevice(Driver, NULL, PendNoCancelRoutine);
    VF_IRP_ENTRY Entry;
    HANDLE Handle;
    (void)State;
    IopSetThreadIoCancelLimits(10000, 1); /* 1 ms polls, give up after one */
    StartIssuer(Device, &Handle);
    WaitForThread(Handle);
    assert_non_null(HeldIrp);
    assert_true(HeldIrp->Cancel);
    assert_null(HeldIrp->Tail.Overlay.Thread);
    assert_true(IsListEmpty(&HeldIrp->ThreadListEntry));
    assert_true(VfIrpQuery(HeldIrp, &Entry));
    assert_true(Entry.Disassociated);
    HeldIrp->IoStatus.Status = STATUS_CANCELLED;
    IoCompleteRequest(HeldIrp, IO_NO_INCREMENT);
    assert_true(VfIrpIsFreed(ThreadIrp));
    assert_int_equal(ThreadIosb.Status, (NTSTATUS)0x12345678);
    assert_int_equal(KeReadStateEvent(&ThreadEvent), 0);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestCancelWithoutRoutine, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestCancelRoutineContract, SetupTraced, TeardownTraced),
        cmocka_unit_test_setup_teardown(TestSetCancelRoutineExchange, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestReturnHoldingCancelLock, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestCancelAfterCompletionWithRoutine, SetupNoVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestCancelFreedIrp, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestThreadExitCancelsIrps, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestThreadExitDisassociates, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
