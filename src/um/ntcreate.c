/*
 * irpsim — NtCreateFile / NtOpenFile and their Zw forms: opening a device
 * (SEMANTICS A.1).
 *
 * The name is looked up in the object namespace, following symbolic links
 * (\??\Beep -> \Device\Beep); what follows the device's name becomes the
 * file object's FileName. A device being deleted or still initialising
 * cannot be opened (STATUS_NO_SUCH_DEVICE), nor can a DO_EXCLUSIVE device
 * that is already open (STATUS_ACCESS_DENIED). A new FILE_OBJECT goes to
 * the top of the device's stack in IRP_MJ_CREATE, built as the I/O manager
 * builds it: IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API |
 * IRP_DEFER_IO_COMPLETION, a threaded IRP whose UserEvent is the file
 * object's event; the service finishes a request the driver did not pend
 * itself (stage 2 after IoCallDriver returns) and waits for one it did.
 * On failure no handle is made and the driver sees neither IRP_MJ_CLEANUP
 * nor IRP_MJ_CLOSE for that file object. On success the handle records
 * the granted access (devices have no security descriptors here: what was
 * asked for is granted, MAXIMUM_ALLOWED meaning FILE_ALL_ACCESS).
 *
 * Not simulated: opening relative to RootDirectory, share-access checks
 * (a file system's job), extended attributes beyond passing them on.
 */
#include "ump.h"

#include <stdlib.h>

static NTSTATUS UmpSendCreate(PFILE_OBJECT FileObject, KPROCESSOR_MODE Mode, ACCESS_MASK DesiredAccess,
                              PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess,
                              ULONG Disposition, ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength,
                              PIO_STATUS_BLOCK IoStatus)
{
    PDEVICE_OBJECT Device = IoGetAttachedDevice(FileObject->DeviceObject);
    IO_SECURITY_CONTEXT Security;
    IO_STATUS_BLOCK Local;
    PIO_STACK_LOCATION Slot;
    VF_IRP_ENTRY Entry;
    NTSTATUS Status;
    PIRP Irp;

    Irp = IopAllocateIrp(Device->StackSize, FALSE, IrpSimIrpOriginIoManager, PAL_RETURN_ADDRESS());
    if (Irp == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(&Security, 0, sizeof(Security));
    Security.DesiredAccess = DesiredAccess;
    Security.FullCreateOptions = CreateOptions;
    Local.Status = STATUS_SUCCESS;
    Local.Information = 0;
    Irp->Flags = IRP_CREATE_OPERATION | IRP_SYNCHRONOUS_API | IRP_DEFER_IO_COMPLETION;
    Irp->RequestorMode = Mode;
    Irp->UserIosb = &Local;
    Irp->UserEvent = &FileObject->Event;
    Irp->Tail.Overlay.OriginalFileObject = FileObject;
    Irp->Overlay.AllocationSize.QuadPart = AllocationSize != NULL ? AllocationSize->QuadPart : 0;
    Irp->AssociatedIrp.SystemBuffer = EaBuffer;
    Slot = IoGetNextIrpStackLocation(Irp);
    Slot->MajorFunction = IRP_MJ_CREATE;
    Slot->FileObject = FileObject;
    Slot->Parameters.Create.SecurityContext = &Security;
    Slot->Parameters.Create.Options = (Disposition << 24) | (CreateOptions & 0x00FFFFFF);
    Slot->Parameters.Create.FileAttributes = (USHORT)FileAttributes;
    Slot->Parameters.Create.ShareAccess = (USHORT)ShareAccess;
    Slot->Parameters.Create.EaLength = EaLength;

    KeClearEvent(&FileObject->Event);
    ObReferenceObject(FileObject); /* dropped by stage 2 */
    IopQueueThreadIrp(Irp, KiEThreadFromThread(KiGetCurrentThread()));
    UmpNoteIrp(Irp);
    Status = IoCallDriver(Device, Irp);
    if (Status == STATUS_PENDING) {
        (void)KeWaitForSingleObject(&FileObject->Event, Executive, KernelMode, FALSE, NULL);
        Status = Local.Status;
    } else if (VfIrpQuery(Irp, &Entry) && Entry.WalkFinished && Entry.State == VfIrpStage2Queued &&
               !Entry.ApcQueued) {
        /* Completed without pending: stage 2 was left to this service. */
        Local = Irp->IoStatus;
        Status = Local.Status;
        IopCompleteDeferredRequest(Irp);
    }
    *IoStatus = Local;
    return Status;
}

/* FO_* flags for the create options. */
static ULONG UmpFileObjectFlags(ULONG CreateOptions)
{
    ULONG Flags = 0;
    if (CreateOptions & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT))
        Flags |= FO_SYNCHRONOUS_IO;
    if (CreateOptions & FILE_SYNCHRONOUS_IO_ALERT)
        Flags |= FO_ALERTABLE_IO;
    if (CreateOptions & FILE_NO_INTERMEDIATE_BUFFERING)
        Flags |= FO_NO_INTERMEDIATE_BUFFERING;
    if (CreateOptions & FILE_WRITE_THROUGH)
        Flags |= FO_WRITE_THROUGH;
    if (CreateOptions & FILE_SEQUENTIAL_ONLY)
        Flags |= FO_SEQUENTIAL_ONLY;
    if (CreateOptions & FILE_RANDOM_ACCESS)
        Flags |= FO_RANDOM_ACCESS;
    return Flags;
}

static NTSTATUS UmpCheckCreateParameters(ACCESS_MASK DesiredAccess, ULONG ShareAccess, ULONG Disposition,
                                         ULONG CreateOptions)
{
    ULONG Synchronous = CreateOptions & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT);
    if (Disposition > FILE_MAXIMUM_DISPOSITION || (ShareAccess & ~FILE_SHARE_VALID_FLAGS) != 0)
        return STATUS_INVALID_PARAMETER;
    if (Synchronous == (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT) ||
        (Synchronous != 0 && !(DesiredAccess & SYNCHRONIZE)))
        return STATUS_INVALID_PARAMETER;
    if ((CreateOptions & FILE_DIRECTORY_FILE) && (CreateOptions & FILE_NON_DIRECTORY_FILE))
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}

static NTSTATUS UmpProbeCreate(KPROCESSOR_MODE Mode, PHANDLE FileHandle, POBJECT_ATTRIBUTES ObjectAttributes,
                               PIO_STATUS_BLOCK IoStatusBlock, PVOID EaBuffer, ULONG EaLength)
{
    if (FileHandle == NULL || IoStatusBlock == NULL || ObjectAttributes == NULL)
        return Mode == UserMode ? STATUS_ACCESS_VIOLATION : STATUS_INVALID_PARAMETER;
    if (!NT_SUCCESS(UmpProbe(Mode, FileHandle, sizeof(*FileHandle), TRUE)) ||
        !NT_SUCCESS(UmpProbe(Mode, IoStatusBlock, sizeof(*IoStatusBlock), TRUE)) ||
        !NT_SUCCESS(UmpProbe(Mode, ObjectAttributes, sizeof(*ObjectAttributes), FALSE)) ||
        !NT_SUCCESS(UmpProbe(Mode, EaBuffer, EaLength, FALSE)))
        return STATUS_ACCESS_VIOLATION;
    if (ObjectAttributes->ObjectName == NULL)
        return STATUS_OBJECT_NAME_INVALID;
    if (!NT_SUCCESS(UmpProbe(Mode, ObjectAttributes->ObjectName, sizeof(UNICODE_STRING), FALSE)) ||
        !NT_SUCCESS(UmpProbe(Mode, ObjectAttributes->ObjectName->Buffer, ObjectAttributes->ObjectName->Length,
                             FALSE)))
        return STATUS_ACCESS_VIOLATION;
    return STATUS_SUCCESS;
}

/* Counts an open of Device (DO_EXCLUSIVE: only the first). */
static BOOLEAN UmpCountOpen(PDEVICE_OBJECT Device)
{
    LONG Expected = 0;
    if (!(Device->Flags & DO_EXCLUSIVE)) {
        InterlockedIncrement(&Device->ReferenceCount);
        return TRUE;
    }
    return PAL_ATOMIC_COMPARE_EXCHANGE(&Device->ReferenceCount, &Expected, 1, FALSE, PAL_ORDER_SEQ_CST,
                                       PAL_ORDER_SEQ_CST);
}

NTSTATUS NTAPI NtCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                            PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize, ULONG FileAttributes,
                            ULONG ShareAccess, ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer,
                            ULONG EaLength)
{
    KPROCESSOR_MODE Mode = ExGetPreviousMode();
    UNICODE_STRING Remainder;
    IO_STATUS_BLOCK IoStatus;
    PDEVICE_OBJECT Device;
    PFILE_OBJECT File;
    ACCESS_MASK Granted;
    ULONG Attributes;
    HANDLE Handle;
    NTSTATUS Status;

    Status = UmpProbeCreate(Mode, FileHandle, ObjectAttributes, IoStatusBlock, EaBuffer, EaLength);
    if (!NT_SUCCESS(Status))
        return Status;
    if (ObjectAttributes->RootDirectory != NULL)
        VfNotSimulated("NtCreateFile", "opening a name relative to ObjectAttributes->RootDirectory");
    if (DesiredAccess & MAXIMUM_ALLOWED)
        DesiredAccess = (DesiredAccess & ~MAXIMUM_ALLOWED) | FILE_ALL_ACCESS;
    Granted = ObpMapGenericAccess(&ObpFileObjectType, DesiredAccess);
    Status = UmpCheckCreateParameters(Granted, ShareAccess, CreateDisposition, CreateOptions);
    if (!NT_SUCCESS(Status))
        return Status;

    /* What follows the device's name; a symbolic link's target may add
       to it, hence the slack. */
    Remainder.Length = 0;
    Remainder.MaximumLength = (USHORT)min((ULONG)ObjectAttributes->ObjectName->Length + 1024, MAXUSHORT - 1);
    Remainder.Buffer = (PWSTR)malloc(Remainder.MaximumLength + sizeof(WCHAR));
    if (Remainder.Buffer == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    Status = ObpLookupObjectName(ObjectAttributes->ObjectName, &ObpDeviceObjectType, (PVOID *)&Device, &Remainder);
    if (!NT_SUCCESS(Status)) {
        free(Remainder.Buffer);
        return Status;
    }
    if (IopDevicePrivate(Device)->Deleted || (Device->Flags & DO_DEVICE_INITIALIZING) ||
        (Device->DeviceObjectExtension->ExtensionFlags & (IOP_DOE_DELETE_PENDING | IOP_DOE_UNLOAD_PENDING)))
        Status = STATUS_NO_SUCH_DEVICE;
    else if (!UmpCountOpen(Device))
        Status = STATUS_ACCESS_DENIED;
    else {
        Status = IopCreateFileObject(Device, &Remainder, Granted, UmpFileObjectFlags(CreateOptions), &File);
        if (!NT_SUCCESS(Status))
            InterlockedDecrement(&Device->ReferenceCount);
    }
    free(Remainder.Buffer);
    ObDereferenceObject(Device); /* a file object holds its own reference */
    if (!NT_SUCCESS(Status))
        return Status;

    Status = UmpSendCreate(File, Mode, Granted, AllocationSize, FileAttributes, ShareAccess, CreateDisposition,
                           CreateOptions, EaBuffer, EaLength, &IoStatus);
    if (!NT_SUCCESS(Status)) {
        InterlockedDecrement(&Device->ReferenceCount);
        ObDereferenceObject(File); /* never opened: no IRP_MJ_CLEANUP, no IRP_MJ_CLOSE */
        *IoStatusBlock = IoStatus;
        return Status;
    }
    ((PIOP_FILE_PRIVATE)File)->Opened = TRUE;
    PAL_ATOMIC_OR_FETCH(&File->Flags, FO_HANDLE_CREATED, PAL_ORDER_SEQ_CST);
    /* Only kernel callers may make kernel handles. */
    Attributes = ObjectAttributes->Attributes & (OBJ_INHERIT | (Mode == KernelMode ? OBJ_KERNEL_HANDLE : 0));
    Status = ObpCreateHandle(File, Granted, Attributes, &Handle);
    ObDereferenceObject(File); /* the handle holds it now (or it is closed) */
    if (!NT_SUCCESS(Status))
        return Status;
    *FileHandle = Handle;
    *IoStatusBlock = IoStatus;
    return Status;
}

NTSTATUS NTAPI NtOpenFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                          PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess, ULONG OpenOptions)
{
    return NtCreateFile(FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock, NULL, 0, ShareAccess, FILE_OPEN,
                        OpenOptions, NULL, 0);
}

NTSTATUS NTAPI ZwCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                            PIO_STATUS_BLOCK IoStatusBlock, PLARGE_INTEGER AllocationSize, ULONG FileAttributes,
                            ULONG ShareAccess, ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer,
                            ULONG EaLength)
{
    KPROCESSOR_MODE Old = UmpSetPreviousMode(KernelMode);
    NTSTATUS Status = NtCreateFile(FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock, AllocationSize,
                                   FileAttributes, ShareAccess, CreateDisposition, CreateOptions, EaBuffer, EaLength);
    (void)UmpSetPreviousMode(Old);
    return Status;
}

NTSTATUS NTAPI ZwOpenFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                          PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess, ULONG OpenOptions)
{
    KPROCESSOR_MODE Old = UmpSetPreviousMode(KernelMode);
    NTSTATUS Status = NtOpenFile(FileHandle, DesiredAccess, ObjectAttributes, IoStatusBlock, ShareAccess, OpenOptions);
    (void)UmpSetPreviousMode(Old);
    return Status;
}
