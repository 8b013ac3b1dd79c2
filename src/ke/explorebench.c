/*
 * irpsim — the exploration benchmark (IrpSimExploreBenchmark): a built-in
 * copy of seed 002 scenario 2, so bench/ can measure schedules per second
 * without a test driver of its own.
 *
 * A lower device queues each IOCTL with a cancel routine and completes it
 * from a DPC; the sender (MakeSynchronousIoctlWithTimeOut, written
 * correctly) waits 10 ms, then cancels through the IRPLOCK hand-over. Each
 * schedule checks that the IRP was finished exactly once.
 *
 * Written as a driver would be (WDK calls only), charged to its own driver
 * object "\Driver\IrpSimExploreBench".
 */
#include "explore.h"

#include <stdlib.h>

#define KIP_BENCH_IOCTL CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS)

enum { KipLockCancelable, KipLockCancelStarted, KipLockCancelComplete, KipLockCompleted };

typedef struct _KIP_BENCH_LOWER {
    KSPIN_LOCK Lock;
    LIST_ENTRY Queue;
    KDPC Dpc;
} KIP_BENCH_LOWER, *PKIP_BENCH_LOWER;

/* One schedule's counts (the controlled scheduler runs one thread at a time). */
static LONG KipBenchLowerCompletions;
static LONG KipBenchFinalCompletions;
static PDEVICE_OBJECT KipBenchDevice;

static VOID KipBenchComplete(PIRP Irp, NTSTATUS Status)
{
    InterlockedIncrement(&KipBenchLowerCompletions);
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

static VOID NTAPI KipBenchCancel(PDEVICE_OBJECT Device, PIRP Irp)
{
    PKIP_BENCH_LOWER Lower = (PKIP_BENCH_LOWER)Device->DeviceExtension;
    KIRQL Irql;
    IoReleaseCancelSpinLock(Irp->CancelIrql);
    KeAcquireSpinLock(&Lower->Lock, &Irql);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&Lower->Lock, Irql);
    KipBenchComplete(Irp, STATUS_CANCELLED);
}

static VOID NTAPI KipBenchDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    PKIP_BENCH_LOWER Lower = (PKIP_BENCH_LOWER)Context;
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Argument1);
    UNREFERENCED_PARAMETER(Argument2);
    KeAcquireSpinLockAtDpcLevel(&Lower->Lock);
    while (!IsListEmpty(&Lower->Queue)) {
        PLIST_ENTRY Entry = RemoveHeadList(&Lower->Queue);
        PIRP Irp = CONTAINING_RECORD(Entry, IRP, Tail.Overlay.ListEntry);
        if (IoSetCancelRoutine(Irp, NULL) == NULL) {
            InitializeListHead(Entry); /* the cancel routine owns it */
            continue;
        }
        KeReleaseSpinLockFromDpcLevel(&Lower->Lock);
        KipBenchComplete(Irp, STATUS_SUCCESS);
        KeAcquireSpinLockAtDpcLevel(&Lower->Lock);
    }
    KeReleaseSpinLockFromDpcLevel(&Lower->Lock);
}

static NTSTATUS NTAPI KipBenchDeviceControl(PDEVICE_OBJECT Device, PIRP Irp)
{
    PKIP_BENCH_LOWER Lower = (PKIP_BENCH_LOWER)Device->DeviceExtension;
    KIRQL Irql;
    IoMarkIrpPending(Irp);
    KeAcquireSpinLock(&Lower->Lock, &Irql);
    InsertTailList(&Lower->Queue, &Irp->Tail.Overlay.ListEntry);
    IoSetCancelRoutine(Irp, KipBenchCancel);
    if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL) {
        RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
        KeReleaseSpinLock(&Lower->Lock, Irql);
        KipBenchComplete(Irp, STATUS_CANCELLED);
        return STATUS_PENDING;
    }
    KeReleaseSpinLock(&Lower->Lock, Irql);
    KeInsertQueueDpc(&Lower->Dpc, NULL, NULL);
    return STATUS_PENDING;
}

static VOID NTAPI KipBenchUnload(PDRIVER_OBJECT Driver)
{
    KeFlushQueuedDpcs();
    IoDeleteDevice(Driver->DeviceObject);
}

static NTSTATUS NTAPI KipBenchDriverEntry(PDRIVER_OBJECT Driver, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING Name;
    PDEVICE_OBJECT Device;
    PKIP_BENCH_LOWER Lower;
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);

    RtlInitUnicodeString(&Name, L"\\Device\\IrpSimExploreBench");
    Status = IoCreateDevice(Driver, sizeof(KIP_BENCH_LOWER), &Name, FILE_DEVICE_UNKNOWN, 0, FALSE, &Device);
    if (!NT_SUCCESS(Status))
        return Status;
    Lower = (PKIP_BENCH_LOWER)Device->DeviceExtension;
    KeInitializeSpinLock(&Lower->Lock);
    InitializeListHead(&Lower->Queue);
    KeInitializeDpc(&Lower->Dpc, KipBenchDpc, Lower);
    Driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = KipBenchDeviceControl;
    Driver->DriverUnload = KipBenchUnload;
    Device->Flags &= ~DO_DEVICE_INITIALIZING;
    KipBenchDevice = Device;
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI KipBenchCompletion(PDEVICE_OBJECT Device, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(Device);
    UNREFERENCED_PARAMETER(Irp);
    if (InterlockedExchange((PLONG)Context, KipLockCompleted) == KipLockCancelStarted)
        return STATUS_MORE_PROCESSING_REQUIRED; /* the sender finishes it */
    InterlockedIncrement(&KipBenchFinalCompletions);
    return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS KipBenchSend(PDEVICE_OBJECT Device, ULONG Milliseconds)
{
    KEVENT Event;
    IO_STATUS_BLOCK IoStatus;
    LARGE_INTEGER DueTime;
    LONG Lock = KipLockCancelable;
    NTSTATUS Status;
    PIRP Irp;

    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    Irp = IoBuildDeviceIoControlRequest(KIP_BENCH_IOCTL, Device, NULL, 0, NULL, 0, FALSE, &Event, &IoStatus);
    if (Irp == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    IoSetCompletionRoutine(Irp, KipBenchCompletion, &Lock, TRUE, TRUE, TRUE);
    Status = IoCallDriver(Device, Irp);
    if (Status != STATUS_PENDING)
        return Status;
    DueTime.QuadPart = -10000LL * Milliseconds;
    Status = KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &DueTime);
    if (Status != STATUS_TIMEOUT)
        return IoStatus.Status;
    if (InterlockedExchange(&Lock, KipLockCancelStarted) == KipLockCancelable) {
        IoCancelIrp(Irp);
        if (InterlockedExchange(&Lock, KipLockCancelComplete) == KipLockCompleted) {
            InterlockedIncrement(&KipBenchFinalCompletions);
            IoCompleteRequest(Irp, IO_NO_INCREMENT);
        }
    }
    KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL);
    return STATUS_TIMEOUT;
}

static NTSTATUS KipBenchBody(PVOID Context)
{
    PDRIVER_OBJECT Driver;
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(Context);

    KipBenchLowerCompletions = 0;
    KipBenchFinalCompletions = 0;
    Status = IrpSimLoadDriver(L"\\Driver\\IrpSimExploreBench", KipBenchDriverEntry, &Driver);
    if (!NT_SUCCESS(Status))
        return Status;
    (void)KipBenchSend(KipBenchDevice, 10);
    if (KipBenchLowerCompletions != 1 || KipBenchFinalCompletions != 1)
        IrpSimExploreFail("the IRP was completed %ld time(s) by the device and finished %ld time(s)",
                          (long)KipBenchLowerCompletions, (long)KipBenchFinalCompletions);
    return STATUS_SUCCESS;
}

ULONG IrpSimExploreBenchmark(ULONG Iterations, IRPSIM_EXPLORE_STRATEGY Strategy, ULONGLONG Seed)
{
    IRPSIM_EXPLORE_OPTIONS Options;
    IRPSIM_EXPLORE_RESULT *Result = (IRPSIM_EXPLORE_RESULT *)calloc(1, sizeof(*Result));
    ULONG Schedules = 0;

    if (Result == NULL)
        return 0;
    IrpSimExploreDefaultOptions(&Options);
    Options.Name = "benchmark";
    Options.Strategy = Strategy;
    Options.Iterations = Iterations;
    Options.Seed = Seed;
    Options.KeepGoing = TRUE;
    if (NT_SUCCESS(IrpSimExplore(&Options, KipBenchBody, NULL, Result)))
        Schedules = Result->Schedules;
    free(Result);
    return Schedules;
}
