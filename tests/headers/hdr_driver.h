/*
 * The driver half of the header-compatibility tests: WDK-style source, as a
 * driver author writes it for the real WDK, compiled unchanged as C and as
 * C++ (headers_c.c, headers_cxx.cpp) with the warning flags irpsim applies
 * to user drivers (-Wall -Wextra -Werror).
 *
 * Windows behaviour checked: the WDK's header names, driver-role typedefs,
 * SAL annotations, #pragma alloc_text, multi-character pool tags, CTL_CODE
 * for vendor device types, the structure helpers, RTL_CONSTANT_STRING and
 * DECLARE_CONST_UNICODE_STRING with L"..." literals, and the integer widths
 * of the Windows base types (ULONG/LONG 32 bits on every host).
 */
#ifndef HDR_DRIVER_H
#define HDR_DRIVER_H

#include <ntddk.h>
#include <wdm.h>
#include <ntifs.h>
#include <wdmsec.h>
#include <initguid.h>
#include <ntstrsafe.h>
#include <dontuse.h>
#include <devioctl.h>
#include <ntstatus.h>
#include <bugcodes.h>
#include <irpsim/irpsim.h>

#include <stdio.h>
#include <stdlib.h>

#ifdef __cplusplus
#define HDR_EXTERN_C extern "C"
#else
#define HDR_EXTERN_C
#endif

/* DEFINE_GUID after <initguid.h> defines the GUID (with storage). */
DEFINE_GUID(GUID_DEVINTERFACE_HDR, 0x5d6a1b2c, 0x3e4f, 0x4a5b, 0x8c, 0x9d, 0x0e, 0x1f, 0x2a, 0x3b, 0x4c, 0x5d);

/* Multi-character pool tag, as every WDK sample writes it. */
#define HDR_TAG 'tsoH'

/* A vendor device type (>= 0x8000): CTL_CODE must not overflow int. */
#define FILE_DEVICE_HDR       0x8001
#define IOCTL_HDR_GET_VERSION CTL_CODE(FILE_DEVICE_HDR, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_HDR_READ_DIRECT CTL_CODE(FILE_DEVICE_HDR, 0x801, METHOD_OUT_DIRECT, FILE_READ_ACCESS)
#define IOCTL_HDR_MAX         CTL_CODE(0xFFFF, 0xFFF, METHOD_NEITHER, FILE_READ_ACCESS | FILE_WRITE_ACCESS)

C_ASSERT(IOCTL_HDR_GET_VERSION == 0x80012000u);
C_ASSERT(IOCTL_HDR_READ_DIRECT == 0x80016006u);
C_ASSERT(IOCTL_HDR_MAX == 0xFFFFFFFFu);
C_ASSERT(IOCTL_HDR_GET_VERSION > 0); /* unsigned: a signed int would be negative */
C_ASSERT(CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS) == 0x00222000u);
C_ASSERT(CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS) == 0x0022E000u);
C_ASSERT(CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_OUT_DIRECT, FILE_ANY_ACCESS) == 0x00222006u);
C_ASSERT(DEVICE_TYPE_FROM_CTL_CODE(IOCTL_HDR_GET_VERSION) == FILE_DEVICE_HDR);
C_ASSERT(METHOD_FROM_CTL_CODE(IOCTL_HDR_READ_DIRECT) == METHOD_OUT_DIRECT);

/* Windows widths on every host. */
C_ASSERT(sizeof(UCHAR) == 1);
C_ASSERT(sizeof(USHORT) == 2);
C_ASSERT(sizeof(ULONG) == 4);
C_ASSERT(sizeof(LONG) == 4);
C_ASSERT(sizeof(LONG64) == 8);
C_ASSERT(sizeof(ULONG64) == 8);
C_ASSERT(sizeof(LONGLONG) == 8);
C_ASSERT(sizeof(ULONG_PTR) == sizeof(void *));
C_ASSERT(sizeof(LONG_PTR) == sizeof(void *));
C_ASSERT(sizeof(SIZE_T) == sizeof(void *));
C_ASSERT(sizeof(NTSTATUS) == 4);
C_ASSERT(sizeof(BOOLEAN) == 1);
C_ASSERT(sizeof(WCHAR) == sizeof(wchar_t));
C_ASSERT(sizeof(LARGE_INTEGER) == 8);
C_ASSERT(sizeof(GUID) == 16);

/* IRPs a driver allocates itself must be the size the I/O manager expects. */
C_ASSERT(IoSizeOfIrp(3) == sizeof(IRP) + 3 * sizeof(IO_STACK_LOCATION));
C_ASSERT(IRP_MJ_MAXIMUM_FUNCTION + 1 == 28);
C_ASSERT(RTL_NUMBER_OF(((PDRIVER_OBJECT)0)->MajorFunction) == IRP_MJ_MAXIMUM_FUNCTION + 1);

/* Tail.Overlay: DriverContext shares storage with DeviceQueueEntry, and the
   Overlay shares storage with the APC. */
C_ASSERT(FIELD_OFFSET(IRP, Tail.Overlay.DriverContext) == FIELD_OFFSET(IRP, Tail.Overlay.DeviceQueueEntry));
C_ASSERT(FIELD_OFFSET(IRP, Tail.Overlay) == FIELD_OFFSET(IRP, Tail.Apc));
C_ASSERT(FIELD_OFFSET(IRP, Tail.Overlay.Thread) >=
         FIELD_OFFSET(IRP, Tail.Overlay.DriverContext) + (LONG)sizeof(PVOID) * 4);
C_ASSERT(FIELD_OFFSET(IRP, Tail.Overlay.ListEntry) > FIELD_OFFSET(IRP, Tail.Overlay.Thread));
C_ASSERT(FIELD_OFFSET(IRP, Tail.Overlay.CurrentStackLocation) > FIELD_OFFSET(IRP, Tail.Overlay.ListEntry));
C_ASSERT(FIELD_OFFSET(IRP, Tail.Overlay.CurrentStackLocation) == FIELD_OFFSET(IRP, Tail.Overlay.PacketType));
C_ASSERT(RTL_FIELD_SIZE(IRP, Tail.Overlay.DriverContext) == 4 * sizeof(PVOID));

/* Status helpers and values. */
C_ASSERT(NT_SUCCESS(STATUS_PENDING));
C_ASSERT(!NT_SUCCESS(STATUS_BUFFER_OVERFLOW) && NT_WARNING(STATUS_BUFFER_OVERFLOW));
C_ASSERT(NT_ERROR(STATUS_INVALID_PARAMETER));
C_ASSERT(STATUS_CANCELLED < 0);
C_ASSERT(IRQL_NOT_LESS_OR_EQUAL == 0xA && MULTIPLE_IRP_COMPLETE_REQUESTS == 0x44);
C_ASSERT(NTSTRSAFE_MAX_CCH == 2147483647);
C_ASSERT(UNICODE_STRING_MAX_CHARS * sizeof(WCHAR) <= UNICODE_STRING_MAX_BYTES);

typedef struct _HDR_DEVICE_EXTENSION {
    PDEVICE_OBJECT Self;
    KSPIN_LOCK Lock;
    LIST_ENTRY PendingList;
    KDPC Dpc;
    KEVENT Event;
    PIO_WORKITEM WorkItem;
    ULONG Count;
} HDR_DEVICE_EXTENSION, *PHDR_DEVICE_EXTENSION;

/* Driver-role declarations, the way Static Driver Verifier wants them. */
HDR_EXTERN_C DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD HdrUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH HdrCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH HdrDeviceControl;
_Dispatch_type_(IRP_MJ_READ) DRIVER_DISPATCH HdrRead;
IO_COMPLETION_ROUTINE HdrCompletion;
DRIVER_CANCEL HdrCancel;
DRIVER_STARTIO HdrStartIo;
KDEFERRED_ROUTINE HdrDpc;
IO_WORKITEM_ROUTINE HdrWorkItem;
KSTART_ROUTINE HdrThread;

/* Both forms drivers use: guarded by ALLOC_PRAGMA, and unguarded. */
#ifdef ALLOC_PRAGMA
#pragma alloc_text(INIT, DriverEntry)
#pragma alloc_text(PAGE, HdrUnload)
#endif
#pragma alloc_text(INIT, DriverEntry)
#pragma alloc_text(PAGE, HdrUnload)
#pragma alloc_text(PAGE, HdrCreateClose)
#pragma alloc_text(PAGE, HdrThread)

DECLARE_CONST_UNICODE_STRING(HdrDeviceName, L"\\Device\\HdrTest");
DECLARE_CONST_UNICODE_STRING(HdrSddl, SDDL_DEVOBJ_SYS_ALL_ADM_ALL);
static const UNICODE_STRING HdrLinkName = RTL_CONSTANT_STRING(L"\\DosDevices\\HdrTest");
static const ANSI_STRING HdrAnsiName = RTL_CONSTANT_STRING("HdrTest");

_Use_decl_annotations_ VOID HdrUnload(PDRIVER_OBJECT DriverObject)
{
    UNICODE_STRING Link = HdrLinkName;
    PAGED_CODE();
    IoDeleteSymbolicLink(&Link);
    if (DriverObject->DeviceObject != NULL)
        IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_ NTSTATUS HdrCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    PAGED_CODE();
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_ NTSTATUS HdrCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    if (Irp->PendingReturned)
        IoMarkIrpPending(Irp);
    if (Context != NULL)
        KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
    return STATUS_CONTINUE_COMPLETION;
}

_Use_decl_annotations_ VOID HdrCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PHDR_DEVICE_EXTENSION Extension = (PHDR_DEVICE_EXTENSION)DeviceObject->DeviceExtension;
    KIRQL Irql;

    IoReleaseCancelSpinLock(Irp->CancelIrql);
    KeAcquireSpinLock(&Extension->Lock, &Irql);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&Extension->Lock, Irql);
    Irp->IoStatus.Status = STATUS_CANCELLED;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}

_Use_decl_annotations_ NTSTATUS HdrRead(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PHDR_DEVICE_EXTENSION Extension = (PHDR_DEVICE_EXTENSION)DeviceObject->DeviceExtension;
    KIRQL Irql;

    KeAcquireSpinLock(&Extension->Lock, &Irql);
    IoSetCancelRoutine(Irp, HdrCancel);
    IoMarkIrpPending(Irp);
    InsertTailList(&Extension->PendingList, &Irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&Extension->Lock, Irql);
    return STATUS_PENDING;
}

_Use_decl_annotations_ VOID HdrStartIo(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    IoStartNextPacket(DeviceObject, TRUE);
}

_Use_decl_annotations_ VOID HdrDpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PHDR_DEVICE_EXTENSION Extension = (PHDR_DEVICE_EXTENSION)DeferredContext;
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(SystemArgument1);
    UNREFERENCED_PARAMETER(SystemArgument2);
    KeAcquireSpinLockAtDpcLevel(&Extension->Lock);
    Extension->Count++;
    KeReleaseSpinLockFromDpcLevel(&Extension->Lock);
}

_Use_decl_annotations_ VOID HdrWorkItem(PDEVICE_OBJECT DeviceObject, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
}

_Use_decl_annotations_ VOID HdrThread(PVOID StartContext)
{
    LARGE_INTEGER Timeout;
    PAGED_CODE();
    Timeout.QuadPart = -10 * 1000 * 10; /* 10 ms, relative */
    (void)KeWaitForSingleObject(StartContext, Executive, KernelMode, FALSE, &Timeout);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

_Use_decl_annotations_ NTSTATUS HdrDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION IrpSp = IoGetCurrentIrpStackLocation(Irp);
    PHDR_DEVICE_EXTENSION Extension = (PHDR_DEVICE_EXTENSION)DeviceObject->DeviceExtension;
    NTSTATUS Status = STATUS_INVALID_DEVICE_REQUEST;
    ULONG_PTR Information = 0;

    switch (IrpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_HDR_GET_VERSION:
        if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(ULONG)) {
            Status = STATUS_BUFFER_TOO_SMALL;
            break;
        }
        *(PULONG)Irp->AssociatedIrp.SystemBuffer = 0x00010002;
        Information = sizeof(ULONG);
        Status = STATUS_SUCCESS;
        break;
    case IOCTL_HDR_READ_DIRECT: {
        PVOID Buffer = MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority | MdlMappingNoExecute);
        if (Buffer == NULL) {
            Status = STATUS_INSUFFICIENT_RESOURCES;
            break;
        }
        RtlZeroMemory(Buffer, MmGetMdlByteCount(Irp->MdlAddress));
        Information = MmGetMdlByteCount(Irp->MdlAddress);
        Status = STATUS_SUCCESS;
        break;
    }
    case IOCTL_HDR_MAX:
        /* Forward to the next driver with a completion routine. */
        IoCopyCurrentIrpStackLocationToNext(Irp);
        IoSetCompletionRoutine(Irp, HdrCompletion, &Extension->Event, TRUE, TRUE, TRUE);
        return IoCallDriver(Extension->Self, Irp);
    default:
        break;
    }

    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

_Use_decl_annotations_ HDR_EXTERN_C NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING DeviceName;
    UNICODE_STRING LinkName = HdrLinkName;
    PDEVICE_OBJECT DeviceObject = NULL;
    PHDR_DEVICE_EXTENSION Extension;
    WCHAR Text[64];
    DECLARE_UNICODE_STRING_SIZE(Message, 80);
    PVOID Block;
    HANDLE Thread;
    NTSTATUS Status;

    KdPrint(("HdrTest: DriverEntry %wZ (%Z)\n", RegistryPath, &HdrAnsiName));
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "HdrTest: %ws %I64x %Iu %lu\n", L"wide", 1ULL, (SIZE_T)2, 3UL);
    (void)RtlStringCchPrintfW(Text, RTL_NUMBER_OF(Text), L"%ws-%d", L"Hdr", 7);
    (void)RtlUnicodeStringPrintf(&Message, L"%wZ", &HdrDeviceName);
    (void)RtlUnicodeStringCat(&Message, &HdrSddl);

    RtlInitUnicodeString(&DeviceName, L"\\Device\\HdrTest");
    Status = IoCreateDevice(DriverObject, sizeof(HDR_DEVICE_EXTENSION), &DeviceName, FILE_DEVICE_HDR,
                            FILE_DEVICE_SECURE_OPEN, FALSE, &DeviceObject);
    if (!NT_SUCCESS(Status))
        return Status;
    Extension = (PHDR_DEVICE_EXTENSION)DeviceObject->DeviceExtension;
    RtlZeroMemory(Extension, sizeof(*Extension));
    Extension->Self = DeviceObject;
    KeInitializeSpinLock(&Extension->Lock);
    InitializeListHead(&Extension->PendingList);
    KeInitializeDpc(&Extension->Dpc, HdrDpc, Extension);
    KeInitializeEvent(&Extension->Event, NotificationEvent, FALSE);
    Extension->WorkItem = IoAllocateWorkItem(DeviceObject);
    if (Extension->WorkItem != NULL)
        IoQueueWorkItem(Extension->WorkItem, HdrWorkItem, DelayedWorkQueue, &Extension->Event);

    Block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, HDR_TAG);
    if (Block != NULL)
        ExFreePoolWithTag(Block, HDR_TAG);
    Block = ExAllocatePoolWithTag(NonPagedPoolNx, 32, HDR_TAG);
    if (Block != NULL)
        ExFreePoolWithTag(Block, HDR_TAG);

    Status = PsCreateSystemThread(&Thread, THREAD_ALL_ACCESS, NULL, NULL, NULL, HdrThread, &Extension->Event);
    if (NT_SUCCESS(Status))
        ZwClose(Thread);

    Status = IoCreateSymbolicLink(&LinkName, &DeviceName);
    if (!NT_SUCCESS(Status)) {
        IoDeleteDevice(DeviceObject);
        return Status;
    }

    DriverObject->MajorFunction[IRP_MJ_CREATE] = HdrCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = HdrCreateClose;
    DriverObject->MajorFunction[IRP_MJ_READ] = HdrRead;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = HdrDeviceControl;
    DriverObject->DriverStartIo = HdrStartIo;
    DriverObject->DriverUnload = HdrUnload;
    DeviceObject->Flags |= DO_BUFFERED_IO;
    DeviceObject->Flags &= ~DO_DEVICE_INITIALIZING;
    ASSERT(DeviceObject->StackSize >= 1);
    NT_ASSERT(Extension->Self == DeviceObject);
    return STATUS_SUCCESS;
}

/* ---- run-time checks (the executable's main calls this) ---- */

static int HdrFailures;

#define HDR_CHECK(Condition)                                                                                           \
    do {                                                                                                               \
        if (!(Condition)) {                                                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #Condition);                              \
            HdrFailures++;                                                                                             \
        }                                                                                                              \
    } while (0)

static int HdrRunChecks(void)
{
    IRP *Irp = (IRP *)calloc(1, IoSizeOfIrp(3));
    PLIST_ENTRY Entry;
    ULONG Tag = HDR_TAG;
    UCHAR TagBytes[4];
    PVOID Missing = NULL;
    ULONG Words[5] = {0};

    /* The tag reads "Host" in memory, as in a pool dump on Windows. */
    memcpy(TagBytes, &Tag, sizeof(TagBytes));
    HDR_CHECK(Tag == 0x74736F48u);
    HDR_CHECK(TagBytes[0] == 'H' && TagBytes[1] == 'o' && TagBytes[2] == 's' && TagBytes[3] == 't');

    HDR_CHECK(GUID_DEVINTERFACE_HDR.Data1 == 0x5d6a1b2cu && GUID_DEVINTERFACE_HDR.Data4[7] == 0x5d);

    HDR_CHECK(HdrDeviceName.Length == 15 * sizeof(WCHAR));
    HDR_CHECK(HdrDeviceName.MaximumLength == 16 * sizeof(WCHAR));
    HDR_CHECK(HdrDeviceName.Buffer[0] == L'\\' && HdrDeviceName.Buffer[15] == UNICODE_NULL);
    HDR_CHECK(HdrLinkName.Length == 19 * sizeof(WCHAR) && HdrLinkName.MaximumLength == 20 * sizeof(WCHAR));
    HDR_CHECK(HdrAnsiName.Length == 7 && HdrAnsiName.MaximumLength == 8);

    HDR_CHECK(RTL_NUMBER_OF(Words) == 5);
    HDR_CHECK(!ARGUMENT_PRESENT(Missing));
    HDR_CHECK(ARGUMENT_PRESENT(Words));
    HDR_CHECK(FIELD_OFFSET(HDR_DEVICE_EXTENSION, Self) == 0);

    HDR_CHECK(Irp != NULL);
    if (Irp != NULL) {
        Entry = &Irp->Tail.Overlay.ListEntry;
        HDR_CHECK(CONTAINING_RECORD(Entry, IRP, Tail.Overlay.ListEntry) == Irp);
        Irp->Tail.Overlay.DriverContext[0] = Irp;
        HDR_CHECK(*(PVOID *)&Irp->Tail.Overlay.DeviceQueueEntry == Irp);
        HDR_CHECK((PUCHAR)&Irp->Tail.Overlay.CurrentStackLocation + sizeof(PVOID) <= (PUCHAR)(Irp + 1));
        free(Irp);
    }
    return HdrFailures;
}

#endif /* HDR_DRIVER_H */
