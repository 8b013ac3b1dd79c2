/*
 * IRQL and locks across driver routines (SEMANTICS.md 2.2, 3.3, 5.3, 9.1,
 * 9.6, 10.5): a dispatch, completion, cancel or DPC routine must return at
 * the IRQL it was called at, without a spin lock it acquired and with its
 * critical regions balanced; a routine may not be called above its IRQL
 * limit. Each buggy routine has a correct twin.
 */
#include "vftest.h"
#include "irql_driver.h"
#include "verifier/irpstate.h" /* white box: release an IRP a caught bug check left mid-completion */

static PDRIVER_OBJECT Driver;

static int Setup(void **State)
{
    if (VfTestSetup(State) != 0)
        return -1;
    IrqlDispatchMode = IrqlCompletionMode = IrqlCancelMode = IrqlDpcMode = IrqlCorrect;
    IrqlHeldIrp = NULL;
    return IrpSimLoadDriver(L"\\Driver\\Irql", IrqlDriverEntry, &Driver) == STATUS_SUCCESS ? 0 : -1;
}

static NTSTATUS SendAt(PDEVICE_OBJECT Device, PIRP Irp, KIRQL Irql)
{
    KIRQL Old;
    NTSTATUS Status;
    KeRaiseIrql(Irql, &Old);
    Status = IoCallDriver(Device, Irp);
    KeLowerIrql(Old);
    return Status;
}

static void test_correct_routines(void **State)
{
    PIRP Irp = VfTestBuildIrp(IrqlFilter, IRP_MJ_DEVICE_CONTROL, 0);
    (void)State;
    assert_int_equal(SendAt(IrqlFilter, Irp, PASSIVE_LEVEL), STATUS_SUCCESS);
    IoFreeIrp(Irp);
    Irp = VfTestBuildIrp(IrqlFilter, IRP_MJ_DEVICE_CONTROL, 0);
    assert_int_equal(SendAt(IrqlFilter, Irp, DISPATCH_LEVEL), STATUS_SUCCESS);
    IoFreeIrp(Irp);
    IrqlRunDpc();
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

/* 0xC9/0x05: a dispatch routine returned at a different IRQL. */
static void test_dispatch_returns_raised(void **State)
{
    PIRP Irp = VfTestBuildIrp(IrqlLower, IRP_MJ_DEVICE_CONTROL, 0);
    (void)State;
    IrqlDispatchMode = IrqlRaiseNoLower;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoCallDriver(IrqlLower, Irp));
    assert_int_equal(VfTestCaughtSubCode(), 0x05);
    irpsim_assert_bugcheck_parameter(1, IrqlLower);
    irpsim_assert_bugcheck_parameter(2, PASSIVE_LEVEL);
    irpsim_assert_bugcheck_parameter(3, DISPATCH_LEVEL);
    IoFreeIrp(Irp);
}

/* 0xC4/0x1510: a dispatch routine returned holding a spin lock. */
static void test_dispatch_returns_holding_lock(void **State)
{
    PIRP Irp = VfTestBuildIrp(IrqlLower, IRP_MJ_DEVICE_CONTROL, 0);
    (void)State;
    IrqlDispatchMode = IrqlHoldLock;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, SendAt(IrqlLower, Irp, DISPATCH_LEVEL));
    assert_int_equal(VfTestCaughtSubCode(), VF_C4_DISPATCH_HOLDS_LOCK);
    irpsim_assert_bugcheck_parameter(2, &IrqlLock);
    IoFreeIrp(Irp);
}

/* 0xC4/0xC5: a dispatch routine changed the APC-disable count. */
static void test_dispatch_returns_in_critical_region(void **State)
{
    PIRP Irp = VfTestBuildIrp(IrqlLower, IRP_MJ_DEVICE_CONTROL, 0);
    (void)State;
    IrqlDispatchMode = IrqlCriticalRegion;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, IoCallDriver(IrqlLower, Irp));
    assert_int_equal(VfTestCaughtSubCode(), VF_C4_DISPATCH_APC_DISABLE);
    IoFreeIrp(Irp);
}

/* A bug check inside the walk leaves the IRP mid-completion: give it back. */
static void ReleaseInterrupted(PIRP Irp)
{
    VfIrpSetState(Irp, VfIrpAllocated, NULL);
    IoFreeIrp(Irp);
}

/* 0xC4/0xFA: a completion routine returned at a different IRQL. */
static void test_completion_returns_raised(void **State)
{
    PIRP Irp = VfTestBuildIrp(IrqlFilter, IRP_MJ_DEVICE_CONTROL, 0);
    (void)State;
    IrqlCompletionMode = IrqlRaiseNoLower;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, IoCallDriver(IrqlFilter, Irp));
    assert_int_equal(VfTestCaughtSubCode(), VF_C4_COMPLETION_IRQL);
    irpsim_assert_bugcheck_parameter(2, PASSIVE_LEVEL);
    irpsim_assert_bugcheck_parameter(3, DISPATCH_LEVEL);
    ReleaseInterrupted(Irp);
}

/* 0xC4/0x1511: a completion routine returned holding a spin lock. */
static void test_completion_returns_holding_lock(void **State)
{
    PIRP Irp = VfTestBuildIrp(IrqlFilter, IRP_MJ_DEVICE_CONTROL, 0);
    (void)State;
    IrqlCompletionMode = IrqlHoldLock;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, SendAt(IrqlFilter, Irp, DISPATCH_LEVEL));
    assert_int_equal(VfTestCaughtSubCode(), VF_C4_COMPLETION_HOLDS_LOCK);
    irpsim_assert_bugcheck_parameter(3, Irp);
    ReleaseInterrupted(Irp);
}

/* 0xC4/0xFB: a completion routine changed the APC-disable count. */
static void test_completion_returns_in_critical_region(void **State)
{
    PIRP Irp = VfTestBuildIrp(IrqlFilter, IRP_MJ_DEVICE_CONTROL, 0);
    (void)State;
    IrqlCompletionMode = IrqlCriticalRegion;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, IoCallDriver(IrqlFilter, Irp));
    assert_int_equal(VfTestCaughtSubCode(), VF_C4_COMPLETION_APC_DISABLE);
    ReleaseInterrupted(Irp);
}

/* A cancel routine must come back at IoCancelIrp's IRQL (0xC4/0x1512) and
   without a lock it took (0xC4/0x1513); the correct one does both. */
static PIRP HoldCancelable(void)
{
    PIRP Irp = VfTestBuildIrp(IrqlLower, IRP_MJ_DEVICE_CONTROL, 1);
    assert_int_equal(IoCallDriver(IrqlLower, Irp), STATUS_PENDING);
    assert_ptr_equal(IrqlHeldIrp, Irp);
    return Irp;
}

static void test_cancel_routine(void **State)
{
    PIRP Irp = HoldCancelable();
    (void)State;
    assert_true(IoCancelIrp(Irp));
    assert_int_equal(Irp->IoStatus.Status, STATUS_CANCELLED);
    IoFreeIrp(Irp);
    assert_int_equal(IrpSimVerifierReportCount(), 0);

    IrqlCancelMode = IrqlRaiseNoLower;
    Irp = HoldCancelable();
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, IoCancelIrp(Irp));
    assert_int_equal(VfTestCaughtSubCode(), VF_C4_CANCEL_IRQL);
    irpsim_assert_bugcheck_parameter(2, PASSIVE_LEVEL);
    irpsim_assert_bugcheck_parameter(3, DISPATCH_LEVEL);
    IoFreeIrp(Irp);

    IrqlCancelMode = IrqlHoldLock;
    Irp = HoldCancelable();
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, IoCancelIrp(Irp));
    assert_int_equal(VfTestCaughtSubCode(), VF_C4_CANCEL_HOLDS_LOCK);
    irpsim_assert_bugcheck_parameter(2, &IrqlLock);
    IoFreeIrp(Irp);
}

/* DPC routines (checked by the kernel): returning holding a lock is
   0xC4/0x1502, at a raised IRQL 0x9; a critical region cannot even be
   entered at DISPATCH_LEVEL (0xC4/0x11A). The bug check happens on the
   processor's thread and reaches the test at its next wait. */
static void test_dpc_routine(void **State)
{
    (void)State;
    IrqlDpcMode = IrqlHoldLock;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, IrqlRunDpc());
    assert_int_equal(VfTestCaughtSubCode(), 0x1502);
    IrqlDpcMode = IrqlRaiseNoLower;
    irpsim_assert_bugcheck(IRQL_NOT_GREATER_OR_EQUAL, IrqlRunDpc());
    IrqlDpcMode = IrqlCriticalRegion;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, IrqlRunDpc());
    assert_int_equal(VfTestCaughtSubCode(), 0x11A);
    IrqlDpcMode = IrqlCorrect;
    IrqlRunDpc();
}

/* 0x121 DRIVER_VIOLATION (P1 2): a routine called above its IRQL limit
   (VfCheckIrql; here IoAllocateIrp, <= DISPATCH_LEVEL). */
static void test_routine_above_its_irql(void **State)
{
    PIRP Irp = IrqlAllocateIrpAt(DISPATCH_LEVEL);
    (void)State;
    assert_non_null(Irp);
    IoFreeIrp(Irp);
    irpsim_assert_bugcheck(VF_DRIVER_VIOLATION, IrqlAllocateIrpAt(HIGH_LEVEL));
    assert_int_equal(VfTestCaughtSubCode(), VF_DRIVER_VIOLATION_IRQL_TOO_HIGH);
    irpsim_assert_bugcheck_parameter(1, HIGH_LEVEL);
    irpsim_assert_bugcheck_parameter(2, DISPATCH_LEVEL);
    assert_string_equal((PCSTR)irpsim_last_bugcheck.Info.Parameter[3], "IoAllocateIrp");
}

/* Forbidden calls above their IRQL that the kernel, pool and I/O manager
   check: a wait at DISPATCH_LEVEL (0xC4/0x121), paged pool at
   DISPATCH_LEVEL (0xC4/0x01), IoCallDriver above DISPATCH_LEVEL (0xC9/0x10). */
static void WaitAtDispatch(void)
{
    KEVENT Event;
    KIRQL Old;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    (void)KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL);
    KeLowerIrql(Old);
}

static void PagedPoolAtDispatch(void)
{
    KIRQL Old;
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    (void)ExAllocatePoolWithTag(PagedPool, 16, 'gaPT');
    KeLowerIrql(Old);
}

static void test_forbidden_calls(void **State)
{
    PIRP Irp = VfTestBuildIrp(IrqlLower, IRP_MJ_DEVICE_CONTROL, 0);
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, WaitAtDispatch());
    assert_int_equal(VfTestCaughtSubCode(), 0x121);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, PagedPoolAtDispatch());
    assert_int_equal(VfTestCaughtSubCode(), 0x01);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, SendAt(IrqlLower, Irp, HIGH_LEVEL));
    assert_int_equal(VfTestCaughtSubCode(), 0x10);
    VfIrpSetState(Irp, VfIrpAllocated, NULL);
    IoFreeIrp(Irp);
}

/* With the IRQL class off, a routine returning raised is not reported. */
static void test_irql_class_off(void **State)
{
    PIRP Irp = VfTestBuildIrp(IrqlLower, IRP_MJ_DEVICE_CONTROL, 0);
    (void)State;
    IrpSimVerifierSetRules(IRPSIM_VERIFIER_ALL & ~IRPSIM_VERIFIER_IRQL);
    IrqlDispatchMode = IrqlRaiseNoLower;
    assert_int_equal(IoCallDriver(IrqlLower, Irp), STATUS_SUCCESS);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(PASSIVE_LEVEL);
    IoFreeIrp(Irp);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_correct_routines, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_dispatch_returns_raised, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_dispatch_returns_holding_lock, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_dispatch_returns_in_critical_region, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_completion_returns_raised, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_completion_returns_holding_lock, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_completion_returns_in_critical_region, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_cancel_routine, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_dpc_routine, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_routine_above_its_irql, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_forbidden_calls, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_irql_class_off, Setup, VfTestTeardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
