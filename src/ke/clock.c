/*
 * irpsim — the clock: time queries, the clock thread, and the virtual clock
 * controls (IrpSimAdvanceTime, IrpSimRunUntilIdle).
 *
 * Interrupt time starts at 0 when the machine starts. The clock mode comes
 * from IRPSIM_CONFIG.ClockMode; the environment variable IRPSIM_CLOCK=real
 * or IRPSIM_CLOCK=virtual overrides it.
 *
 * Real clock: interrupt time follows the host's monotonic clock and system
 * time its wall clock. A clock thread sleeps until the earliest timer or
 * wait timeout is due and expires it.
 *
 * Virtual clock: time stands still until IrpSimAdvanceTime moves it, or —
 * auto-advance (IRPSIM_CONFIG.AutoAdvance) — until every simulated thread is
 * blocked in an irpsim wait and no DPC is queued or running; then the clock
 * thread jumps to the next deadline (a timer or a wait timeout) and expires
 * it. At one instant, the DPCs of expiring timers run before a thread whose
 * wait times out at that instant is woken (timer.c). A driver that waits
 * 3 s per request finishes at once. System time is
 * the host's wall clock at start-up plus interrupt time. If everything is
 * blocked for good and only periodic timers without waiters remain, time
 * keeps jumping from one period to the next (as it would pass on Windows):
 * the test hangs there rather than deadlocking silently elsewhere.
 *
 * Time keeps its resolution: timers expire exactly at their due time, not
 * rounded to the 15.6 ms clock tick (KeQueryTimeIncrement still reports
 * 156250, and KeQueryTickCount counts ticks of that length). KeQuerySystemTime
 * is as precise as KeQuerySystemTimePrecise.
 */
#include "ki.h"
#include "../verifier/vf.h"

#define KI_TIME_INCREMENT 156250UL       /* 15.625 ms in 100 ns units */
#define KI_PERFORMANCE_FREQUENCY 10000000LL /* the performance counter counts 100 ns */

/* Dispatcher lock. */
static BOOLEAN KipClockConditionReady;
static PAL_COND KipClockCondition;
static BOOLEAN KipClockRunning;
static BOOLEAN KipClockStop;
static BOOLEAN KipAutoAdvance;
static PPAL_THREAD KipClockThread;

VOID KiClockNotifyLocked(VOID)
{
    if (KipClockRunning)
        KiSchedWake(&KipClockCondition);
}

/* One step of the virtual clock; dispatcher lock held. TRUE if it moved. */
static BOOLEAN KipAutoAdvanceLocked(VOID)
{
    ULONGLONG Due;
    if (!KipAutoAdvance || !KiSchedIsIdleLocked(0) || !KiNextTimerDueLocked(&Due))
        return FALSE;
    KiSetVirtualTimeLocked(Due);
    KiExpireTimersLocked(KiReadInterruptTime());
    return TRUE;
}

static void KipClockMain(void *Context)
{
    UNREFERENCED_PARAMETER(Context);
    KiAcquireDispatcherLock();
    while (!KipClockStop) {
        if (KiClockMode() == IrpSimClockVirtual) {
            if (KipAutoAdvanceLocked())
                continue;
            KiSchedBlock(&KipClockCondition, 0);
        } else {
            ULONGLONG Due;
            ULONGLONG Now = KiReadInterruptTime();
            if (!KiNextTimerDueLocked(&Due)) {
                KiSchedBlock(&KipClockCondition, 0);
                continue;
            }
            if (Due <= Now) {
                KiExpireTimersLocked(Now);
                continue;
            }
            KiSchedBlock(&KipClockCondition, KiInterruptTimeToHostNs(Due));
        }
    }
    KiReleaseDispatcherLock();
}

NTSTATUS KiStartClock(BOOLEAN AutoAdvance)
{
    PPAL_THREAD Thread;
    if (KiSchedControlled()) return STATUS_SUCCESS; /* schedule exploration: its scheduler expires timers */
    KiAcquireDispatcherLock();
    if (!KipClockConditionReady) {
        PalCondInitialize(&KipClockCondition);
        KipClockConditionReady = TRUE;
    }
    KipAutoAdvance = AutoAdvance;
    KipClockStop = FALSE;
    KipClockRunning = TRUE;
    KiReleaseDispatcherLock();
    if (!KiSchedCreateHostThread(KipClockMain, NULL, &Thread)) {
        KiAcquireDispatcherLock();
        KipClockRunning = FALSE;
        KiReleaseDispatcherLock();
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    KiAcquireDispatcherLock();
    KipClockThread = Thread;
    KiReleaseDispatcherLock();
    return STATUS_SUCCESS;
}

VOID KiStopClock(VOID)
{
    PPAL_THREAD Thread;
    KiAcquireDispatcherLock();
    Thread = KipClockThread;
    KipClockThread = NULL;
    KipClockStop = TRUE;
    if (KipClockRunning)
        KiSchedWake(&KipClockCondition);
    KiReleaseDispatcherLock();
    if (Thread != NULL)
        KiSchedJoinHostThread(Thread);
    KiAcquireDispatcherLock();
    KipClockRunning = FALSE;
    KiReleaseDispatcherLock();
}

/* ---- time queries ---- */

VOID NTAPI KeQuerySystemTime(PLARGE_INTEGER CurrentTime)
{
    CurrentTime->QuadPart = KiReadSystemTime();
}

VOID NTAPI KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime)
{
    CurrentTime->QuadPart = KiReadSystemTime();
}

ULONGLONG NTAPI KeQueryInterruptTime(VOID)
{
    return KiReadInterruptTime();
}

ULONGLONG NTAPI KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp)
{
    ULONGLONG Now = KiReadInterruptTime();
    if (QpcTimeStamp != NULL)
        *QpcTimeStamp = Now; /* the performance counter ticks in 100 ns too */
    return Now;
}

ULONGLONG NTAPI KeQueryUnbiasedInterruptTime(VOID)
{
    /* The simulated machine never sleeps, so nothing is left out. */
    return KiReadInterruptTime();
}

VOID NTAPI KeQueryTickCount(PLARGE_INTEGER CurrentCount)
{
    CurrentCount->QuadPart = (LONGLONG)(KiReadInterruptTime() / KI_TIME_INCREMENT);
}

ULONG NTAPI KeQueryTimeIncrement(VOID)
{
    return KI_TIME_INCREMENT;
}

LARGE_INTEGER NTAPI KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency)
{
    LARGE_INTEGER Counter;
    if (PerformanceFrequency != NULL)
        PerformanceFrequency->QuadPart = KI_PERFORMANCE_FREQUENCY;
    Counter.QuadPart = (LONGLONG)KiReadInterruptTime();
    return Counter;
}

/* ---- the simulator's controls ---- */

IRPSIM_CLOCK_MODE IrpSimGetClockMode(VOID)
{
    return KiClockMode();
}

/* The caller of the time controls: a thread at PASSIVE_LEVEL outside a DPC. */
static PKTHREAD KipControlCaller(PCSTR Routine)
{
    PKTHREAD Thread;
    if (!KiIsSystemRunning())
        VfBugCheck(IRPSIM_INVALID_USE, (ULONG_PTR)Routine, 0, 0, 0, NULL,
                   "An irpsim time control was called while the simulated machine is not running.",
                   "Call IrpSimInitialize first.");
    Thread = KiGetCurrentThread();
    if (Thread->Irql != PASSIVE_LEVEL || Thread->InDpc)
        VfBugCheck(IRPSIM_INVALID_USE, (ULONG_PTR)Routine, Thread->Irql, 0, 0, NULL,
                   "IrpSimAdvanceTime and IrpSimRunUntilIdle wait for DPCs and threads to finish, so they must be "
                   "called at PASSIVE_LEVEL from a test thread, never from a DPC or with a spin lock held.",
                   "Call it from the test body.");
    return Thread;
}

/* Expires what is due; then, when Target is given, steps the virtual clock
   from deadline to deadline up to *Target, letting threads and DPCs settle
   after each step. Returns when nothing is due by *Target. */
static VOID KipRunTimers(PKTHREAD Self, const ULONGLONG *Target)
{
    for (;;) {
        ULONGLONG Due;
        BOOLEAN Step = FALSE;
        KiSchedWaitForIdle(Self);
        KiAcquireDispatcherLock();
        if (KiNextTimerDueLocked(&Due)) {
            ULONGLONG Now = KiReadInterruptTime();
            if (Due <= Now) {
                Step = TRUE;
            } else if (Target != NULL && Due <= *Target && KiClockMode() == IrpSimClockVirtual) {
                KiSetVirtualTimeLocked(Due);
                Step = TRUE;
            }
            if (Step)
                KiExpireTimersLocked(KiReadInterruptTime());
        }
        KiReleaseDispatcherLock();
        if (!Step)
            return;
    }
}

NTSTATUS IrpSimAdvanceTime(LONGLONG Interval)
{
    PKTHREAD Self = KipControlCaller("IrpSimAdvanceTime");
    ULONGLONG Now;
    ULONGLONG Target;

    if (KiClockMode() != IrpSimClockVirtual)
        return STATUS_INVALID_DEVICE_STATE;
    if (Interval < 0)
        return STATUS_INVALID_PARAMETER;
    Now = KiReadInterruptTime();
    Target = (ULONGLONG)Interval > ~0ULL - Now ? ~0ULL : Now + (ULONGLONG)Interval;
    KipRunTimers(Self, &Target);
    KiAcquireDispatcherLock();
    KiSetVirtualTimeLocked(Target);
    KiReleaseDispatcherLock();
    return STATUS_SUCCESS;
}

VOID IrpSimRunUntilIdle(LONGLONG MaxInterval)
{
    PKTHREAD Self = KipControlCaller("IrpSimRunUntilIdle");
    if (KiClockMode() == IrpSimClockVirtual && MaxInterval > 0) {
        ULONGLONG Now = KiReadInterruptTime();
        ULONGLONG Target = (ULONGLONG)MaxInterval > ~0ULL - Now ? ~0ULL : Now + (ULONGLONG)MaxInterval;
        KipRunTimers(Self, &Target);
    } else {
        KipRunTimers(Self, NULL);
    }
}
