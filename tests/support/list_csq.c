/* The list-backed cancel-safe queue (list_csq.h). */
#include "list_csq.h"

static PLIST_CSQ ListCsqFrom(PIO_CSQ Csq)
{
    return CONTAINING_RECORD(Csq, LIST_CSQ, Csq);
}

static VOID NTAPI ListCsqInsert(PIO_CSQ Csq, PIRP Irp)
{
    InsertTailList(&ListCsqFrom(Csq)->Irps, &Irp->Tail.Overlay.ListEntry);
}

static VOID NTAPI ListCsqRemove(PIO_CSQ Csq, PIRP Irp)
{
    UNREFERENCED_PARAMETER(Csq);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
}

static PIRP NTAPI ListCsqPeekNext(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext)
{
    PLIST_CSQ Queue = ListCsqFrom(Csq);
    PLIST_ENTRY Next = Irp != NULL ? Irp->Tail.Overlay.ListEntry.Flink : Queue->Irps.Flink;
    UNREFERENCED_PARAMETER(PeekContext);
    return Next == &Queue->Irps ? NULL : CONTAINING_RECORD(Next, IRP, Tail.Overlay.ListEntry);
}

static VOID NTAPI ListCsqAcquireLock(PIO_CSQ Csq, PKIRQL Irql)
{
    KeAcquireSpinLock(&ListCsqFrom(Csq)->Lock, Irql);
}

static VOID NTAPI ListCsqReleaseLock(PIO_CSQ Csq, KIRQL Irql)
{
    KeReleaseSpinLock(&ListCsqFrom(Csq)->Lock, Irql);
}

static VOID NTAPI ListCsqCompleteCanceled(PIO_CSQ Csq, PIRP Irp)
{
    UNREFERENCED_PARAMETER(Csq);
    Irp->IoStatus.Status = STATUS_CANCELLED;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

VOID ListCsqInitializeStorage(PLIST_CSQ Queue)
{
    InitializeListHead(&Queue->Irps);
    KeInitializeSpinLock(&Queue->Lock);
}

NTSTATUS ListCsqInitialize(PLIST_CSQ Queue)
{
    ListCsqInitializeStorage(Queue);
    return IoCsqInitialize(&Queue->Csq, ListCsqInsert, ListCsqRemove, ListCsqPeekNext, ListCsqAcquireLock,
                           ListCsqReleaseLock, ListCsqCompleteCanceled);
}
