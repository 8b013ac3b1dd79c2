/*
 * irpsim — file objects and the requests the I/O manager makes itself:
 * IRP_MJ_CREATE when a device is opened, IRP_MJ_CLEANUP when the last
 * handle goes (or at once, for IoGetDeviceObjectPointer, which closes the
 * handle it opened), IRP_MJ_CLOSE when the last reference goes (A.5).
 *
 * A file object is an object-manager object of the File type; its body is
 * IOP_FILE_PRIVATE (FILE_OBJECT first). It references its device, and each
 * successful open counts in DEVICE_OBJECT.ReferenceCount (which is what
 * DO_EXCLUSIVE checks) until the close.
 *
 * IRP_MJ_CLOSE is sent from the object manager's delete procedure, on the
 * thread that drops the last reference, and waited for there if the driver
 * pends it. (Windows defers the deletion to a worker thread when that
 * happens above PASSIVE_LEVEL; irpsim does not, so a last dereference at
 * DISPATCH_LEVEL whose close is pended would wait at DISPATCH_LEVEL.)
 */
#include "iop.h"

#include <stdlib.h>

static NTSTATUS NTAPI IopSynchronousCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

NTSTATUS IopSynchronousRequest(PDEVICE_OBJECT Device, const IO_STACK_LOCATION *Template, ULONG IrpFlags,
                               PFILE_OBJECT OriginalFileObject, PIO_STATUS_BLOCK IoStatus)
{
    PIO_STACK_LOCATION Next;
    NTSTATUS Status;
    KEVENT Event;
    PIRP Irp;

    Irp = IopAllocateIrp(Device->StackSize, FALSE, IrpSimIrpOriginIoManager, PAL_RETURN_ADDRESS());
    if (Irp == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    /* The requesting thread is recorded (drivers ask for the requestor),
       but the IRP is not threaded: it comes back through the routine. */
    Irp->Tail.Overlay.Thread = KiEThreadFromThread(KiGetCurrentThread());
    Irp->Tail.Overlay.OriginalFileObject = OriginalFileObject;
    Irp->RequestorMode = KernelMode;
    Irp->Flags = IrpFlags;
    Next = IoGetNextIrpStackLocation(Irp);
    Next->MajorFunction = Template->MajorFunction;
    Next->MinorFunction = Template->MinorFunction;
    Next->Flags = Template->Flags;
    Next->Parameters = Template->Parameters;
    Next->FileObject = Template->FileObject;
    IoSetCompletionRoutine(Irp, IopSynchronousCompletion, &Event, TRUE, TRUE, TRUE);

    Status = IoCallDriver(Device, Irp);
    if (Status == STATUS_PENDING)
        (void)KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL);
    Status = Irp->IoStatus.Status;
    if (IoStatus != NULL)
        *IoStatus = Irp->IoStatus;
    IoFreeIrp(Irp);
    return Status;
}

static PIOP_FILE_PRIVATE IopFilePrivate(PFILE_OBJECT FileObject)
{
    return (PIOP_FILE_PRIVATE)FileObject;
}

/* The object manager's delete procedure: the last reference is gone. */
static VOID IopDeleteFileObject(PVOID Object)
{
    PIOP_FILE_PRIVATE Private = (PIOP_FILE_PRIVATE)Object;
    PFILE_OBJECT FileObject = &Private->FileObject;
    PDEVICE_OBJECT Device = FileObject->DeviceObject;

    if (Private->Opened && Device != NULL) {
        IO_STACK_LOCATION Template;
        memset(&Template, 0, sizeof(Template));
        Template.MajorFunction = IRP_MJ_CLOSE;
        Template.FileObject = FileObject;
        (void)IopSynchronousRequest(IoGetAttachedDevice(Device), &Template, IRP_CLOSE_OPERATION | IRP_SYNCHRONOUS_API,
                                    FileObject, NULL);
        Private->Opened = FALSE;
        InterlockedDecrement(&Device->ReferenceCount);
    }
    free(FileObject->FileName.Buffer);
    FileObject->FileName.Buffer = NULL;
    /* A completion-port association (CreateIoCompletionPort, src/um)
       holds a reference on the port; it goes with the file object. */
    if (FileObject->CompletionContext != NULL) {
        ObDereferenceObject(FileObject->CompletionContext->Port);
        ExFreePool(FileObject->CompletionContext);
        FileObject->CompletionContext = NULL;
    }
    if (Device != NULL)
        ObDereferenceObject(Device);
}

/* A handle was closed; the last one sends IRP_MJ_CLEANUP. */
static VOID IopCloseFileHandle(PVOID Object, LONG_PTR HandleCount, KPROCESSOR_MODE PreviousMode)
{
    UNREFERENCED_PARAMETER(PreviousMode);
    if (HandleCount == 0)
        IopSendCleanup((PFILE_OBJECT)Object);
}

VOID IopInitializeFileType(VOID)
{
    ObpFileObjectType.DeleteProcedure = IopDeleteFileObject;
    ObpFileObjectType.CloseProcedure = IopCloseFileHandle;
}

NTSTATUS IopCreateFileObject(PDEVICE_OBJECT Device, PCUNICODE_STRING FileName, ACCESS_MASK DesiredAccess,
                             ULONG Flags, PFILE_OBJECT *FileObject)
{
    PIOP_FILE_PRIVATE Private;
    PFILE_OBJECT File;
    ACCESS_MASK Access = ObpMapGenericAccess(&ObpFileObjectType, DesiredAccess);
    NTSTATUS Status;

    *FileObject = NULL;
    Status = ObpCreateObject(&ObpFileObjectType, sizeof(IOP_FILE_PRIVATE), NULL, FALSE, (PVOID *)&Private);
    if (!NT_SUCCESS(Status))
        return Status;
    File = &Private->FileObject;
    File->Type = IO_TYPE_FILE;
    File->Size = (CSHORT)sizeof(FILE_OBJECT);
    File->Flags = Flags;
    File->ReadAccess = (Access & (FILE_READ_DATA | FILE_EXECUTE)) != 0;
    File->WriteAccess = (Access & (FILE_WRITE_DATA | FILE_APPEND_DATA)) != 0;
    File->DeleteAccess = (Access & DELETE) != 0;
    KeInitializeEvent(&File->Lock, SynchronizationEvent, FALSE);
    KeInitializeEvent(&File->Event, NotificationEvent, FALSE);
    KeInitializeSpinLock(&File->IrpListLock);
    InitializeListHead(&File->IrpList);
    if (FileName != NULL && FileName->Length != 0) {
        File->FileName.Buffer = (PWSTR)malloc(FileName->Length + sizeof(WCHAR));
        if (File->FileName.Buffer == NULL) {
            ObDereferenceObject(File);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        memcpy(File->FileName.Buffer, FileName->Buffer, FileName->Length);
        File->FileName.Buffer[FileName->Length / sizeof(WCHAR)] = 0;
        File->FileName.Length = FileName->Length;
        File->FileName.MaximumLength = (USHORT)(FileName->Length + sizeof(WCHAR));
    }
    ObReferenceObject(Device);
    File->DeviceObject = Device;
    File->Vpb = Device->Vpb;
    *FileObject = File;
    return STATUS_SUCCESS;
}

NTSTATUS IopSendCreate(PFILE_OBJECT FileObject, ACCESS_MASK DesiredAccess, ULONG CreateOptions, USHORT ShareAccess,
                       PULONG_PTR Information)
{
    IO_SECURITY_CONTEXT Security;
    IO_STACK_LOCATION Template;
    IO_STATUS_BLOCK IoStatus;
    NTSTATUS Status;

    memset(&Security, 0, sizeof(Security));
    Security.DesiredAccess = ObpMapGenericAccess(&ObpFileObjectType, DesiredAccess);
    Security.FullCreateOptions = CreateOptions;
    memset(&Template, 0, sizeof(Template));
    Template.MajorFunction = IRP_MJ_CREATE;
    Template.Parameters.Create.SecurityContext = &Security;
    Template.Parameters.Create.Options = ((ULONG)FILE_OPEN << 24) | (CreateOptions & 0x00FFFFFF);
    Template.Parameters.Create.ShareAccess = ShareAccess;
    Template.FileObject = FileObject;
    IoStatus.Information = 0;
    Status = IopSynchronousRequest(IoGetAttachedDevice(FileObject->DeviceObject), &Template,
                                   IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API, FileObject, &IoStatus);
    if (Information != NULL)
        *Information = IoStatus.Information;
    if (NT_SUCCESS(Status))
        IopFilePrivate(FileObject)->Opened = TRUE;
    return Status;
}

VOID IopSendCleanup(PFILE_OBJECT FileObject)
{
    PIOP_FILE_PRIVATE Private = IopFilePrivate(FileObject);
    IO_STACK_LOCATION Template;

    if (!Private->Opened || Private->CleanedUp)
        return;
    Private->CleanedUp = TRUE;
    memset(&Template, 0, sizeof(Template));
    Template.MajorFunction = IRP_MJ_CLEANUP;
    Template.FileObject = FileObject;
    (void)IopSynchronousRequest(IoGetRelatedDeviceObject(FileObject), &Template,
                                IRP_CLOSE_OPERATION | IRP_SYNCHRONOUS_API, FileObject, NULL);
    FileObject->Flags |= FO_CLEANUP_COMPLETE;
}

NTSTATUS IopOpenDevice(PCUNICODE_STRING Name, ACCESS_MASK DesiredAccess, ULONG CreateOptions, USHORT ShareAccess,
                       ULONG FileObjectFlags, PFILE_OBJECT *FileObject, PULONG_PTR Information)
{
    WCHAR RemainderBuffer[260];
    UNICODE_STRING Remainder;
    PDEVICE_OBJECT Device;
    PFILE_OBJECT File;
    NTSTATUS Status;

    *FileObject = NULL;
    if (Information != NULL)
        *Information = 0;
    Remainder.Buffer = RemainderBuffer;
    Remainder.Length = 0;
    Remainder.MaximumLength = sizeof(RemainderBuffer);
    Status = ObpLookupObjectName(Name, &ObpDeviceObjectType, (PVOID *)&Device, &Remainder);
    if (!NT_SUCCESS(Status))
        return Status;
    /* A device being deleted, or still initialising, cannot be opened. */
    if (IopDevicePrivate(Device)->Deleted || (Device->Flags & DO_DEVICE_INITIALIZING) ||
        (Device->DeviceObjectExtension->ExtensionFlags & (IOP_DOE_DELETE_PENDING | IOP_DOE_UNLOAD_PENDING))) {
        ObDereferenceObject(Device);
        return STATUS_NO_SUCH_DEVICE;
    }
    if ((Device->Flags & DO_EXCLUSIVE) && PAL_ATOMIC_LOAD(&Device->ReferenceCount, PAL_ORDER_SEQ_CST) != 0) {
        ObDereferenceObject(Device);
        return STATUS_ACCESS_DENIED;
    }
    Status = IopCreateFileObject(Device, &Remainder, DesiredAccess, FileObjectFlags, &File);
    ObDereferenceObject(Device); /* the file object holds its own reference */
    if (!NT_SUCCESS(Status))
        return Status;
    InterlockedIncrement(&Device->ReferenceCount);
    Status = IopSendCreate(File, DesiredAccess, CreateOptions, ShareAccess, Information);
    if (!NT_SUCCESS(Status)) {
        InterlockedDecrement(&Device->ReferenceCount);
        ObDereferenceObject(File); /* never opened: no IRP_MJ_CLOSE */
        return Status;
    }
    *FileObject = File;
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI IoGetDeviceObjectPointer(PUNICODE_STRING ObjectName, ACCESS_MASK DesiredAccess,
                                        PFILE_OBJECT *FileObject, PDEVICE_OBJECT *DeviceObject)
{
    PFILE_OBJECT File;
    NTSTATUS Status;

    *FileObject = NULL;
    *DeviceObject = NULL;
    Status = IopOpenDevice(ObjectName, DesiredAccess, FILE_NON_DIRECTORY_FILE, 0, 0, &File, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    /* Windows opened a handle to get here and closes it before returning. */
    IopSendCleanup(File);
    *FileObject = File;
    *DeviceObject = IoGetRelatedDeviceObject(File);
    return STATUS_SUCCESS;
}

PDEVICE_OBJECT NTAPI IoGetRelatedDeviceObject(PFILE_OBJECT FileObject)
{
    /* Volumes (Vpb) are not modelled: the top of the opened device's stack. */
    return IoGetAttachedDevice(FileObject->DeviceObject);
}
