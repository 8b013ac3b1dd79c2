/*
 * irpsim — the part of NtDeviceIoControlFile, NtReadFile and NtWriteFile
 * that is the same for all three (SEMANTICS A.2 steps 1-5, 7-8; the
 * service tail the WRK calls IopSynchronousServiceTail).
 *
 * The file object reference taken from the handle travels with the IRP:
 * stage 2 drops it (and the event's). For a synchronous file object the
 * service keeps one more reference while it waits and holds the file
 * object lock, so it can read FinalStatus and release the lock whatever
 * another thread does to the handle meanwhile.
 *
 * IRP_SYNCHRONOUS_API is not set on these IRPs, as on Windows: the
 * synchronous behaviour comes from the file object (FO_SYNCHRONOUS_IO).
 * Stage 2 therefore reports a pended failure on a synchronous handle only
 * through FileObject->FinalStatus and the file object's event (3.6
 * NO_REPORT), which is where the service reads it. Every request is a
 * threaded IRP (on the issuing thread's list), so thread exit, CancelIo
 * and CancelSynchronousIo find it.
 */
#include "ump.h"

NTSTATUS UmpBeginRequest(PUMP_REQUEST Request, KPROCESSOR_MODE Mode, HANDLE FileHandle, HANDLE Event,
                         PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock,
                         ACCESS_MASK AllOf, ACCESS_MASK AnyOf)
{
    OBJECT_HANDLE_INFORMATION Information;
    PFILE_OBJECT FileObject;
    NTSTATUS Status;

    memset(Request, 0, sizeof(*Request));
    Request->Mode = Mode;
    Request->ApcRoutine = ApcRoutine;
    Request->ApcContext = ApcContext;
    Request->IoStatusBlock = IoStatusBlock;

    Status = ObReferenceObjectByHandle(FileHandle, 0, *IoFileObjectType, Mode, (PVOID *)&FileObject, &Information);
    if (!NT_SUCCESS(Status))
        return Status;
    /* An APC routine and a completion port exclude each other. */
    if (ApcRoutine != NULL && FileObject->CompletionContext != NULL) {
        ObDereferenceObject(FileObject);
        return STATUS_INVALID_PARAMETER;
    }
    if (Mode == UserMode && (((Information.GrantedAccess & AllOf) != AllOf) ||
                             (AnyOf != 0 && (Information.GrantedAccess & AnyOf) == 0))) {
        ObDereferenceObject(FileObject);
        return STATUS_ACCESS_DENIED;
    }
    if (Event != NULL) {
        PKEVENT EventObject;
        Status = ObReferenceObjectByHandle(Event, EVENT_MODIFY_STATE, *ExEventObjectType, Mode, (PVOID *)&EventObject,
                                           NULL);
        if (!NT_SUCCESS(Status)) {
            ObDereferenceObject(FileObject);
            return Status;
        }
        KeResetEvent(EventObject);
        Request->Event = EventObject;
    }
    Request->FileObject = FileObject;
    Request->GrantedAccess = Information.GrantedAccess;
    Request->Device = IoGetRelatedDeviceObject(FileObject);
    if (ApcRoutine != NULL || FileObject->CompletionContext != NULL)
        UmpInstallCompletionHook();
    if (FileObject->Flags & FO_SYNCHRONOUS_IO) {
        Request->Synchronous = TRUE;
        ObReferenceObject(FileObject); /* kept until UmpEndRequest */
        UmpAcquireFileObjectLock(FileObject, Mode);
        Request->LockHeld = TRUE;
    }
    KeClearEvent(&FileObject->Event);
    return STATUS_SUCCESS;
}

VOID UmpEndRequest(PUMP_REQUEST Request)
{
    if (Request->LockHeld) {
        UmpReleaseFileObjectLock(Request->FileObject);
        Request->LockHeld = FALSE;
    }
    if (Request->Synchronous)
        ObDereferenceObject(Request->FileObject);
    Request->FileObject = NULL;
}

VOID UmpAbortRequest(PUMP_REQUEST Request)
{
    PFILE_OBJECT FileObject = Request->FileObject;
    if (Request->Event != NULL)
        ObDereferenceObject(Request->Event);
    Request->Event = NULL;
    UmpEndRequest(Request);
    /* The reference the IRP would have carried. */
    ObDereferenceObject(FileObject);
}

PIRP UmpAllocateRequestIrp(PUMP_REQUEST Request, UCHAR MajorFunction)
{
    PIO_STACK_LOCATION Slot;
    PIRP Irp = IopAllocateIrp(Request->Device->StackSize, Request->Mode == UserMode, IrpSimIrpOriginIoManager,
                              PAL_RETURN_ADDRESS());
    if (Irp == NULL)
        return NULL;
    Irp->Tail.Overlay.OriginalFileObject = Request->FileObject;
    Irp->RequestorMode = Request->Mode;
    Irp->UserIosb = Request->IoStatusBlock;
    Irp->UserEvent = Request->Event;
    Irp->Overlay.AsynchronousParameters.UserApcRoutine = Request->ApcRoutine;
    Irp->Overlay.AsynchronousParameters.UserApcContext = Request->ApcContext;
    Slot = IoGetNextIrpStackLocation(Irp);
    Slot->MajorFunction = MajorFunction;
    Slot->FileObject = Request->FileObject;
    return Irp;
}

PVOID UmpAllocateSystemBuffer(ULONG Length)
{
    PKTHREAD Thread = KiGetCurrentThread();
    /* Charged to the I/O manager, not to whichever driver is running. */
    PDRIVER_OBJECT Saved = KiEnterDriver(Thread, NULL);
    PVOID Buffer = ExAllocatePoolWithTag(NonPagedPool, Length, UMP_BUFFER_TAG);
    KiLeaveDriver(Thread, Saved);
    return Buffer;
}

VOID UmpFreeUnsentIrp(PIRP Irp)
{
    if ((Irp->Flags & IRP_DEALLOCATE_BUFFER) && Irp->AssociatedIrp.SystemBuffer != NULL)
        ExFreePool(Irp->AssociatedIrp.SystemBuffer);
    Irp->AssociatedIrp.SystemBuffer = NULL;
    IopUnlockMdlChain(Irp);
    IopFreeMdlChain(Irp);
    IopFreeIrp(Irp);
}

NTSTATUS UmpLockBuffer(PUMP_REQUEST Request, PIRP Irp, PVOID Buffer, ULONG Length, LOCK_OPERATION Operation)
{
    PKTHREAD Thread = KiGetCurrentThread();
    volatile NTSTATUS Status = STATUS_SUCCESS;
    PDRIVER_OBJECT Saved;
    PMDL Mdl;

    /* The probe's answer, without building an MDL for a range that would
       only make MmProbeAndLockPages raise. */
    Status = UmpProbe(Request->Mode, Buffer, Length, Operation != IoReadAccess);
    if (!NT_SUCCESS(Status))
        return Status;
    Saved = KiEnterDriver(Thread, NULL);
    Mdl = IoAllocateMdl(Buffer, Length, FALSE, TRUE, Irp); /* becomes Irp->MdlAddress */
    KiLeaveDriver(Thread, Saved);
    if (Mdl == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    __try {
        MmProbeAndLockPages(Mdl, Request->Mode, Operation);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        Status = GetExceptionCode();
    }
    return Status;
}

NTSTATUS UmpSendRequest(PUMP_REQUEST Request, PIRP Irp)
{
    PFILE_OBJECT FileObject = Request->FileObject;
    NTSTATUS Status;

    /* Both references now belong to the IRP (stage 2 drops them). */
    Request->Event = NULL;
    IopQueueThreadIrp(Irp, KiEThreadFromThread(KiGetCurrentThread()));
    UmpRegisterUserIrp(Irp);
    UmpNoteIrp(Irp);
    Status = IoCallDriver(Request->Device, Irp);
    if (Request->Synchronous && Status == STATUS_PENDING) {
        (void)KeWaitForSingleObject(&FileObject->Event, Executive, Request->Mode,
                                    (FileObject->Flags & FO_ALERTABLE_IO) != 0, NULL);
        Status = FileObject->FinalStatus;
    }
    return Status;
}
