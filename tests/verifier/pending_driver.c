/*
 * The STATUS_PENDING contract driver (see pending_driver.h).
 */
#include "pending_driver.h"

PENDING_MODE PendingFilterMode;
PENDING_MODE PendingLowerMode;
BOOLEAN PendingRoutinePropagates = TRUE;
BOOLEAN PendingFilterSetsRoutine;
PIRP PendingHeldIrp;
PDEVICE_OBJECT PendingFilter, PendingLower;

static NTSTATUS PendingCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    if (PendingRoutinePropagates && Irp->PendingReturned)
        IoMarkIrpPending(Irp);
    return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS PendingDispatchAs(PENDING_MODE Mode, PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    NTSTATUS Status;
    switch (Mode) {
    case PendWithoutMark:
        PendingHeldIrp = Irp;
        return STATUS_PENDING;
    case PendMarked:
        IoMarkIrpPending(Irp);
        PendingHeldIrp = Irp;
        return STATUS_PENDING;
    case PendMarkReturnSuccess:
        IoMarkIrpPending(Irp);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
    case PendCompleteReturnOther:
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_UNSUCCESSFUL;
    case PendReturnWithoutComplete:
        PendingHeldIrp = Irp;
        return STATUS_SUCCESS;
    case PendForwardReturnMinusOne:
        IoSkipCurrentIrpStackLocation(Irp);
        (void)IoCallDriver(PendingLower, Irp);
        return (NTSTATUS)0xFFFFFFFF;
    case PendForward:
        if (PendingFilterSetsRoutine) {
            IoCopyCurrentIrpStackLocationToNext(Irp);
            IoSetCompletionRoutine(Irp, PendingCompletion, NULL, TRUE, TRUE, TRUE);
        } else {
            IoSkipCurrentIrpStackLocation(Irp);
        }
        return IoCallDriver(PendingLower, Irp);
    case PendCompleteSuccess:
    default:
        UNREFERENCED_PARAMETER(DeviceObject);
        Status = STATUS_SUCCESS;
        Irp->IoStatus.Status = Status;
        Irp->IoStatus.Information = 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return Status;
    }
}

static NTSTATUS PendingDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    return PendingDispatchAs(DeviceObject == PendingFilter ? PendingFilterMode : PendingLowerMode, DeviceObject, Irp);
}

static VOID PendingUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    IoDetachDevice(PendingLower);
    IoDeleteDevice(PendingFilter);
    IoDeleteDevice(PendingLower);
}

NTSTATUS PendingDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->MajorFunction[IRP_MJ_READ] = PendingDispatch;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = PendingDispatch;
    DriverObject->DriverUnload = PendingUnload;
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &PendingLower);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &PendingFilter);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(PendingLower);
        return Status;
    }
    if (IoAttachDeviceToDeviceStack(PendingFilter, PendingLower) == NULL) {
        IoDeleteDevice(PendingFilter);
        IoDeleteDevice(PendingLower);
        return STATUS_NO_SUCH_DEVICE;
    }
    return STATUS_SUCCESS;
}
