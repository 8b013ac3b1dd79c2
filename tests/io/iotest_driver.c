/*
 * The programmable test driver (see iotest.h).
 */
#include "iotest.h"

IOTEST_EVENT IoTestLog[64];
ULONG IoTestLogCount;

VOID IoTestLogEvent(ULONG Kind, PDEVICE_OBJECT Device, ULONG Tag, PIRP Irp)
{
    if (IoTestLogCount < RTL_NUMBER_OF(IoTestLog)) {
        IOTEST_EVENT *Event = &IoTestLog[IoTestLogCount++];
        Event->Kind = Kind;
        Event->Device = Device;
        Event->Tag = Tag;
        Event->CurrentLocation = Irp->CurrentLocation;
        Event->PendingReturned = Irp->PendingReturned;
        Event->Status = Irp->IoStatus.Status;
    }
}

NTSTATUS IoTestCompleteSuccess(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

NTSTATUS IoTestSkipDown(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(IoTestExtension(DeviceObject)->Lower, Irp);
}

static NTSTATUS IoTestDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIOTEST_EXTENSION Extension = IoTestExtension(DeviceObject);
    Extension->Calls++;
    if (Extension->Handler != NULL)
        return Extension->Handler(DeviceObject, Irp);
    return IoTestCompleteSuccess(DeviceObject, Irp);
}

static VOID IoTestUnload(PDRIVER_OBJECT DriverObject)
{
    /* Devices are listed newest first, so upper devices go first. */
    while (DriverObject->DeviceObject != NULL) {
        PDEVICE_OBJECT Device = DriverObject->DeviceObject;
        if (IoTestExtension(Device)->Lower != NULL)
            IoDetachDevice(IoTestExtension(Device)->Lower);
        IoDeleteDevice(Device);
    }
}

NTSTATUS IoTestDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    DriverObject->MajorFunction[IRP_MJ_CREATE] = IoTestDispatch;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = IoTestDispatch;
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = IoTestDispatch;
    DriverObject->MajorFunction[IRP_MJ_READ] = IoTestDispatch;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = IoTestDispatch;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = IoTestDispatch;
    DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = IoTestDispatch;
    DriverObject->DriverUnload = IoTestUnload;
    return STATUS_SUCCESS;
}

PDRIVER_OBJECT IoTestLoad(PCWSTR Name)
{
    PDRIVER_OBJECT Driver = NULL;
    if (!NT_SUCCESS(IrpSimLoadDriver(Name, IoTestDriverEntry, &Driver)))
        return NULL;
    return Driver;
}

PDEVICE_OBJECT IoTestCreateDevice(PDRIVER_OBJECT Driver, PCWSTR Name, PDRIVER_DISPATCH Handler)
{
    UNICODE_STRING DeviceName;
    PDEVICE_OBJECT Device = NULL;
    if (Name != NULL)
        RtlInitUnicodeString(&DeviceName, Name);
    if (!NT_SUCCESS(IoCreateDevice(Driver, sizeof(IOTEST_EXTENSION), Name != NULL ? &DeviceName : NULL,
                                   FILE_DEVICE_UNKNOWN, 0, FALSE, &Device)))
        return NULL;
    IoTestExtension(Device)->Handler = Handler;
    Device->Flags |= DO_BUFFERED_IO;
    Device->Flags &= ~DO_DEVICE_INITIALIZING;
    return Device;
}

PDEVICE_OBJECT IoTestAttach(PDEVICE_OBJECT Upper, PDEVICE_OBJECT Target)
{
    PDEVICE_OBJECT Lower = IoAttachDeviceToDeviceStack(Upper, Target);
    IoTestExtension(Upper)->Lower = Lower;
    return Lower;
}
