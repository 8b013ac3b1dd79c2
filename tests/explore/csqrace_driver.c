/*
 * A device that queues IOCTLs and completes them from a system thread, in
 * two versions chosen by CsqRace.UseCsq before DriverEntry:
 *
 *   hand-rolled: a LIST_ENTRY under a spin lock, with the driver's own
 *   cancel routine. The worker takes an IRP off the list and clears its
 *   cancel routine WITHOUT looking at what IoSetCancelRoutine returns — the
 *   classic race: when IoCancelIrp has already taken the routine, the cancel
 *   routine runs too, unlinks an entry that is no longer in the list and
 *   completes the IRP a second time;
 *
 *   IO_CSQ: the same queue behind a cancel-safe queue; the worker uses
 *   IoCsqRemoveNextIrp and the library settles every race.
 */
#include "explore_drivers.h"

CSQRACE_STATE CsqRace;

typedef struct _CSQRACE_EXTENSION {
    KSPIN_LOCK Lock;
    LIST_ENTRY Queue;
    IO_CSQ Csq;
    KEVENT Work; /* synchronization event: something was queued */
    BOOLEAN Stop;
    PKTHREAD Worker;
} CSQRACE_EXTENSION, *PCSQRACE_EXTENSION;

static VOID CsqRaceComplete(PIRP Irp, NTSTATUS Status)
{
    InterlockedIncrement(&CsqRace.Completions);
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

/* ---- hand-rolled ---- */

static VOID HandRolledCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PCSQRACE_EXTENSION Extension = (PCSQRACE_EXTENSION)DeviceObject->DeviceExtension;
    KIRQL Irql;

    IoReleaseCancelSpinLock(Irp->CancelIrql);
    KeAcquireSpinLock(&Extension->Lock, &Irql);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&Extension->Lock, Irql);
    InterlockedIncrement(&CsqRace.CancelRoutineRuns);
    CsqRaceComplete(Irp, STATUS_CANCELLED);
}

static VOID HandRolledQueue(PCSQRACE_EXTENSION Extension, PIRP Irp)
{
    KIRQL Irql;

    IoMarkIrpPending(Irp);
    KeAcquireSpinLock(&Extension->Lock, &Irql);
    InsertTailList(&Extension->Queue, &Irp->Tail.Overlay.ListEntry);
    IoSetCancelRoutine(Irp, HandRolledCancel);
    if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL) {
        RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
        KeReleaseSpinLock(&Extension->Lock, Irql);
        CsqRaceComplete(Irp, STATUS_CANCELLED);
        return;
    }
    KeReleaseSpinLock(&Extension->Lock, Irql);
}

static PIRP HandRolledNext(PCSQRACE_EXTENSION Extension)
{
    PIRP Irp = NULL;
    KIRQL Irql;

    KeAcquireSpinLock(&Extension->Lock, &Irql);
    if (!IsListEmpty(&Extension->Queue)) {
        Irp = CONTAINING_RECORD(RemoveHeadList(&Extension->Queue), IRP, Tail.Overlay.ListEntry);
        IoSetCancelRoutine(Irp, NULL); /* the bug: a NULL result means IoCancelIrp owns the IRP */
    }
    KeReleaseSpinLock(&Extension->Lock, Irql);
    return Irp;
}

/* ---- IO_CSQ ---- */

static VOID CsqInsert(PIO_CSQ Csq, PIRP Irp)
{
    PCSQRACE_EXTENSION Extension = CONTAINING_RECORD(Csq, CSQRACE_EXTENSION, Csq);
    InsertTailList(&Extension->Queue, &Irp->Tail.Overlay.ListEntry);
}

static VOID CsqRemove(PIO_CSQ Csq, PIRP Irp)
{
    UNREFERENCED_PARAMETER(Csq);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
}

static PIRP CsqPeekNext(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext)
{
    PCSQRACE_EXTENSION Extension = CONTAINING_RECORD(Csq, CSQRACE_EXTENSION, Csq);
    PLIST_ENTRY Next = Irp != NULL ? Irp->Tail.Overlay.ListEntry.Flink : Extension->Queue.Flink;
    UNREFERENCED_PARAMETER(PeekContext);
    return Next != &Extension->Queue ? CONTAINING_RECORD(Next, IRP, Tail.Overlay.ListEntry) : NULL;
}

static VOID CsqAcquireLock(PIO_CSQ Csq, PKIRQL Irql)
{
    PCSQRACE_EXTENSION Extension = CONTAINING_RECORD(Csq, CSQRACE_EXTENSION, Csq);
    KeAcquireSpinLock(&Extension->Lock, Irql);
}

static VOID CsqReleaseLock(PIO_CSQ Csq, KIRQL Irql)
{
    PCSQRACE_EXTENSION Extension = CONTAINING_RECORD(Csq, CSQRACE_EXTENSION, Csq);
    KeReleaseSpinLock(&Extension->Lock, Irql);
}

static VOID CsqCompleteCanceled(PIO_CSQ Csq, PIRP Irp)
{
    UNREFERENCED_PARAMETER(Csq);
    InterlockedIncrement(&CsqRace.CancelRoutineRuns);
    CsqRaceComplete(Irp, STATUS_CANCELLED);
}

/* ---- the device ---- */

static VOID CsqRaceWorker(PVOID Context)
{
    PCSQRACE_EXTENSION Extension = (PCSQRACE_EXTENSION)Context;
    for (;;) {
        PIRP Irp;
        KeWaitForSingleObject(&Extension->Work, Executive, KernelMode, FALSE, NULL);
        while ((Irp = CsqRace.UseCsq ? IoCsqRemoveNextIrp(&Extension->Csq, NULL) : HandRolledNext(Extension)) != NULL)
            CsqRaceComplete(Irp, STATUS_SUCCESS);
        if (Extension->Stop)
            break;
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static NTSTATUS CsqRaceDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PCSQRACE_EXTENSION Extension = (PCSQRACE_EXTENSION)DeviceObject->DeviceExtension;
    if (CsqRace.UseCsq)
        IoCsqInsertIrp(&Extension->Csq, Irp, NULL);
    else
        HandRolledQueue(Extension, Irp);
    KeSetEvent(&Extension->Work, IO_NO_INCREMENT, FALSE);
    return STATUS_PENDING;
}

static VOID CsqRaceUnload(PDRIVER_OBJECT DriverObject)
{
    PCSQRACE_EXTENSION Extension = (PCSQRACE_EXTENSION)DriverObject->DeviceObject->DeviceExtension;
    Extension->Stop = TRUE;
    KeSetEvent(&Extension->Work, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(Extension->Worker, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Extension->Worker);
    IoDeleteDevice(DriverObject->DeviceObject);
}

NTSTATUS CsqRaceDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING Name;
    PDEVICE_OBJECT Device;
    PCSQRACE_EXTENSION Extension;
    HANDLE Thread;
    NTSTATUS Status;

    RtlInitUnicodeString(&Name, L"\\Device\\ExploreCsqRace");
    Status = IoCreateDevice(DriverObject, sizeof(CSQRACE_EXTENSION), &Name, FILE_DEVICE_UNKNOWN, 0, FALSE, &Device);
    if (!NT_SUCCESS(Status))
        return Status;
    Extension = (PCSQRACE_EXTENSION)Device->DeviceExtension;
    KeInitializeSpinLock(&Extension->Lock);
    InitializeListHead(&Extension->Queue);
    KeInitializeEvent(&Extension->Work, SynchronizationEvent, FALSE);
    IoCsqInitialize(&Extension->Csq, CsqInsert, CsqRemove, CsqPeekNext, CsqAcquireLock, CsqReleaseLock,
                    CsqCompleteCanceled);
    Status = PsCreateSystemThread(&Thread, THREAD_ALL_ACCESS, NULL, NULL, NULL, CsqRaceWorker, Extension);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(Device);
        return Status;
    }
    Status = ObReferenceObjectByHandle(Thread, SYNCHRONIZE, *PsThreadType, KernelMode, (PVOID *)&Extension->Worker,
                                       NULL);
    ZwClose(Thread);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(Device);
        return Status;
    }
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = CsqRaceDeviceControl;
    DriverObject->DriverUnload = CsqRaceUnload;
    Device->Flags &= ~DO_DEVICE_INITIALIZING;
    CsqRace.Device = Device;
    return STATUS_SUCCESS;
}
