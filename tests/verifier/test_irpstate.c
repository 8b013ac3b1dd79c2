/*
 * The IRP life-cycle rules (SEMANTICS.md 1.6, 3.1, 3.10, 10.3, 10.4, 10.7):
 * completing twice, completing with a cancel routine or STATUS_PENDING,
 * completing an IRP never sent, running out of stack locations, copying a
 * location without a completion routine, IoFreeIrp of a queued, threaded
 * or driver-initialised IRP, use after free, a driver-made IRP whose
 * completion runs past its creator, Information beyond the buffer, reuse.
 */
#include "vftest.h"
#include "irpstate_driver.h"
#include "io/iop.h" /* white box: thread IRP lists, freeing an IRP the way the I/O manager does */

static PDRIVER_OBJECT Driver;

static int Setup(void **State)
{
    if (VfTestSetup(State) != 0)
        return -1;
    IrpStateMode = StateComplete;
    IrpStateHeld = NULL;
    return IrpSimLoadDriver(L"\\Driver\\IrpState", IrpStateDriverEntry, &Driver) == STATUS_SUCCESS ? 0 : -1;
}

/* An IRP the way the I/O manager issues one for a thread: no completion
   routine of the originator, so stage 2 runs and frees it. */
static PIRP ThreadedStyleIrp(PIO_STATUS_BLOCK Iosb)
{
    PIRP Irp = IoAllocateIrp(IrpStateDevice->StackSize, FALSE);
    Irp->Tail.Overlay.Thread = PsGetCurrentThread();
    Irp->UserIosb = Iosb;
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    return Irp;
}

/* 0x44: a driver completing the same IRP twice. By the second call stage 2
   has freed it, which irpsim sees in its quarantine. */
static void test_complete_twice(void **State)
{
    IO_STATUS_BLOCK Iosb;
    (void)State;
    IrpStateMode = StateComplete;
    assert_int_equal(IoCallDriver(IrpStateDevice, ThreadedStyleIrp(&Iosb)), STATUS_SUCCESS);
    assert_int_equal(Iosb.Status, STATUS_SUCCESS);

    IrpStateMode = StateCompleteTwice;
    irpsim_assert_bugcheck(MULTIPLE_IRP_COMPLETE_REQUESTS, IoCallDriver(IrpStateDevice, ThreadedStyleIrp(&Iosb)));
    VfTestCaughtRuleHas("already been freed");
}

/* 0xC9/0x07: completed with the cancel routine still set. */
static void test_complete_with_cancel_routine(void **State)
{
    PIRP Irp = VfTestBuildIrp(IrpStateDevice, IRP_MJ_READ, 0);
    (void)State;
    IrpStateMode = StateCompleteWithCancel;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoCallDriver(IrpStateDevice, Irp));
    assert_int_equal(VfTestCaughtSubCode(), 0x07);
    irpsim_assert_bugcheck_parameter(2, Irp);
    /* Finish it properly. */
    (void)IoSetCancelRoutine(Irp, NULL);
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    IoFreeIrp(Irp);

    IrpStateMode = StateCompleteClearedCancel;
    assert_int_equal(VfTestIoctl(IrpStateDevice, VF_TEST_IOCTL(1)), STATUS_SUCCESS);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

/* 0xC9/0x06: completed with STATUS_PENDING as the final status. */
static void test_complete_with_pending_status(void **State)
{
    PIRP Irp = VfTestBuildIrp(IrpStateDevice, IRP_MJ_READ, 0);
    (void)State;
    IrpStateMode = StateCompletePending;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoCallDriver(IrpStateDevice, Irp));
    assert_int_equal(VfTestCaughtSubCode(), 0x06);
    irpsim_assert_bugcheck_parameter(1, STATUS_PENDING);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    IoFreeIrp(Irp);
}

/* 0xC9/0x239 (warning): the creator completed an IRP it never sent. */
static void test_complete_never_sent(void **State)
{
    (void)State;
    IrpStateCompleteOwnIrp(TRUE);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
    IrpStateCompleteOwnIrp(FALSE);
    assert_int_equal(IrpSimVerifierCountReports(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x239), 1);
}

/* 0xC9/0x208 (warning): fewer stack locations left than the target's
   stack needs. */
static void test_stack_locations_run_out(void **State)
{
    IRPSIM_VERIFIER_REPORT Report = {0};
    (void)State;
    assert_int_equal(IrpStateSendOwnIrp(TRUE, TRUE), STATUS_SUCCESS);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
    assert_int_equal(IrpStateSendOwnIrp(FALSE, TRUE), STATUS_SUCCESS);
    assert_true(VfTestFindReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x208, &Report) >= 0);
    assert_int_equal(Report.Severity, IrpSimVerifierWarning);
    assert_int_equal(Report.Parameter[3], (ULONG_PTR)IrpStateFilter);
}

/* 0xC9/0x21C (warning): a location copied without a completion routine. */
static void test_copy_without_completion_routine(void **State)
{
    (void)State;
    IrpStateMode = StateFilterSkip;
    assert_int_equal(VfTestIoctl(IrpStateFilter, VF_TEST_IOCTL(2)), STATUS_SUCCESS);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
    IrpStateMode = StateFilterCopyNoRoutine;
    assert_int_equal(VfTestIoctl(IrpStateFilter, VF_TEST_IOCTL(2)), STATUS_SUCCESS);
    assert_int_equal(IrpSimVerifierCountReports(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x21C), 1);
}

/* 0xC9/0x20A: IoFreeIrp of an IRP a driver still has queued (CSQ). */
static void test_free_queued_irp(void **State)
{
    PIRP Irp = VfTestBuildIrp(IrpStateDevice, IRP_MJ_READ, 0);
    PIRP Dequeued;
    (void)State;
    IrpStateMode = StateQueue;
    assert_int_equal(IoCallDriver(IrpStateDevice, Irp), STATUS_PENDING);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoFreeIrp(Irp));
    assert_int_equal(VfTestCaughtSubCode(), 0x20A);
    VfTestCaughtRuleHas("still queued");
    /* The correct order: the driver dequeues and completes, then the
       originator frees. */
    Dequeued = IrpStateDequeue();
    assert_ptr_equal(Dequeued, Irp);
    Dequeued->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Dequeued, IO_NO_INCREMENT);
    IoFreeIrp(Irp);
}

/* 0xC9/0x20C: IoFreeIrp of an IRP still on its thread's IRP list. */
static void test_free_threaded_irp(void **State)
{
    PIRP Irp = IoAllocateIrp(1, FALSE);
    (void)State;
    IopQueueThreadIrp(Irp, PsGetCurrentThread());
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoFreeIrp(Irp));
    assert_int_equal(VfTestCaughtSubCode(), 0x20C);
    IopDequeueThreadIrp(Irp, PsGetCurrentThread());
    IoFreeIrp(Irp);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

/* IoFreeIrp of driver memory initialised with IoInitializeIrp (SDV
   IoAllocateFree; a warning: Windows hands it to ExFreePool). */
static void test_free_driver_initialised_irp(void **State)
{
    IRPSIM_VERIFIER_REPORT Report = {0};
    (void)State;
    IrpStateFreeDriverIrp(FALSE);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
    IrpStateFreeDriverIrp(TRUE);
    assert_true(VfTestFindReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, VF_C9_FREE_NOT_IO_ALLOCATED, &Report) >= 0);
    assert_int_equal(Report.Parameter[3], IrpSimIrpOriginDriverInitialized);
    assert_non_null(strstr(Report.Rule, "IoInitializeIrp"));
}

/* Use after free: IoCancelIrp on an IRP whose completion freed it. */
static void test_use_after_free(void **State)
{
    IO_STATUS_BLOCK Iosb;
    PIRP Irp = ThreadedStyleIrp(&Iosb);
    (void)State;
    IrpStateMode = StateComplete;
    assert_int_equal(IoCallDriver(IrpStateDevice, Irp), STATUS_SUCCESS);
    irpsim_assert_bugcheck(0xCC, IoCancelIrp(Irp));
    VfTestCaughtRuleHas("already been freed");
}

/* 0x0A: a driver-made IRP whose completion routine lets completion go on
   to an owner (thread) that does not exist. The correct routine returns
   STATUS_MORE_PROCESSING_REQUIRED. */
static void test_completion_past_creator(void **State)
{
    (void)State;
    assert_int_equal(IrpStateSendOwnIrp(TRUE, TRUE), STATUS_SUCCESS);
    irpsim_assert_bugcheck(IRQL_NOT_LESS_OR_EQUAL, IrpStateSendOwnIrp(TRUE, FALSE));
    VfTestCaughtRuleHas("does not exist");
    VfTestCaughtRuleHas("returned 0x00000000 instead of STATUS_MORE_PROCESSING_REQUIRED");
}

/* 0xC9/0x312 (non-fatal): Information larger than the output buffer. */
static void SendBuffered(IRPSTATE_MODE Mode)
{
    PIRP Irp = VfTestBuildIrp(IrpStateDevice, IRP_MJ_DEVICE_CONTROL, VF_TEST_IOCTL(3));
    PIO_STACK_LOCATION Next = IoGetNextIrpStackLocation(Irp);
    Next->Parameters.DeviceIoControl.OutputBufferLength = 4;
    Irp->Flags |= IRP_BUFFERED_IO;
    IrpStateMode = Mode;
    assert_int_equal(IoCallDriver(IrpStateDevice, Irp), STATUS_SUCCESS);
    IoFreeIrp(Irp);
}

static void test_information_beyond_buffer(void **State)
{
    (void)State;
    SendBuffered(StateInformationFits);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
    SendBuffered(StateInformationTooLarge);
    assert_int_equal(IrpSimVerifierCountReports(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x312), 1);
}

/* 0xC9/0x310 (non-fatal): IoReuseIrp on an IRP a driver still holds; made a
   bug check here so the held IRP stays intact. Reuse after completion is
   the correct way. */
static void test_reuse_in_use(void **State)
{
    PIRP Irp = VfTestBuildIrp(IrpStateDevice, IRP_MJ_READ, 0);
    PIRP Held;
    (void)State;
    IrpStateMode = StateHold;
    assert_int_equal(IoCallDriver(IrpStateDevice, Irp), STATUS_PENDING);
    IrpSimVerifierSetNonFatalAction(IrpSimVerifierStop);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoReuseIrp(Irp, STATUS_SUCCESS));
    assert_int_equal(VfTestCaughtSubCode(), 0x310);
    Held = IrpStateHeld;
    Held->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Held, IO_NO_INCREMENT);
    IoReuseIrp(Irp, STATUS_SUCCESS);
    IoFreeIrp(Irp);
}

/* 0xC9/0x311 (non-fatal): IoReuseIrp on an associated IRP. */
static void test_reuse_associated(void **State)
{
    PIRP Master = IoAllocateIrp(1, FALSE);
    PIRP Associated = IoMakeAssociatedIrp(Master, 1);
    (void)State;
    IrpSimVerifierSetNonFatalAction(IrpSimVerifierStop);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoReuseIrp(Associated, STATUS_SUCCESS));
    assert_int_equal(VfTestCaughtSubCode(), 0x311);
    IopFreeIrp(Associated); /* the I/O manager's to free */
    IoFreeIrp(Master);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_complete_twice, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_complete_with_cancel_routine, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_complete_with_pending_status, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_complete_never_sent, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_stack_locations_run_out, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_copy_without_completion_routine, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_free_queued_irp, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_free_threaded_irp, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_free_driver_initialised_irp, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_use_after_free, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_completion_past_creator, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_information_beyond_buffer, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_reuse_in_use, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_reuse_associated, Setup, VfTestTeardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
