/*
 * irpsim benchmarks.
 *
 * Every figure is measured side by side with its baseline in the same run
 * (trials interleaved, median taken), so a noisy machine moves both. The
 * program prints a table and writes the same figures as JSON.
 *
 *     irpsim_bench [--quick] [--json FILE] [--check]
 *
 * --check exits with status 1 when a ratio misses its goal.
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>
#include <irpsim/trace.h>
#include <irpsim/explore.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "bench.h"

#define TRIALS 5

typedef struct _BENCH_RESULT {
    char Name[96];
    double Value;
    char Unit[24];
    double Goal; /* 0: no goal; otherwise Value must be <= Goal */
} BENCH_RESULT;

static BENCH_RESULT Results[128];
static int ResultCount;
static int Quick;

static double NowNs(void)
{
    struct timespec Now;
    clock_gettime(CLOCK_MONOTONIC, &Now);
    return (double)Now.tv_sec * 1e9 + (double)Now.tv_nsec;
}

static void Record(const char *Name, double Value, const char *Unit, double Goal)
{
    BENCH_RESULT *R = &Results[ResultCount++];
    snprintf(R->Name, sizeof(R->Name), "%s", Name);
    R->Value = Value;
    snprintf(R->Unit, sizeof(R->Unit), "%s", Unit);
    R->Goal = Goal;
}

static int CompareDoubles(const void *A, const void *B)
{
    double X = *(const double *)A, Y = *(const double *)B;
    return X < Y ? -1 : X > Y;
}

static double Median(double *Values, int Count)
{
    qsort(Values, (size_t)Count, sizeof(double), CompareDoubles);
    return Values[Count / 2];
}

/* Resident memory now (Linux /proc; 0 elsewhere), in KiB. */
long BenchCurrentRssKb(void)
{
    long Pages = 0, Resident = 0;
    FILE *Statm = fopen("/proc/self/statm", "r");
    if (Statm == NULL)
        return 0;
    if (fscanf(Statm, "%ld %ld", &Pages, &Resident) != 2)
        Resident = 0;
    fclose(Statm);
    return Resident * 4;
}

static long MaxRssKb(void)
{
    struct rusage Usage;
    getrusage(RUSAGE_SELF, &Usage);
    return Usage.ru_maxrss;
}

/* ---- the machine ---- */

static PDRIVER_OBJECT StackDriver;

static void StartMachine(BOOLEAN Verifier, IRPSIM_CLOCK_MODE Clock)
{
    IRPSIM_CONFIG Config;
    IrpSimDefaultConfig(&Config);
    Config.Verifier = Verifier;
    Config.ClockMode = Clock;
    Config.QuietDebugPrint = TRUE;
    if (!NT_SUCCESS(IrpSimInitialize(&Config)) ||
        !NT_SUCCESS(IrpSimLoadDriver(L"\\Driver\\BenchStack", BenchStackDriverEntry, &StackDriver))) {
        fprintf(stderr, "irpsim_bench: could not start the simulated machine\n");
        exit(2);
    }
}

static void StopMachine(void)
{
    IrpSimShutdown();
}

/* ---- 1. the IRP round trip and its hand-written baseline ---- */

static NTSTATUS NTAPI OriginatorCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    UNREFERENCED_PARAMETER(Context);
    return STATUS_MORE_PROCESSING_REQUIRED; /* the originator frees it */
}

static void SendDown(PIRP Irp)
{
    PIO_STACK_LOCATION Next = IoGetNextIrpStackLocation(Irp);
    Next->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    Next->Parameters.DeviceIoControl.IoControlCode = 0x222000;
    IoSetCompletionRoutine(Irp, OriginatorCompletion, NULL, TRUE, TRUE, TRUE);
    (void)IoCallDriver(BenchTopDevice, Irp);
}

static void IrpRoundTrip(void)
{
    PIRP Irp = IoAllocateIrp(BenchTopDevice->StackSize, FALSE);
    SendDown(Irp);
    IoFreeIrp(Irp);
}

/* The same work written by hand: a malloc'd request, three direct calls
   (two filters and the function driver), two callbacks, free. */
typedef struct _BASE_REQUEST {
    int Status;
    size_t Information;
    int Depth;
    void (*Completion[2])(struct _BASE_REQUEST *Request);
} BASE_REQUEST;

static void __attribute__((noinline)) BaseFilterCompletion(BASE_REQUEST *Request)
{
    Request->Information += 1;
}

static int __attribute__((noinline)) BaseFunction(BASE_REQUEST *Request)
{
    Request->Status = 0;
    Request->Information = 64;
    for (int i = Request->Depth - 1; i >= 0; i--)
        Request->Completion[i](Request);
    return Request->Status;
}

static int __attribute__((noinline)) BaseFilter(BASE_REQUEST *Request, int Level)
{
    Request->Completion[Request->Depth++] = BaseFilterCompletion;
    return Level == 0 ? BaseFilter(Request, 1) : BaseFunction(Request);
}

static volatile int BaseSink;

static void BaseRoundTrip(void)
{
    BASE_REQUEST *Request = (BASE_REQUEST *)malloc(sizeof(*Request));
    memset(Request, 0, sizeof(*Request));
    BaseSink += BaseFilter(Request, 0);
    free(Request);
}

typedef void (*PBENCH_OP)(void);

static double NsPerOp(PBENCH_OP Op, long Count)
{
    double Start = NowNs();
    for (long i = 0; i < Count; i++)
        Op();
    return (NowNs() - Start) / (double)Count;
}

/* Runs Op and Baseline in interleaved trials; returns the medians. */
static void Compare(PBENCH_OP Op, PBENCH_OP Baseline, long Count, double *OpNs, double *BaseNs)
{
    double A[TRIALS], B[TRIALS];
    Op();
    Baseline();
    for (int t = 0; t < TRIALS; t++) {
        A[t] = NsPerOp(Op, Count);
        B[t] = NsPerOp(Baseline, Count);
    }
    *OpNs = Median(A, TRIALS);
    *BaseNs = Median(B, TRIALS);
}

static void BenchRoundTrip(const char *Mode, BOOLEAN Verifier, BOOLEAN Trace, double Goal, long Count)
{
    double OpNs, BaseNs;
    char Name[96];
    StartMachine(Verifier, IrpSimClockReal);
    if (Trace)
        IrpSimTraceEnable(IRPSIM_TRACE_MEMORY, NULL);
    Compare(IrpRoundTrip, BaseRoundTrip, Count, &OpNs, &BaseNs);
    if (Trace)
        IrpSimTraceEnable(0, NULL);
    StopMachine();
    snprintf(Name, sizeof(Name), "1. IRP round trip, 3-device stack, %s", Mode);
    Record(Name, OpNs, "ns/op", 0);
    snprintf(Name, sizeof(Name), "1. ... baseline (malloc + 3 calls + 2 callbacks)");
    Record(Name, BaseNs, "ns/op", 0);
    snprintf(Name, sizeof(Name), "1. ratio, %s", Mode);
    Record(Name, OpNs / BaseNs, "x", Goal);
}

/* ---- 2. the round trip with recycled IRPs ---- */

static PIRP ReusedIrp;

static void ReuseRoundTrip(void)
{
    IoReuseIrp(ReusedIrp, STATUS_SUCCESS);
    SendDown(ReusedIrp);
}

static NPAGED_LOOKASIDE_LIST IrpLookaside;

static void LookasideRoundTrip(void)
{
    CCHAR Stack = BenchTopDevice->StackSize;
    PIRP Irp = (PIRP)ExAllocateFromNPagedLookasideList(&IrpLookaside);
    IoInitializeIrp(Irp, IoSizeOfIrp(Stack), Stack);
    SendDown(Irp);
    ExFreeToNPagedLookasideList(&IrpLookaside, Irp);
}

static void BenchRecycledIrps(long Count)
{
    double OpNs, BaseNs;
    StartMachine(FALSE, IrpSimClockReal);
    ReusedIrp = IoAllocateIrp(BenchTopDevice->StackSize, FALSE);
    Compare(ReuseRoundTrip, BaseRoundTrip, Count, &OpNs, &BaseNs);
    IoFreeIrp(ReusedIrp);
    Record("2. round trip with IoReuseIrp, verifier off", OpNs, "ns/op", 0);
    Record("2. ratio to baseline", OpNs / BaseNs, "x", 0);
    ExInitializeNPagedLookasideList(&IrpLookaside, NULL, NULL, 0, IoSizeOfIrp(BenchTopDevice->StackSize), 'LprI',
                                    0);
    Compare(LookasideRoundTrip, BaseRoundTrip, Count, &OpNs, &BaseNs);
    ExDeleteNPagedLookasideList(&IrpLookaside);
    Record("2. round trip with a lookaside list + IoInitializeIrp", OpNs, "ns/op", 0);
    Record("2. ratio to baseline", OpNs / BaseNs, "x", 0);
    StopMachine();
}

/* ---- 4. CSQ throughput and a cancel storm ---- */

/* An IRP with a current stack location, as a dispatch routine would hold. */
static PIRP QueueableIrp(void)
{
    PIRP Irp = IoAllocateIrp(1, FALSE);
    IoSetNextIrpStackLocation(Irp);
    IoGetCurrentIrpStackLocation(Irp)->DeviceObject = BenchFunctionDevice;
    return Irp;
}

typedef struct _CSQ_WORKER {
    long Pairs;
    PIRP Irps[16];
} CSQ_WORKER;

static VOID NTAPI CsqWorker(PVOID Context)
{
    CSQ_WORKER *Worker = (CSQ_WORKER *)Context;
    for (long i = 0; i < Worker->Pairs; i++) {
        PIRP Irp = Worker->Irps[i % 16];
        BenchCsqInsert(Irp);
        Irp = BenchCsqRemoveNext();
        /* With two threads the other one may have taken ours: both hold one. */
        Worker->Irps[i % 16] = Irp;
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static double CsqPairsPerSecond(int Threads, long PairsPerThread)
{
    CSQ_WORKER Workers[2];
    PVOID ThreadObjects[2];
    double Start, Elapsed;
    for (int t = 0; t < Threads; t++) {
        Workers[t].Pairs = PairsPerThread;
        for (int i = 0; i < 16; i++)
            Workers[t].Irps[i] = QueueableIrp();
    }
    Start = NowNs();
    for (int t = 0; t < Threads; t++) {
        HANDLE Handle;
        PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, CsqWorker, &Workers[t]);
        ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, &ThreadObjects[t], NULL);
        ZwClose(Handle);
    }
    for (int t = 0; t < Threads; t++) {
        KeWaitForSingleObject(ThreadObjects[t], Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(ThreadObjects[t]);
    }
    Elapsed = NowNs() - Start;
    for (int t = 0; t < Threads; t++) {
        for (int i = 0; i < 16; i++) {
            if (Workers[t].Irps[i] != NULL)
                IoFreeIrp(Workers[t].Irps[i]);
        }
    }
    /* Anything still queued (the other thread's last inserts) goes too. */
    for (PIRP Irp; (Irp = BenchCsqRemoveNext()) != NULL;)
        IoFreeIrp(Irp);
    return (double)(PairsPerThread * Threads) / (Elapsed / 1e9);
}

static volatile LONG StormCompleted;

static NTSTATUS NTAPI StormCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    InterlockedIncrement(&StormCompleted);
    IoFreeIrp(Irp);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* Queues Count IRPs in the CSQ, then cancels them all; returns ns per IRP
   for the cancel phase. */
static double CancelStorm(long Count, long *PeakRssKb)
{
    PIRP *Irps = (PIRP *)malloc(sizeof(PIRP) * (size_t)Count);
    double Start, Elapsed;
    StormCompleted = 0;
    for (long i = 0; i < Count; i++) {
        PIRP Irp = IoAllocateIrp(2, FALSE);
        IoSetCompletionRoutine(Irp, StormCompletion, NULL, TRUE, TRUE, TRUE);
        IoSetNextIrpStackLocation(Irp);
        IoGetCurrentIrpStackLocation(Irp)->DeviceObject = BenchFunctionDevice;
        BenchCsqInsert(Irp);
        Irps[i] = Irp;
    }
    *PeakRssKb = MaxRssKb();
    Start = NowNs();
    for (long i = 0; i < Count; i++)
        IoCancelIrp(Irps[i]);
    Elapsed = NowNs() - Start;
    free(Irps);
    if (StormCompleted != Count)
        fprintf(stderr, "irpsim_bench: cancel storm completed %ld of %ld IRPs\n", (long)StormCompleted, Count);
    return Elapsed / (double)Count;
}

/* ---- 3. DeviceIoControl from the application side, and 4. CancelIo storms (bench_app.c) ---- */

static void StartAppMachine(void)
{
    PDRIVER_OBJECT Queue;
    StartMachine(FALSE, IrpSimClockReal);
    if (!NT_SUCCESS(IrpSimLoadDriver(L"\\Driver\\BenchQueue", BenchQueueDriverEntry, &Queue))) {
        fprintf(stderr, "irpsim_bench: could not load the application-side driver\n");
        exit(2);
    }
}

/* A fresh machine for each storm, so none inherits what another grew. */
static void RestartAppMachine(void)
{
    StopMachine();
    StartAppMachine();
}

static void BenchWin32(void)
{
    StartAppMachine();
    BenchApp(Quick, Record, (unsigned long)IoSizeOfIrp(1), (unsigned long)IoSizeOfIrp(4), RestartAppMachine);
    StopMachine();
}

static void BenchCsq(long Pairs)
{
    long Sizes[3] = {10000, 100000, 1000000};
    char Name[96];
    StartMachine(FALSE, IrpSimClockReal);
    BenchCsqInitialize();
    Record("4. CSQ insert + remove-next pairs, 1 thread", CsqPairsPerSecond(1, Pairs), "pairs/s", 0);
    Record("4. CSQ insert + remove-next pairs, 2 threads", CsqPairsPerSecond(2, Pairs / 2), "pairs/s", 0);
    for (int i = 0; i < 3; i++) {
        long Peak = 0;
        double PerIrp;
        if (Quick && Sizes[i] > 100000)
            break;
        PerIrp = CancelStorm(Sizes[i], &Peak);
        snprintf(Name, sizeof(Name), "4. cancel storm, %ld queued IRPs: per IRP", Sizes[i]);
        Record(Name, PerIrp, "ns/IRP", 0);
        snprintf(Name, sizeof(Name), "4. cancel storm, %ld queued IRPs: total", Sizes[i]);
        Record(Name, PerIrp * (double)Sizes[i] / 1e6, "ms", 0);
        snprintf(Name, sizeof(Name), "7. peak RSS after queueing %ld IRPs", Sizes[i]);
        Record(Name, (double)Peak / 1024.0, "MiB", 0);
    }
    StopMachine();
}

/* ---- 5. timers in virtual time ---- */

static void BenchTimers(void)
{
    long Sizes[3] = {10000, 100000, 1000000};
    char Name[96];
    for (int i = 0; i < 3; i++) {
        long Count = Sizes[i];
        PKTIMER Timers;
        double Start, Arm, Fire;
        LONGLONG Latest = 0;
        if (Quick && Count > 100000)
            break;
        StartMachine(FALSE, IrpSimClockVirtual);
        Timers = (PKTIMER)calloc((size_t)Count, sizeof(KTIMER));
        srand(12345);
        for (long t = 0; t < Count; t++)
            KeInitializeTimer(&Timers[t]);
        Start = NowNs();
        for (long t = 0; t < Count; t++) {
            LARGE_INTEGER Due;
            LONGLONG Offset = 1 + ((LONGLONG)rand() * 1000 + rand()) % 1000000000LL;
            Due.QuadPart = -Offset;
            if (Offset > Latest)
                Latest = Offset;
            KeSetTimer(&Timers[t], Due, NULL);
        }
        Arm = NowNs() - Start;
        Start = NowNs();
        IrpSimAdvanceTime(Latest + 1);
        Fire = NowNs() - Start;
        for (long t = 0; t < Count; t++) {
            if (!KeReadStateTimer(&Timers[t]))
                fprintf(stderr, "irpsim_bench: timer %ld did not fire\n", t);
        }
        free(Timers);
        StopMachine();
        snprintf(Name, sizeof(Name), "5. %ld timers: arm, per timer", Count);
        Record(Name, Arm / (double)Count, "ns", 0);
        snprintf(Name, sizeof(Name), "5. %ld timers: fire all, per timer", Count);
        Record(Name, Fire / (double)Count, "ns", 0);
    }
}

/* ---- 6. virtual time: a StartIo driver waiting 3 s per IRP ---- */

static KEVENT AllDone;
static volatile LONG SlowCompleted;

static NTSTATUS NTAPI SlowCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    IoFreeIrp(Irp);
    if (InterlockedIncrement(&SlowCompleted) == 10)
        KeSetEvent(&AllDone, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static void BenchVirtualTime(void)
{
    PDRIVER_OBJECT Slow;
    ULONGLONG SimulatedStart, Simulated;
    double Start, Wall;
    StartMachine(FALSE, IrpSimClockVirtual);
    IrpSimLoadDriver(L"\\Driver\\BenchSlow", BenchSlowDriverEntry, &Slow);
    KeInitializeEvent(&AllDone, NotificationEvent, FALSE);
    SlowCompleted = 0;
    SimulatedStart = KeQueryInterruptTime();
    Start = NowNs();
    for (int i = 0; i < 10; i++) {
        PIRP Irp = IoAllocateIrp(BenchSlowDevice->StackSize, FALSE);
        IoGetNextIrpStackLocation(Irp)->MajorFunction = IRP_MJ_READ;
        IoSetCompletionRoutine(Irp, SlowCompletion, NULL, TRUE, TRUE, TRUE);
        (void)IoCallDriver(BenchSlowDevice, Irp);
    }
    KeWaitForSingleObject(&AllDone, Executive, KernelMode, FALSE, NULL);
    Wall = NowNs() - Start;
    Simulated = KeQueryInterruptTime() - SimulatedStart;
    StopMachine();
    Record("6. StartIo, 10 IRPs x 3 s: simulated time", (double)Simulated / 1e7, "s", 0);
    Record("6. StartIo, 10 IRPs x 3 s: wall time", Wall / 1e6, "ms", 0);
}

/* ---- 7. memory per pending IRP ---- */

/* Bytes the C heap has handed out (glibc's mallinfo2), or -1 where that
   is not known. Unlike the resident size it sees an allocation that reuses
   memory freed earlier in the run. */
static long long HeapBytesInUse(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    struct mallinfo2 Info = mallinfo2();
    return (long long)(Info.uordblks + Info.hblkhd);
#else
    return -1;
#endif
}

static void BenchMemory(void)
{
    for (int Stack = 1; Stack <= 4; Stack += 3) {
        const long Count = 100000;
        PIRP *Irps = (PIRP *)malloc(sizeof(PIRP) * (size_t)Count);
        long long Before, After;
        char Name[96];
        StartMachine(FALSE, IrpSimClockReal);
        Before = HeapBytesInUse() >= 0 ? HeapBytesInUse() : BenchCurrentRssKb() * 1024LL;
        for (long i = 0; i < Count; i++)
            Irps[i] = IoAllocateIrp((CCHAR)Stack, FALSE);
        After = HeapBytesInUse() >= 0 ? HeapBytesInUse() : BenchCurrentRssKb() * 1024LL;
        for (long i = 0; i < Count; i++)
            IoFreeIrp(Irps[i]);
        StopMachine();
        free(Irps);
        snprintf(Name, sizeof(Name), "7. bytes per allocated IRP, %d stack location(s)", Stack);
        Record(Name, (double)(After - Before) / (double)Count, "bytes", 0);
        snprintf(Name, sizeof(Name), "7. ... sizeof(IRP) + %d x sizeof(IO_STACK_LOCATION)", Stack);
        Record(Name, (double)IoSizeOfIrp(Stack), "bytes", 0);
    }
}

/* ---- 8. schedule exploration ---- */

static void BenchExploration(void)
{
    static const struct {
        IRPSIM_EXPLORE_STRATEGY Strategy;
        const char *Name;
    } Strategies[] = {{IrpSimExploreRandom, "random walk"}, {IrpSimExplorePct, "PCT"},
                      {IrpSimExploreExhaustive, "bounded exhaustive"}};
    ULONG Iterations = Quick ? 200 : 2000;
    for (size_t i = 0; i < sizeof(Strategies) / sizeof(Strategies[0]); i++) {
        char Name[96];
        double Start = NowNs();
        ULONG Ran = IrpSimExploreBenchmark(Iterations, Strategies[i].Strategy, 1);
        double Seconds = (NowNs() - Start) / 1e9;
        snprintf(Name, sizeof(Name), "8. exploration of seed 002 scenario 2, %s (%lu schedules)", Strategies[i].Name,
                 (unsigned long)Ran);
        Record(Name, (double)Ran / Seconds, "sched/s", 0);
    }
}

/* ---- output ---- */

static int Report(const char *JsonPath, int Check)
{
    int Missed = 0;
    FILE *Json = JsonPath != NULL ? fopen(JsonPath, "w") : NULL;
    printf("%-66s %14s  %s\n", "measure", "value", "goal");
    for (int i = 0; i < ResultCount; i++) {
        BENCH_RESULT *R = &Results[i];
        int Miss = R->Goal > 0 && R->Value > R->Goal;
        char Goal[32] = "";
        if (R->Goal > 0)
            snprintf(Goal, sizeof(Goal), "<= %.1f%s", R->Goal, Miss ? "  MISSED" : "  met");
        printf("%-66s %10.1f %-6s %s\n", R->Name, R->Value, R->Unit, Goal);
        Missed += Miss;
    }
    if (Json != NULL) {
        fprintf(Json, "{\n  \"results\": [\n");
        for (int i = 0; i < ResultCount; i++) {
            BENCH_RESULT *R = &Results[i];
            fprintf(Json, "    {\"name\": \"%s\", \"value\": %.3f, \"unit\": \"%s\"", R->Name, R->Value, R->Unit);
            if (R->Goal > 0)
                fprintf(Json, ", \"goal_max\": %.3f, \"met\": %s", R->Goal, R->Value <= R->Goal ? "true" : "false");
            fprintf(Json, "}%s\n", i + 1 < ResultCount ? "," : "");
        }
        fprintf(Json, "  ]\n}\n");
        fclose(Json);
    }
    return Check && Missed ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *JsonPath = "irpsim-bench.json";
    int Check = 0;
    long RoundTrips;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            Quick = 1;
        else if (strcmp(argv[i], "--check") == 0)
            Check = 1;
        else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
            JsonPath = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--quick] [--json FILE] [--check]\n", argv[0]);
            return 2;
        }
    }
    RoundTrips = Quick ? 20000 : 200000;
    if (getenv("IRPSIM_BENCH_ONLY_APP") != NULL) {
        /* The application side alone (sections 3, 4 and 7 of bench_app.c). */
        BenchWin32();
        return Report(JsonPath, Check);
    }
    if (getenv("IRPSIM_BENCH_ONLY_TIMERS") != NULL) {
        /* Section 5 alone (for profiling the timer heap). */
        BenchTimers();
        return Report(JsonPath, Check);
    }
    if (getenv("IRPSIM_BENCH_ONLY_ROUNDTRIP") != NULL) {
        /* For profiling one hot path alone: "1" (verifier off), "on",
           "trace" or "recycled". */
        const char *Only = getenv("IRPSIM_BENCH_ONLY_ROUNDTRIP");
        if (strcmp(Only, "on") == 0)
            BenchRoundTrip("verifier on", TRUE, FALSE, 5.0, RoundTrips);
        else if (strcmp(Only, "trace") == 0)
            BenchRoundTrip("verifier off, tracing on", FALSE, TRUE, 0, RoundTrips / 10);
        else if (strcmp(Only, "recycled") == 0)
            BenchRecycledIrps(RoundTrips);
        else
            BenchRoundTrip("verifier off", FALSE, FALSE, 2.0, RoundTrips);
        return Report(JsonPath, Check);
    }
    BenchRoundTrip("verifier off", FALSE, FALSE, 2.0, RoundTrips);
    BenchRoundTrip("verifier on", TRUE, FALSE, 5.0, RoundTrips);
    BenchRoundTrip("verifier off, tracing on", FALSE, TRUE, 0, RoundTrips / 10);
    BenchRecycledIrps(RoundTrips);
    BenchCsq(Quick ? 100000 : 1000000);
    BenchTimers();
    BenchVirtualTime();
    BenchMemory();
    /* After the other memory figures (they read the process's peak RSS,
       which its storms would otherwise set). */
    BenchWin32();
    BenchExploration();
    return Report(JsonPath, Check);
}
