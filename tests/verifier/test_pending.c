/*
 * The STATUS_PENDING contract and the status a dispatch routine returns
 * (SEMANTICS.md 4.3, 4.4): 0x23D, 0x23E, 0x228 and 0x307 are non-fatal
 * (reported, recorded, the driver goes on), 0x224 and 0x226 are fatal,
 * 0x225 non-fatal. Each buggy driver behaviour has a correct twin that
 * reports nothing.
 */
#include "vftest.h"
#include "pending_driver.h"
#include "verifier/irpstate.h" /* white box: mark an IRP as built by IoBuildDeviceIoControlRequest */

static PDRIVER_OBJECT Driver;

static int Setup(void **State)
{
    if (VfTestSetup(State) != 0)
        return -1;
    PendingFilterMode = PendCompleteSuccess;
    PendingLowerMode = PendCompleteSuccess;
    PendingRoutinePropagates = TRUE;
    PendingFilterSetsRoutine = FALSE;
    PendingHeldIrp = NULL;
    return IrpSimLoadDriver(L"\\Driver\\Pending", PendingDriverEntry, &Driver) == STATUS_SUCCESS ? 0 : -1;
}

/* Completes the IRP a "hold" mode kept, as the driver eventually would. */
static void FinishHeld(NTSTATUS Status)
{
    PIRP Irp = PendingHeldIrp;
    assert_non_null(Irp);
    PendingHeldIrp = NULL;
    Irp->IoStatus.Status = Status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

/* 0x23D: STATUS_PENDING without IoMarkIrpPending. Non-fatal: IoCallDriver
   returns and the report is recorded with the dispatch routine and IRP. */
static void test_pending_without_mark(void **State)
{
    IRPSIM_VERIFIER_REPORT Report = {0};
    PIRP Irp = VfTestBuildIrp(PendingFilter, IRP_MJ_READ, 0);
    (void)State;
    PendingFilterMode = PendWithoutMark;
    assert_int_equal(IoCallDriver(PendingFilter, Irp), STATUS_PENDING);
    assert_int_equal(IrpSimVerifierCountReports(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x23D), 1);
    assert_true(VfTestFindReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x23D, &Report) >= 0);
    assert_int_equal(Report.Parameter[2], (ULONG_PTR)Irp);
    assert_int_equal(Report.Parameter[3], (ULONG_PTR)PendingFilter);
    assert_int_equal(Report.Severity, IrpSimVerifierNonFatal);
    assert_int_equal(Report.RuleClass, IRPSIM_VERIFIER_PENDING);
    assert_int_equal(Report.Occurrence, 1);
    assert_non_null(strstr(Report.Text, "0xC9/0x23D"));
    assert_non_null(strstr(Report.Rule, "IoMarkIrpPending"));
    FinishHeld(STATUS_SUCCESS);
    IoFreeIrp(Irp);

    /* The same bug again is counted, and printed only once. */
    Irp = VfTestBuildIrp(PendingFilter, IRP_MJ_READ, 0);
    assert_int_equal(IoCallDriver(PendingFilter, Irp), STATUS_PENDING);
    assert_int_equal(IrpSimVerifierCountReports(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x23D), 2);
    assert_true(VfTestFindReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x23D, &Report) >= 0);
    assert_int_equal(Report.Occurrence, 2);
    FinishHeld(STATUS_SUCCESS);
    IoFreeIrp(Irp);
}

static void test_pending_marked_is_clean(void **State)
{
    PIRP Irp = VfTestBuildIrp(PendingFilter, IRP_MJ_READ, 0);
    (void)State;
    PendingFilterMode = PendMarked;
    assert_int_equal(IoCallDriver(PendingFilter, Irp), STATUS_PENDING);
    FinishHeld(STATUS_SUCCESS);
    IoFreeIrp(Irp);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

/* The test can make non-fatal reports stop the machine instead. */
static void test_nonfatal_can_stop(void **State)
{
    PIRP Irp = VfTestBuildIrp(PendingFilter, IRP_MJ_READ, 0);
    (void)State;
    IrpSimVerifierSetNonFatalAction(IrpSimVerifierStop);
    PendingFilterMode = PendWithoutMark;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoCallDriver(PendingFilter, Irp));
    assert_int_equal(VfTestCaughtSubCode(), 0x23D);
    FinishHeld(STATUS_SUCCESS);
    IoFreeIrp(Irp);
}

/* 0x23E: marked pending, returned something else. */
static void test_marked_but_not_pending(void **State)
{
    PIRP Irp = VfTestBuildIrp(PendingFilter, IRP_MJ_READ, 0);
    (void)State;
    PendingFilterMode = PendMarkReturnSuccess;
    assert_int_equal(IoCallDriver(PendingFilter, Irp), STATUS_SUCCESS);
    assert_int_equal(IrpSimVerifierCountReports(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x23E), 1);
    IoFreeIrp(Irp);
}

static void test_complete_and_return_same_is_clean(void **State)
{
    (void)State;
    PendingFilterMode = PendCompleteSuccess;
    assert_int_equal(VfTestIoctl(PendingFilter, VF_TEST_IOCTL(1)), STATUS_SUCCESS);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

/* 0x224 (fatal): completed with one status, returned another. */
static void test_returned_status_differs(void **State)
{
    PIRP Irp = VfTestBuildIrp(PendingFilter, IRP_MJ_READ, 0);
    (void)State;
    PendingFilterMode = PendCompleteReturnOther;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoCallDriver(PendingFilter, Irp));
    assert_int_equal(VfTestCaughtSubCode(), 0x224);
    irpsim_assert_bugcheck_parameter(2, Irp);
    VfTestCaughtRuleHas("0x00000000 but returned 0xC0000001");
    IoFreeIrp(Irp); /* its completion reached the originator's routine */
}

/* 0x226 (fatal): returned a status without completing, forwarding or pending. */
static void test_returned_without_completing(void **State)
{
    PIRP Irp = VfTestBuildIrp(PendingFilter, IRP_MJ_READ, 0);
    (void)State;
    PendingFilterMode = PendReturnWithoutComplete;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoCallDriver(PendingFilter, Irp));
    assert_int_equal(VfTestCaughtSubCode(), 0x226);
    irpsim_assert_bugcheck_parameter(3, PendingFilter);
    FinishHeld(STATUS_SUCCESS);
    IoFreeIrp(Irp);
}

/* Forwarding is one of the three legal outcomes: no 0x226 (and no 0x23D
   for returning the lower driver's STATUS_PENDING unmarked). */
static void test_forwarding_is_clean(void **State)
{
    PIRP Irp = VfTestBuildIrp(PendingFilter, IRP_MJ_READ, 0);
    (void)State;
    PendingFilterMode = PendForward;
    PendingLowerMode = PendMarked;
    assert_int_equal(IoCallDriver(PendingFilter, Irp), STATUS_PENDING);
    FinishHeld(STATUS_SUCCESS);
    IoFreeIrp(Irp);
    PendingLowerMode = PendCompleteSuccess;
    assert_int_equal(VfTestIoctl(PendingFilter, VF_TEST_IOCTL(2)), STATUS_SUCCESS);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

/* 0x225 (non-fatal): returned 0xFFFFFFFF, an uninitialised-looking status. */
static void test_returned_minus_one(void **State)
{
    PIRP Irp = VfTestBuildIrp(PendingFilter, IRP_MJ_READ, 0);
    (void)State;
    PendingFilterMode = PendForwardReturnMinusOne;
    assert_int_equal(IoCallDriver(PendingFilter, Irp), (NTSTATUS)0xFFFFFFFF);
    assert_int_equal(IrpSimVerifierCountReports(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x225), 1);
    IoFreeIrp(Irp);
}

/* 0x228 (non-fatal): a completion routine that does not propagate the
   pending bit it saw. The correct routine does. */
static void test_routine_does_not_propagate(void **State)
{
    PIRP Irp = VfTestBuildIrp(PendingFilter, IRP_MJ_READ, 0);
    (void)State;
    PendingFilterMode = PendForward;
    PendingFilterSetsRoutine = TRUE;
    PendingLowerMode = PendMarked;
    PendingRoutinePropagates = FALSE;
    assert_int_equal(IoCallDriver(PendingFilter, Irp), STATUS_PENDING);
    FinishHeld(STATUS_SUCCESS);
    assert_int_equal(IrpSimVerifierCountReports(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x228), 1);
    IoFreeIrp(Irp);

    PendingRoutinePropagates = TRUE;
    Irp = VfTestBuildIrp(PendingFilter, IRP_MJ_READ, 0);
    assert_int_equal(IoCallDriver(PendingFilter, Irp), STATUS_PENDING);
    FinishHeld(STATUS_SUCCESS);
    assert_int_equal(IrpSimVerifierCountReports(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x228), 1);
    IoFreeIrp(Irp);
}

/* 0x307 (non-fatal): a request its builder waits for, sent with an event
   that is already signalled, came back STATUS_PENDING. */
static void SendBuiltRequest(BOOLEAN Signalled)
{
    KEVENT Event;
    PIRP Irp = VfTestBuildIrp(PendingFilter, IRP_MJ_DEVICE_CONTROL, VF_TEST_IOCTL(3));
    KeInitializeEvent(&Event, NotificationEvent, Signalled);
    VfIrpSetOrigin(Irp, IrpSimIrpOriginIoBuildDeviceIoControlRequest);
    Irp->UserEvent = &Event;
    PendingFilterMode = PendMarked;
    assert_int_equal(IoCallDriver(PendingFilter, Irp), STATUS_PENDING);
    FinishHeld(STATUS_SUCCESS);
    Irp->UserEvent = NULL;
    IoFreeIrp(Irp);
}

static void test_signalled_event_pending(void **State)
{
    (void)State;
    SendBuiltRequest(FALSE);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
    SendBuiltRequest(TRUE);
    assert_int_equal(IrpSimVerifierCountReports(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x307), 1);
}

/* With the class switched off nothing is reported. */
static void test_class_off(void **State)
{
    PIRP Irp = VfTestBuildIrp(PendingFilter, IRP_MJ_READ, 0);
    (void)State;
    IrpSimVerifierSetRules(IRPSIM_VERIFIER_ALL & ~IRPSIM_VERIFIER_PENDING);
    PendingFilterMode = PendCompleteReturnOther;
    assert_int_equal(IoCallDriver(PendingFilter, Irp), STATUS_UNSUCCESSFUL);
    IoFreeIrp(Irp);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_pending_without_mark, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_pending_marked_is_clean, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_nonfatal_can_stop, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_marked_but_not_pending, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_complete_and_return_same_is_clean, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_returned_status_differs, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_returned_without_completing, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_forwarding_is_clean, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_returned_minus_one, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_routine_does_not_propagate, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_signalled_event_pending, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_class_off, Setup, VfTestTeardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
