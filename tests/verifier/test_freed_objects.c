/*
 * Memory freed while it holds a set KTIMER or a queued KDPC, when that
 * memory is an object's body rather than a pool block: IoDeleteDevice's
 * device object and its device extension (SEMANTICS.md 9.6, 9.7, 9.10).
 *
 * On Windows the device object and its extension are one pool block,
 * freed when the last reference to the device goes (IoDeleteDevice drops
 * the creation reference). Freeing pool that still contains a set timer
 * or a queued DPC is bug check 0xC7 TIMER_OR_DPC_INVALID, P1 0 (timer) or
 * 1 (DPC), P2 the object, P3 / P4 the start and end of the memory being
 * freed (docs: "Bug Check 0xC7"): the timer would expire, or the DPC run,
 * in freed memory. A driver cancels its timers and removes its DPCs
 * before it deletes the device.
 */
#include "vftest.h"
#include "freed_driver.h"
#include "objects_driver.h" /* ObjectsBlockProcessor: keeps a DPC queued */

static PDRIVER_OBJECT Driver;

static int Setup(void **State)
{
    if (VfTestSetup(State) != 0)
        return -1;
    return IrpSimLoadDriver(L"\\Driver\\Freed", FreedDriverEntry, &Driver) == STATUS_SUCCESS ? 0 : -1;
}

/* [Start, End) of the memory the device's deletion frees, as the report
   gives it: it starts at the DEVICE_OBJECT and covers the extension. */
static void AssertFreedRange(PDEVICE_OBJECT Device, PVOID Object)
{
    PCHAR Start = (PCHAR)irpsim_last_bugcheck.Info.Parameter[2];
    PCHAR End = (PCHAR)irpsim_last_bugcheck.Info.Parameter[3];
    irpsim_assert_bugcheck_parameter(1, Object);
    assert_ptr_equal(Start, (PCHAR)Device);
    assert_true(End >= (PCHAR)Device->DeviceExtension + sizeof(FREED_EXTENSION));
    assert_true((PCHAR)Object >= Start && (PCHAR)Object < End);
}

/* The bug: the device is deleted while the timer in its extension is set. */
static void test_delete_device_with_set_timer(void **State)
{
    PDEVICE_OBJECT Device = FreedDevice;
    PFREED_EXTENSION Extension = (PFREED_EXTENSION)Device->DeviceExtension;
    (void)State;
    FreedArmTimer();
    irpsim_assert_bugcheck(TIMER_OR_DPC_INVALID, FreedDeleteDevice(FALSE));
    irpsim_assert_bugcheck_parameter(0, VF_C7_TIMER);
    AssertFreedRange(Device, &Extension->Timer);
    VfTestCaughtRuleHas("Device object \\Device\\FreedExtension");
    VfTestCaughtRuleHas("device extension");
    VfTestCaughtRuleHas("KTIMER");
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Hint, "before IoDeleteDevice"));

    /* The memory was not freed: the device keeps the reference that was
       being dropped. Cancel, and dropping it again frees the device. */
    FreedDevice = NULL;
    assert_true(KeCancelTimer(&Extension->Timer));
    ObDereferenceObject(Device);
}

/* The correct driver: KeCancelTimer (and KeRemoveQueueDpc) first. */
static void test_delete_device_after_cancel(void **State)
{
    (void)State;
    FreedArmTimer();
    FreedDeleteDevice(TRUE);
    assert_null(FreedDevice);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

/* The bug with a DPC: deleted while the extension's DPC is queued. */
static void test_delete_device_with_queued_dpc(void **State)
{
    PDEVICE_OBJECT Device = FreedDevice;
    PFREED_EXTENSION Extension = (PFREED_EXTENSION)Device->DeviceExtension;
    (void)State;
    ObjectsBlockProcessor();
    FreedQueueDpc();
    irpsim_assert_bugcheck(TIMER_OR_DPC_INVALID, FreedDeleteDevice(FALSE));
    irpsim_assert_bugcheck_parameter(0, VF_C7_DPC);
    AssertFreedRange(Device, &Extension->Dpc);
    VfTestCaughtRuleHas("KDPC");
    FreedDevice = NULL;
    assert_true(KeRemoveQueueDpc(&Extension->Dpc));
    ObDereferenceObject(Device);
    ObjectsReleaseProcessor();
}

/* The correct twin: KeRemoveQueueDpc before IoDeleteDevice. */
static void test_delete_device_after_removing_dpc(void **State)
{
    (void)State;
    ObjectsBlockProcessor();
    FreedQueueDpc();
    FreedDeleteDevice(TRUE);
    ObjectsReleaseProcessor();
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

/* The memory goes with the last reference, not at IoDeleteDevice: while
   someone still references the device nothing is freed (and nothing is
   reported); the last ObDereferenceObject frees it and is the bug. */
static void test_checked_when_the_last_reference_goes(void **State)
{
    PDEVICE_OBJECT Device = FreedDevice;
    PFREED_EXTENSION Extension = (PFREED_EXTENSION)Device->DeviceExtension;
    (void)State;
    ObReferenceObject(Device);
    FreedArmTimer();
    FreedDeleteDevice(FALSE);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
    irpsim_assert_bugcheck(TIMER_OR_DPC_INVALID, ObDereferenceObject(Device));
    irpsim_assert_bugcheck_parameter(0, VF_C7_TIMER);
    AssertFreedRange(Device, &Extension->Timer);
    assert_true(KeCancelTimer(&Extension->Timer));
    ObDereferenceObject(Device);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_delete_device_with_set_timer, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_delete_device_after_cancel, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_delete_device_with_queued_dpc, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_delete_device_after_removing_dpc, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_checked_when_the_last_reference_goes, Setup, VfTestTeardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
