/*
 * irpsim — deterministic schedule exploration (docs/explore.md).
 *
 * Runs a test body many times, each time in a fresh simulated machine whose
 * scheduler is controlled: exactly one simulated thread or DPC runs at a
 * time, and at every scheduling point (spin-lock acquire and release,
 * Interlocked* operations, IoCallDriver, IoCompleteRequest, IoCancelIrp,
 * IoSetCancelRoutine, KeInsertQueueDpc, event signals and waits, thread
 * start and exit, timer expiry) a seeded strategy chooses who runs next.
 * Time is virtual. The first schedule that bug checks, deadlocks, fails a
 * check or leaks stops the exploration; it is printed as a compact decision
 * string that replays it exactly, on any machine:
 *
 *     static NTSTATUS Body(PVOID Context)
 *     {
 *         ... load drivers, send IRPs, start threads ...
 *         IRPSIM_EXPLORE_CHECK(Completions == 1);
 *         return STATUS_SUCCESS;
 *     }
 *
 *     IRPSIM_EXPLORE_OPTIONS Options;
 *     IRPSIM_EXPLORE_RESULT Result;
 *     IrpSimExploreDefaultOptions(&Options);
 *     Options.Strategy = IrpSimExplorePct;
 *     IrpSimExplore(&Options, Body, NULL, &Result);
 *
 * The body runs on the calling thread (the first simulated thread, 'a' in
 * decision strings). It may start threads with PsCreateSystemThread or the
 * Win32 facade's CreateThread and use DPCs, timers and work items; host
 * threads irpsim did not start must not enter the simulated machine while
 * an exploration runs. Inside the body, report failures with
 * IrpSimExploreFail / IRPSIM_EXPLORE_CHECK (CMocka's assert_* macros would
 * jump out of the exploration) or return a failure status.
 *
 * Environment (read by IrpSimExplore):
 *   IRPSIM_EXPLORE_REPLAY=[name:]decisions  replay that schedule instead of
 *                                   exploring (only the exploration with that
 *                                   Name when a name is given), with the
 *                                   lifecycle trace printed
 *   IRPSIM_EXPLORE_SEED=n           overrides Options.Seed
 *   IRPSIM_EXPLORE_ITERATIONS=n     overrides Options.Iterations
 *   IRPSIM_EXPLORE_STRATEGY=random|pct|dfs  overrides Options.Strategy
 */
#ifndef IRPSIM_EXPLORE_H
#define IRPSIM_EXPLORE_H

#include <irpsim/irpsim.h>
#include <stdio.h>

IRPSIM_EXTERN_C_BEGIN

typedef enum _IRPSIM_EXPLORE_STRATEGY {
    IrpSimExploreRandom = 0,     /* a uniformly random choice at every scheduling point */
    IrpSimExplorePct = 1,        /* probabilistic concurrency testing: random priorities, PctDepth-1 change points */
    IrpSimExploreExhaustive = 2, /* every schedule with at most PreemptionBound preemptions (depth-first) */
} IRPSIM_EXPLORE_STRATEGY;

typedef enum _IRPSIM_EXPLORE_OUTCOME {
    IrpSimExplorePassed = 0,    /* no schedule failed */
    IrpSimExploreBugCheck = 1,  /* a bug check (any thread, DPC or shutdown) */
    IrpSimExploreDeadlock = 2,  /* every thread blocked, no timer left to expire */
    IrpSimExploreFailed = 3,    /* IrpSimExploreFail, or the body returned a failure status */
    IrpSimExploreLeak = 4,      /* IrpSimShutdown reported leaks (Options.FailOnLeak) */
    IrpSimExploreLivelock = 5,  /* more than Options.MaxSteps scheduling points, or spinning forever */
    IrpSimExploreDiverged = 6,  /* a replayed schedule did not match: the body is not deterministic */
    IrpSimExploreError = 7,     /* the machine could not start, or the options were wrong */
} IRPSIM_EXPLORE_OUTCOME;

typedef struct _IRPSIM_EXPLORE_OPTIONS {
    ULONG Size;                        /* sizeof(IRPSIM_EXPLORE_OPTIONS) */
    PCSTR Name;                        /* shown in reports; selects IRPSIM_EXPLORE_REPLAY=name:... */
    IRPSIM_EXPLORE_STRATEGY Strategy;  /* default IrpSimExploreRandom */
    ULONG Iterations;                  /* at most this many schedules (default 1000) */
    ULONGLONG Seed;                    /* same seed, same schedules (default 1) */
    ULONG PctDepth;                    /* PCT's bug depth d (default 3) */
    ULONG PreemptionBound;             /* exhaustive search: preemptions per schedule (default 2) */
    ULONG MaxSteps;                    /* scheduling points per schedule before it counts as a livelock (default 100000; 0 = no limit) */
    BOOLEAN FailOnLeak;                /* a schedule that leaks fails (default TRUE) */
    BOOLEAN KeepGoing;                 /* run every iteration even after a failure (default FALSE) */
    BOOLEAN Quiet;                     /* do not print the failing schedule (default FALSE) */
    BOOLEAN TraceReplay;               /* replays print the lifecycle trace (default TRUE) */
    FILE *Output;                      /* reports and replay traces go here (NULL = stderr) */
    const IRPSIM_CONFIG *Config;       /* the machine (NULL = defaults); the clock is always virtual */
} IRPSIM_EXPLORE_OPTIONS, *PIRPSIM_EXPLORE_OPTIONS;

#define IRPSIM_EXPLORE_DECISIONS_SIZE 16384
#define IRPSIM_EXPLORE_MESSAGE_SIZE 8192

typedef struct _IRPSIM_EXPLORE_RESULT {
    IRPSIM_EXPLORE_OUTCOME Outcome;    /* of the first failing schedule, or IrpSimExplorePassed */
    ULONG Schedules;                   /* schedules run */
    ULONG DistinctSchedules;           /* different decision strings among them */
    BOOLEAN Exhausted;                 /* exhaustive search: every schedule within the bound was run */
    BOOLEAN DecisionsTruncated;        /* the decision string did not fit (it cannot be replayed) */
    ULONG FailingSchedule;             /* 0-based number of the failing schedule */
    ULONG Failures;                    /* failing schedules (more than 1 only with KeepGoing) */
    ULONGLONG Seed;                    /* the seed used */
    ULONG BugCheckCode;                /* Outcome IrpSimExploreBugCheck: the code and parameters */
    ULONG_PTR BugCheckParameter[4];
    ULONG LeakCount;                   /* leaks the failing schedule's shutdown reported */
    ULONG LongestSchedule;             /* most decisions in one schedule */
    ULONGLONG Steps;                   /* scheduling points, all schedules */
    ULONGLONG Decisions;               /* points where there was a real choice, all schedules */
    CHAR Schedule[IRPSIM_EXPLORE_DECISIONS_SIZE]; /* the failing schedule's decisions (replay with it) */
    CHAR Message[IRPSIM_EXPLORE_MESSAGE_SIZE];    /* what went wrong: report, deadlock, message */
} IRPSIM_EXPLORE_RESULT, *PIRPSIM_EXPLORE_RESULT;

/* The test body: runs once per schedule, on the calling thread, after
   IrpSimInitialize and before IrpSimShutdown. A status other than success
   fails the schedule. */
typedef NTSTATUS IRPSIM_EXPLORE_BODY(_In_opt_ PVOID Context);
typedef IRPSIM_EXPLORE_BODY *PIRPSIM_EXPLORE_BODY;

VOID IrpSimExploreDefaultOptions(_Out_ PIRPSIM_EXPLORE_OPTIONS Options);

/* Explores. Returns STATUS_SUCCESS when it ran (Result says whether a
   schedule failed), STATUS_INVALID_PARAMETER for bad options,
   STATUS_INVALID_DEVICE_STATE if the machine is already running. */
NTSTATUS IrpSimExplore(_In_ const IRPSIM_EXPLORE_OPTIONS *Options, _In_ PIRPSIM_EXPLORE_BODY Body,
                       _In_opt_ PVOID Context, _Out_ PIRPSIM_EXPLORE_RESULT Result);

/* Runs the one schedule a decision string describes (Result->Schedule
   after the run repeats it), printing the lifecycle trace when
   Options->TraceReplay. Options may be NULL. */
NTSTATUS IrpSimExploreReplay(_In_z_ PCSTR Decisions, _In_opt_ const IRPSIM_EXPLORE_OPTIONS *Options,
                             _In_ PIRPSIM_EXPLORE_BODY Body, _In_opt_ PVOID Context,
                             _Out_ PIRPSIM_EXPLORE_RESULT Result);

/* Fails the current schedule (from the body, a driver, a thread or a DPC).
   Outside an exploration it prints the message and stops the process. */
DECLSPEC_NORETURN VOID IrpSimExploreFail(_In_z_ _Printf_format_string_ PCSTR Format, ...) IRPSIM_FORMAT_PRINTF(1, 2);

#define IRPSIM_EXPLORE_CHECK(Condition)                                                                   \
    do {                                                                                                \
        if (!(Condition))                                                                               \
            IrpSimExploreFail("%s:%d: check failed: %s", __FILE__, __LINE__, #Condition);               \
    } while (0)

/* TRUE while an exploration (or replay) is running a body. */
BOOLEAN IrpSimExploreActive(VOID);
/* The 0-based number of the schedule being run. */
ULONG IrpSimExploreScheduleNumber(VOID);
PCSTR IrpSimExploreOutcomeName(_In_ IRPSIM_EXPLORE_OUTCOME Outcome);

/* For benchmarks: explores irpsim's built-in copy of seed 002 scenario 2
   (a synchronous IOCTL with a timeout and IRPLOCK cancellation, written
   correctly, against a lower device that completes from a DPC) for
   Iterations schedules and returns how many ran. */
ULONG IrpSimExploreBenchmark(_In_ ULONG Iterations, _In_ IRPSIM_EXPLORE_STRATEGY Strategy, _In_ ULONGLONG Seed);

/* ---------------------------------------------------------------------
 * CMocka: include this header after <cmocka.h> to get
 *   irpsim_explore_assert_passes(&Options, Body, Context);
 *   irpsim_explore_assert_fails(&Options, Body, Context, &Result);
 * Both run the exploration on the test's thread and fail the test (with
 * the schedule to replay) when the outcome is not the expected one.
 * ------------------------------------------------------------------- */
#ifdef fail_msg
#define irpsim_explore_assert_passes(OptionsPointer, Body, Context)                                       \
    do {                                                                                                \
        static IRPSIM_EXPLORE_RESULT IrpSimExploreAssertResult_;                                        \
        NTSTATUS IrpSimExploreAssertStatus_ =                                                           \
            IrpSimExplore((OptionsPointer), (Body), (Context), &IrpSimExploreAssertResult_);            \
        if (IrpSimExploreAssertStatus_ != STATUS_SUCCESS)                                               \
            fail_msg("IrpSimExplore failed to run: 0x%08X", (unsigned)IrpSimExploreAssertStatus_);      \
        if (IrpSimExploreAssertResult_.Outcome != IrpSimExplorePassed)                                  \
            fail_msg("schedule %u failed (%s); replay with IRPSIM_EXPLORE_REPLAY='%s'\n%s",             \
                     (unsigned)IrpSimExploreAssertResult_.FailingSchedule,                              \
                     IrpSimExploreOutcomeName(IrpSimExploreAssertResult_.Outcome),                      \
                     IrpSimExploreAssertResult_.Schedule, IrpSimExploreAssertResult_.Message);          \
    } while (0)

#define irpsim_explore_assert_fails(OptionsPointer, Body, Context, ResultPointer)                         \
    do {                                                                                                \
        NTSTATUS IrpSimExploreAssertStatus_ = IrpSimExplore((OptionsPointer), (Body), (Context),         \
                                                            (ResultPointer));                            \
        if (IrpSimExploreAssertStatus_ != STATUS_SUCCESS)                                               \
            fail_msg("IrpSimExplore failed to run: 0x%08X", (unsigned)IrpSimExploreAssertStatus_);      \
        if ((ResultPointer)->Outcome == IrpSimExplorePassed)                                            \
            fail_msg("no schedule failed in %u schedules (%u distinct)%s",                              \
                     (unsigned)(ResultPointer)->Schedules, (unsigned)(ResultPointer)->DistinctSchedules, \
                     (ResultPointer)->Exhausted ? ", search space exhausted" : "");                     \
    } while (0)
#endif

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_EXPLORE_H */
