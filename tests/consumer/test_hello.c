/*
 * The consumer project's test: the driver in hello_driver.c, loaded into a
 * simulated machine and sent IRPs the way the I/O manager sends them.
 */
#include "hello_driver.h"
#include <irpsim/irpsim.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

static PDRIVER_OBJECT Driver;

static int Setup(void **State)
{
    (void)State;
    if (!NT_SUCCESS(IrpSimInitialize(NULL)))
        return -1;
    return NT_SUCCESS(IrpSimLoadDriver(L"\\Driver\\ConsumerHello", HelloDriverEntry, &Driver)) ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return IrpSimGetShutdownLeakCount() == 0 ? 0 : -1;
}

/* Keeps the IRP for the test after the driver completed it. */
static NTSTATUS NTAPI KeepIrp(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    (*(PLONG)Context)++;
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* Sends IOCTL_HELLO_ADD with Value; returns the status, *Total the answer. */
static NTSTATUS Add(ULONG Value, PULONG Total, PULONG_PTR Information)
{
    PDEVICE_OBJECT Device = Driver->DeviceObject;
    PIRP Irp = IoAllocateIrp(Device->StackSize, FALSE);
    PIO_STACK_LOCATION Next;
    ULONG Buffer = Value;
    LONG Completions = 0;
    NTSTATUS Status;

    assert_non_null(Irp);
    Irp->AssociatedIrp.SystemBuffer = &Buffer;
    Next = IoGetNextIrpStackLocation(Irp);
    Next->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    Next->Parameters.DeviceIoControl.IoControlCode = IOCTL_HELLO_ADD;
    Next->Parameters.DeviceIoControl.InputBufferLength = sizeof(ULONG);
    Next->Parameters.DeviceIoControl.OutputBufferLength = sizeof(ULONG);
    IoSetCompletionRoutine(Irp, KeepIrp, &Completions, TRUE, TRUE, TRUE);

    Status = IoCallDriver(Device, Irp);
    assert_int_equal(Completions, 1);
    assert_int_equal(Irp->IoStatus.Status, Status);
    *Information = Irp->IoStatus.Information;
    *Total = Buffer;
    IoFreeIrp(Irp);
    return Status;
}

/* The driver loaded, created its device and answers the IOCTL. */
static void TestAdd(void **State)
{
    ULONG Total = 0;
    ULONG_PTR Information = 0;
    (void)State;
    assert_non_null(Driver->DeviceObject);
    assert_int_equal(Add(40, &Total, &Information), STATUS_SUCCESS);
    assert_int_equal(Total, 40);
    assert_int_equal(Information, sizeof(ULONG));
    assert_int_equal(Add(2, &Total, &Information), STATUS_SUCCESS);
    assert_int_equal(Total, 42);
}

/* An IRP has no stack location left for a second IoSetNextIrpStackLocation:
   Windows stops with NO_MORE_IRP_STACK_LOCATIONS (0x35), and so does irpsim;
   the test catches the bug check and goes on. */
static void TestBugCheckIsCaught(void **State)
{
    PIRP Irp = IoAllocateIrp(1, FALSE);
    (void)State;
    assert_non_null(Irp);
    IoSetNextIrpStackLocation(Irp);
    irpsim_assert_bugcheck(NO_MORE_IRP_STACK_LOCATIONS, IoSetNextIrpStackLocation(Irp));
    irpsim_assert_bugcheck_parameter(0, Irp);
    IoFreeIrp(Irp);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestAdd, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestBugCheckIsCaught, Setup, Teardown),
    };
    return cmocka_run_group_tests_name("consumer", Tests, NULL, NULL);
}
