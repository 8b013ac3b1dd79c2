/*
 * Seed 002 ("Handling IRPs, part II", KB 320275), scenario 2: send a
 * synchronous IOCTL and cancel it safely if it does not complete in time.
 * The sender and its completion routine hand the IRP over through an
 * IRPLOCK exchanged with InterlockedExchange; whoever sees the other's
 * state owns the IRP's completion.
 *
 * The lower device queues each request with a cancel routine and queues a
 * DPC that takes the oldest request off the queue and completes it — so the
 * completion races with the sender's timeout and cancel.
 *
 * What a run did is recorded in Seed002 (the only addition to the article's
 * code): every IRPLOCK exchange in order, and who completed the IRP.
 */
#include "explore_drivers.h"

SEED002_STATE Seed002;

/* ---- the lower device ---- */

typedef struct _LOWER_EXTENSION {
    KSPIN_LOCK Lock;
    LIST_ENTRY Queue;
    KDPC CompleteDpc;
} LOWER_EXTENSION, *PLOWER_EXTENSION;

static VOID LowerComplete(PIRP Irp, NTSTATUS Status)
{
    InterlockedIncrement(&Seed002.LowerCompletions);
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

static VOID LowerCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PLOWER_EXTENSION Extension = (PLOWER_EXTENSION)DeviceObject->DeviceExtension;
    KIRQL Irql;

    IoReleaseCancelSpinLock(Irp->CancelIrql);
    KeAcquireSpinLock(&Extension->Lock, &Irql);
    /* The DPC self-links the entry when it loses the race: then this does nothing. */
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&Extension->Lock, Irql);
    InterlockedIncrement(&Seed002.LowerCancelled);
    LowerComplete(Irp, STATUS_CANCELLED);
}

static VOID LowerCompleteDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    PLOWER_EXTENSION Extension = (PLOWER_EXTENSION)Context;

    KeAcquireSpinLockAtDpcLevel(&Extension->Lock);
    while (!IsListEmpty(&Extension->Queue)) {
        PLIST_ENTRY Entry = RemoveHeadList(&Extension->Queue);
        PIRP Irp = CONTAINING_RECORD(Entry, IRP, Tail.Overlay.ListEntry);
        if (IoSetCancelRoutine(Irp, NULL) == NULL) {
            /* IoCancelIrp took the routine first: it completes the IRP. */
            InitializeListHead(Entry);
            continue;
        }
        KeReleaseSpinLockFromDpcLevel(&Extension->Lock);
        LowerComplete(Irp, STATUS_SUCCESS);
        KeAcquireSpinLockAtDpcLevel(&Extension->Lock);
    }
    KeReleaseSpinLockFromDpcLevel(&Extension->Lock);
}

static NTSTATUS LowerDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PLOWER_EXTENSION Extension = (PLOWER_EXTENSION)DeviceObject->DeviceExtension;
    KIRQL Irql;

    IoMarkIrpPending(Irp);
    KeAcquireSpinLock(&Extension->Lock, &Irql);
    InsertTailList(&Extension->Queue, &Irp->Tail.Overlay.ListEntry);
    IoSetCancelRoutine(Irp, LowerCancel);
    if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL) {
        RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
        KeReleaseSpinLock(&Extension->Lock, Irql);
        LowerComplete(Irp, STATUS_CANCELLED);
        return STATUS_PENDING;
    }
    KeReleaseSpinLock(&Extension->Lock, Irql);
    KeInsertQueueDpc(&Extension->CompleteDpc, NULL, NULL);
    return STATUS_PENDING;
}

static VOID LowerUnload(PDRIVER_OBJECT DriverObject)
{
    /* A DPC queued for a request that was cancelled meanwhile may still run. */
    KeFlushQueuedDpcs();
    IoDeleteDevice(DriverObject->DeviceObject);
}

NTSTATUS Seed002LowerDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING Name;
    PDEVICE_OBJECT Device;
    PLOWER_EXTENSION Extension;
    NTSTATUS Status;

    RtlInitUnicodeString(&Name, L"\\Device\\ExploreSeed002Lower");
    Status = IoCreateDevice(DriverObject, sizeof(LOWER_EXTENSION), &Name, FILE_DEVICE_UNKNOWN, 0, FALSE, &Device);
    if (!NT_SUCCESS(Status))
        return Status;
    Extension = (PLOWER_EXTENSION)Device->DeviceExtension;
    KeInitializeSpinLock(&Extension->Lock);
    InitializeListHead(&Extension->Queue);
    KeInitializeDpc(&Extension->CompleteDpc, LowerCompleteDpc, Extension);
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = LowerDeviceControl;
    DriverObject->DriverUnload = LowerUnload;
    Device->Flags &= ~DO_DEVICE_INITIALIZING;
    Seed002.LowerDevice = Device;
    return STATUS_SUCCESS;
}

/* ---- the sender (the article's code) ---- */

/* InterlockedExchange on the IRPLOCK, recorded. Nothing between the
   exchange and the record is a scheduling point, so the records keep the
   order of the exchanges. */
static LONG Seed002Exchange(PLONG Lock, LONG New, CHAR Who)
{
    LONG Old = InterlockedExchange(Lock, New);
    LONG Slot = Seed002.ExchangeCount++;
    if (Slot < (LONG)RTL_NUMBER_OF(Seed002.Exchange)) {
        Seed002.Exchange[Slot].Who = Who;
        Seed002.Exchange[Slot].Old = Old;
        Seed002.Exchange[Slot].New = New;
    }
    return Old;
}

static NTSTATUS MakeSynchronousIoctlWithTimeOutCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PLONG lock;

    InterlockedIncrement(&Seed002.CompletionRoutineCalls);
    lock = (PLONG)Context;
    if (Seed002Exchange(lock, IRPLOCK_COMPLETED, 'C') == IRPLOCK_CANCEL_STARTED) {
        //
        // Main line code has got the control of the IRP. It will
        // now take the responsibility of completing the IRP.
        // Therefore...
        return STATUS_MORE_PROCESSING_REQUIRED;
    }
    InterlockedIncrement(&Seed002.CompletionRoutineContinued);
    return STATUS_CONTINUE_COMPLETION;
}

/* As published: the exchange targets the routine's own local pointer, so
   the shared IRPLOCK never changes and the result is never CANCEL_STARTED. */
static NTSTATUS MakeSynchronousIoctlWithTimeOutCompletionAsPublished(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                                                     PVOID Context)
{
    PLONG lock;

    InterlockedIncrement(&Seed002.CompletionRoutineCalls);
    lock = (PLONG)Context;
    if (InterlockedExchange((PVOID)&lock, IRPLOCK_COMPLETED) == IRPLOCK_CANCEL_STARTED) {
        return STATUS_MORE_PROCESSING_REQUIRED;
    }
    InterlockedIncrement(&Seed002.CompletionRoutineContinued);
    return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS SynchronousIoctlWithTimeOut(PDEVICE_OBJECT TopOfDeviceStack, ULONG IoctlControlCode,
                                            PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer,
                                            ULONG OutputBufferLength, ULONG Milliseconds,
                                            PIO_COMPLETION_ROUTINE CompletionRoutine)
{
    NTSTATUS status;
    PIRP irp;
    KEVENT event;
    IO_STATUS_BLOCK ioStatus;
    LARGE_INTEGER dueTime;
    IRPLOCK lock;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    ioStatus.Status = SEED002_IOSB_UNTOUCHED;
    ioStatus.Information = 0;

    irp = IoBuildDeviceIoControlRequest(IoctlControlCode, TopOfDeviceStack, InputBuffer, InputBufferLength,
                                        OutputBuffer, OutputBufferLength, FALSE, // External ioctl
                                        &event, &ioStatus);
    if (irp == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    lock = IRPLOCK_CANCELABLE;

    IoSetCompletionRoutine(irp, CompletionRoutine, &lock, TRUE, TRUE, TRUE);

    status = IoCallDriver(TopOfDeviceStack, irp);

    if (status == STATUS_PENDING) {

        dueTime.QuadPart = -10000 * (LONGLONG)Milliseconds;

        status = KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, &dueTime);

        if (status == STATUS_TIMEOUT) {

            if (Seed002Exchange((PLONG)&lock, IRPLOCK_CANCEL_STARTED, 'S') == IRPLOCK_CANCELABLE) {

                //
                // You got it to the IRP before it was completed. You can cancel
                // the IRP without fear of losing it, because the completion routine
                // does not let go of the IRP until you allow it.
                //
                IoCancelIrp(irp);

                //
                // Release the completion routine. If it already got there,
                // then you need to complete it yourself. Otherwise, you got
                // through IoCancelIrp before the IRP completed entirely.
                //
                if (Seed002Exchange((PLONG)&lock, IRPLOCK_CANCEL_COMPLETE, 'S') == IRPLOCK_COMPLETED) {
                    InterlockedIncrement(&Seed002.SenderCompletions);
                    IoCompleteRequest(irp, IO_NO_INCREMENT);
                }
            }

            KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);

            ioStatus.Status = status; // Return STATUS_TIMEOUT

        } else {

            status = ioStatus.Status;
        }
    }

    Seed002.EventSignalled = KeReadStateEvent(&event) != 0;
    Seed002.IoStatus = ioStatus.Status;
    return status;
}

NTSTATUS MakeSynchronousIoctlWithTimeOut(PDEVICE_OBJECT TopOfDeviceStack, ULONG IoctlControlCode, PVOID InputBuffer,
                                         ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength,
                                         ULONG Milliseconds)
{
    return SynchronousIoctlWithTimeOut(TopOfDeviceStack, IoctlControlCode, InputBuffer, InputBufferLength,
                                       OutputBuffer, OutputBufferLength, Milliseconds,
                                       MakeSynchronousIoctlWithTimeOutCompletion);
}

NTSTATUS MakeSynchronousIoctlWithTimeOutAsPublished(PDEVICE_OBJECT TopOfDeviceStack, ULONG IoctlControlCode,
                                                    PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer,
                                                    ULONG OutputBufferLength, ULONG Milliseconds)
{
    return SynchronousIoctlWithTimeOut(TopOfDeviceStack, IoctlControlCode, InputBuffer, InputBufferLength,
                                       OutputBuffer, OutputBufferLength, Milliseconds,
                                       MakeSynchronousIoctlWithTimeOutCompletionAsPublished);
}

static BOOLEAN Seed002Is(LONG Index, CHAR Who, LONG Old)
{
    return Seed002.Exchange[Index].Who == Who && Seed002.Exchange[Index].Old == Old;
}

SEED002_INTERLEAVING Seed002Interleaving(VOID)
{
    switch (Seed002.ExchangeCount) {
    case 1:
        if (Seed002Is(0, 'C', IRPLOCK_CANCELABLE))
            return Seed002NoCancellation;
        break;
    case 2:
        if (Seed002Is(0, 'C', IRPLOCK_CANCELABLE) && Seed002Is(1, 'S', IRPLOCK_COMPLETED))
            return Seed002CanceledAfterCompletion;
        break;
    case 3:
        if (Seed002Is(0, 'S', IRPLOCK_CANCELABLE) && Seed002Is(1, 'S', IRPLOCK_CANCEL_STARTED) &&
            Seed002Is(2, 'C', IRPLOCK_CANCEL_COMPLETE))
            return Seed002CancelReturnedFirst;
        if (Seed002Is(0, 'S', IRPLOCK_CANCELABLE) && Seed002Is(1, 'C', IRPLOCK_CANCEL_STARTED) &&
            Seed002Is(2, 'S', IRPLOCK_COMPLETED))
            return Seed002CompletedDuringCancel;
        break;
    default:
        break;
    }
    return Seed002Unknown;
}
