/*
 * IoInitializeDpcRequest / IoRequestDpc (SEMANTICS.md 1.7): the device
 * object's own KDPC, initialised with the device as its context; the
 * DpcForIsr routine is called as (Dpc, DeviceObject, Irp, Context) at
 * DISPATCH_LEVEL. (Re-queue refusal of a queued KDPC is tested with the
 * kernel's DPCs in tests/ke.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "dpcrequest.h"
#include <irpsim/irpsim.h>

static PDRIVER_OBJECT Driver;

static int Setup(void **State)
{
    (void)State;
    memset(&DpcRequestLog, 0, sizeof(DpcRequestLog));
    if (!NT_SUCCESS(IrpSimInitialize(NULL)))
        return -1;
    return NT_SUCCESS(IrpSimLoadDriver(L"\\Driver\\DpcRequest", DpcRequestDriverEntry, &Driver)) ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return IrpSimGetShutdownLeakCount() == 0 ? 0 : -1;
}

static NTSTATUS NTAPI Completion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    *(NTSTATUS *)Context = Irp->IoStatus.Status;
    IoFreeIrp(Irp);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* IoInitializeDpcRequest initialises DeviceObject->Dpc with the device as
   its DeferredContext; IoRequestDpc passes the IRP and context through. */
static void test_dpc_for_isr_receives_device_irp_and_context(void **State)
{
    NTSTATUS Final = STATUS_PENDING;
    PIRP Irp = IoAllocateIrp(DpcRequestDevice->StackSize, FALSE);
    int Context = 7;
    (void)State;
    assert_ptr_equal(DpcRequestDevice->Dpc.DeferredContext, DpcRequestDevice);
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
    IoSetCompletionRoutine(Irp, Completion, &Final, TRUE, TRUE, TRUE);
    assert_int_equal(IoCallDriver(DpcRequestDevice, Irp), STATUS_PENDING);
    DpcRequestInterrupt(&Context);
    KeWaitForSingleObject(&DpcRequestRan, Executive, KernelMode, FALSE, NULL);
    KeFlushQueuedDpcs();
    assert_int_equal(DpcRequestLog.Calls, 1);
    assert_ptr_equal(DpcRequestLog.Dpc, &DpcRequestDevice->Dpc);
    assert_ptr_equal(DpcRequestLog.DeviceObject, DpcRequestDevice);
    assert_ptr_equal(DpcRequestLog.Irp, Irp);
    assert_ptr_equal(DpcRequestLog.Context, &Context);
    assert_int_equal(DpcRequestLog.Irql, DISPATCH_LEVEL);
    assert_int_equal(Final, STATUS_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_dpc_for_isr_receives_device_irp_and_context, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
