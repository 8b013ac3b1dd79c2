/*
 * irpsim — locking an MDL's pages: MmProbeAndLockPages, MmUnlockPages.
 *
 * Probing checks the range as Windows would (probe.c says what is
 * invalid) and raises STATUS_ACCESS_VIOLATION through the __try frames of
 * <irpsim/wdk/seh.h> when it is not accessible. Unlike Windows, the
 * exception record carries two parameters, as a hardware access violation
 * does (0 read / 1 write, and the first bad address), so the bug check of
 * an unhandled probe failure names the address.
 */
#include "mi.h"
#include "../ke/except.h"
#include "../verifier/vf.h"

#define MI_PROBE_BAD_FLAGS                                                                                             \
    (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL | MDL_MAPPED_TO_SYSTEM_VA |                          \
     MDL_PARTIAL_HAS_BEEN_MAPPED | MDL_IO_SPACE | MDL_DESCRIBES_AWE)

DECLSPEC_NORETURN static VOID MipRaiseProbeFailure(NTSTATUS Status, BOOLEAN Write, ULONG_PTR Address, PVOID Caller)
{
    EXCEPTION_RECORD Record;
    memset(&Record, 0, sizeof(Record));
    Record.ExceptionCode = Status;
    Record.ExceptionFlags = EXCEPTION_NONCONTINUABLE;
    Record.ExceptionAddress = Caller;
    Record.NumberParameters = 2;
    Record.ExceptionInformation[0] = Write ? 1 : 0;
    Record.ExceptionInformation[1] = Address;
    KiRaiseException(&Record);
}

VOID NTAPI MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation)
{
    PMDL Mdl = MemoryDescriptorList;
    PVOID Caller = PAL_RETURN_ADDRESS();
    KIRQL Irql = KeGetCurrentIrql();
    BOOLEAN Write = Operation != IoReadAccess;
    CSHORT Wrong;
    ULONG_PTR Bad = 0;
    NTSTATUS Status;

    if (Irql > DISPATCH_LEVEL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MI_VF_PROBE_IRQL, Irql, (ULONG_PTR)Mdl, (ULONG_PTR)AccessMode,
                   NULL, "MmProbeAndLockPages was called above DISPATCH_LEVEL.",
                   "Probe and lock at PASSIVE_LEVEL or APC_LEVEL (DISPATCH_LEVEL only for nonpaged memory), "
                   "before raising IRQL or taking a spin lock.");
    Wrong = Mdl->MdlFlags & MI_PROBE_BAD_FLAGS;
    if (Wrong != 0)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MI_VF_PROBE_BAD_FLAGS, (ULONG_PTR)Mdl, (USHORT)Mdl->MdlFlags,
                   (USHORT)Wrong, NULL,
                   (Wrong & MDL_SOURCE_IS_NONPAGED_POOL)
                       ? "MmProbeAndLockPages was called on an MDL built by MmBuildMdlForNonPagedPool."
                   : (Wrong & MDL_PAGES_LOCKED) ? "MmProbeAndLockPages was called on an MDL whose pages are already "
                                                  "locked (a second probe of the same MDL)."
                   : (Wrong & MDL_PARTIAL)      ? "MmProbeAndLockPages was called on a partial MDL (IoBuildPartialMdl)."
                                           : "MmProbeAndLockPages was called on an MDL with flags it does not accept.",
                   "Probe and lock a fresh MDL from IoAllocateMdl (or MmInitializeMdl) once; an MDL for nonpaged "
                   "pool needs no locking, and a partial MDL shares its source MDL's locked pages.");

    Status = MiCheckRange(MmGetMdlVirtualAddress(Mdl), Mdl->ByteCount, AccessMode, Write, &Bad);
    if (!NT_SUCCESS(Status))
        MipRaiseProbeFailure(Status, Write, Bad, Caller);

    MiFillPfnArray(Mdl);
    Mdl->Process = AccessMode == UserMode ? PsGetCurrentProcess() : NULL;
    Mdl->MdlFlags &= ~MDL_WRITE_OPERATION;
    Mdl->MdlFlags |= MDL_PAGES_LOCKED | (Write ? MDL_WRITE_OPERATION : 0);
    MiTrackLock(Mdl, Caller);
}

VOID NTAPI MmUnlockPages(PMDL MemoryDescriptorList)
{
    PMDL Mdl = MemoryDescriptorList;
    KIRQL Irql = KeGetCurrentIrql();
    CSHORT Flags = Mdl->MdlFlags;

    if (Irql > DISPATCH_LEVEL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MI_VF_UNLOCK_IRQL, Irql, (ULONG_PTR)Mdl, 0, NULL,
                   "MmUnlockPages was called above DISPATCH_LEVEL.", "Unlock at DISPATCH_LEVEL or below.");
    if (Flags & MDL_PARTIAL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MI_VF_UNLOCK_PARTIAL, (ULONG_PTR)Mdl, (USHORT)Flags, MDL_PARTIAL,
                   NULL,
                   "MmUnlockPages was called on a partial MDL (built by IoBuildPartialMdl). Its pages belong to "
                   "the source MDL.",
                   "Unlock the source MDL, once, after the partial MDLs are done; free partial MDLs with IoFreeMdl "
                   "(or reuse them after MmPrepareMdlForReuse).");
    if (Flags & MDL_SOURCE_IS_NONPAGED_POOL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MI_VF_UNLOCK_NONPAGED, (ULONG_PTR)Mdl, (USHORT)Flags, 0, NULL,
                   "MmUnlockPages was called on an MDL built by MmBuildMdlForNonPagedPool. Nonpaged pool is never "
                   "locked, so it must never be unlocked.",
                   "Only unlock MDLs you locked with MmProbeAndLockPages; just IoFreeMdl a nonpaged-pool MDL.");
    if (!(Flags & MDL_PAGES_LOCKED))
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, MI_VF_UNLOCK_NOT_LOCKED, (ULONG_PTR)Mdl, (USHORT)Flags, 0, NULL,
                   "MmUnlockPages was called on an MDL whose pages are not locked (never locked, the probe "
                   "raised an exception, or already unlocked).",
                   "Unlock exactly once, and only after MmProbeAndLockPages returned normally (it raises on "
                   "failure: the __except path must not unlock).");

    /* Documented: a system mapping goes with the lock. */
    Mdl->MdlFlags &= ~(MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA);
    MiTrackUnlock(Mdl);
}
