/*
 * Seed 000: the article's cancel-safe queue driver with a periodic DPC
 * timer, translated from Pascal to C and kept as written in what matters
 * here: IOCTL_QUEUE puts the IRP in an IO_CSQ and returns STATUS_PENDING;
 * IOCTL_PROCESS starts a timer (first after 1 s, then every 1000 ms) whose
 * DPC takes one IRP per tick off the list — BEHIND THE CSQ'S BACK, without
 * its lock — and completes it with the CSQ's cancel routine still set
 * (clearing CancelRoutine by hand only when Irp->Cancel is already set).
 * An IoCancelIrp racing with the DPC finds that routine in an IRP the DPC
 * has taken or completed.
 *
 * Left out, because they are not this race: the raw KiAcquireSpinLock
 * (without raising IRQL, which irpsim stops at once) and the hard-coded
 * offset 88 instead of CONTAINING_RECORD. The DbgPrint calls are kept.
 */
#include "explore_drivers.h"

SEED000_STATE Seed000;

static KDPC dpc;
static KTIMER obj;
static IO_CSQ csq;
static KSPIN_LOCK lock;
static LIST_ENTRY queue;

static VOID CsqInsertIrp(PIO_CSQ pCsqInfo, PIRP pIrp)
{
    DbgPrint("CsqInsertIrp");
    InsertTailList(&queue, &pIrp->Tail.Overlay.ListEntry);
}

static VOID CsqRemoveIrp(PIO_CSQ pCsqInfo, PIRP pIrp)
{
    DbgPrint("CsqRemoveIrp");
    RemoveEntryList(&pIrp->Tail.Overlay.ListEntry);
}

static PIRP CsqPeekNextIrp(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext)
{
    DbgPrint("CsqPeekNextIrp");
    return NULL;
}

static VOID CsqAcquireLock(PIO_CSQ Csq, PKIRQL Irql)
{
    DbgPrint("CsqAcquireLock");
    KeAcquireSpinLock(&lock, Irql);
}

static VOID CsqReleaseLock(PIO_CSQ Csq, KIRQL Irql)
{
    KeReleaseSpinLock(&lock, Irql);
    DbgPrint("CsqReleaseLock");
}

static VOID CsqCompleteCanceledIrp(PIO_CSQ Csq, PIRP pIrp)
{
    DbgPrint("CsqCompleteCanceledIrp");
    pIrp->IoStatus.Status = STATUS_CANCELLED;
    pIrp->IoStatus.Information = 0;
    IoCompleteRequest(pIrp, IO_NO_INCREMENT);
}

static VOID OnTimer(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PIRP irp;
    PLIST_ENTRY plist;

    if (IsListEmpty(&queue)) {
        KeCancelTimer(&obj);
        Seed000.TimerStopped = TRUE;
        DbgPrint("Finish");
    } else {
        plist = RemoveHeadList(&queue);
        irp = CONTAINING_RECORD(plist, IRP, Tail.Overlay.ListEntry);
        InterlockedIncrement(&Seed000.DpcCompletions);
        if (!irp->Cancel) {
            irp->IoStatus.Status = STATUS_SUCCESS;
            irp->IoStatus.Information = 0;
            IoCompleteRequest(irp, IO_NO_INCREMENT);
            DbgPrint("Complete Irp");
        } else {
            irp->CancelRoutine = NULL;
            irp->IoStatus.Status = STATUS_CANCELLED;
            irp->IoStatus.Information = 0;
            IoCompleteRequest(irp, IO_NO_INCREMENT);
            DbgPrint("Cancel Irp");
        }
    }
}

static NTSTATUS IrpOpen(PDEVICE_OBJECT pOurDevice, PIRP pIrp)
{
    DbgPrint("IRP_MJ_CREATE");
    pIrp->IoStatus.Information = 0;
    pIrp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(pIrp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS IrpClose(PDEVICE_OBJECT pOurDevice, PIRP pIrp)
{
    DbgPrint("IRP_MJ_CLOSE");
    pIrp->IoStatus.Information = 0;
    pIrp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(pIrp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS IrpIOCTL(PDEVICE_OBJECT pOurDevice, PIRP pIrp)
{
    PIO_STACK_LOCATION psk = IoGetCurrentIrpStackLocation(pIrp);
    ULONG code = psk->Parameters.DeviceIoControl.IoControlCode;
    LARGE_INTEGER tt;

    switch (code) {
    case SEED000_IOCTL_QUEUE:
        DbgPrint("IOCTL_QUEUE");
        IoCsqInsertIrp(&csq, pIrp, NULL);
        return STATUS_PENDING;
    case SEED000_IOCTL_PROCESS:
        DbgPrint("IOCTL_PROCESS");
        tt.QuadPart = -10000000;
        KeSetTimerEx(&obj, tt, 1000, &dpc);
        break;
    }
    pIrp->IoStatus.Information = 0;
    pIrp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(pIrp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static VOID Unload(PDRIVER_OBJECT pOurDriver)
{
    UNICODE_STRING szSymName;
    RtlInitUnicodeString(&szSymName, L"\\DosDevices\\MyDriver");
    IoDeleteSymbolicLink(&szSymName);
    IoDeleteDevice(pOurDriver->DeviceObject);
}

NTSTATUS Seed000DriverEntry(PDRIVER_OBJECT pOurDriver, PUNICODE_STRING pOurRegistry)
{
    UNICODE_STRING suDevName;
    UNICODE_STRING szSymName;
    PDEVICE_OBJECT pOurDevice;
    NTSTATUS Result;

    RtlInitUnicodeString(&suDevName, L"\\Device\\MyDriver");
    RtlInitUnicodeString(&szSymName, L"\\DosDevices\\MyDriver");
    Result = IoCreateDevice(pOurDriver, 0, &suDevName, FILE_DEVICE_UNKNOWN, 0, FALSE, &pOurDevice);
    if (NT_SUCCESS(Result)) {
        pOurDriver->MajorFunction[IRP_MJ_CREATE] = IrpOpen;
        pOurDriver->MajorFunction[IRP_MJ_CLOSE] = IrpClose;
        pOurDriver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = IrpIOCTL;
        pOurDriver->DriverUnload = Unload;
        pOurDevice->Flags |= DO_BUFFERED_IO;
        pOurDevice->Flags &= ~DO_DEVICE_INITIALIZING;
        InitializeListHead(&queue);
        KeInitializeSpinLock(&lock);
        KeInitializeTimer(&obj);
        KeInitializeDpc(&dpc, OnTimer, pOurDevice);
        IoCsqInitialize(&csq, CsqInsertIrp, CsqRemoveIrp, CsqPeekNextIrp, CsqAcquireLock, CsqReleaseLock,
                        CsqCompleteCanceledIrp);
        Seed000.Device = pOurDevice;
        Result = IoCreateSymbolicLink(&szSymName, &suDevName);
    }
    return Result;
}
