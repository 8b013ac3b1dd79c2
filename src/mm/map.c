/*
 * irpsim — mapping an MDL's locked pages: MmGetSystemAddressForMdlSafe,
 * MmMapLockedPagesSpecifyCache, MmMapLockedPages, MmUnmapLockedPages.
 *
 * One address space: the mapping is the buffer's own address, in system
 * space and in "user space" alike. The flags and checks are Windows'.
 * A user-mode mapping is counted per MDL; MmUnmapLockedPages with the
 * buffer's address undoes a user mapping first if there is one (unless
 * called above APC_LEVEL, where only a system mapping may be undone),
 * since the two cannot be told apart by address.
 */
#include "mi.h"
#include "../verifier/vf.h"

/* FALSE if some page of Mdl is not locked; *Unlocked is its page number.
   A partial MDL is locked through its source, whose page numbers it
   copied (0 until the source was locked). */
static BOOLEAN MipPagesLocked(PMDL Mdl, PPFN_NUMBER Unlocked)
{
    PPFN_NUMBER Pfn = MmGetMdlPfnArray(Mdl);
    ULONG Pages = MiMdlPageCount(Mdl);
    if (Mdl->MdlFlags & (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL))
        return TRUE;
    if (Mdl->MdlFlags & MDL_PARTIAL) {
        for (ULONG i = 0; i < Pages; i++) {
            if (Pfn[i] == 0) {
                *Unlocked = 0;
                return FALSE;
            }
        }
        return TRUE;
    }
    *Unlocked = Pages != 0 ? Pfn[0] : 0;
    return FALSE;
}

static VOID MipCheckLocked(PMDL Mdl)
{
    PFN_NUMBER Unlocked = 0;
    if (!MipPagesLocked(Mdl, &Unlocked))
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MI_VF_MAP_UNLOCKED, (ULONG_PTR)Mdl, MiMdlPageCount(Mdl),
                   Unlocked, NULL,
                   "The pages of an MDL were mapped although they are not locked (no MmProbeAndLockPages, or "
                   "already MmUnlockPages'd; for a partial MDL, its source MDL's pages are not locked).",
                   "Lock the pages with MmProbeAndLockPages (or build the MDL with MmBuildMdlForNonPagedPool) "
                   "before MmGetSystemAddressForMdlSafe / MmMapLockedPagesSpecifyCache.");
}

static PVOID MipMapToSystem(PMDL Mdl)
{
    PVOID Va = MmGetMdlVirtualAddress(Mdl);
    Mdl->MappedSystemVa = Va;
    Mdl->MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA;
    if (Mdl->MdlFlags & MDL_PARTIAL)
        Mdl->MdlFlags |= MDL_PARTIAL_HAS_BEEN_MAPPED;
    return Va;
}

static PVOID MipMap(PMDL Mdl, KPROCESSOR_MODE AccessMode, PVOID RequestedAddress, ULONG IrqlCodeKernel,
                    ULONG IrqlCodeUser)
{
    KIRQL Irql = KeGetCurrentIrql();
    PVOID Va = MmGetMdlVirtualAddress(Mdl);

    if (AccessMode != UserMode) {
        if (Irql > DISPATCH_LEVEL)
            VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, IrqlCodeKernel, Irql, (ULONG_PTR)Mdl, (ULONG_PTR)AccessMode,
                       NULL, "Locked pages were mapped into system space above DISPATCH_LEVEL.",
                       "Map at DISPATCH_LEVEL or below.");
        if (Mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL)
            return Mdl->MappedSystemVa;
        if (Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA)
            VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MI_VF_MAP_BAD_FLAGS, (ULONG_PTR)Mdl, (USHORT)Mdl->MdlFlags,
                       MDL_MAPPED_TO_SYSTEM_VA, NULL,
                       "MmMapLockedPages(SpecifyCache) was called for an MDL already mapped into system space.",
                       "Use MmGetSystemAddressForMdlSafe, which returns the existing mapping, or unmap first.");
        MipCheckLocked(Mdl);
        return MipMapToSystem(Mdl);
    }

    if (Irql > APC_LEVEL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, IrqlCodeUser, Irql, (ULONG_PTR)Mdl, (ULONG_PTR)AccessMode, NULL,
                   "Locked pages were mapped into user space above APC_LEVEL.",
                   "Map into user space at PASSIVE_LEVEL, in the context of the process that will use the mapping.");
    MipCheckLocked(Mdl);
    if (RequestedAddress != NULL && RequestedAddress != Va)
        VfNotSimulated("MmMapLockedPagesSpecifyCache with a RequestedAddress",
                       "irpsim has one address space: a user mapping is the buffer's own address and cannot be "
                       "placed at a requested one.");
    (void)MiTrackUserMappings(Mdl, 1);
    return Va;
}

PVOID NTAPI MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority)
{
    (void)Priority; /* mapping never fails here (no low-resources simulation for mappings) */
    if (Mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))
        return Mdl->MappedSystemVa;
    return MipMap(Mdl, KernelMode, NULL, MI_VF_MAP_CACHE_IRQL, MI_VF_MAP_CACHE_USER_IRQL);
}

PVOID NTAPI MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                         MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress, ULONG BugCheckOnFailure,
                                         ULONG Priority)
{
    PMDL Mdl = MemoryDescriptorList;
    (void)CacheType; /* one kind of memory */
    (void)Priority;
    if (AccessMode != UserMode && BugCheckOnFailure && MiVerifierEnabled())
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MI_VF_MAP_BUGCHECK_ON_FAILURE, (ULONG_PTR)Mdl,
                   (USHORT)Mdl->MdlFlags, 0, NULL,
                   "MmMapLockedPagesSpecifyCache was called with BugCheckOnFailure TRUE: when system address space "
                   "runs short the machine stops instead of the call failing.",
                   "Pass BugCheckOnFailure FALSE and handle a NULL result (STATUS_INSUFFICIENT_RESOURCES).");
    return MipMap(Mdl, AccessMode, RequestedAddress, MI_VF_MAP_CACHE_IRQL, MI_VF_MAP_CACHE_USER_IRQL);
}

PVOID NTAPI MmMapLockedPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode)
{
    PMDL Mdl = MemoryDescriptorList;
    if (AccessMode != UserMode && !(Mdl->MdlFlags & MDL_MAPPING_CAN_FAIL) && MiVerifierEnabled())
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MI_VF_MAP_LOCKED_PAGES, (ULONG_PTR)Mdl, (USHORT)Mdl->MdlFlags, 0,
                   NULL,
                   "MmMapLockedPages was called for a kernel-mode mapping: when system address space runs short "
                   "it stops the machine instead of failing.",
                   "Use MmGetSystemAddressForMdlSafe, or MmMapLockedPagesSpecifyCache with BugCheckOnFailure "
                   "FALSE, and handle a NULL result.");
    return MipMap(Mdl, AccessMode, NULL, MI_VF_MAP_LOCKED_IRQL, MI_VF_MAP_LOCKED_USER_IRQL);
}

VOID NTAPI MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList)
{
    PMDL Mdl = MemoryDescriptorList;
    KIRQL Irql = KeGetCurrentIrql();
    BOOLEAN SystemMapped = (Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) && !(Mdl->MdlFlags & MDL_PARENT_MAPPED_SYSTEM_VA);

    if (MiTrackUserMappings(Mdl, 0) > 0 && (Irql <= APC_LEVEL || !SystemMapped) &&
        BaseAddress == MmGetMdlVirtualAddress(Mdl)) {
        if (Irql > APC_LEVEL)
            VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MI_VF_UNMAP_USER_IRQL, Irql, (ULONG_PTR)BaseAddress,
                       (ULONG_PTR)Mdl, NULL, "A user-space mapping of locked pages was undone above APC_LEVEL.",
                       "Unmap user mappings at PASSIVE_LEVEL, in the process they were made in.");
        (void)MiTrackUserMappings(Mdl, -1);
        return;
    }

    if (Irql > DISPATCH_LEVEL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MI_VF_UNMAP_IRQL, Irql, (ULONG_PTR)BaseAddress, (ULONG_PTR)Mdl,
                   NULL, "A system-space mapping of locked pages was undone above DISPATCH_LEVEL.",
                   "Unmap at DISPATCH_LEVEL or below.");
    if (!SystemMapped)
        VfBugCheck(SYSTEM_PTE_MISUSE, 0x06, (ULONG_PTR)Mdl, (ULONG_PTR)BaseAddress, MiMdlPageCount(Mdl), NULL,
                   (Mdl->MdlFlags & MDL_PARENT_MAPPED_SYSTEM_VA)
                       ? "MmUnmapLockedPages was called on a partial MDL that shares its source MDL's mapping; the "
                         "mapping is the source's."
                       : "MmUnmapLockedPages was called on an MDL that is not mapped (never mapped, or already "
                         "unmapped, possibly by MmUnlockPages).",
                   "Unmap only what MmMapLockedPagesSpecifyCache mapped, once. A mapping made by "
                   "MmGetSystemAddressForMdlSafe goes away with MmUnlockPages (or MmPrepareMdlForReuse / IoFreeMdl "
                   "for a partial MDL).");
    if (BaseAddress != Mdl->MappedSystemVa)
        VfBugCheck(SYSTEM_PTE_MISUSE, 0x03, 0, (ULONG_PTR)Mdl->MappedSystemVa, (ULONG_PTR)BaseAddress, NULL,
                   "MmUnmapLockedPages was given an address that is not the MDL's mapping.",
                   "Pass the address MmMapLockedPagesSpecifyCache returned for this MDL.");
    Mdl->MdlFlags &= ~(MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED);
}
