/*
 * irpsim — the IRP state table, and the memory of which IRPs were freed.
 *
 * A chained hash table keyed by the IRP's address (doubles when it gets
 * crowded, so lookups stay O(1)). Entries come from the host heap, never
 * from pool, so tracking an IRP cannot recurse into pool checks or be
 * charged to a driver.
 */
#include "irpstate.h"
#include "../ke/ki.h"
#include "../platform/pal.h"

#include <stdlib.h>

static PAL_MUTEX VfpIrpLock = PAL_MUTEX_INITIALIZER;
static PVF_IRP_ENTRY *VfpBuckets;
static ULONG VfpBucketCount;
static ULONG VfpEntryCount;
static ULONGLONG VfpNextSerial;

/* The last VF_IRP_FREED_RING freed IRPs (address and allocation number). */
typedef struct _VFP_FREED_SLOT {
    PIRP Irp;
    ULONGLONG Serial;
} VFP_FREED_SLOT;
static VFP_FREED_SLOT VfpFreed[VF_IRP_FREED_RING];
static ULONG VfpFreedNext;

static ULONG VfpHash(PIRP Irp, ULONG Buckets)
{
    ULONG64 Key = (ULONG64)(ULONG_PTR)Irp >> 4;
    Key *= 0x9E3779B97F4A7C15ull;
    return (ULONG)(Key >> 32) & (Buckets - 1);
}

/* Caller holds VfpIrpLock. */
static PVF_IRP_ENTRY VfpFindLocked(PIRP Irp)
{
    PVF_IRP_ENTRY Entry;
    if (VfpBuckets == NULL || Irp == NULL)
        return NULL;
    for (Entry = VfpBuckets[VfpHash(Irp, VfpBucketCount)]; Entry != NULL; Entry = Entry->HashNext) {
        if (Entry->Irp == Irp)
            return Entry;
    }
    return NULL;
}

static VOID VfpGrowLocked(VOID)
{
    ULONG NewCount = VfpBucketCount ? VfpBucketCount * 2 : 1024;
    PVF_IRP_ENTRY *NewBuckets = (PVF_IRP_ENTRY *)calloc(NewCount, sizeof(PVF_IRP_ENTRY));
    if (NewBuckets == NULL)
        return; /* keep the old (slower) table */
    for (ULONG i = 0; i < VfpBucketCount; i++) {
        PVF_IRP_ENTRY Entry = VfpBuckets[i];
        while (Entry != NULL) {
            PVF_IRP_ENTRY Next = Entry->HashNext;
            ULONG Bucket = VfpHash(Entry->Irp, NewCount);
            Entry->HashNext = NewBuckets[Bucket];
            NewBuckets[Bucket] = Entry;
            Entry = Next;
        }
    }
    free(VfpBuckets);
    VfpBuckets = NewBuckets;
    VfpBucketCount = NewCount;
}

static VOID VfpUnlinkLocked(PVF_IRP_ENTRY Target)
{
    PVF_IRP_ENTRY *Link = &VfpBuckets[VfpHash(Target->Irp, VfpBucketCount)];
    while (*Link != NULL) {
        if (*Link == Target) {
            *Link = Target->HashNext;
            VfpEntryCount--;
            return;
        }
        Link = &(*Link)->HashNext;
    }
}

VOID VfIrpInitialize(VOID)
{
    PalMutexLock(&VfpIrpLock);
    if (VfpBuckets == NULL)
        VfpGrowLocked();
    VfpFreedNext = 0;
    PalMutexUnlock(&VfpIrpLock);
}

VOID VfIrpShutdown(VOID)
{
    PVF_IRP_ENTRY *Buckets;
    ULONG Count;

    PalMutexLock(&VfpIrpLock);
    Buckets = VfpBuckets;
    Count = VfpBucketCount;
    VfpBuckets = NULL;
    VfpBucketCount = 0;
    VfpEntryCount = 0;
    memset(VfpFreed, 0, sizeof(VfpFreed));
    VfpFreedNext = 0;
    PalMutexUnlock(&VfpIrpLock);

    for (ULONG i = 0; i < Count; i++) {
        PVF_IRP_ENTRY Entry = Buckets[i];
        while (Entry != NULL) {
            PVF_IRP_ENTRY Next = Entry->HashNext;
            free(Entry);
            Entry = Next;
        }
    }
    free(Buckets);
}

VOID VfIrpTrack(PIRP Irp, IRPSIM_IRP_ORIGIN Origin, BOOLEAN OwnsMemory, PVOID Site)
{
    PDRIVER_OBJECT Driver = KiCurrentDriver();
    PVF_IRP_ENTRY Fresh = (PVF_IRP_ENTRY)calloc(1, sizeof(VF_IRP_ENTRY));
    PVF_IRP_ENTRY Entry;

    PalMutexLock(&VfpIrpLock);
    Entry = VfpFindLocked(Irp);
    if (Entry == NULL) {
        if (Fresh == NULL) {
            /* Out of host memory: the IRP simply goes untracked. */
            PalMutexUnlock(&VfpIrpLock);
            return;
        }
        if (VfpEntryCount >= 2 * VfpBucketCount)
            VfpGrowLocked();
        Entry = Fresh;
        Fresh = NULL;
        Entry->Irp = Irp;
        Entry->HashNext = VfpBuckets[VfpHash(Irp, VfpBucketCount)];
        VfpBuckets[VfpHash(Irp, VfpBucketCount)] = Entry;
        VfpEntryCount++;
    } else {
        /* The address is being reused (driver memory re-initialised, or a
           stale entry of memory the driver freed itself). */
        PVF_IRP_ENTRY Next = Entry->HashNext;
        memset(Entry, 0, sizeof(*Entry));
        Entry->HashNext = Next;
        Entry->Irp = Irp;
    }
    Entry->Serial = ++VfpNextSerial;
    Entry->Origin = Origin;
    Entry->State = VfIrpAllocated;
    Entry->OwnsMemory = OwnsMemory;
    Entry->StackCount = Irp->StackCount;
    Entry->Location = Irp->CurrentLocation;
    Entry->Size = Irp->Size;
    Entry->Driver = Driver;
    Entry->AllocationSite = Site;
    PalMutexUnlock(&VfpIrpLock);
    free(Fresh);
}

VOID VfIrpSetOrigin(PIRP Irp, IRPSIM_IRP_ORIGIN Origin)
{
    PVF_IRP_ENTRY Entry;
    PalMutexLock(&VfpIrpLock);
    Entry = VfpFindLocked(Irp);
    if (Entry != NULL && Entry->State != VfIrpFreed)
        Entry->Origin = Origin;
    PalMutexUnlock(&VfpIrpLock);
}

VOID VfIrpSetState(PIRP Irp, VF_IRP_STATE State, PDEVICE_OBJECT Device)
{
    PVF_IRP_ENTRY Entry;
    PalMutexLock(&VfpIrpLock);
    Entry = VfpFindLocked(Irp);
    if (Entry != NULL && Entry->State != VfIrpFreed) {
        Entry->State = State;
        if (Device != NULL) {
            Entry->Device = Device;
            Entry->DeviceDriver = Device->DriverObject;
        }
    }
    PalMutexUnlock(&VfpIrpLock);
}

BOOLEAN VfIrpQuery(PIRP Irp, PVF_IRP_ENTRY Snapshot)
{
    PVF_IRP_ENTRY Entry;
    PalMutexLock(&VfpIrpLock);
    Entry = VfpFindLocked(Irp);
    if (Entry != NULL) {
        *Snapshot = *Entry;
        Snapshot->HashNext = NULL;
    }
    PalMutexUnlock(&VfpIrpLock);
    return Entry != NULL;
}

BOOLEAN VfIrpIsFreed(PIRP Irp)
{
    PVF_IRP_ENTRY Entry;
    BOOLEAN Freed;
    PalMutexLock(&VfpIrpLock);
    Entry = VfpFindLocked(Irp);
    Freed = Entry != NULL && Entry->State == VfIrpFreed;
    PalMutexUnlock(&VfpIrpLock);
    return Freed;
}

PVF_IRP_ENTRY VfIrpLockEntry(PIRP Irp)
{
    PalMutexLock(&VfpIrpLock);
    return VfpFindLocked(Irp);
}

VOID VfIrpUnlock(VOID)
{
    PalMutexUnlock(&VfpIrpLock);
}

VOID VfIrpFree(PIRP Irp, PVOID Site)
{
    PVF_IRP_ENTRY Entry;
    PVF_IRP_ENTRY Evicted = NULL;
    VFP_FREED_SLOT Old;

    PalMutexLock(&VfpIrpLock);
    Entry = VfpFindLocked(Irp);
    if (Entry == NULL) {
        PalMutexUnlock(&VfpIrpLock);
        return;
    }
    Entry->State = VfIrpFreed;
    Entry->FreeSite = Site;
    Old = VfpFreed[VfpFreedNext];
    VfpFreed[VfpFreedNext].Irp = Irp;
    VfpFreed[VfpFreedNext].Serial = Entry->Serial;
    VfpFreedNext = (VfpFreedNext + 1) % VF_IRP_FREED_RING;
    if (Old.Irp != NULL) {
        PVF_IRP_ENTRY OldEntry = VfpFindLocked(Old.Irp);
        /* Forget it only if the slot still describes that freed IRP. */
        if (OldEntry != NULL && OldEntry->Serial == Old.Serial && OldEntry->State == VfIrpFreed) {
            VfpUnlinkLocked(OldEntry);
            Evicted = OldEntry;
        }
    }
    PalMutexUnlock(&VfpIrpLock);
    free(Evicted);
}

VOID VfIrpFlushFreed(VOID)
{
    PalMutexLock(&VfpIrpLock);
    for (ULONG i = 0; i < VF_IRP_FREED_RING; i++) {
        VFP_FREED_SLOT Slot = VfpFreed[i];
        PVF_IRP_ENTRY Entry;
        VfpFreed[i].Irp = NULL;
        if (Slot.Irp == NULL)
            continue;
        Entry = VfpFindLocked(Slot.Irp);
        if (Entry != NULL && Entry->Serial == Slot.Serial && Entry->State == VfIrpFreed) {
            VfpUnlinkLocked(Entry);
            free(Entry);
        }
    }
    VfpFreedNext = 0;
    PalMutexUnlock(&VfpIrpLock);
}

ULONG VfIrpSnapshotLive(PVF_IRP_ENTRY *Entries)
{
    ULONG Count = 0;
    PVF_IRP_ENTRY Copy;

    *Entries = NULL;
    PalMutexLock(&VfpIrpLock);
    Copy = (PVF_IRP_ENTRY)malloc((VfpEntryCount ? VfpEntryCount : 1) * sizeof(VF_IRP_ENTRY));
    if (Copy != NULL) {
        for (ULONG i = 0; i < VfpBucketCount; i++) {
            for (PVF_IRP_ENTRY Entry = VfpBuckets[i]; Entry != NULL; Entry = Entry->HashNext) {
                if (Entry->State == VfIrpFreed)
                    continue;
                Copy[Count] = *Entry;
                Copy[Count].HashNext = NULL;
                Count++;
            }
        }
    }
    PalMutexUnlock(&VfpIrpLock);
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

BOOLEAN VfIrpTestLocation(const ULONG64 *Map, LONG Location)
{
    if (Location < 0 || Location >= 64 * VF_IRP_LOCATION_WORDS)
        return FALSE;
    return (Map[Location / 64] >> (Location % 64)) & 1;
}

VOID VfIrpSetLocation(ULONG64 *Map, LONG Location)
{
    if (Location < 0 || Location >= 64 * VF_IRP_LOCATION_WORDS)
        return;
    Map[Location / 64] |= 1ull << (Location % 64);
}

VOID VfIrpClearLocationsUpTo(ULONG64 *Map, LONG Location)
{
    for (LONG Word = 0; Word < VF_IRP_LOCATION_WORDS; Word++) {
        LONG First = Word * 64;
        if (Location < First)
            return;
        if (Location >= First + 63)
            Map[Word] = 0;
        else
            Map[Word] &= ~((2ull << (Location - First)) - 1);
    }
}
