/*
 * irpsim benchmarks — the drivers being measured, written as WDK drivers.
 *
 * A three-device stack: two filters that copy their stack location and set
 * a completion routine, over a function driver that completes inline. A
 * CSQ driver for queue throughput, and a StartIo driver whose "hardware"
 * takes 3 s per request (a wait on a never-signalled event), for virtual
 * time.
 */
#include <ntddk.h>

#include "bench.h"

PDEVICE_OBJECT BenchFunctionDevice;
PDEVICE_OBJECT BenchTopDevice;
PDEVICE_OBJECT BenchSlowDevice;

/* ---- the three-device stack ---- */

typedef struct _FILTER_EXTENSION {
    PDEVICE_OBJECT Lower;
} FILTER_EXTENSION, *PFILTER_EXTENSION;

static NTSTATUS NTAPI FunctionDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 64;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI FilterCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    if (Irp->PendingReturned)
        IoMarkIrpPending(Irp);
    return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS NTAPI FilterDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PFILTER_EXTENSION Extension = (PFILTER_EXTENSION)DeviceObject->DeviceExtension;
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, FilterCompletion, NULL, TRUE, TRUE, TRUE);
    return IoCallDriver(Extension->Lower, Irp);
}

/* One driver object serves all three devices, so it dispatches by device:
   the bottom one completes, the two above it are filters. */
static NTSTATUS NTAPI StackDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    if (DeviceObject == BenchFunctionDevice)
        return FunctionDispatch(DeviceObject, Irp);
    return FilterDispatch(DeviceObject, Irp);
}

static VOID NTAPI StackUnload(PDRIVER_OBJECT DriverObject)
{
    while (DriverObject->DeviceObject != NULL) {
        PDEVICE_OBJECT Device = DriverObject->DeviceObject;
        if (Device != BenchFunctionDevice)
            IoDetachDevice(((PFILTER_EXTENSION)Device->DeviceExtension)->Lower);
        IoDeleteDevice(Device);
    }
}

NTSTATUS NTAPI BenchStackDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING Name = RTL_CONSTANT_STRING(L"\\Device\\BenchFunction");
    PDEVICE_OBJECT Function;
    PDEVICE_OBJECT Below;
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);

    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        DriverObject->MajorFunction[i] = StackDispatch;
    DriverObject->DriverUnload = StackUnload;
    Status = IoCreateDevice(DriverObject, 0, &Name, FILE_DEVICE_UNKNOWN, 0, FALSE, &Function);
    if (!NT_SUCCESS(Status))
        return Status;
    BenchFunctionDevice = Function;
    Below = Function;
    for (int i = 0; i < 2; i++) {
        PDEVICE_OBJECT Filter;
        Status = IoCreateDevice(DriverObject, sizeof(FILTER_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &Filter);
        if (!NT_SUCCESS(Status))
            return Status;
        ((PFILTER_EXTENSION)Filter->DeviceExtension)->Lower = IoAttachDeviceToDeviceStack(Filter, Below);
        Below = Filter;
    }
    BenchTopDevice = Below;
    return STATUS_SUCCESS;
}

/* ---- CSQ ---- */

typedef struct _CSQ_QUEUE {
    IO_CSQ Csq;
    KSPIN_LOCK Lock;
    LIST_ENTRY List;
} CSQ_QUEUE, *PCSQ_QUEUE;

static CSQ_QUEUE BenchQueue;

static VOID NTAPI CsqInsert(PIO_CSQ Csq, PIRP Irp)
{
    PCSQ_QUEUE Queue = CONTAINING_RECORD(Csq, CSQ_QUEUE, Csq);
    InsertTailList(&Queue->List, &Irp->Tail.Overlay.ListEntry);
}

static VOID NTAPI CsqRemove(PIO_CSQ Csq, PIRP Irp)
{
    UNREFERENCED_PARAMETER(Csq);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
}

static PIRP NTAPI CsqPeek(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext)
{
    PCSQ_QUEUE Queue = CONTAINING_RECORD(Csq, CSQ_QUEUE, Csq);
    PLIST_ENTRY Next = Irp == NULL ? Queue->List.Flink : Irp->Tail.Overlay.ListEntry.Flink;
    UNREFERENCED_PARAMETER(PeekContext);
    return Next == &Queue->List ? NULL : CONTAINING_RECORD(Next, IRP, Tail.Overlay.ListEntry);
}

static VOID NTAPI CsqAcquire(PIO_CSQ Csq, PKIRQL Irql)
{
    KeAcquireSpinLock(&CONTAINING_RECORD(Csq, CSQ_QUEUE, Csq)->Lock, Irql);
}

static VOID NTAPI CsqRelease(PIO_CSQ Csq, KIRQL Irql)
{
    KeReleaseSpinLock(&CONTAINING_RECORD(Csq, CSQ_QUEUE, Csq)->Lock, Irql);
}

static VOID NTAPI CsqCompleteCanceled(PIO_CSQ Csq, PIRP Irp)
{
    UNREFERENCED_PARAMETER(Csq);
    Irp->IoStatus.Status = STATUS_CANCELLED;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

VOID BenchCsqInitialize(VOID)
{
    KeInitializeSpinLock(&BenchQueue.Lock);
    InitializeListHead(&BenchQueue.List);
    IoCsqInitialize(&BenchQueue.Csq, CsqInsert, CsqRemove, CsqPeek, CsqAcquire, CsqRelease, CsqCompleteCanceled);
}

VOID BenchCsqInsert(PIRP Irp)
{
    IoCsqInsertIrp(&BenchQueue.Csq, Irp, NULL);
}

PIRP BenchCsqRemoveNext(VOID)
{
    return IoCsqRemoveNextIrp(&BenchQueue.Csq, NULL);
}

/* ---- StartIo with a slow device ---- */

typedef struct _SLOW_EXTENSION {
    KEVENT NeverSignalled;
    KEVENT Work;
    KSPIN_LOCK Lock;
    LIST_ENTRY Pending;
    volatile LONG Stop;
    PETHREAD Thread;
} SLOW_EXTENSION, *PSLOW_EXTENSION;

/* StartIo runs at DISPATCH_LEVEL and must not wait: it hands the IRP to a
   worker thread that "talks to the hardware" at PASSIVE_LEVEL. */
static VOID NTAPI SlowStartIo(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PSLOW_EXTENSION Extension = (PSLOW_EXTENSION)DeviceObject->DeviceExtension;
    ExInterlockedInsertTailList(&Extension->Pending, &Irp->Tail.Overlay.ListEntry, &Extension->Lock);
    KeSetEvent(&Extension->Work, IO_NO_INCREMENT, FALSE);
}

static VOID NTAPI SlowWorker(PVOID Context)
{
    PDEVICE_OBJECT Device = (PDEVICE_OBJECT)Context;
    PSLOW_EXTENSION Extension = (PSLOW_EXTENSION)Device->DeviceExtension;
    for (;;) {
        PLIST_ENTRY Entry;
        KeWaitForSingleObject(&Extension->Work, Executive, KernelMode, FALSE, NULL);
        while ((Entry = ExInterlockedRemoveHeadList(&Extension->Pending, &Extension->Lock)) != NULL) {
            PIRP Irp = CONTAINING_RECORD(Entry, IRP, Tail.Overlay.ListEntry);
            LARGE_INTEGER ThreeSeconds;
            KIRQL Old;
            ThreeSeconds.QuadPart = -3LL * 10 * 1000 * 1000;
            KeWaitForSingleObject(&Extension->NeverSignalled, Executive, KernelMode, FALSE, &ThreeSeconds);
            Irp->IoStatus.Status = STATUS_SUCCESS;
            Irp->IoStatus.Information = 0;
            IoCompleteRequest(Irp, IO_NO_INCREMENT);
            KeRaiseIrql(DISPATCH_LEVEL, &Old);
            IoStartNextPacket(Device, FALSE);
            KeLowerIrql(Old);
        }
        if (Extension->Stop)
            break;
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static NTSTATUS NTAPI SlowDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    IoMarkIrpPending(Irp);
    IoStartPacket(DeviceObject, Irp, NULL, NULL);
    return STATUS_PENDING;
}

static VOID NTAPI SlowUnload(PDRIVER_OBJECT DriverObject)
{
    PDEVICE_OBJECT Device = DriverObject->DeviceObject;
    PSLOW_EXTENSION Extension = (PSLOW_EXTENSION)Device->DeviceExtension;
    InterlockedExchange(&Extension->Stop, 1);
    KeSetEvent(&Extension->Work, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(Extension->Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Extension->Thread);
    IoDeleteDevice(Device);
}

NTSTATUS NTAPI BenchSlowDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING Name = RTL_CONSTANT_STRING(L"\\Device\\BenchSlow");
    PDEVICE_OBJECT Device;
    PSLOW_EXTENSION Extension;
    HANDLE Thread;
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);

    DriverObject->MajorFunction[IRP_MJ_READ] = SlowDispatch;
    DriverObject->DriverStartIo = SlowStartIo;
    DriverObject->DriverUnload = SlowUnload;
    Status = IoCreateDevice(DriverObject, sizeof(SLOW_EXTENSION), &Name, FILE_DEVICE_UNKNOWN, 0, FALSE, &Device);
    if (!NT_SUCCESS(Status))
        return Status;
    Extension = (PSLOW_EXTENSION)Device->DeviceExtension;
    KeInitializeEvent(&Extension->NeverSignalled, NotificationEvent, FALSE);
    KeInitializeEvent(&Extension->Work, SynchronizationEvent, FALSE);
    KeInitializeSpinLock(&Extension->Lock);
    InitializeListHead(&Extension->Pending);
    Status = PsCreateSystemThread(&Thread, THREAD_ALL_ACCESS, NULL, NULL, NULL, SlowWorker, Device);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(Device);
        return Status;
    }
    ObReferenceObjectByHandle(Thread, SYNCHRONIZE, *PsThreadType, KernelMode, (PVOID *)&Extension->Thread, NULL);
    ZwClose(Thread);
    BenchSlowDevice = Device;
    return STATUS_SUCCESS;
}

/* ---- a device the application side opens: echo IOCTLs and queued IOCTLs ---- */

#define BENCH_IOCTL_ECHO 0x222000  /* CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS) */
#define BENCH_IOCTL_QUEUE 0x222004 /* function 0x801: pended in the CSQ until cancelled */

static NTSTATUS NTAPI QueueDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(Irp);
    UNREFERENCED_PARAMETER(DeviceObject);
    if (Stack->MajorFunction == IRP_MJ_DEVICE_CONTROL &&
        Stack->Parameters.DeviceIoControl.IoControlCode == BENCH_IOCTL_QUEUE) {
        BenchCsqInsert(Irp);
        return STATUS_PENDING;
    }
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information =
        Stack->MajorFunction == IRP_MJ_DEVICE_CONTROL ? Stack->Parameters.DeviceIoControl.OutputBufferLength : 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

/* Two devices, the same dispatch routine and CSQ: \\.\BenchQueue, and
   \\.\BenchQueueStack, which asks for four stack locations (as a driver
   reserving room for devices it passes requests to does), so that the
   application side can measure four-location IRPs too. */
static const PCWSTR QueueNames[2] = {L"\\Device\\BenchQueue", L"\\Device\\BenchQueueStack"};
static const PCWSTR QueueLinks[2] = {L"\\DosDevices\\BenchQueue", L"\\DosDevices\\BenchQueueStack"};
static const CCHAR QueueStackSizes[2] = {1, 4};

static VOID NTAPI QueueUnload(PDRIVER_OBJECT DriverObject)
{
    for (int i = 0; i < 2; i++) {
        UNICODE_STRING Link;
        RtlInitUnicodeString(&Link, QueueLinks[i]);
        IoDeleteSymbolicLink(&Link);
    }
    while (DriverObject->DeviceObject != NULL)
        IoDeleteDevice(DriverObject->DeviceObject);
}

NTSTATUS NTAPI BenchQueueDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status = STATUS_SUCCESS;
    UNREFERENCED_PARAMETER(RegistryPath);
    for (ULONG i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        DriverObject->MajorFunction[i] = QueueDispatch;
    DriverObject->DriverUnload = QueueUnload;
    BenchCsqInitialize();
    for (int i = 0; i < 2 && NT_SUCCESS(Status); i++) {
        UNICODE_STRING Name, Link;
        PDEVICE_OBJECT Device;
        RtlInitUnicodeString(&Name, QueueNames[i]);
        RtlInitUnicodeString(&Link, QueueLinks[i]);
        Status = IoCreateDevice(DriverObject, 0, &Name, FILE_DEVICE_UNKNOWN, 0, FALSE, &Device);
        if (!NT_SUCCESS(Status))
            break;
        Device->Flags |= DO_BUFFERED_IO;
        Device->StackSize = QueueStackSizes[i];
        Status = IoCreateSymbolicLink(&Link, &Name);
    }
    return Status;
}
