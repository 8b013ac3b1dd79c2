/*
 * irpsim — which addresses may be touched: the check behind
 * MmProbeAndLockPages, MmIsAddressValid and MmIsNonPagedSystemAddressValid.
 *
 * An address range is invalid if any byte of it
 *   - lies in the NULL region (below 64 KB, never mapped on Windows),
 *   - wraps around the end of the address space,
 *   - lies above MmUserProbeAddress while probing for UserMode (x64 hosts
 *     only: there user space ends below it, as on Windows; other hosts map
 *     user memory up there),
 *   - lies in a range a test declared invalid (IrpSimDeclareInvalidRange),
 *   - is not mapped in the host process, or not writable when the probe is
 *     for writing (asked of the host without touching the memory, see
 *     platform/pal_memory_posix.c).
 * Pool memory cannot be told from a user buffer here: a UserMode probe of
 * a kernel pool buffer succeeds, where Windows would raise.
 */
#include "mi.h"
#include "../platform/pal.h"
#include "../platform/pal_memory.h"

#include <irpsim/memory.h>

#define MI_MAXIMUM_INVALID_RANGES 64

typedef struct _MI_INVALID_RANGE {
    ULONG_PTR Start;
    ULONG_PTR End; /* exclusive */
} MI_INVALID_RANGE;

static PAL_MUTEX MiRangeLock = PAL_MUTEX_INITIALIZER;
static MI_INVALID_RANGE MiInvalidRanges[MI_MAXIMUM_INVALID_RANGES];
static ULONG MiInvalidRangeCount;

NTSTATUS IrpSimDeclareInvalidRange(PVOID Address, SIZE_T Length)
{
    ULONG_PTR Start = (ULONG_PTR)Address;
    NTSTATUS Status = STATUS_SUCCESS;
    if (Length == 0 || Start + Length < Start)
        return STATUS_INVALID_PARAMETER;
    PalMutexLock(&MiRangeLock);
    if (MiInvalidRangeCount == MI_MAXIMUM_INVALID_RANGES) {
        Status = STATUS_INSUFFICIENT_RESOURCES;
    } else {
        MiInvalidRanges[MiInvalidRangeCount].Start = Start;
        MiInvalidRanges[MiInvalidRangeCount].End = Start + Length;
        PAL_ATOMIC_STORE(&MiInvalidRangeCount, MiInvalidRangeCount + 1, PAL_ORDER_RELEASE);
    }
    PalMutexUnlock(&MiRangeLock);
    return Status;
}

NTSTATUS IrpSimRemoveInvalidRange(PVOID Address)
{
    NTSTATUS Status = STATUS_NOT_FOUND;
    PalMutexLock(&MiRangeLock);
    for (ULONG i = 0; i < MiInvalidRangeCount; i++) {
        if (MiInvalidRanges[i].Start == (ULONG_PTR)Address) {
            MiInvalidRanges[i] = MiInvalidRanges[MiInvalidRangeCount - 1];
            PAL_ATOMIC_STORE(&MiInvalidRangeCount, MiInvalidRangeCount - 1, PAL_ORDER_RELEASE);
            Status = STATUS_SUCCESS;
            break;
        }
    }
    PalMutexUnlock(&MiRangeLock);
    return Status;
}

VOID MiClearInvalidRanges(VOID)
{
    PalMutexLock(&MiRangeLock);
    PAL_ATOMIC_STORE(&MiInvalidRangeCount, 0, PAL_ORDER_RELEASE);
    PalMutexUnlock(&MiRangeLock);
}

/* The first address of [Start, End) inside a declared range, or 0. */
static ULONG_PTR MipFirstDeclaredInvalid(ULONG_PTR Start, ULONG_PTR End)
{
    ULONG_PTR First = 0;
    /* Every probe asks: no lock while no range is declared (the usual case). */
    if (PAL_ATOMIC_LOAD(&MiInvalidRangeCount, PAL_ORDER_ACQUIRE) == 0)
        return 0;
    PalMutexLock(&MiRangeLock);
    for (ULONG i = 0; i < MiInvalidRangeCount; i++) {
        const MI_INVALID_RANGE *Range = &MiInvalidRanges[i];
        if (Range->Start < End && Start < Range->End) {
            ULONG_PTR Here = Range->Start > Start ? Range->Start : Start;
            if (First == 0 || Here < First)
                First = Here;
        }
    }
    PalMutexUnlock(&MiRangeLock);
    return First;
}

NTSTATUS MiCheckRange(PVOID Address, SIZE_T Length, KPROCESSOR_MODE AccessMode, BOOLEAN Write, PULONG_PTR FirstBad)
{
    ULONG_PTR Start = (ULONG_PTR)Address;
    ULONG_PTR End = Start + Length;
    ULONG_PTR Bad;

    if (Length == 0)
        return STATUS_SUCCESS;
    if (End < Start || Start < MI_NULL_REGION_END) {
        *FirstBad = Start;
        return STATUS_ACCESS_VIOLATION;
    }
#if defined(__x86_64__) || defined(_M_X64)
    if (AccessMode == UserMode && End > MI_USER_PROBE_ADDRESS) {
        *FirstBad = Start > MI_USER_PROBE_ADDRESS ? Start : MI_USER_PROBE_ADDRESS;
        return STATUS_ACCESS_VIOLATION;
    }
#else
    (void)AccessMode;
#endif
    Bad = MipFirstDeclaredInvalid(Start, End);
    if (Bad != 0) {
        *FirstBad = Bad;
        return STATUS_ACCESS_VIOLATION;
    }
    if (!PalQueryMemoryAccess(Start, Length, Write, FirstBad))
        return STATUS_ACCESS_VIOLATION;
    return STATUS_SUCCESS;
}

BOOLEAN NTAPI MmIsAddressValid(PVOID VirtualAddress)
{
    ULONG_PTR Bad;
    return NT_SUCCESS(MiCheckRange(VirtualAddress, 1, KernelMode, FALSE, &Bad));
}

/* Obsolete; in one address space it asks the same question. */
BOOLEAN NTAPI MmIsNonPagedSystemAddressValid(PVOID VirtualAddress)
{
    return MmIsAddressValid(VirtualAddress);
}
