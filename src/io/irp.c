/*
 * irpsim — IRP allocation, initialisation, reuse and freeing
 * (SEMANTICS.md 1.6), and the checks behind the inline stack helpers.
 *
 * Where IRP memory comes from. IRPs of 1 location, and of up to
 * IOP_LARGE_IRP_STACK, come from two lists per host thread (Windows keeps
 * its IRP lookaside lists per processor), larger ones from the host; no
 * locks, no atomics. IoFreeIrp puts a block back in its thread's list, and
 * the lists are delay lines (FIFO): a freed block is not handed out again
 * until its list's depth more IRPs of its size were freed on that thread
 * (a larger IRP's block then goes back to the host). For as long as a
 * block waits, it stays readable with its Type overwritten and the state
 * table knows a stale pointer to it as a freed IRP, so a second IoFreeIrp,
 * a completion or a send of it is reported. The depth depends on the
 * verifier, as the memory does on Windows:
 *
 * - Verifier off: IOP_IRP_DELAY (16). Windows takes the IRP from a
 *   lookaside list (AllocationFlags has IRP_LOOKASIDE_ALLOCATION) and
 *   reuses a freed one at once; the delay is kept short so the blocks in
 *   use stay in the processor's first-level cache (a round trip on blocks
 *   that waited 1,024 frees costs a fifth more).
 * - Verifier on (Driver Verifier's I/O verification takes IRPs from
 *   special pool): VF_IRP_FREED_RING (1,024), and special pool's checks,
 *   shared with pool (src/ex/exp.h): a guard after the IRP checked when it
 *   is freed, the freed memory filled. With or without the verifier a
 *   freed IRP must not hold an armed timer, a queued DPC or a live
 *   lookaside list, as ExFreePool checks.
 *
 * Either way the IRP is charged to the I/O manager rather than to the
 * driver that asked: a leaked IRP is reported from the state table (the
 * allocating driver and call site), which tracks these IRPs as it tracks
 * any other. Every block starts with an IOP_IRP_HEADER (iop.h) that
 * remembers the state-table entry of its IRP (pinned to the block), and
 * IopCheckIrpNotFreed reads the IRP's Type first.
 *
 * Uses of a freed IRP are reported as bug check 0xCC
 * PAGE_FAULT_IN_FREED_SPECIAL_POOL, what Windows raises with Driver
 * Verifier's special pool; completing a freed IRP is reported as 0x44, the
 * double-completion check Windows hits first.
 */
#include "iop.h"
#include "../ex/exp.h"
#include "../trace/tracep.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define IOP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IOP_ASAN 1
#endif
#endif
#ifdef IOP_ASAN
#include <sanitizer/asan_interface.h>
#define IopPoisonBlock(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define IopUnpoisonBlock(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define IopPoisonBlock(p, n) ((void)(p), (void)(n))
#define IopUnpoisonBlock(p, n) ((void)(p), (void)(n))
#endif

/* ---- IRP memory: per-thread delay lines ---- */

/* Windows' two lists: 1 location, and up to 8 (SEMANTICS 1.6.1). */
#define IOP_LARGE_IRP_STACK 8
/* How many frees a freed block waits (see the top), a power of two. With
   the verifier off 16 blocks of each list and their entries fit a
   first-level cache; with it on, the state table's memory of freed IRPs. */
#define IOP_IRP_DELAY 16
#define IOP_IRP_DELAY_VERIFIER VF_IRP_FREED_RING

/* Which delay line a block waits in (IOP_IRP_HEADER.List). */
#define IOP_IRP_LIST_SMALL 0 /* 1 location */
#define IOP_IRP_LIST_LARGE 1 /* up to IOP_LARGE_IRP_STACK */
#define IOP_IRP_LIST_HUGE 2  /* host memory of its own size: delayed, then freed */
#define IOP_IRP_DELAY_LINES 3

/* A freed block stays readable this far (the Type the I/O manager checks):
   ASan poisons the rest (8 bytes is its granule), and with the verifier
   on the rest is filled as pool fills freed memory. */
#define IOP_IRP_READABLE 8

/* One host thread's delay lines: per list, a ring of freed IRPs, oldest first. */
typedef struct _IOP_IRP_LOOKASIDE {
    LIST_ENTRY Link; /* IopIrpLookasides */
    ULONG Depth;     /* IOP_IRP_DELAY or, with the verifier, IOP_IRP_DELAY_VERIFIER */
    ULONG Head[IOP_IRP_DELAY_LINES];
    ULONG Count[IOP_IRP_DELAY_LINES];
    PIOP_IRP_HEADER Ring[IOP_IRP_DELAY_LINES][IOP_IRP_DELAY_VERIFIER];
} IOP_IRP_LOOKASIDE, *PIOP_IRP_LOOKASIDE;

/* Guards the two lists below; taken only when a block comes from or goes
   back to the host, and for a thread's first IRP. */
static KI_QUICK_LOCK IopIrpBlockLock;
static LIST_ENTRY IopIrpBlocks = {&IopIrpBlocks, &IopIrpBlocks};
static LIST_ENTRY IopIrpLookasides = {&IopIrpLookasides, &IopIrpLookasides};
/* Advanced by shutdown: a thread's pointer from an older machine is stale. */
static ULONG IopIrpLookasideGeneration;
static IRPSIM_THREAD_LOCAL struct {
    PIOP_IRP_LOOKASIDE Lookaside; /* the calling thread's */
    ULONG Generation;             /* IopIrpLookasideGeneration when it was made */
} IopThreadLookaside;

/* The calling thread's first IRP (of this machine): its delay lines. */
static DECLSPEC_NOINLINE PIOP_IRP_LOOKASIDE IopCreateLookaside(VOID)
{
    PIOP_IRP_LOOKASIDE Lookaside = (PIOP_IRP_LOOKASIDE)calloc(1, sizeof(*Lookaside));
    if (Lookaside == NULL)
        return NULL;
    Lookaside->Depth = IopVerifierEnabled() ? IOP_IRP_DELAY_VERIFIER : IOP_IRP_DELAY;
    KiAcquireQuickLock(&IopIrpBlockLock);
    InsertTailList(&IopIrpLookasides, &Lookaside->Link);
    IopThreadLookaside.Generation = IopIrpLookasideGeneration;
    KiReleaseQuickLock(&IopIrpBlockLock);
    IopThreadLookaside.Lookaside = Lookaside;
    return Lookaside;
}

FORCEINLINE PIOP_IRP_LOOKASIDE IopCurrentLookaside(VOID)
{
    PIOP_IRP_LOOKASIDE Lookaside = IopThreadLookaside.Lookaside;
    ULONG Generation = PAL_ATOMIC_LOAD(&IopIrpLookasideGeneration, PAL_ORDER_ACQUIRE);
    if (IRPSIM_LIKELY(Lookaside != NULL && IopThreadLookaside.Generation == Generation))
        return Lookaside;
    return IopCreateLookaside();
}

/* Takes the oldest block out of a delay line. */
FORCEINLINE PIOP_IRP_HEADER IopTakeOldest(PIOP_IRP_LOOKASIDE Lookaside, ULONG List)
{
    PIOP_IRP_HEADER Header = Lookaside->Ring[List][Lookaside->Head[List]];
    Lookaside->Head[List] = (Lookaside->Head[List] + 1) & (Lookaside->Depth - 1);
    Lookaside->Count[List]--;
    return Header;
}

static PIRP IopIrpOfHeader(PIOP_IRP_HEADER Header)
{
    return (PIRP)(Header + 1);
}

/* Host bytes of a block after its header: the IRP and, past its end, room
   for pool's guard (the verifier writes it after the IRP's PacketSize). */
static SIZE_T IopBlockBytes(PIOP_IRP_HEADER Header)
{
    return (SIZE_T)Header->Bytes + EXP_GUARD_BYTES;
}

static DECLSPEC_NOINLINE VOID IopReleaseIrpBlock(PIOP_IRP_HEADER Header)
{
    PVF_IRP_ENTRY Entry = IopHeaderEntry(Header);
    /* The address is no longer ours: its entry may be recycled. */
    if (Entry != NULL)
        VfIrpUnpin(IopIrpOfHeader(Header), Entry);
    IopUnpoisonBlock(IopIrpOfHeader(Header), IopBlockBytes(Header));
    KiAcquireQuickLock(&IopIrpBlockLock);
    RemoveEntryList(&Header->Link);
    KiReleaseQuickLock(&IopIrpBlockLock);
    free(Header);
}

/* Memory for an IRP of Bytes (StackSize locations) with its header: from
   the calling thread's delay line, or the host; NULL if there is none.
   The header's Entry is the block's last IRP's. */
FORCEINLINE PIOP_IRP_HEADER IopAllocateIrpMemory(CCHAR StackSize, USHORT Bytes)
{
    ULONG List = StackSize <= 1 ? IOP_IRP_LIST_SMALL
                 : StackSize <= IOP_LARGE_IRP_STACK ? IOP_IRP_LIST_LARGE
                                                    : IOP_IRP_LIST_HUGE;
    PIOP_IRP_LOOKASIDE Lookaside;
    PIOP_IRP_HEADER Header;

    if (List != IOP_IRP_LIST_HUGE && (Lookaside = IopCurrentLookaside()) != NULL &&
        Lookaside->Count[List] == Lookaside->Depth) {
        /* Full: the oldest has waited Depth frees. */
        Header = IopTakeOldest(Lookaside, List);
        IopUnpoisonBlock(IopIrpOfHeader(Header), IopBlockBytes(Header));
        return Header;
    }
    if (List != IOP_IRP_LIST_HUGE)
        Bytes = (USHORT)IoSizeOfIrp(List == IOP_IRP_LIST_SMALL ? 1 : IOP_LARGE_IRP_STACK);
    Header = (PIOP_IRP_HEADER)malloc(sizeof(IOP_IRP_HEADER) + Bytes + EXP_GUARD_BYTES);
    if (Header == NULL)
        return NULL;
    Header->Entry = NULL;
    Header->Generation = 0;
    Header->List = List;
    Header->Bytes = Bytes;
    Header->Check = IOP_IRP_HEADER_CHECK(IopIrpOfHeader(Header));
    KiAcquireQuickLock(&IopIrpBlockLock);
    InsertTailList(&IopIrpBlocks, &Header->Link);
    KiReleaseQuickLock(&IopIrpBlockLock);
    return Header;
}

/* Gives a freed IRP's memory back: into this thread's delay line (pushing
   out the oldest when full). */
FORCEINLINE VOID IopFreeIrpMemory(PIOP_IRP_HEADER Header)
{
    PIOP_IRP_LOOKASIDE Lookaside = IopCurrentLookaside();
    PIOP_IRP_HEADER Evicted = NULL;
    ULONG List = Header->List;

    if (Lookaside == NULL) {
        IopReleaseIrpBlock(Header);
        return;
    }
    if (Lookaside->Count[List] == Lookaside->Depth) {
        /* This thread frees more than it allocates (or the IRPs are too
           large to reuse): the oldest goes back to the host. */
        Evicted = IopTakeOldest(Lookaside, List);
    }
    Lookaside->Ring[List][(Lookaside->Head[List] + Lookaside->Count[List]) & (Lookaside->Depth - 1)] = Header;
    Lookaside->Count[List]++;
    IopPoisonBlock((PUCHAR)IopIrpOfHeader(Header) + IOP_IRP_READABLE, IopBlockBytes(Header) - IOP_IRP_READABLE);
    if (Evicted != NULL)
        IopReleaseIrpBlock(Evicted);
}

VOID IopShutdownIrpLookaside(VOID)
{
    LIST_ENTRY Blocks, Lookasides;

    KiAcquireQuickLock(&IopIrpBlockLock);
    PAL_ATOMIC_STORE(&IopIrpLookasideGeneration, IopIrpLookasideGeneration + 1, PAL_ORDER_RELEASE);
    Blocks = IopIrpBlocks;
    Lookasides = IopIrpLookasides;
    InitializeListHead(&IopIrpBlocks);
    InitializeListHead(&IopIrpLookasides);
    KiReleaseQuickLock(&IopIrpBlockLock);
    if (Blocks.Flink != &IopIrpBlocks) {
        Blocks.Flink->Blink = &Blocks;
        Blocks.Blink->Flink = &Blocks;
        while (!IsListEmpty(&Blocks)) {
            PIOP_IRP_HEADER Header = CONTAINING_RECORD(RemoveHeadList(&Blocks), IOP_IRP_HEADER, Link);
            IopUnpoisonBlock(IopIrpOfHeader(Header), IopBlockBytes(Header));
            free(Header);
        }
    }
    if (Lookasides.Flink != &IopIrpLookasides) {
        Lookasides.Flink->Blink = &Lookasides;
        Lookasides.Blink->Flink = &Lookasides;
        while (!IsListEmpty(&Lookasides))
            free(CONTAINING_RECORD(RemoveHeadList(&Lookasides), IOP_IRP_LOOKASIDE, Link));
    }
}

static VOID IopInitializeIrpFields(PIRP Irp, USHORT PacketSize, CCHAR StackSize)
{
    memset(Irp, 0, PacketSize);
    Irp->Type = IO_TYPE_IRP;
    Irp->Size = PacketSize;
    Irp->StackCount = StackSize;
    Irp->CurrentLocation = (CHAR)(StackSize + 1);
    Irp->ApcEnvironment = OriginalApcEnvironment;
    InitializeListHead(&Irp->ThreadListEntry);
    Irp->Tail.Overlay.CurrentStackLocation = (PIO_STACK_LOCATION)(Irp + 1) + StackSize;
}

VOID IopCheckIrpFreedSlow(PIRP Irp, PCSTR Routine, ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3,
                          ULONG_PTR P4)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[512];
    VF_IRP_ENTRY Entry;
    CHAR Driver[128];

    /* The first test takes no lock. */
    if (!VfIrpIsFreed(Irp) || !VfIrpQuery(Irp, &Entry) || Entry.State != VfIrpFreed)
        return;
    IopFormatDriverName(Entry.Driver, Driver, sizeof(Driver));
    snprintf(Rule, sizeof(Rule),
             "%s was called on IRP %p, which had already been freed (it came from %s by %s; freed from code at %p). "
             "irpsim keeps freed IRPs poisoned in a quarantine, so this use after free is caught here instead of "
             "silently corrupting memory.",
             Routine, (void *)Irp, VfIrpOriginName(Entry.Origin), Driver, Entry.FreeSite);
    VfBugCheck(Code, P1, P2, P3, P4, Irp, Rule,
               "After IoCompleteRequest (or IoFreeIrp) the IRP belongs to someone else: do not touch it. Keep "
               "ownership with a completion routine that returns STATUS_MORE_PROCESSING_REQUIRED, and decide "
               "completion against cancellation with the IoSetCancelRoutine exchange or IO_CSQ.");
}

static VOID IopCheckFreedForUse(PIRP Irp, PCSTR Routine, PVOID Caller, BOOLEAN Write)
{
    IopCheckIrpNotFreed(Irp, Routine, IOP_PAGE_FAULT_IN_FREED_SPECIAL_POOL, (ULONG_PTR)Irp, Write ? 1 : 0,
                        (ULONG_PTR)Caller, 0);
}

/* IopAllocateIrp, inline for IoAllocateIrp; Thread is the calling thread's
   KTHREAD (NULL if it has none). */
FORCEINLINE PIRP IopAllocateTrackedIrp(PKTHREAD Thread, CCHAR StackSize, BOOLEAN ChargeQuota,
                                       IRPSIM_IRP_ORIGIN Origin, PVOID Site)
{
    PIOP_IRP_HEADER Header;
    PVF_IRP_ENTRY Entry;
    USHORT Size;
    PIRP Irp;

    if (StackSize < 0)
        return NULL;
    Size = IoSizeOfIrp(StackSize);
    /* Low-resources simulation: decided here for every IRP a driver asks
       for (IoAllocateIrp, IoMakeAssociatedIrp, IoBuild*Request). */
    if (VfLowResourcesArmed() && VfInjectFailure(VfAllocateIrp, IRPSIM_IRP_POOL_TAG, Size, VfIrpOriginName(Origin)))
        return NULL;
    Header = IopAllocateIrpMemory(StackSize, Size);
    if (Header == NULL)
        return NULL;
    Irp = IopIrpOfHeader(Header);
    IopInitializeIrpFields(Irp, Size, StackSize);
    Irp->AllocationFlags = IRP_ALLOCATED_FIXED_SIZE;
    if (IopVerifierEnabled())
        ExpWriteGuard(Irp, Size); /* special pool's */
    else if (Header->List != IOP_IRP_LIST_HUGE)
        Irp->AllocationFlags |= IRP_LOOKASIDE_ALLOCATION;
    if (ChargeQuota)
        Irp->AllocationFlags |= IRP_QUOTA_CHARGED;
    /* A block keeps its address, and so its entry (pinned). */
    Entry = VfIrpTrackMemory(Irp, Origin, Thread != NULL ? Thread->CurrentDriver : NULL, Site,
                             IopHeaderEntry(Header));
    if (Entry == NULL) {
        /* Out of host memory for the state table: an IRP nobody could
           account for is not handed out. */
        Irp->Type = IOP_TYPE_FREED_IRP;
        IopFreeIrpMemory(Header);
        return NULL;
    }
    Header->Generation = PAL_ATOMIC_LOAD(&VfIrpTableGeneration, PAL_ORDER_ACQUIRE);
    PAL_ATOMIC_STORE(&Header->Entry, Entry, PAL_ORDER_RELAXED);
    TRACE_EVENT(IrpSimTraceIrpAllocated, Irp, StackSize, Origin, 0);
    return Irp;
}

PIRP IopAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota, IRPSIM_IRP_ORIGIN Origin, PVOID Site)
{
    return IopAllocateTrackedIrp(KiGetCurrentThreadIfAny(), StackSize, ChargeQuota, Origin, Site);
}

PIRP NTAPI IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota)
{
    PKTHREAD Thread = KiGetCurrentThreadIfAny();
    IopCheckThreadIrql(Thread, "IoAllocateIrp", DISPATCH_LEVEL);
    return IopAllocateTrackedIrp(Thread, StackSize, ChargeQuota, IrpSimIrpOriginIoAllocateIrp, PAL_RETURN_ADDRESS());
}

PIRP NTAPI IoAllocateIrpEx(PDEVICE_OBJECT DeviceObject, CCHAR StackSize, BOOLEAN ChargeQuota)
{
    /* The extension Windows may attach (for I/O attribution) is not modelled:
       the IRP is the one IoAllocateIrp makes. */
    UNREFERENCED_PARAMETER(DeviceObject);
    VfCheckIrql("IoAllocateIrpEx", DISPATCH_LEVEL);
    return IopAllocateIrp(StackSize, ChargeQuota, IrpSimIrpOriginIoAllocateIrp, PAL_RETURN_ADDRESS());
}

/* IRPs that must never be reinitialised (IoReuseIrp / IoInitializeIrp:
   Verifier 0xC9/0x311, SEMANTICS 1.6.6 and 8.6; "Reusing IRPs" names all
   four builders and IoMakeAssociatedIrp). Added with src/io/build.c. */
static BOOLEAN IopIsBuiltIrpOrigin(IRPSIM_IRP_ORIGIN Origin)
{
    return Origin == IrpSimIrpOriginAssociated || Origin == IrpSimIrpOriginIoBuildSynchronousFsdRequest ||
           Origin == IrpSimIrpOriginIoBuildDeviceIoControlRequest ||
           Origin == IrpSimIrpOriginIoBuildAsynchronousFsdRequest || Origin == IrpSimIrpOriginIoManager;
}

VOID NTAPI IoInitializeIrp(PIRP Irp, USHORT PacketSize, CCHAR StackSize)
{
    PVOID Caller = PAL_RETURN_ADDRESS();
    IRPSIM_IRP_ORIGIN Origin;

    /* Reinitialising an IRP the I/O manager allocated: a built IRP is
       reported as such (0x311) rather than as an IoAllocateIrp IRP (0x20D).
       Both go through VfReport (verifier: 0x311 is non-fatal, 0x20D fatal).
       Added with src/io/build.c. */
    if (IopVerifierEnabled()) {
        VF_IRP_ENTRY Entry;
        BOOLEAN Ours = VfIrpQuery(Irp, &Entry) && VfIrpIoManagerMemory(&Entry);
        if (Ours && IopIsBuiltIrpOrigin(Entry.Origin))
            VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x311, (ULONG_PTR)Caller, (ULONG_PTR)Irp, 0, Irp,
                     "IoInitializeIrp was called on an IRP made by IoBuildDeviceIoControlRequest, "
                     "IoBuildSynchronousFsdRequest, IoBuildAsynchronousFsdRequest, IoMakeAssociatedIrp or the I/O "
                     "manager. Such IRPs must never be reinitialised.",
                     "Let the I/O manager (or your completion routine, for IoBuildAsynchronousFsdRequest) finish and "
                     "free the IRP; allocate a new one for the next request.");
        else if (Ours)
            VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x20D, (ULONG_PTR)Caller, (ULONG_PTR)Irp, 0, Irp, NULL,
                     NULL);
    }
    if (StackSize < 0 || PacketSize < IoSizeOfIrp(StackSize)) {
        VfBugCheck(IOP_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, (ULONG_PTR)Irp + PacketSize, 1, (ULONG_PTR)Caller, 0,
                   NULL,
                   "IoInitializeIrp was given a PacketSize smaller than IoSizeOfIrp(StackSize): initialising the "
                   "stack locations would write past the end of the memory.",
                   "Allocate IoSizeOfIrp(StackSize) bytes and pass that size, or use IoAllocateIrp.");
    }
    IopInitializeIrpFields(Irp, PacketSize, StackSize);
    /* (A freed entry here is memory pool handed out again, now the driver's.) */
    Origin = VfIrpTrackInitialized(Irp, Caller, NULL);
    TRACE_EVENT(IrpSimTraceIrpAllocated, Irp, StackSize, Origin, 0);
}

static BOOLEAN IopIrpOnThreadList(PIRP Irp)
{
    PETHREAD Thread = Irp->Tail.Overlay.Thread;
    BOOLEAN OnList;
    if (Thread == NULL)
        return !IsListEmpty(&Irp->ThreadListEntry);
    PalMutexLock(&KiThreadFromEThread(Thread)->IrpListLock);
    OnList = !IsListEmpty(&Irp->ThreadListEntry);
    PalMutexUnlock(&KiThreadFromEThread(Thread)->IrpListLock);
    return OnList;
}

/* What ExFreePool checks on the memory it frees, for an IRP the I/O
   manager allocated, before it is freed: no armed timer, queued DPC or
   live lookaside list inside; with the verifier (special pool), the guard
   after the IRP. */
FORCEINLINE VOID IopCheckIrpBlockFree(PIRP Irp)
{
    BOOLEAN Verifier = IopVerifierEnabled();
    PIOP_IRP_HEADER Header;
    SIZE_T Size;
    if (!ExpFreedRangeHasChecks(Verifier))
        return; /* no verifier, no active object registered */
    Header = IopIrpHeader(Irp);
    if (Header == NULL)
        return; /* driver memory: pool checks it */
    Size = Irp->Size <= Header->Bytes ? Irp->Size : Header->Bytes;
    if (Verifier)
        ExpCheckGuard(Irp, Size);
    ExpCheckFreedRange(Irp, Size);
}

/* The memory of an IRP the state table now knows as freed: ours goes back
   to its delay line (with the verifier, filled as pool fills freed
   memory); driver memory (IoInitializeIrp) goes back to the driver's pool,
   as Windows does. */
FORCEINLINE VOID IopReleaseIrpMemory(PIRP Irp, BOOLEAN Ours)
{
    TRACE_EVENT(IrpSimTraceIrpFreed, Irp, 0, 0, 0);
    if (Ours) {
        PIOP_IRP_HEADER Header = (PIOP_IRP_HEADER)Irp - 1;
        if (IopVerifierEnabled())
            ExpFillFreed((PUCHAR)Irp + IOP_IRP_READABLE, Header->Bytes - IOP_IRP_READABLE);
        Irp->Type = IOP_TYPE_FREED_IRP;
        IopFreeIrpMemory(Header);
    } else {
        ExFreePool(Irp);
    }
}

/* Forgets the IRP's memory (IopReleaseIrpMemory). Entry is Irp's entry,
   locked with VfIrpLockEntry (NULL: untracked); the lock is dropped here. */
static DECLSPEC_NOINLINE VOID IopReleaseLockedIrp(PIRP Irp, PVF_IRP_ENTRY Entry, PVOID Site)
{
    BOOLEAN Ours = Entry != NULL && Entry->OwnsMemory;
    if (Entry != NULL)
        VfIrpMarkFreed(Entry, Site);
    VfIrpUnlock();
    IopReleaseIrpMemory(Irp, Ours);
}

/* Frees Irp, whose entry is Hint if it has a header (IopIrpEntryHint):
   without the lock when only its holder writes its entry, in a block of
   ours (VfIrpMarkHolderFreed). */
FORCEINLINE VOID IopReleaseIrp(PIRP Irp, PVF_IRP_ENTRY Hint, PVOID Site)
{
    IopCheckIrpBlockFree(Irp);
    if (VfIrpMarkHolderFreed(Irp, Hint, Site))
        IopReleaseIrpMemory(Irp, TRUE);
    else
        IopReleaseLockedIrp(Irp, VfIrpLockEntryHint(Irp, Hint), Site);
}

VOID IopFreeIrp(PIRP Irp)
{
    IopReleaseIrp(Irp, IopIrpEntryHint(Irp), PAL_RETURN_ADDRESS());
}

/* 0xC9/0x20A: the IRP is still with a driver or in a queue. */
static VOID IopReportFreeInUse(PIRP Irp, const VF_IRP_ENTRY *Entry, PVOID Caller)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[480];
    CHAR Device[160], Driver[128];
    IopFormatDeviceName(Entry->Device, Device, sizeof(Device));
    IopFormatDriverName(Entry->DeviceDriver, Driver, sizeof(Driver));
    if (Entry->State == VfIrpQueued)
        snprintf(Rule, sizeof(Rule),
                 "IoFreeIrp was called on IRP %p while it is still queued by %s (in a cancel-safe queue or a device "
                 "queue at %s): the queue still links it, and a cancel or the next dequeue would use freed memory.",
                 (void *)Irp, Driver, Device);
    else
        snprintf(Rule, sizeof(Rule),
                 "IoFreeIrp was called on IRP %p while it is still in use by %s at %s (stack location %d): that driver "
                 "has not completed it, and will touch it again.",
                 (void *)Irp, Driver, Device, (int)Entry->Location);
    VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x20A, (ULONG_PTR)Caller, (ULONG_PTR)Irp, (ULONG_PTR)Entry->Device,
             Irp, Rule, NULL);
}

/* IoFreeIrp's two verifier reports, from the IRP's entry (read atomically:
   a holder may be writing it). In use (0xC9/0x20A): still with a driver or
   in a queue - not "completing": a routine that returns
   STATUS_MORE_PROCESSING_REQUIRED may let another thread free the IRP
   before the walk records that. Not allocated (IoAllocateFree): memory the
   driver initialised itself, and associated IRPs, are not the caller's to
   free (threaded IRPs are caught before; the I/O manager frees its own). */
static BOOLEAN IopFreeInUse(const VF_IRP_ENTRY *Entry)
{
    VF_IRP_STATE State = PAL_ATOMIC_LOAD(&Entry->State, PAL_ORDER_ACQUIRE);
    return State == VfIrpInDriver || State == VfIrpQueued;
}

static BOOLEAN IopFreeNotAllocated(const VF_IRP_ENTRY *Entry)
{
    return !PAL_ATOMIC_LOAD(&Entry->OwnsMemory, PAL_ORDER_RELAXED) ||
           PAL_ATOMIC_LOAD(&Entry->Origin, PAL_ORDER_RELAXED) == IrpSimIrpOriginAssociated;
}

/* IoFreeIrp on memory the I/O manager did not allocate (SDV IoAllocateFree). */
static VOID IopReportFreeNotAllocated(PIRP Irp, const VF_IRP_ENTRY *Entry, PVOID Caller)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[480];
    IRPSIM_IRP_ORIGIN Origin = Entry != NULL ? Entry->Origin : IrpSimIrpOriginUnknown;
    if (Entry != NULL && Origin == IrpSimIrpOriginDriverInitialized)
        snprintf(Rule, sizeof(Rule),
                 "IoFreeIrp was called on IRP %p, which the driver built in its own memory with IoInitializeIrp. "
                 "IoFreeIrp returns memory to the I/O manager's IRP allocator; this memory belongs to the driver.",
                 (void *)Irp);
    else
        snprintf(Rule, sizeof(Rule),
                 "IoFreeIrp was called on IRP %p, which did not come from IoAllocateIrp or "
                 "IoBuildAsynchronousFsdRequest (it comes from %s). Only those IRPs are the caller's to free.",
                 (void *)Irp,
                 Entry != NULL ? VfIrpOriginName(Origin) : "memory irpsim never saw initialised as an IRP");
    VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, VF_C9_FREE_NOT_IO_ALLOCATED, (ULONG_PTR)Caller, (ULONG_PTR)Irp,
             (ULONG_PTR)Origin, Irp, Rule,
             "Free an IRP the way it was made: memory you allocated and initialised with IoInitializeIrp goes back "
             "with your own free routine (ExFreePoolWithTag); IRPs from IoBuildSynchronousFsdRequest, "
             "IoBuildDeviceIoControlRequest and IoMakeAssociatedIrp are freed by the I/O manager.");
}

VOID NTAPI IoFreeIrp(PIRP Irp)
{
    PVOID Caller = PAL_RETURN_ADDRESS();
    PVF_IRP_ENTRY Hint;
    PVF_IRP_ENTRY Holder;
    PVF_IRP_ENTRY Locked;
    VF_IRP_ENTRY Entry;
    BOOLEAN Known, InUse, NotAllocated;

    IopCheckIrql("IoFreeIrp", DISPATCH_LEVEL);

    if (Irp == NULL)
        VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x01, 0, 0, 0, NULL,
                   "IoFreeIrp was called with a NULL IRP.", "Pass IoFreeIrp the IRP IoAllocateIrp returned.");
    IopCheckFreedForUse(Irp, "IoFreeIrp", Caller, TRUE);
    if (Irp->Type != IO_TYPE_IRP)
        VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x01, (ULONG_PTR)Irp, 0, 0, NULL, NULL, NULL);
    if (IopIrpOnThreadList(Irp)) {
        /* Freeing it would leave a dangling entry in the thread's list. */
        VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x20C, (ULONG_PTR)Caller, (ULONG_PTR)Irp, 0, Irp, NULL,
                   NULL);
    }
    Hint = IopIrpEntryHint(Irp);
    /* Both checks below are the verifier's reports only. */
    if (!IopVerifierEnabled()) {
        IopReleaseIrp(Irp, Hint, Caller);
        return;
    }
    IopCheckIrpBlockFree(Irp);
    /* The holder of an IRP with nothing to report frees it without the
       lock (IopReleaseIrp). */
    Holder = VfIrpHolderEntry(Irp, Hint);
    if (Holder != NULL && VfIrpIsPinnedEntry(Irp, Holder) && !IopFreeInUse(Holder) &&
        !IopFreeNotAllocated(Holder) && VfIrpMarkHolderFreed(Irp, Holder, Caller)) {
        IopReleaseIrpMemory(Irp, TRUE);
        return;
    }
    Locked = VfIrpLockEntryHint(Irp, Hint);
    Known = Locked != NULL;
    InUse = Known && IopFreeInUse(Locked);
    NotAllocated = !Known || IopFreeNotAllocated(Locked); /* (or irpsim never saw it initialised) */
    /* Without a report to make, the IRP is freed under the same lock. */
    if (InUse || NotAllocated) {
        if (Known)
            VfIrpCopyLocked(&Entry, Locked);
        VfIrpUnlock();
        if (InUse)
            IopReportFreeInUse(Irp, &Entry, Caller);
        if (NotAllocated)
            IopReportFreeNotAllocated(Irp, Known ? &Entry : NULL, Caller);
        Locked = VfIrpLockEntryHint(Irp, Hint);
    }
    IopReleaseLockedIrp(Irp, Locked, Caller);
}

VOID NTAPI IoReuseIrp(PIRP Irp, NTSTATUS Iostatus)
{
    PVOID Caller = PAL_RETURN_ADDRESS();
    PVF_IRP_ENTRY Hint;
    PVF_IRP_ENTRY Entry;
    UCHAR AllocationFlags;
    BOOLEAN Built, InUse;

    IopCheckFreedForUse(Irp, "IoReuseIrp", Caller, TRUE);
    /* (Before the IRP's lock: thread exit takes the thread's list lock first.) */
    Built = IopIrpOnThreadList(Irp);
    Hint = IopIrpEntryHint(Irp);
    Entry = VfIrpLockEntryHint(Irp, Hint);
    /* (IopIsBuiltIrpOrigin adds IoBuildAsynchronousFsdRequest to the
       original list; changed with src/io/build.c.) */
    Built = Built || (Entry != NULL && IopIsBuiltIrpOrigin(Entry->Origin));
    /* Inside the creator's own completion routine (state Completing) reuse
       is the documented pattern, as IoFreeIrp is: the routine then returns
       STATUS_MORE_PROCESSING_REQUIRED and the IRP is the creator's again. */
    InUse = PAL_ATOMIC_LOAD(&Irp->CancelRoutine, PAL_ORDER_SEQ_CST) != NULL ||
            (Entry != NULL && (Entry->State == VfIrpInDriver || Entry->State == VfIrpQueued));
    if (Built || InUse) {
        /* Both reports are non-fatal (VfReport, verifier); they and the
           dequeue run without the IRP's lock. */
        VfIrpUnlock();
        if (Built) {
            VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x311, (ULONG_PTR)Caller, (ULONG_PTR)Irp, 0, Irp,
                     "IoReuseIrp was called on an IRP made by IoMakeAssociatedIrp, IoBuildSynchronousFsdRequest, "
                     "IoBuildDeviceIoControlRequest, IoBuildAsynchronousFsdRequest or the I/O manager. Only IRPs "
                     "from IoAllocateIrp (or memory initialised with IoInitializeIrp) may be reused.",
                     "Let the I/O manager finish and free such an IRP; allocate a new one for the next request.");
            /* Going on after the report: re-initialising the list entry would
               leave the thread's IRP list pointing at it. */
            IopDequeueThreadIrp(Irp, Irp->Tail.Overlay.Thread);
        }
        if (InUse)
            VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x310, (ULONG_PTR)Caller, (ULONG_PTR)Irp, 0, Irp,
                     "IoReuseIrp was called on an IRP that is still in use (a driver holds it, it is being "
                     "completed, or a cancel routine is still set).",
                     "Reuse an IRP only after your completion routine regained it with "
                     "STATUS_MORE_PROCESSING_REQUIRED.");
        Entry = VfIrpLockEntryHint(Irp, Hint);
    }
    AllocationFlags = Irp->AllocationFlags;
    IopInitializeIrpFields(Irp, Entry != NULL ? Entry->Size : Irp->Size, Irp->StackCount);
    Irp->AllocationFlags = AllocationFlags;
    Irp->IoStatus.Status = Iostatus;
    if (Entry != NULL)
        VfIrpRestart(Entry, Irp->CurrentLocation);
    VfIrpUnlock();
}

PIRP NTAPI IoMakeAssociatedIrp(PIRP Irp, CCHAR StackSize)
{
    PIRP Associated;
    VfCheckIrql("IoMakeAssociatedIrp", DISPATCH_LEVEL);
    IopCheckFreedForUse(Irp, "IoMakeAssociatedIrp", PAL_RETURN_ADDRESS(), FALSE);
    Associated = IopAllocateIrp(StackSize, FALSE, IrpSimIrpOriginAssociated, PAL_RETURN_ADDRESS());
    if (Associated == NULL)
        return NULL;
    /* The master's IrpCount is the caller's to set (1.6.4). */
    Associated->Flags |= IRP_ASSOCIATED_IRP;
    Associated->Tail.Overlay.Thread = Irp->Tail.Overlay.Thread;
    Associated->AssociatedIrp.MasterIrp = Irp;
    return Associated;
}

VOID IopUnlockMdlChain(PIRP Irp)
{
    for (PMDL Mdl = Irp->MdlAddress; Mdl != NULL; Mdl = Mdl->Next) {
        if (Mdl->MdlFlags & MDL_PAGES_LOCKED)
            MmUnlockPages(Mdl);
    }
}

VOID IopFreeMdlChain(PIRP Irp)
{
    PMDL Mdl = Irp->MdlAddress;
    while (Mdl != NULL) {
        PMDL Next = Mdl->Next;
        IoFreeMdl(Mdl);
        Mdl = Next;
    }
    Irp->MdlAddress = NULL;
}

VOID NTAPI IopInvalidStackLocation(PIRP Irp, ULONG Operation)
{
    static const PCSTR Helpers[] = {"a stack-location helper",
                                    "IoGetCurrentIrpStackLocation",
                                    "IoGetNextIrpStackLocation",
                                    "IoSkipCurrentIrpStackLocation",
                                    "IoSetNextIrpStackLocation",
                                    "IoMarkIrpPending",
                                    "IoSetCompletionRoutine",
                                    "IoCopyCurrentIrpStackLocationToNext"};
    static IRPSIM_THREAD_LOCAL CHAR Rule[640];
    PCSTR Helper = Operation < RTL_NUMBER_OF(Helpers) ? Helpers[Operation] : Helpers[0];
    PVOID Caller = PAL_RETURN_ADDRESS();
    PIO_STACK_LOCATION Slots = (PIO_STACK_LOCATION)(Irp + 1);
    LONG Location = Irp->CurrentLocation;

    IopCheckFreedForUse(Irp, Helper, Caller, Operation != IOP_SL_GET_CURRENT && Operation != IOP_SL_GET_NEXT);

    if (Operation == IOP_SL_GET_NEXT || Operation == IOP_SL_SET_NEXT ||
        ((Operation == IOP_SL_SET_COMPLETION || Operation == IOP_SL_COPY_TO_NEXT) && Location <= 1)) {
        snprintf(Rule, sizeof(Rule),
                 "%s was called on IRP %p with CurrentLocation %d: there is no stack location below the current "
                 "one (StackCount %d). The IRP was sized too small for the stack it is travelling down, or it "
                 "is being passed on from the lowest driver.",
                 Helper, (void *)Irp, (int)Location, (int)Irp->StackCount);
        VfBugCheck(NO_MORE_IRP_STACK_LOCATIONS, (ULONG_PTR)Irp, 0, 0, 0, Irp, Rule,
                   "Allocate IRPs with at least the target's DeviceObject->StackSize locations (plus one if you "
                   "want your own), and do not set a completion routine or copy a location from the lowest driver.");
    }
    snprintf(Rule, sizeof(Rule),
             "%s was called on IRP %p with CurrentLocation %d and StackCount %d: the current stack location is "
             "one past the end of the IRP. %s",
             Helper, (void *)Irp, (int)Location, (int)Irp->StackCount,
             Location > Irp->StackCount + 1
                 ? "The IRP has already been completed (its stack walk is over), so it no longer has a current "
                   "location."
                 : "The caller has no stack location of its own: it is the IRP's originator (IoAllocateIrp "
                   "gives exactly StackSize locations, none for the caller), or it skipped its location "
                   "already. On Windows this write lands beyond the IRP's memory.");
    VfBugCheck(IOP_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, (ULONG_PTR)(Slots + (Location - 1)),
               Operation == IOP_SL_GET_CURRENT ? 0 : 1, (ULONG_PTR)Caller, 0, Irp, Rule,
               "An originator must not call IoMarkIrpPending or use IoGetCurrentIrpStackLocation in its completion "
               "routine; allocate StackSize + 1 locations and call IoSetNextIrpStackLocation if it needs a "
               "location of its own. Never touch an IRP after completing it.");
}
