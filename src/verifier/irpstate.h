/*
 * irpsim — IRP state tracking (SEMANTICS.md 10.6).
 *
 * A side table keyed by the IRP's address records where every IRP came
 * from, where it is in its life, who allocated it and how often it was
 * completed. Because the table lives outside the IRP, it stays truthful when
 * the IRP's own memory does not: a freed IRP's memory goes back to pool,
 * which poisons it and holds it in its own quarantine, while the table keeps
 * the freed IRP's entry (a quarantine of identities, VF_IRP_FREED_RING
 * frees long). Any I/O manager routine handed such an IRP finds it here as
 * "freed" and reports a use after free without touching its memory.
 *
 * The I/O manager (src/io) updates the table at each step. Other components
 * (cancel-safe queues, StartIo, IoBuild*, the Win32 facade) use the small
 * API below: VfIrpSetOrigin after they build an IRP, VfIrpSetState when they
 * park one in a queue, VfIrpQuery to look.
 *
 * Locking: the table is split into stripes by the IRP's address, each with
 * its own host lock (a KI_QUICK_LOCK), so IRPs on different threads rarely
 * meet on a lock; the lock of an IRP is its stripe's. VfIrpLockEntry and
 * VfIrpUnlock expose it to the I/O manager, which must not call anything
 * that can bug check (or call into a driver) between the two, nor lock a
 * second IRP meanwhile.
 *
 * Some of it goes without the lock, because the I/O manager asks on every
 * call: VfIrpPeek and VfIrpIsFreed read an IRP's serial and state, and the
 * holder of an IRP no other thread reads through the lock (one with no
 * thread, VfIrpHolderEntry) records its whole trip - allocation, sends,
 * the verifier's per-location bookkeeping, completion, free - without it.
 * Entries are never returned to the host while the machine runs (they are
 * recycled), so a lookup may race with a writer but never reads freed
 * memory. Fields touched without the lock are accessed atomically wherever
 * another thread may touch them at the same time.
 */
#ifndef IRPSIM_IRPSTATE_H
#define IRPSIM_IRPSTATE_H

#include <wdm.h>
#include <stdio.h>

#include "../platform/pal_compiler.h"

/* Where an IRP came from (IrpSimTraceIrpAllocated carries it in A2). */
typedef enum _IRPSIM_IRP_ORIGIN {
    IrpSimIrpOriginUnknown = 0,          /* first seen in IoCallDriver, never registered */
    IrpSimIrpOriginIoAllocateIrp = 1,
    IrpSimIrpOriginDriverInitialized = 2, /* driver memory + IoInitializeIrp */
    IrpSimIrpOriginIoBuildSynchronousFsdRequest = 3,
    IrpSimIrpOriginIoBuildDeviceIoControlRequest = 4,
    IrpSimIrpOriginIoBuildAsynchronousFsdRequest = 5,
    IrpSimIrpOriginAssociated = 6,       /* IoMakeAssociatedIrp */
    IrpSimIrpOriginIoManager = 7,        /* a request the I/O manager built (user request, create/close) */
} IRPSIM_IRP_ORIGIN;

/* Life-cycle states. "Pended" is not a separate state: IoMarkIrpPending
   sets a bit per stack location (MarkedPending below). */
typedef enum _VF_IRP_STATE {
    VfIrpAllocated = 0,   /* owned by its creator, not (or no longer) in a driver */
    VfIrpInDriver,        /* IoCallDriver gave it to Device at Location */
    VfIrpQueued,          /* a driver parked it in a queue (CSQ, device queue) */
    VfIrpCompleting,      /* inside the IoCompleteRequest stack walk */
    VfIrpStopped,         /* a completion routine returned STATUS_MORE_PROCESSING_REQUIRED (or, for a
                             holder's IRP, is running: VfIrpHolderEnterRoutine) */
    VfIrpStage2Queued,    /* walk finished; stage 2 queued to the thread (APC) or left to the issuer */
    VfIrpFreed,           /* freed; remembered for a while */
} VF_IRP_STATE;

/* Pool tag of IRPs the I/O manager allocates ("Irp "). */
#define IRPSIM_IRP_POOL_TAG 0x20707249u

/* Per-location bitmaps cover CurrentLocation 0 .. 191 (StackCount <= 127). */
#define VF_IRP_LOCATION_WORDS 3

/* A lookup by address reads the first 40 bytes (the chain link, the
   address, the state); what an IRP's trip writes is in the first 128.
   Fields are grouped by who writes them, packed by 64 bytes. (Entries are
   allocated one by one, right after their IRP's memory is: kept near it,
   a lookup or a trip touches fewer pages than with entries packed apart.) */
typedef struct _VF_IRP_ENTRY {
    /* Read without the lock (VfIrpPeek, the lock-free lookups): written,
       under the lock or by a holder (below), with atomic stores only
       (VfIrpStoreState for State). HashNext is the table's, under the lock. */
    struct _VF_IRP_ENTRY *HashNext;
    PIRP Irp;
    ULONGLONG Serial; /* trip number, unique for the process: new for each allocation, and for IoReuseIrp */
    ULONGLONG FreedNumber; /* Freed: this was the n-th IRP freed (VF_IRP_FREED_RING) */
    VF_IRP_STATE State;
    /* Where the IRP was sent, and what the last IoCompleteRequest found.
       The holder of an IRP no other thread looks at may write these (and
       State) without the lock (VfIrpHolderEntry), so a copy reads them
       with atomic loads. */
    CHAR Location;               /* InDriver / Stopped: the current location */
    BOOLEAN WalkFinished;        /* the stack walk reached StackCount + 2 */
    CHAR CompletedAtLocation;    /* CurrentLocation at the last IoCompleteRequest (0x224) */
    BOOLEAN Pinned; /* (below: placed here for the line) */
    ULONG SendCount;             /* IoCallDriver calls (a dispatch routine that forwarded it: 0x226) */
    ULONG CompletionCount;       /* IoCompleteRequest calls */
    ULONG CompletedAtSend;       /* SendCount then: which IoCallDriver's driver completed it (0x224) */
    NTSTATUS CompletedStatus;    /* IoStatus.Status then (0x224) */
    PDEVICE_OBJECT Device;       /* device that last received it */
    PDRIVER_OBJECT DeviceDriver; /* that device's driver, captured when it was sent */
    PDRIVER_CANCEL CompletedWithCancelRoutine; /* routine still set when IoCompleteRequest ran */
    /* Written under the lock (and set for each new life by VfIrpTrack),
       except that the holder of an IRP in a block of the I/O manager's
       revives and frees its pinned entry with atomic stores
       (irpstate.c); a copy reads them atomically. Pinned (above): kept
       for its address by the memory's owner, never recycled (VfIrpUnpin). */
    BOOLEAN OwnsMemory;   /* memory came from IoAllocateIrp (a block of the I/O manager's) */
    BOOLEAN Disassociated; /* thread exit detached it from its thread (5.5) */
    BOOLEAN ApcQueued;    /* stage 2 is queued as an APC: Tail.Overlay is now the KAPC */
    CHAR StackCount;
    USHORT Size;          /* bytes of IRP memory */
    IRPSIM_IRP_ORIGIN Origin;
    PDRIVER_OBJECT Driver;       /* the driver that allocated it (NULL = irpsim or the test) */
    PVOID AllocationSite;        /* return address of the allocating call */
    PVOID FreeSite;
    ULONG_PTR BufferedCopyLimit; /* 0x312 reported: stage 2 copies at most this - 1 bytes (0 = no limit) */
    /* Under the lock only. CancelDriver is not reset when a block's pinned
       entry starts its next IRP's life: IoSetCancelRoutine writes it (NULL
       when it clears the routine), and it is read only to run a routine
       set that way. */
    PDRIVER_OBJECT CancelDriver; /* the driver that last set a cancel routine */
    LIST_ENTRY FreedLink; /* Freed: in its stripe's list of freed entries, oldest first (unless Pinned) */
    /* Bitmaps by CurrentLocation, cleared for the locations below the
       target each time the IRP is sent. Kept only with the verifier on
       (IRPSIM_CONFIG.Verifier): only its rules read them. Every word is
       accessed atomically (VfIrpSetLocation and the others, below). */
    ULONG64 MarkedPending[VF_IRP_LOCATION_WORDS];    /* IoMarkIrpPending ran at this location */
    ULONG64 WalkPassed[VF_IRP_LOCATION_WORDS];       /* completion has left this location */
    ULONG64 PendingSeen[VF_IRP_LOCATION_WORDS];      /* ... and found SL_PENDING_RETURNED there */
    ULONG64 ForwardedPending[VF_IRP_LOCATION_WORDS]; /* an IoCallDriver made from this location returned STATUS_PENDING */
} VF_IRP_ENTRY, *PVF_IRP_ENTRY;

/* Advanced by VfIrpShutdown: an entry remembered from an older table is
   gone (IopIrpEntryHint compares it before using a remembered entry). */
extern ULONG VfIrpTableGeneration;

VOID VfIrpInitialize(VOID);
/* Frees the table (call after the leak report; pool releases the memory
   of IRPs never freed). */
VOID VfIrpShutdown(VOID);

/* Starts (or restarts) tracking Irp. Driver is KiCurrentDriver(). */
VOID VfIrpTrack(PIRP Irp, IRPSIM_IRP_ORIGIN Origin, BOOLEAN OwnsMemory, PVOID Site);
/* The same for a block of the I/O manager's (its IOP_IRP_HEADER says where
   the memory goes back, src/io/iop.h); Driver is KiCurrentDriver(). Hint:
   the entry the caller remembers for this address (NULL: none), saving a
   lookup when it is still the address's entry. The entry is pinned.
   Returns it, for the caller to remember; NULL if the host had no memory
   for it (the IRP is not tracked). */
PVF_IRP_ENTRY VfIrpTrackMemory(PIRP Irp, IRPSIM_IRP_ORIGIN Origin, PDRIVER_OBJECT Driver, PVOID Site,
                               PVF_IRP_ENTRY Hint);
/* A pinned entry (VfIrpTrackMemory) belongs to its address for as long as
   the memory there stays the I/O manager's (a block in its delay lines):
   freeing the IRP does not queue it for recycling (the IRP stays known as
   freed), and the next IRP at the address takes it over without a lookup
   or the lock. VfIrpUnpin, when the memory goes back to the host, forgets
   it. */
VOID VfIrpUnpin(PIRP Irp, PVF_IRP_ENTRY Entry);
/* The same for IoInitializeIrp: an IRP the I/O manager allocated and has
   not freed (VfIrpIoManagerMemory) keeps its origin; other memory is the
   driver's (IrpSimIrpOriginDriverInitialized). Returns the origin kept.
   Cached (optional): in, a hint as above; out, the entry (NULL: untracked). */
IRPSIM_IRP_ORIGIN VfIrpTrackInitialized(PIRP Irp, PVOID Site, PVF_IRP_ENTRY *Cached);
/* For IoBuild* and the I/O manager: record how an IRP from IoAllocateIrp was built. */
VOID VfIrpSetOrigin(PIRP Irp, IRPSIM_IRP_ORIGIN Origin);
/* For queues (CSQ, StartIo): Queued while parked, InDriver again when taken out. */
VOID VfIrpSetState(PIRP Irp, VF_IRP_STATE State, PDEVICE_OBJECT Device);
/* Copies a locked entry (VfIrpLockEntry), every field a holder may be
   writing meanwhile read atomically. */
VOID VfIrpCopyLocked(PVF_IRP_ENTRY Copy, const VF_IRP_ENTRY *Entry);
/* Copies Irp's entry. FALSE if the IRP is not tracked. */
BOOLEAN VfIrpQuery(PIRP Irp, PVF_IRP_ENTRY Snapshot);
/* Irp's serial and state, read without the lock. FALSE if the IRP is not
   tracked (never seen, or freed and forgotten). */
BOOLEAN VfIrpPeek(PIRP Irp, PULONGLONG Serial, VF_IRP_STATE *State);
/* TRUE if Irp was freed (and is still in the quarantine). Lock-free. */
BOOLEAN VfIrpIsFreed(PIRP Irp);

/* Locked access for the I/O manager. The Hint form takes an entry the
   caller remembers for Irp (possibly stale, or NULL) and skips the lookup
   when it is still Irp's entry. */
PVF_IRP_ENTRY VfIrpLockEntry(PIRP Irp);
PVF_IRP_ENTRY VfIrpLockEntryHint(PIRP Irp, PVF_IRP_ENTRY Hint);
VOID VfIrpUnlock(VOID);
/* The entry of a live IRP that no other thread reads through the lock: one
   not built for a thread (IoBuild*Request with an event, the I/O
   manager's own requests), whose entries thread exit, CancelIo and the
   Win32 side read. Found without the lock (from Hint, as for
   VfIrpLockEntryHint, when it names Irp); NULL for any other IRP. Its
   holder may then set the fields from Location to
   CompletedWithCancelRoutine, State, and the location bitmaps, with
   atomic stores, without the lock. */
FORCEINLINE BOOLEAN VfIrpIsHolderEntry(const VF_IRP_ENTRY *Entry)
{
    /* (Origin is set before the IRP is first sent, by the thread that built
       it, and an entry is recycled only once its IRP is freed.) */
    const ULONG Threaded = (1u << IrpSimIrpOriginIoBuildSynchronousFsdRequest) |
                           (1u << IrpSimIrpOriginIoBuildDeviceIoControlRequest) | (1u << IrpSimIrpOriginIoManager);
    return PAL_ATOMIC_LOAD(&Entry->State, PAL_ORDER_ACQUIRE) != VfIrpFreed &&
           !((1u << (PAL_ATOMIC_LOAD(&Entry->Origin, PAL_ORDER_RELAXED) & 31)) & Threaded);
}
PVF_IRP_ENTRY VfIrpHolderEntryLookup(PIRP Irp);
/* Inline: the I/O manager asks on every call. A hint that names Irp and is
   not freed is its entry (see VfIrpLockEntryHint). */
FORCEINLINE PVF_IRP_ENTRY VfIrpHolderEntry(PIRP Irp, PVF_IRP_ENTRY Hint)
{
    if (Hint != NULL && PAL_ATOMIC_LOAD(&Hint->Irp, PAL_ORDER_ACQUIRE) == Irp)
        return VfIrpIsHolderEntry(Hint) ? Hint : NULL;
    return VfIrpHolderEntryLookup(Irp);
}
/* TRUE if a (copied) entry's IRP is back with whoever made it: not yet
   sent, or kept by the completion routine above its stack (Stopped at
   StackCount + 1). An IRP Stopped lower down is still on its way: a
   driver's routine kept it to send it on, or (a holder's, VfIrpHolderEnterRoutine)
   the routine is running. */
FORCEINLINE BOOLEAN VfIrpIsWithCreator(const VF_IRP_ENTRY *Entry)
{
    return Entry->State == VfIrpAllocated || (Entry->State == VfIrpStopped && Entry->Location > Entry->StackCount);
}
/* IoReuseIrp: a locked entry starts a new trip (Allocated at Location);
   what it is and where it came from stay. */
VOID VfIrpRestart(PVF_IRP_ENTRY Entry, CHAR Location);
/* TRUE if the entry is an IRP whose memory the I/O manager allocated
   (IoAllocateIrp) and has not freed. A freed entry's address may be pool
   handed out again, now someone else's memory. */
FORCEINLINE BOOLEAN VfIrpIoManagerMemory(const VF_IRP_ENTRY *Entry)
{
    return Entry->OwnsMemory && Entry->State != VfIrpFreed;
}
/* Sets a locked entry's State (an atomic store: VfIrpPeek reads it without the lock). */
FORCEINLINE VOID VfIrpStoreState(PVF_IRP_ENTRY Entry, VF_IRP_STATE State)
{
    PAL_ATOMIC_STORE(&Entry->State, State, PAL_ORDER_RELEASE);
}

/* The walk of an IRP whose holder records without the lock
   (VfIrpHolderEntry) calls a completion routine at Location: the IRP is
   Stopped there unless the routine gives it back. A routine that returns
   STATUS_MORE_PROCESSING_REQUIRED keeps the IRP - and the record: the walk
   writes it no more, for another thread may already free or send the IRP. */
FORCEINLINE VOID VfIrpHolderEnterRoutine(PVF_IRP_ENTRY Entry, CHAR Location)
{
    PAL_ATOMIC_STORE(&Entry->Location, Location, PAL_ORDER_RELAXED);
    VfIrpStoreState(Entry, VfIrpStopped);
}
/* ... and any other value gives the IRP back to the walk: Completing
   again (unless the routine sent it on meanwhile, which it must not). */
FORCEINLINE VOID VfIrpHolderLeaveRoutine(PVF_IRP_ENTRY Entry)
{
    if (PAL_ATOMIC_LOAD(&Entry->State, PAL_ORDER_RELAXED) == VfIrpStopped)
        VfIrpStoreState(Entry, VfIrpCompleting);
}

/* How many freed IRPs stay known as freed. */
#define VF_IRP_FREED_RING 1024

/* Marks a locked entry (VfIrpLockEntry) freed; the caller then returns the
   IRP's memory to pool. The entry stays for the next VF_IRP_FREED_RING
   frees (a pinned one while pinned), or until the address is tracked
   again. */
VOID VfIrpMarkFreed(PVF_IRP_ENTRY Entry, PVOID Site);
/* FreedNumber of a pinned entry's freed IRP: not counted, never forgotten
   while pinned (irpstate.c). */
#define VF_IRP_PINNED_FREED (~0ull)
/* TRUE if Entry (NULL allowed) is Irp's entry and pinned. */
FORCEINLINE BOOLEAN VfIrpIsPinnedEntry(PIRP Irp, const VF_IRP_ENTRY *Entry)
{
    return Entry != NULL && PAL_ATOMIC_LOAD(&Entry->Irp, PAL_ORDER_ACQUIRE) == Irp &&
           PAL_ATOMIC_LOAD(&Entry->Pinned, PAL_ORDER_RELAXED);
}
/* VfIrpMarkFreed without the lock, for the holder of an IRP in a block of
   the I/O manager's: TRUE if Hint is such an IRP's pinned entry and is now
   marked freed; FALSE (nothing done) otherwise. Inline: IoFreeIrp. */
FORCEINLINE BOOLEAN VfIrpMarkHolderFreed(PIRP Irp, PVF_IRP_ENTRY Hint, PVOID Site)
{
    if (!VfIrpIsPinnedEntry(Irp, Hint) || !VfIrpIsHolderEntry(Hint))
        return FALSE;
    PAL_ATOMIC_STORE(&Hint->FreeSite, Site, PAL_ORDER_RELAXED);
    PAL_ATOMIC_STORE(&Hint->FreedNumber, VF_IRP_PINNED_FREED, PAL_ORDER_RELAXED);
    VfIrpStoreState(Hint, VfIrpFreed);
    return TRUE;
}

/* Copies every live (not freed) entry; the caller frees *Entries with free(). */
ULONG VfIrpSnapshotLive(PVF_IRP_ENTRY *Entries);

PCSTR VfIrpOriginName(IRPSIM_IRP_ORIGIN Origin);
PCSTR VfIrpStateName(VF_IRP_STATE State);

/* Location bitmaps (inline: the I/O manager updates them on every call).
   An IRP's holder updates them without the lock (VfIrpHolderEntry) while
   the sender that handed the IRP on may read them (the checks on its
   dispatch routine's return), so every word is accessed atomically. Each
   map has one writer at a time (the IRP's holder, or whoever holds the
   IRP's lock) except ForwardedPending, which senders also set after their
   dispatch routine returned: it takes the Shared forms. A writer sets
   PendingSeen and MarkedPending before WalkPassed, which a reader tests
   first. */
FORCEINLINE BOOLEAN VfIrpTestLocation(const ULONG64 *Map, LONG Location)
{
    if (Location < 0 || Location >= 64 * VF_IRP_LOCATION_WORDS)
        return FALSE;
    return (PAL_ATOMIC_LOAD(&Map[Location / 64], PAL_ORDER_ACQUIRE) >> (Location % 64)) & 1;
}

FORCEINLINE VOID VfIrpSetLocation(ULONG64 *Map, LONG Location)
{
    ULONG64 Bit;
    if (Location < 0 || Location >= 64 * VF_IRP_LOCATION_WORDS)
        return;
    Bit = 1ull << (Location % 64);
    PAL_ATOMIC_STORE(&Map[Location / 64], PAL_ATOMIC_LOAD(&Map[Location / 64], PAL_ORDER_RELAXED) | Bit,
                     PAL_ORDER_RELEASE);
}

FORCEINLINE VOID VfIrpSetLocationShared(ULONG64 *Map, LONG Location)
{
    if (Location < 0 || Location >= 64 * VF_IRP_LOCATION_WORDS)
        return;
    (void)PAL_ATOMIC_FETCH_OR(&Map[Location / 64], 1ull << (Location % 64), PAL_ORDER_RELEASE);
}

/* The bits of word Word at locations <= Location (Word <= Location / 64). */
FORCEINLINE ULONG64 VfIrpLocationsUpTo(LONG Word, LONG Location)
{
    LONG First = Word * 64;
    return Location >= First + 63 ? ~0ull : (2ull << (Location - First)) - 1;
}

/* Clears locations <= Location. */
FORCEINLINE VOID VfIrpClearLocationsUpTo(ULONG64 *Map, LONG Location)
{
    for (LONG Word = 0; Word < VF_IRP_LOCATION_WORDS && Word * 64 <= Location; Word++) {
        ULONG64 Bits = VfIrpLocationsUpTo(Word, Location);
        ULONG64 Value = PAL_ATOMIC_LOAD(&Map[Word], PAL_ORDER_RELAXED);
        if (Value & Bits)
            PAL_ATOMIC_STORE(&Map[Word], Value & ~Bits, PAL_ORDER_RELAXED);
    }
}

/* The same for ForwardedPending: a read-modify-write only when a bit to
   clear is set (never, on a trip nothing pended). */
FORCEINLINE VOID VfIrpClearLocationsUpToShared(ULONG64 *Map, LONG Location)
{
    for (LONG Word = 0; Word < VF_IRP_LOCATION_WORDS && Word * 64 <= Location; Word++) {
        ULONG64 Bits = VfIrpLocationsUpTo(Word, Location);
        if (PAL_ATOMIC_LOAD(&Map[Word], PAL_ORDER_RELAXED) & Bits)
            (void)PAL_ATOMIC_FETCH_AND(&Map[Word], ~Bits, PAL_ORDER_RELAXED);
    }
}

#endif /* IRPSIM_IRPSTATE_H */
