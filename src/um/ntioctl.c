/*
 * irpsim — NtDeviceIoControlFile / ZwDeviceIoControlFile (SEMANTICS A.2,
 * 8.1, 11.4): IRP_MJ_DEVICE_CONTROL from a handle.
 *
 * For a UserMode caller, first the probes (before the handle is even
 * looked at, as on Windows): a NULL buffer counts as no buffer (its length
 * is taken as 0, which is what the driver sees); any other buffer must be
 * readable (input) or writable (METHOD_BUFFERED output), else the call
 * fails with STATUS_ACCESS_VIOLATION without reaching the driver. Then the
 * IOCTL's required access bits (FILE_READ_ACCESS -> FILE_READ_DATA,
 * FILE_WRITE_ACCESS -> FILE_WRITE_DATA) are checked against the handle's
 * granted access: STATUS_ACCESS_DENIED.
 *
 * Buffers by transfer type:
 *   METHOD_BUFFERED: one system buffer of max(in, out) bytes, the input
 *     copied in and the rest zeroed (as current Windows does);
 *     IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER, plus IRP_INPUT_OPERATION
 *     when there is output; UserBuffer = the output buffer. Stage 2 copies
 *     IoStatus.Information bytes back unless the status is an error.
 *   METHOD_IN_DIRECT / METHOD_OUT_DIRECT: the input in a system buffer;
 *     the output (any non-zero length) described by an MDL probed and
 *     locked with the caller's mode for read (IN_DIRECT) or write
 *     (OUT_DIRECT) access: a NULL output with a length fails the probe.
 *   METHOD_NEITHER: Type3InputBuffer and UserBuffer are the caller's
 *     pointers, unprobed (the driver must probe them).
 * The top stack location's Flags carry SL_READ_ACCESS_GRANTED /
 * SL_WRITE_ACCESS_GRANTED for the handle's access, as Windows sets them.
 */
#include "ump.h"

/* FILE_READ_ACCESS / FILE_WRITE_ACCESS in an IOCTL code as access rights. */
static ACCESS_MASK UmpIoctlRequiredAccess(ULONG IoControlCode)
{
    ULONG Access = ACCESS_FROM_CTL_CODE(IoControlCode);
    return ((Access & FILE_READ_ACCESS) ? FILE_READ_DATA : 0) | ((Access & FILE_WRITE_ACCESS) ? FILE_WRITE_DATA : 0);
}

NTSTATUS NTAPI NtDeviceIoControlFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                                     PIO_STATUS_BLOCK IoStatusBlock, ULONG IoControlCode, PVOID InputBuffer,
                                     ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength)
{
    KPROCESSOR_MODE Mode = ExGetPreviousMode();
    ULONG Method = METHOD_FROM_CTL_CODE(IoControlCode);
    PIO_STACK_LOCATION Slot;
    UMP_REQUEST Request;
    NTSTATUS Status;
    PIRP Irp;

    if (Mode == UserMode) {
        if (IoStatusBlock == NULL || !NT_SUCCESS(UmpProbe(Mode, IoStatusBlock, sizeof(*IoStatusBlock), TRUE)))
            return STATUS_ACCESS_VIOLATION;
        if (Method == METHOD_BUFFERED) {
            if (OutputBuffer == NULL)
                OutputBufferLength = 0;
            else if (!NT_SUCCESS(UmpProbe(Mode, OutputBuffer, OutputBufferLength, TRUE)))
                return STATUS_ACCESS_VIOLATION;
        }
        if (Method != METHOD_NEITHER) {
            if (InputBuffer == NULL)
                InputBufferLength = 0;
            else if (!NT_SUCCESS(UmpProbe(Mode, InputBuffer, InputBufferLength, FALSE)))
                return STATUS_ACCESS_VIOLATION;
        }
    } else if (IoStatusBlock == NULL) {
        return STATUS_INVALID_PARAMETER;
    }

    Status = UmpBeginRequest(&Request, Mode, FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock,
                             UmpIoctlRequiredAccess(IoControlCode), 0);
    if (!NT_SUCCESS(Status))
        return Status;
    Irp = UmpAllocateRequestIrp(&Request, IRP_MJ_DEVICE_CONTROL);
    if (Irp == NULL) {
        UmpAbortRequest(&Request);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Slot = IoGetNextIrpStackLocation(Irp);
    Slot->Parameters.DeviceIoControl.IoControlCode = IoControlCode;
    Slot->Parameters.DeviceIoControl.InputBufferLength = InputBufferLength;
    Slot->Parameters.DeviceIoControl.OutputBufferLength = OutputBufferLength;
    Slot->Flags |= (Request.GrantedAccess & FILE_READ_DATA) ? SL_READ_ACCESS_GRANTED : 0;
    Slot->Flags |= (Request.GrantedAccess & FILE_WRITE_DATA) ? SL_WRITE_ACCESS_GRANTED : 0;

    switch (Method) {
    case METHOD_BUFFERED: {
        ULONG Length = InputBufferLength > OutputBufferLength ? InputBufferLength : OutputBufferLength;
        if (Length == 0)
            break;
        Irp->AssociatedIrp.SystemBuffer = UmpAllocateSystemBuffer(Length);
        if (Irp->AssociatedIrp.SystemBuffer == NULL) {
            Status = STATUS_INSUFFICIENT_RESOURCES;
            break;
        }
        if (InputBuffer != NULL && InputBufferLength != 0)
            memcpy(Irp->AssociatedIrp.SystemBuffer, InputBuffer, InputBufferLength);
        else
            InputBufferLength = 0;
        memset((PUCHAR)Irp->AssociatedIrp.SystemBuffer + InputBufferLength, 0, Length - InputBufferLength);
        Irp->Flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | (OutputBufferLength != 0 ? IRP_INPUT_OPERATION : 0);
        Irp->UserBuffer = OutputBuffer;
        break;
    }
    case METHOD_IN_DIRECT:
    case METHOD_OUT_DIRECT:
        if (InputBuffer != NULL && InputBufferLength != 0) {
            Irp->AssociatedIrp.SystemBuffer = UmpAllocateSystemBuffer(InputBufferLength);
            if (Irp->AssociatedIrp.SystemBuffer == NULL) {
                Status = STATUS_INSUFFICIENT_RESOURCES;
                break;
            }
            memcpy(Irp->AssociatedIrp.SystemBuffer, InputBuffer, InputBufferLength);
            Irp->Flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
        }
        if (OutputBufferLength != 0)
            Status = UmpLockBuffer(&Request, Irp, OutputBuffer, OutputBufferLength,
                                   Method == METHOD_IN_DIRECT ? IoReadAccess : IoWriteAccess);
        break;
    default:
        Slot->Parameters.DeviceIoControl.Type3InputBuffer = InputBuffer;
        Irp->UserBuffer = OutputBuffer;
        break;
    }
    if (!NT_SUCCESS(Status)) {
        UmpFreeUnsentIrp(Irp);
        UmpAbortRequest(&Request);
        return Status;
    }
    Status = UmpSendRequest(&Request, Irp);
    UmpEndRequest(&Request);
    return Status;
}

NTSTATUS NTAPI ZwDeviceIoControlFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                                     PIO_STATUS_BLOCK IoStatusBlock, ULONG IoControlCode, PVOID InputBuffer,
                                     ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength)
{
    KPROCESSOR_MODE Old = UmpSetPreviousMode(KernelMode);
    NTSTATUS Status = NtDeviceIoControlFile(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, IoControlCode,
                                            InputBuffer, InputBufferLength, OutputBuffer, OutputBufferLength);
    (void)UmpSetPreviousMode(Old);
    return Status;
}
