/*
 * irpsim — finding the requests applications have outstanding, for
 * CancelIo, CancelIoEx and CancelSynchronousIo (SEMANTICS 5.6).
 *
 * Each request is on its issuing thread's IRP list until its stage 2 has
 * run. CancelIo and CancelSynchronousIo look at one known thread's list.
 * CancelIoEx needs every thread's requests on a file object, so the
 * facade also remembers each request it sends here, as (IRP, allocation
 * serial) pairs: the serial (from the IRP state table, never reused)
 * tells a live request from a freed one whose address was reused.
 *
 * An IRP's Tail.Overlay fields (OriginalFileObject, Thread) are only
 * valid until its stack walk finishes: then the completion APC is built in
 * the same memory. The state table's lock orders the two (the walk's end
 * is recorded under it), so the fields are read under that lock and only
 * while WalkFinished is FALSE. Such an IRP is on its thread's list and not
 * disassociated, so its thread has not finished exiting: the thread object
 * can be referenced.
 */
#include "ump.h"

#include <stdlib.h>

static PAL_MUTEX UmpUserIrpLock = PAL_MUTEX_INITIALIZER;
static UMP_IRP_REF *UmpUserIrps; /* Thread unused here */
static ULONG UmpUserIrpCount;
static ULONG UmpUserIrpCapacity;

/* Reads what the facade needs from a request still in a driver. Caller
   holds the state-table lock (Entry is Irp's entry). */
static BOOLEAN UmpReadLiveIrp(PIRP Irp, PVF_IRP_ENTRY Entry, ULONGLONG Serial, PFILE_OBJECT *FileObject,
                              PKTHREAD *Thread, PVOID *IoStatusBlock)
{
    if (Entry == NULL || (Serial != 0 && Entry->Serial != Serial) || Entry->State == VfIrpFreed ||
        Entry->WalkFinished || Entry->Disassociated || Irp->Tail.Overlay.Thread == NULL)
        return FALSE;
    *FileObject = Irp->Tail.Overlay.OriginalFileObject;
    *Thread = KiThreadFromEThread(Irp->Tail.Overlay.Thread);
    *IoStatusBlock = Irp->UserIosb;
    return TRUE;
}

static BOOLEAN UmpIrpStillLive(const UMP_IRP_REF *Ref)
{
    PFILE_OBJECT FileObject;
    PKTHREAD Thread;
    PVOID Iosb;
    BOOLEAN Live = UmpReadLiveIrp(Ref->Irp, VfIrpLockEntry(Ref->Irp), Ref->Serial, &FileObject, &Thread, &Iosb);
    VfIrpUnlock();
    return Live;
}

/* Drops the entries whose requests have finished (UmpUserIrpLock held). */
static VOID UmpPruneLocked(VOID)
{
    ULONG Kept = 0;
    for (ULONG i = 0; i < UmpUserIrpCount; i++) {
        if (UmpIrpStillLive(&UmpUserIrps[i]))
            UmpUserIrps[Kept++] = UmpUserIrps[i];
    }
    UmpUserIrpCount = Kept;
}

VOID UmpRegisterUserIrp(PIRP Irp)
{
    VF_IRP_ENTRY Entry;
    if (!VfIrpQuery(Irp, &Entry))
        return;
    PalMutexLock(&UmpUserIrpLock);
    if (UmpUserIrpCount == UmpUserIrpCapacity) {
        UmpPruneLocked();
        if (UmpUserIrpCount * 2 >= UmpUserIrpCapacity) {
            ULONG Capacity = UmpUserIrpCapacity ? UmpUserIrpCapacity * 2 : 64;
            UMP_IRP_REF *Grown = (UMP_IRP_REF *)realloc(UmpUserIrps, Capacity * sizeof(*Grown));
            if (Grown != NULL) {
                UmpUserIrps = Grown;
                UmpUserIrpCapacity = Capacity;
            }
        }
    }
    if (UmpUserIrpCount < UmpUserIrpCapacity) {
        UmpUserIrps[UmpUserIrpCount].Irp = Irp;
        UmpUserIrps[UmpUserIrpCount].Serial = Entry.Serial;
        UmpUserIrps[UmpUserIrpCount].Thread = NULL;
        UmpUserIrpCount++;
    }
    PalMutexUnlock(&UmpUserIrpLock);
}

ULONG UmpFindUserIrps(PFILE_OBJECT FileObject, PVOID IoStatusBlock, PUMP_IRP_REF *Refs)
{
    UMP_IRP_REF *Candidates;
    ULONG Count;
    ULONG Found = 0;

    *Refs = NULL;
    PalMutexLock(&UmpUserIrpLock);
    UmpPruneLocked();
    Count = UmpUserIrpCount;
    Candidates = (UMP_IRP_REF *)malloc((Count ? Count : 1) * sizeof(*Candidates));
    if (Candidates != NULL && Count != 0)
        memcpy(Candidates, UmpUserIrps, Count * sizeof(*Candidates));
    PalMutexUnlock(&UmpUserIrpLock);
    if (Candidates == NULL)
        return 0;

    for (ULONG i = 0; i < Count; i++) {
        PFILE_OBJECT Owner;
        PKTHREAD Thread;
        PVOID Iosb;
        PVF_IRP_ENTRY Entry = VfIrpLockEntry(Candidates[i].Irp);
        if (UmpReadLiveIrp(Candidates[i].Irp, Entry, Candidates[i].Serial, &Owner, &Thread, &Iosb) &&
            Owner == FileObject && (IoStatusBlock == NULL || Iosb == IoStatusBlock)) {
            /* Alive (see the top); a plain increment, as nothing that may
               bug check runs under the state-table lock. */
            __atomic_add_fetch(&OBJECT_TO_OBJECT_HEADER(Thread)->PointerCount, 1, __ATOMIC_SEQ_CST);
            Candidates[Found] = Candidates[i];
            Candidates[Found].Thread = Thread;
            Found++;
        }
        VfIrpUnlock();
    }
    if (Found == 0) {
        free(Candidates);
        return 0;
    }
    *Refs = Candidates;
    return Found;
}

VOID UmpReleaseIrpRefs(PUMP_IRP_REF Refs, ULONG Count)
{
    for (ULONG i = 0; i < Count; i++) {
        if (Refs[i].Thread != NULL)
            ObDereferenceObject(Refs[i].Thread);
    }
    free(Refs);
}

ULONG UmpFindThreadIrps(PKTHREAD Thread, PFILE_OBJECT FileObject, PVOID IoStatusBlock, BOOLEAN SynchronousOnly,
                        PUMP_IRP_REF *Refs)
{
    UMP_IRP_REF *Found = NULL;
    ULONG Count = 0;
    ULONG Capacity = 0;

    *Refs = NULL;
    PalMutexLock(&Thread->IrpListLock);
    for (PLIST_ENTRY Link = Thread->IrpList.Flink; Link != &Thread->IrpList; Link = Link->Flink) {
        PIRP Irp = CONTAINING_RECORD(Link, IRP, ThreadListEntry);
        PVF_IRP_ENTRY Entry = VfIrpLockEntry(Irp);
        PFILE_OBJECT Owner;
        PKTHREAD Issuer;
        PVOID Iosb;
        BOOLEAN Match = UmpReadLiveIrp(Irp, Entry, 0, &Owner, &Issuer, &Iosb) && Owner != NULL &&
                        Entry->Origin == IrpSimIrpOriginIoManager && (FileObject == NULL || Owner == FileObject) &&
                        (IoStatusBlock == NULL || Iosb == IoStatusBlock) &&
                        (!SynchronousOnly || (__atomic_load_n(&Owner->Flags, __ATOMIC_RELAXED) & FO_SYNCHRONOUS_IO) ||
                         (Irp->Flags & IRP_SYNCHRONOUS_API));
        ULONGLONG Serial = Entry != NULL ? Entry->Serial : 0;
        VfIrpUnlock();
        if (!Match)
            continue;
        if (Count == Capacity) {
            ULONG Grown = Capacity ? Capacity * 2 : 8;
            UMP_IRP_REF *Larger = (UMP_IRP_REF *)realloc(Found, Grown * sizeof(*Larger));
            if (Larger == NULL)
                break;
            Found = Larger;
            Capacity = Grown;
        }
        Found[Count].Irp = Irp;
        Found[Count].Serial = Serial;
        Found[Count].Thread = NULL;
        Count++;
    }
    PalMutexUnlock(&Thread->IrpListLock);
    *Refs = Found;
    return Count;
}

BOOLEAN UmpIrpRefAlive(const UMP_IRP_REF *Ref)
{
    VF_IRP_ENTRY Entry;
    return VfIrpQuery(Ref->Irp, &Entry) && Entry.Serial == Ref->Serial && Entry.State != VfIrpFreed;
}
