/*
 * csq-timer, as the article wrote it: the same device, the same control
 * codes, the same globals, and its mistakes, so that irpsim can show what
 * each one does. Compare with driver.c.
 *
 * The article's mistakes, all kept here (ArticleMistake chooses which one
 * is allowed to bite first, since each would hide the others):
 *
 *  1. OnTimer takes IRPs off the list with RemoveHeadList, behind the CSQ's
 *     back, and completes them while the CSQ's cancel routine is still set
 *     in them. If the application cancels one a moment later the I/O
 *     manager calls that cancel routine for an IRP that no longer exists.
 *     Driver Verifier stops the completion: 0xC9/0x07.
 *  2. CsqAcquireLock / CsqReleaseLock use the "at DPC level" spin-lock
 *     primitives (the article's KiAcquireSpinLock), which only work when
 *     the caller is already at DISPATCH_LEVEL, and never fill in *Irql.
 *     IoCsqInsertIrp calls them at PASSIVE_LEVEL: 0xC4/0x40.
 *  3. CsqPeekNextIrp always returns NULL, so IoCsqRemoveNextIrp can never
 *     find anything. The article did not notice because it never called it.
 *  4. The IRP is found from its list entry by subtracting 88, the offset of
 *     Tail.Overlay.ListEntry in a 32-bit IRP; CONTAINING_RECORD is used
 *     here (with 88 this file would corrupt memory on any 64-bit system).
 */
#include <ntddk.h>

#include "csqtimer.h"

/* Which mistake is switched on (ARTICLE_MISTAKE_*); set before loading. */
LONG ArticleMistake = ARTICLE_MISTAKE_COMPLETE_BEHIND_CSQ;

static KDPC dpc;
static KTIMER obj;
static IO_CSQ csq;
static KSPIN_LOCK lock;
static LIST_ENTRY queue;

static VOID NTAPI CsqInsertIrp(PIO_CSQ Csq, PIRP Irp)
{
    UNREFERENCED_PARAMETER(Csq);
    InsertTailList(&queue, &Irp->Tail.Overlay.ListEntry);
}

static VOID NTAPI CsqRemoveIrp(PIO_CSQ Csq, PIRP Irp)
{
    UNREFERENCED_PARAMETER(Csq);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
}

/* Mistake 3. */
static PIRP NTAPI CsqPeekNextIrp(PIO_CSQ Csq, PIRP Irp, PVOID PeekContext)
{
    UNREFERENCED_PARAMETER(Csq);
    UNREFERENCED_PARAMETER(Irp);
    UNREFERENCED_PARAMETER(PeekContext);
    return NULL;
}

_IRQL_raises_(DISPATCH_LEVEL)
static VOID NTAPI CsqAcquireLock(PIO_CSQ Csq, PKIRQL Irql)
{
    UNREFERENCED_PARAMETER(Csq);
    if (ArticleMistake == ARTICLE_MISTAKE_RAW_SPIN_LOCK) {
        *Irql = KeGetCurrentIrql();        /* the article left it unset */
        KeAcquireSpinLockAtDpcLevel(&lock); /* mistake 2: the caller may be at PASSIVE_LEVEL */
    } else {
        KeAcquireSpinLock(&lock, Irql);
    }
}

static VOID NTAPI CsqReleaseLock(PIO_CSQ Csq, KIRQL Irql)
{
    UNREFERENCED_PARAMETER(Csq);
    if (ArticleMistake == ARTICLE_MISTAKE_RAW_SPIN_LOCK && Irql == DISPATCH_LEVEL)
        KeReleaseSpinLockFromDpcLevel(&lock);
    else
        KeReleaseSpinLock(&lock, Irql);
}

static VOID NTAPI CsqCompleteCanceledIrp(PIO_CSQ Csq, PIRP Irp)
{
    UNREFERENCED_PARAMETER(Csq);
    Irp->IoStatus.Status = STATUS_CANCELLED;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

static VOID NTAPI OnTimer(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PIRP Irp;
    PLIST_ENTRY Entry;
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(DeferredContext);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);

    if (ArticleMistake == ARTICLE_MISTAKE_PEEK_RETURNS_NULL) {
        /* The right call, defeated by mistake 3: always NULL. */
        Irp = IoCsqRemoveNextIrp(&csq, NULL);
        if (Irp == NULL) {
            KeCancelTimer(&obj);
            DbgPrint("Finish\n");
            return;
        }
        Irp->IoStatus.Status = STATUS_SUCCESS;
        Irp->IoStatus.Information = 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return;
    }

    /* Mistake 1: the list is the CSQ's, read without its lock, and the
       IRP taken from it still carries the CSQ's cancel routine. */
    if (IsListEmpty(&queue)) {
        KeCancelTimer(&obj);
        DbgPrint("Finish\n");
        return;
    }
    Entry = RemoveHeadList(&queue);
    Irp = CONTAINING_RECORD(Entry, IRP, Tail.Overlay.ListEntry); /* mistake 4 was: (PIRP)((ULONG)Entry - 88) */
    if (!Irp->Cancel) {
        Irp->IoStatus.Status = STATUS_SUCCESS;
        Irp->IoStatus.Information = 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT); /* cancel routine still set: Verifier stops here */
        DbgPrint("Complete Irp\n");
    } else {
        Irp->CancelRoutine = NULL;
        Irp->IoStatus.Status = STATUS_CANCELLED;
        Irp->IoStatus.Information = 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        DbgPrint("Cancel Irp\n");
    }
}

static NTSTATUS NTAPI IrpOpenClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI IrpIOCTL(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION Stack = IoGetCurrentIrpStackLocation(Irp);
    LARGE_INTEGER tt;
    UNREFERENCED_PARAMETER(DeviceObject);

    switch (Stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_QUEUE:
        IoCsqInsertIrp(&csq, Irp, NULL);
        return STATUS_PENDING;
    case IOCTL_PROCESS:
        tt.QuadPart = -10000000LL;
        KeSetTimerEx(&obj, tt, 1000, &dpc);
        break;
    default:
        break;
    }
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static VOID NTAPI Unload(PDRIVER_OBJECT DriverObject)
{
    UNICODE_STRING SymName = RTL_CONSTANT_STRING(L"\\DosDevices\\MyDriver");
    /* The article left the timer running here; a tick after unload would
       run code that is gone. */
    KeCancelTimer(&obj);
    KeFlushQueuedDpcs();
    IoDeleteSymbolicLink(&SymName);
    IoDeleteDevice(DriverObject->DeviceObject);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING DevName = RTL_CONSTANT_STRING(L"\\Device\\MyDriver");
    UNICODE_STRING SymName = RTL_CONSTANT_STRING(L"\\DosDevices\\MyDriver");
    PDEVICE_OBJECT Device;
    NTSTATUS Status;
    UNREFERENCED_PARAMETER(RegistryPath);

    Status = IoCreateDevice(DriverObject, 0, &DevName, FILE_DEVICE_UNKNOWN, 0, FALSE, &Device);
    if (!NT_SUCCESS(Status))
        return Status;
    DriverObject->MajorFunction[IRP_MJ_CREATE] = IrpOpenClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = IrpOpenClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = IrpIOCTL;
    DriverObject->DriverUnload = Unload;
    Device->Flags |= DO_BUFFERED_IO;
    Device->Flags &= ~DO_DEVICE_INITIALIZING;
    InitializeListHead(&queue);
    KeInitializeSpinLock(&lock);
    KeInitializeTimer(&obj);
    KeInitializeDpc(&dpc, OnTimer, Device);
    IoCsqInitialize(&csq, CsqInsertIrp, CsqRemoveIrp, CsqPeekNextIrp, CsqAcquireLock, CsqReleaseLock,
                    CsqCompleteCanceledIrp);
    Status = IoCreateSymbolicLink(&SymName, &DevName);
    if (!NT_SUCCESS(Status))
        IoDeleteDevice(Device);
    return Status;
}
