/*
 * irpsim — NtReadFile / NtWriteFile and their Zw forms: IRP_MJ_READ and
 * IRP_MJ_WRITE from a handle (SEMANTICS A.4).
 *
 * The handle must grant FILE_READ_DATA (read) or FILE_WRITE_DATA /
 * FILE_APPEND_DATA (write): STATUS_ACCESS_DENIED. A UserMode caller's
 * buffer must be writable (read) or readable (write) for its whole length:
 * STATUS_ACCESS_VIOLATION. (Windows probes a write buffer only for its
 * range and faults later, when the I/O manager copies or locks it; for a
 * device with neither buffered nor direct I/O it would hand the driver a
 * bad pointer. irpsim refuses it up front in every case.)
 *
 * Byte offset: a synchronous file object uses its current position when
 * ByteOffset is NULL or FILE_USE_FILE_POINTER_POSITION, and the position
 * moves on by IoStatus.Information when the request succeeds (a file
 * system does this on Windows; for a device irpsim's I/O manager does it).
 * An asynchronous file object needs an explicit offset:
 * STATUS_INVALID_PARAMETER without one (ReadFile on an overlapped handle
 * without an OVERLAPPED gets ERROR_INVALID_PARAMETER). Negative offsets
 * are refused, except FILE_WRITE_TO_END_OF_FILE for a write.
 *
 * Buffering follows the target device's flags: DO_BUFFERED_IO (system
 * buffer; a read's data is copied back by stage 2 unless the status is an
 * error, a write's copied in now), DO_DIRECT_IO (an MDL locked for write
 * access for a read, read access for a write), else neither (UserBuffer is
 * the caller's buffer). IRP_READ_OPERATION / IRP_WRITE_OPERATION are set.
 */
#include "ump.h"

static NTSTATUS UmpReadWrite(UCHAR Major, HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine,
                             PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
                             PLARGE_INTEGER ByteOffset, PULONG Key)
{
    KPROCESSOR_MODE Mode = ExGetPreviousMode();
    BOOLEAN Read = Major == IRP_MJ_READ;
    PIO_STACK_LOCATION Slot;
    LARGE_INTEGER Offset;
    UMP_REQUEST Request;
    NTSTATUS Status;
    PIRP Irp;

    if (IoStatusBlock == NULL)
        return Mode == UserMode ? STATUS_ACCESS_VIOLATION : STATUS_INVALID_PARAMETER;
    if (!NT_SUCCESS(UmpProbe(Mode, IoStatusBlock, sizeof(*IoStatusBlock), TRUE)) ||
        !NT_SUCCESS(UmpProbe(Mode, Buffer, Length, Read)) ||
        !NT_SUCCESS(UmpProbe(Mode, ByteOffset, ByteOffset != NULL ? sizeof(*ByteOffset) : 0, FALSE)) ||
        !NT_SUCCESS(UmpProbe(Mode, Key, Key != NULL ? sizeof(*Key) : 0, FALSE)))
        return STATUS_ACCESS_VIOLATION;

    Status = UmpBeginRequest(&Request, Mode, FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock,
                             Read ? FILE_READ_DATA : 0, Read ? 0 : FILE_WRITE_DATA | FILE_APPEND_DATA);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Request.Synchronous && (ByteOffset == NULL || (ByteOffset->LowPart == FILE_USE_FILE_POINTER_POSITION &&
                                                       ByteOffset->HighPart == -1))) {
        Offset = Request.FileObject->CurrentByteOffset;
    } else if (ByteOffset == NULL) {
        UmpAbortRequest(&Request);
        return STATUS_INVALID_PARAMETER;
    } else {
        Offset = *ByteOffset;
    }
    if (Offset.HighPart < 0 &&
        (Read || Offset.HighPart != -1 || Offset.LowPart != FILE_WRITE_TO_END_OF_FILE)) {
        UmpAbortRequest(&Request);
        return STATUS_INVALID_PARAMETER;
    }

    Irp = UmpAllocateRequestIrp(&Request, Major);
    if (Irp == NULL) {
        UmpAbortRequest(&Request);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Slot = IoGetNextIrpStackLocation(Irp);
    Slot->Parameters.Read.Length = Length;
    Slot->Parameters.Read.Key = Key != NULL ? *Key : 0;
    Slot->Parameters.Read.ByteOffset = Offset;
    Irp->UserBuffer = Buffer;
    Irp->Flags = Read ? IRP_READ_OPERATION : IRP_WRITE_OPERATION;
    if (Request.Device->Flags & DO_BUFFERED_IO) {
        if (Length != 0) {
            Irp->AssociatedIrp.SystemBuffer = UmpAllocateSystemBuffer(Length);
            if (Irp->AssociatedIrp.SystemBuffer == NULL) {
                Status = STATUS_INSUFFICIENT_RESOURCES;
            } else {
                Irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
                if (Read)
                    Irp->Flags |= IRP_INPUT_OPERATION;
                else
                    memcpy(Irp->AssociatedIrp.SystemBuffer, Buffer, Length);
            }
        }
    } else if (Request.Device->Flags & DO_DIRECT_IO) {
        if (Length != 0)
            Status = UmpLockBuffer(&Request, Irp, Buffer, Length, Read ? IoWriteAccess : IoReadAccess);
    }
    if (!NT_SUCCESS(Status)) {
        UmpFreeUnsentIrp(Irp);
        UmpAbortRequest(&Request);
        return Status;
    }

    Status = UmpSendRequest(&Request, Irp);
    if (Request.Synchronous && NT_SUCCESS(Status))
        Request.FileObject->CurrentByteOffset.QuadPart = Offset.QuadPart + (LONGLONG)IoStatusBlock->Information;
    UmpEndRequest(&Request);
    return Status;
}

NTSTATUS NTAPI NtReadFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                          PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset,
                          PULONG Key)
{
    return UmpReadWrite(IRP_MJ_READ, FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length,
                        ByteOffset, Key);
}

NTSTATUS NTAPI NtWriteFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                           PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset,
                           PULONG Key)
{
    return UmpReadWrite(IRP_MJ_WRITE, FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length,
                        ByteOffset, Key);
}

NTSTATUS NTAPI ZwReadFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                          PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset,
                          PULONG Key)
{
    KPROCESSOR_MODE Old = UmpSetPreviousMode(KernelMode);
    NTSTATUS Status = NtReadFile(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length, ByteOffset,
                                 Key);
    (void)UmpSetPreviousMode(Old);
    return Status;
}

NTSTATUS NTAPI ZwWriteFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                           PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length, PLARGE_INTEGER ByteOffset,
                           PULONG Key)
{
    KPROCESSOR_MODE Old = UmpSetPreviousMode(KernelMode);
    NTSTATUS Status = NtWriteFile(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length,
                                  ByteOffset, Key);
    (void)UmpSetPreviousMode(Old);
    return Status;
}
