/*
 * irpsim — fast mutexes and guarded mutexes (SEMANTICS 9.5).
 *
 * The classic counting scheme: Count is 1 when free; an acquirer
 * decrements it and owns the mutex if the result is 0, otherwise it waits
 * on the mutex's synchronization event; a releaser increments it and sets
 * the event when the result shows a waiter. The event keeps a wake-up that
 * arrives before its waiter, so no hand-off is lost. Waiting is a kernel
 * wait, so the scheduler and the virtual clock see a blocked thread.
 *
 * ExAcquireFastMutex raises to APC_LEVEL and keeps the caller's IRQL in
 * OldIrql; the unsafe variants leave IRQL alone and require APCs to be
 * disabled already; guarded mutexes enter a guarded region instead of
 * raising. OldIrql also records (above the IRQL byte) which family
 * acquired the mutex, so a release through the wrong routine is caught.
 *
 * Reports (bug check 0xC4, Driver Verifier's codes):
 *   0x33 / 0x34  acquire above APC_LEVEL / release not at APC_LEVEL
 *                (guarded mutex: release above APC_LEVEL);
 *   0x39 / 0x3A  unsafe acquire / release with APCs enabled or above APC_LEVEL;
 *   0x1000       the owner acquires again: on Windows the thread waits for
 *                itself forever;
 *   0x1002       the mutex was never initialised;
 *   0x1004       released by a thread that does not own it;
 *   0x1007       released while not owned at all;
 *   0x1009       released with a routine of another family than the one
 *                that acquired it.
 */
#include "../ke/ki.h"
#include "../verifier/vf.h"

#define EXP_FAST_MUTEX_COOKIE ((ULONG_PTR)0x4578466173744d78ULL)

/* Which family acquired the mutex, kept above the IRQL byte of OldIrql. */
#define EXP_FM_SAFE      0x100u
#define EXP_FM_UNSAFE    0x200u
#define EXP_FM_GUARDED   0x300u
#define EXP_FM_KIND_MASK 0xF00u
#define EXP_FM_IRQL_MASK 0xFFu

#define EXP_VF_FAST_MUTEX_ACQUIRE_IRQL 0x33
#define EXP_VF_FAST_MUTEX_RELEASE_IRQL 0x34
#define EXP_VF_UNSAFE_ACQUIRE_APCS     0x39
#define EXP_VF_UNSAFE_RELEASE_APCS     0x3A
#define EXP_VF_SELF_DEADLOCK           0x1000
#define EXP_VF_UNINITIALIZED           0x1002
#define EXP_VF_WRONG_THREAD            0x1004
#define EXP_VF_NOT_ACQUIRED            0x1007
#define EXP_VF_MISMATCHED_RELEASE      0x1009

static ULONG_PTR ExpFastMutexCookie(PFAST_MUTEX FastMutex)
{
    return (ULONG_PTR)FastMutex ^ EXP_FAST_MUTEX_COOKIE;
}

static ULONG ExpCombinedApcDisable(PKTHREAD Thread)
{
    return ((ULONG)(USHORT)Thread->SpecialApcDisable << 16) | (ULONG)(USHORT)Thread->KernelApcDisable;
}

static VOID ExpCheckFastMutex(PFAST_MUTEX FastMutex)
{
    if (FastMutex->IrpSimCookie == ExpFastMutexCookie(FastMutex))
        return;
    VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, EXP_VF_UNINITIALIZED, (ULONG_PTR)FastMutex, 0, 0, NULL,
               "A fast mutex or guarded mutex was used before it was initialised (or after the memory holding "
               "it was copied, freed or overwritten).",
               "Call ExInitializeFastMutex (or KeInitializeGuardedMutex) once, in nonpaged memory, before the "
               "first acquire; never copy a FAST_MUTEX.");
}

static VOID ExpCheckNotRecursive(PFAST_MUTEX FastMutex, PKTHREAD Thread)
{
    if (PAL_ATOMIC_LOAD(&FastMutex->Owner, PAL_ORDER_ACQUIRE) != Thread)
        return;
    VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, EXP_VF_SELF_DEADLOCK, (ULONG_PTR)FastMutex, 0, 0, NULL,
               "A thread tried to acquire a fast mutex (or guarded mutex) that it already owns. Fast and "
               "guarded mutexes are not recursive: on Windows the thread waits for itself and hangs forever.",
               "Release the mutex before calling code that takes it again, or use a KMUTEX or an ERESOURCE, "
               "which the owner may acquire recursively.");
}

static VOID ExpCheckOwner(PFAST_MUTEX FastMutex, PKTHREAD Thread, ULONG Kind)
{
    PKTHREAD Owner = PAL_ATOMIC_LOAD(&FastMutex->Owner, PAL_ORDER_ACQUIRE);
    if (Owner == NULL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, EXP_VF_NOT_ACQUIRED, (ULONG_PTR)FastMutex, 0, 0, NULL,
                   "A fast mutex (or guarded mutex) was released while nobody owned it: it was released twice, "
                   "or released without having been acquired.",
                   "Release exactly once for each successful acquire (check ExTryToAcquireFastMutex's result).");
    if (Owner != Thread)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, EXP_VF_WRONG_THREAD, (ULONG_PTR)FastMutex, (ULONG_PTR)Owner,
                   (ULONG_PTR)Thread, NULL,
                   "A fast mutex (or guarded mutex) was released by a thread that does not own it. Only the "
                   "thread that acquired a fast mutex may release it (P3 owner, P4 releasing thread).",
                   "Release the mutex on the thread that acquired it; to hand a lock between threads use a "
                   "KEVENT or an ERESOURCE with ExReleaseResourceForThreadLite.");
    if ((FastMutex->OldIrql & EXP_FM_KIND_MASK) != Kind)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, EXP_VF_MISMATCHED_RELEASE, (ULONG_PTR)FastMutex,
                   FastMutex->OldIrql & EXP_FM_KIND_MASK, Kind, NULL,
                   "A fast mutex was released with a routine that does not match the one that acquired it. "
                   "ExAcquireFastMutex / ExTryToAcquireFastMutex pair with ExReleaseFastMutex, "
                   "ExAcquireFastMutexUnsafe with ExReleaseFastMutexUnsafe, and KeAcquireGuardedMutex / "
                   "KeTryToAcquireGuardedMutex with KeReleaseGuardedMutex (P3 how it was acquired, P4 how it "
                   "was released: 0x100 safe, 0x200 unsafe, 0x300 guarded).",
                   "Use the release routine of the same family; the safe form restores the IRQL saved by its "
                   "acquire, which the other forms never saved.");
}

/* Takes ownership, waiting while another thread owns the mutex. */
static VOID ExpAcquireFastMutexCommon(PFAST_MUTEX FastMutex, PKTHREAD Thread)
{
    if (InterlockedDecrement(&FastMutex->Count) != 0) {
        PAL_ATOMIC_ADD_FETCH(&FastMutex->Contention, 1, PAL_ORDER_RELAXED);
        (void)KeWaitForSingleObject(&FastMutex->Event, WrExecutive, KernelMode, FALSE, NULL);
    }
    PAL_ATOMIC_STORE(&FastMutex->Owner, Thread, PAL_ORDER_RELEASE);
}

static BOOLEAN ExpTryToAcquireFastMutexCommon(PFAST_MUTEX FastMutex, PKTHREAD Thread)
{
    if (InterlockedCompareExchange(&FastMutex->Count, 0, 1) != 1)
        return FALSE;
    PAL_ATOMIC_STORE(&FastMutex->Owner, Thread, PAL_ORDER_RELEASE);
    return TRUE;
}

static VOID ExpReleaseFastMutexCommon(PFAST_MUTEX FastMutex)
{
    PAL_ATOMIC_STORE(&FastMutex->Owner, NULL, PAL_ORDER_RELEASE);
    if (InterlockedIncrement(&FastMutex->Count) <= 0)
        (void)KeSetEvent(&FastMutex->Event, 0, FALSE);
}

VOID NTAPI ExInitializeFastMutex(PFAST_MUTEX FastMutex)
{
    FastMutex->Count = 1;
    FastMutex->Owner = NULL;
    FastMutex->Contention = 0;
    FastMutex->OldIrql = 0;
    KeInitializeEvent(&FastMutex->Event, SynchronizationEvent, FALSE);
    FastMutex->IrpSimCookie = ExpFastMutexCookie(FastMutex);
}

static VOID ExpCheckAcquireIrql(PFAST_MUTEX FastMutex, KIRQL Irql)
{
    if (Irql <= APC_LEVEL)
        return;
    VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, EXP_VF_FAST_MUTEX_ACQUIRE_IRQL, Irql, (ULONG_PTR)FastMutex, 0, NULL,
               "A fast mutex or guarded mutex was acquired above APC_LEVEL (P2 the IRQL). Acquiring may have to "
               "wait, and a thread cannot wait at DISPATCH_LEVEL or above.",
               "Acquire fast mutexes at PASSIVE_LEVEL or APC_LEVEL only; at DISPATCH_LEVEL protect the data with a "
               "spin lock instead.");
}

VOID NTAPI ExAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    PKTHREAD Thread;
    KIRQL OldIrql;

    ExpCheckFastMutex(FastMutex);
    ExpCheckAcquireIrql(FastMutex, KeGetCurrentIrql());
    Thread = KeGetCurrentThread();
    ExpCheckNotRecursive(FastMutex, Thread);
    KeRaiseIrql(APC_LEVEL, &OldIrql);
    ExpAcquireFastMutexCommon(FastMutex, Thread);
    FastMutex->OldIrql = EXP_FM_SAFE | OldIrql;
}

BOOLEAN NTAPI ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    PKTHREAD Thread;
    KIRQL OldIrql;

    ExpCheckFastMutex(FastMutex);
    ExpCheckAcquireIrql(FastMutex, KeGetCurrentIrql());
    Thread = KeGetCurrentThread();
    KeRaiseIrql(APC_LEVEL, &OldIrql);
    if (!ExpTryToAcquireFastMutexCommon(FastMutex, Thread)) {
        KeLowerIrql(OldIrql);
        return FALSE;
    }
    FastMutex->OldIrql = EXP_FM_SAFE | OldIrql;
    return TRUE;
}

VOID NTAPI ExReleaseFastMutex(PFAST_MUTEX FastMutex)
{
    KIRQL Irql = KeGetCurrentIrql();
    KIRQL OldIrql;

    ExpCheckFastMutex(FastMutex);
    if (Irql != APC_LEVEL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, EXP_VF_FAST_MUTEX_RELEASE_IRQL, Irql, (ULONG_PTR)FastMutex, 0,
                   NULL,
                   "ExReleaseFastMutex was called at an IRQL other than APC_LEVEL (P2 the IRQL). "
                   "ExAcquireFastMutex leaves the caller at APC_LEVEL and the release must happen there.",
                   "Do not lower the IRQL while holding a fast mutex; if you raised it further, lower it back to "
                   "APC_LEVEL before releasing.");
    ExpCheckOwner(FastMutex, KeGetCurrentThread(), EXP_FM_SAFE);
    OldIrql = (KIRQL)(FastMutex->OldIrql & EXP_FM_IRQL_MASK);
    ExpReleaseFastMutexCommon(FastMutex);
    KeLowerIrql(OldIrql);
}

/* The unsafe forms rely on the caller having disabled APCs: by being at
   APC_LEVEL, or inside a critical or guarded region below it. */
static VOID ExpCheckUnsafe(PFAST_MUTEX FastMutex, PKTHREAD Thread, ULONG SubCode)
{
    KIRQL Irql = KeGetCurrentIrql();
    BOOLEAN ApcsDisabled = Irql == APC_LEVEL || Thread->KernelApcDisable != 0 || Thread->SpecialApcDisable != 0;
    if (Irql <= APC_LEVEL && ApcsDisabled)
        return;
    VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, SubCode, Irql, ExpCombinedApcDisable(Thread), (ULONG_PTR)FastMutex,
               NULL,
               SubCode == EXP_VF_UNSAFE_ACQUIRE_APCS
                   ? "ExAcquireFastMutexUnsafe was called with normal kernel APCs enabled (or above APC_LEVEL). "
                     "The unsafe form does not disable APCs itself, so an APC could run on this thread while it "
                     "holds the mutex and try to take it again (P2 IRQL, P3 the thread's APC-disable count)."
                   : "ExReleaseFastMutexUnsafe was called with normal kernel APCs enabled (or above APC_LEVEL): "
                     "the critical region that protected the mutex was left while the mutex was still held "
                     "(P2 IRQL, P3 the thread's APC-disable count).",
               "Call KeEnterCriticalRegion before ExAcquireFastMutexUnsafe and KeLeaveCriticalRegion after "
               "ExReleaseFastMutexUnsafe, or use ExAcquireFastMutex, which disables APCs for you.");
}

VOID NTAPI ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex)
{
    PKTHREAD Thread;

    ExpCheckFastMutex(FastMutex);
    Thread = KeGetCurrentThread();
    ExpCheckUnsafe(FastMutex, Thread, EXP_VF_UNSAFE_ACQUIRE_APCS);
    ExpCheckNotRecursive(FastMutex, Thread);
    ExpAcquireFastMutexCommon(FastMutex, Thread);
    FastMutex->OldIrql = EXP_FM_UNSAFE | KeGetCurrentIrql();
}

VOID NTAPI ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex)
{
    PKTHREAD Thread;

    ExpCheckFastMutex(FastMutex);
    Thread = KeGetCurrentThread();
    ExpCheckUnsafe(FastMutex, Thread, EXP_VF_UNSAFE_RELEASE_APCS);
    ExpCheckOwner(FastMutex, Thread, EXP_FM_UNSAFE);
    ExpReleaseFastMutexCommon(FastMutex);
}

VOID NTAPI KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    ExInitializeFastMutex(Mutex);
}

VOID NTAPI KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    PKTHREAD Thread;
    KIRQL Irql = KeGetCurrentIrql();

    ExpCheckFastMutex(Mutex);
    ExpCheckAcquireIrql(Mutex, Irql);
    Thread = KeGetCurrentThread();
    ExpCheckNotRecursive(Mutex, Thread);
    KeEnterGuardedRegion();
    ExpAcquireFastMutexCommon(Mutex, Thread);
    Mutex->OldIrql = EXP_FM_GUARDED | Irql;
}

BOOLEAN NTAPI KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    PKTHREAD Thread;
    KIRQL Irql = KeGetCurrentIrql();

    ExpCheckFastMutex(Mutex);
    ExpCheckAcquireIrql(Mutex, Irql);
    Thread = KeGetCurrentThread();
    KeEnterGuardedRegion();
    if (!ExpTryToAcquireFastMutexCommon(Mutex, Thread)) {
        KeLeaveGuardedRegion();
        return FALSE;
    }
    Mutex->OldIrql = EXP_FM_GUARDED | Irql;
    return TRUE;
}

VOID NTAPI KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    KIRQL Irql = KeGetCurrentIrql();

    ExpCheckFastMutex(Mutex);
    if (Irql > APC_LEVEL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, EXP_VF_FAST_MUTEX_RELEASE_IRQL, Irql, (ULONG_PTR)Mutex, 0, NULL,
                   "KeReleaseGuardedMutex was called above APC_LEVEL (P2 the IRQL).",
                   "Lower the IRQL (release any spin lock) before releasing the guarded mutex.");
    ExpCheckOwner(Mutex, KeGetCurrentThread(), EXP_FM_GUARDED);
    ExpReleaseFastMutexCommon(Mutex);
    KeLeaveGuardedRegion();
}
