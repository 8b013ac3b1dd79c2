/*
 * irpsim — finding the requests applications have outstanding, for
 * CancelIo, CancelIoEx and CancelSynchronousIo (SEMANTICS 5.6).
 *
 * Each request is on its issuing thread's IRP list until its stage 2 has
 * run. CancelIo and CancelSynchronousIo look at one known thread's list.
 * CancelIoEx needs every thread's requests on a file object, so the
 * facade also remembers each request it sends here, as (IRP, allocation
 * serial) pairs: the serial (from the IRP state table, never reused)
 * tells a live request from a freed one whose address was reused. The
 * record is split into stripes, one per issuing thread as far as there
 * are stripes, so threads sending requests do not meet on a lock; each
 * stripe drops its finished requests when it fills up.
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

#define UMP_USER_IRP_STRIPES 16

typedef struct _UMP_USER_IRP {
    PIRP Irp;
    ULONGLONG Serial;
} UMP_USER_IRP;

/* A cache line each, so that threads on different stripes share none. */
typedef struct DECLSPEC_ALIGN(64) _UMP_USER_IRP_STRIPE {
    PAL_MUTEX Lock;
    UMP_USER_IRP *Irps;
    ULONG Count;
    ULONG Capacity;
} UMP_USER_IRP_STRIPE;

/* All zero is ready to use (PAL_MUTEX_INITIALIZER). */
static UMP_USER_IRP_STRIPE UmpUserIrps[UMP_USER_IRP_STRIPES];
static volatile ULONG UmpNextStripe;
static IRPSIM_THREAD_LOCAL ULONG UmpThreadStripe; /* stripe + 1; 0 until the first request */

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

/* Drops the stripe's requests whose walk has finished (stripe lock held);
   read without the state table's lock, so one that just finished may stay
   until next time. */
static VOID UmpPruneLocked(UMP_USER_IRP_STRIPE *Stripe)
{
    ULONG Kept = 0;
    for (ULONG i = 0; i < Stripe->Count; i++) {
        ULONGLONG Serial;
        VF_IRP_STATE State;
        if (VfIrpPeek(Stripe->Irps[i].Irp, &Serial, &State) && Serial == Stripe->Irps[i].Serial &&
            State != VfIrpFreed && State != VfIrpStage2Queued)
            Stripe->Irps[Kept++] = Stripe->Irps[i];
    }
    Stripe->Count = Kept;
}

VOID UmpRegisterUserIrp(PIRP Irp)
{
    UMP_USER_IRP_STRIPE *Stripe;
    ULONGLONG Serial;
    VF_IRP_STATE State;

    if (!VfIrpPeek(Irp, &Serial, &State))
        return;
    if (UmpThreadStripe == 0)
        UmpThreadStripe = PAL_ATOMIC_FETCH_ADD(&UmpNextStripe, 1, PAL_ORDER_RELAXED) % UMP_USER_IRP_STRIPES + 1;
    Stripe = &UmpUserIrps[UmpThreadStripe - 1];
    PalMutexLock(&Stripe->Lock);
    if (Stripe->Count == Stripe->Capacity) {
        UmpPruneLocked(Stripe);
        if (Stripe->Count * 2 >= Stripe->Capacity) {
            ULONG Capacity = Stripe->Capacity ? Stripe->Capacity * 2 : 64;
            UMP_USER_IRP *Grown = (UMP_USER_IRP *)realloc(Stripe->Irps, Capacity * sizeof(*Grown));
            if (Grown != NULL) {
                Stripe->Irps = Grown;
                Stripe->Capacity = Capacity;
            }
        }
    }
    if (Stripe->Count < Stripe->Capacity) {
        Stripe->Irps[Stripe->Count].Irp = Irp;
        Stripe->Irps[Stripe->Count].Serial = Serial;
        Stripe->Count++;
    }
    PalMutexUnlock(&Stripe->Lock);
}

/* Appends the stripe's requests to *Candidates (grown as needed). */
static BOOLEAN UmpCollectStripe(UMP_USER_IRP_STRIPE *Stripe, UMP_IRP_REF **Candidates, ULONG *Count, ULONG *Capacity)
{
    BOOLEAN Ok = TRUE;
    PalMutexLock(&Stripe->Lock);
    UmpPruneLocked(Stripe);
    if (*Count + Stripe->Count > *Capacity) {
        ULONG Wanted = *Count + Stripe->Count;
        UMP_IRP_REF *Grown = (UMP_IRP_REF *)realloc(*Candidates, Wanted * sizeof(*Grown));
        if (Grown != NULL) {
            *Candidates = Grown;
            *Capacity = Wanted;
        } else {
            Ok = FALSE;
        }
    }
    for (ULONG i = 0; Ok && i < Stripe->Count; i++) {
        (*Candidates)[*Count].Irp = Stripe->Irps[i].Irp;
        (*Candidates)[*Count].Serial = Stripe->Irps[i].Serial;
        (*Candidates)[*Count].Thread = NULL;
        (*Count)++;
    }
    PalMutexUnlock(&Stripe->Lock);
    return Ok;
}

ULONG UmpFindUserIrps(PFILE_OBJECT FileObject, PVOID IoStatusBlock, PUMP_IRP_REF *Refs)
{
    UMP_IRP_REF *Candidates = NULL;
    ULONG Count = 0;
    ULONG Capacity = 0;
    ULONG Found = 0;

    *Refs = NULL;
    for (ULONG s = 0; s < UMP_USER_IRP_STRIPES; s++) {
        if (!UmpCollectStripe(&UmpUserIrps[s], &Candidates, &Count, &Capacity)) {
            free(Candidates);
            return 0;
        }
    }

    for (ULONG i = 0; i < Count; i++) {
        PFILE_OBJECT Owner;
        PKTHREAD Thread;
        PVOID Iosb;
        PVF_IRP_ENTRY Entry = VfIrpLockEntry(Candidates[i].Irp);
        if (UmpReadLiveIrp(Candidates[i].Irp, Entry, Candidates[i].Serial, &Owner, &Thread, &Iosb) &&
            Owner == FileObject && (IoStatusBlock == NULL || Iosb == IoStatusBlock)) {
            /* Alive (see the top); a plain increment, as nothing that may
               bug check runs under the state-table lock. */
            PAL_ATOMIC_ADD_FETCH(&OBJECT_TO_OBJECT_HEADER(Thread)->PointerCount, 1, PAL_ORDER_SEQ_CST);
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
                        (!SynchronousOnly || (PAL_ATOMIC_LOAD(&Owner->Flags, PAL_ORDER_RELAXED) & FO_SYNCHRONOUS_IO) ||
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
