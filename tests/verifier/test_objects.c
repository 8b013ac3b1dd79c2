/*
 * Kernel objects (SEMANTICS.md 6.2, 7.2, 9.3, 9.6, 9.7, 9.10): a KEVENT,
 * KTIMER, KDPC, KDEVICE_QUEUE or IO_CSQ used without being initialised; a
 * set timer or queued DPC initialised again; pool freed while it holds a
 * set timer (0xC7, P1 0) or a queued DPC (0xC7, P1 1).
 */
#include "vftest.h"
#include "objects_driver.h"

static PDRIVER_OBJECT Driver;

/* An IRP with a current stack location, as a driver receives one. */
static PIRP DriverSideIrp(void)
{
    PIRP Irp = IoAllocateIrp(2, FALSE);
    IoSetNextIrpStackLocation(Irp);
    return Irp;
}

static int Load(void **State, BOOLEAN Initialise)
{
    if (VfTestSetup(State) != 0)
        return -1;
    ObjectsInitialise = Initialise;
    return IrpSimLoadDriver(L"\\Driver\\Objects", ObjectsDriverEntry, &Driver) == STATUS_SUCCESS ? 0 : -1;
}

static int Setup(void **State)
{
    return Load(State, TRUE);
}

/* The bug: DriverEntry never initialises the objects in its extension. */
static int SetupForgetful(void **State)
{
    return Load(State, FALSE);
}

static void test_initialised_objects_work(void **State)
{
    KDEVICE_QUEUE_ENTRY Entry;
    PIRP Irp = DriverSideIrp();
    POBJECTS_EXTENSION Extension = (POBJECTS_EXTENSION)ObjectsDevice->DeviceExtension;
    (void)State;
    ObjectsSignal();
    ObjectsArmTimer();
    ObjectsQueueDpc();
    KeFlushQueuedDpcs();
    assert_false(ObjectsQueueEntry(&Entry)); /* idle: now busy, nothing queued */
    assert_int_equal(ObjectsQueueIrp(Irp), STATUS_SUCCESS);
    assert_ptr_equal(IoCsqRemoveNextIrp(&Extension->Csq.Csq, NULL), Irp);
    ObjectsUndo();
    IoFreeIrp(Irp);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

/* 0xC4/0x1002 for each of KEVENT, KTIMER, KDPC, KDEVICE_QUEUE. */
static void test_uninitialised_kernel_objects(void **State)
{
    KDEVICE_QUEUE_ENTRY Entry;
    POBJECTS_EXTENSION Extension = (POBJECTS_EXTENSION)ObjectsDevice->DeviceExtension;
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ObjectsSignal());
    assert_int_equal(VfTestCaughtSubCode(), 0x1002);
    irpsim_assert_bugcheck_parameter(1, &Extension->Event);
    VfTestCaughtRuleHas("KEVENT");
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ObjectsArmTimer());
    assert_int_equal(VfTestCaughtSubCode(), 0x1002);
    irpsim_assert_bugcheck_parameter(1, &Extension->Timer);
    VfTestCaughtRuleHas("KTIMER");
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ObjectsQueueDpc());
    assert_int_equal(VfTestCaughtSubCode(), 0x1002);
    irpsim_assert_bugcheck_parameter(1, &Extension->Dpc);
    VfTestCaughtRuleHas("KDPC");
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ObjectsQueueEntry(&Entry));
    assert_int_equal(VfTestCaughtSubCode(), 0x1002);
    irpsim_assert_bugcheck_parameter(1, &Extension->Queue);
}

/* An uninitialised IO_CSQ: Windows calls through a NULL callback, an access
   violation in kernel mode (0x1E below DISPATCH_LEVEL). */
static void test_uninitialised_csq(void **State)
{
    PIRP Irp = DriverSideIrp();
    (void)State;
    irpsim_assert_bugcheck(0x1E, ObjectsQueueIrp(Irp));
    VfTestCaughtRuleHas("IO_CSQ that was never initialised");
    IoFreeIrp(Irp);
}

/* 0xC4/0x1500: KeInitializeTimer on a timer that is set. */
static void test_reinitialise_set_timer(void **State)
{
    (void)State;
    ObjectsArmTimer();
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ObjectsReinitialiseTimer());
    assert_int_equal(VfTestCaughtSubCode(), 0x1500);
    ObjectsUndo();
    ObjectsReinitialiseTimer(); /* fine once cancelled */
}

/* 0xC4/0x1501: KeInitializeDpc on a DPC that is queued. */
static void test_reinitialise_queued_dpc(void **State)
{
    (void)State;
    ObjectsBlockProcessor();
    ObjectsQueueDpc();
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ObjectsReinitialiseDpc());
    assert_int_equal(VfTestCaughtSubCode(), 0x1501);
    ObjectsUndo();
    ObjectsReinitialiseDpc(); /* fine once removed */
    ObjectsReleaseProcessor();
}

/* 0xC7 P1 0: pool freed while it holds a set timer. */
static void test_free_pool_with_set_timer(void **State)
{
    POBJECTS_CONTEXT Context = ObjectsNewContext();
    LARGE_INTEGER Due;
    (void)State;
    Due.QuadPart = -36000000000LL;
    KeSetTimer(&Context->Timer, Due, NULL);
    ObjectsFreeContext(Context, TRUE); /* correct: cancel, then free */

    Context = ObjectsNewContext();
    KeSetTimer(&Context->Timer, Due, NULL);
    irpsim_assert_bugcheck(TIMER_OR_DPC_INVALID, ObjectsFreeContext(Context, FALSE));
    irpsim_assert_bugcheck_parameter(0, VF_C7_TIMER);
    irpsim_assert_bugcheck_parameter(1, &Context->Timer);
    irpsim_assert_bugcheck_parameter(2, Context);
    irpsim_assert_bugcheck_parameter(3, (PCHAR)Context + sizeof(*Context));
    ObjectsFreeContext(Context, TRUE); /* the free did not happen */
}

/* 0xC7 P1 1: pool freed while it holds a queued DPC. */
static void test_free_pool_with_queued_dpc(void **State)
{
    POBJECTS_CONTEXT Context = ObjectsNewContext();
    (void)State;
    ObjectsBlockProcessor();
    assert_true(KeInsertQueueDpc(&Context->Dpc, NULL, NULL));
    irpsim_assert_bugcheck(TIMER_OR_DPC_INVALID, ObjectsFreeContext(Context, FALSE));
    irpsim_assert_bugcheck_parameter(0, VF_C7_DPC);
    irpsim_assert_bugcheck_parameter(1, &Context->Dpc);
    ObjectsFreeContext(Context, TRUE);
    ObjectsReleaseProcessor();
}

/* 0xC4/0xD2: pool freed while it holds an ERESOURCE never deleted
   (Driver Verifier's miscellaneous checks: "active resources in freed
   memory"); the correct driver calls ExDeleteResourceLite first. */
static void test_free_pool_with_live_resource(void **State)
{
    POBJECTS_CONTEXT Context = ObjectsNewContext();
    (void)State;
    assert_non_null(Context);
    assert_int_equal(ObjectsInitializeResource(Context), STATUS_SUCCESS);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ObjectsFreeContext(Context, FALSE));
    irpsim_assert_bugcheck_parameter(0, VF_C4_FREED_ACTIVE_RESOURCE);
    irpsim_assert_bugcheck_parameter(1, &Context->Resource);
    irpsim_assert_bugcheck_parameter(2, Context);
    irpsim_assert_bugcheck_parameter(3, sizeof(*Context));
    ObjectsFreeContext(Context, TRUE); /* the block was not freed: free it the right way */
}

static void test_free_pool_after_deleting_resource(void **State)
{
    POBJECTS_CONTEXT Context = ObjectsNewContext();
    (void)State;
    assert_non_null(Context);
    assert_int_equal(ObjectsInitializeResource(Context), STATUS_SUCCESS);
    ObjectsFreeContext(Context, TRUE);
    assert_int_equal(IrpSimVerifierCountReports(DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_FREED_ACTIVE_RESOURCE), 0);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_initialised_objects_work, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_uninitialised_kernel_objects, SetupForgetful, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_uninitialised_csq, SetupForgetful, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_reinitialise_set_timer, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_reinitialise_queued_dpc, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_free_pool_with_set_timer, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_free_pool_with_queued_dpc, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_free_pool_with_live_resource, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_free_pool_after_deleting_resource, Setup, VfTestTeardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
