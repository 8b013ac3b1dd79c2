/*
 * irpsim — IoSetCompletionRoutineEx: IoSetCompletionRoutine plus a
 * reference on the driver, released when the routine has run, so the
 * driver cannot go away while its routine is outstanding.
 *
 * The wrapper is registered with all three invoke flags, because the
 * reference must be released whatever the outcome: when the caller's own
 * flags do not match, the wrapper does what the I/O manager would have done
 * for an uncalled routine (propagate the pending bit) and continues.
 */
#include "iop.h"

typedef struct _IOP_COMPLETION_EX {
    PIO_COMPLETION_ROUTINE Routine;
    PVOID Context;
    PDRIVER_OBJECT Driver;
    BOOLEAN OnSuccess;
    BOOLEAN OnError;
    BOOLEAN OnCancel;
} IOP_COMPLETION_EX, *PIOP_COMPLETION_EX;

#define IOP_COMPLETION_EX_TAG 0x78456f49u /* "IoEx" */

static NTSTATUS NTAPI IopCompletionExWrapper(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PIOP_COMPLETION_EX Block = (PIOP_COMPLETION_EX)Context;
    NTSTATUS Status = Irp->IoStatus.Status;
    BOOLEAN Call = (NT_SUCCESS(Status) && Block->OnSuccess) || (!NT_SUCCESS(Status) && Block->OnError) ||
                   (Irp->Cancel && Block->OnCancel);
    PDRIVER_OBJECT Driver = Block->Driver;
    NTSTATUS Result;

    if (Call) {
        Result = Block->Routine(DeviceObject, Irp, Block->Context);
    } else {
        if (Irp->PendingReturned && Irp->CurrentLocation <= Irp->StackCount)
            IoMarkIrpPending(Irp);
        Result = STATUS_CONTINUE_COMPLETION;
    }
    ExFreePoolWithTag(Block, IOP_COMPLETION_EX_TAG);
    ObDereferenceObject(Driver);
    return Result;
}

NTSTATUS NTAPI IoSetCompletionRoutineEx(PDEVICE_OBJECT DeviceObject, PIRP Irp,
                                        PIO_COMPLETION_ROUTINE CompletionRoutine, PVOID Context,
                                        BOOLEAN InvokeOnSuccess, BOOLEAN InvokeOnError, BOOLEAN InvokeOnCancel)
{
    PKTHREAD Thread = KiGetCurrentThread();
    PIOP_COMPLETION_EX Block;
    PDRIVER_OBJECT Saved;

    /* The I/O manager's memory, not the driver's pool. */
    Saved = KiEnterDriver(Thread, NULL);
    Block = (PIOP_COMPLETION_EX)ExAllocatePoolWithTag(NonPagedPool, sizeof(*Block), IOP_COMPLETION_EX_TAG);
    KiLeaveDriver(Thread, Saved);
    if (Block == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    Block->Routine = CompletionRoutine;
    Block->Context = Context;
    Block->Driver = DeviceObject->DriverObject;
    Block->OnSuccess = InvokeOnSuccess;
    Block->OnError = InvokeOnError;
    Block->OnCancel = InvokeOnCancel;
    ObReferenceObject(Block->Driver);
    IoSetCompletionRoutine(Irp, IopCompletionExWrapper, Block, TRUE, TRUE, TRUE);
    return STATUS_SUCCESS;
}
