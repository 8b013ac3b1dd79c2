/*
 * irpsim — executive internals (Exp*): pool.
 */
#ifndef IRPSIM_EXP_H
#define IRPSIM_EXP_H

#include <irpsim/irpsim.h>

#include "../platform/pal_compiler.h"

/* The pool block header that precedes every allocation. */
typedef struct _EXP_POOL_HEADER {
    ULONG Magic;
    ULONG Tag;
    SIZE_T Size; /* bytes the caller asked for */
    POOL_TYPE PoolType;
    ULONG Sequence; /* allocation number, for reports */
    PDRIVER_OBJECT Driver; /* charged to this driver (NULL = irpsim or the test) */
    PVOID Caller;          /* return address of the allocation call */
    PVOID Base;            /* what the host allocator returned */
    LIST_ENTRY ListEntry;  /* live blocks */
} EXP_POOL_HEADER, *PEXP_POOL_HEADER;

/* Allocates pool on behalf of Caller (the driver's return address). The
   single path every ExAllocatePool* spelling takes. */
PVOID ExpAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, BOOLEAN Zero, PVOID Caller);
/* Frees pool; CheckTag FALSE for ExFreePool. */
VOID ExpFreePool(PVOID P, ULONG Tag, BOOLEAN CheckTag, PVOID Caller);
/* Outstanding pool of Driver (NULL = all) per tag, for the verifier's
   unload report: fills up to Max entries, returns the number of tags
   (Max + 1 when there are more). */
ULONG ExpSummarizePoolTags(PDRIVER_OBJECT Driver, IRPSIM_POOL_TAG_USAGE *Tags, ULONG Max);
/* Pool's checks on the memory it hands out, for an allocator of irpsim's
   own that keeps them (the I/O manager's IRPs with the verifier on,
   src/io/irp.c): a guard of EXP_GUARD_BYTES after a block, checked when
   the block is freed (bug check 0xC4/0x51 as ExFreePool reports it); the
   checks ExFreePool makes on the memory it frees (an armed timer or queued
   DPC inside, 0xC7; an active lookaside list, 0xC4/0xCC); the fill of
   freed memory. */
#define EXP_GUARD_BYTES 16
VOID ExpWriteGuard(PVOID Block, SIZE_T Size);
VOID ExpCheckGuard(PVOID Block, SIZE_T Size);
VOID ExpCheckFreedRange(PVOID Block, SIZE_T Size);
/* FALSE when ExpCheckFreedRange has nothing to look for: no active object
   is registered and (Verifier FALSE) timers and DPCs, which the verifier
   tracks, are not. Inline: every IoFreeIrp asks. */
extern ULONG ExpActiveCount; /* active objects registered (under the pool's lock) */
FORCEINLINE BOOLEAN ExpFreedRangeHasChecks(BOOLEAN Verifier)
{
    return Verifier || PAL_ATOMIC_LOAD(&ExpActiveCount, PAL_ORDER_RELAXED) != 0;
}
VOID ExpFillFreed(PVOID Block, SIZE_T Size);
/* TRUE if P is the start of a live pool block. */
BOOLEAN ExpIsPoolBlock(PVOID P, PSIZE_T Size, PULONG Tag);

/* Objects that must not live in pool being freed (lookaside lists now;
   timers, DPCs and resources can use the same registry). */
typedef enum _EXP_ACTIVE_KIND { ExpActiveLookaside = 1 } EXP_ACTIVE_KIND;
VOID ExpRegisterActiveObject(PVOID Object, EXP_ACTIVE_KIND Kind);
VOID ExpUnregisterActiveObject(PVOID Object);
BOOLEAN ExpIsActiveObject(PVOID Object, EXP_ACTIVE_KIND Kind);

#endif /* IRPSIM_EXP_H */
