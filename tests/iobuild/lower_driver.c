/*
 * The lower test device (see lower_driver.h), written as a WDK driver.
 */
#include "lower_driver.h"

#include <irpsim/irpsim.h> /* IrpSimLoadDriver */

static ULONG LowerMin(ULONG a, ULONG b)
{
    return a < b ? a : b;
}

static VOID LowerRead(PLOWER_EXTENSION Ext, const VOID *Source, ULONG Length)
{
    if (Source == NULL)
        return;
    Ext->Seen.DataLength = LowerMin(Length, sizeof(Ext->Seen.Data));
    RtlCopyMemory(Ext->Seen.Data, Source, Ext->Seen.DataLength);
}

static PVOID LowerMdlAddress(PIRP Irp)
{
    return Irp->MdlAddress != NULL ? MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority) : NULL;
}

/* Moves the request's data the way the device's transfer type says, and
   returns the number of bytes the device produced or consumed. */
static ULONG LowerTransfer(PDEVICE_OBJECT DeviceObject, PIRP Irp, PIO_STACK_LOCATION Stack)
{
    PLOWER_EXTENSION Ext = LowerExtension(DeviceObject);
    PVOID Data;

    switch (Stack->MajorFunction) {
    case IRP_MJ_READ:
    case IRP_MJ_WRITE: {
        ULONG Length = Stack->Parameters.Read.Length;
        if (DeviceObject->Flags & DO_BUFFERED_IO)
            Data = Irp->AssociatedIrp.SystemBuffer;
        else if (DeviceObject->Flags & DO_DIRECT_IO)
            Data = LowerMdlAddress(Irp);
        else
            Data = Irp->UserBuffer;
        if (Data == NULL)
            return 0;
        if (Stack->MajorFunction == IRP_MJ_WRITE)
            LowerRead(Ext, Data, Length);
        else
            RtlFillMemory(Data, Length, Ext->Config.Fill);
        return Length;
    }
    case IRP_MJ_DEVICE_CONTROL:
    case IRP_MJ_INTERNAL_DEVICE_CONTROL: {
        ULONG Code = Stack->Parameters.DeviceIoControl.IoControlCode;
        ULONG In = Stack->Parameters.DeviceIoControl.InputBufferLength;
        ULONG Out = Stack->Parameters.DeviceIoControl.OutputBufferLength;
        switch (METHOD_FROM_CTL_CODE(Code)) {
        case METHOD_BUFFERED:
            /* One buffer: read the input before writing the output over it. */
            LowerRead(Ext, Irp->AssociatedIrp.SystemBuffer, In);
            if (Irp->AssociatedIrp.SystemBuffer != NULL)
                RtlFillMemory(Irp->AssociatedIrp.SystemBuffer, Out, Ext->Config.Fill);
            return Out;
        case METHOD_IN_DIRECT:
            LowerRead(Ext, Irp->AssociatedIrp.SystemBuffer, In);
            Data = LowerMdlAddress(Irp);
            if (Data != NULL) {
                Ext->Seen.MdlDataLength = LowerMin(Out, sizeof(Ext->Seen.MdlData));
                RtlCopyMemory(Ext->Seen.MdlData, Data, Ext->Seen.MdlDataLength);
            }
            return Out;
        case METHOD_OUT_DIRECT:
            LowerRead(Ext, Irp->AssociatedIrp.SystemBuffer, In);
            Data = LowerMdlAddress(Irp);
            if (Data != NULL)
                RtlFillMemory(Data, Out, Ext->Config.Fill);
            return Out;
        default:
            LowerRead(Ext, Stack->Parameters.DeviceIoControl.Type3InputBuffer, In);
            if (Irp->UserBuffer != NULL)
                RtlFillMemory(Irp->UserBuffer, Out, Ext->Config.Fill);
            return Out;
        }
    }
    default:
        return 0;
    }
}

static VOID LowerFinish(PDEVICE_OBJECT DeviceObject, PIRP Irp, NTSTATUS Status)
{
    PLOWER_EXTENSION Ext = LowerExtension(DeviceObject);
    Irp->IoStatus.Status = Status;
    if (Status == STATUS_CANCELLED)
        Irp->IoStatus.Information = 0;
    /* Counted first: whoever the completion wakes sees the count. */
    InterlockedIncrement(&Ext->Completions);
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    KeSetEvent(&Ext->Completed, IO_NO_INCREMENT, FALSE);
}

static VOID LowerArmTimer(PLOWER_EXTENSION Ext, PIRP Irp, NTSTATUS Status)
{
    LARGE_INTEGER Due;
    KIRQL OldIrql;
    KeAcquireSpinLock(&Ext->Lock, &OldIrql);
    Ext->ToComplete = Irp;
    Ext->ToCompleteStatus = Status;
    KeReleaseSpinLock(&Ext->Lock, OldIrql);
    Due.QuadPart = -Ext->Config.Delay;
    KeSetTimer(&Ext->Timer, Due, &Ext->Dpc);
}

static VOID LowerDpcRoutine(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PDEVICE_OBJECT DeviceObject = (PDEVICE_OBJECT)DeferredContext;
    PLOWER_EXTENSION Ext = LowerExtension(DeviceObject);
    PIRP Irp;
    NTSTATUS Status;

    KeAcquireSpinLockAtDpcLevel(&Ext->Lock);
    Irp = Ext->ToComplete;
    Status = Ext->ToCompleteStatus;
    Ext->ToComplete = NULL;
    KeReleaseSpinLockFromDpcLevel(&Ext->Lock);
    if (Irp != NULL)
        LowerFinish(DeviceObject, Irp, Status);
}

static VOID LowerCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PLOWER_EXTENSION Ext = LowerExtension(DeviceObject);
    KIRQL OldIrql;

    IoReleaseCancelSpinLock(Irp->CancelIrql);
    InterlockedIncrement(&Ext->CancelRoutineRuns);
    KeAcquireSpinLock(&Ext->Lock, &OldIrql);
    if (Ext->Held == Irp) {
        Ext->HeldCancelable = FALSE;
        if (Ext->Config.OnCancel != LowerCancelIgnore)
            Ext->Held = NULL;
    }
    KeReleaseSpinLock(&Ext->Lock, OldIrql);
    KeSetEvent(&Ext->CancelRoutineRan, IO_NO_INCREMENT, FALSE);

    switch (Ext->Config.OnCancel) {
    case LowerCancelCompleteNow:
        LowerFinish(DeviceObject, Irp, STATUS_CANCELLED);
        break;
    case LowerCancelCompleteLater:
        LowerArmTimer(Ext, Irp, STATUS_CANCELLED);
        break;
    default:
        break; /* still held: LowerCompleteHeld finishes it */
    }
}

static NTSTATUS LowerDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PLOWER_EXTENSION Ext = LowerExtension(DeviceObject);
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(Irp);
    LOWER_SEEN *Seen = &Ext->Seen;
    ULONG Transfer;
    NTSTATUS Status = Ext->Config.Status;
    KIRQL OldIrql;

    InterlockedIncrement(&Ext->Dispatches);
    RtlZeroMemory(Seen, sizeof(*Seen));
    Seen->Irp = Irp;
    Seen->Major = Stack->MajorFunction;
    Seen->IoControlCode = Stack->Parameters.DeviceIoControl.IoControlCode;
    Seen->InputLength = Stack->Parameters.DeviceIoControl.InputBufferLength;
    Seen->OutputLength = Stack->Parameters.DeviceIoControl.OutputBufferLength;
    Seen->Length = Stack->Parameters.Read.Length;
    Seen->ByteOffset = Stack->Parameters.Read.ByteOffset;
    Seen->Flags = Irp->Flags;
    Seen->SystemBuffer = Irp->AssociatedIrp.SystemBuffer;
    Seen->Mdl = Irp->MdlAddress;
    if (Irp->MdlAddress != NULL) {
        Seen->MdlFlags = Irp->MdlAddress->MdlFlags;
        Seen->MdlVa = MmGetMdlVirtualAddress(Irp->MdlAddress);
        Seen->MdlByteCount = MmGetMdlByteCount(Irp->MdlAddress);
    }
    Seen->UserBuffer = Irp->UserBuffer;
    Seen->Type3InputBuffer = Stack->Parameters.DeviceIoControl.Type3InputBuffer;
    Seen->RequestorMode = Irp->RequestorMode;
    Seen->Thread = Irp->Tail.Overlay.Thread;
    Seen->OnThreadList = !IsListEmpty(&Irp->ThreadListEntry);
    Seen->UserEvent = Irp->UserEvent;
    Seen->UserIosb = Irp->UserIosb;
    Seen->FileObject = Stack->FileObject;
    Seen->StackCount = Irp->StackCount;
    Seen->CurrentLocation = Irp->CurrentLocation;

    Transfer = LowerTransfer(DeviceObject, Irp, Stack);
    Irp->IoStatus.Information =
        Ext->Config.Information == LOWER_INFORMATION_TRANSFER ? Transfer : Ext->Config.Information;

    switch (Ext->Config.Action) {
    case LowerPendTimer:
        IoMarkIrpPending(Irp);
        LowerArmTimer(Ext, Irp, Status);
        return STATUS_PENDING;
    case LowerPendCancelable:
        IoMarkIrpPending(Irp);
        KeAcquireSpinLock(&Ext->Lock, &OldIrql);
        Ext->Held = Irp;
        Ext->HeldCancelable = TRUE;
        IoSetCancelRoutine(Irp, LowerCancel);
        if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL) {
            /* Cancelled before the routine was set: finish it here. */
            Ext->Held = NULL;
            KeReleaseSpinLock(&Ext->Lock, OldIrql);
            LowerFinish(DeviceObject, Irp, STATUS_CANCELLED);
            return STATUS_PENDING;
        }
        KeReleaseSpinLock(&Ext->Lock, OldIrql);
        return STATUS_PENDING;
    default:
        LowerFinish(DeviceObject, Irp, Status);
        return Status;
    }
}

BOOLEAN LowerCompleteHeld(PDEVICE_OBJECT Device, NTSTATUS Status)
{
    PLOWER_EXTENSION Ext = LowerExtension(Device);
    PIRP Irp;
    KIRQL OldIrql;

    KeAcquireSpinLock(&Ext->Lock, &OldIrql);
    Irp = Ext->Held;
    if (Irp == NULL || (Ext->HeldCancelable && IoSetCancelRoutine(Irp, NULL) == NULL)) {
        /* Nothing held, or its cancel routine is about to take it. */
        KeReleaseSpinLock(&Ext->Lock, OldIrql);
        return FALSE;
    }
    Ext->Held = NULL;
    Ext->HeldCancelable = FALSE;
    Ext->ToComplete = Irp;
    Ext->ToCompleteStatus = Status;
    KeReleaseSpinLock(&Ext->Lock, OldIrql);

    KeClearEvent(&Ext->Completed);
    KeInsertQueueDpc(&Ext->Dpc, NULL, NULL);
    KeWaitForSingleObject(&Ext->Completed, Executive, KernelMode, FALSE, NULL);
    return TRUE;
}

static VOID LowerUnload(PDRIVER_OBJECT DriverObject)
{
    for (PDEVICE_OBJECT Device = DriverObject->DeviceObject; Device != NULL; Device = Device->NextDevice)
        KeCancelTimer(&LowerExtension(Device)->Timer);
    /* A DPC may still be finishing a completion (its waiter already woke):
       let it leave the device extension before the extension goes. */
    KeFlushQueuedDpcs();
    while (DriverObject->DeviceObject != NULL)
        IoDeleteDevice(DriverObject->DeviceObject);
}

NTSTATUS LowerDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    static const UCHAR Majors[] = {IRP_MJ_CREATE,         IRP_MJ_CLOSE,          IRP_MJ_READ,
                                   IRP_MJ_WRITE,          IRP_MJ_DEVICE_CONTROL, IRP_MJ_INTERNAL_DEVICE_CONTROL,
                                   IRP_MJ_FLUSH_BUFFERS, IRP_MJ_SHUTDOWN,       IRP_MJ_PNP};
    for (ULONG i = 0; i < RTL_NUMBER_OF(Majors); i++)
        DriverObject->MajorFunction[Majors[i]] = LowerDispatch;
    DriverObject->DriverUnload = LowerUnload;
    return STATUS_SUCCESS;
}

PDRIVER_OBJECT LowerLoad(VOID)
{
    PDRIVER_OBJECT Driver = NULL;
    if (!NT_SUCCESS(IrpSimLoadDriver(L"\\Driver\\Lower", LowerDriverEntry, &Driver)))
        return NULL;
    return Driver;
}

VOID LowerDefaultConfig(LOWER_CONFIG *Config)
{
    RtlZeroMemory(Config, sizeof(*Config));
    Config->Action = LowerComplete;
    Config->Status = STATUS_SUCCESS;
    Config->Information = LOWER_INFORMATION_TRANSFER;
    Config->Fill = 0xA5;
    Config->Delay = 10 * 10000; /* 10 ms */
}

PDEVICE_OBJECT LowerCreateDevice(PDRIVER_OBJECT Driver, ULONG IoFlags, const LOWER_CONFIG *Config)
{
    PDEVICE_OBJECT Device = NULL;
    PLOWER_EXTENSION Ext;
    if (!NT_SUCCESS(IoCreateDevice(Driver, sizeof(LOWER_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &Device)))
        return NULL;
    Ext = LowerExtension(Device);
    RtlZeroMemory(Ext, sizeof(*Ext));
    if (Config != NULL)
        Ext->Config = *Config;
    else
        LowerDefaultConfig(&Ext->Config);
    KeInitializeSpinLock(&Ext->Lock);
    KeInitializeTimer(&Ext->Timer);
    KeInitializeDpc(&Ext->Dpc, LowerDpcRoutine, Device);
    KeInitializeEvent(&Ext->Completed, SynchronizationEvent, FALSE);
    KeInitializeEvent(&Ext->CancelRoutineRan, SynchronizationEvent, FALSE);
    Device->Flags |= IoFlags;
    Device->Flags &= ~DO_DEVICE_INITIALIZING;
    return Device;
}
