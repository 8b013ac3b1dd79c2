/*
 * The unload driver (see unload_driver.h).
 */
#include "unload_driver.h"

ULONG UnloadStart;
BOOLEAN UnloadCleans = TRUE;
KTIMER UnloadTimer;
KDPC UnloadDpc;
PDEVICE_OBJECT UnloadDevice;
PIRP UnloadHeldIrp;
static KDPC UnloadTimerDpc;
static KEVENT UnloadRelease; /* lets work items and the thread finish */
static KEVENT UnloadWorkDone, UnloadIoWorkDone;
static WORK_QUEUE_ITEM UnloadWorkItem;
static PIO_WORKITEM UnloadIoWorkItem;
static PKTHREAD UnloadThread; /* referenced */
static PVOID UnloadPool;
static ULONG UnloadStarted;

static VOID UnloadDeferred(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Argument1);
    UNREFERENCED_PARAMETER(Argument2);
}

static VOID UnloadExWork(PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    KeWaitForSingleObject(&UnloadRelease, Executive, KernelMode, FALSE, NULL);
    KeSetEvent(&UnloadWorkDone, IO_NO_INCREMENT, FALSE);
}

static VOID UnloadIoWork(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    KeWaitForSingleObject(&UnloadRelease, Executive, KernelMode, FALSE, NULL);
    IoFreeWorkItem(UnloadIoWorkItem);
    KeSetEvent(&UnloadIoWorkDone, IO_NO_INCREMENT, FALSE);
}

static VOID UnloadThreadMain(PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    KeWaitForSingleObject(&UnloadRelease, Executive, KernelMode, FALSE, NULL);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

VOID UnloadReleaseAll(VOID)
{
    KeSetEvent(&UnloadRelease, IO_NO_INCREMENT, FALSE);
    if (UnloadStarted & UNLOAD_EXWORK)
        KeWaitForSingleObject(&UnloadWorkDone, Executive, KernelMode, FALSE, NULL);
    if (UnloadStarted & UNLOAD_IOWORK)
        KeWaitForSingleObject(&UnloadIoWorkDone, Executive, KernelMode, FALSE, NULL);
    if (UnloadThread != NULL) {
        KeWaitForSingleObject(UnloadThread, Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(UnloadThread);
        UnloadThread = NULL;
    }
    (void)KeCancelTimer(&UnloadTimer);
    (void)KeRemoveQueueDpc(&UnloadDpc);
    KeFlushQueuedDpcs();
    UnloadStarted = 0;
}

static NTSTATUS UnloadDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    IoMarkIrpPending(Irp);
    UnloadHeldIrp = Irp;
    return STATUS_PENDING;
}

static VOID UnloadUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (!UnloadCleans) {
        if (!(UnloadStart & UNLOAD_DEVICE))
            IoDeleteDevice(UnloadDevice);
        return; /* the bug: everything else is left running */
    }
    UnloadReleaseAll();
    if (UnloadHeldIrp != NULL) {
        PIRP Irp = UnloadHeldIrp;
        UnloadHeldIrp = NULL;
        Irp->IoStatus.Status = STATUS_CANCELLED;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
    }
    if (UnloadPool != NULL)
        ExFreePoolWithTag(UnloadPool, UNLOAD_POOL_TAG);
    UnloadPool = NULL;
    IoDeleteDevice(UnloadDevice);
}

NTSTATUS UnloadDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->MajorFunction[IRP_MJ_READ] = UnloadDispatch;
    DriverObject->DriverUnload = UnloadUnload;
    UnloadHeldIrp = NULL;
    UnloadPool = NULL;
    UnloadThread = NULL;
    UnloadStarted = UnloadStart;
    Status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &UnloadDevice);
    if (!NT_SUCCESS(Status))
        return Status;
    KeInitializeEvent(&UnloadRelease, NotificationEvent, FALSE);
    KeInitializeEvent(&UnloadWorkDone, NotificationEvent, FALSE);
    KeInitializeEvent(&UnloadIoWorkDone, NotificationEvent, FALSE);
    KeInitializeTimer(&UnloadTimer);
    KeInitializeDpc(&UnloadTimerDpc, UnloadDeferred, NULL);
    KeInitializeDpc(&UnloadDpc, UnloadDeferred, NULL);
    KeSetTargetProcessorDpc(&UnloadDpc, 0);
    if (UnloadStart & UNLOAD_TIMER) {
        LARGE_INTEGER Due;
        Due.QuadPart = -36000000000LL; /* an hour */
        KeSetTimer(&UnloadTimer, Due, &UnloadTimerDpc);
    }
    if (UnloadStart & UNLOAD_DPC)
        KeInsertQueueDpc(&UnloadDpc, NULL, NULL);
    if (UnloadStart & UNLOAD_EXWORK) {
        ExInitializeWorkItem(&UnloadWorkItem, UnloadExWork, NULL);
        ExQueueWorkItem(&UnloadWorkItem, DelayedWorkQueue);
    }
    if (UnloadStart & UNLOAD_IOWORK) {
        UnloadIoWorkItem = IoAllocateWorkItem(UnloadDevice);
        if (UnloadIoWorkItem == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        IoQueueWorkItem(UnloadIoWorkItem, UnloadIoWork, DelayedWorkQueue, NULL);
    }
    if (UnloadStart & UNLOAD_THREAD) {
        HANDLE Handle;
        Status = PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, UnloadThreadMain, NULL);
        if (!NT_SUCCESS(Status))
            return Status;
        (void)ObReferenceObjectByHandle(Handle, SYNCHRONIZE, NULL, KernelMode, (PVOID *)&UnloadThread, NULL);
        ZwClose(Handle);
    }
    if (UnloadStart & UNLOAD_POOL)
        UnloadPool = ExAllocatePoolWithTag(NonPagedPool, UNLOAD_POOL_BYTES, UNLOAD_POOL_TAG);
    return STATUS_SUCCESS;
}

/* ---- a driver that cannot be unloaded ---- */
static KTIMER StayingTimer;

NTSTATUS StayingDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    LARGE_INTEGER Due;
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);
    Due.QuadPart = -36000000000LL;
    KeInitializeTimer(&StayingTimer);
    KeSetTimer(&StayingTimer, Due, NULL);
    return STATUS_SUCCESS;
}
