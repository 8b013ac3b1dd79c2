/*
 * irpsim benchmarks — the application side: DeviceIoControl throughput and
 * CancelIo storms, through the Win32 facade (so every call builds a real
 * IRP as the I/O manager does), and the memory a pending request takes.
 *
 * The devices (bench_drivers.c): \\.\BenchQueue completes echo IOCTLs in
 * its dispatch routine and parks queue IOCTLs in a CSQ until they are
 * cancelled; \\.\BenchQueueStack does the same with four stack locations
 * instead of one.
 *
 * DeviceIoControl figures are medians of interleaved trials. Each storm
 * runs once, on a fresh machine; its linearity is reported as the ratio of
 * per-request costs between sizes (1.0 = linear).
 */
#include <windows.h>
#include <winioctl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define BENCH_IOCTL_ECHO CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define BENCH_IOCTL_QUEUE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define APP_TRIALS 3

/* How bench_main.c takes a figure: Goal 0 means none, else Value <= Goal. */
typedef void (*BENCH_RECORD)(const char *Name, double Value, const char *Unit, double Goal);
typedef void (*BENCH_RESTART)(void);
long BenchCurrentRssKb(void); /* bench_main.c */
void BenchApp(int Quick, BENCH_RECORD Record, unsigned long IrpBytes1, unsigned long IrpBytes4, BENCH_RESTART Restart);

static double AppClockNs(clockid_t Clock)
{
    struct timespec Now;
    clock_gettime(Clock, &Now);
    return (double)Now.tv_sec * 1e9 + (double)Now.tv_nsec;
}

static double AppNowNs(void)
{
    return AppClockNs(CLOCK_MONOTONIC);
}

/* The calling thread's CPU time: unlike the wall clock, not stretched by
   other processes on a busy machine. */
static double AppThreadCpuNs(void)
{
    return AppClockNs(CLOCK_THREAD_CPUTIME_ID);
}

/* Gives the heap's free memory back to the host, so that what a storm
   allocates shows in the resident size (and later figures are not
   hidden by what an earlier storm freed). */
static void AppTrimHeap(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/* Starts ru_maxrss over from the resident size now (Linux: writing 5 to
   /proc/self/clear_refs resets the high-water mark getrusage reports), so
   that a storm's peak is its own. FALSE where that cannot be done. */
static BOOL AppResetPeakRss(void)
{
    FILE *ClearRefs = fopen("/proc/self/clear_refs", "w");
    BOOL Ok;
    if (ClearRefs == NULL)
        return FALSE;
    Ok = fputs("5", ClearRefs) >= 0;
    return fclose(ClearRefs) == 0 && Ok;
}

static int AppCompareDoubles(const void *A, const void *B)
{
    double X = *(const double *)A, Y = *(const double *)B;
    return X < Y ? -1 : X > Y;
}

static HANDLE AppOpen(const wchar_t *Name, DWORD Flags)
{
    HANDLE Device = CreateFileW(Name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, Flags, NULL);
    if (Device == INVALID_HANDLE_VALUE)
        fprintf(stderr, "irpsim_bench: CreateFile %ls failed (%lu)\n", Name, (unsigned long)GetLastError());
    return Device;
}

/* ---- DeviceIoControl throughput ---- */

typedef struct _IOCTL_WORK {
    HANDLE Device;
    long Calls;
    long Failures;
} IOCTL_WORK;

static DWORD WINAPI IoctlLoop(LPVOID Parameter)
{
    IOCTL_WORK *Work = (IOCTL_WORK *)Parameter;
    BYTE In[64] = {0}, Out[64];
    for (long i = 0; i < Work->Calls; i++) {
        DWORD Returned = 0;
        if (!DeviceIoControl(Work->Device, BENCH_IOCTL_ECHO, In, sizeof(In), Out, sizeof(Out), &Returned, NULL) ||
            Returned != sizeof(Out))
            Work->Failures++;
    }
    return 0;
}

/* Synchronous METHOD_BUFFERED calls, 64 bytes in and out, completed inline
   by the driver, on Threads threads; each thread has a handle of its own
   unless SharedHandle. Returns calls per second, 0 on failure. */
static double IoctlCallsPerSecond(int Threads, long CallsPerThread, int SharedHandle)
{
    IOCTL_WORK Work[2];
    HANDLE ThreadHandles[2];
    double Start, Elapsed;
    long Failures = 0;

    for (int t = 0; t < Threads; t++) {
        Work[t].Device = t > 0 && SharedHandle ? Work[0].Device : AppOpen(L"\\\\.\\BenchQueue", FILE_ATTRIBUTE_NORMAL);
        Work[t].Calls = CallsPerThread;
        Work[t].Failures = 0;
        if (Work[t].Device == INVALID_HANDLE_VALUE)
            return 0;
    }
    Start = AppNowNs();
    for (int t = 0; t < Threads; t++)
        ThreadHandles[t] = CreateThread(NULL, 0, IoctlLoop, &Work[t], 0, NULL);
    WaitForMultipleObjects((DWORD)Threads, ThreadHandles, TRUE, INFINITE);
    Elapsed = AppNowNs() - Start;
    for (int t = 0; t < Threads; t++) {
        CloseHandle(ThreadHandles[t]);
        Failures += Work[t].Failures;
        if (t == 0 || !SharedHandle)
            CloseHandle(Work[t].Device);
    }
    if (Failures != 0)
        fprintf(stderr, "irpsim_bench: %ld DeviceIoControl calls failed\n", Failures);
    return (double)(CallsPerThread * Threads) / (Elapsed / 1e9);
}

static void BenchIoctl(int Quick, BENCH_RECORD Record)
{
    long Calls = Quick ? 50000 : 500000;
    double One[APP_TRIALS], Two[APP_TRIALS], Shared[APP_TRIALS];
    (void)IoctlCallsPerSecond(1, Calls / 10, 0); /* warm up */
    for (int t = 0; t < APP_TRIALS; t++) {
        One[t] = IoctlCallsPerSecond(1, Calls, 0);
        Two[t] = IoctlCallsPerSecond(2, Calls / 2, 0);
        Shared[t] = IoctlCallsPerSecond(2, Calls / 2, 1);
    }
    qsort(One, APP_TRIALS, sizeof(double), AppCompareDoubles);
    qsort(Two, APP_TRIALS, sizeof(double), AppCompareDoubles);
    qsort(Shared, APP_TRIALS, sizeof(double), AppCompareDoubles);
    Record("3. DeviceIoControl, METHOD_BUFFERED 64/64, synchronous, 1 thread", One[APP_TRIALS / 2], "calls/s", 0);
    Record("3. ... per call, 1 thread", 1e9 / One[APP_TRIALS / 2], "ns", 0);
    Record("3. DeviceIoControl, 2 threads, a handle each", Two[APP_TRIALS / 2], "calls/s", 0);
    Record("3. ... 2 threads / 1 thread", Two[APP_TRIALS / 2] / One[APP_TRIALS / 2], "x", 0);
    /* Windows too lets one request at a time through a synchronous file
       object (the file object lock): two threads take turns. */
    Record("3. DeviceIoControl, 2 threads sharing a synchronous handle", Shared[APP_TRIALS / 2], "calls/s", 0);
}

/* ---- CancelIo storms ---- */

typedef struct _STORM {
    double IssueNs;   /* per request, the overlapped DeviceIoControl that pends it */
    double CancelNs;  /* the CancelIo call, which returns once all have completed */
    double CancelCpuNs; /* the same in the thread's CPU time (the work is all in that thread) */
    double PendingBytes; /* resident memory per pending request */
    long PeakRssKb;   /* getrusage ru_maxrss over the storm (0: it could not be told) */
} STORM;

/* Count overlapped IOCTLs pend in the driver's CSQ; one CancelIo cancels
   them all (and waits for them). FALSE if something went wrong. */
static BOOL CancelIoStorm(const wchar_t *Name, long Count, STORM *Storm)
{
    HANDLE Device = AppOpen(Name, FILE_FLAG_OVERLAPPED);
    OVERLAPPED *Overlapped = (OVERLAPPED *)malloc((size_t)Count * sizeof(OVERLAPPED));
    struct rusage Usage;
    long Aborted = 0, RssBefore, RssPending;
    double Start, CpuStart;
    BOOL Ok = TRUE, PeakKnown;

    if (Device == INVALID_HANDLE_VALUE || Overlapped == NULL) {
        free(Overlapped);
        return FALSE;
    }
    memset(Overlapped, 0, (size_t)Count * sizeof(OVERLAPPED)); /* resident before the count starts */
    AppTrimHeap();
    PeakKnown = AppResetPeakRss();
    RssBefore = BenchCurrentRssKb();
    Start = AppNowNs();
    for (long i = 0; i < Count; i++) {
        if ((DeviceIoControl(Device, BENCH_IOCTL_QUEUE, NULL, 0, NULL, 0, NULL, &Overlapped[i]) ||
             GetLastError() != ERROR_IO_PENDING) && Ok) {
            fprintf(stderr, "irpsim_bench: request %ld did not pend\n", i);
            Ok = FALSE;
        }
    }
    Storm->IssueNs = (AppNowNs() - Start) / (double)Count;
    RssPending = BenchCurrentRssKb();
    Start = AppNowNs();
    CpuStart = AppThreadCpuNs();
    if (!CancelIo(Device))
        Ok = FALSE;
    Storm->CancelCpuNs = (AppThreadCpuNs() - CpuStart) / (double)Count;
    Storm->CancelNs = (AppNowNs() - Start) / (double)Count;
    getrusage(RUSAGE_SELF, &Usage);
    Storm->PeakRssKb = PeakKnown ? Usage.ru_maxrss : 0;
    Storm->PendingBytes = (double)(RssPending - RssBefore) * 1024.0 / (double)Count;
    for (long i = 0; i < Count; i++) {
        DWORD Bytes;
        if (!GetOverlappedResult(Device, &Overlapped[i], &Bytes, FALSE) && GetLastError() == ERROR_OPERATION_ABORTED)
            Aborted++;
    }
    if (Aborted != Count) {
        fprintf(stderr, "irpsim_bench: %ld of %ld requests were cancelled\n", Aborted, Count);
        Ok = FALSE;
    }
    free(Overlapped);
    CloseHandle(Device);
    AppTrimHeap();
    return Ok;
}

/* Each storm runs on a fresh machine (Restart), so none inherits the
   tables an earlier one grew or the memory it freed. */
static int AppCompareStorms(const void *A, const void *B)
{
    return AppCompareDoubles(&((const STORM *)A)->CancelCpuNs, &((const STORM *)B)->CancelCpuNs);
}

/* Each storm runs on a fresh machine (Restart), so none inherits the
   tables an earlier one grew or the memory it freed; the sizes below 1M
   run three times and the median (by CPU time) is kept. */
static void BenchStorms(int Quick, BENCH_RECORD Record, unsigned long IrpBytes1, unsigned long IrpBytes4,
                        BENCH_RESTART Restart)
{
    static const long Sizes[] = {10000, 100000, 1000000};
    int Last = Quick ? 1 : 2;
    double PerRequestCpu[3] = {0};
    long Peak = 0;
    char Name[96];
    STORM Storm;

    for (int i = 0; i <= Last; i++) {
        STORM Trials[APP_TRIALS];
        int Runs = Sizes[i] < 1000000 ? APP_TRIALS : 1;
        for (int t = 0; t < Runs; t++) {
            Restart();
            if (!CancelIoStorm(L"\\\\.\\BenchQueue", Sizes[i], &Trials[t]))
                return;
        }
        qsort(Trials, (size_t)Runs, sizeof(STORM), AppCompareStorms);
        Storm = Trials[Runs / 2];
        PerRequestCpu[i] = Storm.CancelCpuNs;
        snprintf(Name, sizeof(Name), "4. CancelIo storm, %ld pending requests: total", Sizes[i]);
        Record(Name, Storm.CancelNs * (double)Sizes[i] / 1e6, "ms", 0);
        snprintf(Name, sizeof(Name), "4. CancelIo storm, %ld pending requests: per request", Sizes[i]);
        Record(Name, Storm.CancelNs, "ns", 0);
        snprintf(Name, sizeof(Name), "4. ... per request, thread CPU time");
        Record(Name, Storm.CancelCpuNs, "ns", 0);
        snprintf(Name, sizeof(Name), "4. ... issuing the %ld, per overlapped DeviceIoControl", Sizes[i]);
        Record(Name, Storm.IssueNs, "ns", 0);
        if (i > 0) {
            snprintf(Name, sizeof(Name), "4. ... CPU time per request %ldk / %ldk (1.0 = linear)", Sizes[i] / 1000,
                     Sizes[i - 1] / 1000);
            Record(Name, PerRequestCpu[i] / PerRequestCpu[i - 1], "x", 0);
        }
        Peak = Storm.PeakRssKb;
    }
    snprintf(Name, sizeof(Name), "7. peak RSS (ru_maxrss) during the %ld-request CancelIo storm", Sizes[Last]);
    Record(Name, (double)Peak / 1024.0, "MiB", 0);
    snprintf(Name, sizeof(Name), "7. bytes per pending request in the %ld-request storm", Sizes[Last]);
    Record(Name, Storm.PendingBytes, "bytes", 0);

    /* 100k requests with one stack location, then with four. */
    Restart();
    if (!CancelIoStorm(L"\\\\.\\BenchQueue", Sizes[1], &Storm))
        return;
    Record("7. bytes per pending DeviceIoControl request, 1 stack location", Storm.PendingBytes, "bytes", 0);
    Record("7. ... sizeof(IRP) + 1 x sizeof(IO_STACK_LOCATION)", (double)IrpBytes1, "bytes", 0);
    Restart();
    if (!CancelIoStorm(L"\\\\.\\BenchQueueStack", Sizes[1], &Storm))
        return;
    Record("7. bytes per pending DeviceIoControl request, 4 stack locations", Storm.PendingBytes, "bytes", 0);
    Record("7. ... sizeof(IRP) + 4 x sizeof(IO_STACK_LOCATION)", (double)IrpBytes4, "bytes", 0);
    Record("4. CancelIo storm, 100000 requests with 4 stack locations: per request", Storm.CancelNs, "ns", 0);
}

void BenchApp(int Quick, BENCH_RECORD Record, unsigned long IrpBytes1, unsigned long IrpBytes4, BENCH_RESTART Restart)
{
    BenchIoctl(Quick, Record);
    BenchStorms(Quick, Record, IrpBytes1, IrpBytes4, Restart);
}
