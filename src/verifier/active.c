/*
 * irpsim — armed timers, queued DPCs and live ERESOURCEs by address, so
 * that freeing pool that still holds one is caught (bug check 0xC7
 * TIMER_OR_DPC_INVALID, P1 0 = timer, 1 = DPC; 0xC4/0xD2 for a resource
 * never deleted; SEMANTICS.md 9.6, 9.7, 9.10) and an unloading driver's
 * timers and DPCs can be listed.
 *
 * The question ExFreePool asks (and the object manager, before it frees an
 * object's body: a device object and its extension, src/ob/object.c) is
 * "is any armed timer or queued DPC inside [p, p + size)?". Neither the timer heap (ordered by due time) nor the
 * DPC queues (in queue order) can answer it without a full scan, so the
 * kernel also keeps this index, from the places (under the dispatcher lock)
 * where a timer is armed or disarmed or a DPC queued or dequeued:
 *
 *   an open-addressing hash table whose key is the object's page number
 *   (address >> 12), several objects per page allowed (linear probing
 *   keeps a page's objects in one run of slots).
 *
 * Arming, disarming, queueing, dequeueing: O(1) expected (plus the objects
 * sharing the page). The range query visits the pages of the block, or the
 * whole table when that is smaller: O(min(size / 4096, table) + k) for k
 * objects found — a typical small block is one or two probes, and with
 * nothing armed or queued (most of the time) the query is one atomic read
 * and takes no lock. The entries carry what the reports need (owner, DPC,
 * routine), so nothing here ever reads the objects, which may be freed.
 *
 * The index has its own host mutex, taken inside the dispatcher lock and
 * never the other way round: ExFreePool's query does not take the
 * dispatcher lock, so it adds no scheduling point to the controlled
 * scheduler's schedules.
 */
#include "vfp.h"
#include "../platform/pal.h"

#include <stdlib.h>
#include <string.h>

#define VFP_PAGE_SHIFT 12
#define VFP_TOMBSTONE  ((PVOID)1)

static PAL_MUTEX VfpActiveLock = PAL_MUTEX_INITIALIZER;
static PVF_ACTIVE_OBJECT VfpSlots; /* VfpActiveLock */
static ULONG VfpSlotCount;         /* power of two, or 0 */
static ULONG VfpUsed;              /* live + tombstones */
static volatile LONG VfpLive;      /* read without the lock for the fast path */
static volatile LONG VfpTearDown;  /* IrpSimShutdown frees what is left: no checks */

static ULONG VfpHashPage(ULONG_PTR Page, ULONG Count)
{
    ULONG64 Key = (ULONG64)Page * 0x9E3779B97F4A7C15ull;
    return (ULONG)(Key >> 32) & (Count - 1);
}

static ULONG_PTR VfpPageOf(PVOID Object)
{
    return (ULONG_PTR)Object >> VFP_PAGE_SHIFT;
}

static BOOLEAN VfpIsEntry(const VF_ACTIVE_OBJECT *Slot)
{
    return Slot->Object != NULL && Slot->Object != VFP_TOMBSTONE;
}

static VOID VfpPlaceLocked(const VF_ACTIVE_OBJECT *Entry)
{
    ULONG Mask = VfpSlotCount - 1;
    for (ULONG i = VfpHashPage(VfpPageOf(Entry->Object), VfpSlotCount);; i = (i + 1) & Mask) {
        if (!VfpIsEntry(&VfpSlots[i])) {
            if (VfpSlots[i].Object == NULL)
                VfpUsed++;
            VfpSlots[i] = *Entry;
            return;
        }
    }
}

/* Grows (or just clears the tombstones); FALSE if host memory ran out. */
static BOOLEAN VfpRehashLocked(VOID)
{
    PVF_ACTIVE_OBJECT Old = VfpSlots;
    ULONG OldCount = VfpSlotCount;
    ULONG Live = (ULONG)PAL_ATOMIC_LOAD(&VfpLive, PAL_ORDER_RELAXED);
    ULONG NewCount = OldCount != 0 && (Live + 1) * 4 < OldCount ? OldCount : (OldCount ? OldCount * 2 : 256);
    PVF_ACTIVE_OBJECT New = (PVF_ACTIVE_OBJECT)calloc(NewCount, sizeof(VF_ACTIVE_OBJECT));
    if (New == NULL)
        return FALSE;
    VfpSlots = New;
    VfpSlotCount = NewCount;
    VfpUsed = 0;
    for (ULONG i = 0; i < OldCount; i++) {
        if (VfpIsEntry(&Old[i]))
            VfpPlaceLocked(&Old[i]);
    }
    free(Old);
    return TRUE;
}

static PVF_ACTIVE_OBJECT VfpFindLocked(PVOID Object)
{
    ULONG Mask;
    if (VfpSlotCount == 0)
        return NULL;
    Mask = VfpSlotCount - 1;
    for (ULONG i = VfpHashPage(VfpPageOf(Object), VfpSlotCount);; i = (i + 1) & Mask) {
        if (VfpSlots[i].Object == NULL)
            return NULL;
        if (VfpSlots[i].Object == Object)
            return &VfpSlots[i];
    }
}

VOID VfActiveInsert(PVOID Object, VF_ACTIVE_KIND Kind, PDRIVER_OBJECT Owner, PKDPC Dpc, PVOID Routine)
{
    VF_ACTIVE_OBJECT Entry;
    PVF_ACTIVE_OBJECT Existing;
    memset(&Entry, 0, sizeof(Entry));
    Entry.Object = Object;
    Entry.Kind = Kind;
    Entry.Owner = Owner;
    Entry.Dpc = Dpc;
    Entry.Routine = Routine;
    PalMutexLock(&VfpActiveLock);
    Existing = VfpFindLocked(Object);
    if (Existing != NULL) {
        *Existing = Entry;
    } else if ((VfpUsed + 1) * 2 <= VfpSlotCount || VfpRehashLocked()) {
        VfpPlaceLocked(&Entry);
        PAL_ATOMIC_ADD_FETCH(&VfpLive, 1, PAL_ORDER_RELAXED);
    }
    /* (Out of host memory: the object still works, it is just not checked.) */
    PalMutexUnlock(&VfpActiveLock);
}

VOID VfActiveRemove(PVOID Object)
{
    PVF_ACTIVE_OBJECT Slot;
    if (PAL_ATOMIC_LOAD(&VfpLive, PAL_ORDER_RELAXED) == 0)
        return;
    PalMutexLock(&VfpActiveLock);
    Slot = VfpFindLocked(Object);
    if (Slot != NULL) {
        memset(Slot, 0, sizeof(*Slot));
        Slot->Object = VFP_TOMBSTONE;
        PAL_ATOMIC_SUB_FETCH(&VfpLive, 1, PAL_ORDER_RELAXED);
    }
    PalMutexUnlock(&VfpActiveLock);
}

VOID VfActiveReset(VF_ACTIVE_KIND Kind)
{
    PalMutexLock(&VfpActiveLock);
    for (ULONG i = 0; i < VfpSlotCount; i++) {
        if (VfpIsEntry(&VfpSlots[i]) && (Kind == 0 || VfpSlots[i].Kind == Kind)) {
            VfpSlots[i].Object = VFP_TOMBSTONE;
            PAL_ATOMIC_SUB_FETCH(&VfpLive, 1, PAL_ORDER_RELAXED);
        }
    }
    PalMutexUnlock(&VfpActiveLock);
}

VOID VfpStopActiveObjects(BOOLEAN Stop)
{
    PAL_ATOMIC_STORE(&VfpTearDown, Stop ? 1 : 0, PAL_ORDER_RELAXED);
}

VOID VfpResetActiveObjects(VOID)
{
    PalMutexLock(&VfpActiveLock);
    free(VfpSlots);
    VfpSlots = NULL;
    VfpSlotCount = 0;
    VfpUsed = 0;
    PAL_ATOMIC_STORE(&VfpLive, 0, PAL_ORDER_RELAXED);
    PalMutexUnlock(&VfpActiveLock);
}

/* The first entry whose object starts in [Start, End); lock held. */
static BOOLEAN VfpFindInRangeLocked(ULONG_PTR Start, ULONG_PTR End, PVF_ACTIVE_OBJECT Found)
{
    ULONG_PTR FirstPage = Start >> VFP_PAGE_SHIFT;
    ULONG_PTR LastPage = (End - 1) >> VFP_PAGE_SHIFT;
    ULONG Mask;

    if (VfpSlotCount == 0)
        return FALSE;
    Mask = VfpSlotCount - 1;
    if (LastPage - FirstPage >= VfpSlotCount) {
        /* A block larger than the table: look at every entry instead. */
        for (ULONG i = 0; i < VfpSlotCount; i++) {
            ULONG_PTR Address = (ULONG_PTR)VfpSlots[i].Object;
            if (VfpIsEntry(&VfpSlots[i]) && Address >= Start && Address < End) {
                *Found = VfpSlots[i];
                return TRUE;
            }
        }
        return FALSE;
    }
    for (ULONG_PTR Page = FirstPage; Page <= LastPage; Page++) {
        for (ULONG i = VfpHashPage(Page, VfpSlotCount); VfpSlots[i].Object != NULL; i = (i + 1) & Mask) {
            ULONG_PTR Address = (ULONG_PTR)VfpSlots[i].Object;
            if (VfpIsEntry(&VfpSlots[i]) && Address >= Start && Address < End) {
                *Found = VfpSlots[i];
                return TRUE;
            }
        }
    }
    return FALSE;
}

BOOLEAN VfActiveAny(VOID)
{
    return PAL_ATOMIC_LOAD(&VfpLive, PAL_ORDER_RELAXED) != 0 && PAL_ATOMIC_LOAD(&VfpTearDown, PAL_ORDER_RELAXED) == 0 &&
           VfRuleEnabled(IRPSIM_VERIFIER_OBJECTS);
}

/* The 0xC7 check for [Start, Start + Size), about to be freed. What names
   the memory in the report, Advice (or NULL) is added to the hint. */
VOID VfCheckFreedMemory(PVOID Start, SIZE_T Size, PCSTR What, PCSTR Advice)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[600];
    static IRPSIM_THREAD_LOCAL CHAR Hint[600];
    VF_ACTIVE_OBJECT Found;
    BOOLEAN Hit;
    CHAR Owner[128];

    if (Size == 0 || !VfActiveAny())
        return;
    PalMutexLock(&VfpActiveLock);
    Hit = VfpFindInRangeLocked((ULONG_PTR)Start, (ULONG_PTR)Start + Size, &Found);
    PalMutexUnlock(&VfpActiveLock);
    if (!Hit)
        return;
    IopFormatDriverName(Found.Owner, Owner, sizeof(Owner));
    if (Found.Kind == VfActiveResource) {
        snprintf(Rule, sizeof(Rule),
                 "%s was freed while it still contains ERESOURCE %p (initialised by %s), which was never deleted. "
                 "The kernel keeps every resource in a system-wide list; the next walk of that list reads freed "
                 "memory.",
                 What, Found.Object, Owner);
        snprintf(Hint, sizeof(Hint), "Call ExDeleteResourceLite before freeing the memory that holds the resource.%s%s",
                 Advice != NULL ? " " : "", Advice != NULL ? Advice : "");
        VfReport(DRIVER_VERIFIER_DETECTED_VIOLATION, VF_C4_FREED_ACTIVE_RESOURCE, (ULONG_PTR)Found.Object,
                 (ULONG_PTR)Start, (ULONG_PTR)Size, NULL, Rule, Hint);
        return;
    }
    if (Found.Kind == VfActiveTimer)
        snprintf(Rule, sizeof(Rule),
                 "%s was freed while it still contains KTIMER %p, which is set (armed by %s). When it expires the "
                 "kernel would write into freed memory and queue its DPC from there.",
                 What, Found.Object, Owner);
    else
        snprintf(Rule, sizeof(Rule),
                 "%s was freed while it still contains KDPC %p, which is queued (its driver: %s). When the processor "
                 "runs it, it would read the routine from freed memory.",
                 What, Found.Object, Owner);
    snprintf(Hint, sizeof(Hint), "%s%s%s",
             Found.Kind == VfActiveTimer
                 ? "Call KeCancelTimer before freeing the memory that holds the timer (and KeFlushQueuedDpcs if its "
                   "DPC may be queued or running)."
                 : "Call KeRemoveQueueDpc (or KeFlushQueuedDpcs, at PASSIVE_LEVEL) before freeing the memory that "
                   "holds the DPC; cancel any timer that queues it first.",
             Advice != NULL ? " " : "", Advice != NULL ? Advice : "");
    VfReport(TIMER_OR_DPC_INVALID, Found.Kind == VfActiveTimer ? VF_C7_TIMER : VF_C7_DPC, (ULONG_PTR)Found.Object,
             (ULONG_PTR)Start, (ULONG_PTR)Start + Size, NULL, Rule, Hint);
}

VOID VfCheckFreedRange(PVOID Start, SIZE_T Size)
{
    CHAR What[80];
    if (Size == 0 || !VfActiveAny())
        return;
    snprintf(What, sizeof(What), "Pool block %p (%zu bytes)", Start, (size_t)Size);
    VfCheckFreedMemory(Start, Size, What, NULL);
}

ULONG VfActiveSnapshot(PDRIVER_OBJECT Owner, BOOLEAN AnyOwner, PVF_ACTIVE_OBJECT Entries, ULONG Max)
{
    ULONG Count = 0;
    if (PAL_ATOMIC_LOAD(&VfpLive, PAL_ORDER_RELAXED) == 0)
        return 0;
    PalMutexLock(&VfpActiveLock);
    for (ULONG i = 0; i < VfpSlotCount; i++) {
        if (!VfpIsEntry(&VfpSlots[i]) || VfpSlots[i].Kind == VfActiveResource ||
            (!AnyOwner && VfpSlots[i].Owner != Owner))
            continue; /* (a resource is not pending work: its pool block is reported as a leak) */
        if (Count < Max)
            Entries[Count] = VfpSlots[i];
        Count++;
    }
    PalMutexUnlock(&VfpActiveLock);
    return Count;
}
