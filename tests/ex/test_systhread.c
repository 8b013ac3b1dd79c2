/*
 * IoCreateSystemThread (WDK documentation): like PsCreateSystemThread, but
 * the new thread holds a reference on the device or driver object it was
 * created for, so the driver cannot be unloaded while the thread runs; the
 * reference goes when the thread ends, whether its start routine returns
 * or calls PsTerminateSystemThread.
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

#include "ex_test_util.h"

static PDRIVER_OBJECT TestDriver;
static PDEVICE_OBJECT TestDevice;

static VOID NTAPI TestUnload(PDRIVER_OBJECT DriverObject)
{
    while (DriverObject->DeviceObject != NULL)
        IoDeleteDevice(DriverObject->DeviceObject);
}

static NTSTATUS NTAPI TestDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = TestUnload;
    return IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &TestDevice);
}

static int Setup(void **State)
{
    (void)State;
    if (!NT_SUCCESS(IrpSimInitialize(NULL)))
        return -1;
    return NT_SUCCESS(IrpSimLoadDriver(L"\\Driver\\SysThreadTest", TestDriverEntry, &TestDriver)) ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return 0;
}

static LONG_PTR References(PVOID Object)
{
    LONG_PTR Count = ObReferenceObject(Object) - 1;
    ObDereferenceObject(Object);
    return Count;
}

typedef struct _THREAD_CONTEXT {
    KEVENT Release;
    BOOLEAN Terminate;
    BOOLEAN SystemThread;
    KIRQL Irql;
    PVOID Object;
    LONG_PTR Expected;
} THREAD_CONTEXT;

static VOID NTAPI ThreadRoutine(PVOID Context)
{
    THREAD_CONTEXT *Thread = (THREAD_CONTEXT *)Context;
    Thread->SystemThread = PsIsSystemThread(PsGetCurrentThread());
    Thread->Irql = KeGetCurrentIrql();
    KeWaitForSingleObject(&Thread->Release, Executive, KernelMode, FALSE, NULL);
    if (Thread->Terminate)
        PsTerminateSystemThread(STATUS_SUCCESS);
}

static BOOLEAN BackToExpected(PVOID Context)
{
    THREAD_CONTEXT *Thread = (THREAD_CONTEXT *)Context;
    return References(Thread->Object) == Thread->Expected;
}

static void RunThread(PVOID IoObject, BOOLEAN Terminate)
{
    THREAD_CONTEXT Context;
    HANDLE Handle;
    PETHREAD Thread;
    LONG_PTR Before = References(IoObject);

    memset(&Context, 0, sizeof(Context));
    KeInitializeEvent(&Context.Release, NotificationEvent, FALSE);
    Context.Terminate = Terminate;
    Context.Object = IoObject;
    Context.Expected = Before;
    assert_int_equal(
        IoCreateSystemThread(IoObject, &Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, ThreadRoutine, &Context),
        STATUS_SUCCESS);
    /* Held while the thread runs. */
    assert_int_equal(References(IoObject), Before + 1);
    assert_int_equal(ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, (PVOID *)&Thread, NULL),
                     STATUS_SUCCESS);
    ZwClose(Handle);
    KeSetEvent(&Context.Release, 0, FALSE);
    ExTestJoinThread(Thread);
    assert_true(Context.SystemThread);
    assert_int_equal(Context.Irql, PASSIVE_LEVEL);
    /* Released once the thread has ended (by irpsim, shortly after). */
    assert_true(ExTestWaitFor(BackToExpected, &Context));
}

static void test_device_referenced_until_routine_returns(void **State)
{
    (void)State;
    RunThread(TestDevice, FALSE);
}

static void test_device_referenced_until_ps_terminate(void **State)
{
    (void)State;
    RunThread(TestDevice, TRUE);
}

static void test_driver_object_as_io_object(void **State)
{
    (void)State;
    RunThread(TestDriver, TRUE);
}

/* Something that is neither a device nor a driver object is refused. */
static void test_invalid_io_object(void **State)
{
    HANDLE Handle;
    KEVENT NotAnIoObject;
    (void)State;
    KeInitializeEvent(&NotAnIoObject, NotificationEvent, FALSE);
    assert_int_equal(
        IoCreateSystemThread(&NotAnIoObject, &Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, ThreadRoutine, NULL),
        STATUS_INVALID_PARAMETER);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_device_referenced_until_routine_returns, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_device_referenced_until_ps_terminate, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_driver_object_as_io_object, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_invalid_io_object, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
