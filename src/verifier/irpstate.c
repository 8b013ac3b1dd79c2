/*
 * irpsim — the IRP state table, and the memory of which IRPs were freed.
 *
 * Chained hash tables keyed by the IRP's address, one per stripe (the top
 * bits of the address hash pick the stripe; each doubles when it gets
 * crowded, so lookups stay O(1)). A stripe's lock (a quick lock: the I/O
 * manager takes one on nearly every call) guards its table and every entry
 * in it.
 *
 * Entries come from the host heap, never from pool, so tracking an IRP
 * cannot recurse into pool checks or be charged to a driver. They are
 * recycled within their stripe and only returned to the host by
 * VfIrpShutdown, and a table a stripe outgrew is kept until then too: that
 * is what lets VfIrpPeek walk a chain without the lock. A walk that races
 * with a writer can be led astray (never into freed memory), so a miss is
 * confirmed under the lock.
 *
 * Freed IRPs are remembered for the next VF_IRP_FREED_RING frees: each
 * freed entry is numbered, and one whose number is that far behind the
 * count of frees counts as gone. Its memory is reclaimed later, oldest
 * first, when its stripe is next written. A pinned entry (a block of the
 * I/O manager's, VfIrpTrackMemory) is the exception: its IRP is
 * remembered as freed for as long as the block waits in its delay line,
 * and forgotten when the block goes back to the host (VfIrpUnpin).
 *
 * The holder of an IRP no other thread reads through the lock
 * (VfIrpIsHolderEntry) revives and frees its pinned entry, and records
 * where the IRP goes, without the lock, with atomic stores: nobody else
 * writes those fields then, and a copy (VfIrpCopyLocked) reads every field
 * atomically.
 */
#include "irpstate.h"
#include "../ke/ki.h"
#include "../sim/simp.h"

#include <stddef.h>
#include <stdlib.h>

#define VFP_STRIPE_BITS 6
#define VFP_STRIPES (1u << VFP_STRIPE_BITS)
#define VFP_FIRST_BUCKETS 64u
/* A lock-free walk longer than this is taken for one led astray. */
#define VFP_MAX_RELAXED_STEPS 64u

typedef struct _VFP_TABLE {
    struct _VFP_TABLE *Retired; /* the (smaller) table this one replaced */
    ULONG BucketCount;          /* a power of two; fixed once published */
    PVF_IRP_ENTRY Buckets[];
} VFP_TABLE, *PVFP_TABLE;

typedef struct _VFP_STRIPE {
    KI_QUICK_LOCK Lock;
    PVFP_TABLE Table;  /* published with a release store: VfIrpPeek reads it unlocked */
    ULONG EntryCount;  /* entries in Table, freed ones included */
    LIST_ENTRY Freed;  /* freed entries, oldest first (Flink NULL until the first free) */
    PVF_IRP_ENTRY Spare; /* recycled entries, linked by HashNext */
} VFP_STRIPE, *PVFP_STRIPE;

static VFP_STRIPE VfpStripes[VFP_STRIPES];
ULONG VfIrpTableGeneration;
static ULONGLONG VfpFreeCount;      /* IRPs freed since VfIrpInitialize (pinned ones when unpinned) */
/* The stripe VfIrpLockEntry locked on this thread, for VfIrpUnlock. */
static IRPSIM_THREAD_LOCAL PVFP_STRIPE VfpHeldStripe;


/* Trip numbers (VF_IRP_ENTRY.Serial): unique for the process, never
   0. Each thread takes a range at a time, so numbering an IRP needs no
   shared write. */
#define VFP_SERIAL_RANGE 4096u
static ULONGLONG VfpSerialBase = 1;
static IRPSIM_THREAD_LOCAL struct {
    ULONGLONG Next, Limit; /* the calling thread's range */
} VfpSerials;

FORCEINLINE ULONGLONG VfpNewSerial(VOID)
{
    if (IRPSIM_UNLIKELY(VfpSerials.Next == VfpSerials.Limit)) {
        VfpSerials.Next = PAL_ATOMIC_FETCH_ADD(&VfpSerialBase, VFP_SERIAL_RANGE, PAL_ORDER_RELAXED);
        VfpSerials.Limit = VfpSerials.Next + VFP_SERIAL_RANGE;
    }
    return VfpSerials.Next++;
}

static ULONG64 VfpHash(PIRP Irp)
{
    return ((ULONG64)(ULONG_PTR)Irp >> 4) * 0x9E3779B97F4A7C15ull;
}

static PVFP_STRIPE VfpStripeOf(ULONG64 Hash)
{
    return &VfpStripes[Hash >> (64 - VFP_STRIPE_BITS)];
}

static ULONG VfpBucketOf(ULONG64 Hash, ULONG BucketCount)
{
    return (ULONG)(Hash >> 24) & (BucketCount - 1);
}

static PVFP_STRIPE VfpLockStripe(ULONG64 Hash)
{
    PVFP_STRIPE Stripe = VfpStripeOf(Hash);
    KiAcquireQuickLock(&Stripe->Lock);
    return Stripe;
}

/* A freed entry past the memory of VF_IRP_FREED_RING frees counts as
   gone. Safe without the lock. */
static BOOLEAN VfpForgotten(const VF_IRP_ENTRY *Entry)
{
    ULONGLONG Number;
    if (PAL_ATOMIC_LOAD(&Entry->State, PAL_ORDER_ACQUIRE) != VfIrpFreed)
        return FALSE;
    Number = PAL_ATOMIC_LOAD(&Entry->FreedNumber, PAL_ORDER_RELAXED);
    return Number != VF_IRP_PINNED_FREED && PAL_ATOMIC_LOAD(&VfpFreeCount, PAL_ORDER_RELAXED) - Number >= VF_IRP_FREED_RING;
}

/* Without the lock: NULL may be a false miss (see the top). Inline: the
   I/O manager's every call starts with one. */
FORCEINLINE PVF_IRP_ENTRY VfpFindRelaxed(PVFP_STRIPE Stripe, PIRP Irp, ULONG64 Hash)
{
    PVFP_TABLE Table = PAL_ATOMIC_LOAD(&Stripe->Table, PAL_ORDER_ACQUIRE);
    PVF_IRP_ENTRY Entry;
    ULONG Steps = 0;

    if (Table == NULL)
        return NULL;
    Entry = PAL_ATOMIC_LOAD(&Table->Buckets[VfpBucketOf(Hash, Table->BucketCount)], PAL_ORDER_ACQUIRE);
    for (; Entry != NULL && Steps < VFP_MAX_RELAXED_STEPS; Steps++) {
        if (PAL_ATOMIC_LOAD(&Entry->Irp, PAL_ORDER_ACQUIRE) == Irp && !VfpForgotten(Entry))
            return Entry;
        Entry = PAL_ATOMIC_LOAD(&Entry->HashNext, PAL_ORDER_ACQUIRE);
    }
    return NULL;
}

/* Caller holds the stripe lock. */
static PVF_IRP_ENTRY VfpFindLocked(PVFP_STRIPE Stripe, PIRP Irp, ULONG64 Hash)
{
    PVFP_TABLE Table = Stripe->Table;
    if (Table == NULL || Irp == NULL)
        return NULL;
    for (PVF_IRP_ENTRY Entry = Table->Buckets[VfpBucketOf(Hash, Table->BucketCount)]; Entry != NULL;
         Entry = Entry->HashNext) {
        if (Entry->Irp == Irp && !VfpForgotten(Entry))
            return Entry;
    }
    return NULL;
}

/* Doubles the stripe's table. The old one stays readable (see the top). */
static VOID VfpGrowLocked(PVFP_STRIPE Stripe)
{
    PVFP_TABLE Old = Stripe->Table;
    ULONG Count = Old != NULL ? Old->BucketCount * 2 : VFP_FIRST_BUCKETS;
    PVFP_TABLE New = (PVFP_TABLE)calloc(1, sizeof(VFP_TABLE) + Count * sizeof(PVF_IRP_ENTRY));
    if (New == NULL)
        return; /* keep the old (slower) table */
    New->BucketCount = Count;
    New->Retired = Old;
    for (ULONG i = 0; Old != NULL && i < Old->BucketCount; i++) {
        PVF_IRP_ENTRY Entry = Old->Buckets[i];
        while (Entry != NULL) {
            PVF_IRP_ENTRY Next = Entry->HashNext;
            ULONG Bucket = VfpBucketOf(VfpHash(Entry->Irp), Count);
            PAL_ATOMIC_STORE(&Entry->HashNext, New->Buckets[Bucket], PAL_ORDER_RELEASE);
            New->Buckets[Bucket] = Entry;
            Entry = Next;
        }
    }
    PAL_ATOMIC_STORE(&Stripe->Table, New, PAL_ORDER_RELEASE);
}

/* A blank entry for Irp, linked into the stripe's table; NULL when the
   host is out of memory. */
static PVF_IRP_ENTRY VfpInsertLocked(PVFP_STRIPE Stripe, PIRP Irp, ULONG64 Hash)
{
    PVF_IRP_ENTRY Entry = Stripe->Spare;
    PVFP_TABLE Table;
    PVF_IRP_ENTRY *Head;

    if (Stripe->Table == NULL || Stripe->EntryCount >= 2 * Stripe->Table->BucketCount)
        VfpGrowLocked(Stripe);
    Table = Stripe->Table;
    if (Table == NULL)
        return NULL;
    if (Entry != NULL)
        Stripe->Spare = Entry->HashNext;
    else if ((Entry = (PVF_IRP_ENTRY)calloc(1, sizeof(VF_IRP_ENTRY))) == NULL)
        return NULL;
    PAL_ATOMIC_STORE(&Entry->State, VfIrpAllocated, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(&Entry->Irp, Irp, PAL_ORDER_RELAXED);
    Head = &Table->Buckets[VfpBucketOf(Hash, Table->BucketCount)];
    PAL_ATOMIC_STORE(&Entry->HashNext, *Head, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(Head, Entry, PAL_ORDER_RELEASE);
    Stripe->EntryCount++;
    return Entry;
}

/* Takes a forgotten entry out of its chain and keeps it for reuse. Its
   HashNext is left alone, so a walk standing on it still goes on. */
static VOID VfpRecycleLocked(PVFP_STRIPE Stripe, PVF_IRP_ENTRY Target)
{
    PVFP_TABLE Table = Stripe->Table;
    PVF_IRP_ENTRY *Link = &Table->Buckets[VfpBucketOf(VfpHash(Target->Irp), Table->BucketCount)];
    while (*Link != NULL && *Link != Target)
        Link = &(*Link)->HashNext;
    if (*Link == NULL)
        return;
    PAL_ATOMIC_STORE(Link, Target->HashNext, PAL_ORDER_RELEASE);
    Stripe->EntryCount--;
    PAL_ATOMIC_STORE(&Target->Irp, NULL, PAL_ORDER_RELEASE);
    PAL_ATOMIC_STORE(&Target->HashNext, Stripe->Spare, PAL_ORDER_RELEASE);
    Stripe->Spare = Target;
}

/* Recycles the stripe's freed entries that are now forgotten. Every use of
   the freed list starts here. */
static VOID VfpReclaimLocked(PVFP_STRIPE Stripe)
{
    if (Stripe->Freed.Flink == NULL)
        InitializeListHead(&Stripe->Freed);
    while (!IsListEmpty(&Stripe->Freed)) {
        PVF_IRP_ENTRY Oldest = CONTAINING_RECORD(Stripe->Freed.Flink, VF_IRP_ENTRY, FreedLink);
        if (!VfpForgotten(Oldest))
            return;
        RemoveEntryList(&Oldest->FreedLink);
        VfpRecycleLocked(Stripe, Oldest);
    }
}

VOID VfIrpInitialize(VOID)
{
    PAL_ATOMIC_STORE(&VfpFreeCount, 0, PAL_ORDER_RELAXED);
    for (ULONG i = 0; i < VFP_STRIPES; i++) {
        KiAcquireQuickLock(&VfpStripes[i].Lock);
        VfpReclaimLocked(&VfpStripes[i]);
        KiReleaseQuickLock(&VfpStripes[i].Lock);
    }
}


static VOID VfpFreeChain(PVF_IRP_ENTRY Entry)
{
    while (Entry != NULL) {
        PVF_IRP_ENTRY Next = Entry->HashNext;
        free(Entry);
        Entry = Next;
    }
}

VOID VfIrpShutdown(VOID)
{
    PAL_ATOMIC_ADD_FETCH(&VfIrpTableGeneration, 1, PAL_ORDER_SEQ_CST);
    for (ULONG i = 0; i < VFP_STRIPES; i++) {
        PVFP_STRIPE Stripe = &VfpStripes[i];
        PVFP_TABLE Table;
        PVF_IRP_ENTRY Spare;

        KiAcquireQuickLock(&Stripe->Lock);
        Table = Stripe->Table;
        Spare = Stripe->Spare;
        PAL_ATOMIC_STORE(&Stripe->Table, NULL, PAL_ORDER_RELEASE);
        Stripe->Spare = NULL;
        Stripe->EntryCount = 0;
        InitializeListHead(&Stripe->Freed);
        KiReleaseQuickLock(&Stripe->Lock);

        VfpFreeChain(Spare);
        for (ULONG b = 0; Table != NULL && b < Table->BucketCount; b++)
            VfpFreeChain(Table->Buckets[b]);
        while (Table != NULL) {
            PVFP_TABLE Retired = Table->Retired;
            free(Table);
            Table = Retired;
        }
    }
}

/* Irp's entry, from Hint (an entry the caller remembers for it, possibly
   stale) when Hint still names Irp, else from the table. Caller holds the
   stripe lock. Entries never move between stripes and an address has one
   entry that is not forgotten, so a hint that names Irp and is not
   forgotten is the one a lookup would find. */
static PVF_IRP_ENTRY VfpHintLocked(PVFP_STRIPE Stripe, PIRP Irp, ULONG64 Hash, PVF_IRP_ENTRY Hint)
{
    if (Hint != NULL && Hint->Irp == Irp && !VfpForgotten(Hint))
        return Hint;
    return VfpFindLocked(Stripe, Irp, Hash);
}

/* The fields a holder writes without the lock, cleared for a new trip. */
/* Release stores, after the new Serial: a reader that loads one of these
   with acquire and finds the new value then sees the new Serial too, so
   it can tell one life from the next (IopJudgeDispatch). Plain moves on
   x86. */
FORCEINLINE VOID VfpResetHolderFields(PVF_IRP_ENTRY Entry)
{
    PAL_ATOMIC_STORE(&Entry->WalkFinished, FALSE, PAL_ORDER_RELEASE);
    PAL_ATOMIC_STORE(&Entry->SendCount, 0, PAL_ORDER_RELEASE);
    PAL_ATOMIC_STORE(&Entry->Device, NULL, PAL_ORDER_RELEASE);
    PAL_ATOMIC_STORE(&Entry->DeviceDriver, NULL, PAL_ORDER_RELEASE);
    PAL_ATOMIC_STORE(&Entry->CompletionCount, 0, PAL_ORDER_RELEASE);
    PAL_ATOMIC_STORE(&Entry->CompletedAtLocation, 0, PAL_ORDER_RELEASE);
    PAL_ATOMIC_STORE(&Entry->CompletedAtSend, 0, PAL_ORDER_RELEASE);
    PAL_ATOMIC_STORE(&Entry->CompletedStatus, 0, PAL_ORDER_RELEASE);
    PAL_ATOMIC_STORE(&Entry->CompletedWithCancelRoutine, NULL, PAL_ORDER_RELEASE);
}

/* The location bitmaps, emptied (atomic stores: irpstate.h). */
FORCEINLINE VOID VfpClearLocations(PVF_IRP_ENTRY Entry)
{
    for (ULONG Word = 0; Word < VF_IRP_LOCATION_WORDS; Word++) {
        PAL_ATOMIC_STORE(&Entry->MarkedPending[Word], 0, PAL_ORDER_RELEASE);
        PAL_ATOMIC_STORE(&Entry->WalkPassed[Word], 0, PAL_ORDER_RELEASE);
        PAL_ATOMIC_STORE(&Entry->PendingSeen[Word], 0, PAL_ORDER_RELEASE);
        PAL_ATOMIC_STORE(&Entry->ForwardedPending[Word], 0, PAL_ORDER_RELEASE);
    }
}

/* Starts a new life for an entry (its pin aside): every field but the
   table's links and the verifier's bitmaps, with atomic stores (a pinned
   entry's holder does this without the lock, see the top). */
FORCEINLINE VOID VfpStartLife(PVF_IRP_ENTRY Entry, PIRP Irp, IRPSIM_IRP_ORIGIN Origin, BOOLEAN OwnsMemory,
                              PDRIVER_OBJECT Driver, PVOID Site)
{
    /* The new Serial first, then the resets (release: VfpResetHolderFields). */
    PAL_ATOMIC_STORE(&Entry->Serial, VfpNewSerial(), PAL_ORDER_RELAXED);
    if (IrpSimpConfig.Verifier)
        VfpClearLocations(Entry); /* the bitmaps are the verifier's only (never set without it) */
    VfpResetHolderFields(Entry);
    PAL_ATOMIC_STORE(&Entry->Location, Irp->CurrentLocation, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(&Entry->OwnsMemory, OwnsMemory, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(&Entry->Disassociated, FALSE, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(&Entry->ApcQueued, FALSE, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(&Entry->StackCount, Irp->StackCount, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(&Entry->Size, Irp->Size, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(&Entry->Origin, Origin, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(&Entry->Driver, Driver, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(&Entry->AllocationSite, Site, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(&Entry->FreeSite, NULL, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(&Entry->BufferedCopyLimit, 0, PAL_ORDER_RELAXED);
    /* (CancelDriver is IoSetCancelRoutine's: irpstate.h.) Last: a
       lock-free reader that sees the IRP live sees the rest. */
    VfIrpStoreState(Entry, VfIrpAllocated);
}

/* Numbers a freed entry and queues it on its stripe's freed list, to be
   recycled once forgotten. */
static VOID VfpQueueFreedLocked(PVFP_STRIPE Stripe, PVF_IRP_ENTRY Entry)
{
    VfpReclaimLocked(Stripe);
    PAL_ATOMIC_STORE(&Entry->FreedNumber, PAL_ATOMIC_ADD_FETCH(&VfpFreeCount, 1, PAL_ORDER_RELAXED), PAL_ORDER_RELAXED);
    InsertTailList(&Stripe->Freed, &Entry->FreedLink);
}

/* Starts a new life for Irp's entry: Origin is NULL to keep the origin
   (and ownership) of an IRP the I/O manager allocated and has not freed,
   which IoInitializeIrp may reinitialise. Cached (optional): in, a hint
   (VfpHintLocked); out, the entry (NULL: untracked). Pin: the entry stays
   with the address (VfIrpTrackMemory). Returns the origin recorded. */
static IRPSIM_IRP_ORIGIN VfpTrack(PIRP Irp, const IRPSIM_IRP_ORIGIN *Origin, BOOLEAN OwnsMemory, PVOID Site,
                                  PVF_IRP_ENTRY *Cached, BOOLEAN Pin)
{
    PDRIVER_OBJECT Driver = KiCurrentDriver();
    ULONG64 Hash = VfpHash(Irp);
    PVFP_STRIPE Stripe = VfpLockStripe(Hash);
    PVF_IRP_ENTRY Hint = Cached != NULL ? *Cached : NULL;
    PVF_IRP_ENTRY Entry;
    IRPSIM_IRP_ORIGIN Recorded;

    /* (Forgotten entries are recycled by VfpQueueFreedLocked, which every
       free of this stripe's IRPs passes through; a pinned entry is never
       forgotten.) */
    Entry = VfpHintLocked(Stripe, Irp, Hash, Hint);
    if (Origin != NULL) {
        Recorded = *Origin;
    } else if (Entry != NULL && VfIrpIoManagerMemory(Entry)) {
        Recorded = Entry->Origin;
        OwnsMemory = TRUE;
    } else {
        Recorded = IrpSimIrpOriginDriverInitialized;
        OwnsMemory = FALSE;
    }
    if (Entry == NULL) {
        Entry = VfpInsertLocked(Stripe, Irp, Hash);
        if (Entry == NULL) {
            /* Out of host memory: the IRP simply goes untracked. */
            KiReleaseQuickLock(&Stripe->Lock);
            if (Cached != NULL)
                *Cached = NULL;
            return Recorded;
        }
    } else if (PAL_ATOMIC_LOAD(&Entry->State, PAL_ORDER_ACQUIRE) == VfIrpFreed && !Entry->Pinned) {
        /* The address is being reused: it is no longer a freed IRP. */
        RemoveEntryList(&Entry->FreedLink);
    }
    /* IoInitializeIrp on an IRP the I/O manager allocated keeps its pin. */
    PAL_ATOMIC_STORE(&Entry->Pinned, Origin != NULL ? Pin : (OwnsMemory && Entry->Pinned), PAL_ORDER_RELAXED);
    /* (A live entry found here is driver memory re-initialised, or a stale
       entry of memory the driver freed itself.) */
    VfpStartLife(Entry, Irp, Recorded, OwnsMemory, Driver, Site);
    Entry->CancelDriver = NULL; /* (kept across a pinned entry's lives only: irpstate.h) */
    KiReleaseQuickLock(&Stripe->Lock);
    if (Cached != NULL)
        *Cached = Entry;
    return Recorded;
}

VOID VfIrpTrack(PIRP Irp, IRPSIM_IRP_ORIGIN Origin, BOOLEAN OwnsMemory, PVOID Site)
{
    (void)VfpTrack(Irp, &Origin, OwnsMemory, Site, NULL, FALSE);
}


PVF_IRP_ENTRY VfIrpTrackMemory(PIRP Irp, IRPSIM_IRP_ORIGIN Origin, PDRIVER_OBJECT Driver, PVOID Site,
                               PVF_IRP_ENTRY Hint)
{
    PVF_IRP_ENTRY Entry = Hint;
    /* The block's next IRP: its entry, freed with the block's last IRP,
       is the allocating thread's alone. */
    if (VfIrpIsPinnedEntry(Irp, Hint) && PAL_ATOMIC_LOAD(&Hint->State, PAL_ORDER_ACQUIRE) == VfIrpFreed) {
        VfpStartLife(Hint, Irp, Origin, TRUE, Driver, Site);
        return Hint;
    }
    (void)VfpTrack(Irp, &Origin, TRUE, Site, &Entry, TRUE);
    return Entry;
}

IRPSIM_IRP_ORIGIN VfIrpTrackInitialized(PIRP Irp, PVOID Site, PVF_IRP_ENTRY *Cached)
{
    return VfpTrack(Irp, NULL, FALSE, Site, Cached, FALSE);
}

VOID VfIrpRestart(PVF_IRP_ENTRY Entry, CHAR Location)
{
    /* A new number: what a sender judges after its dispatch routine
       returned belongs to the trip it sent (IopJudgeDispatch). */
    PAL_ATOMIC_STORE(&Entry->Serial, VfpNewSerial(), PAL_ORDER_RELAXED);
    VfpResetHolderFields(Entry);
    VfIrpStoreState(Entry, VfIrpAllocated);
    PAL_ATOMIC_STORE(&Entry->Location, Location, PAL_ORDER_RELAXED);
    Entry->Disassociated = FALSE;
    Entry->ApcQueued = FALSE;
    Entry->BufferedCopyLimit = 0;
    if (IrpSimpConfig.Verifier)
        VfpClearLocations(Entry);
}

VOID VfIrpSetOrigin(PIRP Irp, IRPSIM_IRP_ORIGIN Origin)
{
    PVF_IRP_ENTRY Entry = VfIrpLockEntry(Irp);
    if (Entry != NULL && Entry->State != VfIrpFreed)
        Entry->Origin = Origin;
    VfIrpUnlock();
}

VOID VfIrpSetState(PIRP Irp, VF_IRP_STATE State, PDEVICE_OBJECT Device)
{
    PVF_IRP_ENTRY Entry = VfIrpLockEntry(Irp);
    if (Entry != NULL && Entry->State != VfIrpFreed) {
        VfIrpStoreState(Entry, State);
        if (Device != NULL) { /* (atomic: a holder's record, irpstate.h) */
            PAL_ATOMIC_STORE(&Entry->Device, Device, PAL_ORDER_RELAXED);
            PAL_ATOMIC_STORE(&Entry->DeviceDriver, Device->DriverObject, PAL_ORDER_RELAXED);
        }
    }
    VfIrpUnlock();
}

VOID VfIrpCopyLocked(PVF_IRP_ENTRY Copy, const VF_IRP_ENTRY *Entry)
{
    Copy->HashNext = NULL;
    Copy->Irp = Entry->Irp;
    Copy->Serial = PAL_ATOMIC_LOAD(&Entry->Serial, PAL_ORDER_RELAXED);
    Copy->State = PAL_ATOMIC_LOAD(&Entry->State, PAL_ORDER_ACQUIRE);
    Copy->FreedNumber = PAL_ATOMIC_LOAD(&Entry->FreedNumber, PAL_ORDER_RELAXED);
    Copy->Location = PAL_ATOMIC_LOAD(&Entry->Location, PAL_ORDER_RELAXED);
    Copy->WalkFinished = PAL_ATOMIC_LOAD(&Entry->WalkFinished, PAL_ORDER_RELAXED);
    Copy->SendCount = PAL_ATOMIC_LOAD(&Entry->SendCount, PAL_ORDER_RELAXED);
    Copy->Device = PAL_ATOMIC_LOAD(&Entry->Device, PAL_ORDER_RELAXED);
    Copy->DeviceDriver = PAL_ATOMIC_LOAD(&Entry->DeviceDriver, PAL_ORDER_RELAXED);
    Copy->CompletionCount = PAL_ATOMIC_LOAD(&Entry->CompletionCount, PAL_ORDER_RELAXED);
    Copy->CompletedAtLocation = PAL_ATOMIC_LOAD(&Entry->CompletedAtLocation, PAL_ORDER_RELAXED);
    Copy->CompletedAtSend = PAL_ATOMIC_LOAD(&Entry->CompletedAtSend, PAL_ORDER_RELAXED);
    Copy->CompletedStatus = PAL_ATOMIC_LOAD(&Entry->CompletedStatus, PAL_ORDER_RELAXED);
    Copy->CompletedWithCancelRoutine = PAL_ATOMIC_LOAD(&Entry->CompletedWithCancelRoutine, PAL_ORDER_RELAXED);
    Copy->FreedLink.Flink = Copy->FreedLink.Blink = NULL;
    /* A pinned entry's holder may revive or free it without the lock (see the top). */
    Copy->Pinned = PAL_ATOMIC_LOAD(&Entry->Pinned, PAL_ORDER_RELAXED);
    Copy->Origin = PAL_ATOMIC_LOAD(&Entry->Origin, PAL_ORDER_RELAXED);
    Copy->OwnsMemory = PAL_ATOMIC_LOAD(&Entry->OwnsMemory, PAL_ORDER_RELAXED);
    Copy->Disassociated = PAL_ATOMIC_LOAD(&Entry->Disassociated, PAL_ORDER_RELAXED);
    Copy->ApcQueued = PAL_ATOMIC_LOAD(&Entry->ApcQueued, PAL_ORDER_RELAXED);
    Copy->StackCount = PAL_ATOMIC_LOAD(&Entry->StackCount, PAL_ORDER_RELAXED);
    Copy->Size = PAL_ATOMIC_LOAD(&Entry->Size, PAL_ORDER_RELAXED);
    Copy->Driver = PAL_ATOMIC_LOAD(&Entry->Driver, PAL_ORDER_RELAXED);
    Copy->AllocationSite = PAL_ATOMIC_LOAD(&Entry->AllocationSite, PAL_ORDER_RELAXED);
    Copy->FreeSite = PAL_ATOMIC_LOAD(&Entry->FreeSite, PAL_ORDER_RELAXED);
    Copy->BufferedCopyLimit = PAL_ATOMIC_LOAD(&Entry->BufferedCopyLimit, PAL_ORDER_RELAXED);
    Copy->CancelDriver = Entry->CancelDriver;
    for (ULONG Word = 0; Word < VF_IRP_LOCATION_WORDS; Word++) {
        Copy->MarkedPending[Word] = PAL_ATOMIC_LOAD(&Entry->MarkedPending[Word], PAL_ORDER_RELAXED);
        Copy->WalkPassed[Word] = PAL_ATOMIC_LOAD(&Entry->WalkPassed[Word], PAL_ORDER_RELAXED);
        Copy->PendingSeen[Word] = PAL_ATOMIC_LOAD(&Entry->PendingSeen[Word], PAL_ORDER_RELAXED);
        Copy->ForwardedPending[Word] = PAL_ATOMIC_LOAD(&Entry->ForwardedPending[Word], PAL_ORDER_RELAXED);
    }
}

BOOLEAN VfIrpQuery(PIRP Irp, PVF_IRP_ENTRY Snapshot)
{
    PVF_IRP_ENTRY Entry = VfIrpLockEntry(Irp);
    if (Entry != NULL)
        VfIrpCopyLocked(Snapshot, Entry);
    VfIrpUnlock();
    return Entry != NULL;
}

FORCEINLINE BOOLEAN VfpPeek(PIRP Irp, PULONGLONG Serial, VF_IRP_STATE *State)
{
    ULONG64 Hash = VfpHash(Irp);
    PVF_IRP_ENTRY Entry;

    if (Irp == NULL)
        return FALSE;
    Entry = VfpFindRelaxed(VfpStripeOf(Hash), Irp, Hash);
    if (Entry != NULL) {
        *Serial = PAL_ATOMIC_LOAD(&Entry->Serial, PAL_ORDER_RELAXED);
        *State = PAL_ATOMIC_LOAD(&Entry->State, PAL_ORDER_ACQUIRE);
        return TRUE;
    }
    Entry = VfIrpLockEntry(Irp);
    if (Entry != NULL) {
        *Serial = PAL_ATOMIC_LOAD(&Entry->Serial, PAL_ORDER_RELAXED);
        *State = PAL_ATOMIC_LOAD(&Entry->State, PAL_ORDER_ACQUIRE);
    }
    VfIrpUnlock();
    return Entry != NULL;
}

BOOLEAN VfIrpPeek(PIRP Irp, PULONGLONG Serial, VF_IRP_STATE *State)
{
    return VfpPeek(Irp, Serial, State);
}

BOOLEAN VfIrpIsFreed(PIRP Irp)
{
    ULONGLONG Serial;
    VF_IRP_STATE State;
    return VfpPeek(Irp, &Serial, &State) && State == VfIrpFreed;
}

PVF_IRP_ENTRY VfIrpHolderEntryLookup(PIRP Irp)
{
    ULONG64 Hash = VfpHash(Irp);
    PVF_IRP_ENTRY Entry = Irp != NULL ? VfpFindRelaxed(VfpStripeOf(Hash), Irp, Hash) : NULL;
    return Entry != NULL && VfIrpIsHolderEntry(Entry) ? Entry : NULL;
}

PVF_IRP_ENTRY VfIrpLockEntry(PIRP Irp)
{
    return VfIrpLockEntryHint(Irp, NULL);
}

PVF_IRP_ENTRY VfIrpLockEntryHint(PIRP Irp, PVF_IRP_ENTRY Hint)
{
    ULONG64 Hash = VfpHash(Irp);
    PVFP_STRIPE Stripe = VfpLockStripe(Hash);
    VfpHeldStripe = Stripe;
    if (Irp == NULL)
        return NULL;
    return VfpHintLocked(Stripe, Irp, Hash, Hint);
}

VOID VfIrpUnlock(VOID)
{
    PVFP_STRIPE Stripe = VfpHeldStripe;
    VfpHeldStripe = NULL;
    KiReleaseQuickLock(&Stripe->Lock);
}

VOID VfIrpMarkFreed(PVF_IRP_ENTRY Entry, PVOID Site)
{
    PVFP_STRIPE Stripe = VfpHeldStripe;

    if (PAL_ATOMIC_LOAD(&Entry->State, PAL_ORDER_ACQUIRE) == VfIrpFreed && !Entry->Pinned)
        RemoveEntryList(&Entry->FreedLink); /* freed again: remembered from now */
    if (Entry->Pinned)
        PAL_ATOMIC_STORE(&Entry->FreedNumber, VF_IRP_PINNED_FREED, PAL_ORDER_RELAXED);
    else
        VfpQueueFreedLocked(Stripe, Entry);
    PAL_ATOMIC_STORE(&Entry->FreeSite, Site, PAL_ORDER_RELAXED);
    VfIrpStoreState(Entry, VfIrpFreed);
}

VOID VfIrpUnpin(PIRP Irp, PVF_IRP_ENTRY Entry)
{
    ULONG64 Hash = VfpHash(Irp);
    PVFP_STRIPE Stripe = VfpLockStripe(Hash);
    if (Entry->Irp == Irp && Entry->Pinned) {
        PAL_ATOMIC_STORE(&Entry->Pinned, FALSE, PAL_ORDER_RELAXED);
        /* A freed IRP whose memory is no longer ours is no longer known:
           the address is anybody's now. */
        if (PAL_ATOMIC_LOAD(&Entry->State, PAL_ORDER_ACQUIRE) == VfIrpFreed)
            VfpRecycleLocked(Stripe, Entry);
    }
    KiReleaseQuickLock(&Stripe->Lock);
}

ULONG VfIrpSnapshotLive(PVF_IRP_ENTRY *Entries)
{
    ULONG Count = 0;
    ULONG Total = 0;
    PVF_IRP_ENTRY Copy;

    /* Every stripe at once (in order, so no two lockers deadlock): one
       consistent picture. */
    for (ULONG i = 0; i < VFP_STRIPES; i++) {
        KiAcquireQuickLock(&VfpStripes[i].Lock);
        Total += VfpStripes[i].EntryCount;
    }
    Copy = (PVF_IRP_ENTRY)malloc((Total ? Total : 1) * sizeof(VF_IRP_ENTRY));
    for (ULONG i = 0; Copy != NULL && i < VFP_STRIPES; i++) {
        PVFP_TABLE Table = VfpStripes[i].Table;
        for (ULONG b = 0; Table != NULL && b < Table->BucketCount; b++) {
            for (PVF_IRP_ENTRY Entry = Table->Buckets[b]; Entry != NULL; Entry = Entry->HashNext) {
                if (PAL_ATOMIC_LOAD(&Entry->State, PAL_ORDER_ACQUIRE) == VfIrpFreed)
                    continue;
                VfIrpCopyLocked(&Copy[Count++], Entry);
            }
        }
    }
    for (ULONG i = VFP_STRIPES; i-- > 0;)
        KiReleaseQuickLock(&VfpStripes[i].Lock);
    *Entries = Copy;
    return Count;
}

PCSTR VfIrpOriginName(IRPSIM_IRP_ORIGIN Origin)
{
    switch (Origin) {
    case IrpSimIrpOriginIoAllocateIrp:
        return "IoAllocateIrp";
    case IrpSimIrpOriginDriverInitialized:
        return "IoInitializeIrp (driver memory)";
    case IrpSimIrpOriginIoBuildSynchronousFsdRequest:
        return "IoBuildSynchronousFsdRequest";
    case IrpSimIrpOriginIoBuildDeviceIoControlRequest:
        return "IoBuildDeviceIoControlRequest";
    case IrpSimIrpOriginIoBuildAsynchronousFsdRequest:
        return "IoBuildAsynchronousFsdRequest";
    case IrpSimIrpOriginAssociated:
        return "IoMakeAssociatedIrp";
    case IrpSimIrpOriginIoManager:
        return "I/O manager request";
    case IrpSimIrpOriginUnknown:
    default:
        return "unregistered";
    }
}

PCSTR VfIrpStateName(VF_IRP_STATE State)
{
    static const PCSTR Names[] = {"allocated",  "in a driver", "queued", "completing",
                                  "stopped (STATUS_MORE_PROCESSING_REQUIRED)", "stage 2 pending", "freed"};
    return (ULONG)State < RTL_NUMBER_OF(Names) ? Names[State] : "?";
}
