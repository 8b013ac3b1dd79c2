/*
 * irpsim — schedule exploration internals (src/ke only).
 *
 * Four parts, one file each:
 *   exploresched.c     the controlled scheduler: one task (simulated thread
 *                      or processor) runs at a time and holds the baton;
 *                      sched.c hands it every block, wake, spin, yield,
 *                      host thread and scheduling point while it is active;
 *   explorestrategy.c  who runs next at a real choice: random walk, PCT,
 *                      exhaustive (depth-first, preemption-bounded), replay;
 *   exploredecisions.c a schedule as a list of symbols, its text form and
 *                      hash, and the set of schedules seen;
 *   explore.c          the public API (include/irpsim/explore.h): the loop
 *                      over schedules, one fresh machine each, outcomes.
 *
 * A schedule is the list of symbols chosen at every point where more than
 * one task (or the clock) could run. Symbol n is task n in creation order
 * (task 0 is the body's thread); KI_SYMBOL_CLOCK is "expire the earliest
 * timer now". Nothing here depends on host timing, addresses or hash order:
 * the same decisions give the same run.
 */
#ifndef IRPSIM_KE_EXPLORE_H
#define IRPSIM_KE_EXPLORE_H

#include "ki.h"
#include <irpsim/explore.h>

#define KI_SYMBOL_CLOCK 0xFFFEu
#define KI_SYMBOL_NONE 0xFFFFu
/* Tasks a schedule can name ('a'..'z', 'A'..'Z'). */
#define KI_MAX_TASKS 52u
#define KI_MAX_OPTIONS (KI_MAX_TASKS + 1u)
#define KI_MAX_PCT_DEPTH 16u

/* ---- decisions (exploredecisions.c) ---- */

typedef struct _KI_DECISIONS {
    USHORT *Symbols;
    ULONG Count;
    ULONG Capacity;
} KI_DECISIONS, *PKI_DECISIONS;

VOID KiDecisionsReset(PKI_DECISIONS Decisions);
VOID KiDecisionsFree(PKI_DECISIONS Decisions);
/* FALSE when host memory ran out (the schedule then cannot be replayed). */
BOOLEAN KiDecisionsAppend(PKI_DECISIONS Decisions, USHORT Symbol);
/* The text form ("3ab+2c": a run of n equal symbols is written n then the
   symbol). FALSE if Buffer was too small (the text is cut). */
BOOLEAN KiDecisionsEncode(const KI_DECISIONS *Decisions, PCHAR Buffer, SIZE_T Size);
/* Parses the text form; FALSE with a reason in Error. */
BOOLEAN KiDecisionsDecode(PCSTR Text, PKI_DECISIONS Decisions, PCHAR Error, SIZE_T ErrorSize);
ULONGLONG KiDecisionsHash(const KI_DECISIONS *Decisions);
/* The letter of a task symbol, '+' for the clock. */
CHAR KiSymbolLetter(USHORT Symbol);

/* The schedules seen so far, by hash. */
typedef struct _KI_SCHEDULE_SET {
    ULONGLONG *Slots;
    ULONG Count;
    ULONG Capacity;
} KI_SCHEDULE_SET, *PKI_SCHEDULE_SET;

/* TRUE if Hash was not in the set yet. */
BOOLEAN KiScheduleSetInsert(PKI_SCHEDULE_SET Set, ULONGLONG Hash);
VOID KiScheduleSetFree(PKI_SCHEDULE_SET Set);

/* ---- strategies (explorestrategy.c) ---- */

/* One real choice. */
typedef struct _KI_CHOICE {
    const USHORT *Options; /* task numbers ascending, the clock last */
    ULONG Count;           /* 2 or more */
    USHORT Current;        /* the task at the point if it may go on, else KI_SYMBOL_NONE */
    USHORT Running;        /* the task at the point (even if it blocked), else KI_SYMBOL_NONE */
    ULONGLONG Step;        /* scheduling points of the body so far, this one included */
} KI_CHOICE, *PKI_CHOICE;

/* A depth-first search node: one choice of the current path. */
typedef struct _KI_DFS_NODE {
    USHORT Options[KI_MAX_OPTIONS];
    UCHAR Count;
    UCHAR Tried;           /* position of the choice in the node's order: default first */
    USHORT Current;
    ULONG PreemptionsBefore;
} KI_DFS_NODE, *PKI_DFS_NODE;

typedef struct _KI_STRATEGY {
    IRPSIM_EXPLORE_STRATEGY Kind;
    ULONGLONG Seed;
    ULONGLONG Random; /* this schedule's generator state */
    BOOLEAN Diverged; /* a replayed choice was not possible */

    /* Replay: these symbols first, then the default choice. */
    const USHORT *Replay;
    ULONG ReplayCount;
    ULONG ReplayNext;

    /* PCT. */
    ULONG Depth;
    ULONGLONG *Priority; /* by task number */
    ULONG PriorityCount;
    ULONG PriorityCapacity;
    ULONGLONG ClockPriority;
    ULONGLONG ChangePoint[KI_MAX_PCT_DEPTH];
    ULONG ChangesDone;
    ULONGLONG StepEstimate; /* longest body seen, in scheduling points */

    /* Exhaustive search. */
    ULONG Bound;
    PKI_DFS_NODE Path;
    ULONG PathCount;
    ULONG PathCapacity;
    ULONG Position;
} KI_STRATEGY, *PKI_STRATEGY;

VOID KiStrategyInitialize(PKI_STRATEGY Strategy, IRPSIM_EXPLORE_STRATEGY Kind, ULONGLONG Seed, ULONG Depth,
                          ULONG Bound);
/* Follow Symbols (not copied) instead of choosing, then the default choice. */
VOID KiStrategySetReplay(PKI_STRATEGY Strategy, const USHORT *Symbols, ULONG Count);
VOID KiStrategyBeginSchedule(PKI_STRATEGY Strategy, ULONG Number);
/* Returns the index into Choice->Options. */
ULONG KiStrategyChoose(PKI_STRATEGY Strategy, const KI_CHOICE *Choice);
VOID KiStrategyClockFired(PKI_STRATEGY Strategy);
/* After a schedule (Steps: its body's scheduling points). FALSE when the
   exhaustive search has nothing left to try. */
BOOLEAN KiStrategyEndSchedule(PKI_STRATEGY Strategy, ULONGLONG Steps);
VOID KiStrategyFree(PKI_STRATEGY Strategy);
/* The choice every strategy makes outside the body: the task at the point
   goes on if it may, else the lowest-numbered task, the clock last. */
ULONG KiDefaultChoice(const KI_CHOICE *Choice);

/* ---- one schedule's run (shared by explore.c and exploresched.c) ---- */

typedef struct _KI_EXPLORE_RUN {
    PKI_STRATEGY Strategy;
    KI_DECISIONS Decisions;             /* the choices made in the body */
    BOOLEAN DecisionsLost;              /* out of host memory recording them */
    ULONG MaxSteps;
    ULONGLONG Steps;                    /* scheduling points in the body */
    IRPSIM_EXPLORE_OUTCOME AbortOutcome; /* set when the scheduler or IrpSimExploreFail ends the body */
    PCHAR Message;                      /* why (IRPSIM_EXPLORE_MESSAGE_SIZE bytes) */
    PCHAR Legend;                       /* which thread each letter is (filled at the end) */
    SIZE_T LegendSize;
    PIRPSIM_BUGCHECK_CATCH BodyFrame;   /* the body's catch frame, on task 0 */
    BOOLEAN NoteSwitches;               /* replays: a trace note each time another task runs */
} KI_EXPLORE_RUN, *PKI_EXPLORE_RUN;

/* ---- the controlled scheduler (exploresched.c) ---- */

/* Nonzero between KiCtlBegin and KiCtlEnd (and until a fallback). */
extern volatile LONG KiCtlActive;

/* On the body's thread: the run starts (before IrpSimInitialize). */
VOID KiCtlBegin(PKI_EXPLORE_RUN Run);
/* After IrpSimInitialize: every other task runs until it blocks, then the
   body's choices start being explored. */
VOID KiCtlStartBody(VOID);
/* The body returned or was unwound: shutdown runs with default choices. */
VOID KiCtlEndBody(VOID);
/* After IrpSimShutdown: the run ends (its thread legend is written). */
VOID KiCtlEnd(VOID);
/* Ends the schedule with Outcome and Message; noreturn on a task. */
DECLSPEC_NORETURN VOID KiCtlFail(IRPSIM_EXPLORE_OUTCOME Outcome, PCSTR Message);
/* TRUE while the body phase of a controlled run is going on. */
BOOLEAN KiCtlInBody(VOID);

/* sched.c hands these over while KiCtlActive. "Locked": dispatcher lock held. */
VOID KiCtlGateLocked(VOID);
VOID KiCtlSchedulingPoint(ULONG Kind, const volatile VOID *Object);
VOID KiCtlBlockLocked(PPAL_COND Condition);
VOID KiCtlWakeLocked(PPAL_COND Condition);
VOID KiCtlYield(BOOLEAN Spinning);
BOOLEAN KiCtlCreateHostThread(PPAL_THREAD_ROUTINE Routine, PVOID Context, PPAL_THREAD *HostThread,
                              BOOLEAN LockHeld);
VOID KiCtlJoinHostThread(PPAL_THREAD HostThread);
VOID KiCtlExitHostThread(VOID);

/* sched.c for exploresched.c: a host wait on the dispatcher lock. */
VOID KiSchedHostWaitLocked(PPAL_COND Condition);
BOOLEAN KiSchedHoldsDispatcherLock(VOID);

#endif /* IRPSIM_KE_EXPLORE_H */
