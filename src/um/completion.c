/*
 * irpsim — what stage 2 tells the application beyond the I/O status block
 * and the event (SEMANTICS 3.6 REPORT step 4, A.3): a user APC for
 * ReadFileEx / WriteFileEx (and any native call with an APC routine), or
 * a packet on the completion port the file object is associated with.
 *
 * The I/O manager calls UmpUserCompletion only on the REPORT path, so a
 * request that fails with an error without being pended queues neither
 * (A.2). The port is skipped when the file has
 * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS and the request succeeded without
 * being pended (the caller saw the result at once); warnings still post.
 * A port packet needs an APC context: kernel32 passes the OVERLAPPED,
 * or NULL when the low bit of hEvent is set.
 *
 * Windows reuses the IRP's memory for the APC or the packet; irpsim copies
 * what it needs and lets the I/O manager free the IRP at once.
 */
#include "ump.h"

static BOOLEAN UmpUserCompletion(PIRP Irp, PETHREAD Thread, PFILE_OBJECT FileObject)
{
    PIO_APC_ROUTINE Routine = Irp->Overlay.AsynchronousParameters.UserApcRoutine;
    PVOID Context = Irp->Overlay.AsynchronousParameters.UserApcContext;
    PIO_COMPLETION_CONTEXT Port = FileObject != NULL ? FileObject->CompletionContext : NULL;
    NTSTATUS Status = Irp->IoStatus.Status;

    if (Routine != NULL) {
        (void)UmpQueueIoApc(KiThreadFromEThread(Thread), Routine, Context, Irp->UserIosb);
    } else if (Port != NULL && Context != NULL) {
        BOOLEAN Skip = (PAL_ATOMIC_LOAD(&FileObject->Flags, PAL_ORDER_RELAXED) & FO_SKIP_COMPLETION_PORT) &&
                       !Irp->PendingReturned && NT_SUCCESS(Status);
        if (!Skip)
            UmpPostCompletionPacket(Port->Port, (ULONG_PTR)Port->Key, Context, Status, Irp->IoStatus.Information);
    }
    return FALSE; /* the I/O manager frees the IRP */
}

VOID UmpInstallCompletionHook(VOID)
{
    if (PAL_ATOMIC_LOAD(&IopUserCompletionHook, PAL_ORDER_SEQ_CST) != UmpUserCompletion)
        IopSetUserCompletionHook(UmpUserCompletion);
}
