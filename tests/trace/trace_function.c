/*
 * The function driver of the trace tests (plain WDK code).
 *
 * IOCTL_TRACE_DPC is held, pending, until IOCTL_TRACE_RELEASE queues the
 * DPC that completes it: the test decides when, so the order of events is
 * the same on every run. IOCTL_TRACE_CANCELABLE waits for IoCancelIrp.
 */
#include "trace_driver.h"

DRIVER_INITIALIZE DriverEntry;

static PDEVICE_OBJECT FunctionDevice;
static KDPC CompleteDpc;
static PIRP volatile HeldIrp;       /* the request the DPC completes */
static PIRP volatile CancelableIrp; /* the request waiting to be cancelled */

static DRIVER_UNLOAD FunctionUnload;
static DRIVER_DISPATCH FunctionCreateClose;
static DRIVER_DISPATCH FunctionDeviceControl;
static KDEFERRED_ROUTINE FunctionCompleteDpc;
static DRIVER_CANCEL FunctionCancel;

static NTSTATUS CompleteNow(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static VOID FunctionCompleteDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    PIRP Irp = (PIRP)InterlockedExchangePointer((PVOID volatile *)&HeldIrp, NULL);
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Argument1);
    UNREFERENCED_PARAMETER(Argument2);
    if (Irp != NULL)
        (void)CompleteNow(Irp, STATUS_SUCCESS, TRACE_DPC_INFORMATION);
}

static VOID FunctionCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    IoReleaseCancelSpinLock(Irp->CancelIrql);
    (void)InterlockedCompareExchangePointer((PVOID volatile *)&CancelableIrp, NULL, Irp);
    (void)CompleteNow(Irp, STATUS_CANCELLED, 0);
}

static NTSTATUS FunctionCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    return CompleteNow(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS FunctionDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(Irp);
    UNREFERENCED_PARAMETER(DeviceObject);

    switch (Stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_TRACE_NOW:
        return CompleteNow(Irp, STATUS_SUCCESS, 3);
    case IOCTL_TRACE_DPC:
        IoMarkIrpPending(Irp);
        if (InterlockedCompareExchangePointer((PVOID volatile *)&HeldIrp, Irp, NULL) != NULL) {
            /* One at a time; we marked it pending, so say so. */
            (void)CompleteNow(Irp, STATUS_DEVICE_BUSY, 0);
            return STATUS_PENDING;
        }
        return STATUS_PENDING;
    case IOCTL_TRACE_RELEASE:
        (void)KeInsertQueueDpc(&CompleteDpc, NULL, NULL);
        return CompleteNow(Irp, STATUS_SUCCESS, 0);
    case IOCTL_TRACE_CANCELABLE: {
        KIRQL Irql;
        IoAcquireCancelSpinLock(&Irql);
        if (Irp->Cancel) {
            IoReleaseCancelSpinLock(Irql);
            return CompleteNow(Irp, STATUS_CANCELLED, 0);
        }
        IoMarkIrpPending(Irp);
        CancelableIrp = Irp;
        IoSetCancelRoutine(Irp, FunctionCancel);
        IoReleaseCancelSpinLock(Irql);
        return STATUS_PENDING;
    }
    default:
        return CompleteNow(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

static VOID FunctionUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    /* Make sure the DPC is not still queued or running. */
    (void)KeRemoveQueueDpc(&CompleteDpc);
    KeFlushQueuedDpcs();
    IoDeleteDevice(FunctionDevice);
    FunctionDevice = NULL;
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING Name = RTL_CONSTANT_STRING(TRACE_FUNCTION_DEVICE_NAME);
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->MajorFunction[IRP_MJ_CREATE] = FunctionCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = FunctionCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = FunctionCreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = FunctionDeviceControl;
    DriverObject->DriverUnload = FunctionUnload;
    Status = IoCreateDevice(DriverObject, 0, &Name, FILE_DEVICE_UNKNOWN, 0, FALSE, &FunctionDevice);
    if (!NT_SUCCESS(Status))
        return Status;
    KeInitializeDpc(&CompleteDpc, FunctionCompleteDpc, NULL);
    FunctionDevice->Flags |= DO_BUFFERED_IO;
    HeldIrp = NULL;
    CancelableIrp = NULL;
    return STATUS_SUCCESS;
}
