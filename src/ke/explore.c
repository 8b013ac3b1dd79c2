/*
 * irpsim — schedule exploration: the public API (include/irpsim/explore.h,
 * docs/explore.md).
 *
 * Each schedule runs in a fresh machine: the controlled scheduler starts
 * (the calling thread is task 'a'), IrpSimInitialize, every other thread
 * settles, the body runs under a bug-check catch frame with the strategy
 * making the choices, IrpSimShutdown, and the run ends. Its outcome, in
 * order of precedence: what ended it early (deadlock, livelock,
 * IrpSimExploreFail, a replay off its track), a bug check, the body's
 * failure status, leaks reported by the shutdown.
 *
 * Only one exploration runs at a time in a process, and never while the
 * machine is already running.
 */
#include "explore.h"
#include <irpsim/trace.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIP_DEFAULT_ITERATIONS 1000u
#define KIP_DEFAULT_SEED 1u
#define KIP_DEFAULT_PCT_DEPTH 3u
#define KIP_DEFAULT_PREEMPTION_BOUND 2u
#define KIP_DEFAULT_MAX_STEPS 100000u

typedef struct _KIP_EXPLORATION {
    IRPSIM_EXPLORE_OPTIONS Options;
    IRPSIM_CONFIG Config;
    FILE *Output;
    PIRPSIM_EXPLORE_BODY Body;
    PVOID Context;
    KI_STRATEGY Strategy;
    KI_SCHEDULE_SET Seen;
    KI_DECISIONS Replay;
    BOOLEAN Replaying;
    KI_EXPLORE_RUN Run;
    IRPSIM_BUGCHECK_CATCH BodyCatch;
    NTSTATUS BodyStatus;
    /* The schedule just run. */
    IRPSIM_EXPLORE_OUTCOME Outcome;
    ULONG BugCheckCode;
    ULONG_PTR BugCheckParameter[4];
    ULONG Leaks;
    CHAR Message[IRPSIM_EXPLORE_MESSAGE_SIZE];
    CHAR Legend[1024];
    CHAR Schedule[IRPSIM_EXPLORE_DECISIONS_SIZE];
    BOOLEAN ScheduleTruncated;
} KIP_EXPLORATION, *PKIP_EXPLORATION;

static volatile LONG KipExploring;
static volatile LONG KipScheduleNumber;

PCSTR IrpSimExploreOutcomeName(IRPSIM_EXPLORE_OUTCOME Outcome)
{
    switch (Outcome) {
    case IrpSimExplorePassed:
        return "passed";
    case IrpSimExploreBugCheck:
        return "bug check";
    case IrpSimExploreDeadlock:
        return "deadlock";
    case IrpSimExploreFailed:
        return "check failed";
    case IrpSimExploreLeak:
        return "leak";
    case IrpSimExploreLivelock:
        return "livelock";
    case IrpSimExploreDiverged:
        return "replay diverged";
    case IrpSimExploreError:
        return "error";
    default:
        return "unknown";
    }
}

static PCSTR KipStrategyName(IRPSIM_EXPLORE_STRATEGY Strategy)
{
    switch (Strategy) {
    case IrpSimExplorePct:
        return "pct";
    case IrpSimExploreExhaustive:
        return "exhaustive";
    default:
        return "random";
    }
}

VOID IrpSimExploreDefaultOptions(PIRPSIM_EXPLORE_OPTIONS Options)
{
    memset(Options, 0, sizeof(*Options));
    Options->Size = sizeof(*Options);
    Options->Strategy = IrpSimExploreRandom;
    Options->Iterations = KIP_DEFAULT_ITERATIONS;
    Options->Seed = KIP_DEFAULT_SEED;
    Options->PctDepth = KIP_DEFAULT_PCT_DEPTH;
    Options->PreemptionBound = KIP_DEFAULT_PREEMPTION_BOUND;
    Options->MaxSteps = KIP_DEFAULT_MAX_STEPS;
    Options->FailOnLeak = TRUE;
    Options->TraceReplay = TRUE;
}

BOOLEAN IrpSimExploreActive(VOID)
{
    return KiCtlInBody();
}

ULONG IrpSimExploreScheduleNumber(VOID)
{
    return IRPSIM_ATOMIC_LOAD_ACQUIRE(&KipScheduleNumber);
}

VOID IrpSimExploreFail(PCSTR Format, ...)
{
    CHAR Text[2048];
    va_list Arguments;
    va_start(Arguments, Format);
    vsnprintf(Text, sizeof(Text), Format, Arguments);
    va_end(Arguments);
    if (IRPSIM_ATOMIC_LOAD_ACQUIRE(&KiCtlActive) != 0)
        KiCtlFail(IrpSimExploreFailed, Text);
    fprintf(stderr, "irpsim: IrpSimExploreFail outside an exploration: %s\n", Text);
    PalAbort();
}

/* ---- set-up ---- */

static VOID KipApplyEnvironment(PKIP_EXPLORATION Exploration)
{
    PCSTR Value = PalGetEnvironment("IRPSIM_EXPLORE_SEED");
    if (Value != NULL && *Value != 0)
        Exploration->Options.Seed = strtoull(Value, NULL, 0);
    Value = PalGetEnvironment("IRPSIM_EXPLORE_ITERATIONS");
    if (Value != NULL && *Value != 0)
        Exploration->Options.Iterations = (ULONG)strtoul(Value, NULL, 0);
    Value = PalGetEnvironment("IRPSIM_EXPLORE_STRATEGY");
    if (Value != NULL) {
        if (strcmp(Value, "random") == 0)
            Exploration->Options.Strategy = IrpSimExploreRandom;
        else if (strcmp(Value, "pct") == 0)
            Exploration->Options.Strategy = IrpSimExplorePct;
        else if (strcmp(Value, "dfs") == 0 || strcmp(Value, "exhaustive") == 0)
            Exploration->Options.Strategy = IrpSimExploreExhaustive;
        else
            fprintf(stderr, "irpsim explore: IRPSIM_EXPLORE_STRATEGY: unknown '%s' (random, pct, dfs)\n", Value);
    }
}

/* The schedule IRPSIM_EXPLORE_REPLAY names for this exploration, or NULL. */
static PCSTR KipReplayFromEnvironment(PCSTR Name)
{
    PCSTR Value = PalGetEnvironment("IRPSIM_EXPLORE_REPLAY");
    PCSTR Colon;
    if (Value == NULL || *Value == 0)
        return NULL;
    Colon = strchr(Value, ':');
    if (Colon == NULL)
        return Value;
    if (Name == NULL || strlen(Name) != (SIZE_T)(Colon - Value) || strncmp(Name, Value, (SIZE_T)(Colon - Value)) != 0)
        return NULL;
    return Colon + 1;
}

static NTSTATUS KipPrepare(PKIP_EXPLORATION Exploration, const IRPSIM_EXPLORE_OPTIONS *Options,
                           PIRPSIM_EXPLORE_BODY Body, PVOID Context)
{
    IrpSimExploreDefaultOptions(&Exploration->Options);
    if (Options != NULL) {
        SIZE_T Size = Options->Size != 0 && Options->Size < sizeof(*Options) ? Options->Size : sizeof(*Options);
        memcpy(&Exploration->Options, Options, Size);
        Exploration->Options.Size = sizeof(*Options);
    }
    KipApplyEnvironment(Exploration);
    if (Exploration->Options.Iterations == 0)
        Exploration->Options.Iterations = KIP_DEFAULT_ITERATIONS;
    if (Exploration->Options.Strategy != IrpSimExploreRandom && Exploration->Options.Strategy != IrpSimExplorePct &&
        Exploration->Options.Strategy != IrpSimExploreExhaustive)
        return STATUS_INVALID_PARAMETER;
    if (Exploration->Options.Strategy == IrpSimExplorePct &&
        (Exploration->Options.PctDepth == 0 || Exploration->Options.PctDepth > KI_MAX_PCT_DEPTH))
        return STATUS_INVALID_PARAMETER;

    if (Exploration->Options.Config != NULL) {
        const IRPSIM_CONFIG *Config = Exploration->Options.Config;
        SIZE_T Size = Config->Size != 0 && Config->Size < sizeof(*Config) ? Config->Size : sizeof(*Config);
        IrpSimDefaultConfig(&Exploration->Config);
        memcpy(&Exploration->Config, Config, Size);
        Exploration->Config.Size = sizeof(Exploration->Config);
    } else {
        IrpSimDefaultConfig(&Exploration->Config);
        /* Thousands of runs: no debug-print chatter, one worker is plenty. */
        Exploration->Config.QuietDebugPrint = TRUE;
        Exploration->Config.WorkerThreadCount = 1;
    }
    Exploration->Config.ClockMode = IrpSimClockVirtual;
    Exploration->Config.AutoAdvance = TRUE;

    Exploration->Output = Exploration->Options.Output != NULL ? Exploration->Options.Output : stderr;
    Exploration->Body = Body;
    Exploration->Context = Context;
    KiStrategyInitialize(&Exploration->Strategy, Exploration->Options.Strategy, Exploration->Options.Seed,
                         Exploration->Options.PctDepth, Exploration->Options.PreemptionBound);
    return STATUS_SUCCESS;
}

/* ---- one schedule ---- */

/* A body that was unwound may have left objects on its stack that threads
   and DPCs finishing during the shutdown still touch (an event a completion
   routine sets). The body runs below a reserve that everything the harness
   does afterwards — from the catch frame up — does not reach, so that
   memory stays as the body left it until the run is over. */
#define KIP_BODY_STACK_RESERVE (256u * 1024u)

/* Never inlined: the reserve must be a frame of its own, below the catch
   frame's. */
DECLSPEC_NOINLINE static VOID KipCallBodyBelowReserve(PKIP_EXPLORATION Exploration)
{
    volatile CHAR Reserve[KIP_BODY_STACK_RESERVE];
    Reserve[0] = 0;
    Reserve[sizeof(Reserve) - 1] = 0;
    Exploration->BodyStatus = Exploration->Body(Exploration->Context);
}

static VOID KipRunBody(PKIP_EXPLORATION Exploration)
{
    PIRPSIM_BUGCHECK_CATCH Catch = &Exploration->BodyCatch;
    IrpSimBeginBugCheckCatch(Catch);
    /* 1: a bug check unwound here; 2: the scheduler ended the schedule. */
    if (setjmp(Catch->JumpBuffer) == 0)
        KipCallBodyBelowReserve(Exploration);
    if (IrpSimEndBugCheckCatch(Catch) != 0) {
        Exploration->BugCheckCode = Catch->Info.Code;
        memcpy(Exploration->BugCheckParameter, Catch->Info.Parameter, sizeof(Exploration->BugCheckParameter));
    }
}

static VOID KipClassify(PKIP_EXPLORATION Exploration)
{
    PKI_EXPLORE_RUN Run = &Exploration->Run;
    if (Run->AbortOutcome != IrpSimExplorePassed) {
        Exploration->Outcome = Run->AbortOutcome;
    } else if (Exploration->BugCheckCode != 0) {
        Exploration->Outcome = IrpSimExploreBugCheck;
        snprintf(Exploration->Message, sizeof(Exploration->Message), "%s",
                 Exploration->BodyCatch.Info.Report != NULL ? Exploration->BodyCatch.Info.Report : "");
    } else if (!NT_SUCCESS(Exploration->BodyStatus)) {
        Exploration->Outcome = IrpSimExploreFailed;
        snprintf(Exploration->Message, sizeof(Exploration->Message), "the body returned 0x%08X",
                 (unsigned)Exploration->BodyStatus);
    } else if (Exploration->Options.FailOnLeak && Exploration->Leaks != 0) {
        Exploration->Outcome = IrpSimExploreLeak;
        snprintf(Exploration->Message, sizeof(Exploration->Message),
                 "IrpSimShutdown reported %lu leak(s) (listed above): an IRP, pool block, MDL, device, timer or "
                 "DPC was left behind in this schedule.",
                 (unsigned long)Exploration->Leaks);
    } else {
        Exploration->Outcome = IrpSimExplorePassed;
    }
}

static VOID KipRunSchedule(PKIP_EXPLORATION Exploration, ULONG Number)
{
    PKI_EXPLORE_RUN Run = &Exploration->Run;
    BOOLEAN Trace = Exploration->Replaying && Exploration->Options.TraceReplay;
    ULONG SavedSinks = 0;
    NTSTATUS Status;

    KiDecisionsReset(&Run->Decisions);
    Run->Strategy = &Exploration->Strategy;
    Run->DecisionsLost = FALSE;
    Run->MaxSteps = Exploration->Options.MaxSteps;
    Run->Steps = 0;
    Run->AbortOutcome = IrpSimExplorePassed;
    Run->Message = Exploration->Message;
    Run->Legend = Exploration->Legend;
    Run->LegendSize = sizeof(Exploration->Legend);
    Run->BodyFrame = &Exploration->BodyCatch;
    Run->NoteSwitches = Trace;
    Exploration->Message[0] = 0;
    Exploration->Legend[0] = 0;
    Exploration->BodyStatus = STATUS_SUCCESS;
    Exploration->BugCheckCode = 0;
    memset(Exploration->BugCheckParameter, 0, sizeof(Exploration->BugCheckParameter));
    Exploration->Leaks = 0;
    IRPSIM_ATOMIC_STORE_RELEASE(&KipScheduleNumber, Number);
    KiStrategyBeginSchedule(&Exploration->Strategy, Number);

    if (Trace) {
        SavedSinks = IrpSimTraceSinks();
        IrpSimTraceEnable(SavedSinks | IRPSIM_TRACE_MEMORY | IRPSIM_TRACE_TEXT, Exploration->Output);
    }
    KiCtlBegin(Run);
    Status = IrpSimInitialize(&Exploration->Config);
    if (!NT_SUCCESS(Status)) {
        KiCtlEnd();
        Exploration->Outcome = IrpSimExploreError;
        snprintf(Exploration->Message, sizeof(Exploration->Message), "IrpSimInitialize failed: 0x%08X",
                 (unsigned)Status);
    } else {
        KiCtlStartBody();
        KipRunBody(Exploration);
        KiCtlEndBody();
        /* A bug check in here stops the process, as in any test: the
           machine cannot be half shut down and started again. */
        IrpSimShutdown();
        Exploration->Leaks = IrpSimGetShutdownLeakCount();
        KiCtlEnd();
        KipClassify(Exploration);
    }
    if (Trace)
        IrpSimTraceEnable(SavedSinks, NULL);

    Exploration->ScheduleTruncated =
        Run->DecisionsLost || !KiDecisionsEncode(&Run->Decisions, Exploration->Schedule, sizeof(Exploration->Schedule));
}

static VOID KipPrintFailure(PKIP_EXPLORATION Exploration, ULONG Number)
{
    FILE *Out = Exploration->Output;
    PCSTR Name = Exploration->Options.Name;
    fprintf(Out, "\nirpsim explore%s%s: schedule %lu %s: %s", Name != NULL ? " " : "", Name != NULL ? Name : "",
            (unsigned long)Number, Exploration->Replaying ? "(replayed)" : "failed",
            IrpSimExploreOutcomeName(Exploration->Outcome));
    if (Exploration->Outcome == IrpSimExploreBugCheck)
        fprintf(Out, " 0x%08X", (unsigned)Exploration->BugCheckCode);
    fprintf(Out, "\n  strategy %s, seed %llu, %lu decisions, %llu scheduling points\n",
            Exploration->Replaying ? "replay" : KipStrategyName(Exploration->Options.Strategy),
            (unsigned long long)Exploration->Options.Seed, (unsigned long)Exploration->Run.Decisions.Count,
            (unsigned long long)Exploration->Run.Steps);
    fprintf(Out, "  threads:  %s; + = the clock (earliest timer expires)\n", Exploration->Legend);
    fprintf(Out, "  schedule: %s%s\n", Exploration->Schedule,
            Exploration->ScheduleTruncated ? " (TRUNCATED: cannot be replayed)" : "");
    if (!Exploration->Replaying)
        fprintf(Out, "  replay:   IRPSIM_EXPLORE_REPLAY=%s%s%s <this test>, or IrpSimExploreReplay(\"%s\", ...)\n",
                Name != NULL ? Name : "", Name != NULL ? ":" : "", Exploration->Schedule, Exploration->Schedule);
    fprintf(Out, "%s\n", Exploration->Message);
    fflush(Out);
}

static VOID KipRecordFailure(PKIP_EXPLORATION Exploration, ULONG Number, PIRPSIM_EXPLORE_RESULT Result)
{
    Result->Failures++;
    if (Result->Outcome != IrpSimExplorePassed)
        return; /* the first one is the one reported */
    Result->Outcome = Exploration->Outcome;
    Result->FailingSchedule = Number;
    Result->BugCheckCode = Exploration->BugCheckCode;
    memcpy(Result->BugCheckParameter, Exploration->BugCheckParameter, sizeof(Result->BugCheckParameter));
    Result->LeakCount = Exploration->Leaks;
    Result->DecisionsTruncated = Exploration->ScheduleTruncated;
    snprintf(Result->Schedule, sizeof(Result->Schedule), "%s", Exploration->Schedule);
    snprintf(Result->Message, sizeof(Result->Message), "%s", Exploration->Message);
}

static VOID KipCount(PKIP_EXPLORATION Exploration, PIRPSIM_EXPLORE_RESULT Result)
{
    Result->Schedules++;
    Result->Steps += Exploration->Run.Steps;
    Result->Decisions += Exploration->Run.Decisions.Count;
    if (Exploration->Run.Decisions.Count > Result->LongestSchedule)
        Result->LongestSchedule = Exploration->Run.Decisions.Count;
    if (KiScheduleSetInsert(&Exploration->Seen, KiDecisionsHash(&Exploration->Run.Decisions)))
        Result->DistinctSchedules++;
}

static NTSTATUS KipReplay(PKIP_EXPLORATION Exploration, PCSTR Decisions, PIRPSIM_EXPLORE_RESULT Result)
{
    CHAR Error[128];
    if (!KiDecisionsDecode(Decisions, &Exploration->Replay, Error, sizeof(Error))) {
        snprintf(Result->Message, sizeof(Result->Message), "cannot replay '%s': %s", Decisions, Error);
        Result->Outcome = IrpSimExploreError;
        return STATUS_INVALID_PARAMETER;
    }
    Exploration->Replaying = TRUE;
    KiStrategySetReplay(&Exploration->Strategy, Exploration->Replay.Symbols, Exploration->Replay.Count);
    if (Exploration->Options.TraceReplay)
        fprintf(Exploration->Output, "irpsim explore%s%s: replaying schedule %s\n",
                Exploration->Options.Name != NULL ? " " : "",
                Exploration->Options.Name != NULL ? Exploration->Options.Name : "", Decisions);
    KipRunSchedule(Exploration, 0);
    KipCount(Exploration, Result);
    /* The decisions the run actually made: the input, when it replayed. */
    snprintf(Result->Schedule, sizeof(Result->Schedule), "%s", Exploration->Schedule);
    Result->DecisionsTruncated = Exploration->ScheduleTruncated;
    if (Exploration->Outcome != IrpSimExplorePassed) {
        KipRecordFailure(Exploration, 0, Result);
        if (!Exploration->Options.Quiet)
            KipPrintFailure(Exploration, 0);
    } else if (Exploration->Options.TraceReplay) {
        fprintf(Exploration->Output, "irpsim explore: the replayed schedule passed\n");
    }
    return STATUS_SUCCESS;
}

static VOID KipExploreLoop(PKIP_EXPLORATION Exploration, PIRPSIM_EXPLORE_RESULT Result)
{
    for (ULONG Number = 0; Number < Exploration->Options.Iterations; Number++) {
        BOOLEAN More;
        KipRunSchedule(Exploration, Number);
        KipCount(Exploration, Result);
        More = KiStrategyEndSchedule(&Exploration->Strategy, Exploration->Run.Steps);
        if (Exploration->Outcome != IrpSimExplorePassed) {
            BOOLEAN First = Result->Outcome == IrpSimExplorePassed;
            KipRecordFailure(Exploration, Number, Result);
            if (First && !Exploration->Options.Quiet)
                KipPrintFailure(Exploration, Number);
            if (!Exploration->Options.KeepGoing || Exploration->Outcome == IrpSimExploreError ||
                Exploration->Outcome == IrpSimExploreDiverged)
                return;
        }
        if (!More) {
            Result->Exhausted = TRUE;
            return;
        }
    }
}

static NTSTATUS KipStart(PKIP_EXPLORATION *Exploration, const IRPSIM_EXPLORE_OPTIONS *Options,
                         PIRPSIM_EXPLORE_BODY Body, PVOID Context, PIRPSIM_EXPLORE_RESULT Result)
{
    NTSTATUS Status;
    if (Body == NULL || Result == NULL)
        return STATUS_INVALID_PARAMETER;
    memset(Result, 0, sizeof(*Result));
    if (IrpSimIsInitialized())
        return STATUS_INVALID_DEVICE_STATE;
    if (InterlockedExchange(&KipExploring, 1) != 0) /* never inside a controlled run: no switch here */
        return STATUS_INVALID_DEVICE_STATE;
    *Exploration = (PKIP_EXPLORATION)calloc(1, sizeof(KIP_EXPLORATION));
    if (*Exploration == NULL) {
        IRPSIM_ATOMIC_STORE_RELEASE(&KipExploring, 0);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Status = KipPrepare(*Exploration, Options, Body, Context);
    if (!NT_SUCCESS(Status)) {
        free(*Exploration);
        IRPSIM_ATOMIC_STORE_RELEASE(&KipExploring, 0);
        return Status;
    }
    Result->Seed = (*Exploration)->Options.Seed;
    return STATUS_SUCCESS;
}

static VOID KipFinish(PKIP_EXPLORATION Exploration)
{
    KiStrategyFree(&Exploration->Strategy);
    KiScheduleSetFree(&Exploration->Seen);
    KiDecisionsFree(&Exploration->Run.Decisions);
    KiDecisionsFree(&Exploration->Replay);
    free(Exploration);
    IRPSIM_ATOMIC_STORE_RELEASE(&KipScheduleNumber, 0);
    IRPSIM_ATOMIC_STORE_RELEASE(&KipExploring, 0);
}

NTSTATUS IrpSimExplore(const IRPSIM_EXPLORE_OPTIONS *Options, PIRPSIM_EXPLORE_BODY Body, PVOID Context,
                       PIRPSIM_EXPLORE_RESULT Result)
{
    PKIP_EXPLORATION Exploration;
    PCSTR Replay;
    NTSTATUS Status;

    if (Options == NULL)
        return STATUS_INVALID_PARAMETER;
    Status = KipStart(&Exploration, Options, Body, Context, Result);
    if (!NT_SUCCESS(Status))
        return Status;
    Replay = KipReplayFromEnvironment(Exploration->Options.Name);
    if (Replay != NULL)
        Status = KipReplay(Exploration, Replay, Result);
    else
        KipExploreLoop(Exploration, Result);
    KipFinish(Exploration);
    return Status;
}

NTSTATUS IrpSimExploreReplay(PCSTR Decisions, const IRPSIM_EXPLORE_OPTIONS *Options, PIRPSIM_EXPLORE_BODY Body,
                             PVOID Context, PIRPSIM_EXPLORE_RESULT Result)
{
    PKIP_EXPLORATION Exploration;
    NTSTATUS Status;

    if (Decisions == NULL)
        return STATUS_INVALID_PARAMETER;
    Status = KipStart(&Exploration, Options, Body, Context, Result);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = KipReplay(Exploration, Decisions, Result);
    KipFinish(Exploration);
    return Status;
}
