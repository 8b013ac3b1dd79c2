/*
 * A WDK-style driver that keeps pending IOCTLs in cancel-safe queues, the
 * way Microsoft recommends (and the way the seed article's driver meant
 * to): a LIST_ENTRY through Irp->Tail.Overlay.ListEntry, a spin lock, and
 * the six IO_CSQ callbacks.
 */
#include "csq_driver.h"

PDEVICE_OBJECT CsqTestDevice;

static PTEST_QUEUE QueueFromCsq(PIO_CSQ Csq)
{
    return CONTAINING_RECORD(Csq, TEST_QUEUE, Csq);
}

static BOOLEAN LockHeldByMe(PTEST_QUEUE Queue)
{
    return (BOOLEAN)(InterlockedCompareExchangePointer(&Queue->LockOwner, NULL, NULL) == (PVOID)KeGetCurrentThread());
}

static VOID LogEvent(PTEST_QUEUE Queue, CSQ_EVENT_KIND Kind, PIRP Irp, BOOLEAN LockHeld)
{
    LONG Index;
    if (!Queue->Logging)
        return;
    Index = InterlockedIncrement(&Queue->LogCount) - 1;
    if (Index < CSQ_LOG_SIZE) {
        Queue->Log[Index].Kind = Kind;
        Queue->Log[Index].LockHeld = LockHeld;
        Queue->Log[Index].Irql = KeGetCurrentIrql();
        Queue->Log[Index].Irp = Irp;
    }
}

/* Insert, Remove and Peek must only ever run under the queue lock. */
static VOID NoteLockedCallback(PTEST_QUEUE Queue, CSQ_EVENT_KIND Kind, PIRP Irp)
{
    BOOLEAN Held = LockHeldByMe(Queue);
    if (!Held)
        InterlockedIncrement(&Queue->CallsWithoutLock);
    LogEvent(Queue, Kind, Irp, Held);
}

VOID CsqTestResetLog(PTEST_QUEUE Queue)
{
    Queue->LogCount = 0;
    RtlZeroMemory(Queue->Log, sizeof(Queue->Log));
}

static VOID NTAPI CsqInsertIrp(PIO_CSQ Csq, PIRP Irp)
{
    PTEST_QUEUE Queue = QueueFromCsq(Csq);
    NoteLockedCallback(Queue, CsqEvInsert, Irp);
    InsertTailList(&Queue->List, &Irp->Tail.Overlay.ListEntry);
    if (Queue->CancelDuringInsert) {
        /* Another processor cancels the IRP right now, before the library
           has armed its cancel routine. */
        Queue->CancelDuringInsert = FALSE;
        Queue->CancelDuringInsertResult = IoCancelIrp(Irp);
    }
}

static NTSTATUS NTAPI CsqInsertIrpEx(PIO_CSQ Csq, PIRP Irp, PVOID InsertContext)
{
    PTEST_QUEUE Queue = QueueFromCsq(Csq);
    NoteLockedCallback(Queue, CsqEvInsertEx, Irp);
    Queue->LastInsertContext = InsertContext;
    if (Queue->InsertExStatus == STATUS_SUCCESS)
        InsertTailList(&Queue->List, &Irp->Tail.Overlay.ListEntry);
    return Queue->InsertExStatus;
}

static VOID NTAPI CsqRemoveIrp(PIO_CSQ Csq, PIRP Irp)
{
    PTEST_QUEUE Queue = QueueFromCsq(Csq);
    NoteLockedCallback(Queue, CsqEvRemove, Irp);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
}

/* PeekContext, when given, is a FILE_OBJECT: only its IRPs match. */
static PIRP NTAPI CsqPeekNextIrp(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext)
{
    PTEST_QUEUE Queue = QueueFromCsq(Csq);
    PLIST_ENTRY Entry = Irp != NULL ? Irp->Tail.Overlay.ListEntry.Flink : Queue->List.Flink;
    NoteLockedCallback(Queue, CsqEvPeek, Irp);
    for (; Entry != &Queue->List; Entry = Entry->Flink) {
        PIRP Next = CONTAINING_RECORD(Entry, IRP, Tail.Overlay.ListEntry);
        if (PeekContext == NULL || IoGetCurrentIrpStackLocation(Next)->FileObject == (PFILE_OBJECT)PeekContext)
            return Next;
    }
    return NULL;
}

static VOID NTAPI CsqAcquireLock(PIO_CSQ Csq, PKIRQL Irql)
{
    PTEST_QUEUE Queue = QueueFromCsq(Csq);
    KeAcquireSpinLock(&Queue->Lock, Irql);
    InterlockedExchangePointer(&Queue->LockOwner, KeGetCurrentThread());
    LogEvent(Queue, CsqEvAcquire, NULL, TRUE);
}

static VOID NTAPI CsqReleaseLock(PIO_CSQ Csq, KIRQL Irql)
{
    PTEST_QUEUE Queue = QueueFromCsq(Csq);
    LogEvent(Queue, CsqEvRelease, NULL, TRUE);
    InterlockedExchangePointer(&Queue->LockOwner, NULL);
    KeReleaseSpinLock(&Queue->Lock, Irql);
}

static VOID NTAPI CsqCompleteCanceledIrp(PIO_CSQ Csq, PIRP Irp)
{
    PTEST_QUEUE Queue = QueueFromCsq(Csq);
    BOOLEAN Held = LockHeldByMe(Queue);
    if (Held)
        InterlockedIncrement(&Queue->CompleteCanceledWithLock);
    InterlockedIncrement(&Queue->CompleteCanceledCalls);
    LogEvent(Queue, CsqEvCompleteCanceled, Irp, Held);
    Irp->IoStatus.Status = STATUS_CANCELLED;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

static VOID InitializeTestQueue(PTEST_QUEUE Queue, BOOLEAN Ex)
{
    KeInitializeSpinLock(&Queue->Lock);
    InitializeListHead(&Queue->List);
    Queue->Logging = TRUE;
    Queue->InsertExStatus = STATUS_SUCCESS;
    if (Ex)
        IoCsqInitializeEx(&Queue->Csq, CsqInsertIrpEx, CsqRemoveIrp, CsqPeekNextIrp, CsqAcquireLock, CsqReleaseLock,
                          CsqCompleteCanceledIrp);
    else
        IoCsqInitialize(&Queue->Csq, CsqInsertIrp, CsqRemoveIrp, CsqPeekNextIrp, CsqAcquireLock, CsqReleaseLock,
                        CsqCompleteCanceledIrp);
}

static NTSTATUS CompleteNow(PIRP Irp, NTSTATUS Status)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

static NTSTATUS NTAPI CsqTestDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PCSQ_DEVICE_EXTENSION Ext = (PCSQ_DEVICE_EXTENSION)DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION IrpSp = IoGetCurrentIrpStackLocation(Irp);
    PVOID Argument = IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    NTSTATUS Status;

    switch (IrpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_CSQ_QUEUE:
        IoCsqInsertIrp(&Ext->Plain.Csq, Irp, NULL);
        return STATUS_PENDING;
    case IOCTL_CSQ_QUEUE_CONTEXT:
        IoCsqInsertIrp(&Ext->Plain.Csq, Irp, (PIO_CSQ_IRP_CONTEXT)Argument);
        return STATUS_PENDING;
    case IOCTL_CSQ_QUEUE_EX:
    case IOCTL_CSQ_QUEUE_EX_ON_PLAIN:
        Status = IoCsqInsertIrpEx(
            IrpSp->Parameters.DeviceIoControl.IoControlCode == IOCTL_CSQ_QUEUE_EX ? &Ext->Ex.Csq : &Ext->Plain.Csq, Irp,
            NULL, Argument);
        Ext->LastInsertExStatus = Status;
        if (Status != STATUS_SUCCESS) {
            /* Not queued: the IRP is still ours, and must not be pending. */
            Ext->LastInsertExMarkedPending = (BOOLEAN)((IrpSp->Control & SL_PENDING_RETURNED) != 0);
            Ext->LastInsertExDriverContext3 = Irp->Tail.Overlay.DriverContext[3];
            return CompleteNow(Irp, Status);
        }
        return STATUS_PENDING;
    default:
        return CompleteNow(Irp, STATUS_INVALID_DEVICE_REQUEST);
    }
}

static VOID NTAPI CsqTestUnload(PDRIVER_OBJECT DriverObject)
{
    IoDeleteDevice(DriverObject->DeviceObject);
    CsqTestDevice = NULL;
}

NTSTATUS NTAPI CsqTestDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PDEVICE_OBJECT DeviceObject;
    PCSQ_DEVICE_EXTENSION Ext;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(RegistryPath);
    Status =
        IoCreateDevice(DriverObject, sizeof(CSQ_DEVICE_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &DeviceObject);
    if (!NT_SUCCESS(Status))
        return Status;
    Ext = (PCSQ_DEVICE_EXTENSION)DeviceObject->DeviceExtension;
    InitializeTestQueue(&Ext->Plain, FALSE);
    InitializeTestQueue(&Ext->Ex, TRUE);
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = CsqTestDeviceControl;
    DriverObject->DriverUnload = CsqTestUnload;
    CsqTestDevice = DeviceObject;
    return STATUS_SUCCESS;
}
