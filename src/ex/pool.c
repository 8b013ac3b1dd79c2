/*
 * irpsim — executive pool.
 *
 * Every block carries a hidden header (tag, size, type, owning driver,
 * caller) and a guard pattern after it. A hash set of live block addresses
 * lets a free be checked before any header is touched, so a free of
 * something that never came from pool, a double free, a tag mismatch or an
 * overrun is reported with Windows' bug check instead of corrupting the
 * host heap. Freed blocks are poisoned and kept in a quarantine for a
 * while, so a late second free is recognised as such.
 */
#include "exp.h"
#include "../ke/ki.h"
#include "../sim/simp.h"
#include "../verifier/vf.h"
#include "../rtl/text.h"

#include <stdio.h>
#include <stdlib.h>

#define EXP_POOL_MAGIC 0x6c6f6f50u  /* "Pool" */
#define EXP_FREED_MAGIC 0x65657246u /* "Free" */
#define EXP_GUARD_FILL 0xFD
#define EXP_FREED_FILL 0xDF
#define EXP_ALIGNMENT 16
#define EXP_HEADER_SIZE ((sizeof(EXP_POOL_HEADER) + EXP_ALIGNMENT - 1) & ~(SIZE_T)(EXP_ALIGNMENT - 1))
#define EXP_QUARANTINE 1024

static KI_QUICK_LOCK ExpPoolLock; /* quick: taken on every allocation and free */
static LIST_ENTRY ExpLiveBlocks = {&ExpLiveBlocks, &ExpLiveBlocks};
static ULONG ExpSequence;

/* Open-addressing set of live block addresses. */
#define EXP_SLOT_EMPTY ((PVOID)0)
#define EXP_SLOT_DELETED ((PVOID)1)
static PVOID *ExpSlots;
static SIZE_T ExpSlotCount; /* power of two */
static SIZE_T ExpSlotsUsed; /* live + deleted */
static SIZE_T ExpLiveCount;

static PEXP_POOL_HEADER ExpQuarantine[EXP_QUARANTINE];
static ULONG ExpQuarantineNext;

typedef struct _EXP_ACTIVE_OBJECT {
    PVOID Object;
    EXP_ACTIVE_KIND Kind;
} EXP_ACTIVE_OBJECT;
static EXP_ACTIVE_OBJECT *ExpActive;
ULONG ExpActiveCount; /* read without the lock too (exp.h: ExpFreedRangeHasChecks) */
static ULONG ExpActiveCapacity;

static SIZE_T ExpHash(PVOID P)
{
    ULONG_PTR V = (ULONG_PTR)P >> 4;
    V ^= V >> 17;
    V *= (ULONG_PTR)0x9E3779B97F4A7C15ULL;
    return (SIZE_T)(V ^ (V >> 31));
}

static BOOLEAN ExpSetInsertLocked(PVOID P);

static BOOLEAN ExpSetGrowLocked(VOID)
{
    PVOID *Old = ExpSlots;
    SIZE_T OldCount = ExpSlotCount;
    SIZE_T NewCount = OldCount ? OldCount * 2 : 1024;
    /* If most used slots are tombstones, rebuild at the same size. */
    if (OldCount != 0 && ExpLiveCount * 4 < OldCount)
        NewCount = OldCount;
    ExpSlots = (PVOID *)calloc(NewCount, sizeof(PVOID));
    if (ExpSlots == NULL) {
        ExpSlots = Old;
        return FALSE;
    }
    ExpSlotCount = NewCount;
    ExpSlotsUsed = 0;
    ExpLiveCount = 0;
    for (SIZE_T i = 0; i < OldCount; i++) {
        if (Old[i] != EXP_SLOT_EMPTY && Old[i] != EXP_SLOT_DELETED)
            (void)ExpSetInsertLocked(Old[i]);
    }
    free(Old);
    return TRUE;
}

static BOOLEAN ExpSetInsertLocked(PVOID P)
{
    SIZE_T Mask;
    SIZE_T i;
    if ((ExpSlotsUsed + 1) * 2 > ExpSlotCount && !ExpSetGrowLocked())
        return FALSE;
    Mask = ExpSlotCount - 1;
    for (i = ExpHash(P) & Mask;; i = (i + 1) & Mask) {
        if (ExpSlots[i] == EXP_SLOT_EMPTY || ExpSlots[i] == EXP_SLOT_DELETED) {
            if (ExpSlots[i] == EXP_SLOT_EMPTY)
                ExpSlotsUsed++;
            ExpSlots[i] = P;
            ExpLiveCount++;
            return TRUE;
        }
    }
}

static SIZE_T ExpSetFindLocked(PVOID P)
{
    SIZE_T Mask;
    if (ExpSlotCount == 0)
        return (SIZE_T)-1;
    Mask = ExpSlotCount - 1;
    for (SIZE_T i = ExpHash(P) & Mask;; i = (i + 1) & Mask) {
        if (ExpSlots[i] == EXP_SLOT_EMPTY)
            return (SIZE_T)-1;
        if (ExpSlots[i] == P)
            return i;
    }
}

static PEXP_POOL_HEADER ExpHeader(PVOID P)
{
    return (PEXP_POOL_HEADER)((PCHAR)P - EXP_HEADER_SIZE);
}

/* Paged pool types are the odd ones (PagedPool, PagedPoolCacheAligned, PagedPoolSession). */
static BOOLEAN ExpIsPagedType(POOL_TYPE PoolType)
{
    return (PoolType & 1) != 0;
}

static VOID ExpCheckAllocation(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, PVOID Caller)
{
    KIRQL Irql = KiGetCurrentThread()->Irql;
    /* The verifier's pool rules can be switched on their own (verifier);
       asked only when a rule is broken. */
    if (Tag == 0)
        VfBugCheck(BAD_POOL_CALLER, 0x9B, (ULONG_PTR)PoolType, NumberOfBytes, (ULONG_PTR)Caller, NULL, NULL, NULL);
    if (ExpIsPagedType(PoolType) && Irql > APC_LEVEL) {
        if (VfRuleEnabled(IRPSIM_VERIFIER_POOL))
            VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x01, Irql, (ULONG_PTR)PoolType, NumberOfBytes, NULL,
                       NULL, NULL);
        VfBugCheck(BAD_POOL_CALLER, 0x08, Irql, (ULONG_PTR)PoolType, NumberOfBytes, NULL, NULL, NULL);
    }
    if (!ExpIsPagedType(PoolType) && Irql > DISPATCH_LEVEL) {
        if (VfRuleEnabled(IRPSIM_VERIFIER_POOL))
            VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x02, Irql, (ULONG_PTR)PoolType, NumberOfBytes, NULL,
                       NULL, NULL);
        VfBugCheck(BAD_POOL_CALLER, 0x08, Irql, (ULONG_PTR)PoolType, NumberOfBytes, NULL, NULL, NULL);
    }
    if (NumberOfBytes == 0 && VfRuleEnabled(IRPSIM_VERIFIER_POOL))
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x00, Irql, (ULONG_PTR)PoolType, 0, NULL, NULL, NULL);
}

PVOID ExpAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, BOOLEAN Zero, PVOID Caller)
{
    POOL_TYPE BaseType = (POOL_TYPE)(PoolType & ~(POOL_QUOTA_FAIL_INSTEAD_OF_RAISE | POOL_RAISE_IF_ALLOCATION_FAILURE |
                                                 POOL_COLD_ALLOCATION | POOL_ZERO_ALLOCATION));
    BOOLEAN Raise = (PoolType & POOL_RAISE_IF_ALLOCATION_FAILURE) != 0;
    /* Requests of a page or more are page-aligned, as on Windows. */
    SIZE_T Prefix = NumberOfBytes >= PAGE_SIZE ? PAGE_SIZE : EXP_HEADER_SIZE;
    PCHAR Base = NULL;
    PEXP_POOL_HEADER Header;
    PVOID Block;

    ExpCheckAllocation(BaseType, NumberOfBytes, Tag, Caller);
    /* Low-resources simulation: fail as a real shortage would. */
    if (VfInjectFailure(VfAllocatePool, Tag, NumberOfBytes, "ExAllocatePool*")) {
        if (Raise)
            ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
        return NULL;
    }
    if (NumberOfBytes <= (SIZE_T)-1 / 2 - PAGE_SIZE) {
        Base = (PCHAR)PalAlignedAlloc(Prefix + NumberOfBytes + EXP_GUARD_BYTES,
                                      Prefix == PAGE_SIZE ? PAGE_SIZE : EXP_ALIGNMENT);
    }
    if (Base == NULL) {
        if (Raise)
            ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
        return NULL;
    }
    Block = Base + Prefix;
    Header = ExpHeader(Block);
    Header->Magic = EXP_POOL_MAGIC;
    Header->Tag = Tag;
    Header->Size = NumberOfBytes;
    Header->PoolType = BaseType;
    Header->Driver = KiCurrentDriver();
    Header->Caller = Caller;
    Header->Base = Base;
    /* Contents are not initialised by ExAllocatePoolWithTag: fill them with
       a pattern so code that reads before writing behaves badly here too. */
    memset(Block, Zero || (PoolType & POOL_ZERO_ALLOCATION) ? 0 : 0xCD, NumberOfBytes);
    ExpWriteGuard(Block, NumberOfBytes);

    KiAcquireQuickLock(&ExpPoolLock);
    if (!ExpSetInsertLocked(Block)) {
        KiReleaseQuickLock(&ExpPoolLock);
        PalAlignedFree(Base);
        if (Raise)
            ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
        return NULL;
    }
    Header->Sequence = ++ExpSequence;
    InsertTailList(&ExpLiveBlocks, &Header->ListEntry);
    KiReleaseQuickLock(&ExpPoolLock);
    return Block;
}

/* The first byte of the guard after a block that was overwritten, or NULL
   (compared a word at a time: every free checks it). */
static PUCHAR ExpDamagedGuard(PUCHAR Guard)
{
    ULONG64 Words[EXP_GUARD_BYTES / sizeof(ULONG64)];
    memcpy(Words, Guard, sizeof(Words));
    for (ULONG w = 0; w < RTL_NUMBER_OF(Words); w++) {
        if (Words[w] == EXP_GUARD_FILL * 0x0101010101010101ULL)
            continue;
        for (ULONG i = 0; i < sizeof(ULONG64); i++) {
            if (Guard[w * sizeof(ULONG64) + i] != EXP_GUARD_FILL)
                return Guard + w * sizeof(ULONG64) + i;
        }
    }
    return NULL;
}

VOID ExpWriteGuard(PVOID Block, SIZE_T Size)
{
    memset((PCHAR)Block + Size, EXP_GUARD_FILL, EXP_GUARD_BYTES);
}

/* 0xC4/0x51: the guard after a block was overwritten (found at its free). */
DECLSPEC_NORETURN static VOID ExpReportDamagedGuard(PVOID Block, PUCHAR Damaged, SIZE_T Size)
{
    VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x51, (ULONG_PTR)Block, (ULONG_PTR)Damaged, Size, NULL, NULL, NULL);
}

VOID ExpCheckGuard(PVOID Block, SIZE_T Size)
{
    PUCHAR Damaged = ExpDamagedGuard((PUCHAR)Block + Size);
    if (Damaged != NULL)
        ExpReportDamagedGuard(Block, Damaged, Size);
}

VOID ExpFillFreed(PVOID Block, SIZE_T Size)
{
    memset(Block, EXP_FREED_FILL, Size);
}

static BOOLEAN ExpInQuarantineLocked(PVOID P)
{
    for (ULONG i = 0; i < EXP_QUARANTINE; i++) {
        if (ExpQuarantine[i] != NULL && (PCHAR)ExpQuarantine[i] + EXP_HEADER_SIZE == (PCHAR)P)
            return TRUE;
    }
    return FALSE;
}

/* The first active object (lookaside list, ...) inside [Start, Start+Size). */
static PVOID ExpActiveObjectInRangeLocked(PVOID Start, SIZE_T Size, EXP_ACTIVE_KIND *Kind)
{
    for (ULONG i = 0; i < PAL_ATOMIC_LOAD(&ExpActiveCount, PAL_ORDER_RELAXED); i++) {
        PCHAR Object = (PCHAR)ExpActive[i].Object;
        if (Object >= (PCHAR)Start && Object < (PCHAR)Start + Size) {
            *Kind = ExpActive[i].Kind;
            return Object;
        }
    }
    return NULL;
}

/* 0xC4/0xCC: freed memory that still holds an active lookaside list. */
DECLSPEC_NORETURN static VOID ExpReportActiveObjectFreed(PVOID Active, PVOID Block, SIZE_T Size)
{
    VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xCC, (ULONG_PTR)Active, (ULONG_PTR)Block, Size, NULL,
               "Pool was freed while it still contained an active lookaside list.",
               "Call ExDelete(N)PagedLookasideList / ExDeleteLookasideListEx before freeing the memory that "
               "holds the list header.");
}

VOID ExpCheckFreedRange(PVOID Block, SIZE_T Size)
{
    EXP_ACTIVE_KIND Kind;
    PVOID Active = NULL;
    if (VfActiveAny())
        VfCheckFreedRange(Block, Size);
    if (PAL_ATOMIC_LOAD(&ExpActiveCount, PAL_ORDER_RELAXED) == 0)
        return;
    KiAcquireQuickLock(&ExpPoolLock);
    Active = ExpActiveObjectInRangeLocked(Block, Size, &Kind);
    KiReleaseQuickLock(&ExpPoolLock);
    if (Active != NULL)
        ExpReportActiveObjectFreed(Active, Block, Size);
}

VOID ExpFreePool(PVOID P, ULONG Tag, BOOLEAN CheckTag, PVOID Caller)
{
    PEXP_POOL_HEADER Header;
    PEXP_POOL_HEADER Evicted;
    SIZE_T Slot;
    KIRQL Irql = KiGetCurrentThread()->Irql;
    PUCHAR Damaged;
    PVOID Active;
    EXP_ACTIVE_KIND ActiveKind;

    (void)Caller;
    if (P == NULL)
        VfBugCheck(BAD_POOL_CALLER, 0x46, 0, 0, 0, NULL,
                   "ExFreePool was called with NULL. Windows does not accept a NULL pool address (unlike free()).",
                   "Check the pointer before freeing it.");

    KiAcquireQuickLock(&ExpPoolLock);
    Slot = ExpSetFindLocked(P);
    if (Slot == (SIZE_T)-1) {
        BOOLEAN Twice = ExpInQuarantineLocked(P);
        KiReleaseQuickLock(&ExpPoolLock);
        if (Twice)
            VfBugCheck(BAD_POOL_CALLER, 0x07, 0, (ULONG_PTR)EXP_FREED_MAGIC, (ULONG_PTR)P, NULL, NULL, NULL);
        VfBugCheck(BAD_POOL_CALLER, 0x46, (ULONG_PTR)P, 0, 0, NULL, NULL, NULL);
    }
    Header = ExpHeader(P);
    if (CheckTag && Header->Tag != Tag) {
        ULONG AllocationTag = Header->Tag;
        KiReleaseQuickLock(&ExpPoolLock);
        VfBugCheck(BAD_POOL_CALLER, 0x0A, (ULONG_PTR)P, AllocationTag, Tag, NULL, NULL, NULL);
    }
    if ((ExpIsPagedType(Header->PoolType) && Irql > APC_LEVEL) ||
        (!ExpIsPagedType(Header->PoolType) && Irql > DISPATCH_LEVEL)) {
        POOL_TYPE Type = Header->PoolType;
        KiReleaseQuickLock(&ExpPoolLock);
        if (VfRuleEnabled(IRPSIM_VERIFIER_POOL))
            VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExpIsPagedType(Type) ? 0x11 : 0x12, Irql,
                       (ULONG_PTR)Type, (ULONG_PTR)P, NULL, NULL, NULL);
        VfBugCheck(BAD_POOL_CALLER, 0x09, Irql, (ULONG_PTR)Type, (ULONG_PTR)P, NULL, NULL, NULL);
    }
    Damaged = ExpDamagedGuard((PUCHAR)P + Header->Size);
    if (Damaged != NULL) {
        SIZE_T Size = Header->Size;
        KiReleaseQuickLock(&ExpPoolLock);
        ExpReportDamagedGuard(P, Damaged, Size);
    }
    if (VfActiveAny()) {
        /* An armed timer or queued DPC inside the block (0xC7). The check
           may bug check, so it runs without the pool lock; then the block
           is looked up again. */
        SIZE_T Size = Header->Size;
        KiReleaseQuickLock(&ExpPoolLock);
        VfCheckFreedRange(P, Size);
        KiAcquireQuickLock(&ExpPoolLock);
        Slot = ExpSetFindLocked(P);
        if (Slot == (SIZE_T)-1) {
            /* Another thread freed it meanwhile: a double free. */
            KiReleaseQuickLock(&ExpPoolLock);
            VfBugCheck(BAD_POOL_CALLER, 0x07, 0, (ULONG_PTR)EXP_FREED_MAGIC, (ULONG_PTR)P, NULL, NULL, NULL);
        }
    }
    Active = ExpActiveObjectInRangeLocked(P, Header->Size, &ActiveKind);
    if (Active != NULL) {
        SIZE_T Size = Header->Size;
        KiReleaseQuickLock(&ExpPoolLock);
        ExpReportActiveObjectFreed(Active, P, Size);
    }

    ExpSlots[Slot] = EXP_SLOT_DELETED;
    ExpLiveCount--;
    RemoveEntryList(&Header->ListEntry);
    Header->Magic = EXP_FREED_MAGIC;
    ExpFillFreed(P, Header->Size);
    Evicted = ExpQuarantine[ExpQuarantineNext];
    ExpQuarantine[ExpQuarantineNext] = Header;
    ExpQuarantineNext = (ExpQuarantineNext + 1) % EXP_QUARANTINE;
    KiReleaseQuickLock(&ExpPoolLock);
    if (Evicted != NULL)
        PalAlignedFree(Evicted->Base);
}

BOOLEAN ExpIsPoolBlock(PVOID P, PSIZE_T Size, PULONG Tag)
{
    BOOLEAN Found;
    KiAcquireQuickLock(&ExpPoolLock);
    Found = ExpSetFindLocked(P) != (SIZE_T)-1;
    if (Found) {
        if (Size != NULL)
            *Size = ExpHeader(P)->Size;
        if (Tag != NULL)
            *Tag = ExpHeader(P)->Tag;
    }
    KiReleaseQuickLock(&ExpPoolLock);
    return Found;
}

VOID ExpRegisterActiveObject(PVOID Object, EXP_ACTIVE_KIND Kind)
{
    KiAcquireQuickLock(&ExpPoolLock);
    if (ExpActiveCount == ExpActiveCapacity) {
        ULONG NewCapacity = ExpActiveCapacity ? ExpActiveCapacity * 2 : 16;
        EXP_ACTIVE_OBJECT *Grown = (EXP_ACTIVE_OBJECT *)realloc(ExpActive, NewCapacity * sizeof(*Grown));
        if (Grown == NULL) {
            KiReleaseQuickLock(&ExpPoolLock);
            return; /* the check is best effort; the object still works */
        }
        ExpActive = Grown;
        ExpActiveCapacity = NewCapacity;
    }
    ExpActive[ExpActiveCount].Object = Object;
    ExpActive[ExpActiveCount].Kind = Kind;
    PAL_ATOMIC_STORE(&ExpActiveCount, ExpActiveCount + 1, PAL_ORDER_RELAXED);
    KiReleaseQuickLock(&ExpPoolLock);
}

VOID ExpUnregisterActiveObject(PVOID Object)
{
    KiAcquireQuickLock(&ExpPoolLock);
    for (ULONG i = 0; i < ExpActiveCount; i++) {
        if (ExpActive[i].Object == Object) {
            ExpActive[i] = ExpActive[ExpActiveCount - 1];
            PAL_ATOMIC_STORE(&ExpActiveCount, ExpActiveCount - 1, PAL_ORDER_RELAXED);
            break;
        }
    }
    KiReleaseQuickLock(&ExpPoolLock);
}

BOOLEAN ExpIsActiveObject(PVOID Object, EXP_ACTIVE_KIND Kind)
{
    BOOLEAN Found = FALSE;
    KiAcquireQuickLock(&ExpPoolLock);
    for (ULONG i = 0; i < ExpActiveCount; i++) {
        if (ExpActive[i].Object == Object && ExpActive[i].Kind == Kind) {
            Found = TRUE;
            break;
        }
    }
    KiReleaseQuickLock(&ExpPoolLock);
    return Found;
}

/* ---- the public spellings ---- */

#define EXP_CALLER() PAL_RETURN_ADDRESS()

PVOID NTAPI ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return ExpAllocatePool(PoolType, NumberOfBytes, Tag, FALSE, EXP_CALLER());
}

PVOID NTAPI ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes)
{
    return ExpAllocatePool(PoolType, NumberOfBytes, 'enoN', FALSE, EXP_CALLER());
}

/* irpsim has no per-process quota: the quota spellings allocate normally,
   and (like Windows without POOL_QUOTA_FAIL_INSTEAD_OF_RAISE) raise on
   failure. */
static PVOID ExpAllocateQuota(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, BOOLEAN Zero, PVOID Caller)
{
    if ((PoolType & POOL_QUOTA_FAIL_INSTEAD_OF_RAISE) == 0)
        PoolType = (POOL_TYPE)(PoolType | POOL_RAISE_IF_ALLOCATION_FAILURE);
    return ExpAllocatePool((POOL_TYPE)(PoolType & ~POOL_QUOTA_FAIL_INSTEAD_OF_RAISE), NumberOfBytes, Tag, Zero,
                           Caller);
}

PVOID NTAPI ExAllocatePoolWithQuota(POOL_TYPE PoolType, SIZE_T NumberOfBytes)
{
    return ExpAllocateQuota(PoolType, NumberOfBytes, 'enoN', FALSE, EXP_CALLER());
}

PVOID NTAPI ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return ExpAllocateQuota(PoolType, NumberOfBytes, Tag, FALSE, EXP_CALLER());
}

PVOID NTAPI ExAllocatePoolWithTagPriority(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                          EX_POOL_PRIORITY Priority)
{
    UNREFERENCED_PARAMETER(Priority);
    return ExpAllocatePool(PoolType, NumberOfBytes, Tag, FALSE, EXP_CALLER());
}

PVOID NTAPI ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return ExpAllocatePool(PoolType, NumberOfBytes, Tag, TRUE, EXP_CALLER());
}

PVOID NTAPI ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return ExpAllocatePool(PoolType, NumberOfBytes, Tag, FALSE, EXP_CALLER());
}

PVOID NTAPI ExAllocatePoolQuotaZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return ExpAllocateQuota(PoolType, NumberOfBytes, Tag, TRUE, EXP_CALLER());
}

PVOID NTAPI ExAllocatePoolQuotaUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return ExpAllocateQuota(PoolType, NumberOfBytes, Tag, FALSE, EXP_CALLER());
}

PVOID NTAPI ExAllocatePoolPriorityZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                       EX_POOL_PRIORITY Priority)
{
    UNREFERENCED_PARAMETER(Priority);
    return ExpAllocatePool(PoolType, NumberOfBytes, Tag, TRUE, EXP_CALLER());
}

static PVOID ExpAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag, PVOID Caller)
{
    POOL_FLAGS Kind = Flags & (POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED);
    POOL_TYPE Type;
    const POOL_FLAGS Known = POOL_FLAG_USE_QUOTA | POOL_FLAG_UNINITIALIZED | POOL_FLAG_SESSION |
                             POOL_FLAG_CACHE_ALIGNED | POOL_FLAG_RAISE_ON_FAILURE | POOL_FLAG_NON_PAGED |
                             POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED | POOL_FLAG_SPECIAL_POOL;
    /* Exactly one pool kind; no unknown required flags; tag 0 fails. */
    if (Tag == 0 || (Kind != POOL_FLAG_NON_PAGED && Kind != POOL_FLAG_NON_PAGED_EXECUTE && Kind != POOL_FLAG_PAGED) ||
        (Flags & ~Known & 0xFFFFFFFFULL) != 0) {
        if (Flags & POOL_FLAG_RAISE_ON_FAILURE)
            ExRaiseStatus(STATUS_INVALID_PARAMETER);
        return NULL;
    }
    Type = Kind == POOL_FLAG_PAGED ? PagedPool : NonPagedPoolNx;
    if (Flags & POOL_FLAG_RAISE_ON_FAILURE)
        Type = (POOL_TYPE)(Type | POOL_RAISE_IF_ALLOCATION_FAILURE);
    return ExpAllocatePool(Type, NumberOfBytes, Tag, (Flags & POOL_FLAG_UNINITIALIZED) == 0, Caller);
}

PVOID NTAPI ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag)
{
    return ExpAllocatePool2(Flags, NumberOfBytes, Tag, EXP_CALLER());
}

PVOID NTAPI ExAllocatePool3(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag, PVOID ExtendedParameters,
                            ULONG ExtendedParametersCount)
{
    if (ExtendedParametersCount != 0 || ExtendedParameters != NULL)
        VfNotSimulated("ExAllocatePool3",
                       "ExAllocatePool3 with extended parameters (priority, secure pool) is not simulated; with "
                       "none it behaves as ExAllocatePool2.");
    return ExpAllocatePool2(Flags, NumberOfBytes, Tag, EXP_CALLER());
}

VOID NTAPI ExFreePool(PVOID P)
{
    ExpFreePool(P, 0, FALSE, EXP_CALLER());
}

VOID NTAPI ExFreePoolWithTag(PVOID P, ULONG Tag)
{
    ExpFreePool(P, Tag, TRUE, EXP_CALLER());
}

VOID NTAPI ExFreePool2(PVOID P, ULONG Tag, PVOID ExtendedParameters, ULONG ExtendedParametersCount)
{
    if (ExtendedParametersCount != 0 || ExtendedParameters != NULL)
        VfNotSimulated("ExFreePool2", "ExFreePool2 with extended parameters is not simulated.");
    ExpFreePool(P, Tag, TRUE, EXP_CALLER());
}

/* The only runtime flag drivers pass (DrvRtPoolNxOptIn) makes NonPagedPool
   mean non-executable pool; irpsim's pool is never executable, so there is
   nothing left to switch. */
VOID NTAPI ExInitializeDriverRuntime(ULONG RuntimeFlags)
{
    UNREFERENCED_PARAMETER(RuntimeFlags);
}

/* ---- accounting and leak reports ---- */

VOID ExpQueryPoolUsage(PDRIVER_OBJECT Driver, PULONG Blocks, PSIZE_T Bytes)
{
    ULONG Count = 0;
    SIZE_T Total = 0;
    KiAcquireQuickLock(&ExpPoolLock);
    for (PLIST_ENTRY Entry = ExpLiveBlocks.Flink; Entry != &ExpLiveBlocks; Entry = Entry->Flink) {
        PEXP_POOL_HEADER Header = CONTAINING_RECORD(Entry, EXP_POOL_HEADER, ListEntry);
        if (Driver == NULL || Header->Driver == Driver) {
            Count++;
            Total += Header->Size;
        }
    }
    KiReleaseQuickLock(&ExpPoolLock);
    *Blocks = Count;
    *Bytes = Total;
}

VOID IrpSimQueryPoolTag(ULONG Tag, IRPSIM_POOL_TAG_USAGE *Usage)
{
    Usage->Tag = Tag;
    Usage->Allocations = 0;
    Usage->Bytes = 0;
    KiAcquireQuickLock(&ExpPoolLock);
    for (PLIST_ENTRY Entry = ExpLiveBlocks.Flink; Entry != &ExpLiveBlocks; Entry = Entry->Flink) {
        PEXP_POOL_HEADER Header = CONTAINING_RECORD(Entry, EXP_POOL_HEADER, ListEntry);
        if (Header->Tag == Tag) {
            Usage->Allocations++;
            Usage->Bytes += Header->Size;
        }
    }
    KiReleaseQuickLock(&ExpPoolLock);
}

ULONG ExpSummarizePoolTags(PDRIVER_OBJECT Driver, IRPSIM_POOL_TAG_USAGE *Tags, ULONG Max)
{
    ULONG Count = 0;
    KiAcquireQuickLock(&ExpPoolLock);
    for (PLIST_ENTRY Entry = ExpLiveBlocks.Flink; Entry != &ExpLiveBlocks; Entry = Entry->Flink) {
        PEXP_POOL_HEADER Header = CONTAINING_RECORD(Entry, EXP_POOL_HEADER, ListEntry);
        ULONG i;
        if (Driver != NULL && Header->Driver != Driver)
            continue;
        for (i = 0; i < Count && i < Max && Tags[i].Tag != Header->Tag; i++)
            ;
        if (i == Count) {
            Count++;
            if (i >= Max)
                continue; /* counted, not kept */
            Tags[i].Tag = Header->Tag;
            Tags[i].Allocations = 0;
            Tags[i].Bytes = 0;
        }
        if (i < Max) {
            Tags[i].Allocations++;
            Tags[i].Bytes += Header->Size;
        }
    }
    KiReleaseQuickLock(&ExpPoolLock);
    return Count;
}

ULONG ExpReportPoolLeaks(PDRIVER_OBJECT Driver, FILE *Stream)
{
    ULONG Count = 0;
    KiAcquireQuickLock(&ExpPoolLock);
    for (PLIST_ENTRY Entry = ExpLiveBlocks.Flink; Entry != &ExpLiveBlocks; Entry = Entry->Flink) {
        PEXP_POOL_HEADER Header = CONTAINING_RECORD(Entry, EXP_POOL_HEADER, ListEntry);
        CHAR Tag[5];
        if (Driver != NULL && Header->Driver != Driver)
            continue;
        Count++;
        if (Stream == NULL)
            continue;
        RtlpFormatPoolTag(Header->Tag, Tag);
        fprintf(Stream, "  pool leak: %zu bytes, tag '%s' (0x%08x), %s pool, block %p, allocation #%u from %p%s%ls\n",
                (size_t)Header->Size, Tag, Header->Tag, ExpIsPagedType(Header->PoolType) ? "paged" : "nonpaged",
                (void *)((PCHAR)Header + EXP_HEADER_SIZE), Header->Sequence, Header->Caller,
                Header->Driver != NULL ? " by " : "",
                Header->Driver != NULL && Header->Driver->DriverName.Buffer != NULL ? Header->Driver->DriverName.Buffer
                                                                                    : L"");
    }
    KiReleaseQuickLock(&ExpPoolLock);
    return Count;
}

NTSTATUS ExpInitializePool(VOID)
{
    KiAcquireQuickLock(&ExpPoolLock);
    ExpSequence = 0;
    KiReleaseQuickLock(&ExpPoolLock);
    return STATUS_SUCCESS;
}

VOID ExpShutdownPool(VOID)
{
    /* The leak report has been written: release everything. */
    KiAcquireQuickLock(&ExpPoolLock);
    while (!IsListEmpty(&ExpLiveBlocks)) {
        PEXP_POOL_HEADER Header = CONTAINING_RECORD(RemoveHeadList(&ExpLiveBlocks), EXP_POOL_HEADER, ListEntry);
        PalAlignedFree(Header->Base);
    }
    for (ULONG i = 0; i < EXP_QUARANTINE; i++) {
        if (ExpQuarantine[i] != NULL)
            PalAlignedFree(ExpQuarantine[i]->Base);
        ExpQuarantine[i] = NULL;
    }
    ExpQuarantineNext = 0;
    free(ExpSlots);
    ExpSlots = NULL;
    ExpSlotCount = ExpSlotsUsed = ExpLiveCount = 0;
    free(ExpActive);
    ExpActive = NULL;
    PAL_ATOMIC_STORE(&ExpActiveCount, 0, PAL_ORDER_RELAXED);
    ExpActiveCapacity = 0;
    KiReleaseQuickLock(&ExpPoolLock);
}
