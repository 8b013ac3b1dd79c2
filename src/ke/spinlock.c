/*
 * irpsim — spin locks (SEMANTICS 9.2).
 *
 * Real mutual exclusion between host threads: the KSPIN_LOCK word holds
 * the owning KTHREAD (0 = free) and is taken with an atomic compare and
 * exchange; a contended acquire spins through the scheduler. Each thread
 * keeps the locks it holds (KTHREAD.HeldLocks) so that a caught bug check
 * can release them, other components can ask whether a thread holds one,
 * and a DPC routine or a system thread that returns holding one is caught.
 * In-stack queued locks use the same word; they are not FIFO-fair here
 * (fairness is not observable without timing).
 *
 * Reports (all raised whether the verifier is on or not):
 *   - acquiring a lock the thread already holds: 0xF SPIN_LOCK_ALREADY_OWNED
 *     (Windows spins forever);
 *   - releasing a lock not held, or held by another thread: 0x10
 *     SPIN_LOCK_NOT_OWNED (P1 lock, P2 owner);
 *   - KeAcquireSpinLock above DISPATCH_LEVEL 0xC4/0x42; the AtDpcLevel
 *     routines below DISPATCH_LEVEL 0xC4/0x40 (acquire) and 0x41 (release);
 *     KeReleaseSpinLock / KeReleaseInStackQueuedSpinLock not at
 *     DISPATCH_LEVEL 0xC4/0x32 (often a double release);
 *   - releasing an in-stack queued acquisition with KeReleaseSpinLock(...)
 *     or an ordinary one with the queued routines: 0xC4/0x1009;
 *   - a lock word that holds neither 0 nor a live thread (never
 *     initialised with KeInitializeSpinLock), noticed after a long spin:
 *     0xC4/0x1002.
 */
#include "ki.h"
#include "../verifier/vf.h"

#include <stdlib.h>

#define KIP_SPINS_BEFORE_CHECK 65536u

static VOID KipTrackLock(PKTHREAD Thread, PKSPIN_LOCK Lock, BOOLEAN Queued)
{
    if (Thread->HeldLockCount == Thread->HeldLockCapacity) {
        ULONG NewCapacity = Thread->HeldLockCapacity ? Thread->HeldLockCapacity * 2 : 8;
        PKI_HELD_LOCK Grown = (PKI_HELD_LOCK)realloc(Thread->HeldLocks, NewCapacity * sizeof(*Grown));
        if (Grown == NULL) {
            fprintf(stderr, "irpsim: out of host memory tracking spin locks\n");
            PalAbort();
        }
        Thread->HeldLocks = Grown;
        Thread->HeldLockCapacity = NewCapacity;
    }
    Thread->HeldLocks[Thread->HeldLockCount].Lock = Lock;
    Thread->HeldLocks[Thread->HeldLockCount].Queued = Queued;
    Thread->HeldLockCount++;
}

/* Index of Lock in Thread's held locks, or -1. */
static LONG KipFindHeldLock(PKTHREAD Thread, PKSPIN_LOCK Lock)
{
    for (ULONG i = Thread->HeldLockCount; i > 0; i--) {
        if (Thread->HeldLocks[i - 1].Lock == Lock)
            return (LONG)(i - 1);
    }
    return -1;
}

BOOLEAN KiThreadHoldsSpinLock(PKTHREAD Thread, PKSPIN_LOCK Lock)
{
    return KipFindHeldLock(Thread, Lock) >= 0;
}

ULONG KiHeldSpinLockCount(PKTHREAD Thread)
{
    return Thread->HeldLockCount;
}

VOID KiReleaseHeldSpinLocks(PKTHREAD Thread)
{
    for (ULONG i = 0; i < Thread->HeldLockCount; i++) {
        ULONG_PTR Expected = (ULONG_PTR)Thread;
        PAL_ATOMIC_COMPARE_EXCHANGE(Thread->HeldLocks[i].Lock, &Expected, 0, FALSE, PAL_ORDER_RELEASE,
                                    PAL_ORDER_RELAXED);
    }
    Thread->HeldLockCount = 0;
}

/* TRUE if Owner is a thread that exists (dispatcher lock taken here). */
static BOOLEAN KipIsLiveThread(ULONG_PTR Owner)
{
    BOOLEAN Found = FALSE;
    KiAcquireDispatcherLock();
    for (PLIST_ENTRY Entry = KiThreadListHead.Flink; Entry != &KiThreadListHead; Entry = Entry->Flink) {
        if ((ULONG_PTR)CONTAINING_RECORD(Entry, KTHREAD, ThreadListEntry) == Owner) {
            Found = TRUE;
            break;
        }
    }
    KiReleaseDispatcherLock();
    return Found;
}

static VOID KipAcquire(PKTHREAD Thread, PKSPIN_LOCK Lock, BOOLEAN Queued)
{
    ULONG_PTR Self = (ULONG_PTR)Thread;
    ULONG Spins = 0;

    IRPSIM_SCHED_POINT(KI_SCHED_POINT_SPINLOCK, Lock);
    if (PAL_ATOMIC_LOAD(Lock, PAL_ORDER_RELAXED) == Self)
        VfBugCheck(SPIN_LOCK_ALREADY_OWNED, (ULONG_PTR)Lock, 0, 0, 0, NULL, NULL, NULL);
    for (;;) {
        ULONG_PTR Expected = 0;
        if (PAL_ATOMIC_COMPARE_EXCHANGE(Lock, &Expected, Self, FALSE, PAL_ORDER_ACQUIRE, PAL_ORDER_RELAXED))
            break;
        if (++Spins % KIP_SPINS_BEFORE_CHECK == 0 && !KipIsLiveThread(Expected) &&
            PAL_ATOMIC_LOAD(Lock, PAL_ORDER_RELAXED) == Expected)
            VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KI_VF_UNINITIALIZED, (ULONG_PTR)Lock, Expected, 0, NULL,
                       "A spin lock holds a value that is not a thread: it was never initialised with "
                       "KeInitializeSpinLock (or the memory was overwritten or freed). Windows would spin forever.",
                       "Call KeInitializeSpinLock before the first acquire, and keep the lock in memory that outlives "
                       "every user.");
        KiSchedSpin();
    }
    KipTrackLock(Thread, Lock, Queued);
}

static VOID KipRelease(PKTHREAD Thread, PKSPIN_LOCK Lock, BOOLEAN Queued)
{
    ULONG_PTR Owner = PAL_ATOMIC_LOAD(Lock, PAL_ORDER_RELAXED);
    LONG Index;

    if (Owner != (ULONG_PTR)Thread)
        VfBugCheck(SPIN_LOCK_NOT_OWNED, (ULONG_PTR)Lock, Owner, 0, 0, NULL, NULL, NULL);
    Index = KipFindHeldLock(Thread, Lock);
    if (Index >= 0 && Thread->HeldLocks[Index].Queued != Queued)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KI_VF_MISMATCHED_RELEASE, (ULONG_PTR)Lock, Queued, 0, NULL,
                   Queued ? "A spin lock acquired with KeAcquireSpinLock(...) was released with an in-stack queued "
                            "release routine."
                          : "A spin lock acquired with KeAcquireInStackQueuedSpinLock(...) was released with "
                            "KeReleaseSpinLock(...).",
                   "Release a lock with the routine family that acquired it; never mix ordinary and in-stack "
                   "queued calls on one lock.");
    if (Index >= 0) {
        Thread->HeldLocks[Index] = Thread->HeldLocks[Thread->HeldLockCount - 1];
        Thread->HeldLockCount--;
    }
    PAL_ATOMIC_STORE(Lock, 0, PAL_ORDER_RELEASE);
    IRPSIM_SCHED_POINT(KI_SCHED_POINT_SPINLOCK, Lock);
}

static VOID KipCheckAcquireIrql(PKTHREAD Thread, PKSPIN_LOCK Lock)
{
    if (Thread->Irql > DISPATCH_LEVEL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x42, Thread->Irql, (ULONG_PTR)Lock, 0, NULL, NULL, NULL);
}

static VOID KipCheckReleaseIrql(PKTHREAD Thread, PKSPIN_LOCK Lock)
{
    if (Thread->Irql != DISPATCH_LEVEL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x32, Thread->Irql, (ULONG_PTR)Lock, 0, NULL, NULL, NULL);
}

static VOID KipCheckAtDpcLevel(PKTHREAD Thread, PKSPIN_LOCK Lock, ULONG SubCode)
{
    if (Thread->Irql < DISPATCH_LEVEL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, SubCode, Thread->Irql, (ULONG_PTR)Lock, 0, NULL, NULL, NULL);
}

VOID NTAPI KeInitializeSpinLock(PKSPIN_LOCK SpinLock)
{
    PAL_ATOMIC_STORE(SpinLock, 0, PAL_ORDER_RELEASE);
}

KIRQL NTAPI KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)
{
    PKTHREAD Thread = KiGetCurrentThread();
    KIRQL OldIrql;
    KipCheckAcquireIrql(Thread, SpinLock);
    OldIrql = KiRaiseIrqlReturnOld(DISPATCH_LEVEL);
    KipAcquire(Thread, SpinLock, FALSE);
    return OldIrql;
}

VOID NTAPI KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql)
{
    *OldIrql = KeAcquireSpinLockRaiseToDpc(SpinLock);
}

VOID NTAPI KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
    PKTHREAD Thread = KiGetCurrentThread();
    KipCheckReleaseIrql(Thread, SpinLock);
    KipRelease(Thread, SpinLock, FALSE);
    KeLowerIrql(NewIrql);
}

VOID NTAPI KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    PKTHREAD Thread = KiGetCurrentThread();
    KipCheckAtDpcLevel(Thread, SpinLock, 0x40);
    KipAcquire(Thread, SpinLock, FALSE);
}

VOID NTAPI KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
    PKTHREAD Thread = KiGetCurrentThread();
    KipCheckAtDpcLevel(Thread, SpinLock, 0x41);
    KipRelease(Thread, SpinLock, FALSE);
}

BOOLEAN NTAPI KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    PKTHREAD Thread = KiGetCurrentThread();
    ULONG_PTR Expected = 0;
    KipCheckAtDpcLevel(Thread, SpinLock, 0x40);
    IRPSIM_SCHED_POINT(KI_SCHED_POINT_SPINLOCK, SpinLock);
    if (PAL_ATOMIC_LOAD(SpinLock, PAL_ORDER_RELAXED) == (ULONG_PTR)Thread)
        VfBugCheck(SPIN_LOCK_ALREADY_OWNED, (ULONG_PTR)SpinLock, 0, 0, 0, NULL, NULL, NULL);
    if (!PAL_ATOMIC_COMPARE_EXCHANGE(SpinLock, &Expected, (ULONG_PTR)Thread, FALSE, PAL_ORDER_ACQUIRE,
                                     PAL_ORDER_RELAXED))
        return FALSE;
    KipTrackLock(Thread, SpinLock, FALSE);
    return TRUE;
}

BOOLEAN NTAPI KeTestSpinLock(PKSPIN_LOCK SpinLock)
{
    /* TRUE when the lock is free (an acquire would likely succeed). */
    IRPSIM_SCHED_POINT(KI_SCHED_POINT_SPINLOCK, SpinLock);
    return PAL_ATOMIC_LOAD(SpinLock, PAL_ORDER_ACQUIRE) == 0;
}

VOID NTAPI KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)
{
    PKTHREAD Thread = KiGetCurrentThread();
    KipCheckAcquireIrql(Thread, SpinLock);
    LockHandle->LockQueue.Next = NULL;
    LockHandle->LockQueue.Lock = SpinLock;
    LockHandle->OldIrql = KiRaiseIrqlReturnOld(DISPATCH_LEVEL);
    KipAcquire(Thread, SpinLock, TRUE);
}

VOID NTAPI KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle)
{
    PKTHREAD Thread = KiGetCurrentThread();
    PKSPIN_LOCK SpinLock = LockHandle->LockQueue.Lock;
    KipCheckReleaseIrql(Thread, SpinLock);
    KipRelease(Thread, SpinLock, TRUE);
    KeLowerIrql(LockHandle->OldIrql);
}

VOID NTAPI KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)
{
    PKTHREAD Thread = KiGetCurrentThread();
    KipCheckAtDpcLevel(Thread, SpinLock, 0x40);
    LockHandle->LockQueue.Next = NULL;
    LockHandle->LockQueue.Lock = SpinLock;
    KipAcquire(Thread, SpinLock, TRUE);
}

VOID NTAPI KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle)
{
    PKTHREAD Thread = KiGetCurrentThread();
    PKSPIN_LOCK SpinLock = LockHandle->LockQueue.Lock;
    KipCheckAtDpcLevel(Thread, SpinLock, 0x41);
    KipRelease(Thread, SpinLock, TRUE);
}
