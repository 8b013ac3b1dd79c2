/*
 * irpsim — device stacks: attaching, detaching, walking.
 *
 * IoAttachDeviceToDeviceStack(Safe) attaches to the top of the target's
 * stack and, as documented, sets the new device's StackSize (lower + 1)
 * and AlignmentRequirement (the lower device's); SectorSize is copied too,
 * as Windows does. Everything else the attaching driver copies itself:
 * DO_BUFFERED_IO / DO_DIRECT_IO, DO_POWER_PAGABLE / DO_POWER_INRUSH,
 * DeviceType and Characteristics (FILE_DEVICE_SECURE_OPEN ...), and it
 * clears DO_DEVICE_INITIALIZING when it creates the device outside
 * DriverEntry.
 *
 * The attachment chain (AttachedDevice upwards, DEVOBJ_EXTENSION.AttachedTo
 * downwards) changes only under IopDatabaseLock. Attaching takes no object
 * reference, as on Windows.
 */
#include "iop.h"

static PDEVICE_OBJECT IopTopOfStackLocked(PDEVICE_OBJECT Device)
{
    while (Device->AttachedDevice != NULL)
        Device = Device->AttachedDevice;
    return Device;
}

PDEVICE_OBJECT NTAPI IoGetAttachedDevice(PDEVICE_OBJECT DeviceObject)
{
    PDEVICE_OBJECT Top;
    PalMutexLock(&IopDatabaseLock);
    Top = IopTopOfStackLocked(DeviceObject);
    PalMutexUnlock(&IopDatabaseLock);
    return Top;
}

PDEVICE_OBJECT NTAPI IoGetAttachedDeviceReference(PDEVICE_OBJECT DeviceObject)
{
    PDEVICE_OBJECT Top;
    BOOLEAN Referenced;
    /* Referenced under the lock, as on Windows: once it is dropped the top
       device may be detached and deleted. */
    PalMutexLock(&IopDatabaseLock);
    Top = IopTopOfStackLocked(DeviceObject);
    Referenced = ObpReferenceObjectIfAlive(Top);
    PalMutexUnlock(&IopDatabaseLock);
    if (!Referenced)
        ObReferenceObject(Top); /* reports the dead device */
    return Top;
}

PDEVICE_OBJECT NTAPI IoGetLowerDeviceObject(PDEVICE_OBJECT DeviceObject)
{
    PDEVICE_OBJECT Lower = NULL;
    BOOLEAN Referenced = TRUE;
    PalMutexLock(&IopDatabaseLock);
    /* A device on its way out has no lower device to offer. */
    if (!(DeviceObject->DeviceObjectExtension->ExtensionFlags & (IOP_DOE_DELETE_PENDING | IOP_DOE_UNLOAD_PENDING)))
        Lower = DeviceObject->DeviceObjectExtension->AttachedTo;
    /* Referenced under the lock (see IoGetAttachedDeviceReference). */
    if (Lower != NULL)
        Referenced = ObpReferenceObjectIfAlive(Lower);
    PalMutexUnlock(&IopDatabaseLock);
    if (!Referenced)
        ObReferenceObject(Lower); /* reports the dead device */
    return Lower;
}

NTSTATUS NTAPI IoAttachDeviceToDeviceStackSafe(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT TargetDevice,
                                               PDEVICE_OBJECT *AttachedToDeviceObject)
{
    PDEVICE_OBJECT Top;

    *AttachedToDeviceObject = NULL;
    if (!IopIsDeviceObject(SourceDevice) || !IopIsDeviceObject(TargetDevice))
        return STATUS_NO_SUCH_DEVICE;
    PalMutexLock(&IopDatabaseLock);
    Top = TargetDevice;
    for (;;) {
        if (Top == SourceDevice) {
            /* Already in that stack: attaching again would make a loop. */
            PalMutexUnlock(&IopDatabaseLock);
            return STATUS_INVALID_PARAMETER;
        }
        if (Top->AttachedDevice == NULL)
            break;
        Top = Top->AttachedDevice;
    }
    if (SourceDevice->DeviceObjectExtension->AttachedTo != NULL ||
        (Top->DeviceObjectExtension->ExtensionFlags & (IOP_DOE_DELETE_PENDING | IOP_DOE_UNLOAD_PENDING))) {
        PalMutexUnlock(&IopDatabaseLock);
        return STATUS_NO_SUCH_DEVICE;
    }
    SourceDevice->StackSize = (CCHAR)(Top->StackSize + 1);
    SourceDevice->AlignmentRequirement = Top->AlignmentRequirement;
    SourceDevice->SectorSize = Top->SectorSize;
    /* Set before the attachment is visible: the point of the Safe variant. */
    *AttachedToDeviceObject = Top;
    SourceDevice->DeviceObjectExtension->AttachedTo = Top;
    Top->AttachedDevice = SourceDevice;
    PalMutexUnlock(&IopDatabaseLock);
    return STATUS_SUCCESS;
}

PDEVICE_OBJECT NTAPI IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT TargetDevice)
{
    PDEVICE_OBJECT AttachedTo;
    if (!NT_SUCCESS(IoAttachDeviceToDeviceStackSafe(SourceDevice, TargetDevice, &AttachedTo)))
        return NULL;
    return AttachedTo;
}

NTSTATUS NTAPI IoAttachDevice(PDEVICE_OBJECT SourceDevice, PUNICODE_STRING TargetDevice,
                              PDEVICE_OBJECT *AttachedDevice)
{
    PFILE_OBJECT FileObject;
    PDEVICE_OBJECT Target;
    NTSTATUS Status;

    /* Windows opens the target by name (the target's driver sees
       IRP_MJ_CREATE, IRP_MJ_CLEANUP and, when the file object goes,
       IRP_MJ_CLOSE) and attaches to the top of its stack. */
    *AttachedDevice = NULL;
    Status = IoGetDeviceObjectPointer(TargetDevice, FILE_READ_ATTRIBUTES, &FileObject, &Target);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = IoAttachDeviceToDeviceStackSafe(SourceDevice, Target, AttachedDevice);
    ObDereferenceObject(FileObject);
    return Status;
}

VOID NTAPI IoDetachDevice(PDEVICE_OBJECT TargetDevice)
{
    PVOID Caller = PAL_RETURN_ADDRESS();
    PDEVICE_OBJECT Upper;

    PalMutexLock(&IopDatabaseLock);
    Upper = IopIsDeviceObject(TargetDevice) ? TargetDevice->AttachedDevice : NULL;
    if (Upper != NULL) {
        Upper->DeviceObjectExtension->AttachedTo = NULL;
        TargetDevice->AttachedDevice = NULL;
    }
    PalMutexUnlock(&IopDatabaseLock);
    if (Upper == NULL) {
        /* Windows dereferences the missing upper device here (a crash
           without the verifier); the verifier names it 0x202. */
        VfBugCheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x202, (ULONG_PTR)Caller, 0, (ULONG_PTR)TargetDevice, NULL,
                   "IoDetachDevice was called on a device that has nothing attached to it: a double detach, or "
                   "a detach from the wrong device.",
                   "Pass IoDetachDevice the device IoAttachDeviceToDeviceStack returned (the one below yours), "
                   "once.");
    }
}
