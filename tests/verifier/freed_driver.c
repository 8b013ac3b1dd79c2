/*
 * The device-extension driver (see freed_driver.h).
 */
#include "freed_driver.h"

PDEVICE_OBJECT FreedDevice;

static PFREED_EXTENSION FreedExtension(VOID)
{
    return (PFREED_EXTENSION)FreedDevice->DeviceExtension;
}

static VOID FreedDeferred(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    PFREED_EXTENSION Extension = (PFREED_EXTENSION)Context;
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Argument1);
    UNREFERENCED_PARAMETER(Argument2);
    Extension->Value++;
}

VOID FreedArmTimer(VOID)
{
    LARGE_INTEGER Due;
    Due.QuadPart = -36000000000LL; /* relative: one hour */
    KeSetTimer(&FreedExtension()->Timer, Due, &FreedExtension()->Dpc);
}

VOID FreedQueueDpc(VOID)
{
    KeInsertQueueDpc(&FreedExtension()->Dpc, NULL, NULL);
}

VOID FreedDeleteDevice(BOOLEAN CancelFirst)
{
    if (CancelFirst) {
        /* What the remove / unload path must do before the extension goes. */
        KeCancelTimer(&FreedExtension()->Timer);
        KeRemoveQueueDpc(&FreedExtension()->Dpc);
    }
    IoDeleteDevice(FreedDevice);
    FreedDevice = NULL;
}

static VOID FreedUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (FreedDevice != NULL)
        FreedDeleteDevice(TRUE);
    KeFlushQueuedDpcs();
}

NTSTATUS FreedDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING Name = RTL_CONSTANT_STRING(FREED_DEVICE_NAME);
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = FreedUnload;
    Status = IoCreateDevice(DriverObject, sizeof(FREED_EXTENSION), &Name, FILE_DEVICE_UNKNOWN, 0, FALSE, &FreedDevice);
    if (!NT_SUCCESS(Status))
        return Status;
    KeInitializeTimer(&FreedExtension()->Timer);
    KeInitializeDpc(&FreedExtension()->Dpc, FreedDeferred, FreedExtension());
    KeSetTargetProcessorDpc(&FreedExtension()->Dpc, 0);
    return STATUS_SUCCESS;
}
