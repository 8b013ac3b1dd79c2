/*
 * irpsim — exploration strategies: who runs next at a real choice.
 *
 *   Random walk: a uniformly random choice at every point.
 *   PCT (Burckhardt et al., "A randomized scheduler with probabilistic
 *     guarantees of finding bugs", ASPLOS 2010): every task gets a random
 *     priority when it first appears; the highest-priority task that can
 *     run always runs; at d-1 random steps (chosen in 1..k, k being the
 *     longest body seen so far) the running task drops below every initial
 *     priority. A bug that needs d ordering constraints among n tasks is
 *     found with probability at least 1/(n k^(d-1)) per schedule. The clock
 *     is one more "task": once it has fired it drops to the bottom, so
 *     timers then expire only when nothing else can run.
 *   Exhaustive: depth-first search over the choices, each schedule replaying
 *     the prefix of the last one and trying the next alternative at its
 *     deepest choice that has one left, keeping at most Bound preemptions
 *     (switching away from a task that could have gone on, the clock
 *     included) per schedule. The first schedule is the default one: the
 *     running task goes on while it can. When nothing is left to try the
 *     space (within the bound) is exhausted.
 *   Replay: the recorded choices, then the default one.
 *
 * The generator is SplitMix64, seeded from the exploration's seed and the
 * schedule's number: schedule n of seed s is the same everywhere.
 */
#include "explore.h"

#include <stdlib.h>
#include <string.h>

#define KIP_PCT_FIRST_ESTIMATE 100u

static ULONGLONG KipNext(PULONGLONG State)
{
    ULONGLONG Z = (*State += 0x9e3779b97f4a7c15ULL);
    Z = (Z ^ (Z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    Z = (Z ^ (Z >> 27)) * 0x94d049bb133111ebULL;
    return Z ^ (Z >> 31);
}

/* Uniform in 0..Bound-1 (Bound > 0). */
static ULONG KipBelow(PULONGLONG State, ULONG Bound)
{
    return (ULONG)(((KipNext(State) >> 32) * (ULONGLONG)Bound) >> 32);
}

ULONG KiDefaultChoice(const KI_CHOICE *Choice)
{
    if (Choice->Current != KI_SYMBOL_NONE) {
        for (ULONG i = 0; i < Choice->Count; i++) {
            if (Choice->Options[i] == Choice->Current)
                return i;
        }
    }
    return 0; /* the lowest task; the clock is last, so only when alone */
}

VOID KiStrategyInitialize(PKI_STRATEGY Strategy, IRPSIM_EXPLORE_STRATEGY Kind, ULONGLONG Seed, ULONG Depth,
                          ULONG Bound)
{
    memset(Strategy, 0, sizeof(*Strategy));
    Strategy->Kind = Kind;
    Strategy->Seed = Seed;
    Strategy->Depth = Depth < 1 ? 1 : (Depth > KI_MAX_PCT_DEPTH ? KI_MAX_PCT_DEPTH : Depth);
    Strategy->Bound = Bound;
    Strategy->StepEstimate = KIP_PCT_FIRST_ESTIMATE;
}

VOID KiStrategySetReplay(PKI_STRATEGY Strategy, const USHORT *Symbols, ULONG Count)
{
    Strategy->Replay = Symbols;
    Strategy->ReplayCount = Count;
    Strategy->ReplayNext = 0;
}

VOID KiStrategyFree(PKI_STRATEGY Strategy)
{
    free(Strategy->Priority);
    free(Strategy->Path);
    Strategy->Priority = NULL;
    Strategy->Path = NULL;
    Strategy->PriorityCount = Strategy->PriorityCapacity = 0;
    Strategy->PathCount = Strategy->PathCapacity = 0;
}

/* ---- PCT ---- */

static ULONGLONG KipInitialPriority(PKI_STRATEGY Strategy)
{
    /* Above every change-point priority (1..KI_MAX_PCT_DEPTH). */
    return ((KipNext(&Strategy->Random) >> 32) << 8) + KI_MAX_PCT_DEPTH + 1;
}

static BOOLEAN KipEnsurePriority(PKI_STRATEGY Strategy, USHORT Task)
{
    while (Strategy->PriorityCount <= Task) {
        if (Strategy->PriorityCount == Strategy->PriorityCapacity) {
            ULONG Capacity = Strategy->PriorityCapacity != 0 ? Strategy->PriorityCapacity * 2 : 16;
            ULONGLONG *Grown = (ULONGLONG *)realloc(Strategy->Priority, Capacity * sizeof(ULONGLONG));
            if (Grown == NULL)
                return FALSE;
            Strategy->Priority = Grown;
            Strategy->PriorityCapacity = Capacity;
        }
        /* In task order, so the draws are the same every time. */
        Strategy->Priority[Strategy->PriorityCount++] = KipInitialPriority(Strategy);
    }
    return TRUE;
}

static ULONGLONG KipPriorityOf(PKI_STRATEGY Strategy, USHORT Symbol)
{
    if (Symbol == KI_SYMBOL_CLOCK)
        return Strategy->ClockPriority;
    if (!KipEnsurePriority(Strategy, Symbol))
        return 0;
    return Strategy->Priority[Symbol];
}

static ULONG KipPctChoose(PKI_STRATEGY Strategy, const KI_CHOICE *Choice)
{
    ULONG Best = 0;
    ULONGLONG BestPriority = 0;

    while (Strategy->ChangesDone + 1 < Strategy->Depth && Choice->Step >= Strategy->ChangePoint[Strategy->ChangesDone]) {
        Strategy->ChangesDone++;
        if (Choice->Running != KI_SYMBOL_NONE && KipEnsurePriority(Strategy, Choice->Running))
            Strategy->Priority[Choice->Running] = Strategy->ChangesDone;
    }
    for (ULONG i = 0; i < Choice->Count; i++) {
        ULONGLONG Priority = KipPriorityOf(Strategy, Choice->Options[i]);
        if (i == 0 || Priority > BestPriority) {
            Best = i;
            BestPriority = Priority;
        }
    }
    return Best;
}

static VOID KipPctBegin(PKI_STRATEGY Strategy)
{
    ULONG Points = Strategy->Depth - 1;
    Strategy->PriorityCount = 0;
    Strategy->ChangesDone = 0;
    Strategy->ClockPriority = KipInitialPriority(Strategy);
    for (ULONG i = 0; i < Points; i++) {
        ULONGLONG Estimate = Strategy->StepEstimate != 0 ? Strategy->StepEstimate : 1;
        Strategy->ChangePoint[i] = 1 + KipBelow(&Strategy->Random, (ULONG)(Estimate > 0xFFFFFFFFULL ? 0xFFFFFFFFULL : Estimate));
    }
    /* Ascending, so they are met in order. */
    for (ULONG i = 1; i < Points; i++) {
        ULONGLONG Value = Strategy->ChangePoint[i];
        ULONG j = i;
        while (j > 0 && Strategy->ChangePoint[j - 1] > Value) {
            Strategy->ChangePoint[j] = Strategy->ChangePoint[j - 1];
            j--;
        }
        Strategy->ChangePoint[j] = Value;
    }
}

/* ---- exhaustive search ---- */

/* The option a node tries at position Tried: the default first, then the
   others in ascending order. */
static ULONG KipDfsIndex(const KI_DFS_NODE *Node, ULONG Tried)
{
    KI_CHOICE Choice;
    ULONG Default;
    ULONG Seen = 0;

    Choice.Options = Node->Options;
    Choice.Count = Node->Count;
    Choice.Current = Node->Current;
    Choice.Running = KI_SYMBOL_NONE;
    Choice.Step = 0;
    Default = KiDefaultChoice(&Choice);
    if (Tried == 0)
        return Default;
    for (ULONG i = 0; i < Node->Count; i++) {
        if (i == Default)
            continue;
        if (++Seen == Tried)
            return i;
    }
    return Default;
}

static ULONG KipDfsCost(const KI_DFS_NODE *Node, ULONG Index)
{
    return Node->Current != KI_SYMBOL_NONE && Node->Options[Index] != Node->Current ? 1 : 0;
}

static BOOLEAN KipSameChoice(const KI_DFS_NODE *Node, const KI_CHOICE *Choice)
{
    return Node->Count == Choice->Count && Node->Current == Choice->Current &&
           memcmp(Node->Options, Choice->Options, Choice->Count * sizeof(USHORT)) == 0;
}

static ULONG KipDfsChoose(PKI_STRATEGY Strategy, const KI_CHOICE *Choice)
{
    PKI_DFS_NODE Node;

    if (Strategy->Position < Strategy->PathCount) {
        Node = &Strategy->Path[Strategy->Position];
        if (!KipSameChoice(Node, Choice)) {
            Strategy->Diverged = TRUE;
            return KiDefaultChoice(Choice);
        }
        Strategy->Position++;
        return KipDfsIndex(Node, Node->Tried);
    }
    if (Strategy->PathCount == Strategy->PathCapacity) {
        ULONG Capacity = Strategy->PathCapacity != 0 ? Strategy->PathCapacity * 2 : 256;
        PKI_DFS_NODE Grown = (PKI_DFS_NODE)realloc(Strategy->Path, Capacity * sizeof(KI_DFS_NODE));
        if (Grown == NULL)
            return KiDefaultChoice(Choice); /* this choice is simply not explored further */
        Strategy->Path = Grown;
        Strategy->PathCapacity = Capacity;
    }
    Node = &Strategy->Path[Strategy->PathCount];
    memset(Node, 0, sizeof(*Node));
    memcpy(Node->Options, Choice->Options, Choice->Count * sizeof(USHORT));
    Node->Count = (UCHAR)Choice->Count;
    Node->Current = Choice->Current;
    Node->Tried = 0;
    if (Strategy->PathCount != 0) {
        const KI_DFS_NODE *Previous = &Strategy->Path[Strategy->PathCount - 1];
        Node->PreemptionsBefore = Previous->PreemptionsBefore + KipDfsCost(Previous, KipDfsIndex(Previous, Previous->Tried));
    }
    Strategy->PathCount++;
    Strategy->Position = Strategy->PathCount;
    return KipDfsIndex(Node, 0);
}

static BOOLEAN KipDfsAdvance(PKI_STRATEGY Strategy)
{
    if (Strategy->PathCount > Strategy->Position)
        Strategy->PathCount = Strategy->Position; /* the last schedule ended earlier */
    while (Strategy->PathCount > 0) {
        PKI_DFS_NODE Node = &Strategy->Path[Strategy->PathCount - 1];
        for (ULONG Tried = (ULONG)Node->Tried + 1; Tried < Node->Count; Tried++) {
            if (Node->PreemptionsBefore + KipDfsCost(Node, KipDfsIndex(Node, Tried)) <= Strategy->Bound) {
                Node->Tried = (UCHAR)Tried;
                return TRUE;
            }
        }
        Strategy->PathCount--;
    }
    return FALSE;
}

/* ---- the interface ---- */

VOID KiStrategyBeginSchedule(PKI_STRATEGY Strategy, ULONG Number)
{
    Strategy->Random = Strategy->Seed ^ ((ULONGLONG)Number * 0xd1b54a32d192ed03ULL);
    (void)KipNext(&Strategy->Random);
    Strategy->Diverged = FALSE;
    Strategy->ReplayNext = 0;
    Strategy->Position = 0;
    if (Strategy->Kind == IrpSimExplorePct)
        KipPctBegin(Strategy);
}

ULONG KiStrategyChoose(PKI_STRATEGY Strategy, const KI_CHOICE *Choice)
{
    if (Strategy->Replay != NULL) {
        USHORT Symbol;
        if (Strategy->ReplayNext >= Strategy->ReplayCount)
            return KiDefaultChoice(Choice);
        Symbol = Strategy->Replay[Strategy->ReplayNext++];
        for (ULONG i = 0; i < Choice->Count; i++) {
            if (Choice->Options[i] == Symbol)
                return i;
        }
        Strategy->Diverged = TRUE;
        return KiDefaultChoice(Choice);
    }
    switch (Strategy->Kind) {
    case IrpSimExplorePct:
        return KipPctChoose(Strategy, Choice);
    case IrpSimExploreExhaustive:
        return KipDfsChoose(Strategy, Choice);
    case IrpSimExploreRandom:
    default:
        return KipBelow(&Strategy->Random, Choice->Count);
    }
}

VOID KiStrategyClockFired(PKI_STRATEGY Strategy)
{
    if (Strategy->Kind == IrpSimExplorePct && Strategy->Replay == NULL)
        Strategy->ClockPriority = 0;
}

BOOLEAN KiStrategyEndSchedule(PKI_STRATEGY Strategy, ULONGLONG Steps)
{
    if (Strategy->Replay != NULL)
        return TRUE;
    if (Strategy->Kind == IrpSimExplorePct && Steps > Strategy->StepEstimate)
        Strategy->StepEstimate = Steps;
    if (Strategy->Kind == IrpSimExploreExhaustive)
        return KipDfsAdvance(Strategy);
    return TRUE;
}
