/*
 * irpsim benchmarks — the application side: DeviceIoControl throughput and
 * a CancelIo storm, through the Win32 facade (so every call builds a real
 * IRP as the I/O manager does).
 */
#include <windows.h>
#include <winioctl.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/resource.h>

#define BENCH_IOCTL_ECHO CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define BENCH_IOCTL_QUEUE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)

double BenchDeviceIoControlPerSecond(int Threads, long CallsPerThread);
double BenchCancelIoStorm(long Count, long *PeakRssKb);

static double AppNowNs(void)
{
    struct timespec Now;
    clock_gettime(CLOCK_MONOTONIC, &Now);
    return (double)Now.tv_sec * 1e9 + (double)Now.tv_nsec;
}

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

/* Synchronous METHOD_BUFFERED calls, 64 bytes in and out, driver completes inline. */
double BenchDeviceIoControlPerSecond(int Threads, long CallsPerThread)
{
    HANDLE Device = CreateFileW(L"\\\\.\\BenchQueue", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                                FILE_ATTRIBUTE_NORMAL, NULL);
    IOCTL_WORK Work[2];
    HANDLE ThreadHandles[2];
    double Start, Elapsed;
    if (Device == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "irpsim_bench: CreateFile failed (%lu)\n", (unsigned long)GetLastError());
        return 0;
    }
    Start = AppNowNs();
    for (int t = 0; t < Threads; t++) {
        Work[t].Device = Device;
        Work[t].Calls = CallsPerThread;
        Work[t].Failures = 0;
        ThreadHandles[t] = CreateThread(NULL, 0, IoctlLoop, &Work[t], 0, NULL);
    }
    WaitForMultipleObjects((DWORD)Threads, ThreadHandles, TRUE, INFINITE);
    Elapsed = AppNowNs() - Start;
    for (int t = 0; t < Threads; t++) {
        CloseHandle(ThreadHandles[t]);
        if (Work[t].Failures != 0)
            fprintf(stderr, "irpsim_bench: %ld DeviceIoControl calls failed\n", Work[t].Failures);
    }
    CloseHandle(Device);
    return (double)(CallsPerThread * Threads) / (Elapsed / 1e9);
}

/* Count overlapped IOCTLs pend in the driver's CSQ; CancelIo cancels them
   all. Returns the cost per IRP of the CancelIo call (which returns only
   when every cancelled request has completed). */
double BenchCancelIoStorm(long Count, long *PeakRssKb)
{
    HANDLE Device = CreateFileW(L"\\\\.\\BenchQueue", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                                FILE_FLAG_OVERLAPPED, NULL);
    OVERLAPPED *Overlapped = (OVERLAPPED *)calloc((size_t)Count, sizeof(OVERLAPPED));
    struct rusage Usage;
    double Start, Elapsed;
    long Aborted = 0;
    for (long i = 0; i < Count; i++) {
        if (DeviceIoControl(Device, BENCH_IOCTL_QUEUE, NULL, 0, NULL, 0, NULL, &Overlapped[i]) ||
            GetLastError() != ERROR_IO_PENDING)
            fprintf(stderr, "irpsim_bench: request %ld did not pend\n", i);
    }
    getrusage(RUSAGE_SELF, &Usage);
    *PeakRssKb = Usage.ru_maxrss;
    Start = AppNowNs();
    CancelIo(Device);
    Elapsed = AppNowNs() - Start;
    for (long i = 0; i < Count; i++) {
        DWORD Bytes;
        if (!GetOverlappedResult(Device, &Overlapped[i], &Bytes, FALSE) && GetLastError() == ERROR_OPERATION_ABORTED)
            Aborted++;
    }
    if (Aborted != Count)
        fprintf(stderr, "irpsim_bench: %ld of %ld requests were cancelled\n", Aborted, Count);
    free(Overlapped);
    CloseHandle(Device);
    return Elapsed / (double)Count;
}
