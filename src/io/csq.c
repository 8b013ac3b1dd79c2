/*
 * irpsim — cancel-safe IRP queues (IO_CSQ), SEMANTICS.md section 6.
 *
 * The library closes the race between queueing an IRP and cancelling it
 * once, on top of six driver callbacks that own the list and its lock. The
 * arbiter is the atomic exchange on Irp->CancelRoutine: whoever takes the
 * non-NULL routine out of the IRP owns its completion.
 *
 * Where an IRP points back to its queue: Irp->Tail.Overlay.DriverContext[3]
 * holds the caller's IO_CSQ_IRP_CONTEXT when one was given, otherwise the
 * IO_CSQ itself. The two are told apart by their first ULONG (Type): 1 is a
 * context, 2 or 3 a queue.
 *
 * Choices on the points SEMANTICS.md 6.3 leaves open (Appendix B item 5):
 *  - The IRP is marked pending only once the insert succeeded. A failed
 *    CsqInsertIrpEx leaves the IRP exactly as the caller gave it (not
 *    pending, DriverContext[3] cleared), so the caller can complete it and
 *    return its status without tripping Verifier 0xC9/0x23E.
 *  - When the IRP turns out to be cancelled already, CsqCompleteCanceledIrp
 *    is called after the queue lock is released, as the cancel path does
 *    (never complete an IRP while holding a spin lock).
 *  - The insert calls CsqInsertIrp[Ex] and then removes the IRP again with
 *    CsqRemoveIrp in that case, so the driver always sees Insert before
 *    Remove before CompleteCanceled for a given IRP.
 *  - The internal cancel routine clears the context's Irp pointer under the
 *    queue lock (ReactOS does it before taking the lock); a concurrent
 *    IoCsqRemoveIrp returns NULL either way, and this way the pointer is
 *    only ever touched under the lock.
 */
#include "iop.h"
#include "../trace/tracep.h"

/* The access-type parameter of an access violation (P3 of bug check 0x1E
   KMODE_EXCEPTION_NOT_HANDLED, whose P1 is the exception code, P2 the
   faulting address and P4 the address referenced). */
#define IOP_CSQ_ACCESS_READ    0
#define IOP_CSQ_ACCESS_EXECUTE 8

static DRIVER_CANCEL IopCsqCancelRoutine;

/*
 * A never-initialised IO_CSQ. Windows does not check Type: it calls
 * whatever the table holds. For the common case — an IO_CSQ in a zeroed
 * device extension — that is a call through a NULL pointer, an access
 * violation in kernel mode: bug check 0x1E below DISPATCH_LEVEL, 0xD1 at or
 * above it. irpsim reports it before anything is locked or changed.
 */
static VOID IopCsqValidate(PIO_CSQ Csq, PIRP Irp, PCSTR Routine)
{
    static const char Rule[] =
        "%s was called with an IO_CSQ that was never initialised (Type is not IO_TYPE_CSQ or IO_TYPE_CSQ_EX, or "
        "a callback is NULL). The cancel-safe queue library calls the driver's callbacks through this table; on "
        "Windows it would jump through an uninitialised pointer.";
    static IRPSIM_THREAD_LOCAL CHAR RuleText[400];
    ULONG_PTR Target;
    KIRQL Irql;

    if (Csq != NULL && (Csq->Type == IO_TYPE_CSQ || Csq->Type == IO_TYPE_CSQ_EX) && Csq->CsqInsertIrp != NULL &&
        Csq->CsqRemoveIrp != NULL && Csq->CsqPeekNextIrp != NULL && Csq->CsqAcquireLock != NULL &&
        Csq->CsqReleaseLock != NULL && Csq->CsqCompleteCanceledIrp != NULL)
        return;

    snprintf(RuleText, sizeof(RuleText), Rule, Routine);
    /* The first thing every CSQ routine calls is CsqAcquireLock. */
    Target = Csq != NULL ? (ULONG_PTR)Csq->CsqAcquireLock : 0;
    Irql = KeGetCurrentIrql();
    if (Irql >= DISPATCH_LEVEL)
        VfBugCheck(DRIVER_IRQL_NOT_LESS_OR_EQUAL, Target, Irql, IOP_CSQ_ACCESS_EXECUTE, Target, Irp, RuleText,
                   "Call IoCsqInitialize (or IoCsqInitializeEx) on the IO_CSQ in DriverEntry or AddDevice, before "
                   "the first IRP can reach the queue.");
    VfBugCheck(IOP_KMODE_EXCEPTION_NOT_HANDLED, (ULONG_PTR)(ULONG)STATUS_ACCESS_VIOLATION, Target,
               IOP_CSQ_ACCESS_EXECUTE, Target, Irp, RuleText,
               "Call IoCsqInitialize (or IoCsqInitializeEx) on the IO_CSQ in DriverEntry or AddDevice, before the "
               "first IRP can reach the queue.");
}

/* TRUE when DriverContext[3] of an IRP queued on Csq still holds what the
   insert put there. */
static BOOLEAN IopCsqContextIntact(PIO_CSQ Csq, PIRP Irp, PVOID Stored)
{
    PIO_CSQ_IRP_CONTEXT Context = (PIO_CSQ_IRP_CONTEXT)Stored;
    if (Stored == (PVOID)Csq)
        return TRUE;
    return (BOOLEAN)(Context != NULL && Context->Type == IO_TYPE_CSQ_IRP_CONTEXT && Context->Csq == Csq &&
                     Context->Irp == Irp);
}

/* The driver wrote over DriverContext[3] of a queued IRP. On Windows the
   internal cancel routine follows that pointer and faults; the removal paths
   ignore it, so irpsim reports it there only with the verifier on. Called
   with no lock held. */
DECLSPEC_NORETURN static VOID IopCsqContextCorrupted(PIRP Irp, PVOID Stored)
{
    VfBugCheck(IOP_KMODE_EXCEPTION_NOT_HANDLED, (ULONG_PTR)(ULONG)STATUS_ACCESS_VIOLATION, 0, IOP_CSQ_ACCESS_READ,
               (ULONG_PTR)Stored, Irp,
               "Irp->Tail.Overlay.DriverContext[3] of an IRP in a cancel-safe queue no longer points to the IO_CSQ "
               "or to the IO_CSQ_IRP_CONTEXT given to IoCsqInsertIrp. The CSQ library keeps its bookkeeping there; "
               "on Windows the cancel routine follows that pointer and faults.",
               "Leave DriverContext[3] alone while the IRP is queued; a driver using IO_CSQ may use "
               "DriverContext[0..2] and Tail.Overlay.ListEntry.");
}

/* Tells the verifier's IRP table that the IRP is parked in a queue (or
   back in the driver's hands). Only an IRP a driver holds is moved, so an
   IRP queued by its own creator keeps its state. Called with the queue
   lock held, which orders the updates for one IRP. */
static VOID IopCsqSetQueued(PIRP Irp, BOOLEAN Queued)
{
    /* One look and one store under the entry's lock (this runs for every
       IRP a cancel storm takes out of a queue). */
    PVF_IRP_ENTRY Entry = VfIrpLockEntry(Irp);
    if (Entry != NULL && Queued && Entry->State == VfIrpInDriver)
        VfIrpStoreState(Entry, VfIrpQueued);
    else if (Entry != NULL && !Queued && Entry->State == VfIrpQueued)
        VfIrpStoreState(Entry, VfIrpInDriver);
    VfIrpUnlock();
}

/* ---- initialisation ---- */

NTSTATUS NTAPI IoCsqInitialize(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP CsqInsertIrp, PIO_CSQ_REMOVE_IRP CsqRemoveIrp,
                               PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp, PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock,
                               PIO_CSQ_RELEASE_LOCK CsqReleaseLock,
                               PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp)
{
    Csq->Type = IO_TYPE_CSQ;
    Csq->CsqInsertIrp = CsqInsertIrp;
    Csq->CsqRemoveIrp = CsqRemoveIrp;
    Csq->CsqPeekNextIrp = CsqPeekNextIrp;
    Csq->CsqAcquireLock = CsqAcquireLock;
    Csq->CsqReleaseLock = CsqReleaseLock;
    Csq->CsqCompleteCanceledIrp = CsqCompleteCanceledIrp;
    Csq->ReservePointer = NULL;
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI IoCsqInitializeEx(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP_EX CsqInsertIrp, PIO_CSQ_REMOVE_IRP CsqRemoveIrp,
                                 PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp, PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock,
                                 PIO_CSQ_RELEASE_LOCK CsqReleaseLock,
                                 PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp)
{
    /* The Ex callback shares the CsqInsertIrp slot, as in the WDK; it is
       converted back to its own type before every call. */
    Csq->Type = IO_TYPE_CSQ_EX;
    Csq->CsqInsertIrp = (PIO_CSQ_INSERT_IRP)(void (*)(void))CsqInsertIrp;
    Csq->CsqRemoveIrp = CsqRemoveIrp;
    Csq->CsqPeekNextIrp = CsqPeekNextIrp;
    Csq->CsqAcquireLock = CsqAcquireLock;
    Csq->CsqReleaseLock = CsqReleaseLock;
    Csq->CsqCompleteCanceledIrp = CsqCompleteCanceledIrp;
    Csq->ReservePointer = NULL;
    return STATUS_SUCCESS;
}

/* ---- insertion ---- */

NTSTATUS NTAPI IoCsqInsertIrpEx(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context, PVOID InsertContext)
{
    NTSTATUS Status = STATUS_SUCCESS;
    BOOLEAN CancelledNow = FALSE;
    KIRQL Irql;

    IopCsqValidate(Csq, Irp, "IoCsqInsertIrp");
    IopCheckIrpNotFreed(Irp, "IoCsqInsertIrp", IOP_PAGE_FAULT_IN_FREED_SPECIAL_POOL, (ULONG_PTR)Irp, 1,
                        (ULONG_PTR)PAL_RETURN_ADDRESS(), 0);

    Csq->CsqAcquireLock(Csq, &Irql);

    if (Context != NULL) {
        Context->Type = IO_TYPE_CSQ_IRP_CONTEXT;
        Context->Irp = Irp;
        Context->Csq = Csq;
        Irp->Tail.Overlay.DriverContext[3] = Context;
    } else {
        Irp->Tail.Overlay.DriverContext[3] = Csq;
    }

    if (Csq->Type == IO_TYPE_CSQ_EX) {
        PIO_CSQ_INSERT_IRP_EX InsertEx = (PIO_CSQ_INSERT_IRP_EX)(void (*)(void))Csq->CsqInsertIrp;
        Status = InsertEx(Csq, Irp, InsertContext);
    } else {
        Csq->CsqInsertIrp(Csq, Irp);
    }

    if (Status != STATUS_SUCCESS) {
        /* Not queued: hand the IRP back untouched (and not pending). */
        Irp->Tail.Overlay.DriverContext[3] = NULL;
        if (Context != NULL)
            Context->Irp = NULL;
        Csq->CsqReleaseLock(Csq, Irql);
        return Status;
    }

    /* Still under the lock, so nobody can dequeue or cancel it yet. */
    IoMarkIrpPending(Irp);
    IopCsqSetQueued(Irp, TRUE);
    TRACE_EVENT(IrpSimTraceCsqInsert, Irp, Csq, 0, 0);

    IoSetCancelRoutine(Irp, IopCsqCancelRoutine);
    /* IoCancelIrp sets Cancel before it exchanges the routine; reading it
       after our exchange closes the window (an atomic read, because the
       cancelling thread writes it without our lock). */
    if (PAL_ATOMIC_LOAD(&Irp->Cancel, PAL_ORDER_SEQ_CST) && IoSetCancelRoutine(Irp, NULL) != NULL) {
        /* Cancelled before the routine was armed, and we took it back:
           IoCancelIrp found nothing to call, so completing is ours. */
        Csq->CsqRemoveIrp(Csq, Irp);
        Irp->Tail.Overlay.DriverContext[3] = NULL;
        if (Context != NULL)
            Context->Irp = NULL;
        IopCsqSetQueued(Irp, FALSE);
        CancelledNow = TRUE;
    }
    /* Cancel set but the exchange returned NULL: IoCancelIrp owns the
       routine and IopCsqCancelRoutine will remove and complete the IRP. */

    Csq->CsqReleaseLock(Csq, Irql);

    if (CancelledNow) {
        TRACE_EVENT(IrpSimTraceCsqCancel, Irp, Csq, 0, 0);
        Csq->CsqCompleteCanceledIrp(Csq, Irp);
    }
    return STATUS_SUCCESS;
}

VOID NTAPI IoCsqInsertIrp(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context)
{
    /* On an Ex queue this is InsertEx with no insert context; its status
       has nowhere to go, as on Windows. */
    (void)IoCsqInsertIrpEx(Csq, Irp, Context, NULL);
}

/* ---- removal ---- */

PIRP NTAPI IoCsqRemoveIrp(PIO_CSQ Csq, PIO_CSQ_IRP_CONTEXT Context)
{
    PIRP Irp;
    PVOID Stored = NULL;
    BOOLEAN Corrupted = FALSE;
    KIRQL Irql;

    IopCsqValidate(Csq, NULL, "IoCsqRemoveIrp");

    Csq->CsqAcquireLock(Csq, &Irql);
    Irp = Context->Irp;
    if (Irp != NULL) {
        if (IoSetCancelRoutine(Irp, NULL) == NULL) {
            /* Cancellation in progress: the cancel routine finishes it. */
            Irp = NULL;
        } else {
            Stored = Irp->Tail.Overlay.DriverContext[3];
            Corrupted = (BOOLEAN)(Stored != (PVOID)Context);
            Csq->CsqRemoveIrp(Csq, Irp);
            Irp->Tail.Overlay.DriverContext[3] = NULL;
            Context->Irp = NULL;
            IopCsqSetQueued(Irp, FALSE);
        }
    }
    Csq->CsqReleaseLock(Csq, Irql);

    if (Irp != NULL) {
        TRACE_EVENT(IrpSimTraceCsqRemove, Irp, Csq, 0, 0);
        if (Corrupted && IopVerifierEnabled())
            IopCsqContextCorrupted(Irp, Stored);
    }
    return Irp;
}

PIRP NTAPI IoCsqRemoveNextIrp(PIO_CSQ Csq, PVOID PeekContext)
{
    PIRP Irp = NULL;
    PVOID Stored = NULL;
    BOOLEAN Corrupted = FALSE;
    KIRQL Irql;

    IopCsqValidate(Csq, NULL, "IoCsqRemoveNextIrp");

    Csq->CsqAcquireLock(Csq, &Irql);
    for (;;) {
        Irp = Csq->CsqPeekNextIrp(Csq, Irp, PeekContext);
        if (Irp == NULL)
            break;
        if (IoSetCancelRoutine(Irp, NULL) == NULL)
            continue; /* being cancelled: leave it for the cancel routine */
        Csq->CsqRemoveIrp(Csq, Irp);
        Stored = Irp->Tail.Overlay.DriverContext[3];
        Corrupted = (BOOLEAN)!IopCsqContextIntact(Csq, Irp, Stored);
        if (!Corrupted && Stored != (PVOID)Csq)
            ((PIO_CSQ_IRP_CONTEXT)Stored)->Irp = NULL;
        Irp->Tail.Overlay.DriverContext[3] = NULL;
        IopCsqSetQueued(Irp, FALSE);
        break;
    }
    Csq->CsqReleaseLock(Csq, Irql);

    if (Irp != NULL) {
        TRACE_EVENT(IrpSimTraceCsqRemove, Irp, Csq, 0, 0);
        if (Corrupted && IopVerifierEnabled())
            IopCsqContextCorrupted(Irp, Stored);
    }
    return Irp;
}

/* ---- cancellation ---- */

/*
 * Installed on every queued IRP. IoCancelIrp calls it with the cancel spin
 * lock held; the lock protects nothing of ours, so it is released first.
 */
static VOID NTAPI IopCsqCancelRoutine(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PVOID Stored;
    PIO_CSQ_IRP_CONTEXT Context = NULL;
    PIO_CSQ Csq;
    KIRQL Irql;

    (void)DeviceObject;
    IoReleaseCancelSpinLock(Irp->CancelIrql);

    Stored = Irp->Tail.Overlay.DriverContext[3];
    if (Stored == NULL)
        IopCsqContextCorrupted(Irp, Stored);
    if (*(const ULONG *)Stored == IO_TYPE_CSQ_IRP_CONTEXT) {
        Context = (PIO_CSQ_IRP_CONTEXT)Stored;
        Csq = Context->Csq;
    } else {
        Csq = (PIO_CSQ)Stored;
    }
    if (Csq == NULL || (Csq->Type != IO_TYPE_CSQ && Csq->Type != IO_TYPE_CSQ_EX))
        IopCsqContextCorrupted(Irp, Stored);

    Csq->CsqAcquireLock(Csq, &Irql);
    if (Context != NULL)
        Context->Irp = NULL;
    Csq->CsqRemoveIrp(Csq, Irp);
    Irp->Tail.Overlay.DriverContext[3] = NULL;
    IopCsqSetQueued(Irp, FALSE);
    Csq->CsqReleaseLock(Csq, Irql);

    TRACE_EVENT(IrpSimTraceCsqCancel, Irp, Csq, 0, 0);
    Csq->CsqCompleteCanceledIrp(Csq, Irp);
}
