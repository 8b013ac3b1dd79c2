/*
 * Seed 001 end to end: the driver of seed001_driver.c receives a read IRP
 * through IoCallDriver. Set up with InitializeListHead only, its first
 * KeInsertDeviceQueue is reported as a device queue KeInitializeDeviceQueue
 * never initialised (0xC4/0x1002, with a rule naming the mistake). Set up
 * with KeInitializeDeviceQueue, the same driver works: the first read finds
 * the device idle and is processed at once.
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

extern BOOLEAN Seed001Fixed;
extern PDEVICE_OBJECT Seed001Device;
extern LONG Seed001Processed;
NTSTATUS NTAPI Seed001DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

static int Setup(void **State)
{
    (void)State;
    return NT_SUCCESS(IrpSimInitialize(NULL)) ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return 0;
}

static LONG Completed;

/* The IRP is ours: take it back and free it. */
static NTSTATUS NTAPI ReadCompleted(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    InterlockedIncrement(&Completed);
    IoFreeIrp(Irp);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static PIRP BuildRead(void)
{
    PIRP Irp = IoAllocateIrp(Seed001Device->StackSize, FALSE);
    assert_non_null(Irp);
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    IoSetCompletionRoutine(Irp, ReadCompleted, NULL, TRUE, TRUE, TRUE);
    return Irp;
}

static void test_seed001_mistake_is_reported(void **State)
{
    PDRIVER_OBJECT Driver;
    PIRP Irp;
    (void)State;
    Seed001Fixed = FALSE;
    assert_int_equal(IrpSimLoadDriver(L"\\Driver\\Seed001", Seed001DriverEntry, &Driver), STATUS_SUCCESS);
    Irp = BuildRead();
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, (void)IoCallDriver(Seed001Device, Irp));
    irpsim_assert_bugcheck_parameter(0, 0x1002);
    irpsim_assert_bugcheck_parameter(1, Seed001Device->DeviceExtension); /* the queue is its first member */
    irpsim_assert_bugcheck_parameter(2, 0);                              /* Type found */
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Rule, "InitializeListHead"));
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Hint, "KeInitializeDeviceQueue"));
    /* The IRP was lost with the (simulated) machine: not freed here. */
}

static void test_seed001_fixed_driver_works(void **State)
{
    PDRIVER_OBJECT Driver;
    (void)State;
    Seed001Fixed = TRUE;
    Seed001Processed = 0;
    Completed = 0;
    assert_int_equal(IrpSimLoadDriver(L"\\Driver\\Seed001", Seed001DriverEntry, &Driver), STATUS_SUCCESS);
    assert_int_equal(IoCallDriver(Seed001Device, BuildRead()), STATUS_PENDING);
    assert_int_equal(IoCallDriver(Seed001Device, BuildRead()), STATUS_PENDING);
    assert_int_equal(Seed001Processed, 2);
    assert_int_equal(Completed, 2);
    assert_false(((PKDEVICE_QUEUE)Seed001Device->DeviceExtension)->Busy);
    assert_int_equal(IrpSimUnloadDriver(Driver), STATUS_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_seed001_mistake_is_reported, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_seed001_fixed_driver_works, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
