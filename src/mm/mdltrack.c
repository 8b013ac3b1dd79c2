/*
 * irpsim — the registry of MDLs, for leak reports (MiReportMdlLeaks).
 *
 * A record exists while an MDL made by IoAllocateMdl is not freed, or while
 * an MDL's pages are locked (also for MDLs a driver built itself with
 * MmInitializeMdl). Each is charged to the driver running at the time
 * (KiCurrentDriver) with the caller's address. Freeing an MDL whose pages
 * are still locked keeps a record of the lock: those pages would stay
 * locked for ever on Windows (bug check 0x76 PROCESS_HAS_LOCKED_PAGES or
 * 0xCB DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS when the process ends).
 *
 * Records live in host memory (not pool) so that the registry itself never
 * shows up as a leak. Lookups by MDL address go through a small hash.
 */
#include "mi.h"
#include "../ke/ki.h"
#include "../sim/simp.h"

#include <stdlib.h>

#define MI_MDL_HASH_BUCKETS 256

typedef struct _MI_MDL_RECORD {
    LIST_ENTRY Link;                 /* MiMdlRecords, oldest first */
    struct _MI_MDL_RECORD *HashNext; /* while InHash */
    PMDL Mdl;
    ULONG Sequence;
    BOOLEAN InHash;      /* findable by address: the MDL is alive (as far as irpsim knows) */
    BOOLEAN Allocated;   /* made by IoAllocateMdl, not yet freed */
    BOOLEAN Locked;      /* pages locked, not yet unlocked */
    BOOLEAN FreedLocked; /* IoFreeMdl freed it with the pages locked */
    PDRIVER_OBJECT AllocDriver;
    PVOID AllocCaller;
    PDRIVER_OBJECT LockDriver;
    PVOID LockCaller;
    PVOID FreeCaller;
    PVOID AllocVa; /* what the MDL described, kept so reports never read the MDL */
    ULONG AllocBytes;
    PVOID LockedVa;
    ULONG LockedBytes;
    LONG UserMappings;
} MI_MDL_RECORD, *PMI_MDL_RECORD;

static PAL_MUTEX MiMdlLock = PAL_MUTEX_INITIALIZER;
static LIST_ENTRY MiMdlRecords = {&MiMdlRecords, &MiMdlRecords};
static PMI_MDL_RECORD MiMdlHash[MI_MDL_HASH_BUCKETS];
static ULONG MiMdlSequence;

/* Plain list operations: the registry is irpsim's own memory, and the
   checked ones in list.h may bug check, which must not happen while
   MiMdlLock is held. */
static VOID MipListInsertTail(PLIST_ENTRY Head, PLIST_ENTRY Entry)
{
    Entry->Flink = Head;
    Entry->Blink = Head->Blink;
    Head->Blink->Flink = Entry;
    Head->Blink = Entry;
}

static VOID MipListRemove(PLIST_ENTRY Entry)
{
    Entry->Blink->Flink = Entry->Flink;
    Entry->Flink->Blink = Entry->Blink;
}

static ULONG MipHash(PMDL Mdl)
{
    ULONG_PTR V = (ULONG_PTR)Mdl >> 4;
    V ^= V >> 11;
    V *= (ULONG_PTR)0x9E3779B97F4A7C15ULL;
    return (ULONG)((V >> 24) % MI_MDL_HASH_BUCKETS);
}

static PMI_MDL_RECORD MipFindLocked(PMDL Mdl)
{
    for (PMI_MDL_RECORD Record = MiMdlHash[MipHash(Mdl)]; Record != NULL; Record = Record->HashNext) {
        if (Record->Mdl == Mdl)
            return Record;
    }
    return NULL;
}

static VOID MipUnhashLocked(PMI_MDL_RECORD Record)
{
    PMI_MDL_RECORD *Link = &MiMdlHash[MipHash(Record->Mdl)];
    while (*Link != NULL && *Link != Record)
        Link = &(*Link)->HashNext;
    if (*Link != NULL)
        *Link = Record->HashNext;
    Record->HashNext = NULL;
    Record->InHash = FALSE;
}

static VOID MipDeleteLocked(PMI_MDL_RECORD Record)
{
    if (Record->InHash)
        MipUnhashLocked(Record);
    MipListRemove(&Record->Link);
    free(Record);
}

/* The live record for Mdl, made if there is none. NULL if out of memory
   (the MDL then simply goes untracked). */
static PMI_MDL_RECORD MipFindOrCreateLocked(PMDL Mdl)
{
    PMI_MDL_RECORD Record = MipFindLocked(Mdl);
    ULONG Bucket;
    if (Record != NULL)
        return Record;
    Record = (PMI_MDL_RECORD)calloc(1, sizeof(*Record));
    if (Record == NULL)
        return NULL;
    Record->Mdl = Mdl;
    Record->Sequence = ++MiMdlSequence;
    Record->InHash = TRUE;
    Bucket = MipHash(Mdl);
    Record->HashNext = MiMdlHash[Bucket];
    MiMdlHash[Bucket] = Record;
    MipListInsertTail(&MiMdlRecords, &Record->Link);
    return Record;
}

VOID MiTrackAllocation(PMDL Mdl, PVOID Caller)
{
    PDRIVER_OBJECT Driver = KiCurrentDriver();
    PMI_MDL_RECORD Record;
    PalMutexLock(&MiMdlLock);
    /* A record left at this address is stale: the memory was freed and
       reused (e.g. a driver-built MDL in pool that was freed while locked). */
    Record = MipFindLocked(Mdl);
    if (Record != NULL) {
        if (Record->Locked) {
            Record->FreedLocked = TRUE;
            MipUnhashLocked(Record);
        } else {
            MipDeleteLocked(Record);
        }
    }
    Record = MipFindOrCreateLocked(Mdl);
    if (Record != NULL) {
        Record->Allocated = TRUE;
        Record->AllocDriver = Driver;
        Record->AllocCaller = Caller;
        Record->AllocVa = MmGetMdlVirtualAddress(Mdl);
        Record->AllocBytes = Mdl->ByteCount;
    }
    PalMutexUnlock(&MiMdlLock);
}

BOOLEAN MiTrackFree(PMDL Mdl, PVOID Caller)
{
    BOOLEAN Allocated = FALSE;
    PMI_MDL_RECORD Record;
    PalMutexLock(&MiMdlLock);
    Record = MipFindLocked(Mdl);
    if (Record != NULL) {
        Allocated = Record->Allocated;
        Record->Allocated = FALSE;
        Record->UserMappings = 0;
        if (Record->Locked) {
            Record->FreedLocked = TRUE;
            Record->FreeCaller = Caller;
            MipUnhashLocked(Record);
        } else {
            MipDeleteLocked(Record);
        }
    }
    PalMutexUnlock(&MiMdlLock);
    return Allocated;
}

VOID MiTrackLock(PMDL Mdl, PVOID Caller)
{
    PDRIVER_OBJECT Driver = KiCurrentDriver();
    PMI_MDL_RECORD Record;
    PalMutexLock(&MiMdlLock);
    Record = MipFindOrCreateLocked(Mdl);
    if (Record != NULL) {
        Record->Locked = TRUE;
        Record->LockDriver = Driver;
        Record->LockCaller = Caller;
        Record->LockedVa = MmGetMdlVirtualAddress(Mdl);
        Record->LockedBytes = Mdl->ByteCount;
    }
    PalMutexUnlock(&MiMdlLock);
}

VOID MiTrackUnlock(PMDL Mdl)
{
    PMI_MDL_RECORD Record;
    PalMutexLock(&MiMdlLock);
    Record = MipFindLocked(Mdl);
    if (Record != NULL) {
        Record->Locked = FALSE;
        if (!Record->Allocated)
            MipDeleteLocked(Record);
    }
    PalMutexUnlock(&MiMdlLock);
}

LONG MiTrackUserMappings(PMDL Mdl, LONG Delta)
{
    LONG Count = 0;
    PMI_MDL_RECORD Record;
    PalMutexLock(&MiMdlLock);
    Record = Delta > 0 ? MipFindOrCreateLocked(Mdl) : MipFindLocked(Mdl);
    if (Record != NULL) {
        Record->UserMappings += Delta;
        if (Record->UserMappings < 0)
            Record->UserMappings = 0;
        Count = Record->UserMappings;
        if (Count == 0 && !Record->Allocated && !Record->Locked)
            MipDeleteLocked(Record);
    }
    PalMutexUnlock(&MiMdlLock);
    return Count;
}

static VOID MipPrintDriver(FILE *Stream, PDRIVER_OBJECT Driver)
{
    if (Driver == NULL) {
        fputs("irpsim or the test", Stream);
        return;
    }
    fprintf(Stream, "%.*ls", (int)(Driver->DriverName.Length / sizeof(WCHAR)),
            Driver->DriverName.Buffer != NULL ? Driver->DriverName.Buffer : L"");
}

ULONG MiReportMdlLeaks(PDRIVER_OBJECT Driver, FILE *Stream)
{
    ULONG Count = 0;
    PalMutexLock(&MiMdlLock);
    for (PLIST_ENTRY Entry = MiMdlRecords.Flink; Entry != &MiMdlRecords; Entry = Entry->Flink) {
        PMI_MDL_RECORD Record = CONTAINING_RECORD(Entry, MI_MDL_RECORD, Link);
        if (Record->Allocated) {
            if (Driver != NULL && Record->AllocDriver != Driver)
                continue;
            Count++;
            if (Stream == NULL)
                continue;
            fprintf(Stream, "  MDL %p (#%u, for %u bytes at %p) allocated by IoAllocateMdl from %p (",
                    (void *)Record->Mdl, Record->Sequence, Record->AllocBytes, Record->AllocVa, Record->AllocCaller);
            MipPrintDriver(Stream, Record->AllocDriver);
            fputs(") was never freed with IoFreeMdl", Stream);
            if (Record->Locked)
                fprintf(Stream, "; its pages are still locked (MmProbeAndLockPages from %p)", Record->LockCaller);
            fputs("\n", Stream);
        } else if (Record->Locked) {
            if (Driver != NULL && Record->LockDriver != Driver)
                continue;
            Count++;
            if (Stream == NULL)
                continue;
            fprintf(Stream, "  MDL %p (#%u): %u bytes at %p locked by MmProbeAndLockPages from %p (",
                    (void *)Record->Mdl, Record->Sequence, Record->LockedBytes, Record->LockedVa, Record->LockCaller);
            MipPrintDriver(Stream, Record->LockDriver);
            if (Record->FreedLocked)
                fprintf(Stream,
                        ") were never unlocked: IoFreeMdl from %p freed the MDL with its pages still "
                        "locked (Windows: bug check 0x76/0xCB when the process ends)\n",
                        Record->FreeCaller);
            else
                fputs(") were never unlocked with MmUnlockPages\n", Stream);
        }
    }
    PalMutexUnlock(&MiMdlLock);
    return Count;
}

VOID MiShutdownSystem(VOID)
{
    PalMutexLock(&MiMdlLock);
    while (MiMdlRecords.Flink != &MiMdlRecords)
        MipDeleteLocked(CONTAINING_RECORD(MiMdlRecords.Flink, MI_MDL_RECORD, Link));
    MiMdlSequence = 0;
    PalMutexUnlock(&MiMdlLock);
    MiClearInvalidRanges();
}
