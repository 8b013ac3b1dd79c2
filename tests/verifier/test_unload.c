/*
 * Unload (SEMANTICS.md 9.6-9.10, 10.2, 10.5): a driver whose DriverUnload
 * returns while a timer is set, a DPC queued, an executive work item or a
 * system thread still running, or an IRP still held, crashes Windows later
 * (0xCE DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS); irpsim
 * raises it at unload with the list. I/O work items hold a reference (a
 * warning, 0xC4/0x1515). Pool left behind is reported per tag (0xC4/0x62),
 * devices / IRPs / MDLs as 0xC4/0x1516; IrpSimShutdown summarises.
 */
#include "vftest.h"
#include "unload_driver.h"

static PDRIVER_OBJECT Driver;

static KDPC Blocker;
static volatile LONG BlockerGo, BlockerRunning;

static VOID BlockerRoutine(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    (void)Dpc;
    (void)Context;
    (void)Argument1;
    (void)Argument2;
    __atomic_store_n(&BlockerRunning, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&BlockerGo, __ATOMIC_SEQ_CST))
        YieldProcessor();
}

/* Keeps processor 0 busy in a DPC so that DPCs queued behind it stay queued. */
static void BlockProcessor(void)
{
    __atomic_store_n(&BlockerGo, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&BlockerRunning, 0, __ATOMIC_SEQ_CST);
    KeInitializeDpc(&Blocker, BlockerRoutine, NULL);
    KeSetTargetProcessorDpc(&Blocker, 0);
    KeInsertQueueDpc(&Blocker, NULL, NULL);
    while (!__atomic_load_n(&BlockerRunning, __ATOMIC_SEQ_CST))
        YieldProcessor();
}

static void ReleaseProcessor(void)
{
    __atomic_store_n(&BlockerGo, 1, __ATOMIC_SEQ_CST);
    KeFlushQueuedDpcs();
}

static void Load(ULONG Start, BOOLEAN Cleans)
{
    UnloadStart = Start;
    UnloadCleans = Cleans;
    assert_int_equal(IrpSimLoadDriver(L"\\Driver\\Unload", UnloadDriverEntry, &Driver), STATUS_SUCCESS);
}

/* The correct driver undoes everything: no report at all. Its I/O work
   item signals its last event just before returning; the reference the
   I/O manager holds until the routine returns is what makes that safe on
   Windows, and irpsim lets the routine return before it looks. (An
   executive work item has no such reference: the few instructions after
   its last signal would run in unloaded code, so a correct driver does
   not use one where it must wait for it at unload; it is left out here.) */
static void test_clean_unload(void **State)
{
    PIRP Irp;
    (void)State;
    Load(UNLOAD_ALL & ~UNLOAD_EXWORK, TRUE);
    Irp = VfTestBuildIrp(UnloadDevice, IRP_MJ_READ, 0);
    assert_int_equal(IoCallDriver(UnloadDevice, Irp), STATUS_PENDING);
    assert_int_equal(IrpSimUnloadDriver(Driver), STATUS_SUCCESS);
    assert_int_equal(Irp->IoStatus.Status, STATUS_CANCELLED);
    IoFreeIrp(Irp);
    assert_int_equal(IrpSimGetShutdownLeakCount(), 0);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

static void ExpectPending(const char *What)
{
    irpsim_assert_bugcheck(DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, IrpSimUnloadDriver(Driver));
    irpsim_assert_bugcheck_parameter(3, 1); /* one pending operation */
    VfTestCaughtRuleHas(What);
    VfTestCaughtRuleHas("\\Driver\\Unload");
}

static void test_timer_still_set(void **State)
{
    (void)State;
    Load(UNLOAD_TIMER, FALSE);
    ExpectPending("KTIMER");
    irpsim_assert_bugcheck_parameter(0, &UnloadTimer);
    UnloadReleaseAll();
}

static void test_dpc_still_queued(void **State)
{
    (void)State;
    BlockProcessor();
    Load(UNLOAD_DPC, FALSE);
    ExpectPending("KDPC");
    irpsim_assert_bugcheck_parameter(0, &UnloadDpc);
    ReleaseProcessor();
    UnloadReleaseAll();
}

static void test_work_item_still_running(void **State)
{
    (void)State;
    Load(UNLOAD_EXWORK, FALSE);
    ExpectPending("executive work item");
    UnloadReleaseAll();
}

static void test_thread_still_running(void **State)
{
    (void)State;
    Load(UNLOAD_THREAD, FALSE);
    ExpectPending("system thread");
    UnloadReleaseAll();
}

static void test_irp_still_held(void **State)
{
    PIRP Irp;
    (void)State;
    Load(0, FALSE);
    Irp = VfTestBuildIrp(UnloadDevice, IRP_MJ_READ, 0);
    assert_int_equal(IoCallDriver(UnloadDevice, Irp), STATUS_PENDING);
    ExpectPending("IRP");
    irpsim_assert_bugcheck_parameter(0, Irp);
    UnloadHeldIrp->IoStatus.Status = STATUS_CANCELLED;
    IoCompleteRequest(UnloadHeldIrp, IO_NO_INCREMENT);
    IoFreeIrp(Irp);
}

/* I/O work items keep the driver loaded on Windows: a warning. */
static void test_io_work_item_warning(void **State)
{
    (void)State;
    Load(UNLOAD_IOWORK, FALSE);
    assert_int_equal(IrpSimUnloadDriver(Driver), STATUS_SUCCESS);
    assert_int_equal(IrpSimVerifierCountReports(DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_UNLOAD_REFERENCED_WORK), 1);
    UnloadReleaseAll();
}

/* Pool left behind: 0xC4/0x62 with the bytes, blocks and each tag. */
static void test_pool_left(void **State)
{
    IRPSIM_VERIFIER_REPORT Report = {0};
    (void)State;
    Load(UNLOAD_POOL, FALSE);
    assert_int_equal(IrpSimUnloadDriver(Driver), STATUS_SUCCESS);
    assert_int_equal(IrpSimGetShutdownLeakCount(), 1);
    assert_true(VfTestFindReport(DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_UNLOAD_POOL, &Report) >= 0);
    assert_string_equal((PCSTR)Report.Parameter[1], "\\Driver\\Unload");
    assert_int_equal(Report.Parameter[2], UNLOAD_POOL_BYTES);
    assert_int_equal(Report.Parameter[3], 1);
    assert_non_null(strstr(Report.Rule, "tag 'Leak'"));
}

/* A device never deleted: 0xC4/0x1516. */
static void test_device_left(void **State)
{
    IRPSIM_VERIFIER_REPORT Report = {0};
    (void)State;
    Load(UNLOAD_DEVICE, FALSE);
    assert_int_equal(IrpSimUnloadDriver(Driver), STATUS_SUCCESS);
    assert_true(VfTestFindReport(DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_UNLOAD_LEAKS, &Report) >= 0);
    assert_int_equal(Report.Parameter[2], 1);
}

/* The unload class switched off: nothing is raised. */
static void test_unload_class_off(void **State)
{
    (void)State;
    IrpSimVerifierSetRules(IRPSIM_VERIFIER_ALL & ~IRPSIM_VERIFIER_UNLOAD);
    Load(UNLOAD_TIMER, FALSE);
    assert_int_equal(IrpSimUnloadDriver(Driver), STATUS_SUCCESS);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
    UnloadReleaseAll();
}

/* At IrpSimShutdown the drivers still loaded are unloaded: what they leave
   is reported (recorded, readable after shutdown), not raised. A timer of a
   driver that cannot be unloaded is listed but is not a leak. */
static void test_shutdown(void **State)
{
    PDRIVER_OBJECT Staying;
    (void)State;
    Load(UNLOAD_TIMER, FALSE);
    assert_int_equal(IrpSimLoadDriver(L"\\Driver\\Staying", StayingDriverEntry, &Staying), STATUS_SUCCESS);
    IrpSimShutdown();
    assert_int_equal(
        IrpSimVerifierCountReports(DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS, IRPSIM_VERIFIER_ANY_SUBCODE),
        1);
    /* The Unload driver's timer is counted; the Staying driver's is not. */
    assert_int_equal(IrpSimGetShutdownLeakCount(), 1);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_clean_unload, VfTestSetup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_timer_still_set, VfTestSetup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_dpc_still_queued, VfTestSetup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_work_item_still_running, VfTestSetup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_thread_still_running, VfTestSetup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_irp_still_held, VfTestSetup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_io_work_item_warning, VfTestSetup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_pool_left, VfTestSetup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_device_left, VfTestSetup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_unload_class_off, VfTestSetup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_shutdown, VfTestSetup, VfTestTeardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
