/*
 * irpsim — the scheduler boundary.
 *
 * Every blocking, waking, spinning, host-thread and clock-reading operation
 * in irpsim goes through this file, so that a controlled, deterministic
 * scheduler can later take over without touching the rest.
 *
 * Free mode (the only mode today): one host mutex, the dispatcher lock,
 * protects dispatcher-object state, wait lists, thread wait state, the
 * timer heap and the DPC queues; each waiting thread sleeps on its own host
 * condition variable. KiSchedulingPoint is the hook for the controlled mode
 * and does nothing while KiControlledScheduling is 0 (it is never set yet).
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

volatile LONG KiControlledScheduling;

static PAL_MUTEX KipDispatcherLock = PAL_MUTEX_INITIALIZER;

/* Dispatcher lock. */
static LONG KipRunnableThreads;
static LONG KipDpcActivity;
static BOOLEAN KipIdleConditionReady;
static PAL_COND KipIdleCondition; /* broadcast whenever the system gets quieter */

/* The clock source. Written while no simulated thread runs (start-up),
   read from any thread: hence the atomics. */
static volatile LONG KipClockMode = IrpSimClockReal;
static volatile ULONGLONG KipHostBootNs;
static volatile LONGLONG KipBootSystemTime;
static volatile ULONGLONG KipVirtualTime;

VOID KiSchedulingPoint(ULONG Kind, const volatile VOID *Object)
{
    /* The controlled scheduler will choose the next thread here. */
    UNREFERENCED_PARAMETER(Kind);
    UNREFERENCED_PARAMETER(Object);
}

VOID KiAcquireDispatcherLock(VOID)
{
    PalMutexLock(&KipDispatcherLock);
}

VOID KiReleaseDispatcherLock(VOID)
{
    PalMutexUnlock(&KipDispatcherLock);
}

VOID KiSchedBlock(PPAL_COND Condition, ULONGLONG HostDeadlineNs)
{
    (void)PalCondWait(Condition, &KipDispatcherLock, HostDeadlineNs);
}

VOID KiSchedWake(PPAL_COND Condition)
{
    PalCondSignal(Condition);
}

VOID KiSchedWakeAll(PPAL_COND Condition)
{
    PalCondBroadcast(Condition);
}

VOID KiSchedSpin(VOID)
{
    PalThreadYield();
}

VOID KiSchedYield(VOID)
{
    PalThreadYield();
}

BOOLEAN KiSchedCreateHostThread(PPAL_THREAD_ROUTINE Routine, PVOID Context, PPAL_THREAD *HostThread)
{
    return PalThreadCreate(Routine, Context, HostThread);
}

VOID KiSchedJoinHostThread(PPAL_THREAD HostThread)
{
    PalThreadJoin(HostThread);
}

VOID KiSchedExitHostThread(VOID)
{
    PalThreadExitCurrent();
}

/* ---- runnable accounting ---- */

static VOID KipNoteQuieterLocked(VOID)
{
    if (KipIdleConditionReady)
        PalCondBroadcast(&KipIdleCondition);
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
        PalCondBroadcast(&KipIdleCondition);
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
    return (IRPSIM_CLOCK_MODE)__atomic_load_n(&KipClockMode, __ATOMIC_ACQUIRE);
}

ULONGLONG KiReadInterruptTime(VOID)
{
    if (KiClockMode() == IrpSimClockVirtual)
        return __atomic_load_n(&KipVirtualTime, __ATOMIC_ACQUIRE);
    return (PalMonotonicNs() - __atomic_load_n(&KipHostBootNs, __ATOMIC_ACQUIRE)) / 100;
}

LONGLONG KiReadSystemTime(VOID)
{
    if (KiClockMode() == IrpSimClockVirtual)
        return __atomic_load_n(&KipBootSystemTime, __ATOMIC_ACQUIRE) + (LONGLONG)KiReadInterruptTime();
    return PalSystemTime();
}

VOID KiSetVirtualTimeLocked(ULONGLONG InterruptTime)
{
    /* Time never runs backwards. */
    if (InterruptTime > __atomic_load_n(&KipVirtualTime, __ATOMIC_ACQUIRE))
        __atomic_store_n(&KipVirtualTime, InterruptTime, __ATOMIC_RELEASE);
}

ULONGLONG KiInterruptTimeToHostNs(ULONGLONG InterruptTime)
{
    ULONGLONG Boot = __atomic_load_n(&KipHostBootNs, __ATOMIC_ACQUIRE);
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
    __atomic_store_n(&KipHostBootNs, PalMonotonicNs(), __ATOMIC_RELEASE);
    __atomic_store_n(&KipBootSystemTime, PalSystemTime(), __ATOMIC_RELEASE);
    __atomic_store_n(&KipVirtualTime, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&KipClockMode, (LONG)ClockMode, __ATOMIC_RELEASE);
    KiReleaseDispatcherLock();
}

VOID KiSchedShutdown(VOID)
{
    KiAcquireDispatcherLock();
    KipDpcActivity = 0;
    KiReleaseDispatcherLock();
}
