/*
 * irpsim — memory manager internals (Mi*): MDL bookkeeping and the checks
 * on the addresses MDLs describe.
 *
 * One address space: a locked buffer's "system address" is the buffer
 * itself and a page frame number is the page's virtual address shifted
 * right by PAGE_SHIFT (fake, but stable and distinct per page). What is
 * simulated is the MDL's state machine (allocated -> locked -> mapped ->
 * unmapped -> unlocked -> freed) and every check Windows and its Driver
 * Verifier make on the way.
 */
#ifndef IRPSIM_MI_H
#define IRPSIM_MI_H

#include <wdm.h>
#include <stdio.h>

#include "../platform/pal_compiler.h"

/* Pool tag of MDLs ("Mdl " in a pool dump, as on Windows). */
#define MI_MDL_POOL_TAG 0x206C644DU

/* IoAllocateMdl's limit on Windows 7 and later: 4 GB - PAGE_SIZE. */
#define MI_MAXIMUM_MDL_LENGTH 0xFFFFF000U
/* Up to this many pages IoAllocateMdl hands out fixed-size MDLs
   (MDL_ALLOCATED_FIXED_SIZE), as Windows does from its lookaside list. */
#define MI_FIXED_MDL_PAGES 23

/* Addresses below this are never valid (the NULL region). */
#define MI_NULL_REGION_END 0x10000U
/* MmUserProbeAddress on x64 Windows: UserMode may not touch anything above. */
#define MI_USER_PROBE_ADDRESS ((ULONG_PTR)0x7FFFFFFF0000ULL)

/* Bug check codes (Microsoft's values) bugcodes.h may not have yet. */
#ifndef TARGET_MDL_TOO_SMALL
#define TARGET_MDL_TOO_SMALL 0x00000040
#endif
#ifndef SYSTEM_PTE_MISUSE
#define SYSTEM_PTE_MISUSE 0x000000DA
#endif
#ifndef INVALID_MDL_RANGE
#define INVALID_MDL_RANGE 0x0000012E
#endif

/* DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4) subcodes raised by Mm. */
#define MI_VF_PROBE_IRQL              0x70 /* P2 IRQL, P3 MDL, P4 access mode */
#define MI_VF_MAP_LOCKED_IRQL         0x74 /* MmMapLockedPages, kernel, > DISPATCH */
#define MI_VF_MAP_LOCKED_USER_IRQL    0x75 /* MmMapLockedPages, user, > APC */
#define MI_VF_MAP_CACHE_IRQL          0x76 /* MmMapLockedPagesSpecifyCache, kernel, > DISPATCH */
#define MI_VF_MAP_CACHE_USER_IRQL     0x77 /* MmMapLockedPagesSpecifyCache, user, > APC */
#define MI_VF_UNLOCK_IRQL             0x78 /* P2 IRQL, P3 MDL */
#define MI_VF_UNMAP_IRQL              0x79 /* P2 IRQL, P3 address, P4 MDL */
#define MI_VF_UNMAP_USER_IRQL         0x7A /* P2 IRQL, P3 address, P4 MDL */
#define MI_VF_UNLOCK_NOT_LOCKED       0x7C /* P2 MDL, P3 flags */
#define MI_VF_UNLOCK_NONPAGED         0x7D /* P2 MDL, P3 flags */
#define MI_VF_MAP_LOCKED_PAGES        0x81 /* P2 MDL, P3 flags */
#define MI_VF_MAP_BUGCHECK_ON_FAILURE 0x82 /* P2 MDL, P3 flags */
#define MI_VF_MAP_UNLOCKED            0x85 /* P2 MDL, P3 pages, P4 first PFN not locked */
#define MI_VF_PROBE_BAD_FLAGS         0xB0 /* P2 MDL, P3 flags, P4 the wrong flags */
#define MI_VF_MAP_BAD_FLAGS           0xB2 /* P2 MDL, P3 flags, P4 the wrong flags */
#define MI_VF_UNLOCK_PARTIAL          0xB4 /* P2 MDL, P3 flags, P4 MDL_PARTIAL */
#define MI_VF_FREE_MAPPED             0xB8 /* P2 MDL, P3 flags */

/* ---- addresses (probe.c) ---- */

/* STATUS_SUCCESS if [Address, Address + Length) may be read (Write: and
   written) from AccessMode; otherwise STATUS_ACCESS_VIOLATION with
   *FirstBad the first address that may not. */
NTSTATUS MiCheckRange(PVOID Address, SIZE_T Length, KPROCESSOR_MODE AccessMode, BOOLEAN Write, PULONG_PTR FirstBad);
/* Forgets the ranges tests declared invalid. */
VOID MiClearInvalidRanges(VOID);

/* ---- MDL helpers (mdl.c) ---- */

/* Fills the PFN array of Mdl for the pages it describes. */
VOID MiFillPfnArray(PMDL Mdl);
/* Number of pages Mdl describes. */
ULONG MiMdlPageCount(PMDL Mdl);
/* TRUE if the verifier's optional checks are on (IRPSIM_CONFIG.Verifier). */
BOOLEAN MiVerifierEnabled(VOID);

/* ---- the registry of MDLs (mdltrack.c) ----
   Tracks MDLs IoAllocateMdl made (until IoFreeMdl) and MDLs whose pages are
   locked (until MmUnlockPages), each charged to the driver current at the
   time, for leak reports. */
VOID MiTrackAllocation(PMDL Mdl, PVOID Caller);
/* IoFreeMdl: TRUE if IoAllocateMdl made Mdl. If its pages are still
   locked, the lock is kept on record as a leak. */
BOOLEAN MiTrackFree(PMDL Mdl, PVOID Caller);
VOID MiTrackLock(PMDL Mdl, PVOID Caller);
VOID MiTrackUnlock(PMDL Mdl);
/* Adds Delta to Mdl's count of user-mode mappings; returns the new count. */
LONG MiTrackUserMappings(PMDL Mdl, LONG Delta);
/* Forgets everything (after the shutdown leak report). */
VOID MiShutdownSystem(VOID);

#endif /* IRPSIM_MI_H */
