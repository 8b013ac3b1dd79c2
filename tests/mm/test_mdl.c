/*
 * MDLs (SEMANTICS.md 9.12, the WDK pages of each routine, and Driver
 * Verifier's 0xC4 codes in 10.5): the fields and flags each routine sets,
 * chaining to an IRP, partial MDLs, MDLs for nonpaged pool, mappings, and
 * every misuse Windows reports with a bug check.
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#ifdef _WIN32
#include <malloc.h> /* _aligned_malloc (portability) */
#endif
#include <cmocka.h>
#include <irpsim/cmocka.h>

#ifndef TARGET_MDL_TOO_SMALL
#define TARGET_MDL_TOO_SMALL 0x40
#endif
#ifndef SYSTEM_PTE_MISUSE
#define SYSTEM_PTE_MISUSE 0xDA
#endif
#ifndef INVALID_MDL_RANGE
#define INVALID_MDL_RANGE 0x12E
#endif

#define MDL_TAG 0x206C644DU /* "Mdl " */

/* A buffer that starts 0x123 bytes into a page and spans three pages. */
static PUCHAR Page;
static PUCHAR Buffer;
#define BUFFER_OFFSET 0x123
#define BUFFER_LENGTH (2 * PAGE_SIZE)

static int Setup(void **State)
{
    (void)State;
#ifdef _WIN32 /* portability: the Microsoft C runtimes have no aligned_alloc */
    Page = (PUCHAR)_aligned_malloc(4 * PAGE_SIZE, PAGE_SIZE);
#else
    Page = (PUCHAR)aligned_alloc(PAGE_SIZE, 4 * PAGE_SIZE);
#endif
    if (Page == NULL)
        return -1;
    memset(Page, 0x5A, 4 * PAGE_SIZE);
    Buffer = Page + BUFFER_OFFSET;
    return NT_SUCCESS(IrpSimInitialize(NULL)) ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
#ifdef _WIN32
    _aligned_free(Page);
#else
    free(Page);
#endif
    return 0;
}

static ULONG MdlPoolBlocks(void)
{
    IRPSIM_POOL_TAG_USAGE Usage;
    IrpSimQueryPoolTag(MDL_TAG, &Usage);
    return Usage.Allocations;
}

static PMDL LockedMdl(PVOID Va, ULONG Length, LOCK_OPERATION Operation)
{
    PMDL Mdl = IoAllocateMdl(Va, Length, FALSE, FALSE, NULL);
    assert_non_null(Mdl);
    MmProbeAndLockPages(Mdl, KernelMode, Operation);
    return Mdl;
}

/* ---- allocation ---- */

/* IoAllocateMdl: StartVa = PAGE_ALIGN(va), ByteOffset = va & 0xFFF,
   ByteCount = Length, Size = sizeof(MDL) + pages * sizeof(PFN_NUMBER),
   Next NULL, no pages locked; the memory is pool tagged "Mdl ". */
static void test_allocate_fields(void **State)
{
    PMDL Mdl;
    (void)State;
    assert_int_equal(MdlPoolBlocks(), 0);
    Mdl = IoAllocateMdl(Buffer, BUFFER_LENGTH, FALSE, FALSE, NULL);
    assert_non_null(Mdl);
    assert_ptr_equal(Mdl->StartVa, Page);
    assert_int_equal(Mdl->ByteOffset, BUFFER_OFFSET);
    assert_int_equal(Mdl->ByteCount, BUFFER_LENGTH);
    assert_int_equal(Mdl->Size, sizeof(MDL) + 3 * sizeof(PFN_NUMBER));
    assert_null(Mdl->Next);
    assert_null(Mdl->Process);
    assert_null(Mdl->MappedSystemVa);
    assert_int_equal(Mdl->MdlFlags & (MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL), 0);
    /* A small MDL comes from Windows' fixed-size lookaside. */
    assert_int_equal(Mdl->MdlFlags & MDL_ALLOCATED_FIXED_SIZE, MDL_ALLOCATED_FIXED_SIZE);
    assert_ptr_equal(MmGetMdlVirtualAddress(Mdl), Buffer);
    assert_int_equal(MmGetMdlByteCount(Mdl), BUFFER_LENGTH);
    assert_int_equal(MmGetMdlByteOffset(Mdl), BUFFER_OFFSET);
    assert_int_equal(MdlPoolBlocks(), 1);
    IoFreeMdl(Mdl);
    assert_int_equal(MdlPoolBlocks(), 0);
}

/* Length 0 gives an MDL that describes nothing (Windows does not fail it);
   above 4 GB - PAGE_SIZE (the Windows 7+ limit) IoAllocateMdl fails. */
static void test_allocate_limits(void **State)
{
    PMDL Mdl;
    (void)State;
    Mdl = IoAllocateMdl(Buffer, 0, FALSE, FALSE, NULL);
    assert_non_null(Mdl);
    assert_int_equal(Mdl->ByteCount, 0);
    IoFreeMdl(Mdl);
    assert_null(IoAllocateMdl(Buffer, 0xFFFFFFFFU, FALSE, FALSE, NULL));
    assert_null(IoAllocateMdl(Buffer, 0xFFFFF001U, FALSE, FALSE, NULL));
    assert_int_equal(MdlPoolBlocks(), 0);
}

/* MmSizeOfMdl and MmCreateMdl (obsolete; freed with ExFreePool). */
static void test_size_and_create(void **State)
{
    PMDL Mdl;
    (void)State;
    assert_int_equal(MmSizeOfMdl(Page, PAGE_SIZE), sizeof(MDL) + sizeof(PFN_NUMBER));
    assert_int_equal(MmSizeOfMdl(Page + 1, PAGE_SIZE), sizeof(MDL) + 2 * sizeof(PFN_NUMBER));
    assert_int_equal(MmSizeOfMdl(Page, 0), sizeof(MDL));
    Mdl = MmCreateMdl(NULL, Buffer, BUFFER_LENGTH);
    assert_non_null(Mdl);
    assert_ptr_equal(Mdl->StartVa, Page);
    assert_int_equal(Mdl->ByteOffset, BUFFER_OFFSET);
    assert_int_equal(Mdl->ByteCount, BUFFER_LENGTH);
    assert_int_equal(Mdl->MdlFlags, 0);
    ExFreePool(Mdl);
}

/* With an IRP: SecondaryBuffer FALSE sets Irp->MdlAddress (replacing
   whatever was there), TRUE appends to the end of the chain. IoFreeMdl
   does not take an MDL off the chain. */
static void test_chaining_to_irp(void **State)
{
    PIRP Irp;
    PMDL First, Second, Third, Replacement;
    (void)State;
    Irp = IoAllocateIrp(1, FALSE);
    assert_non_null(Irp);
    First = IoAllocateMdl(Buffer, 16, FALSE, FALSE, Irp);
    assert_ptr_equal(Irp->MdlAddress, First);
    Second = IoAllocateMdl(Buffer + 16, 16, TRUE, FALSE, Irp);
    Third = IoAllocateMdl(Buffer + 32, 16, TRUE, FALSE, Irp);
    assert_ptr_equal(Irp->MdlAddress, First);
    assert_ptr_equal(First->Next, Second);
    assert_ptr_equal(Second->Next, Third);
    assert_null(Third->Next);
    IoFreeMdl(Third);
    assert_ptr_equal(Second->Next, Third); /* still chained: the caller unlinks */
    Second->Next = NULL;
    Replacement = IoAllocateMdl(Buffer, 8, FALSE, FALSE, Irp);
    assert_ptr_equal(Irp->MdlAddress, Replacement);
    IoFreeMdl(Replacement);
    IoFreeMdl(Second);
    IoFreeMdl(First);
    Irp->MdlAddress = NULL;
    IoFreeIrp(Irp);
}

/* ---- locking ---- */

/* MmProbeAndLockPages sets MDL_PAGES_LOCKED, MDL_WRITE_OPERATION for write
   and modify access, and fills the PFN array (stable numbers, one per
   page); MmUnlockPages clears MDL_PAGES_LOCKED. */
static void test_probe_and_lock(void **State)
{
    PMDL Read, Write, Modify, Again;
    PPFN_NUMBER Pfn;
    (void)State;
    Read = LockedMdl(Buffer, BUFFER_LENGTH, IoReadAccess);
    assert_int_equal(Read->MdlFlags & (MDL_PAGES_LOCKED | MDL_WRITE_OPERATION), MDL_PAGES_LOCKED);
    assert_null(Read->Process); /* KernelMode */
    Pfn = MmGetMdlPfnArray(Read);
    assert_true(Pfn[0] != 0);
    assert_int_equal(Pfn[1], Pfn[0] + 1);
    assert_int_equal(Pfn[2], Pfn[0] + 2);

    Write = LockedMdl(Buffer, BUFFER_LENGTH, IoWriteAccess);
    assert_int_equal(Write->MdlFlags & (MDL_PAGES_LOCKED | MDL_WRITE_OPERATION),
                     MDL_PAGES_LOCKED | MDL_WRITE_OPERATION);
    Modify = LockedMdl(Buffer + PAGE_SIZE, 10, IoModifyAccess);
    assert_int_equal(Modify->MdlFlags & MDL_WRITE_OPERATION, MDL_WRITE_OPERATION);
    /* The same page has the same number in every MDL. */
    assert_int_equal(MmGetMdlPfnArray(Modify)[0], Pfn[1]);

    Again = IoAllocateMdl(Buffer, BUFFER_LENGTH, FALSE, FALSE, NULL);
    MmProbeAndLockPages(Again, UserMode, IoReadAccess);
    assert_ptr_equal(Again->Process, PsGetCurrentProcess());
    assert_memory_equal(MmGetMdlPfnArray(Again), Pfn, 3 * sizeof(PFN_NUMBER));

    MmUnlockPages(Read);
    assert_int_equal(Read->MdlFlags & MDL_PAGES_LOCKED, 0);
    MmUnlockPages(Write);
    MmUnlockPages(Modify);
    MmUnlockPages(Again);
    IoFreeMdl(Read);
    IoFreeMdl(Write);
    IoFreeMdl(Modify);
    IoFreeMdl(Again);
}

/* An MDL the driver builds itself (MmInitializeMdl on its own memory) can
   be locked and unlocked the same way. */
static void test_driver_built_mdl(void **State)
{
    union {
        MDL Mdl;
        UCHAR Space[sizeof(MDL) + 4 * sizeof(PFN_NUMBER)];
    } Storage;
    PMDL Mdl = &Storage.Mdl;
    IRPSIM_LEAK_SUMMARY Summary;
    (void)State;
    MmInitializeMdl(Mdl, Buffer, 100);
    assert_int_equal(Mdl->Size, sizeof(MDL) + sizeof(PFN_NUMBER));
    MmProbeAndLockPages(Mdl, KernelMode, IoWriteAccess);
    assert_int_equal(Mdl->MdlFlags & MDL_PAGES_LOCKED, MDL_PAGES_LOCKED);
    /* Locked pages count as outstanding until unlocked. */
    IrpSimQueryOutstanding(NULL, &Summary);
    assert_int_equal(Summary.Mdls, 1);
    MmUnlockPages(Mdl);
    IrpSimQueryOutstanding(NULL, &Summary);
    assert_int_equal(Summary.Mdls, 0);
}

/* ---- nonpaged pool ---- */

/* MmBuildMdlForNonPagedPool: MDL_SOURCE_IS_NONPAGED_POOL, MappedSystemVa =
   StartVa + ByteOffset, PFNs filled; MmGetSystemAddressForMdlSafe returns
   MappedSystemVa without mapping anything. */
static void test_build_for_nonpaged_pool(void **State)
{
    PUCHAR Pool;
    PMDL Mdl;
    (void)State;
    Pool = (PUCHAR)ExAllocatePoolWithTag(NonPagedPool, 300, 'tseT');
    Mdl = IoAllocateMdl(Pool, 300, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(Mdl);
    assert_int_equal(Mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL, MDL_SOURCE_IS_NONPAGED_POOL);
    assert_int_equal(Mdl->MdlFlags & (MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA), 0);
    assert_ptr_equal(Mdl->MappedSystemVa, Pool);
    assert_int_equal(MmGetMdlPfnArray(Mdl)[0], (PFN_NUMBER)((ULONG_PTR)Pool >> PAGE_SHIFT));
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority), Pool);
    assert_int_equal(Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA, 0);
    IoFreeMdl(Mdl);
    ExFreePoolWithTag(Pool, 'tseT');
}

/* ---- mappings ---- */

/* MmGetSystemAddressForMdlSafe maps locked pages (one address space: the
   buffer itself), sets MDL_MAPPED_TO_SYSTEM_VA and MappedSystemVa, and
   returns the same mapping again; MmUnlockPages removes the mapping. */
static void test_system_address(void **State)
{
    PMDL Mdl;
    PVOID Va;
    (void)State;
    Mdl = LockedMdl(Buffer, BUFFER_LENGTH, IoWriteAccess);
    Va = MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority | MdlMappingNoExecute);
    assert_ptr_equal(Va, Buffer);
    assert_ptr_equal(Mdl->MappedSystemVa, Buffer);
    assert_int_equal(Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA, MDL_MAPPED_TO_SYSTEM_VA);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(Mdl, LowPagePriority), Va);
    assert_ptr_equal(MmGetSystemAddressForMdl(Mdl), Va);
    MmUnlockPages(Mdl);
    assert_int_equal(Mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED), 0);
    IoFreeMdl(Mdl);
}

/* MmMapLockedPagesSpecifyCache (kernel and user) and MmUnmapLockedPages. */
static void test_map_and_unmap(void **State)
{
    PMDL Mdl;
    PVOID Kernel, User;
    (void)State;
    Mdl = LockedMdl(Buffer, 64, IoReadAccess);
    Kernel = MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
    assert_ptr_equal(Kernel, Buffer);
    assert_int_equal(Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA, MDL_MAPPED_TO_SYSTEM_VA);
    MmUnmapLockedPages(Kernel, Mdl);
    assert_int_equal(Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA, 0);

    User = MmMapLockedPagesSpecifyCache(Mdl, UserMode, MmNonCached, NULL, FALSE, NormalPagePriority);
    assert_ptr_equal(User, Buffer);
    assert_int_equal(Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA, 0);
    MmUnmapLockedPages(User, Mdl);

    /* MmMapLockedPages is accepted by the verifier once the driver says the
       mapping may fail. */
    Mdl->MdlFlags |= MDL_MAPPING_CAN_FAIL;
    Kernel = MmMapLockedPages(Mdl, KernelMode);
    assert_ptr_equal(Kernel, Buffer);
    MmUnmapLockedPages(Kernel, Mdl);
    MmUnlockPages(Mdl);
    IoFreeMdl(Mdl);
}

/* ---- partial MDLs ---- */

/* IoBuildPartialMdl: MDL_PARTIAL, the subrange's StartVa / ByteOffset /
   ByteCount and the source's page numbers; a mapped source's mapping is
   shared (MDL_MAPPED_TO_SYSTEM_VA | MDL_PARENT_MAPPED_SYSTEM_VA, no
   mapping of its own); Length 0 means "to the end of the source". */
static void test_partial_of_mapped_source(void **State)
{
    PMDL Source, Partial;
    PUCHAR Sub = Buffer + PAGE_SIZE; /* page 1 of the source, offset 0x123 */
    (void)State;
    Source = LockedMdl(Buffer, BUFFER_LENGTH, IoReadAccess);
    (void)MmGetSystemAddressForMdlSafe(Source, NormalPagePriority);
    Partial = IoAllocateMdl(Buffer, BUFFER_LENGTH, FALSE, FALSE, NULL);
    IoBuildPartialMdl(Source, Partial, Sub, 100);
    assert_int_equal(Partial->MdlFlags & (MDL_PARTIAL | MDL_MAPPED_TO_SYSTEM_VA | MDL_PARENT_MAPPED_SYSTEM_VA),
                     MDL_PARTIAL | MDL_MAPPED_TO_SYSTEM_VA | MDL_PARENT_MAPPED_SYSTEM_VA);
    assert_ptr_equal(Partial->StartVa, Page + PAGE_SIZE);
    assert_int_equal(Partial->ByteOffset, BUFFER_OFFSET);
    assert_int_equal(Partial->ByteCount, 100);
    assert_ptr_equal(Partial->MappedSystemVa, Sub);
    assert_int_equal(MmGetMdlPfnArray(Partial)[0], MmGetMdlPfnArray(Source)[1]);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(Partial, NormalPagePriority), Sub);

    IoBuildPartialMdl(Source, Partial, Sub, 0);
    assert_int_equal(Partial->ByteCount, BUFFER_LENGTH - PAGE_SIZE);
    IoFreeMdl(Partial);
    MmUnlockPages(Source);
    IoFreeMdl(Source);
}

/* A partial MDL of an unmapped source gets its own mapping from
   MmGetSystemAddressForMdlSafe (MDL_PARTIAL_HAS_BEEN_MAPPED), which
   MmPrepareMdlForReuse and IoFreeMdl release. */
static void test_partial_own_mapping(void **State)
{
    PMDL Source, Partial;
    (void)State;
    Source = LockedMdl(Buffer, BUFFER_LENGTH, IoReadAccess);
    Partial = IoAllocateMdl(Buffer, BUFFER_LENGTH, FALSE, FALSE, NULL);
    IoBuildPartialMdl(Source, Partial, Buffer + 10, 20);
    assert_int_equal(Partial->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_PARENT_MAPPED_SYSTEM_VA), 0);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(Partial, NormalPagePriority), Buffer + 10);
    assert_int_equal(Partial->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED),
                     MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED);
    MmPrepareMdlForReuse(Partial);
    assert_int_equal(Partial->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED), 0);
    IoBuildPartialMdl(Source, Partial, Buffer + 30, 40);
    (void)MmGetSystemAddressForMdlSafe(Partial, NormalPagePriority);
    IoFreeMdl(Partial); /* releases the partial MDL's own mapping: no bug check */
    MmUnlockPages(Source);
    IoFreeMdl(Source);
}

/* ---- misuse: each bug check Windows (Driver Verifier) raises ---- */

/* 0xC4/0x70: MmProbeAndLockPages above DISPATCH_LEVEL (P2 IRQL, P3 MDL,
   P4 access mode). */
static void test_probe_above_dispatch(void **State)
{
    PMDL Mdl = IoAllocateMdl(Buffer, 10, FALSE, FALSE, NULL);
    KIRQL Old;
    (void)State;
    KeRaiseIrql(PROFILE_LEVEL, &Old);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MmProbeAndLockPages(Mdl, UserMode, IoReadAccess));
    irpsim_assert_bugcheck_parameter(0, 0x70);
    irpsim_assert_bugcheck_parameter(1, PROFILE_LEVEL);
    irpsim_assert_bugcheck_parameter(2, Mdl);
    irpsim_assert_bugcheck_parameter(3, UserMode);
    KeLowerIrql(Old);
    IoFreeMdl(Mdl);
}

/* 0xC4/0xB0: MmProbeAndLockPages on an MDL built for nonpaged pool, or one
   already locked (P2 MDL, P3 flags, P4 the wrong flags). */
static void test_probe_wrong_flags(void **State)
{
    PMDL Mdl = IoAllocateMdl(Buffer, 10, FALSE, FALSE, NULL);
    (void)State;
    MmBuildMdlForNonPagedPool(Mdl);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MmProbeAndLockPages(Mdl, KernelMode, IoReadAccess));
    irpsim_assert_bugcheck_parameter(0, 0xB0);
    irpsim_assert_bugcheck_parameter(1, Mdl);
    irpsim_assert_bugcheck_parameter(3, MDL_SOURCE_IS_NONPAGED_POOL);
    IoFreeMdl(Mdl);

    Mdl = LockedMdl(Buffer, 10, IoReadAccess);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MmProbeAndLockPages(Mdl, KernelMode, IoReadAccess));
    irpsim_assert_bugcheck_parameter(0, 0xB0);
    irpsim_assert_bugcheck_parameter(3, MDL_PAGES_LOCKED);
    MmUnlockPages(Mdl);
    IoFreeMdl(Mdl);
}

/* 0xC4/0x78: MmUnlockPages above DISPATCH_LEVEL. */
static void test_unlock_above_dispatch(void **State)
{
    PMDL Mdl = LockedMdl(Buffer, 10, IoReadAccess);
    KIRQL Old;
    (void)State;
    KeRaiseIrql(PROFILE_LEVEL, &Old);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MmUnlockPages(Mdl));
    irpsim_assert_bugcheck_parameter(0, 0x78);
    irpsim_assert_bugcheck_parameter(1, PROFILE_LEVEL);
    irpsim_assert_bugcheck_parameter(2, Mdl);
    KeLowerIrql(Old);
    MmUnlockPages(Mdl);
    IoFreeMdl(Mdl);
}

/* 0xC4/0x7C: MmUnlockPages on an MDL never locked (or unlocked twice). */
static void test_unlock_not_locked(void **State)
{
    PMDL Mdl = IoAllocateMdl(Buffer, 10, FALSE, FALSE, NULL);
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MmUnlockPages(Mdl));
    irpsim_assert_bugcheck_parameter(0, 0x7C);
    irpsim_assert_bugcheck_parameter(1, Mdl);
    irpsim_assert_bugcheck_parameter(2, (USHORT)Mdl->MdlFlags);
    MmProbeAndLockPages(Mdl, KernelMode, IoReadAccess);
    MmUnlockPages(Mdl);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MmUnlockPages(Mdl));
    irpsim_assert_bugcheck_parameter(0, 0x7C);
    IoFreeMdl(Mdl);
}

/* 0xC4/0x7D: MmUnlockPages on an MDL built for nonpaged pool. */
static void test_unlock_nonpaged(void **State)
{
    PMDL Mdl = IoAllocateMdl(Buffer, 10, FALSE, FALSE, NULL);
    (void)State;
    MmBuildMdlForNonPagedPool(Mdl);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MmUnlockPages(Mdl));
    irpsim_assert_bugcheck_parameter(0, 0x7D);
    irpsim_assert_bugcheck_parameter(1, Mdl);
    IoFreeMdl(Mdl);
}

/* 0xC4/0xB4: MmUnlockPages on a partial MDL (P4 the partial flag). */
static void test_unlock_partial(void **State)
{
    PMDL Source = LockedMdl(Buffer, 100, IoReadAccess);
    PMDL Partial = IoAllocateMdl(Buffer, 100, FALSE, FALSE, NULL);
    (void)State;
    IoBuildPartialMdl(Source, Partial, Buffer, 50);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MmUnlockPages(Partial));
    irpsim_assert_bugcheck_parameter(0, 0xB4);
    irpsim_assert_bugcheck_parameter(1, Partial);
    irpsim_assert_bugcheck_parameter(3, MDL_PARTIAL);
    IoFreeMdl(Partial);
    MmUnlockPages(Source);
    IoFreeMdl(Source);
}

/* 0xC4/0x85: mapping pages that are not locked (P2 MDL, P3 pages). */
static void test_map_unlocked(void **State)
{
    PMDL Mdl = IoAllocateMdl(Buffer, BUFFER_LENGTH, FALSE, FALSE, NULL);
    PMDL Partial = IoAllocateMdl(Buffer, 10, FALSE, FALSE, NULL);
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority));
    irpsim_assert_bugcheck_parameter(0, 0x85);
    irpsim_assert_bugcheck_parameter(1, Mdl);
    irpsim_assert_bugcheck_parameter(2, 3);
    assert_int_equal(Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA, 0);
    /* A partial MDL of an unlocked source. */
    IoBuildPartialMdl(Mdl, Partial, Buffer, 10);
    irpsim_assert_bugcheck(
        DRIVER_VERIFIER_DETECTED_VIOLATION,
        MmMapLockedPagesSpecifyCache(Partial, KernelMode, MmCached, NULL, FALSE, NormalPagePriority));
    irpsim_assert_bugcheck_parameter(0, 0x85);
    IoFreeMdl(Partial);
    IoFreeMdl(Mdl);
}

/* 0xC4/0xB8: IoFreeMdl while the pages are still mapped. */
static void test_free_while_mapped(void **State)
{
    PMDL Mdl = LockedMdl(Buffer, 10, IoReadAccess);
    PVOID Va;
    (void)State;
    Va = MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, IoFreeMdl(Mdl));
    irpsim_assert_bugcheck_parameter(0, 0xB8);
    irpsim_assert_bugcheck_parameter(1, Mdl);
    MmUnmapLockedPages(Va, Mdl);
    Va = MmMapLockedPagesSpecifyCache(Mdl, UserMode, MmCached, NULL, FALSE, NormalPagePriority);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, IoFreeMdl(Mdl));
    irpsim_assert_bugcheck_parameter(0, 0xB8);
    MmUnmapLockedPages(Va, Mdl);
    MmUnlockPages(Mdl);
    IoFreeMdl(Mdl);
}

/* 0xC4/0x81 (MmMapLockedPages for kernel mode without MDL_MAPPING_CAN_FAIL),
   0xC4/0x82 (BugCheckOnFailure TRUE), 0xC4/0xB2 (already mapped). */
static void test_map_verifier_rules(void **State)
{
    PMDL Mdl = LockedMdl(Buffer, 10, IoReadAccess);
    PVOID Va;
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MmMapLockedPages(Mdl, KernelMode));
    irpsim_assert_bugcheck_parameter(0, 0x81);
    irpsim_assert_bugcheck_parameter(1, Mdl);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION,
                           MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, TRUE, NormalPagePriority));
    irpsim_assert_bugcheck_parameter(0, 0x82);
    Va = MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION,
                           MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority));
    irpsim_assert_bugcheck_parameter(0, 0xB2);
    irpsim_assert_bugcheck_parameter(3, MDL_MAPPED_TO_SYSTEM_VA);
    MmUnmapLockedPages(Va, Mdl);
    MmUnlockPages(Mdl);
    IoFreeMdl(Mdl);
}

/* 0xC4/0x76, 0x77, 0x79, 0x7A: mapping and unmapping at too high an IRQL
   (kernel: above DISPATCH_LEVEL; user: above APC_LEVEL). */
static void test_map_irql_rules(void **State)
{
    PMDL Mdl = LockedMdl(Buffer, 10, IoReadAccess);
    PVOID volatile Va; /* set between catch frames (setjmp) */
    KIRQL Old;
    (void)State;
    /* A caught bug check returns to the IRQL the catch was armed at. */
    KeRaiseIrql(PROFILE_LEVEL, &Old);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority));
    irpsim_assert_bugcheck_parameter(0, 0x76);
    KeLowerIrql(Old);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION,
                           MmMapLockedPagesSpecifyCache(Mdl, UserMode, MmCached, NULL, FALSE, NormalPagePriority));
    irpsim_assert_bugcheck_parameter(0, 0x77);
    irpsim_assert_bugcheck_parameter(1, DISPATCH_LEVEL);
    KeLowerIrql(Old);

    Va = MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority);
    KeRaiseIrql(PROFILE_LEVEL, &Old);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MmUnmapLockedPages(Va, Mdl));
    irpsim_assert_bugcheck_parameter(0, 0x79);
    irpsim_assert_bugcheck_parameter(2, Va);
    irpsim_assert_bugcheck_parameter(3, Mdl);
    KeLowerIrql(Old);
    MmUnmapLockedPages(Va, Mdl);

    Va = MmMapLockedPagesSpecifyCache(Mdl, UserMode, MmCached, NULL, FALSE, NormalPagePriority);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MmUnmapLockedPages(Va, Mdl));
    irpsim_assert_bugcheck_parameter(0, 0x7A);
    KeLowerIrql(Old);
    MmUnmapLockedPages(Va, Mdl);
    MmUnlockPages(Mdl);
    IoFreeMdl(Mdl);
}

/* SYSTEM_PTE_MISUSE (0xDA) type 6: unmapping an MDL that is not mapped. */
static void test_unmap_not_mapped(void **State)
{
    PMDL Mdl = LockedMdl(Buffer, 10, IoReadAccess);
    (void)State;
    irpsim_assert_bugcheck(SYSTEM_PTE_MISUSE, MmUnmapLockedPages(Buffer, Mdl));
    irpsim_assert_bugcheck_parameter(0, 6);
    irpsim_assert_bugcheck_parameter(1, Mdl);
    irpsim_assert_bugcheck_parameter(2, Buffer);
    MmUnlockPages(Mdl);
    IoFreeMdl(Mdl);
}

/* INVALID_MDL_RANGE (0x12E): a partial range outside the source (P1
   source, P2 target, P3 address, P4 length); TARGET_MDL_TOO_SMALL (0x40):
   a target with too little room for the range's pages. */
static void test_partial_misuse(void **State)
{
    PMDL Source = LockedMdl(Buffer, 100, IoReadAccess);
    PMDL Small = IoAllocateMdl(Page, 1, FALSE, FALSE, NULL);
    PMDL Target = IoAllocateMdl(Buffer, 100, FALSE, FALSE, NULL);
    PMDL Big = LockedMdl(Buffer, BUFFER_LENGTH, IoReadAccess);
    (void)State;
    irpsim_assert_bugcheck(INVALID_MDL_RANGE, IoBuildPartialMdl(Source, Target, Buffer + 90, 20));
    irpsim_assert_bugcheck_parameter(0, Source);
    irpsim_assert_bugcheck_parameter(1, Target);
    irpsim_assert_bugcheck_parameter(2, Buffer + 90);
    irpsim_assert_bugcheck_parameter(3, 20);
    irpsim_assert_bugcheck(INVALID_MDL_RANGE, IoBuildPartialMdl(Source, Target, Buffer - 1, 10));
    irpsim_assert_bugcheck(TARGET_MDL_TOO_SMALL, IoBuildPartialMdl(Big, Small, Buffer, BUFFER_LENGTH));
    IoFreeMdl(Small);
    IoFreeMdl(Target);
    MmUnlockPages(Source);
    IoFreeMdl(Source);
    MmUnlockPages(Big);
    IoFreeMdl(Big);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_allocate_fields, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_allocate_limits, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_size_and_create, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_chaining_to_irp, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_probe_and_lock, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_driver_built_mdl, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_build_for_nonpaged_pool, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_system_address, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_map_and_unmap, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_partial_of_mapped_source, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_partial_own_mapping, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_probe_above_dispatch, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_probe_wrong_flags, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_unlock_above_dispatch, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_unlock_not_locked, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_unlock_nonpaged, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_unlock_partial, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_map_unlocked, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_free_while_mapped, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_map_verifier_rules, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_map_irql_rules, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_unmap_not_mapped, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_partial_misuse, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
