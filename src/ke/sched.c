/*
 * irpsim — the scheduler boundary.
 *
 * Every blocking, waking, spinning, host-thread and clock-reading operation
 * in irpsim goes through this file, so that the controlled scheduler can
 * take over without touching the rest.
 *
 * Free mode (what every ordinary test uses): one host mutex, the dispatcher
 * lock, protects dispatcher-object state, wait lists, thread wait state, the
 * timer heap and the DPC queues; each waiting thread sleeps on its own host
 * condition variable. KiSchedulingPoint does nothing.
 *
 * Controlled mode (schedule exploration, exploresched.c): while KiCtlActive
 * is set, blocks, wakes, spins, yields, host threads and scheduling points
 * are handed to the controlled scheduler, which lets one simulated thread
 * or DPC run at a time; the dispatcher lock stays the one lock around all
 * of it. The clock is always virtual then. A host thread irpsim did not
 * start that takes the dispatcher lock in controlled mode is stopped at the
 * gate (it would run outside the schedule).
 *
 * Runnable accounting: a simulated thread counts as runnable unless it is
 * blocked in an irpsim wait. Processor (DPC) threads are not counted; the
 * DPCs queued or running are. "Idle" — nothing runnable and no DPC
 * activity — is what lets the virtual clock jump to the next deadline and
 * what IrpSimRunUntilIdle waits for. A host thread that has used irpsim and
 * is now blocked outside it (in pthread_join, say) counts as runnable, so
 * it holds virtual time still.
 */
#include "ki.h"
#include "explore.h"

volatile LONG KiControlledScheduling;

static PAL_MUTEX KipDispatcherLock = PAL_MUTEX_INITIALIZER;
/* The calling host thread holds the dispatcher lock: a scheduling point
   cannot switch threads there, and a new host thread must not take it. */
static IRPSIM_THREAD_LOCAL BOOLEAN KipHoldsDispatcherLock;

/* Dispatcher lock. */
static LONG KipRunnableThreads;
static LONG KipDpcActivity;
static BOOLEAN KipIdleConditionReady;
static PAL_COND KipIdleCondition; /* broadcast whenever the system gets quieter */

/* 2024-01-01 00:00:00 UTC as system time (100 ns units since 1601). */
#define KIP_CONTROLLED_BOOT_TIME 133485408000000000LL

/* The clock source. Written while no simulated thread runs (start-up),
   read from any thread: hence the atomics. */
static volatile LONG KipClockMode = IrpSimClockReal;
static volatile ULONGLONG KipHostBootNs;
static volatile LONGLONG KipBootSystemTime;
static volatile ULONGLONG KipVirtualTime;

static BOOLEAN KipControlled(VOID)
{
    return IRPSIM_ATOMIC_LOAD_ACQUIRE(&KiCtlActive) != 0;
}

BOOLEAN KiSchedControlled(VOID)
{
    return KipControlled();
}

VOID KiSchedulingPoint(ULONG Kind, const volatile VOID *Object)
{
    /* Inside the dispatcher lock nobody may be switched to: the point is
       the lock's own acquire or release, already a point of its caller. */
    if (KipHoldsDispatcherLock || !KipControlled())
        return;
    KiCtlSchedulingPoint(Kind, Object);
}

VOID KiAcquireDispatcherLock(VOID)
{
    PalMutexLock(&KipDispatcherLock);
    KipHoldsDispatcherLock = TRUE;
    if (KipControlled())
        KiCtlGateLocked();
}

VOID KiReleaseDispatcherLock(VOID)
{
    KipHoldsDispatcherLock = FALSE;
    PalMutexUnlock(&KipDispatcherLock);
}

BOOLEAN KiSchedHoldsDispatcherLock(VOID)
{
    return KipHoldsDispatcherLock;
}

VOID KiSchedHostWaitLocked(PPAL_COND Condition)
{
    (void)PalCondWait(Condition, &KipDispatcherLock, 0);
}

VOID KiSchedBlock(PPAL_COND Condition, ULONGLONG HostDeadlineNs)
{
    if (KipControlled()) {
        /* Virtual time only: a host deadline has no meaning here. */
        KiCtlBlockLocked(Condition);
        return;
    }
    (void)PalCondWait(Condition, &KipDispatcherLock, HostDeadlineNs);
}

VOID KiSchedWake(PPAL_COND Condition)
{
    if (KipControlled()) {
        KiCtlWakeLocked(Condition);
        return;
    }
    PalCondSignal(Condition);
}

VOID KiSchedWakeAll(PPAL_COND Condition)
{
    if (KipControlled()) {
        KiCtlWakeLocked(Condition);
        return;
    }
    PalCondBroadcast(Condition);
}

VOID KiSchedSpin(VOID)
{
    if (KipControlled()) {
        KiCtlYield(TRUE);
        return;
    }
    PalThreadYield();
}

VOID KiSchedYield(VOID)
{
    if (KipControlled()) {
        KiCtlYield(FALSE);
        return;
    }
    PalThreadYield();
}

BOOLEAN KiSchedCreateHostThread(PPAL_THREAD_ROUTINE Routine, PVOID Context, PPAL_THREAD *HostThread)
{
    if (KipControlled())
        return KiCtlCreateHostThread(Routine, Context, HostThread, KipHoldsDispatcherLock);
    return PalThreadCreate(Routine, Context, HostThread);
}

VOID KiSchedJoinHostThread(PPAL_THREAD HostThread)
{
    if (KipControlled()) {
        KiCtlJoinHostThread(HostThread);
        return;
    }
    PalThreadJoin(HostThread);
}

VOID KiSchedExitHostThread(VOID)
{
    if (KipControlled())
        KiCtlExitHostThread();
    PalThreadExitCurrent();
}

/* ---- runnable accounting ---- */

static VOID KipNoteQuieterLocked(VOID)
{
    if (KipIdleConditionReady)
        KiSchedWakeAll(&KipIdleCondition);
    KiClockNotifyLocked();
}

VOID KiSchedThreadReadyLocked(PKTHREAD Thread)
{
    if (Thread->IsProcessorThread || Thread->CountedRunnable)
        return;
    Thread->CountedRunnable = TRUE;
    KipRunnableThreads++;
}

VOID KiSchedThreadBlockedLocked(PKTHREAD Thread)
{
    if (!Thread->CountedRunnable)
        return;
    Thread->CountedRunnable = FALSE;
    KipRunnableThreads--;
    KipNoteQuieterLocked();
}

VOID KiSchedDpcActivityLocked(LONG Delta)
{
    KipDpcActivity += Delta;
    if (Delta < 0)
        KipNoteQuieterLocked();
}

BOOLEAN KiSchedIsIdleLocked(LONG RunnableAllowed)
{
    return KipRunnableThreads <= RunnableAllowed && KipDpcActivity == 0;
}

BOOLEAN KiSchedDpcPendingLocked(VOID)
{
    return KipDpcActivity != 0;
}

BOOLEAN KiThreadCanProgress(PKTHREAD Thread)
{
    BOOLEAN Progress;
    KiAcquireDispatcherLock();
    Progress = !Thread->Waiting && Thread->Header.SignalState == 0;
    KiReleaseDispatcherLock();
    return Progress;
}

VOID KiSchedWaitForIdle(PKTHREAD Self)
{
    KiAcquireDispatcherLock();
    for (;;) {
        if (Self->BugCheckCatch != NULL && KiForeignBugCheckPending()) {
            /* A bug check on another thread is waiting for our catch frame. */
            KiReleaseDispatcherLock();
            KiRaiseForeignBugCheckIfPending();
            KiAcquireDispatcherLock();
            continue;
        }
        if (KiSchedIsIdleLocked(Self->CountedRunnable ? 1 : 0))
            break;
        KiSchedBlock(&KipIdleCondition, 0);
    }
    KiReleaseDispatcherLock();
}

/* Wakes anyone waiting for idleness so they re-check (used by KiWakeAllWaiters). */
static VOID KipWakeIdleWaitersLocked(VOID)
{
    if (KipIdleConditionReady)
        KiSchedWakeAll(&KipIdleCondition);
}

VOID KiWakeAllWaiters(VOID)
{
    KiAcquireDispatcherLock();
    for (PLIST_ENTRY Entry = KiThreadListHead.Flink; Entry != &KiThreadListHead; Entry = Entry->Flink) {
        PKTHREAD Thread = CONTAINING_RECORD(Entry, KTHREAD, ThreadListEntry);
        if (Thread->Waiting)
            KiUnwaitThreadLocked(Thread, STATUS_KERNEL_APC);
    }
    KipWakeIdleWaitersLocked();
    KiReleaseDispatcherLock();
}

/* ---- the clock source ---- */

IRPSIM_CLOCK_MODE KiClockMode(VOID)
{
    return (IRPSIM_CLOCK_MODE)PAL_ATOMIC_LOAD(&KipClockMode, PAL_ORDER_ACQUIRE);
}

ULONGLONG KiReadInterruptTime(VOID)
{
    if (KiClockMode() == IrpSimClockVirtual)
        return PAL_ATOMIC_LOAD(&KipVirtualTime, PAL_ORDER_ACQUIRE);
    return (PalMonotonicNs() - PAL_ATOMIC_LOAD(&KipHostBootNs, PAL_ORDER_ACQUIRE)) / 100;
}

LONGLONG KiReadSystemTime(VOID)
{
    if (KiClockMode() == IrpSimClockVirtual)
        return PAL_ATOMIC_LOAD(&KipBootSystemTime, PAL_ORDER_ACQUIRE) + (LONGLONG)KiReadInterruptTime();
    return PalSystemTime();
}

VOID KiSetVirtualTimeLocked(ULONGLONG InterruptTime)
{
    /* Time never runs backwards. */
    if (InterruptTime > PAL_ATOMIC_LOAD(&KipVirtualTime, PAL_ORDER_ACQUIRE))
        PAL_ATOMIC_STORE(&KipVirtualTime, InterruptTime, PAL_ORDER_RELEASE);
}

ULONGLONG KiInterruptTimeToHostNs(ULONGLONG InterruptTime)
{
    ULONGLONG Boot = PAL_ATOMIC_LOAD(&KipHostBootNs, PAL_ORDER_ACQUIRE);
    if (InterruptTime > (~0ULL - Boot) / 100)
        return ~0ULL;
    return Boot + InterruptTime * 100;
}

VOID KiSchedInitialize(IRPSIM_CLOCK_MODE ClockMode)
{
    KiAcquireDispatcherLock();
    if (!KipIdleConditionReady) {
        /* Condition variables live for the whole process. */
        PalCondInitialize(&KipIdleCondition);
        KipIdleConditionReady = TRUE;
    }
    KipDpcActivity = 0;
    PAL_ATOMIC_STORE(&KipHostBootNs, PalMonotonicNs(), PAL_ORDER_RELEASE);
    PAL_ATOMIC_STORE(&KipBootSystemTime, PalSystemTime(), PAL_ORDER_RELEASE);
    if (KipControlled()) {
        /* Host time would make a controlled run depend on the host: the
           clock is virtual and the machine always boots at the same date. */
        ClockMode = IrpSimClockVirtual;
        IRPSIM_ATOMIC_STORE_RELEASE(&KipBootSystemTime, KIP_CONTROLLED_BOOT_TIME);
    }
    PAL_ATOMIC_STORE(&KipVirtualTime, 0, PAL_ORDER_RELEASE);
    PAL_ATOMIC_STORE(&KipClockMode, (LONG)ClockMode, PAL_ORDER_RELEASE);
    KiReleaseDispatcherLock();
}

VOID KiSchedShutdown(VOID)
{
    KiAcquireDispatcherLock();
    KipDpcActivity = 0;
    KiReleaseDispatcherLock();
}
