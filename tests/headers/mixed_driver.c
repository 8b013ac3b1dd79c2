/*
 * A driver and the application that drives it in ONE source file, the
 * driver's headers first (<wdm.h>, then <windows.h>): the kind of file a
 * small test is. The driver reads IrpSp->Parameters.DeviceIoControl while
 * the same file calls the Win32 DeviceIoControl (test_mixed_headers.c has
 * the other order).
 */
#include <wdm.h>
#include <windows.h>
#include <winioctl.h>

#include "mixed_headers.h"

static PDEVICE_OBJECT MixedDevice;
unsigned long MixedSeenCode;

static NTSTATUS NTAPI MixedDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION IrpSp = IoGetCurrentIrpStackLocation(Irp);
    UNREFERENCED_PARAMETER(DeviceObject);
    if (IrpSp->MajorFunction == IRP_MJ_DEVICE_CONTROL)
        MixedSeenCode = IrpSp->Parameters.DeviceIoControl.IoControlCode;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static VOID NTAPI MixedUnload(PDRIVER_OBJECT DriverObject)
{
    UNICODE_STRING Link;
    UNREFERENCED_PARAMETER(DriverObject);
    RtlInitUnicodeString(&Link, L"\\DosDevices\\IrpSimMixed");
    (void)IoDeleteSymbolicLink(&Link);
    IoDeleteDevice(MixedDevice);
}

NTSTATUS NTAPI MixedDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING Name, Link;
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = MixedUnload;
    DriverObject->MajorFunction[IRP_MJ_CREATE] = MixedDispatch;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = MixedDispatch;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = MixedDispatch;
    RtlInitUnicodeString(&Name, L"\\Device\\IrpSimMixed");
    RtlInitUnicodeString(&Link, L"\\DosDevices\\IrpSimMixed");
    Status = IoCreateDevice(DriverObject, 0, &Name, FILE_DEVICE_UNKNOWN, 0, FALSE, &MixedDevice);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = IoCreateSymbolicLink(&Link, &Name);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(MixedDevice);
        return Status;
    }
    MixedDevice->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

/* The application half, in the same file. */
BOOL MixedSendFromDriverFile(DWORD Code)
{
    DWORD Bytes = 0;
    BOOL Ok;
    HANDLE Device = CreateFileW(L"\\\\.\\IrpSimMixed", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (Device == INVALID_HANDLE_VALUE)
        return FALSE;
    Ok = DeviceIoControl(Device, Code, NULL, 0, NULL, 0, &Bytes, NULL);
    CloseHandle(Device);
    return Ok;
}
