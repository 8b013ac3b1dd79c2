/*
 * A driver in the classic interrupt-driven shape: the read dispatch routine
 * marks the IRP pending and makes it the device's current IRP; the "ISR"
 * calls IoRequestDpc; the DpcForIsr completes the IRP at DISPATCH_LEVEL.
 */
#include "dpcrequest.h"

DPCREQUEST_LOG DpcRequestLog;
PDEVICE_OBJECT DpcRequestDevice;
KEVENT DpcRequestRan;

static VOID NTAPI DpcForIsr(PKDPC Dpc, PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    DpcRequestLog.Dpc = Dpc;
    DpcRequestLog.DeviceObject = DeviceObject;
    DpcRequestLog.Irp = Irp;
    DpcRequestLog.Context = Context;
    DpcRequestLog.Irql = KeGetCurrentIrql();
    InterlockedIncrement(&DpcRequestLog.Calls);
    if (Irp != NULL) {
        DeviceObject->CurrentIrp = NULL;
        Irp->IoStatus.Status = STATUS_SUCCESS;
        Irp->IoStatus.Information = 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
    }
    KeSetEvent(&DpcRequestRan, IO_NO_INCREMENT, FALSE);
}

static NTSTATUS NTAPI DpcRequestRead(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoMarkIrpPending(Irp);
    DeviceObject->CurrentIrp = Irp;
    return STATUS_PENDING;
}

VOID DpcRequestInterrupt(PVOID Context)
{
    IoRequestDpc(DpcRequestDevice, DpcRequestDevice->CurrentIrp, Context);
}

static VOID NTAPI DpcRequestUnload(PDRIVER_OBJECT DriverObject)
{
    KeFlushQueuedDpcs();
    IoDeleteDevice(DriverObject->DeviceObject);
}

NTSTATUS NTAPI DpcRequestDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->MajorFunction[IRP_MJ_READ] = DpcRequestRead;
    DriverObject->DriverUnload = DpcRequestUnload;
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &DpcRequestDevice);
    if (!NT_SUCCESS(Status))
        return Status;
    KeInitializeEvent(&DpcRequestRan, SynchronizationEvent, FALSE);
    IoInitializeDpcRequest(DpcRequestDevice, DpcForIsr);
    return STATUS_SUCCESS;
}
