/*
 * csq-timer: a cancel-safe IRP queue emptied by a periodic timer DPC.
 *
 * The driver of seed 000 (a Pascal article), written in C and with its
 * mistakes corrected:
 *
 *   IOCTL_QUEUE    the request is parked in a cancel-safe queue (IO_CSQ)
 *                  and the dispatch routine returns STATUS_PENDING;
 *   IOCTL_PROCESS  starts a periodic timer: first due in 1 s, then every
 *                  1000 ms. Each tick's DPC takes ONE request out of the
 *                  queue with IoCsqRemoveNextIrp and completes it; when the
 *                  queue is empty the DPC cancels the timer.
 *
 * A request the application cancels while it waits in the queue is taken
 * out and completed with STATUS_CANCELLED by the CSQ itself
 * (CsqCompleteCanceledIrp): the driver never writes a cancel routine and
 * never looks at Irp->Cancel. That is the point of IO_CSQ.
 */
#include <ntddk.h>

#include "csqtimer.h"

#define CSQTIMER_DEVICE_NAME L"\\Device\\MyDriver"
#define CSQTIMER_LINK_NAME   L"\\DosDevices\\MyDriver"

typedef struct _CSQTIMER_EXTENSION {
    IO_CSQ Csq;         /* the cancel-safe queue: six callbacks below */
    LIST_ENTRY Queue;   /* the IRPs it holds, linked through Tail.Overlay.ListEntry */
    KSPIN_LOCK Lock;    /* protects Queue; taken by the CSQ through AcquireLock */
    KTIMER Timer;       /* periodic: 1 s, then every 1000 ms */
    KDPC Dpc;           /* OnTimer, queued by each expiry */
} CSQTIMER_EXTENSION, *PCSQTIMER_EXTENSION;

#define EXTENSION_FROM_CSQ(CsqPointer) CONTAINING_RECORD((CsqPointer), CSQTIMER_EXTENSION, Csq)

/* ------------------------------------------------------------------
 * The six CSQ callbacks. The CSQ calls the first three with the lock held.
 * ---------------------------------------------------------------- */

static VOID NTAPI CsqInsertIrp(PIO_CSQ Csq, PIRP Irp)
{
    InsertTailList(&EXTENSION_FROM_CSQ(Csq)->Queue, &Irp->Tail.Overlay.ListEntry);
}

static VOID NTAPI CsqRemoveIrp(PIO_CSQ Csq, PIRP Irp)
{
    UNREFERENCED_PARAMETER(Csq);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
}

/* The IRP after Irp (the first one when Irp is NULL) that matches
   PeekContext: NULL matches every IRP, otherwise it is the file object
   whose requests are wanted (see DispatchCleanup). */
static PIRP NTAPI CsqPeekNextIrp(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext)
{
    PLIST_ENTRY Head = &EXTENSION_FROM_CSQ(Csq)->Queue;
    PLIST_ENTRY Next = Irp == NULL ? Head->Flink : Irp->Tail.Overlay.ListEntry.Flink;

    for (; Next != Head; Next = Next->Flink) {
        PIRP Candidate = CONTAINING_RECORD(Next, IRP, Tail.Overlay.ListEntry);
        if (PeekContext == NULL || IoGetCurrentIrpStackLocation(Candidate)->FileObject == (PFILE_OBJECT)PeekContext)
            return Candidate;
    }
    return NULL;
}

/* The CSQ is used from the dispatch routine (PASSIVE_LEVEL), from the
   DPC (DISPATCH_LEVEL) and from IoCancelIrp (any level up to DISPATCH):
   KeAcquireSpinLock works at all of them and remembers where to go back. */
_IRQL_raises_(DISPATCH_LEVEL)
static VOID NTAPI CsqAcquireLock(PIO_CSQ Csq, PKIRQL Irql)
{
    KeAcquireSpinLock(&EXTENSION_FROM_CSQ(Csq)->Lock, Irql);
}

static VOID NTAPI CsqReleaseLock(PIO_CSQ Csq, KIRQL Irql)
{
    KeReleaseSpinLock(&EXTENSION_FROM_CSQ(Csq)->Lock, Irql);
}

/* The CSQ has already taken the IRP out of the queue and cleared its
   cancel routine: all that is left is to complete it. */
static VOID NTAPI CsqCompleteCanceledIrp(PIO_CSQ Csq, PIRP Irp)
{
    UNREFERENCED_PARAMETER(Csq);
    Irp->IoStatus.Status = STATUS_CANCELLED;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

/* ------------------------------------------------------------------
 * The timer's DPC: one request per tick.
 * ---------------------------------------------------------------- */

static VOID NTAPI OnTimer(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PCSQTIMER_EXTENSION Ext = (PCSQTIMER_EXTENSION)DeferredContext;
    PIRP Irp;
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);

    /* Through the CSQ, never behind its back: IoCsqRemoveNextIrp takes the
       lock, peeks, removes, and clears the IRP's cancel routine. If the IRP
       is being cancelled at this moment it is skipped (its cancel routine
       will complete it), so the IRP returned here is ours alone. */
    Irp = IoCsqRemoveNextIrp(&Ext->Csq, NULL);
    if (Irp == NULL) {
        KeCancelTimer(&Ext->Timer);
        DbgPrint("csq-timer: queue empty, timer cancelled\n");
        return;
    }
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    DbgPrint("csq-timer: request completed by the timer\n");
}

/* ------------------------------------------------------------------
 * Dispatch routines.
 * ---------------------------------------------------------------- */

static NTSTATUS CompleteNow(PIRP Irp, NTSTATUS Status)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static NTSTATUS NTAPI DispatchCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    return CompleteNow(Irp, STATUS_SUCCESS);
}

/* The last handle to a file object is closing: its requests still in the
   queue will never be collected, so finish them now. (The article has no
   cleanup routine.) */
static NTSTATUS NTAPI DispatchCleanup(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PCSQTIMER_EXTENSION Ext = (PCSQTIMER_EXTENSION)DeviceObject->DeviceExtension;
    PFILE_OBJECT FileObject = IoGetCurrentIrpStackLocation(Irp)->FileObject;
    PIRP Queued;

    while ((Queued = IoCsqRemoveNextIrp(&Ext->Csq, FileObject)) != NULL)
        CompleteNow(Queued, STATUS_CANCELLED);
    return CompleteNow(Irp, STATUS_SUCCESS);
}

static NTSTATUS NTAPI DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PCSQTIMER_EXTENSION Ext = (PCSQTIMER_EXTENSION)DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(Irp);
    LARGE_INTEGER DueTime;

    switch (Stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_QUEUE:
        /* IoCsqInsertIrp marks the IRP pending and sets the CSQ's cancel
           routine; from here on the IRP belongs to the queue. */
        IoCsqInsertIrp(&Ext->Csq, Irp, NULL);
        return STATUS_PENDING;

    case IOCTL_PROCESS:
        DueTime.QuadPart = -10000000LL; /* relative: 1 s from now */
        KeSetTimerEx(&Ext->Timer, DueTime, 1000, &Ext->Dpc);
        return CompleteNow(Irp, STATUS_SUCCESS);

    default:
        return CompleteNow(Irp, STATUS_INVALID_DEVICE_REQUEST);
    }
}

static VOID NTAPI DriverUnload(PDRIVER_OBJECT DriverObject)
{
    UNICODE_STRING LinkName = RTL_CONSTANT_STRING(CSQTIMER_LINK_NAME);
    PDEVICE_OBJECT Device = DriverObject->DeviceObject;
    PCSQTIMER_EXTENSION Ext = (PCSQTIMER_EXTENSION)Device->DeviceExtension;

    /* No tick may run once the device is gone. */
    KeCancelTimer(&Ext->Timer);
    KeFlushQueuedDpcs();
    IoDeleteSymbolicLink(&LinkName);
    IoDeleteDevice(Device);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING DeviceName = RTL_CONSTANT_STRING(CSQTIMER_DEVICE_NAME);
    UNICODE_STRING LinkName = RTL_CONSTANT_STRING(CSQTIMER_LINK_NAME);
    PDEVICE_OBJECT Device;
    PCSQTIMER_EXTENSION Ext;
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);

    Status = IoCreateDevice(DriverObject, sizeof(CSQTIMER_EXTENSION), &DeviceName, FILE_DEVICE_UNKNOWN, 0, FALSE,
                            &Device);
    if (!NT_SUCCESS(Status))
        return Status;
    Ext = (PCSQTIMER_EXTENSION)Device->DeviceExtension;
    InitializeListHead(&Ext->Queue);
    KeInitializeSpinLock(&Ext->Lock);
    KeInitializeTimer(&Ext->Timer);
    KeInitializeDpc(&Ext->Dpc, OnTimer, Ext);
    IoCsqInitialize(&Ext->Csq, CsqInsertIrp, CsqRemoveIrp, CsqPeekNextIrp, CsqAcquireLock, CsqReleaseLock,
                    CsqCompleteCanceledIrp);

    Status = IoCreateSymbolicLink(&LinkName, &DeviceName);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(Device);
        return Status;
    }
    DriverObject->MajorFunction[IRP_MJ_CREATE] = DispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = DispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = DispatchCleanup;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;
    DriverObject->DriverUnload = DriverUnload;
    Device->Flags |= DO_BUFFERED_IO;
    Device->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
