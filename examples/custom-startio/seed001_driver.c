/*
 * The driver of seed 001 (a textbook "custom StartIo" example): reads are
 * serialised through a private KDEVICE_QUEUE in the device extension. The
 * dispatch routine marks the IRP pending, raises to DISPATCH_LEVEL and
 * inserts it; when the queue was idle it processes the IRP at once and then
 * keeps taking the next one until the queue runs empty.
 *
 * The seed's mistake: DriverEntry sets the queue up with
 * InitializeListHead(&Ext->ReadQueue.DeviceListHead) only. With
 * Seed001Fixed set, DriverEntry calls KeInitializeDeviceQueue instead.
 * (The seed also waited three seconds per IRP at DISPATCH_LEVEL inside its
 * StartIo loop — a second bug, left out here.)
 */
#include <ntddk.h>

typedef struct _SEED001_EXTENSION {
    KDEVICE_QUEUE ReadQueue;
} SEED001_EXTENSION, *PSEED001_EXTENSION;

BOOLEAN Seed001Fixed;
PDEVICE_OBJECT Seed001Device;
LONG Seed001Processed;

static VOID Seed001ProcessReads(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PSEED001_EXTENSION Ext = (PSEED001_EXTENSION)DeviceObject->DeviceExtension;
    while (Irp != NULL) {
        PKDEVICE_QUEUE_ENTRY Next;
        Irp->IoStatus.Status = STATUS_SUCCESS;
        Irp->IoStatus.Information = 0;
        InterlockedIncrement(&Seed001Processed);
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        Next = KeRemoveDeviceQueue(&Ext->ReadQueue);
        Irp = Next != NULL ? CONTAINING_RECORD(Next, IRP, Tail.Overlay.DeviceQueueEntry) : NULL;
    }
}

static NTSTATUS NTAPI Seed001Read(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PSEED001_EXTENSION Ext = (PSEED001_EXTENSION)DeviceObject->DeviceExtension;
    KIRQL OldIrql;
    IoMarkIrpPending(Irp);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    if (!KeInsertDeviceQueue(&Ext->ReadQueue, &Irp->Tail.Overlay.DeviceQueueEntry))
        Seed001ProcessReads(DeviceObject, Irp);
    KeLowerIrql(OldIrql);
    return STATUS_PENDING;
}

static VOID NTAPI Seed001Unload(PDRIVER_OBJECT DriverObject)
{
    if (DriverObject->DeviceObject != NULL)
        IoDeleteDevice(DriverObject->DeviceObject);
    Seed001Device = NULL;
}

NTSTATUS NTAPI Seed001DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PSEED001_EXTENSION Ext;
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);

    Status =
        IoCreateDevice(DriverObject, sizeof(SEED001_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &Seed001Device);
    if (!NT_SUCCESS(Status))
        return Status;
    Ext = (PSEED001_EXTENSION)Seed001Device->DeviceExtension;
    if (Seed001Fixed)
        KeInitializeDeviceQueue(&Ext->ReadQueue);
    else
        InitializeListHead(&Ext->ReadQueue.DeviceListHead); /* the mistake */
    DriverObject->MajorFunction[IRP_MJ_READ] = Seed001Read;
    DriverObject->DriverUnload = Seed001Unload;
    return STATUS_SUCCESS;
}
