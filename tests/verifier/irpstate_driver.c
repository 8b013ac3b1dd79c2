/*
 * The IRP life-cycle driver (see irpstate_driver.h).
 */
#include "irpstate_driver.h"
#include "list_csq.h"

#define IRPSTATE_TAG 'tSrI'

IRPSTATE_MODE IrpStateMode;
PDEVICE_OBJECT IrpStateDevice;
PDEVICE_OBJECT IrpStateFilter, IrpStateBelow;
PIRP IrpStateHeld;
static PDRIVER_OBJECT IrpStateDriver;

/* ---- a cancel-safe queue (tests/support/list_csq.h) ---- */
static LIST_CSQ IrpStateQueue;

PIRP IrpStateDequeue(VOID)
{
    return IoCsqRemoveNextIrp(&IrpStateQueue.Csq, NULL);
}

static VOID IrpStateCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    IoReleaseCancelSpinLock(Irp->CancelIrql);
}

static NTSTATUS IrpStateCompleteWith(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static NTSTATUS IrpStateDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(Irp);
    if (DeviceObject == IrpStateFilter) {
        if (IrpStateMode == StateFilterCopyNoRoutine)
            IoCopyCurrentIrpStackLocationToNext(Irp);
        else
            IoSkipCurrentIrpStackLocation(Irp);
        return IoCallDriver(IrpStateBelow, Irp);
    }
    if (DeviceObject == IrpStateBelow)
        return IrpStateCompleteWith(Irp, STATUS_SUCCESS, 0);

    switch (IrpStateMode) {
    case StateCompleteTwice:
        IrpStateCompleteWith(Irp, STATUS_SUCCESS, 0);
        IoCompleteRequest(Irp, IO_NO_INCREMENT); /* the bug */
        return STATUS_SUCCESS;
    case StateCompleteWithCancel:
        IoSetCancelRoutine(Irp, IrpStateCancel);
        return IrpStateCompleteWith(Irp, STATUS_SUCCESS, 0); /* the bug: routine still set */
    case StateCompleteClearedCancel:
        IoSetCancelRoutine(Irp, IrpStateCancel);
        if (IoSetCancelRoutine(Irp, NULL) != NULL)
            return IrpStateCompleteWith(Irp, STATUS_SUCCESS, 0);
        return STATUS_PENDING; /* (not reached here: nobody cancels) */
    case StateCompletePending:
        Irp->IoStatus.Status = STATUS_PENDING; /* the bug */
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_PENDING;
    case StateQueue:
        return IoCsqInsertIrpEx(&IrpStateQueue.Csq, Irp, NULL, NULL) == STATUS_SUCCESS
                   ? STATUS_PENDING
                   : IrpStateCompleteWith(Irp, STATUS_CANCELLED, 0);
    case StateInformationTooLarge:
        /* The bug: Information counts bytes the caller's buffer cannot hold. */
        return IrpStateCompleteWith(Irp, STATUS_SUCCESS, Stack->Parameters.DeviceIoControl.OutputBufferLength + 8);
    case StateInformationFits:
        return IrpStateCompleteWith(Irp, STATUS_SUCCESS, Stack->Parameters.DeviceIoControl.OutputBufferLength);
    case StateHold:
        IoMarkIrpPending(Irp);
        IrpStateHeld = Irp;
        return STATUS_PENDING;
    case StateComplete:
    default:
        return IrpStateCompleteWith(Irp, STATUS_SUCCESS, 0);
    }
}

/* ---- IRPs the driver makes itself ---- */

static NTSTATUS IrpStateOwnCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    if (Context != NULL) {
        IoFreeIrp(Irp);
        return STATUS_MORE_PROCESSING_REQUIRED; /* correct: take it back */
    }
    return STATUS_SUCCESS; /* the bug: completion goes on to an owner that does not exist */
}

NTSTATUS IrpStateSendOwnIrp(BOOLEAN RightSize, BOOLEAN RoutineStops)
{
    PIRP Irp = IoAllocateIrp(RightSize ? IrpStateFilter->StackSize : (CCHAR)(IrpStateFilter->StackSize - 1), FALSE);
    if (Irp == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_FLUSH_BUFFERS;
    IoSetCompletionRoutine(Irp, IrpStateOwnCompletion, RoutineStops ? (PVOID)1 : NULL, TRUE, TRUE, TRUE);
    return IoCallDriver(IrpStateFilter, Irp);
}

VOID IrpStateCompleteOwnIrp(BOOLEAN Free)
{
    PIRP Irp = IoAllocateIrp(1, FALSE);
    if (Irp == NULL)
        return;
    if (Free) {
        IoFreeIrp(Irp);
        return;
    }
    /* The bug: completing an IRP it made and never sent (SDV
       IoAllocateComplete); a completion routine takes it back. */
    IoSetCompletionRoutine(Irp, IrpStateOwnCompletion, (PVOID)1, TRUE, TRUE, TRUE);
    IoSetNextIrpStackLocation(Irp);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

VOID IrpStateFreeDriverIrp(BOOLEAN WithIoFreeIrp)
{
    USHORT Size = IoSizeOfIrp(1);
    PIRP Irp = (PIRP)ExAllocatePoolWithTag(NonPagedPool, Size, IRPSTATE_TAG);
    if (Irp == NULL)
        return;
    IoInitializeIrp(Irp, Size, 1);
    if (WithIoFreeIrp)
        IoFreeIrp(Irp); /* the bug: the memory is the driver's */
    else
        ExFreePoolWithTag(Irp, IRPSTATE_TAG);
}

static VOID IrpStateUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    IoDetachDevice(IrpStateBelow);
    IoDeleteDevice(IrpStateFilter);
    IoDeleteDevice(IrpStateBelow);
    IoDeleteDevice(IrpStateDevice);
}

NTSTATUS IrpStateDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);
    IrpStateDriver = DriverObject;
    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        DriverObject->MajorFunction[i] = IrpStateDispatch;
    DriverObject->DriverUnload = IrpStateUnload;
    (void)ListCsqInitialize(&IrpStateQueue);
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &IrpStateDevice);
    if (NT_SUCCESS(Status))
        Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &IrpStateBelow);
    if (NT_SUCCESS(Status))
        Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &IrpStateFilter);
    if (!NT_SUCCESS(Status))
        return Status;
    if (IoAttachDeviceToDeviceStack(IrpStateFilter, IrpStateBelow) == NULL)
        return STATUS_NO_SUCH_DEVICE;
    return STATUS_SUCCESS;
}
