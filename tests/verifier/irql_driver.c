/*
 * The IRQL and locks driver (see irql_driver.h).
 */
#include "irql_driver.h"

IRQL_MODE IrqlDispatchMode;
IRQL_MODE IrqlCompletionMode;
IRQL_MODE IrqlCancelMode;
IRQL_MODE IrqlDpcMode;
PDEVICE_OBJECT IrqlLower, IrqlFilter;
KSPIN_LOCK IrqlLock;
PIRP IrqlHeldIrp;
static KDPC IrqlDpc;
static KEVENT IrqlDpcRan;

/* What each routine does before it returns, by mode. */
static VOID IrqlMisbehave(IRQL_MODE Mode)
{
    KIRQL Old;
    switch (Mode) {
    case IrqlRaiseNoLower:
        KeRaiseIrql(KeGetCurrentIrql() < DISPATCH_LEVEL ? DISPATCH_LEVEL : HIGH_LEVEL, &Old);
        break;
    case IrqlHoldLock:
        /* Already at DISPATCH_LEVEL here, so the IRQL itself is not changed. */
        KeAcquireSpinLockAtDpcLevel(&IrqlLock);
        break;
    case IrqlCriticalRegion:
        KeEnterCriticalRegion();
        break;
    case IrqlCorrect:
    default:
        KeAcquireSpinLock(&IrqlLock, &Old);
        KeReleaseSpinLock(&IrqlLock, Old);
        break;
    }
}

static VOID IrqlCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    KIRQL Old;
    UNREFERENCED_PARAMETER(DeviceObject);
    IrqlHeldIrp = NULL;
    switch (IrqlCancelMode) {
    case IrqlRaiseNoLower:
        /* The bug: releases the cancel lock to DISPATCH_LEVEL, not CancelIrql. */
        IoReleaseCancelSpinLock(DISPATCH_LEVEL);
        break;
    case IrqlHoldLock:
        IoReleaseCancelSpinLock(Irp->CancelIrql);
        KeAcquireSpinLock(&IrqlLock, &Old); /* the bug: never released */
        break;
    default:
        IoReleaseCancelSpinLock(Irp->CancelIrql);
        break;
    }
    Irp->IoStatus.Status = STATUS_CANCELLED;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

static NTSTATUS IrqlCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    if (Irp->PendingReturned)
        IoMarkIrpPending(Irp);
    IrqlMisbehave(IrqlCompletionMode);
    return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS IrqlDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    if (DeviceObject == IrqlFilter) {
        IoCopyCurrentIrpStackLocationToNext(Irp);
        IoSetCompletionRoutine(Irp, IrqlCompletion, NULL, TRUE, TRUE, TRUE);
        return IoCallDriver(IrqlLower, Irp);
    }
    if (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode == 1) {
        /* Held, cancelable, for the cancel-routine tests. */
        IoMarkIrpPending(Irp);
        IrqlHeldIrp = Irp;
        IoSetCancelRoutine(Irp, IrqlCancel);
        return STATUS_PENDING;
    }
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    IrqlMisbehave(IrqlDispatchMode);
    return STATUS_SUCCESS;
}

static VOID IrqlDeferred(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Argument1);
    UNREFERENCED_PARAMETER(Argument2);
    KeSetEvent(&IrqlDpcRan, 0, FALSE);
    IrqlMisbehave(IrqlDpcMode);
}

VOID IrqlRunDpc(VOID)
{
    KeClearEvent(&IrqlDpcRan);
    KeInsertQueueDpc(&IrqlDpc, NULL, NULL);
    KeWaitForSingleObject(&IrqlDpcRan, Executive, KernelMode, FALSE, NULL);
    KeFlushQueuedDpcs();
}

PIRP IrqlAllocateIrpAt(KIRQL Irql)
{
    KIRQL Old;
    PIRP Irp;
    KeRaiseIrql(Irql, &Old);
    Irp = IoAllocateIrp(1, FALSE);
    KeLowerIrql(Old);
    return Irp;
}

static VOID IrqlUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    KeFlushQueuedDpcs();
    IoDetachDevice(IrqlLower);
    IoDeleteDevice(IrqlFilter);
    IoDeleteDevice(IrqlLower);
}

NTSTATUS IrqlDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = IrqlDispatch;
    DriverObject->DriverUnload = IrqlUnload;
    KeInitializeSpinLock(&IrqlLock);
    KeInitializeDpc(&IrqlDpc, IrqlDeferred, NULL);
    KeInitializeEvent(&IrqlDpcRan, NotificationEvent, FALSE);
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &IrqlLower);
    if (NT_SUCCESS(Status))
        Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &IrqlFilter);
    if (!NT_SUCCESS(Status))
        return Status;
    return IoAttachDeviceToDeviceStack(IrqlFilter, IrqlLower) != NULL ? STATUS_SUCCESS : STATUS_NO_SUCH_DEVICE;
}
