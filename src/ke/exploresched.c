/*
 * irpsim — the controlled scheduler of schedule exploration.
 *
 * While a run is active every simulated thread — the body's thread, each
 * processor's DPC thread, system and worker threads — is a task, and only
 * the task holding the baton executes; the others wait on their own host
 * condition variable until they are chosen. The baton moves only here:
 *   - at a scheduling point (KiSchedulingPoint, body phase only), where the
 *     task may be preempted;
 *   - when the task blocks (KiSchedBlock: a wait, an idle processor, a
 *     join), yields (a zero delay) or spins on a taken spin lock — the next
 *     task is chosen among the others;
 *   - when the task ends.
 * A wake (KiSchedWake) only marks the blocked task ready; it runs when it
 * is chosen. All of it is under the dispatcher lock, which stays the one
 * host lock of the scheduler.
 *
 * Who may run: a ready task, limited by the simulated processors. A thread
 * at DISPATCH_LEVEL or above, or a processor in the middle of a DPC, holds
 * a processor; a thread at PASSIVE/APC_LEVEL can run only while some
 * processor is free; a processor's DPCs can start only while no thread
 * whose processor it is sits at DISPATCH_LEVEL (a DPC never interrupts
 * raised IRQL on its own processor). A task that spins or yields is passed
 * over while anyone else can run.
 *
 * Time is virtual. Whenever a timer or a wait timeout is pending, "the
 * clock" is one more choice: choosing it jumps to the earliest deadline and
 * expires what is due there, so a timeout can fire between any two steps
 * of the other threads — but not twice in a row past a thread or DPC that
 * could have run (time does not race past a ready processor on a real
 * machine either). When nothing can run the clock is the only choice;
 * when nothing can run and no timer is left, the body is deadlocked: the
 * report lists what each thread waits for.
 *
 * Phases of a run: start-up (IrpSimInitialize), settling (every other task
 * runs until it blocks, so the body starts from the same quiet machine each
 * time), the body (choices come from the strategy and are recorded), and
 * shutdown (IrpSimShutdown). Outside the body the choice is always the
 * default one: the running task goes on while it can, then the lowest
 * numbered, the clock last.
 *
 * Ending a schedule early (a deadlock, a livelock, IrpSimExploreFail, a
 * replay that went off its track, a bug check on a thread other than the
 * body's): only the body's task is run from then on; at its next stop it
 * unwinds to the body's catch frame, with its spin locks, IRQL and __try
 * frames reset as for a caught bug check.
 *
 * Kernel APCs: a host thread cannot be interrupted, so in free mode a
 * thread runs its kernel APCs at its next wait or IRQL drop. In a
 * controlled run the thread also runs them whenever it resumes at a
 * scheduling point at PASSIVE_LEVEL — as Windows interrupts a running
 * thread to deliver them — so "the completion APC ran between these two
 * lines" is a schedule too.
 *
 * If start-up or shutdown deadlocks, or a task is left at the end, the run
 * falls back to free mode (reported on stderr): every task is released and
 * the host schedules them again.
 */
#include "../rtl/text.h"
#include "explore.h"
#include "except.h"
#include "../verifier/vf.h"
#include <irpsim/trace.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum _KI_TASK_STATE { KiTaskReady, KiTaskBlocked, KiTaskFinished } KI_TASK_STATE;

typedef enum _KI_CTL_PHASE { KiPhaseStart, KiPhaseSettle, KiPhaseBody, KiPhaseShutdown } KI_CTL_PHASE;

/* Where a task stopped, beyond the scheduling-point kinds of ke.h. */
#define KIP_STOP_BLOCK 100
#define KIP_STOP_SPIN 101
#define KIP_STOP_YIELD 102
#define KIP_STOP_START 103

/* Timer expiries a task that could run may be passed over for. More
   would let virtual time race past a ready thread or a queued DPC, which
   no machine does (a DPC starved for seconds of timer ticks). */
#define KIP_CLOCK_FAIRNESS 1u

/* Consecutive spins with nothing else happening: nobody is coming. */
#define KIP_MAX_SPIN_STREAK 100000u
/* Consecutive timer expiries while nothing at all can run: only periodic
   timers without a DPC or a waiter are left. */
#define KIP_MAX_IDLE_FIRES 1000000u

typedef struct _KI_TASK {
    USHORT Number;
    KI_TASK_STATE State;
    BOOLEAN Started;  /* runs a routine KiCtlCreateHostThread started */
    ULONG Generation; /* the run it belongs to */
    PAL_COND Baton;   /* its host thread waits here for its turn */
    PAL_COND Ended;   /* only the address is used: joiners block on it */
    PPAL_COND BlockedOn;
    PKTHREAD Thread;  /* refreshed each time the task stops; NULL when unknown */
    PPAL_THREAD Host;
    PPAL_THREAD_ROUTINE Routine;
    PVOID Context;
    ULONG ClockFiresWaited; /* timer expiries it could have run before, since it last ran */
    ULONG StopKind; /* where it stopped last, for reports */
    ULONG ThreadId;
    CHAR Role[40];
} KI_TASK, *PKI_TASK;

typedef struct _KI_CTL {
    KI_CTL_PHASE Phase;
    PKI_TASK Tasks[KI_MAX_TASKS];
    ULONG TaskCount;
    PKI_TASK Running;
    PKI_TASK Body;
    PKI_EXPLORE_RUN Run;
    ULONG Generation;
    ULONG SpinStreak;
    ULONG IdleFires;
} KI_CTL;

volatile LONG KiCtlActive;

/* Dispatcher lock. */
static KI_CTL KipCtl;

/* The calling host thread's task, valid while its generation is the run's. */
static IRPSIM_THREAD_LOCAL PKI_TASK KipCurrentTask;
static IRPSIM_THREAD_LOCAL ULONG KipCurrentGeneration;

static BOOLEAN KipActive(VOID)
{
    return IRPSIM_ATOMIC_LOAD_ACQUIRE(&KiCtlActive) != 0;
}

static PKI_TASK KipSelf(VOID)
{
    PKI_TASK Task = KipCurrentTask;
    if (Task == NULL || KipCurrentGeneration != Task->Generation || !KipActive())
        return NULL;
    return Task;
}

static VOID KipBind(PKI_TASK Task)
{
    KipCurrentTask = Task;
    KipCurrentGeneration = Task != NULL ? Task->Generation : 0;
}

/* ---- reports ---- */

static PCSTR KipStopName(ULONG Kind)
{
    switch (Kind) {
    case KI_SCHED_POINT_INTERLOCKED:
        return "an Interlocked operation";
    case KI_SCHED_POINT_SPINLOCK:
        return "a spin lock";
    case KI_SCHED_POINT_IO:
        return "an I/O manager call";
    case KI_SCHED_POINT_DISPATCHER:
        return "a kernel object call";
    case KIP_STOP_SPIN:
        return "spinning on a spin lock";
    case KIP_STOP_YIELD:
        return "a yield";
    case KIP_STOP_START:
        return "its start";
    default:
        return "a scheduling point";
    }
}

static ULONG KipThreadIdOf(PKTHREAD Thread)
{
    return Thread != NULL ? (ULONG)(ULONG_PTR)Thread->Cid.UniqueThread : 0;
}

static SIZE_T KipDescribeObjectLocked(PCHAR Buffer, SIZE_T Size, SIZE_T Used, PVOID Object)
{
    PDISPATCHER_HEADER Header = (PDISPATCHER_HEADER)Object;
    switch (Header->Type) {
    case EventNotificationObject:
    case EventSynchronizationObject:
        return RtlpAppendAt(Buffer, Size, Used, "%s event %p (%s)",
                         Header->Type == EventNotificationObject ? "notification" : "synchronization", Object,
                         Header->SignalState ? "signalled" : "not signalled");
    case MutantObject: {
        PKMUTANT Mutant = (PKMUTANT)Object;
        if (Mutant->OwnerThread != NULL)
            return RtlpAppendAt(Buffer, Size, Used, "mutex %p (owned by T%lu)", Object,
                             (unsigned long)KipThreadIdOf(Mutant->OwnerThread));
        return RtlpAppendAt(Buffer, Size, Used, "mutex %p (free)", Object);
    }
    case SemaphoreObject:
        return RtlpAppendAt(Buffer, Size, Used, "semaphore %p (count %ld)", Object, (long)Header->SignalState);
    case ThreadObject:
        return RtlpAppendAt(Buffer, Size, Used, "the end of thread T%lu", (unsigned long)KipThreadIdOf((PKTHREAD)Object));
    case TimerNotificationObject:
    case TimerSynchronizationObject:
        return RtlpAppendAt(Buffer, Size, Used, "timer %p (%s)", Object, Header->SignalState ? "signalled" : "not set to fire");
    default:
        return RtlpAppendAt(Buffer, Size, Used, "object %p (type %u)", Object, (unsigned)Header->Type);
    }
}

static SIZE_T KipDescribeTaskLocked(PCHAR Buffer, SIZE_T Size, SIZE_T Used, PKI_TASK Task)
{
    PKTHREAD Thread = Task->Thread;
    Used = RtlpAppendAt(Buffer, Size, Used, "    %c  T%-4lu %-22s ", KiSymbolLetter(Task->Number),
                     (unsigned long)Task->ThreadId, Task->Role[0] ? Task->Role : "thread");
    if (Task->State == KiTaskFinished)
        return RtlpAppendAt(Buffer, Size, Used, "ended\n");
    if (Task->State == KiTaskReady)
        return RtlpAppendAt(Buffer, Size, Used, "ready, stopped at %s (IRQL %u)\n", KipStopName(Task->StopKind),
                         Thread != NULL ? (unsigned)Thread->Irql : 0u);
    if (Thread != NULL && Thread->Waiting) {
        Used = RtlpAppendAt(Buffer, Size, Used, "waits for ");
        for (ULONG i = 0; i < Thread->WaitCount; i++) {
            if (i != 0)
                Used = RtlpAppendAt(Buffer, Size, Used, Thread->WaitBlockList[0].WaitType == WaitAll ? " and " : " or ");
            Used = KipDescribeObjectLocked(Buffer, Size, Used, Thread->WaitBlockList[i].Object);
        }
        if (Thread->WaitCount == 0)
            Used = RtlpAppendAt(Buffer, Size, Used, "nothing (a delay)");
        return RtlpAppendAt(Buffer, Size, Used, "\n");
    }
    for (ULONG i = 0; i < MAXIMUM_PROCESSORS; i++) {
        if (Task->BlockedOn == &KiProcessorBlock[i].Condition)
            return RtlpAppendAt(Buffer, Size, Used, "idle: no DPC queued\n");
    }
    for (ULONG i = 0; i < KipCtl.TaskCount; i++) {
        if (Task->BlockedOn == &KipCtl.Tasks[i]->Ended)
            return RtlpAppendAt(Buffer, Size, Used, "waits for thread %c to end\n", KiSymbolLetter(KipCtl.Tasks[i]->Number));
    }
    return RtlpAppendAt(Buffer, Size, Used, "waits for the machine to go idle (IrpSimRunUntilIdle, IrpSimAdvanceTime)\n");
}

static SIZE_T KipDescribeTasksLocked(PCHAR Buffer, SIZE_T Size, SIZE_T Used)
{
    for (ULONG i = 0; i < KipCtl.TaskCount; i++)
        Used = KipDescribeTaskLocked(Buffer, Size, Used, KipCtl.Tasks[i]);
    return Used;
}

/* Notes where the calling task stopped and which thread it is. */
static VOID KipNoteStopLocked(PKI_TASK Task, ULONG Kind)
{
    PKTHREAD Thread = KiGetCurrentThreadIfAny();
    Task->StopKind = Kind;
    Task->Thread = Thread;
    if (Thread == NULL)
        return;
    Task->ThreadId = KipThreadIdOf(Thread);
    if (Task->Role[0] == 0) {
        if (Task == KipCtl.Body)
            snprintf(Task->Role, sizeof(Task->Role), "the body");
        else if (Thread->IsProcessorThread)
            snprintf(Task->Role, sizeof(Task->Role), "processor %u (DPCs)", (unsigned)Thread->Processor);
        else if (Thread->IsSystemThread)
            snprintf(Task->Role, sizeof(Task->Role), "system thread");
        else
            snprintf(Task->Role, sizeof(Task->Role), "thread");
    }
}

/* ---- ending a schedule early ---- */

static BOOLEAN KipAbortingLocked(VOID)
{
    return KipCtl.Phase == KiPhaseBody &&
           (KipCtl.Run->AbortOutcome != IrpSimExplorePassed || KiForeignBugCheckPending());
}

static VOID KipAbortLocked(IRPSIM_EXPLORE_OUTCOME Outcome)
{
    if (KipCtl.Run->AbortOutcome == IrpSimExplorePassed)
        KipCtl.Run->AbortOutcome = Outcome;
}

/* The body's task, made ready to run: the only one that runs from now on. */
static PKI_TASK KipWakeBodyLocked(VOID)
{
    PKI_TASK Body = KipCtl.Body;
    if (Body->State == KiTaskBlocked) {
        PKTHREAD Thread = Body->Thread;
        Body->State = KiTaskReady;
        Body->BlockedOn = NULL;
        if (Thread != NULL && Thread->Waiting)
            KiUnwaitThreadLocked(Thread, STATUS_KERNEL_APC);
    }
    return Body;
}

/* On the body's task, no lock held: back to the body's catch frame. */
DECLSPEC_NORETURN static VOID KipUnwindBody(VOID)
{
    PKTHREAD Thread = KiGetCurrentThreadIfAny();
    PIRPSIM_BUGCHECK_CATCH Frame = KipCtl.Run->BodyFrame;
    if (Thread != NULL) {
        /* Catch frames the body armed inside its own are abandoned. */
        while (Thread->BugCheckCatch != NULL && Thread->BugCheckCatch != Frame)
            (void)IrpSimEndBugCheckCatch(Thread->BugCheckCatch);
        KiResetThreadAfterBugCheck(Thread, Frame->Irql);
    }
    KiResetExceptionFrames(Frame->SehMarker);
    longjmp(Frame->JumpBuffer, 2);
}

static VOID KipDeadlockLocked(VOID)
{
    PKI_EXPLORE_RUN Run = KipCtl.Run;
    SIZE_T Used;
    if (Run->AbortOutcome != IrpSimExplorePassed)
        return;
    Used = RtlpAppendAt(Run->Message, IRPSIM_EXPLORE_MESSAGE_SIZE, 0,
                            "deadlock: every thread is blocked and no timer or wait timeout is left to expire.\n"
                            "  Threads (letter as in the schedule, thread id, role, state):\n");
    (void)KipDescribeTasksLocked(Run->Message, IRPSIM_EXPLORE_MESSAGE_SIZE, Used);
    KipAbortLocked(IrpSimExploreDeadlock);
}

static VOID KipLivelockLocked(PCSTR Why)
{
    PKI_EXPLORE_RUN Run = KipCtl.Run;
    SIZE_T Used;
    if (Run->AbortOutcome != IrpSimExplorePassed)
        return;
    Used = RtlpAppendAt(Run->Message, IRPSIM_EXPLORE_MESSAGE_SIZE, 0,
                     "livelock: %s.\n  Threads (letter as in the schedule, thread id, role, state):\n", Why);
    (void)KipDescribeTasksLocked(Run->Message, IRPSIM_EXPLORE_MESSAGE_SIZE, Used);
    KipAbortLocked(IrpSimExploreLivelock);
}

/* Start-up or shutdown cannot go on under control: release every task to
   the host scheduler. */
static VOID KipFallBackLocked(PCSTR Why)
{
    static CHAR Text[IRPSIM_EXPLORE_MESSAGE_SIZE];
    SIZE_T Used = RtlpAppendAt(Text, sizeof(Text), 0,
                            "irpsim explore: %s; the rest of this run is left to the host scheduler.\n", Why);
    (void)KipDescribeTasksLocked(Text, sizeof(Text), Used);
    fputs(Text, stderr);
    if (KipCtl.Run != NULL && KipCtl.Run->AbortOutcome == IrpSimExplorePassed) {
        KipCtl.Run->AbortOutcome = IrpSimExploreDeadlock;
        snprintf(KipCtl.Run->Message, IRPSIM_EXPLORE_MESSAGE_SIZE, "%s", Text);
    }
    IRPSIM_ATOMIC_STORE_RELEASE(&KiControlledScheduling, 0);
    IRPSIM_ATOMIC_STORE_RELEASE(&KiCtlActive, 0);
    for (ULONG i = 0; i < KipCtl.TaskCount; i++)
        PalCondBroadcast(&KipCtl.Tasks[i]->Baton);
}

/* ---- choosing ---- */

static BOOLEAN KipHoldsProcessorLocked(PKI_TASK Task)
{
    PKTHREAD Thread = Task->Thread;
    if (Task->State != KiTaskReady || Thread == NULL)
        return FALSE;
    if (Thread->IsProcessorThread)
        return Thread->InDpc;
    return Thread->Irql >= DISPATCH_LEVEL;
}

/* The choices now: ready tasks that may run (by number), then the clock. */
static ULONG KipOptionsLocked(PKI_TASK Self, BOOLEAN SelfYields, USHORT *Options)
{
    ULONG Processors = KeNumberProcessors_ != 0 ? KeNumberProcessors_ : 1;
    BOOLEAN Raised[MAXIMUM_PROCESSORS];
    ULONG Held = 0;
    ULONG Count = 0;
    BOOLEAN SelfMayRun = FALSE;
    ULONGLONG Due;

    memset(Raised, 0, sizeof(Raised));
    for (ULONG i = 0; i < KipCtl.TaskCount; i++) {
        PKI_TASK Task = KipCtl.Tasks[i];
        if (KipHoldsProcessorLocked(Task)) {
            Held++;
            if (!Task->Thread->IsProcessorThread)
                Raised[Task->Thread->Processor % MAXIMUM_PROCESSORS] = TRUE;
        }
    }
    for (ULONG i = 0; i < KipCtl.TaskCount; i++) {
        PKI_TASK Task = KipCtl.Tasks[i];
        if (Task->State != KiTaskReady)
            continue;
        if (!KipHoldsProcessorLocked(Task)) {
            if (Held >= Processors)
                continue;
            if (Task->Thread != NULL && Task->Thread->IsProcessorThread &&
                Raised[Task->Thread->Processor % MAXIMUM_PROCESSORS])
                continue;
        }
        if (Task == Self && SelfYields) {
            SelfMayRun = TRUE;
            continue;
        }
        Options[Count++] = Task->Number;
    }
    /* A spinner is passed over only while someone else can run. */
    if (Count == 0 && SelfMayRun)
        Options[Count++] = Self->Number;
    if (!KiNextTimerDueLocked(&Due))
        return Count;
    if (Count == 0) {
        Options[Count++] = KI_SYMBOL_CLOCK;
        return Count;
    }
    if (KipCtl.Phase != KiPhaseBody)
        return Count;
    for (ULONG i = 0; i < Count; i++) {
        if (KipCtl.Tasks[Options[i]]->ClockFiresWaited >= KIP_CLOCK_FAIRNESS)
            return Count;
    }
    Options[Count++] = KI_SYMBOL_CLOCK;
    return Count;
}

#define KIP_DIVERGED ((ULONG)-1)

static ULONG KipDecideLocked(PKI_TASK Self, const USHORT *Options, ULONG Count)
{
    KI_CHOICE Choice;
    ULONG Index;

    Choice.Options = Options;
    Choice.Count = Count;
    Choice.Current = KI_SYMBOL_NONE;
    Choice.Running = Self != NULL && Self->State != KiTaskFinished ? Self->Number : KI_SYMBOL_NONE;
    Choice.Step = KipCtl.Run->Steps;
    for (ULONG i = 0; i < Count && Self != NULL; i++) {
        if (Options[i] == Self->Number)
            Choice.Current = Self->Number;
    }

    if (KipCtl.Phase == KiPhaseSettle) {
        /* Everyone but the body first, until they all block. */
        for (ULONG i = 0; i < Count; i++) {
            if (Options[i] != KI_SYMBOL_CLOCK && Options[i] != KipCtl.Body->Number)
                return i;
        }
        return KiDefaultChoice(&Choice);
    }
    if (KipCtl.Phase != KiPhaseBody)
        return KiDefaultChoice(&Choice);

    Index = KiStrategyChoose(KipCtl.Run->Strategy, &Choice);
    if (KipCtl.Run->Strategy->Diverged) {
        if (KipCtl.Run->AbortOutcome == IrpSimExplorePassed)
            snprintf(KipCtl.Run->Message, IRPSIM_EXPLORE_MESSAGE_SIZE,
                 "the replayed schedule went off its track at decision %lu: the body, a driver or the machine "
                 "did not behave the same as when the schedule was recorded (something depends on host timing, "
                 "addresses or state left from an earlier run).",
                 (unsigned long)KipCtl.Run->Decisions.Count + 1);
        KipAbortLocked(IrpSimExploreDiverged);
        return KIP_DIVERGED;
    }
    if (!KiDecisionsAppend(&KipCtl.Run->Decisions, Options[Index]))
        KipCtl.Run->DecisionsLost = TRUE;
    return Index;
}

static VOID KipFireClockLocked(const USHORT *Options, ULONG Count)
{
    ULONGLONG Due;
    if (!KiNextTimerDueLocked(&Due))
        return;
    /* Everyone who could have run instead saw time pass. */
    for (ULONG i = 0; i < Count; i++) {
        if (Options[i] != KI_SYMBOL_CLOCK)
            KipCtl.Tasks[Options[i]]->ClockFiresWaited++;
    }
    KiSetVirtualTimeLocked(Due);
    KiExpireTimersLocked(KiReadInterruptTime());
    if (KipCtl.Phase == KiPhaseBody)
        KiStrategyClockFired(KipCtl.Run->Strategy);
}

static VOID KipHandOverLocked(PKI_TASK Self, PKI_TASK Next)
{
    if (Next != Self && KipCtl.Phase == KiPhaseBody && KipCtl.Run->NoteSwitches) {
        CHAR Note[64];
        snprintf(Note, sizeof(Note), "explore: %c -> %c (decision %lu)",
                 Self != NULL ? KiSymbolLetter(Self->Number) : '-', KiSymbolLetter(Next->Number),
                 (unsigned long)KipCtl.Run->Decisions.Count);
        IrpSimTraceAddNote(Note);
    }
    KipCtl.Running = Next;
    if (Next != Self)
        PalCondSignal(&Next->Baton);
    if (Self == NULL || Self->State == KiTaskFinished)
        return;
    while (KipCtl.Running != Self && KipActive())
        KiSchedHostWaitLocked(&Self->Baton);
}

/* Chooses who runs next and hands the baton over; returns when Self runs
   again (at once if Self was chosen; never for a finished Self). */
static VOID KipScheduleLocked(PKI_TASK Self, BOOLEAN SelfYields)
{
    PKI_TASK Next;
    for (;;) {
        USHORT Options[KI_MAX_OPTIONS];
        ULONG Count;
        ULONG Index;

        if (!KipActive())
            return;
        if (KipAbortingLocked()) {
            Next = KipWakeBodyLocked();
            break;
        }
        Count = KipOptionsLocked(Self, SelfYields, Options);
        if (Count == 0) {
            if (KipCtl.Phase == KiPhaseBody) {
                KipDeadlockLocked();
                continue;
            }
            KipFallBackLocked("every thread is blocked and no timer is left, outside the body (start-up or "
                              "shutdown)");
            return;
        }
        Index = Count == 1 ? 0 : KipDecideLocked(Self, Options, Count);
        if (Index == KIP_DIVERGED)
            continue;
        if (Options[Index] == KI_SYMBOL_CLOCK) {
            if (Count == 1 && ++KipCtl.IdleFires > KIP_MAX_IDLE_FIRES) {
                if (KipCtl.Phase == KiPhaseBody) {
                    KipLivelockLocked("nothing can run, and only periodic timers that wake nobody are left");
                    continue;
                }
                KipFallBackLocked("nothing can run, and only periodic timers that wake nobody are left (start-up or "
                                  "shutdown)");
                return;
            }
            KipFireClockLocked(Options, Count);
            continue;
        }
        KipCtl.IdleFires = 0;
        Next = KipCtl.Tasks[Options[Index]];
        break;
    }
    Next->ClockFiresWaited = 0;
    KipHandOverLocked(Self, Next);
}

static VOID KipCountStepLocked(BOOLEAN Spinning)
{
    PKI_EXPLORE_RUN Run = KipCtl.Run;
    if (KipCtl.Phase != KiPhaseBody)
        return;
    Run->Steps++;
    if (Run->MaxSteps != 0 && Run->Steps > Run->MaxSteps)
        KipLivelockLocked("the schedule went past Options.MaxSteps scheduling points without ending");
    if (!Spinning)
        KipCtl.SpinStreak = 0;
    else if (++KipCtl.SpinStreak > KIP_MAX_SPIN_STREAK)
        KipLivelockLocked("threads spin on spin locks that nobody who can run will release");
}

/* After the baton came back at a point (no lock held). */
static VOID KipAfterResume(BOOLEAN Unwind, BOOLEAN InBody)
{
    PKTHREAD Thread;
    if (Unwind)
        KipUnwindBody();
    if (!InBody)
        return;
    /* A bug check on another thread is waiting for the body's frame. */
    KiRaiseForeignBugCheckIfPending();
    Thread = KiGetCurrentThreadIfAny();
    if (Thread != NULL && Thread->Irql == PASSIVE_LEVEL && !Thread->InDpc &&
        KiKernelApcDeliverable(Thread, PASSIVE_LEVEL))
        KiDeliverApcs(Thread, KernelMode);
}

static BOOLEAN KipShouldUnwindLocked(PKI_TASK Self)
{
    return Self == KipCtl.Body && KipCtl.Phase == KiPhaseBody && KipCtl.Run->AbortOutcome != IrpSimExplorePassed;
}

/* ---- tasks ---- */

static PKI_TASK KipNewTaskLocked(VOID)
{
    PKI_TASK Task;
    if (KipCtl.TaskCount >= KI_MAX_TASKS) {
        fprintf(stderr, "irpsim explore: more than %u threads in one run; a schedule cannot name them\n",
                (unsigned)KI_MAX_TASKS);
        return NULL;
    }
    Task = (PKI_TASK)calloc(1, sizeof(*Task));
    if (Task == NULL)
        return NULL;
    PalCondInitialize(&Task->Baton);
    PalCondInitialize(&Task->Ended);
    Task->Number = (USHORT)KipCtl.TaskCount;
    Task->State = KiTaskReady;
    Task->Generation = KipCtl.Generation;
    Task->StopKind = KIP_STOP_START;
    KipCtl.Tasks[KipCtl.TaskCount++] = Task;
    return Task;
}

static VOID KipTaskFinished(PKI_TASK Task)
{
    KiAcquireDispatcherLock();
    Task->State = KiTaskFinished;
    Task->Thread = NULL;
    Task->BlockedOn = NULL;
    KiCtlWakeLocked(&Task->Ended);
    if (KipActive() && KipCtl.Running == Task) {
        KipCountStepLocked(FALSE);
        KipScheduleLocked(Task, FALSE);
    }
    KipBind(NULL);
    KiReleaseDispatcherLock();
}

static void KipTaskMain(void *Context)
{
    PKI_TASK Task = (PKI_TASK)Context;
    KipBind(Task);
    KiAcquireDispatcherLock();
    while (KipCtl.Running != Task && KipActive())
        KiSchedHostWaitLocked(&Task->Baton);
    KiReleaseDispatcherLock();
    Task->Routine(Task->Context);
    KipTaskFinished(Task);
}

/* ---- the hand-over from sched.c ---- */

VOID KiCtlGateLocked(VOID)
{
    if (KipSelf() != NULL)
        return;
    /* It would run outside the schedule, and the run would not replay. */
    KiReleaseDispatcherLock();
    VfBugCheck(IRPSIM_INVALID_USE,
               (ULONG_PTR) "a host thread irpsim did not start used the simulated machine during schedule "
                           "exploration",
               0, 0, 0, NULL,
               "While IrpSimExplore runs, only the body's thread and threads irpsim starts (PsCreateSystemThread, "
               "CreateThread, work items) may call into the simulated machine: each of them runs when the "
               "schedule says so. A thread created with the host's own API runs whenever the host likes.",
               "Start the thread with PsCreateSystemThread (or the Win32 facade's CreateThread) and wait for it "
               "with KeWaitForSingleObject on its thread object.");
}

VOID KiCtlSchedulingPoint(ULONG Kind, const volatile VOID *Object)
{
    PKI_TASK Self = KipSelf();
    BOOLEAN Unwind;
    BOOLEAN InBody;

    UNREFERENCED_PARAMETER(Object);
    if (Self == NULL)
        return;
    KiAcquireDispatcherLock();
    if (!KipActive() || KipCtl.Phase != KiPhaseBody) {
        KiReleaseDispatcherLock();
        return;
    }
    KipNoteStopLocked(Self, Kind);
    KipCountStepLocked(FALSE);
    KipScheduleLocked(Self, FALSE);
    Unwind = KipShouldUnwindLocked(Self);
    InBody = KipActive() && KipCtl.Phase == KiPhaseBody;
    KiReleaseDispatcherLock();
    KipAfterResume(Unwind, InBody);
}

VOID KiCtlBlockLocked(PPAL_COND Condition)
{
    PKI_TASK Self = KipSelf();
    if (Self == NULL) {
        KiSchedHostWaitLocked(Condition);
        return;
    }
    Self->State = KiTaskBlocked;
    Self->BlockedOn = Condition;
    KipNoteStopLocked(Self, KIP_STOP_BLOCK);
    KipCountStepLocked(FALSE);
    KipScheduleLocked(Self, FALSE);
    if (Self->State == KiTaskBlocked) {
        /* Released to the host scheduler: a spurious wake-up. */
        Self->State = KiTaskReady;
        Self->BlockedOn = NULL;
    }
    if (KipShouldUnwindLocked(Self)) {
        PKTHREAD Thread = KiGetCurrentThreadIfAny();
        /* Out of the wait cleanly: no wait block may stay linked to an
           object on the unwound stack. */
        if (Thread != NULL && Thread->Waiting)
            KiUnwaitThreadLocked(Thread, STATUS_KERNEL_APC);
        KiReleaseDispatcherLock();
        KipUnwindBody();
    }
}

VOID KiCtlWakeLocked(PPAL_COND Condition)
{
    for (ULONG i = 0; i < KipCtl.TaskCount; i++) {
        PKI_TASK Task = KipCtl.Tasks[i];
        if (Task->State == KiTaskBlocked && Task->BlockedOn == Condition) {
            Task->State = KiTaskReady;
            Task->BlockedOn = NULL;
        }
    }
}

VOID KiCtlYield(BOOLEAN Spinning)
{
    PKI_TASK Self = KipSelf();
    BOOLEAN Unwind;
    BOOLEAN InBody;

    if (Self == NULL)
        return;
    KiAcquireDispatcherLock();
    if (!KipActive()) {
        KiReleaseDispatcherLock();
        return;
    }
    KipNoteStopLocked(Self, Spinning ? KIP_STOP_SPIN : KIP_STOP_YIELD);
    KipCountStepLocked(Spinning);
    if (Spinning && KipCtl.Phase != KiPhaseBody && ++KipCtl.SpinStreak > KIP_MAX_SPIN_STREAK)
        KipFallBackLocked("threads spin on spin locks that nobody who can run will release (start-up or shutdown)");
    KipScheduleLocked(Self, TRUE);
    Unwind = KipShouldUnwindLocked(Self);
    InBody = KipActive() && KipCtl.Phase == KiPhaseBody;
    KiReleaseDispatcherLock();
    KipAfterResume(Unwind, InBody);
}

BOOLEAN KiCtlCreateHostThread(PPAL_THREAD_ROUTINE Routine, PVOID Context, PPAL_THREAD *HostThread, BOOLEAN LockHeld)
{
    PKI_TASK Task;
    BOOLEAN Started = FALSE;

    if (!LockHeld)
        KiAcquireDispatcherLock();
    Task = KipNewTaskLocked();
    if (Task != NULL) {
        Task->Started = TRUE;
        Task->Routine = Routine;
        Task->Context = Context;
        /* It waits for its turn before it runs anything. */
        Started = PalThreadCreate(KipTaskMain, Task, HostThread) != 0;
        if (Started)
            Task->Host = *HostThread;
        else
            Task->State = KiTaskFinished;
    }
    if (!LockHeld)
        KiReleaseDispatcherLock();
    return Started;
}

VOID KiCtlJoinHostThread(PPAL_THREAD HostThread)
{
    KiAcquireDispatcherLock();
    for (ULONG i = 0; i < KipCtl.TaskCount; i++) {
        PKI_TASK Task = KipCtl.Tasks[i];
        if (Task->Started && Task->Host == HostThread) {
            while (Task->State != KiTaskFinished && KipActive())
                KiCtlBlockLocked(&Task->Ended);
            break;
        }
    }
    KiReleaseDispatcherLock();
    /* The task has ended: its host thread is only leaving now. */
    PalThreadJoin(HostThread);
}

VOID KiCtlExitHostThread(VOID)
{
    PKI_TASK Self = KipSelf();
    if (Self != NULL)
        KipTaskFinished(Self);
}

/* ---- a run ---- */

VOID KiCtlBegin(PKI_EXPLORE_RUN Run)
{
    PKI_TASK Body;
    KiAcquireDispatcherLock();
    memset(&KipCtl.Tasks, 0, sizeof(KipCtl.Tasks));
    KipCtl.TaskCount = 0;
    if (++KipCtl.Generation == 0)
        KipCtl.Generation = 1;
    KipCtl.Run = Run;
    KipCtl.Phase = KiPhaseStart;
    KipCtl.SpinStreak = 0;
    KipCtl.IdleFires = 0;
    KipCtl.Body = NULL;
    Body = KipNewTaskLocked();
    if (Body == NULL) {
        KiReleaseDispatcherLock();
        fprintf(stderr, "irpsim explore: out of host memory\n");
        PalAbort();
    }
    KipCtl.Body = Body;
    KipCtl.Running = Body;
    KipBind(Body);
    IRPSIM_ATOMIC_STORE_RELEASE(&KiCtlActive, 1);
    KiReleaseDispatcherLock();
}

VOID KiCtlStartBody(VOID)
{
    KiAcquireDispatcherLock();
    if (KipActive()) {
        KipCtl.Phase = KiPhaseSettle;
        KipScheduleLocked(KipCtl.Body, FALSE);
        KipCtl.Phase = KiPhaseBody;
        KipCtl.Run->Steps = 0;
        KipCtl.SpinStreak = 0;
        IRPSIM_ATOMIC_STORE_RELEASE(&KiControlledScheduling, 1);
    }
    KiReleaseDispatcherLock();
}

VOID KiCtlEndBody(VOID)
{
    KiAcquireDispatcherLock();
    IRPSIM_ATOMIC_STORE_RELEASE(&KiControlledScheduling, 0);
    if (KipCtl.Phase == KiPhaseBody || KipCtl.Phase == KiPhaseSettle)
        KipCtl.Phase = KiPhaseShutdown;
    KiReleaseDispatcherLock();
}

VOID KiCtlEnd(VOID)
{
    PKI_EXPLORE_RUN Run = KipCtl.Run;
    BOOLEAN Left = FALSE;
    SIZE_T Used = 0;

    KiAcquireDispatcherLock();
    for (ULONG i = 0; i < KipCtl.TaskCount; i++) {
        PKI_TASK Task = KipCtl.Tasks[i];
        if (Run->Legend != NULL)
            Used = RtlpAppendAt(Run->Legend, Run->LegendSize, Used, "%s%c = T%lu (%s)", i != 0 ? ", " : "",
                             KiSymbolLetter(Task->Number), (unsigned long)Task->ThreadId,
                             Task->Role[0] ? Task->Role : "thread");
        if (Task != KipCtl.Body && Task->State != KiTaskFinished)
            Left = TRUE;
    }
    if (Left && KipActive())
        KipFallBackLocked("threads are still running after IrpSimShutdown");
    IRPSIM_ATOMIC_STORE_RELEASE(&KiControlledScheduling, 0);
    IRPSIM_ATOMIC_STORE_RELEASE(&KiCtlActive, 0);
    /* A task left running still uses its record: keep those. */
    if (!Left) {
        for (ULONG i = 0; i < KipCtl.TaskCount; i++) {
            PalCondDelete(&KipCtl.Tasks[i]->Baton);
            PalCondDelete(&KipCtl.Tasks[i]->Ended);
            free(KipCtl.Tasks[i]);
        }
    }
    memset(&KipCtl.Tasks, 0, sizeof(KipCtl.Tasks));
    KipCtl.TaskCount = 0;
    KipCtl.Running = NULL;
    KipCtl.Body = NULL;
    KipCtl.Phase = KiPhaseStart;
    KipBind(NULL);
    KiReleaseDispatcherLock();
    KipCtl.Run = NULL;
}

BOOLEAN KiCtlInBody(VOID)
{
    BOOLEAN InBody;
    if (!KipActive())
        return FALSE;
    KiAcquireDispatcherLock();
    InBody = KipActive() && KipCtl.Phase == KiPhaseBody;
    KiReleaseDispatcherLock();
    return InBody;
}

VOID KiCtlFail(IRPSIM_EXPLORE_OUTCOME Outcome, PCSTR Message)
{
    PKI_TASK Self = KipSelf();
    PKTHREAD Thread;
    BOOLEAN IsBody;

    if (Self == NULL) {
        fprintf(stderr, "irpsim explore: %s\n", Message);
        PalAbort();
    }
    KiAcquireDispatcherLock();
    if (KipCtl.Run->AbortOutcome == IrpSimExplorePassed) {
        snprintf(KipCtl.Run->Message, IRPSIM_EXPLORE_MESSAGE_SIZE, "%s", Message);
        KipCtl.Run->AbortOutcome = Outcome;
    }
    IsBody = Self == KipCtl.Body;
    if (IsBody && KipCtl.Phase != KiPhaseBody) {
        /* Shutdown has no frame to go back to. */
        KiReleaseDispatcherLock();
        fprintf(stderr, "irpsim explore: %s (during start-up or shutdown)\n", Message);
        PalAbort();
    }
    KiReleaseDispatcherLock();
    if (IsBody)
        KipUnwindBody();
    /* Another thread or a DPC: it ends as a crashed thread does. */
    Thread = KiGetCurrentThreadIfAny();
    KiResetThreadAfterBugCheck(Thread, PASSIVE_LEVEL);
    KiTerminateCrashedThread(Thread);
}
