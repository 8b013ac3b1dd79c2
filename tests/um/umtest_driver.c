/*
 * The test driver behind the Win32 facade tests: an ordinary WDK driver
 * (four devices with buffered, direct, neither and exclusive I/O, a
 * cancel-safe queue, a DPC) whose behaviour the application side sets
 * through the functions umtest.h declares, and which records what each
 * request looked like when it arrived.
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>
#include <irpsim/trace.h>

#include "io/iop.h" /* white box: the cancel wait's limit */
#include "umtest.h"

#define UM_DEVICE_COUNT 4

typedef struct _UM_EXTENSION {
    BOOLEAN Filter;
    PDEVICE_OBJECT Lower; /* the filter's */
} UM_EXTENSION, *PUM_EXTENSION;

static struct {
    KSPIN_LOCK Lock; /* everything below */
    LIST_ENTRY Queue;    /* requests waiting for UmTestCompleteQueued (cancelable) */
    LIST_ENTRY DpcQueue; /* requests the DPC completes */
    KDPC CompleteDpc;
    KDPC EventDpc;
    LONG DpcStatus;
    ULONG_PTR DpcInformation;
    PKEVENT EventToSignal;
    UM_BEHAVIOR Behavior;
    ULONG CancelMode; /* UM_CANCEL_* */
    UM_SEEN Seen;
    UM_COUNTS Counts;
    NTSTATUS CreateStatus;
} Um;

static PDRIVER_OBJECT UmDriver;
static PDEVICE_OBJECT UmDevices[UM_DEVICE_COUNT];
static PDEVICE_OBJECT UmFilter;

static const PCWSTR UmDeviceNames[UM_DEVICE_COUNT] = {L"\\Device\\UmBuf", L"\\Device\\UmDirect",
                                                      L"\\Device\\UmNeither", L"\\Device\\UmExcl"};
static const PCWSTR UmLinkNames[UM_DEVICE_COUNT] = {L"\\DosDevices\\UmBuf", L"\\DosDevices\\UmDirect",
                                                    L"\\DosDevices\\UmNeither", L"\\DosDevices\\UmExcl"};
static const ULONG UmDeviceFlags[UM_DEVICE_COUNT] = {DO_BUFFERED_IO, DO_DIRECT_IO, 0, DO_BUFFERED_IO};

static NTSTATUS UmComplete(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    if (Information != UM_INFO_DEFAULT)
        Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return Status;
}

/* ---- the cancelable queue ---- */

static VOID NTAPI UmCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    BOOLEAN FromDpc;
    KIRQL Irql;
    UNREFERENCED_PARAMETER(DeviceObject);
    IoReleaseCancelSpinLock(Irp->CancelIrql);
    KeAcquireSpinLock(&Um.Lock, &Irql);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
    Um.Counts.Cancels++;
    Irp->IoStatus.Information = 0;
    FromDpc = Um.CancelMode == UM_CANCEL_DPC;
    if (FromDpc) {
        /* Completed later, on a processor's DPC thread. */
        InsertTailList(&Um.DpcQueue, &Irp->Tail.Overlay.ListEntry);
        Um.DpcStatus = STATUS_CANCELLED;
        Um.DpcInformation = UM_INFO_DEFAULT;
    }
    KeReleaseSpinLock(&Um.Lock, Irql);
    if (FromDpc)
        KeInsertQueueDpc(&Um.CompleteDpc, NULL, NULL);
    else
        UmComplete(Irp, STATUS_CANCELLED, UM_INFO_DEFAULT);
}

/* DriverContext[0] of a queued request without a cancel routine. */
#define UM_NOT_CANCELABLE ((PVOID)1)

static NTSTATUS UmQueue(PIRP Irp)
{
    KIRQL Irql;
    KeAcquireSpinLock(&Um.Lock, &Irql);
    IoMarkIrpPending(Irp);
    InsertTailList(&Um.Queue, &Irp->Tail.Overlay.ListEntry);
    Irp->Tail.Overlay.DriverContext[0] = NULL;
    if (Um.CancelMode == UM_CANCEL_IGNORE) {
        /* No cancel routine: cancelling it does nothing. */
        Irp->Tail.Overlay.DriverContext[0] = UM_NOT_CANCELABLE;
        KeReleaseSpinLock(&Um.Lock, Irql);
        return STATUS_PENDING;
    }
    IoSetCancelRoutine(Irp, UmCancel);
    if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL) {
        /* Cancelled before the routine was set: complete it here. */
        RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
        KeReleaseSpinLock(&Um.Lock, Irql);
        Irp->IoStatus.Information = 0;
        UmComplete(Irp, STATUS_CANCELLED, UM_INFO_DEFAULT);
        return STATUS_PENDING;
    }
    KeReleaseSpinLock(&Um.Lock, Irql);
    return STATUS_PENDING;
}

/* Takes the queued requests (those of FileObject, if given) whose cancel
   routine it could clear into List. Lock held. */
static ULONG UmTakeQueued(PFILE_OBJECT FileObject, PLIST_ENTRY List)
{
    ULONG Count = 0;
    PLIST_ENTRY Entry = Um.Queue.Flink;
    while (Entry != &Um.Queue) {
        PIRP Irp = CONTAINING_RECORD(Entry, IRP, Tail.Overlay.ListEntry);
        Entry = Entry->Flink;
        if (FileObject != NULL && IoGetCurrentIrpStackLocation(Irp)->FileObject != FileObject)
            continue;
        if (Irp->Tail.Overlay.DriverContext[0] != UM_NOT_CANCELABLE && IoSetCancelRoutine(Irp, NULL) == NULL)
            continue; /* being cancelled: the cancel routine takes it */
        RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
        InsertTailList(List, &Irp->Tail.Overlay.ListEntry);
        Count++;
    }
    return Count;
}

static VOID NTAPI UmCompleteDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    LIST_ENTRY List;
    NTSTATUS Status;
    ULONG_PTR Information;
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Argument1);
    UNREFERENCED_PARAMETER(Argument2);
    InitializeListHead(&List);
    KeAcquireSpinLockAtDpcLevel(&Um.Lock);
    while (!IsListEmpty(&Um.DpcQueue))
        InsertTailList(&List, RemoveHeadList(&Um.DpcQueue));
    Status = Um.DpcStatus;
    Information = Um.DpcInformation;
    KeReleaseSpinLockFromDpcLevel(&Um.Lock);
    while (!IsListEmpty(&List)) {
        PIRP Irp = CONTAINING_RECORD(RemoveHeadList(&List), IRP, Tail.Overlay.ListEntry);
        UmComplete(Irp, Status, Information);
    }
}

static NTSTATUS UmPendForDpc(PIRP Irp)
{
    KIRQL Irql;
    KeAcquireSpinLock(&Um.Lock, &Irql);
    IoMarkIrpPending(Irp);
    InsertTailList(&Um.DpcQueue, &Irp->Tail.Overlay.ListEntry);
    Um.DpcStatus = Um.Behavior.Status;
    Um.DpcInformation = Um.Behavior.Information;
    KeReleaseSpinLock(&Um.Lock, Irql);
    KeInsertQueueDpc(&Um.CompleteDpc, NULL, NULL);
    return STATUS_PENDING;
}

/* Finishes a request the way the behaviour says. */
static NTSTATUS UmFinish(PIRP Irp, const UM_BEHAVIOR *Behavior)
{
    switch (Behavior->Disposition) {
    case UM_PEND_QUEUE:
        return UmQueue(Irp);
    case UM_PEND_DPC:
        return UmPendForDpc(Irp);
    default:
        return UmComplete(Irp, Behavior->Status, Behavior->Information);
    }
}

/* ---- dispatch ---- */

static VOID UmRecord(PIRP Irp, PIO_STACK_LOCATION Slot, PVOID Data, ULONG DataLength)
{
    KIRQL Irql;
    UM_SEEN Seen;
    RtlZeroMemory(&Seen, sizeof(Seen));
    Seen.Major = Slot->MajorFunction;
    Seen.IrpFlags = Irp->Flags;
    Seen.SlotFlags = Slot->Flags;
    Seen.RequestorMode = Irp->RequestorMode;
    Seen.PreviousMode = ExGetPreviousMode();
    Seen.HasSystemBuffer = Irp->AssociatedIrp.SystemBuffer != NULL;
    Seen.HasMdl = Irp->MdlAddress != NULL;
    Seen.MdlByteCount = Irp->MdlAddress != NULL ? MmGetMdlByteCount(Irp->MdlAddress) : 0;
    Seen.UserBuffer = Irp->UserBuffer;
    Seen.FileObject = Slot->FileObject;
    Seen.FileObjectFlags = Slot->FileObject != NULL ? Slot->FileObject->Flags : 0;
    Seen.Thread = PsGetCurrentThread();
    if (Slot->MajorFunction == IRP_MJ_DEVICE_CONTROL) {
        Seen.IoControlCode = Slot->Parameters.DeviceIoControl.IoControlCode;
        Seen.InputLength = Slot->Parameters.DeviceIoControl.InputBufferLength;
        Seen.OutputLength = Slot->Parameters.DeviceIoControl.OutputBufferLength;
        Seen.Type3InputBuffer = Slot->Parameters.DeviceIoControl.Type3InputBuffer;
    } else {
        Seen.OutputLength = Slot->Parameters.Read.Length;
        Seen.ByteOffset = Slot->Parameters.Read.ByteOffset.QuadPart;
    }
    if (Data != NULL)
        RtlCopyMemory(Seen.Data, Data, DataLength < sizeof(Seen.Data) ? DataLength : sizeof(Seen.Data));
    if (Irp->MdlAddress != NULL) {
        PUCHAR Mapped = (PUCHAR)MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority);
        ULONG Count = MmGetMdlByteCount(Irp->MdlAddress);
        if (Mapped != NULL)
            RtlCopyMemory(Seen.MdlData, Mapped, Count < sizeof(Seen.MdlData) ? Count : sizeof(Seen.MdlData));
    }
    KeAcquireSpinLock(&Um.Lock, &Irql);
    Seen.Requests = Um.Seen.Requests + 1;
    Um.Seen = Seen;
    KeReleaseSpinLock(&Um.Lock, Irql);
}

static UM_BEHAVIOR UmBehavior(VOID)
{
    UM_BEHAVIOR Behavior;
    KIRQL Irql;
    KeAcquireSpinLock(&Um.Lock, &Irql);
    Behavior = Um.Behavior;
    KeReleaseSpinLock(&Um.Lock, Irql);
    return Behavior;
}

static VOID UmFill(PUCHAR Output, ULONG Length)
{
    for (ULONG i = 0; i < Length; i++)
        Output[i] = UM_OUTPUT_BYTE(i);
}

static NTSTATUS UmEcho(PIRP Irp, PIO_STACK_LOCATION Slot)
{
    ULONG Method = METHOD_FROM_CTL_CODE(Slot->Parameters.DeviceIoControl.IoControlCode);
    ULONG InputLength = Slot->Parameters.DeviceIoControl.InputBufferLength;
    ULONG OutputLength = Slot->Parameters.DeviceIoControl.OutputBufferLength;
    PVOID Input = Method == METHOD_NEITHER ? Slot->Parameters.DeviceIoControl.Type3InputBuffer
                                           : Irp->AssociatedIrp.SystemBuffer;
    PUCHAR Output = NULL;

    /* METHOD_BUFFERED: the whole system buffer (the input and the zeroed rest). */
    ULONG DataLength = Method == METHOD_BUFFERED && OutputLength > InputLength ? OutputLength : InputLength;

    UmRecord(Irp, Slot, DataLength != 0 ? Input : NULL, DataLength);
    switch (Method) {
    case METHOD_BUFFERED:
        Output = (PUCHAR)Irp->AssociatedIrp.SystemBuffer;
        break;
    case METHOD_OUT_DIRECT:
        if (Irp->MdlAddress != NULL)
            Output = (PUCHAR)MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority);
        break;
    case METHOD_NEITHER:
        Output = (PUCHAR)Irp->UserBuffer;
        break;
    default: /* METHOD_IN_DIRECT: the "output" buffer is more input */
        break;
    }
    if (Output != NULL)
        UmFill(Output, OutputLength);
    Irp->IoStatus.Information = Output != NULL ? OutputLength : 0;
    {
        UM_BEHAVIOR Behavior = UmBehavior();
        return UmFinish(Irp, &Behavior);
    }
}

static VOID NTAPI UmEventDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    PKEVENT Event;
    UNREFERENCED_PARAMETER(Dpc);
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Argument1);
    UNREFERENCED_PARAMETER(Argument2);
    KeAcquireSpinLockAtDpcLevel(&Um.Lock);
    Event = Um.EventToSignal;
    Um.EventToSignal = NULL;
    KeReleaseSpinLockFromDpcLevel(&Um.Lock);
    if (Event != NULL) {
        KeSetEvent(Event, IO_NO_INCREMENT, FALSE);
        ObDereferenceObject(Event);
    }
}

/* The application's event handle arrives in the input buffer; it is
   resolved here, in the caller's context, and signalled from a DPC. */
static NTSTATUS UmSignal(PIRP Irp, PIO_STACK_LOCATION Slot)
{
    PKEVENT Event;
    NTSTATUS Status;
    KIRQL Irql;
    if (Slot->Parameters.DeviceIoControl.InputBufferLength < sizeof(HANDLE))
        return UmComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    Status = ObReferenceObjectByHandle(*(PHANDLE)Irp->AssociatedIrp.SystemBuffer, EVENT_MODIFY_STATE,
                                       *ExEventObjectType, Irp->RequestorMode, (PVOID *)&Event, NULL);
    if (!NT_SUCCESS(Status))
        return UmComplete(Irp, Status, 0);
    KeAcquireSpinLock(&Um.Lock, &Irql);
    Um.EventToSignal = Event;
    KeReleaseSpinLock(&Um.Lock, Irql);
    KeInsertQueueDpc(&Um.EventDpc, NULL, NULL);
    return UmComplete(Irp, STATUS_SUCCESS, 0);
}

/* A driver using another device through a handle: ZwCreateFile,
   ZwDeviceIoControlFile, ZwReadFile, ZwWriteFile, ZwClose, all with
   PreviousMode = KernelMode, from this dispatch routine (whose own
   PreviousMode is the application's UserMode). */
static NTSTATUS UmUseZw(PIRP Irp, PIO_STACK_LOCATION Slot)
{
    PUM_ZW_RESULT Result = (PUM_ZW_RESULT)Irp->AssociatedIrp.SystemBuffer;
    UNICODE_STRING Name = RTL_CONSTANT_STRING(L"\\Device\\UmDirect");
    OBJECT_ATTRIBUTES Attributes;
    IO_STATUS_BLOCK IoStatus;
    LARGE_INTEGER Offset;
    UCHAR Input[4] = {9, 8, 7, 6};
    UM_SEEN Seen;
    HANDLE Handle = NULL;
    KIRQL Irql;

    if (Slot->Parameters.DeviceIoControl.OutputBufferLength < sizeof(*Result))
        return UmComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    RtlZeroMemory(Result, sizeof(*Result));
    InitializeObjectAttributes(&Attributes, &Name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    Result->CreateStatus = ZwCreateFile(&Handle, GENERIC_READ | GENERIC_WRITE | SYNCHRONIZE, &Attributes, &IoStatus,
                                        NULL, FILE_ATTRIBUTE_NORMAL, 0, FILE_OPEN,
                                        FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE, NULL, 0);
    if (NT_SUCCESS(Result->CreateStatus)) {
        Result->KernelHandle = Handle;
        Result->IoctlStatus = ZwDeviceIoControlFile(Handle, NULL, NULL, NULL, &IoStatus, IOCTL_UM_ECHO, Input,
                                                    sizeof(Input), Result->IoctlOutput, sizeof(Result->IoctlOutput));
        Result->IoctlInformation = IoStatus.Information;
        KeAcquireSpinLock(&Um.Lock, &Irql);
        Seen = Um.Seen;
        KeReleaseSpinLock(&Um.Lock, Irql);
        Result->InnerRequestorMode = Seen.RequestorMode;
        Result->InnerPreviousMode = Seen.PreviousMode;
        Offset.QuadPart = 3;
        Result->ReadStatus = ZwReadFile(Handle, NULL, NULL, NULL, &IoStatus, Result->ReadData,
                                        sizeof(Result->ReadData), &Offset, NULL);
        Result->ReadInformation = IoStatus.Information;
        Result->WriteStatus = ZwWriteFile(Handle, NULL, NULL, NULL, &IoStatus, Input, sizeof(Input), NULL, NULL);
        Result->CloseStatus = ZwClose(Handle);
    }
    Result->OuterPreviousMode = ExGetPreviousMode();
    return UmComplete(Irp, STATUS_SUCCESS, sizeof(*Result));
}

static NTSTATUS NTAPI UmDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION Slot = IoGetCurrentIrpStackLocation(Irp);
    UNREFERENCED_PARAMETER(DeviceObject);
    switch (FUNCTION_FROM_CTL_CODE(Slot->Parameters.DeviceIoControl.IoControlCode)) {
    case UM_FUNCTION_ECHO:
        return UmEcho(Irp, Slot);
    case UM_FUNCTION_PEND:
        UmRecord(Irp, Slot, NULL, 0);
        return UmQueue(Irp);
    case UM_FUNCTION_SIGNAL:
        return UmSignal(Irp, Slot);
    case UM_FUNCTION_ZW:
        return UmUseZw(Irp, Slot);
    default:
        return UmComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

/* The buffer of a read or write, whatever the device's I/O method. */
static PUCHAR UmTransferBuffer(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    if (DeviceObject->Flags & DO_BUFFERED_IO)
        return (PUCHAR)Irp->AssociatedIrp.SystemBuffer;
    if (DeviceObject->Flags & DO_DIRECT_IO)
        return Irp->MdlAddress != NULL ? (PUCHAR)MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority)
                                       : NULL;
    return (PUCHAR)Irp->UserBuffer;
}

static NTSTATUS NTAPI UmReadWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION Slot = IoGetCurrentIrpStackLocation(Irp);
    ULONG Length = Slot->Parameters.Read.Length;
    LONGLONG Offset = Slot->Parameters.Read.ByteOffset.QuadPart;
    PUCHAR Buffer = UmTransferBuffer(DeviceObject, Irp);

    if (Slot->MajorFunction == IRP_MJ_READ) {
        UmRecord(Irp, Slot, NULL, 0);
        for (ULONG i = 0; Buffer != NULL && i < Length; i++)
            Buffer[i] = UM_READ_BYTE(Offset + i);
    } else {
        UmRecord(Irp, Slot, Buffer, Length);
    }
    Irp->IoStatus.Information = Length;
    {
        UM_BEHAVIOR Behavior = UmBehavior();
        return UmFinish(Irp, &Behavior);
    }
}

static NTSTATUS NTAPI UmCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION Slot = IoGetCurrentIrpStackLocation(Irp);
    PFILE_OBJECT FileObject = Slot->FileObject;
    NTSTATUS Status;
    KIRQL Irql;
    UNREFERENCED_PARAMETER(DeviceObject);
    KeAcquireSpinLock(&Um.Lock, &Irql);
    Um.Counts.Creates++;
    Um.Counts.CreateAccess = Slot->Parameters.Create.SecurityContext->DesiredAccess;
    Um.Counts.CreateOptions = Slot->Parameters.Create.Options;
    Um.Counts.CreateShareAccess = Slot->Parameters.Create.ShareAccess;
    Um.Counts.CreateFileAttributes = Slot->Parameters.Create.FileAttributes;
    Um.Counts.CreateIrpFlags = Irp->Flags;
    Um.Counts.CreateFileObjectFlags = FileObject->Flags;
    RtlZeroMemory(Um.Counts.CreateFileName, sizeof(Um.Counts.CreateFileName));
    if (FileObject->FileName.Buffer != NULL)
        RtlCopyMemory(Um.Counts.CreateFileName, FileObject->FileName.Buffer,
                      min(FileObject->FileName.Length, sizeof(Um.Counts.CreateFileName) - sizeof(WCHAR)));
    Status = Um.CreateStatus;
    KeReleaseSpinLock(&Um.Lock, Irql);
    return UmComplete(Irp, Status, NT_SUCCESS(Status) ? FILE_OPENED : 0);
}

static NTSTATUS NTAPI UmCleanup(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PFILE_OBJECT FileObject = IoGetCurrentIrpStackLocation(Irp)->FileObject;
    LIST_ENTRY List;
    KIRQL Irql;
    UNREFERENCED_PARAMETER(DeviceObject);
    InitializeListHead(&List);
    KeAcquireSpinLock(&Um.Lock, &Irql);
    Um.Counts.Cleanups++;
    if (!Um.Behavior.KeepOnCleanup)
        Um.Counts.CleanupCompleted += UmTakeQueued(FileObject, &List);
    KeReleaseSpinLock(&Um.Lock, Irql);
    while (!IsListEmpty(&List)) {
        PIRP Queued = CONTAINING_RECORD(RemoveHeadList(&List), IRP, Tail.Overlay.ListEntry);
        Queued->IoStatus.Information = 0;
        UmComplete(Queued, STATUS_CANCELLED, UM_INFO_DEFAULT);
    }
    return UmComplete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS NTAPI UmClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    KIRQL Irql;
    UNREFERENCED_PARAMETER(DeviceObject);
    KeAcquireSpinLock(&Um.Lock, &Irql);
    Um.Counts.Closes++;
    KeReleaseSpinLock(&Um.Lock, Irql);
    return UmComplete(Irp, STATUS_SUCCESS, 0);
}

/* Every request goes through here: the filter device passes it down. */
static NTSTATUS NTAPI UmDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PUM_EXTENSION Extension = (PUM_EXTENSION)DeviceObject->DeviceExtension;
    if (Extension->Filter) {
        KIRQL Irql;
        KeAcquireSpinLock(&Um.Lock, &Irql);
        Um.Counts.FilterRequests++;
        KeReleaseSpinLock(&Um.Lock, Irql);
        IoSkipCurrentIrpStackLocation(Irp);
        return IoCallDriver(Extension->Lower, Irp);
    }
    switch (IoGetCurrentIrpStackLocation(Irp)->MajorFunction) {
    case IRP_MJ_CREATE:
        return UmCreate(DeviceObject, Irp);
    case IRP_MJ_CLEANUP:
        return UmCleanup(DeviceObject, Irp);
    case IRP_MJ_CLOSE:
        return UmClose(DeviceObject, Irp);
    case IRP_MJ_DEVICE_CONTROL:
        return UmDeviceControl(DeviceObject, Irp);
    default:
        return UmReadWrite(DeviceObject, Irp);
    }
}

static VOID NTAPI UmUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (UmFilter != NULL) {
        IoDetachDevice(((PUM_EXTENSION)UmFilter->DeviceExtension)->Lower);
        IoDeleteDevice(UmFilter);
        UmFilter = NULL;
    }
    for (ULONG i = 0; i < UM_DEVICE_COUNT; i++) {
        UNICODE_STRING Link;
        RtlInitUnicodeString(&Link, UmLinkNames[i]);
        IoDeleteSymbolicLink(&Link);
        if (UmDevices[i] != NULL)
            IoDeleteDevice(UmDevices[i]);
        UmDevices[i] = NULL;
    }
    KeFlushQueuedDpcs();
}

static NTSTATUS NTAPI UmDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = UmUnload;
    DriverObject->MajorFunction[IRP_MJ_CREATE] = UmDispatch;
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = UmDispatch;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = UmDispatch;
    DriverObject->MajorFunction[IRP_MJ_READ] = UmDispatch;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = UmDispatch;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = UmDispatch;
    for (ULONG i = 0; i < UM_DEVICE_COUNT; i++) {
        UNICODE_STRING Name, Link;
        NTSTATUS Status;
        RtlInitUnicodeString(&Name, UmDeviceNames[i]);
        RtlInitUnicodeString(&Link, UmLinkNames[i]);
        Status = IoCreateDevice(DriverObject, sizeof(UM_EXTENSION), &Name, FILE_DEVICE_UNKNOWN, 0,
                                i == 3 /* exclusive */, &UmDevices[i]);
        if (NT_SUCCESS(Status))
            Status = IoCreateSymbolicLink(&Link, &Name);
        if (!NT_SUCCESS(Status)) {
            UmUnload(DriverObject);
            return Status;
        }
        UmDevices[i]->Flags |= UmDeviceFlags[i];
        UmDevices[i]->Flags &= ~DO_DEVICE_INITIALIZING;
    }
    return STATUS_SUCCESS;
}

/* ---- the application side's controls ---- */

void UmTestReset(void)
{
    KIRQL Irql;
    KeAcquireSpinLock(&Um.Lock, &Irql);
    RtlZeroMemory(&Um.Seen, sizeof(Um.Seen));
    RtlZeroMemory(&Um.Counts, sizeof(Um.Counts));
    Um.Behavior.Status = STATUS_SUCCESS;
    Um.Behavior.Information = UM_INFO_DEFAULT;
    Um.Behavior.Disposition = UM_COMPLETE_INLINE;
    Um.Behavior.KeepOnCleanup = FALSE;
    Um.CancelMode = UM_CANCEL_COMPLETE;
    Um.CreateStatus = STATUS_SUCCESS;
    KeReleaseSpinLock(&Um.Lock, Irql);
}

LONG UmTestLoadDriver(void)
{
    KeInitializeSpinLock(&Um.Lock);
    InitializeListHead(&Um.Queue);
    InitializeListHead(&Um.DpcQueue);
    KeInitializeDpc(&Um.CompleteDpc, UmCompleteDpc, NULL);
    KeInitializeDpc(&Um.EventDpc, UmEventDpc, NULL);
    Um.EventToSignal = NULL;
    UmTestReset();
    UmFilter = NULL;
    return IrpSimLoadDriver(L"\\Driver\\UmTest", UmDriverEntry, &UmDriver);
}

void UmTestSetBehavior(LONG Status, ULONG_PTR Information, ULONG Disposition)
{
    KIRQL Irql;
    KeAcquireSpinLock(&Um.Lock, &Irql);
    Um.Behavior.Status = Status;
    Um.Behavior.Information = Information;
    Um.Behavior.Disposition = Disposition;
    KeReleaseSpinLock(&Um.Lock, Irql);
}

void UmTestKeepOnCleanup(BOOLEAN Keep)
{
    KIRQL Irql;
    KeAcquireSpinLock(&Um.Lock, &Irql);
    Um.Behavior.KeepOnCleanup = Keep;
    KeReleaseSpinLock(&Um.Lock, Irql);
}

void UmTestSetCancelMode(ULONG Mode)
{
    KIRQL Irql;
    KeAcquireSpinLock(&Um.Lock, &Irql);
    Um.CancelMode = Mode;
    KeReleaseSpinLock(&Um.Lock, Irql);
}

void UmTestSetCancelWaitLimit(LONGLONG Interval, ULONG Retries)
{
    IopSetThreadIoCancelLimits(Interval, Retries);
}

void UmTestSetCreateStatus(LONG Status)
{
    KIRQL Irql;
    KeAcquireSpinLock(&Um.Lock, &Irql);
    Um.CreateStatus = Status;
    KeReleaseSpinLock(&Um.Lock, Irql);
}

void UmTestGetSeen(UM_SEEN *Seen)
{
    KIRQL Irql;
    KeAcquireSpinLock(&Um.Lock, &Irql);
    *Seen = Um.Seen;
    KeReleaseSpinLock(&Um.Lock, Irql);
}

void UmTestGetCounts(UM_COUNTS *Counts)
{
    KIRQL Irql;
    KeAcquireSpinLock(&Um.Lock, &Irql);
    *Counts = Um.Counts;
    KeReleaseSpinLock(&Um.Lock, Irql);
}

ULONG UmTestQueuedCount(void)
{
    ULONG Count = 0;
    KIRQL Irql;
    KeAcquireSpinLock(&Um.Lock, &Irql);
    for (PLIST_ENTRY Entry = Um.Queue.Flink; Entry != &Um.Queue; Entry = Entry->Flink)
        Count++;
    KeReleaseSpinLock(&Um.Lock, Irql);
    return Count;
}

ULONG UmTestCompleteQueued(LONG Status, ULONG_PTR Information, BOOLEAN FromDpc)
{
    LIST_ENTRY List;
    ULONG Count;
    KIRQL Irql;
    InitializeListHead(&List);
    KeAcquireSpinLock(&Um.Lock, &Irql);
    Count = UmTakeQueued(NULL, &List);
    if (FromDpc) {
        while (!IsListEmpty(&List))
            InsertTailList(&Um.DpcQueue, RemoveHeadList(&List));
        Um.DpcStatus = Status;
        Um.DpcInformation = Information;
    }
    KeReleaseSpinLock(&Um.Lock, Irql);
    if (FromDpc) {
        KeInsertQueueDpc(&Um.CompleteDpc, NULL, NULL);
        return Count;
    }
    while (!IsListEmpty(&List)) {
        PIRP Irp = CONTAINING_RECORD(RemoveHeadList(&List), IRP, Tail.Overlay.ListEntry);
        UmComplete(Irp, Status, Information);
    }
    return Count;
}

LONG UmTestAttachFilter(void)
{
    PDEVICE_OBJECT Lower;
    NTSTATUS Status = IoCreateDevice(UmDriver, sizeof(UM_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &UmFilter);
    if (!NT_SUCCESS(Status))
        return Status;
    Lower = IoAttachDeviceToDeviceStack(UmFilter, UmDevices[0]);
    ((PUM_EXTENSION)UmFilter->DeviceExtension)->Filter = TRUE;
    ((PUM_EXTENSION)UmFilter->DeviceExtension)->Lower = Lower;
    UmFilter->Flags |= Lower->Flags & (DO_BUFFERED_IO | DO_DIRECT_IO);
    UmFilter->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

void UmTestRunUntilIdle(void)
{
    IrpSimRunUntilIdle(0);
}

void UmTestTraceStart(void)
{
    IrpSimTraceEnable(IRPSIM_TRACE_MEMORY, NULL);
    IrpSimTraceClear();
}

static BOOLEAN UmFindLast(IRPSIM_TRACE_KIND Kind, const char *Name, PIRPSIM_TRACE_EVENT Found)
{
    BOOLEAN Any = FALSE;
    for (ULONG i = 0; i < IrpSimTraceCount(); i++) {
        IRPSIM_TRACE_EVENT Event;
        if (IrpSimTraceGet(i, &Event) && Event.Kind == Kind && strcmp(Event.Text, Name) == 0) {
            *Found = Event;
            Any = TRUE;
        }
    }
    return Any;
}

BOOLEAN UmTestFindWin32Call(const char *Name, PVOID *Handle, PVOID *Irp)
{
    IRPSIM_TRACE_EVENT Event;
    if (!UmFindLast(IrpSimTraceWin32Call, Name, &Event))
        return FALSE;
    *Handle = Event.Object;
    *Irp = (PVOID)Event.Argument[0];
    return TRUE;
}

BOOLEAN UmTestFindNote(const char *Text, PVOID *Object)
{
    for (ULONG i = 0; i < IrpSimTraceCount(); i++) {
        IRPSIM_TRACE_EVENT Event;
        if (IrpSimTraceGet(i, &Event) && Event.Kind == IrpSimTraceNote && strstr(Event.Text, Text) != NULL) {
            *Object = Event.Object;
            return TRUE;
        }
    }
    return FALSE;
}

BOOLEAN UmTestFindWin32Return(const char *Name, ULONG_PTR *Result, ULONG_PTR *LastError)
{
    IRPSIM_TRACE_EVENT Event;
    if (!UmFindLast(IrpSimTraceWin32Return, Name, &Event))
        return FALSE;
    *Result = Event.Argument[0];
    *LastError = Event.Argument[1];
    return TRUE;
}

ULONG UmTestStatusToError(LONG Status)
{
    return RtlNtStatusToDosError(Status);
}

ULONG UmTestOutstandingIrps(void)
{
    IRPSIM_LEAK_SUMMARY Summary;
    IrpSimQueryOutstanding(NULL, &Summary);
    return Summary.Irps;
}
