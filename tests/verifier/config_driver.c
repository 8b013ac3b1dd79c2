/*
 * The configuration test's driver (see config_driver.h).
 */
#include "config_driver.h"

PDEVICE_OBJECT ConfigDevice;
PIRP ConfigHeldIrp;

static NTSTATUS ConfigRead(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    ConfigHeldIrp = Irp;
    return STATUS_PENDING; /* the bug: no IoMarkIrpPending */
}

static VOID ConfigUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    IoDeleteDevice(ConfigDevice);
}

NTSTATUS ConfigDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->MajorFunction[IRP_MJ_READ] = ConfigRead;
    DriverObject->DriverUnload = ConfigUnload;
    return IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &ConfigDevice);
}
