/*
 * A WDK-style driver built on the system StartIo queue.
 */
#include "startio_driver.h"

PDEVICE_OBJECT StartIoTestDevice;
PDEVICE_OBJECT NoStartIoTestDevice;

static PSTARTIO_DEVICE_EXTENSION ExtOf(PDEVICE_OBJECT DeviceObject)
{
    return (PSTARTIO_DEVICE_EXTENSION)DeviceObject->DeviceExtension;
}

/* Completes the packet StartIo owns. The cancel routine never completes
   the current packet, so whoever finishes it checks Cancel here, under the
   cancel spin lock that IoCancelIrp also holds. */
static VOID FinishPacket(PIRP Irp)
{
    KIRQL Irql;
    BOOLEAN Cancelled;

    IoAcquireCancelSpinLock(&Irql);
    IoSetCancelRoutine(Irp, NULL);
    Cancelled = Irp->Cancel;
    IoReleaseCancelSpinLock(Irql);

    Irp->IoStatus.Status = Cancelled ? STATUS_CANCELLED : STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

static VOID NTAPI StartIoTestStartIo(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PSTARTIO_DEVICE_EXTENSION Ext = ExtOf(DeviceObject);
    LONG Depth = InterlockedIncrement(&Ext->Depth);
    LONG Index = InterlockedIncrement(&Ext->StartIoCalls) - 1;
    LONG Max = InterlockedCompareExchange(&Ext->MaxDepth, 0, 0);

    while (Depth > Max) {
        LONG Seen = InterlockedCompareExchange(&Ext->MaxDepth, Depth, Max);
        if (Seen == Max)
            break;
        Max = Seen;
    }
    if (Index < STARTIO_LOG_SIZE) {
        Ext->Started[Index].Irp = Irp;
        Ext->Started[Index].Irql = KeGetCurrentIrql();
        Ext->Started[Index].WasCurrentIrp = (BOOLEAN)(DeviceObject->CurrentIrp == Irp);
        Ext->Started[Index].CancelRoutineOnEntry =
            (PDRIVER_CANCEL)InterlockedCompareExchangePointer((PVOID volatile *)&Irp->CancelRoutine, NULL, NULL);
        Ext->Started[Index].Depth = Depth;
    }

    if (!Ext->Hold) {
        FinishPacket(Irp);
        IoStartNextPacket(DeviceObject, Ext->UseCancel);
    } else {
        /* Program the device; its "interrupt" finishes the packet later. */
        InterlockedExchangePointer(&Ext->Programmed, Irp);
    }
    InterlockedDecrement(&Ext->Depth);
}

VOID NTAPI StartIoTestCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PSTARTIO_DEVICE_EXTENSION Ext = ExtOf(DeviceObject);

    Ext->CancelCalls++;
    Ext->LastCancelIrql = Irp->CancelIrql;
    Ext->LastCancelCalledAt = KeGetCurrentIrql();
    Ext->LastCancelFlag = Irp->Cancel;
    Ext->LastCancelHadRoutine =
        (BOOLEAN)(InterlockedCompareExchangePointer((PVOID volatile *)&Irp->CancelRoutine, NULL, NULL) != NULL);

    if (Irp == DeviceObject->CurrentIrp) {
        /* StartIo (or the code finishing the packet) sees Cancel. */
        IoReleaseCancelSpinLock(Irp->CancelIrql);
        return;
    }
    if (KeRemoveEntryDeviceQueue(&DeviceObject->DeviceQueue, &Irp->Tail.Overlay.DeviceQueueEntry)) {
        Ext->CancelCompleted++;
        IoReleaseCancelSpinLock(Irp->CancelIrql);
        Irp->IoStatus.Status = STATUS_CANCELLED;
        Irp->IoStatus.Information = 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return;
    }
    IoReleaseCancelSpinLock(Irp->CancelIrql);
}

static NTSTATUS NTAPI StartIoTestRead(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PSTARTIO_DEVICE_EXTENSION Ext = ExtOf(DeviceObject);
    ULONG Key = IoGetCurrentIrpStackLocation(Irp)->Parameters.Read.Key;

    IoMarkIrpPending(Irp);
    IoStartPacket(DeviceObject, Irp, Ext->UseKey ? &Key : NULL, Ext->UseCancel ? StartIoTestCancel : NULL);
    return STATUS_PENDING;
}

VOID StartIoTestFinishCurrent(BOOLEAN ByKey, ULONG Key)
{
    PDEVICE_OBJECT DeviceObject = StartIoTestDevice;
    PSTARTIO_DEVICE_EXTENSION Ext = ExtOf(DeviceObject);
    KIRQL OldIrql;

    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    InterlockedExchangePointer(&Ext->Programmed, NULL);
    FinishPacket(DeviceObject->CurrentIrp);
    if (ByKey)
        IoStartNextPacketByKey(DeviceObject, Ext->UseCancel, Key);
    else
        IoStartNextPacket(DeviceObject, Ext->UseCancel);
    KeLowerIrql(OldIrql);
}

BOOLEAN StartIoTestInterrupt(VOID)
{
    PDEVICE_OBJECT DeviceObject = StartIoTestDevice;
    PSTARTIO_DEVICE_EXTENSION Ext = ExtOf(DeviceObject);
    KIRQL OldIrql;
    PIRP Irp = (PIRP)InterlockedExchangePointer(&Ext->Programmed, NULL);

    if (Irp == NULL)
        return FALSE;
    /* What a DpcForIsr does, at DISPATCH_LEVEL. */
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    FinishPacket(Irp);
    IoStartNextPacket(DeviceObject, Ext->UseCancel);
    KeLowerIrql(OldIrql);
    return TRUE;
}

static VOID NTAPI StartIoTestUnload(PDRIVER_OBJECT DriverObject)
{
    IoDeleteDevice(DriverObject->DeviceObject);
}

static NTSTATUS CreateTestDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT *DeviceObject)
{
    NTSTATUS Status = IoCreateDevice(DriverObject, sizeof(STARTIO_DEVICE_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, 0,
                                     FALSE, DeviceObject);
    if (NT_SUCCESS(Status))
        RtlZeroMemory((*DeviceObject)->DeviceExtension, sizeof(STARTIO_DEVICE_EXTENSION));
    DriverObject->DriverUnload = StartIoTestUnload;
    return Status;
}

NTSTATUS NTAPI StartIoTestDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->MajorFunction[IRP_MJ_READ] = StartIoTestRead;
    DriverObject->DriverStartIo = StartIoTestStartIo;
    return CreateTestDevice(DriverObject, &StartIoTestDevice);
}

NTSTATUS NTAPI NoStartIoTestDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->MajorFunction[IRP_MJ_READ] = StartIoTestRead;
    return CreateTestDevice(DriverObject, &NoStartIoTestDevice);
}
