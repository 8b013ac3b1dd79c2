/*
 * irpsim — MDLs: allocation and freeing (IoAllocateMdl, IoFreeMdl,
 * MmCreateMdl, MmSizeOfMdl), partial MDLs (IoBuildPartialMdl) and MDLs for
 * nonpaged pool (MmBuildMdlForNonPagedPool).
 *
 * MDLs come from nonpaged pool tagged "Mdl ", charged to the calling
 * driver, so a leaked MDL shows in the pool report under that tag as well
 * as in the MDL report (mdltrack.c).
 */
#include "mi.h"
#include "../ex/exp.h"
#include "../sim/simp.h"
#include "../verifier/vf.h"

BOOLEAN MiVerifierEnabled(VOID)
{
    return IrpSimpConfig.Verifier;
}

ULONG MiMdlPageCount(PMDL Mdl)
{
    return ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), Mdl->ByteCount);
}

VOID MiFillPfnArray(PMDL Mdl)
{
    PPFN_NUMBER Pfn = MmGetMdlPfnArray(Mdl);
    PFN_NUMBER First = (PFN_NUMBER)((ULONG_PTR)Mdl->StartVa >> PAGE_SHIFT);
    ULONG Pages = MiMdlPageCount(Mdl);
    for (ULONG i = 0; i < Pages; i++)
        Pfn[i] = First + i;
}

SIZE_T NTAPI MmSizeOfMdl(PVOID Base, SIZE_T Length)
{
    return sizeof(MDL) + (SIZE_T)ADDRESS_AND_SIZE_TO_SPAN_PAGES(Base, Length) * sizeof(PFN_NUMBER);
}

/*
 * Length 0 is accepted and describes no bytes (Windows hands out such an
 * MDL too; the documentation does not say otherwise). Above 4 GB - 4 KB
 * (the Windows 7+ limit) the result is NULL.
 */
PMDL NTAPI IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer, BOOLEAN ChargeQuota, PIRP Irp)
{
    PVOID Caller = PAL_RETURN_ADDRESS();
    ULONG Pages;
    SIZE_T Size;
    PMDL Mdl;

    (void)ChargeQuota; /* reserved for the system; drivers pass FALSE */
    VfCheckIrql("IoAllocateMdl", DISPATCH_LEVEL);
    if (Length > MI_MAXIMUM_MDL_LENGTH)
        return NULL;
    Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(VirtualAddress, Length);
    Size = sizeof(MDL) + (SIZE_T)(Pages > MI_FIXED_MDL_PAGES ? Pages : MI_FIXED_MDL_PAGES) * sizeof(PFN_NUMBER);
    /* Low-resources simulation: one decision for the MDL, none for its pool block. */
    if (VfInjectFailure(VfAllocateMdl, MI_MDL_POOL_TAG, Size, "IoAllocateMdl"))
        return NULL;
    VfSuppressInjection();
    Mdl = (PMDL)ExpAllocatePool(NonPagedPool, Size, MI_MDL_POOL_TAG, TRUE, Caller);
    VfResumeInjection();
    if (Mdl == NULL)
        return NULL;
    MmInitializeMdl(Mdl, VirtualAddress, Length);
    if (Pages <= MI_FIXED_MDL_PAGES)
        Mdl->MdlFlags |= MDL_ALLOCATED_FIXED_SIZE;

    if (Irp != NULL) {
        if (!SecondaryBuffer || Irp->MdlAddress == NULL) {
            /* A secondary buffer with no primary one becomes the first MDL
               (the documentation leaves this case open). */
            Irp->MdlAddress = Mdl;
        } else {
            PMDL Last = Irp->MdlAddress;
            while (Last->Next != NULL)
                Last = Last->Next;
            Last->Next = Mdl;
        }
    }
    MiTrackAllocation(Mdl, Caller);
    return Mdl;
}

VOID NTAPI IoFreeMdl(PMDL Mdl)
{
    PVOID Caller = PAL_RETURN_ADDRESS();
    CSHORT Flags = Mdl->MdlFlags;
    BOOLEAN Allocated;

    if ((Flags & MDL_MAPPED_TO_SYSTEM_VA) && !(Flags & MDL_PARENT_MAPPED_SYSTEM_VA)) {
        if (Flags & MDL_PARTIAL) {
            /* Documented: IoFreeMdl releases a partial MDL's own mapping. */
            Mdl->MdlFlags &= ~(MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED);
        } else {
            VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MI_VF_FREE_MAPPED, (ULONG_PTR)Mdl, (USHORT)Flags, 0, NULL,
                       "IoFreeMdl was called on an MDL whose pages are still mapped into system space "
                       "(MmMapLockedPagesSpecifyCache without MmUnmapLockedPages).",
                       "Call MmUnmapLockedPages (or MmUnlockPages, which also unmaps) before IoFreeMdl.");
        }
    }
    if (MiTrackUserMappings(Mdl, 0) > 0)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MI_VF_FREE_MAPPED, (ULONG_PTR)Mdl, (USHORT)Flags, 0, NULL,
                   "IoFreeMdl was called on an MDL whose pages are still mapped into a user address space.",
                   "Call MmUnmapLockedPages for the user mapping, in the process it was made in, before IoFreeMdl.");

    /* Freeing with the pages still locked is recorded as a leak: the pages
       stay locked for ever (Windows reports it when the process ends). */
    Allocated = MiTrackFree(Mdl, Caller);
    ExpFreePool(Mdl, MI_MDL_POOL_TAG, Allocated, Caller);
}

/* Obsolete. With MemoryDescriptorList NULL the MDL comes from nonpaged
   pool and the caller frees it with ExFreePool. */
PMDL NTAPI MmCreateMdl(PMDL MemoryDescriptorList, PVOID Base, SIZE_T Length)
{
    PMDL Mdl = MemoryDescriptorList;
    if (Length > MI_MAXIMUM_MDL_LENGTH)
        return NULL;
    if (Mdl == NULL) {
        Mdl = (PMDL)ExpAllocatePool(NonPagedPool, MmSizeOfMdl(Base, Length), MI_MDL_POOL_TAG, TRUE,
                                    PAL_RETURN_ADDRESS());
        if (Mdl == NULL)
            return NULL;
    }
    MmInitializeMdl(Mdl, Base, Length);
    return Mdl;
}

/*
 * IoBuildPartialMdl: TargetMdl describes [VirtualAddress, +Length) of the
 * buffer SourceMdl describes (Length 0: to its end), with the source's
 * page numbers. A mapped source's mapping is shared (the target is marked
 * MDL_MAPPED_TO_SYSTEM_VA | MDL_PARENT_MAPPED_SYSTEM_VA); otherwise the
 * target gets its own mapping from MmGetSystemAddressForMdlSafe, which
 * MmPrepareMdlForReuse or IoFreeMdl release.
 */
VOID NTAPI IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress, ULONG Length)
{
    ULONG_PTR SourceStart = (ULONG_PTR)MmGetMdlVirtualAddress(SourceMdl);
    ULONG_PTR SourceEnd = SourceStart + SourceMdl->ByteCount;
    ULONG_PTR Start = (ULONG_PTR)VirtualAddress;
    ULONG_PTR Offset;
    ULONG Pages;
    SIZE_T Needed;
    CSHORT Kept;

    if (Length == 0 && Start >= SourceStart && Start <= SourceEnd)
        Length = (ULONG)(SourceEnd - Start);
    if (Start < SourceStart || Start > SourceEnd || Length > SourceEnd - Start)
        VfBugCheck(INVALID_MDL_RANGE, (ULONG_PTR)SourceMdl, (ULONG_PTR)TargetMdl, Start, Length, NULL,
                   "IoBuildPartialMdl was asked for a range that is not inside the buffer the source MDL "
                   "describes.",
                   "VirtualAddress must lie in [MmGetMdlVirtualAddress(Source), + MmGetMdlByteCount(Source)) "
                   "and VirtualAddress + Length must not pass its end. Compute the address from the source "
                   "MDL's virtual address (not from MappedSystemVa).");

    Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(VirtualAddress, Length);
    Needed = sizeof(MDL) + (SIZE_T)Pages * sizeof(PFN_NUMBER);
    /* Size is a CSHORT: only MDLs small enough for it to be exact are checked. */
    if (TargetMdl->Size > 0 && Needed <= 0x7FFF && (SIZE_T)TargetMdl->Size < Needed)
        VfBugCheck(TARGET_MDL_TOO_SMALL, 0, 0, 0, 0, NULL,
                   "IoBuildPartialMdl was given a target MDL too small for the pages of the requested range.",
                   "Allocate the target with IoAllocateMdl for (at least) the range it will describe, or size it "
                   "with MmSizeOfMdl(VirtualAddress, Length).");

    Offset = Start - SourceStart;
    Kept = TargetMdl->MdlFlags & (MDL_ALLOCATED_FIXED_SIZE | MDL_ALLOCATED_MUST_SUCCEED);
    TargetMdl->MdlFlags = (CSHORT)(Kept | MDL_PARTIAL |
                                   (SourceMdl->MdlFlags & (MDL_IO_PAGE_READ | MDL_SOURCE_IS_NONPAGED_POOL |
                                                           MDL_IO_SPACE | MDL_WRITE_OPERATION)));
    TargetMdl->Process = SourceMdl->Process;
    TargetMdl->StartVa = PAGE_ALIGN(VirtualAddress);
    TargetMdl->ByteOffset = BYTE_OFFSET(VirtualAddress);
    TargetMdl->ByteCount = Length;
    if (SourceMdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) {
        TargetMdl->MappedSystemVa = (PCHAR)SourceMdl->MappedSystemVa + Offset;
        if (SourceMdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA)
            TargetMdl->MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA | MDL_PARENT_MAPPED_SYSTEM_VA;
    } else {
        TargetMdl->MappedSystemVa = NULL;
    }
    memcpy(MmGetMdlPfnArray(TargetMdl),
           MmGetMdlPfnArray(SourceMdl) +
               (((ULONG_PTR)TargetMdl->StartVa - (ULONG_PTR)SourceMdl->StartVa) >> PAGE_SHIFT),
           (SIZE_T)Pages * sizeof(PFN_NUMBER));
}

/*
 * The buffer must be nonpaged. irpsim cannot tell paged from nonpaged
 * memory here, so 0xC4/0x7F (paged memory) is not detected.
 */
VOID NTAPI MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList)
{
    PMDL Mdl = MemoryDescriptorList;
    MiFillPfnArray(Mdl);
    Mdl->Process = NULL;
    Mdl->MappedSystemVa = MmGetMdlVirtualAddress(Mdl);
    Mdl->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
}
