/*
 * custom-startio: reads serialised through a driver-owned KDEVICE_QUEUE.
 *
 * The system StartIo (IoStartPacket) has one queue per device, so reads
 * and writes would wait for each other. Seed 001 keeps its own
 * KDEVICE_QUEUE for reads: the read dispatch routine marks the IRP pending,
 * raises to DISPATCH_LEVEL and calls KeInsertDeviceQueue. FALSE means the
 * queue was idle (and is now busy): the driver starts the read itself,
 * in MyStartIo. TRUE means a read is in progress and this one waits in the
 * queue. When a read finishes, KeRemoveDeviceQueue hands over the next one,
 * or marks the queue idle when there is none. Writes are completed at once,
 * whatever the reads are doing.
 *
 * Each read takes 3 s of "device time". The article waited those 3 s with
 * KeWaitForSingleObject at DISPATCH_LEVEL, which is illegal (only a zero
 * timeout is allowed there). Corrected, the 3 s are a one-shot timer whose
 * DPC completes the read and starts the next: nothing ever waits.
 *
 * StartIoMode (startio.h) keeps one of the article's mistakes instead.
 */
#include <ntddk.h>

#include "startio.h"

#define STARTIO_DEVICE_NAME L"\\Device\\CustomStartIo"
#define STARTIO_LINK_NAME   L"\\DosDevices\\CustomStartIo"
#define STARTIO_DELAY       (-30000000LL) /* 3 s, relative */

LONG StartIoMode = STARTIO_CORRECTED;

typedef struct _STARTIO_EXTENSION {
    KDEVICE_QUEUE ReadQueue; /* the reads waiting for the "device" */
    PIRP CurrentRead;        /* the read the device is working on */
    KTIMER DelayTimer;       /* its 3 s */
    KDPC DelayDpc;           /* ... end here */
    KEVENT NeverSignalled;   /* the article's fake delay */
} STARTIO_EXTENSION, *PSTARTIO_EXTENSION;

static PIRP NextRead(PSTARTIO_EXTENSION Ext)
{
    PKDEVICE_QUEUE_ENTRY Entry = KeRemoveDeviceQueue(&Ext->ReadQueue);
    return Entry != NULL ? CONTAINING_RECORD(Entry, IRP, Tail.Overlay.DeviceQueueEntry) : NULL;
}

static VOID CompleteRead(PIRP Irp)
{
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

/* Called at DISPATCH_LEVEL with the queue busy and Irp the read to do. */
static VOID MyStartIo(PSTARTIO_EXTENSION Ext, PIRP Irp)
{
    LARGE_INTEGER Delay;
    Delay.QuadPart = STARTIO_DELAY;

    if (StartIoMode == STARTIO_CORRECTED) {
        /* Start the "device" and return; OnReadDone finishes the job. */
        Ext->CurrentRead = Irp;
        KeSetTimer(&Ext->DelayTimer, Delay, &Ext->DelayDpc);
        return;
    }
    /* The article's loop: every queued read is done here, one after the
       other, inside the dispatch routine that found the queue idle. */
    while (Irp != NULL) {
        if (StartIoMode == STARTIO_ARTICLE_WAIT)
            KeWaitForSingleObject(&Ext->NeverSignalled, Executive, KernelMode, FALSE, &Delay); /* at DISPATCH_LEVEL */
        CompleteRead(Irp);
        Irp = NextRead(Ext);
    }
}

/* The 3 s are over: the read is done; start the next one, if any. */
static VOID NTAPI OnReadDone(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PSTARTIO_EXTENSION Ext = (PSTARTIO_EXTENSION)DeferredContext;
    PIRP Done = Ext->CurrentRead;
    PIRP Next;
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);

    Ext->CurrentRead = NULL;
    /* Take the next read (or mark the queue idle) before completing this
       one: once completed, the application may send its next read from
       another processor at once, and that read must find the queue idle. */
    Next = NextRead(Ext);
    CompleteRead(Done);
    if (Next != NULL)
        MyStartIo(Ext, Next);
}

static NTSTATUS NTAPI DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PSTARTIO_EXTENSION Ext = (PSTARTIO_EXTENSION)DeviceObject->DeviceExtension;
    KIRQL OldIrql;

    IoMarkIrpPending(Irp);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    if (!KeInsertDeviceQueue(&Ext->ReadQueue, &Irp->Tail.Overlay.DeviceQueueEntry))
        MyStartIo(Ext, Irp); /* the queue was idle: this read goes first */
    KeLowerIrql(OldIrql);
    /* Pending, even when the read was already completed above (the
       article's no-delay experiment): the I/O manager then reports the
       IRP's IoStatus to the application, which sees success. */
    return STATUS_PENDING;
}

static NTSTATUS CompleteNow(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

/* Writes do not go through the read queue: done at once. */
static NTSTATUS NTAPI DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    return CompleteNow(Irp, STATUS_SUCCESS, IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length);
}

static NTSTATUS NTAPI DispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    return CompleteNow(Irp, STATUS_SUCCESS, 0);
}

static VOID NTAPI DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNICODE_STRING LinkName = RTL_CONSTANT_STRING(STARTIO_LINK_NAME);
    PSTARTIO_EXTENSION Ext = (PSTARTIO_EXTENSION)DriverObject->DeviceObject->DeviceExtension;
    KeCancelTimer(&Ext->DelayTimer);
    KeFlushQueuedDpcs();
    IoDeleteSymbolicLink(&LinkName);
    IoDeleteDevice(DriverObject->DeviceObject);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING DeviceName = RTL_CONSTANT_STRING(STARTIO_DEVICE_NAME);
    UNICODE_STRING LinkName = RTL_CONSTANT_STRING(STARTIO_LINK_NAME);
    PDEVICE_OBJECT Device;
    PSTARTIO_EXTENSION Ext;
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);

    Status = IoCreateDevice(DriverObject, sizeof(STARTIO_EXTENSION), &DeviceName, FILE_DEVICE_UNKNOWN, 0, FALSE,
                            &Device);
    if (!NT_SUCCESS(Status))
        return Status;
    Ext = (PSTARTIO_EXTENSION)Device->DeviceExtension;
    if (StartIoMode == STARTIO_ARTICLE_INIT)
        InitializeListHead(&Ext->ReadQueue.DeviceListHead); /* the article: Type, Size, Busy, Lock never set */
    else
        KeInitializeDeviceQueue(&Ext->ReadQueue);
    KeInitializeTimer(&Ext->DelayTimer);
    KeInitializeDpc(&Ext->DelayDpc, OnReadDone, Ext);
    KeInitializeEvent(&Ext->NeverSignalled, NotificationEvent, FALSE);

    Status = IoCreateSymbolicLink(&LinkName, &DeviceName);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(Device);
        return Status;
    }
    DriverObject->MajorFunction[IRP_MJ_CREATE] = DispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = DispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_READ] = DispatchRead;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = DispatchWrite;
    DriverObject->DriverUnload = DriverUnload;
    Device->Flags |= DO_BUFFERED_IO;
    Device->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
