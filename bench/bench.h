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

/* Resident memory now, in KiB (Linux /proc; 0 elsewhere). bench_main.c. */
long BenchCurrentRssKb(void);

/* The application side (bench_app.c, which includes <windows.h>): records
   DeviceIoControl throughput, CancelIo storms and the memory of pending
   requests. IrpBytes1/4: IoSizeOfIrp(1) and IoSizeOfIrp(4); Restart gives
   it a fresh machine with both devices. */
typedef void (*BENCH_RECORD)(const char *Name, double Value, const char *Unit, double Goal);
void BenchApp(int Quick, BENCH_RECORD Record, unsigned long IrpBytes1, unsigned long IrpBytes4, void (*Restart)(void));

#endif
