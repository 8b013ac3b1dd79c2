/*
 * A WDK driver, written as for Windows (see hello_driver.h).
 */
#include "hello_driver.h"

static DRIVER_UNLOAD HelloUnload;
static DRIVER_DISPATCH HelloCreateClose;
static DRIVER_DISPATCH HelloDeviceControl;

#ifdef ALLOC_PRAGMA
#pragma alloc_text(INIT, HelloDriverEntry)
#pragma alloc_text(PAGE, HelloUnload)
#endif

static NTSTATUS NTAPI HelloCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI HelloDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(Irp);
    PHELLO_EXTENSION Extension = (PHELLO_EXTENSION)DeviceObject->DeviceExtension;
    NTSTATUS Status = STATUS_INVALID_DEVICE_REQUEST;
    ULONG_PTR Information = 0;

    if (Stack->Parameters.DeviceIoControl.IoControlCode == IOCTL_HELLO_ADD) {
        if (Stack->Parameters.DeviceIoControl.InputBufferLength < sizeof(ULONG) ||
            Stack->Parameters.DeviceIoControl.OutputBufferLength < sizeof(ULONG)) {
            Status = STATUS_BUFFER_TOO_SMALL;
        } else {
            PULONG Buffer = (PULONG)Irp->AssociatedIrp.SystemBuffer;
            Extension->Total += *Buffer;
            *Buffer = Extension->Total;
            Information = sizeof(ULONG);
            Status = STATUS_SUCCESS;
        }
    }
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static VOID NTAPI HelloUnload(PDRIVER_OBJECT DriverObject)
{
    if (DriverObject->DeviceObject != NULL)
        IoDeleteDevice(DriverObject->DeviceObject);
}

NTSTATUS NTAPI HelloDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING Name = RTL_CONSTANT_STRING(L"\\Device\\ConsumerHello");
    PDEVICE_OBJECT Device;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    Status = IoCreateDevice(DriverObject, sizeof(HELLO_EXTENSION), &Name, FILE_DEVICE_UNKNOWN, 0, FALSE, &Device);
    if (!NT_SUCCESS(Status))
        return Status;
    ((PHELLO_EXTENSION)Device->DeviceExtension)->Total = 0;
    Device->Flags |= DO_BUFFERED_IO;
    DriverObject->MajorFunction[IRP_MJ_CREATE] = HelloCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = HelloCreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = HelloDeviceControl;
    DriverObject->DriverUnload = HelloUnload;
    return STATUS_SUCCESS;
}
