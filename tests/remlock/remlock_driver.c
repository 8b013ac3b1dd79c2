/*
 * The remove-lock driver (see remlock_driver.h).
 */
#include "remlock_driver.h"

#include <irpsim/irpsim.h> /* IrpSimLoadDriver */

static NTSTATUS RemlockRead(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PREMLOCK_EXTENSION Ext = RemlockExtension(DeviceObject);
    NTSTATUS Status;
    KIRQL OldIrql;

    /* The IRP is the tag: its release names the same IRP. */
    Status = IoAcquireRemoveLock(&Ext->RemoveLock, Irp);
    if (!NT_SUCCESS(Status)) {
        /* Being removed: fail the request. */
        Ext->RejectedReads++;
        Irp->IoStatus.Status = Status;
        Irp->IoStatus.Information = 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return Status;
    }
    IoMarkIrpPending(Irp);
    KeAcquireSpinLock(&Ext->Lock, &OldIrql);
    Ext->Held[Ext->HeldCount++] = Irp;
    KeReleaseSpinLock(&Ext->Lock, OldIrql);
    return STATUS_PENDING;
}

static NTSTATUS RemlockPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PREMLOCK_EXTENSION Ext = RemlockExtension(DeviceObject);
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS Status;

    Status = IoAcquireRemoveLock(&Ext->RemoveLock, Irp);
    if (!NT_SUCCESS(Status)) {
        Irp->IoStatus.Status = Status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return Status;
    }
    if (Stack->MinorFunction == IRP_MN_REMOVE_DEVICE) {
        /* Waits for every read still holding the lock. */
        IoReleaseRemoveLockAndWait(&Ext->RemoveLock, Irp);
        InterlockedExchange(&Ext->Removed, 1);
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
    }
    Status = Irp->IoStatus.Status; /* not handled: leave it alone */
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    IoReleaseRemoveLock(&Ext->RemoveLock, Irp);
    return Status;
}

BOOLEAN RemlockCompleteOldestRead(PDEVICE_OBJECT Device)
{
    PREMLOCK_EXTENSION Ext = RemlockExtension(Device);
    PIRP Irp = NULL;
    KIRQL OldIrql;

    KeAcquireSpinLock(&Ext->Lock, &OldIrql);
    if (Ext->HeldCount != 0) {
        Irp = Ext->Held[0];
        Ext->HeldCount--;
        RtlMoveMemory(&Ext->Held[0], &Ext->Held[1], Ext->HeldCount * sizeof(PIRP));
    }
    KeReleaseSpinLock(&Ext->Lock, OldIrql);
    if (Irp == NULL)
        return FALSE;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    /* The IRP may be gone; its address still names the acquisition. */
    IoReleaseRemoveLock(&Ext->RemoveLock, Irp);
    return TRUE;
}

static VOID RemlockUnload(PDRIVER_OBJECT DriverObject)
{
    while (DriverObject->DeviceObject != NULL)
        IoDeleteDevice(DriverObject->DeviceObject);
}

static NTSTATUS RemlockDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    DriverObject->MajorFunction[IRP_MJ_READ] = RemlockRead;
    DriverObject->MajorFunction[IRP_MJ_PNP] = RemlockPnp;
    DriverObject->DriverUnload = RemlockUnload;
    return STATUS_SUCCESS;
}

PDRIVER_OBJECT RemlockLoad(VOID)
{
    PDRIVER_OBJECT Driver = NULL;
    if (!NT_SUCCESS(IrpSimLoadDriver(L"\\Driver\\Remlock", RemlockDriverEntry, &Driver)))
        return NULL;
    return Driver;
}

PDEVICE_OBJECT RemlockCreateDevice(PDRIVER_OBJECT Driver, ULONG MaxLockedMinutes, ULONG HighWatermark)
{
    PDEVICE_OBJECT Device = NULL;
    PREMLOCK_EXTENSION Ext;
    if (!NT_SUCCESS(IoCreateDevice(Driver, sizeof(REMLOCK_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &Device)))
        return NULL;
    Ext = RemlockExtension(Device);
    RtlZeroMemory(Ext, sizeof(*Ext));
    IoInitializeRemoveLock(&Ext->RemoveLock, REMLOCK_TAG, MaxLockedMinutes, HighWatermark);
    KeInitializeSpinLock(&Ext->Lock);
    Device->Flags |= DO_BUFFERED_IO;
    Device->Flags &= ~DO_DEVICE_INITIALIZING;
    return Device;
}
