/*
 * Seed 002: the six ways to send a request (see seed002_driver.h), as a
 * WDK driver writes them.
 *
 * Written from the article's description, with its slips fixed:
 *   - scenario 2's completion routine exchanges the shared IRPLOCK, not
 *     its own local pointer (the slip is kept in a second routine, used by
 *     MakeSynchronousIoctlWithTimeOutAsPublished);
 *   - scenario 2's due time is computed in 64 bits: -10000 * Milliseconds
 *     with a ULONG operand is an unsigned 32-bit product, a large positive
 *     number, which KeWaitForSingleObject takes as an absolute time long
 *     past, so the wait would time out at once;
 *   - scenario 5 frees the system buffer or MDL of the IRP it built before
 *     IoFreeIrp when its context allocation fails (IoFreeIrp frees neither);
 *   - scenario 6 sends to TopOfDeviceStack (the article names an undefined
 *     TargetDeviceObject) and passes the buffer as UserBuffer to a target
 *     that does neither buffered nor direct I/O.
 */
#include "seed002_driver.h"

SEED002_RECORD Seed002;
SEED002_CHECKPOINT *Seed002Checkpoint;

VOID Seed002Reset(VOID)
{
    RtlZeroMemory(&Seed002, sizeof(Seed002));
    Seed002.IoStatus.Status = SEED002_IOSB_UNTOUCHED;
}

/* ---- bookkeeping for the tests ---- */

static NTSTATUS Seed002Wait(PKEVENT Event, PLARGE_INTEGER Timeout)
{
    NTSTATUS Status = KeWaitForSingleObject(Event, Executive, KernelMode, FALSE, Timeout);
    if (Seed002.Waits++ == 0)
        Seed002.FirstWaitStatus = Status;
    return Status;
}

static VOID Seed002Finish(PKEVENT Event, PIO_STATUS_BLOCK IoStatus)
{
    Seed002.IoStatus = *IoStatus;
    Seed002.EventSignalled = KeReadStateEvent(Event) != 0;
}

static VOID Seed002NoteCompletionRoutine(PIRP Irp)
{
    Seed002.CompletionRoutineCalls++;
    Seed002.CompletionRoutinePendingReturned = Irp->PendingReturned;
}

static LONG Seed002Exchange(LONG volatile *Lock, LONG Value, CHAR Who)
{
    LONG Old = InterlockedExchange(Lock, Value);
    LONG Slot = InterlockedIncrement(&Seed002.ExchangeCount) - 1;
    if (Slot < (LONG)RTL_NUMBER_OF(Seed002.Exchange)) {
        Seed002.Exchange[Slot].Who = Who;
        Seed002.Exchange[Slot].Old = Old;
        Seed002.Exchange[Slot].New = Value;
    }
    return Old;
}

/* ---- 1. synchronous IOCTL (IoBuildDeviceIoControlRequest) ---- */

NTSTATUS
MakeSynchronousIoctl(
    PDEVICE_OBJECT TopOfDeviceStack,
    ULONG IoctlControlCode,
    PVOID InputBuffer,
    ULONG InputBufferLength,
    PVOID OutputBuffer,
    ULONG OutputBufferLength
    )
{
    KEVENT event;
    PIRP irp;
    IO_STATUS_BLOCK ioStatus;
    NTSTATUS status;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    ioStatus.Status = SEED002_IOSB_UNTOUCHED;
    ioStatus.Information = 0;

    /* No completion routine: the I/O manager signals the event. */
    irp = IoBuildDeviceIoControlRequest(IoctlControlCode, TopOfDeviceStack, InputBuffer, InputBufferLength,
                                        OutputBuffer, OutputBufferLength, FALSE, &event, &ioStatus);
    if (NULL == irp) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Seed002.Irp = irp;

    status = IoCallDriver(TopOfDeviceStack, irp);
    if (status == STATUS_PENDING) {
        /* Wait only when pended: the event and IOSB are on this stack, and
           an error that was not pended is never reported through them. */
        Seed002Wait(&event, NULL);
        status = ioStatus.Status;
    }
    Seed002Finish(&event, &ioStatus);
    return status;
}

/* ---- 2. synchronous IOCTL with a timeout, cancelled safely ---- */

/*
 * The IRPLOCK hands the IRP over between the sender and the completion
 * routine with two exchanges each:
 *   sender (on timeout): CANCELABLE -> CANCEL_STARTED, IoCancelIrp,
 *                        -> CANCEL_COMPLETE; if the routine got there in
 *                        between (COMPLETED), the sender finishes the IRP.
 *   completion routine:  -> COMPLETED; if it finds CANCEL_STARTED, the
 *                        sender is inside IoCancelIrp and owns the IRP.
 */
static NTSTATUS
MakeSynchronousIoctlWithTimeOutCompletion(
    PDEVICE_OBJECT DeviceObject,
    PIRP Irp,
    PVOID Context
    )
{
    PLONG lock = (PLONG)Context;
    NTSTATUS result;

    Seed002NoteCompletionRoutine(Irp);
    if (Seed002Exchange(lock, IRPLOCK_COMPLETED, 'C') == IRPLOCK_CANCEL_STARTED) {
        /* The sender is cancelling: it completes the IRP again itself. */
        result = STATUS_MORE_PROCESSING_REQUIRED;
    } else {
        result = STATUS_CONTINUE_COMPLETION;
    }
    Seed002.CompletionRoutineResult = result;
    return result;
}

/* The routine as published: &lock is the address of the local pointer, so
   the shared IRPLOCK never changes and the return value is never
   IRPLOCK_CANCEL_STARTED. */
static NTSTATUS
MakeSynchronousIoctlWithTimeOutCompletionAsPublished(
    PDEVICE_OBJECT DeviceObject,
    PIRP Irp,
    PVOID Context
    )
{
    PLONG lock;
    NTSTATUS result;

    lock = (PLONG)Context;
    Seed002NoteCompletionRoutine(Irp);
    if (InterlockedExchange((PVOID)&lock, IRPLOCK_COMPLETED) == IRPLOCK_CANCEL_STARTED) {
        result = STATUS_MORE_PROCESSING_REQUIRED;
    } else {
        result = STATUS_CONTINUE_COMPLETION;
    }
    Seed002.CompletionRoutineResult = result;
    return result;
}

static NTSTATUS
SynchronousIoctlWithTimeOut(
    PDEVICE_OBJECT TopOfDeviceStack,
    ULONG IoctlControlCode,
    PVOID InputBuffer,
    ULONG InputBufferLength,
    PVOID OutputBuffer,
    ULONG OutputBufferLength,
    ULONG Milliseconds,
    PIO_COMPLETION_ROUTINE CompletionRoutine
    )
{
    NTSTATUS status;
    PIRP irp;
    KEVENT event;
    IO_STATUS_BLOCK ioStatus;
    LARGE_INTEGER dueTime;
    LONG lock;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    ioStatus.Status = SEED002_IOSB_UNTOUCHED;
    ioStatus.Information = 0;

    irp = IoBuildDeviceIoControlRequest(IoctlControlCode, TopOfDeviceStack, InputBuffer, InputBufferLength,
                                        OutputBuffer, OutputBufferLength, FALSE, &event, &ioStatus);
    if (irp == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Seed002.Irp = irp;

    lock = IRPLOCK_CANCELABLE;
    IoSetCompletionRoutine(irp, CompletionRoutine, &lock, TRUE, TRUE, TRUE);

    status = IoCallDriver(TopOfDeviceStack, irp);
    if (status == STATUS_PENDING) {
        dueTime.QuadPart = -10000LL * (LONGLONG)Milliseconds;
        status = Seed002Wait(&event, &dueTime);
        if (status == STATUS_TIMEOUT) {
            if (Seed002Checkpoint != NULL) {
                Seed002Checkpoint(SEED002_POINT_TIMED_OUT, irp);
            }
            if (Seed002Exchange(&lock, IRPLOCK_CANCEL_STARTED, 'S') == IRPLOCK_CANCELABLE) {
                /* The routine has not run: it will not let go of the IRP
                   while we cancel it. */
                Seed002.CancelCalls++;
                IoCancelIrp(irp);
                /* If the routine ran meanwhile, it stopped completion and
                   the IRP is ours to finish. */
                if (Seed002Exchange(&lock, IRPLOCK_CANCEL_COMPLETE, 'S') == IRPLOCK_COMPLETED) {
                    Seed002.SenderCompletions++;
                    IoCompleteRequest(irp, IO_NO_INCREMENT);
                }
            }
            /* Either way the I/O manager signals the event (the IRP was
               pended, so even an error is reported). */
            Seed002Wait(&event, NULL);
            Seed002Finish(&event, &ioStatus);
            ioStatus.Status = status; /* STATUS_TIMEOUT */
            return status;
        }
        status = ioStatus.Status;
    }
    Seed002Finish(&event, &ioStatus);
    return status;
}

NTSTATUS
MakeSynchronousIoctlWithTimeOut(
    PDEVICE_OBJECT TopOfDeviceStack,
    ULONG IoctlControlCode,
    PVOID InputBuffer,
    ULONG InputBufferLength,
    PVOID OutputBuffer,
    ULONG OutputBufferLength,
    ULONG Milliseconds
    )
{
    return SynchronousIoctlWithTimeOut(TopOfDeviceStack, IoctlControlCode, InputBuffer, InputBufferLength,
                                       OutputBuffer, OutputBufferLength, Milliseconds,
                                       MakeSynchronousIoctlWithTimeOutCompletion);
}

NTSTATUS
MakeSynchronousIoctlWithTimeOutAsPublished(
    PDEVICE_OBJECT TopOfDeviceStack,
    ULONG IoctlControlCode,
    PVOID InputBuffer,
    ULONG InputBufferLength,
    PVOID OutputBuffer,
    ULONG OutputBufferLength,
    ULONG Milliseconds
    )
{
    return SynchronousIoctlWithTimeOut(TopOfDeviceStack, IoctlControlCode, InputBuffer, InputBufferLength,
                                       OutputBuffer, OutputBufferLength, Milliseconds,
                                       MakeSynchronousIoctlWithTimeOutCompletionAsPublished);
}

/* ---- 3. synchronous write (IoBuildSynchronousFsdRequest), routine continues ---- */

static NTSTATUS
MakeSynchronousNonIoctlRequestCompletion(
    PDEVICE_OBJECT DeviceObject,
    PIRP Irp,
    PVOID Context
    )
{
    Seed002NoteCompletionRoutine(Irp);
    if (Context) {
        ExFreePool(Context);
    }
    Seed002.CompletionRoutineResult = STATUS_CONTINUE_COMPLETION;
    return STATUS_CONTINUE_COMPLETION;
}

NTSTATUS
MakeSynchronousNonIoctlRequest(
    PDEVICE_OBJECT TopOfDeviceStack,
    PVOID WriteBuffer,
    ULONG NumBytes
    )
{
    NTSTATUS status;
    PIRP irp;
    LARGE_INTEGER startingOffset;
    KEVENT event;
    IO_STATUS_BLOCK ioStatus;
    PVOID context;

    startingOffset.QuadPart = (LONGLONG)0;
    context = ExAllocatePoolWithTag(NonPagedPool, sizeof(ULONG), SEED002_CONTEXT_TAG);
    if (!context) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    ioStatus.Status = SEED002_IOSB_UNTOUCHED;
    ioStatus.Information = 0;
    irp = IoBuildSynchronousFsdRequest(IRP_MJ_WRITE, TopOfDeviceStack, WriteBuffer, NumBytes, &startingOffset,
                                       &event, &ioStatus);
    if (NULL == irp) {
        ExFreePool(context);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Seed002.Irp = irp;

    IoSetCompletionRoutine(irp, MakeSynchronousNonIoctlRequestCompletion, context, TRUE, TRUE, TRUE);

    status = IoCallDriver(TopOfDeviceStack, irp);
    if (status == STATUS_PENDING) {
        Seed002Wait(&event, NULL);
        status = ioStatus.Status;
    }
    Seed002Finish(&event, &ioStatus);
    return status;
}

/* ---- 4. synchronous write, routine stops completion ---- */

static NTSTATUS
MakeSynchronousNonIoctlRequestCompletion2(
    PDEVICE_OBJECT DeviceObject,
    PIRP Irp,
    PVOID Context
    )
{
    Seed002NoteCompletionRoutine(Irp);
    Seed002.CompletionRoutineResult = STATUS_MORE_PROCESSING_REQUIRED; /* before the waiter wakes */
    /* Only a pended request has a waiter (rule IoAllocateIrpSignalEventInCompletion). */
    if (Irp->PendingReturned) {
        KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
    }
    return STATUS_MORE_PROCESSING_REQUIRED;
}

NTSTATUS
MakeSynchronousNonIoctlRequest2(
    PDEVICE_OBJECT TopOfDeviceStack,
    PVOID WriteBuffer,
    ULONG NumBytes
    )
{
    NTSTATUS status;
    PIRP irp;
    LARGE_INTEGER startingOffset;
    KEVENT event;
    IO_STATUS_BLOCK ioStatus;
    BOOLEAN isSynchronous = TRUE;

    startingOffset.QuadPart = (LONGLONG)0;
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    ioStatus.Status = SEED002_IOSB_UNTOUCHED;
    ioStatus.Information = 0;
    irp = IoBuildSynchronousFsdRequest(IRP_MJ_WRITE, TopOfDeviceStack, WriteBuffer, NumBytes, &startingOffset,
                                       &event, &ioStatus);
    if (NULL == irp) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Seed002.Irp = irp;

    IoSetCompletionRoutine(irp, MakeSynchronousNonIoctlRequestCompletion2, (PVOID)&event, TRUE, TRUE, TRUE);

    status = IoCallDriver(TopOfDeviceStack, irp);
    if (status == STATUS_PENDING) {
        Seed002Wait(&event, NULL);
        status = irp->IoStatus.Status;
        isSynchronous = FALSE;
    }

    /* Completion stopped in our routine: hand the IRP back to the I/O
       manager (IoReuseIrp would not take it off this thread's list) and
       wait for its post-processing, which signals the event unless the
       request failed without being pended (SEMANTICS 3.7). */
    KeClearEvent(&event);
    Seed002.SenderCompletions++;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    if (!(NT_ERROR(status) && isSynchronous)) {
        Seed002Wait(&event, NULL);
    }
    Seed002Finish(&event, &ioStatus);
    return status;
}

/* ---- 5. asynchronous write (IoBuildAsynchronousFsdRequest) ---- */

typedef struct _SEED002_ASYNC_CONTEXT {
    PSEED002_ASYNC_RESULT Result;
} SEED002_ASYNC_CONTEXT, *PSEED002_ASYNC_CONTEXT;

static VOID Seed002ReportAsync(PSEED002_ASYNC_RESULT Result, PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    if (Result == NULL)
        return;
    Result->Calls++;
    Result->Status = Irp->IoStatus.Status;
    Result->Information = Irp->IoStatus.Information;
    Result->PendingReturned = Irp->PendingReturned;
    Result->DeviceObject = DeviceObject;
}

/* What the creator of an IoBuildAsynchronousFsdRequest IRP must undo. */
static VOID Seed002ReleaseAsyncBuffers(PIRP Irp)
{
    PMDL mdl, nextMdl;

    if (Irp->AssociatedIrp.SystemBuffer && (Irp->Flags & IRP_DEALLOCATE_BUFFER)) {
        ExFreePool(Irp->AssociatedIrp.SystemBuffer);
        Irp->AssociatedIrp.SystemBuffer = NULL;
        Irp->Flags &= ~(IRP_DEALLOCATE_BUFFER | IRP_BUFFERED_IO);
    } else if (Irp->MdlAddress != NULL) {
        for (mdl = Irp->MdlAddress; mdl != NULL; mdl = nextMdl) {
            nextMdl = mdl->Next;
            MmUnlockPages(mdl);
            IoFreeMdl(mdl);
        }
        Irp->MdlAddress = NULL;
    }
}

static NTSTATUS
MakeAsynchronousRequestCompletion(
    PDEVICE_OBJECT DeviceObject,
    PIRP Irp,
    PVOID Context
    )
{
    PSEED002_ASYNC_CONTEXT context = (PSEED002_ASYNC_CONTEXT)Context;
    PSEED002_ASYNC_RESULT result = context->Result;

    Seed002ReportAsync(result, DeviceObject, Irp);
    Seed002ReleaseAsyncBuffers(Irp);
    ExFreePool(context);
    IoFreeIrp(Irp);
    if (result != NULL) {
        KeSetEvent(&result->Done, IO_NO_INCREMENT, FALSE);
    }
    /* The only status for a driver-created asynchronous IRP: it is gone. */
    return STATUS_MORE_PROCESSING_REQUIRED;
}

NTSTATUS
MakeAsynchronousRequest(
    PDEVICE_OBJECT TopOfDeviceStack,
    PVOID WriteBuffer,
    ULONG NumBytes,
    PSEED002_ASYNC_RESULT Result
    )
{
    PIRP irp;
    LARGE_INTEGER startingOffset;
    PSEED002_ASYNC_CONTEXT context;

    startingOffset.QuadPart = (LONGLONG)0;
    irp = IoBuildAsynchronousFsdRequest(IRP_MJ_WRITE, TopOfDeviceStack, WriteBuffer, NumBytes, &startingOffset,
                                        NULL);
    if (NULL == irp) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Seed002.Irp = irp;

    context = (PSEED002_ASYNC_CONTEXT)ExAllocatePoolWithTag(NonPagedPool, sizeof(*context), SEED002_CONTEXT_TAG);
    if (NULL == context) {
        Seed002ReleaseAsyncBuffers(irp);
        IoFreeIrp(irp);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    context->Result = Result;

    IoSetCompletionRoutine(irp, MakeAsynchronousRequestCompletion, context, TRUE, TRUE, TRUE);
    (void)IoCallDriver(TopOfDeviceStack, irp);
    return STATUS_SUCCESS;
}

/* ---- 6. asynchronous write (IoAllocateIrp, hand-built) ---- */

static NTSTATUS
MakeAsynchronousRequestCompletion2(
    PDEVICE_OBJECT DeviceObject,
    PIRP Irp,
    PVOID Context
    )
{
    PSEED002_ASYNC_RESULT result = (PSEED002_ASYNC_RESULT)Context;
    PMDL mdl, nextMdl;

    Seed002ReportAsync(result, DeviceObject, Irp);
    if (Irp->MdlAddress != NULL) {
        for (mdl = Irp->MdlAddress; mdl != NULL; mdl = nextMdl) {
            nextMdl = mdl->Next;
            MmUnlockPages(mdl);
            IoFreeMdl(mdl);
        }
        Irp->MdlAddress = NULL;
    }
    IoFreeIrp(Irp);
    if (result != NULL) {
        KeSetEvent(&result->Done, IO_NO_INCREMENT, FALSE);
    }
    return STATUS_MORE_PROCESSING_REQUIRED;
}

NTSTATUS
MakeAsynchronousRequest2(
    PDEVICE_OBJECT TopOfDeviceStack,
    PVOID WriteBuffer,
    ULONG NumBytes,
    PSEED002_ASYNC_RESULT Result
    )
{
    PIRP irp;
    LARGE_INTEGER startingOffset;
    PIO_STACK_LOCATION nextStack;

    startingOffset.QuadPart = (LONGLONG)0;

    /* No quota: the request is the driver's, not the current process's. */
    irp = IoAllocateIrp(TopOfDeviceStack->StackSize, FALSE);
    if (NULL == irp) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Seed002.Irp = irp;

    /* The first driver's location, where the request is described. */
    nextStack = IoGetNextIrpStackLocation(irp);
    nextStack->MajorFunction = IRP_MJ_WRITE;
    nextStack->Parameters.Write.Length = NumBytes;
    nextStack->Parameters.Write.ByteOffset = startingOffset;

    if (TopOfDeviceStack->Flags & DO_BUFFERED_IO) {
        /* The caller's buffer stands in for a system buffer; it must stay
           valid until the completion routine runs. */
        irp->AssociatedIrp.SystemBuffer = WriteBuffer;
        irp->MdlAddress = NULL;
    } else if (TopOfDeviceStack->Flags & DO_DIRECT_IO) {
        irp->MdlAddress = IoAllocateMdl(WriteBuffer, NumBytes, FALSE, FALSE, (PIRP)NULL);
        if (irp->MdlAddress == NULL) {
            IoFreeIrp(irp);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        __try {
            MmProbeAndLockPages(irp->MdlAddress, KernelMode,
                                (LOCK_OPERATION)(nextStack->MajorFunction == IRP_MJ_WRITE ? IoReadAccess
                                                                                          : IoWriteAccess));
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            /* Never locked: free without unlocking. */
            if (irp->MdlAddress != NULL) {
                IoFreeMdl(irp->MdlAddress);
            }
            IoFreeIrp(irp);
            return GetExceptionCode();
        }
    } else {
        irp->UserBuffer = WriteBuffer;
    }

    /* Required before sending an IoAllocateIrp IRP (rule IoAllocateForward). */
    IoSetCompletionRoutine(irp, MakeAsynchronousRequestCompletion2, Result, TRUE, TRUE, TRUE);
    (void)IoCallDriver(TopOfDeviceStack, irp);
    return STATUS_SUCCESS;
}
