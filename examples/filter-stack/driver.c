/*
 * The function driver of the filter-stack demo: a legacy (non-PnP) driver
 * that owns \Device\IrpSimFunction.
 *
 * IOCTL_FUNCTION_NOW is completed in the dispatch routine. An
 * IOCTL_FUNCTION_LATER request is marked pending and parked in a
 * cancel-safe queue (the classic IoSetCancelRoutine protocol); a system
 * thread completes the queue when IOCTL_FUNCTION_RELEASE arrives.
 * IOCTL_FUNCTION_FAIL fails.
 *
 * Plain WDK code: it compiles unchanged for Windows.
 */
#include <ntddk.h>
#include "filterstack.h"

typedef struct _FUNCTION_EXTENSION {
    KSPIN_LOCK QueueLock;
    LIST_ENTRY Queue;   /* pended IRPs, linked through Tail.Overlay.ListEntry */
    KEVENT WorkEvent;   /* wakes the worker */
    KEVENT StopEvent;   /* ends the worker at unload */
    PVOID WorkerThread; /* referenced thread object */
} FUNCTION_EXTENSION, *PFUNCTION_EXTENSION;

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD FunctionUnload;
static DRIVER_DISPATCH FunctionCreateClose;
static DRIVER_DISPATCH FunctionDeviceControl;
static DRIVER_CANCEL FunctionCancel;
static KSTART_ROUTINE FunctionWorker;

static PDEVICE_OBJECT FunctionDevice;

static NTSTATUS CompleteNow(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static ULONG_PTR Answer(PIRP Irp, const char *Text)
{
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(Irp);
    ULONG Length = (ULONG)strlen(Text) + 1;
    if (Irp->AssociatedIrp.SystemBuffer == NULL || Stack->Parameters.DeviceIoControl.OutputBufferLength < Length)
        return 0;
    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, Text, Length);
    return Length;
}

static NTSTATUS FunctionCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    static const char *Names[] = {"IRP_MJ_CREATE", "?", "IRP_MJ_CLOSE"};
    UCHAR Major = IoGetCurrentIrpStackLocation(Irp)->MajorFunction;
    UNREFERENCED_PARAMETER(DeviceObject);
    DbgPrint("[function] %s\n", Major <= IRP_MJ_CLOSE ? Names[Major] : "IRP_MJ_CLEANUP");
    return CompleteNow(Irp, STATUS_SUCCESS, 0);
}

static VOID FunctionCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PFUNCTION_EXTENSION Extension = (PFUNCTION_EXTENSION)DeviceObject->DeviceExtension;
    KIRQL Irql;

    IoReleaseCancelSpinLock(Irp->CancelIrql);
    KeAcquireSpinLock(&Extension->QueueLock, &Irql);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&Extension->QueueLock, Irql);
    DbgPrint("[function] cancel routine: completing IRP %p with STATUS_CANCELLED\n", Irp);
    CompleteNow(Irp, STATUS_CANCELLED, 0);
}

static NTSTATUS QueueRequest(PFUNCTION_EXTENSION Extension, PIRP Irp)
{
    KIRQL Irql;

    KeAcquireSpinLock(&Extension->QueueLock, &Irql);
    IoSetCancelRoutine(Irp, FunctionCancel);
    if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL) {
        /* Cancelled before it was queued, and the routine is ours again. */
        KeReleaseSpinLock(&Extension->QueueLock, Irql);
        return CompleteNow(Irp, STATUS_CANCELLED, 0);
    }
    IoMarkIrpPending(Irp);
    InsertTailList(&Extension->Queue, &Irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&Extension->QueueLock, Irql);
    return STATUS_PENDING;
}

static NTSTATUS FunctionDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PFUNCTION_EXTENSION Extension = (PFUNCTION_EXTENSION)DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(Irp);

    DbgPrint("[function] dispatch: IRP %p, IOCTL 0x%X, stack location %d of %d\n", Irp,
             Stack->Parameters.DeviceIoControl.IoControlCode, Irp->CurrentLocation, Irp->StackCount);
    switch (Stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_FUNCTION_NOW:
        DbgPrint("[function] completing at once with STATUS_SUCCESS\n");
        return CompleteNow(Irp, STATUS_SUCCESS, Answer(Irp, "done at once"));
    case IOCTL_FUNCTION_LATER:
        DbgPrint("[function] IoMarkIrpPending, queued, returning STATUS_PENDING\n");
        return QueueRequest(Extension, Irp);
    case IOCTL_FUNCTION_RELEASE:
        DbgPrint("[function] completing the release request, then waking the worker thread\n");
        CompleteNow(Irp, STATUS_SUCCESS, 0);
        KeSetEvent(&Extension->WorkEvent, IO_NO_INCREMENT, FALSE);
        return STATUS_SUCCESS;
    case IOCTL_FUNCTION_FAIL:
        DbgPrint("[function] failing with STATUS_INVALID_PARAMETER\n");
        return CompleteNow(Irp, STATUS_INVALID_PARAMETER, 0);
    default:
        return CompleteNow(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

/* Completes every queued IRP whose cancel routine it can take back. */
static VOID CompleteQueue(PFUNCTION_EXTENSION Extension)
{
    for (;;) {
        PIRP Irp = NULL;
        KIRQL Irql;
        PLIST_ENTRY Entry;

        KeAcquireSpinLock(&Extension->QueueLock, &Irql);
        for (Entry = Extension->Queue.Flink; Entry != &Extension->Queue; Entry = Entry->Flink) {
            PIRP Candidate = CONTAINING_RECORD(Entry, IRP, Tail.Overlay.ListEntry);
            if (IoSetCancelRoutine(Candidate, NULL) != NULL) {
                RemoveEntryList(Entry);
                Irp = Candidate;
                break;
            }
            /* NULL: IoCancelIrp owns it; its cancel routine will dequeue it. */
        }
        KeReleaseSpinLock(&Extension->QueueLock, Irql);
        if (Irp == NULL)
            return;
        DbgPrint("[function] worker thread: completing IRP %p with STATUS_SUCCESS\n", Irp);
        CompleteNow(Irp, STATUS_SUCCESS, Answer(Irp, "done later"));
    }
}

static VOID FunctionWorker(PVOID StartContext)
{
    PFUNCTION_EXTENSION Extension = (PFUNCTION_EXTENSION)StartContext;
    PVOID Objects[2];

    Objects[0] = &Extension->WorkEvent;
    Objects[1] = &Extension->StopEvent;
    for (;;) {
        NTSTATUS Status =
            KeWaitForMultipleObjects(2, Objects, WaitAny, Executive, KernelMode, FALSE, NULL, NULL);
        if (Status != STATUS_WAIT_0)
            break;
        CompleteQueue(Extension);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static VOID FunctionUnload(PDRIVER_OBJECT DriverObject)
{
    PFUNCTION_EXTENSION Extension = (PFUNCTION_EXTENSION)FunctionDevice->DeviceExtension;
    UNICODE_STRING Link = RTL_CONSTANT_STRING(FUNCTION_LINK_NAME);

    UNREFERENCED_PARAMETER(DriverObject);
    KeSetEvent(&Extension->StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(Extension->WorkerThread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Extension->WorkerThread);
    IoDeleteSymbolicLink(&Link);
    IoDeleteDevice(FunctionDevice);
    DbgPrint("[function] unloaded\n");
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING Name = RTL_CONSTANT_STRING(FUNCTION_DEVICE_NAME);
    UNICODE_STRING Link = RTL_CONSTANT_STRING(FUNCTION_LINK_NAME);
    PFUNCTION_EXTENSION Extension;
    HANDLE Thread;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    Status = IoCreateDevice(DriverObject, sizeof(FUNCTION_EXTENSION), &Name, FILE_DEVICE_UNKNOWN,
                            FILE_DEVICE_SECURE_OPEN, FALSE, &FunctionDevice);
    if (!NT_SUCCESS(Status))
        return Status;
    FunctionDevice->Flags |= DO_BUFFERED_IO;
    Extension = (PFUNCTION_EXTENSION)FunctionDevice->DeviceExtension;
    KeInitializeSpinLock(&Extension->QueueLock);
    InitializeListHead(&Extension->Queue);
    KeInitializeEvent(&Extension->WorkEvent, SynchronizationEvent, FALSE);
    KeInitializeEvent(&Extension->StopEvent, NotificationEvent, FALSE);

    Status = IoCreateSymbolicLink(&Link, &Name);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(FunctionDevice);
        return Status;
    }
    Status = PsCreateSystemThread(&Thread, THREAD_ALL_ACCESS, NULL, NULL, NULL, FunctionWorker, Extension);
    if (NT_SUCCESS(Status)) {
        Status = ObReferenceObjectByHandle(Thread, SYNCHRONIZE, *PsThreadType, KernelMode,
                                           &Extension->WorkerThread, NULL);
        ZwClose(Thread);
    }
    if (!NT_SUCCESS(Status)) {
        IoDeleteSymbolicLink(&Link);
        IoDeleteDevice(FunctionDevice);
        return Status;
    }

    DriverObject->MajorFunction[IRP_MJ_CREATE] = FunctionCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = FunctionCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = FunctionCreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = FunctionDeviceControl;
    DriverObject->DriverUnload = FunctionUnload;
    DbgPrint("[function] loaded: %wZ, stack size %d\n", &Name, FunctionDevice->StackSize);
    return STATUS_SUCCESS;
}
