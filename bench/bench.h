/*
 * irpsim benchmarks — what the driver file gives the measuring program.
 */
#ifndef IRPSIM_BENCH_H
#define IRPSIM_BENCH_H

#include <wdm.h>

extern PDEVICE_OBJECT BenchFunctionDevice;
extern PDEVICE_OBJECT BenchTopDevice;
extern PDEVICE_OBJECT BenchSlowDevice;

NTSTATUS NTAPI BenchStackDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
NTSTATUS NTAPI BenchSlowDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
NTSTATUS NTAPI BenchQueueDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
VOID BenchCsqInitialize(VOID);
VOID BenchCsqInsert(PIRP Irp);
PIRP BenchCsqRemoveNext(VOID);

/* The application side (bench_app.c, which includes <windows.h>). */
double BenchDeviceIoControlPerSecond(int Threads, long CallsPerThread);
double BenchCancelIoStorm(long Count, long *PeakRssKb);

#endif
