/*
 * Rolling your own IRPs (see roll.h), written as a WDK driver.
 */
#include "roll.h"

/* The private pool: IRPs the driver allocated once, in its own memory. */
static struct {
    KSPIN_LOCK Lock;
    PIRP Irps[ROLL_POOL_IRPS];
    BOOLEAN InUse[ROLL_POOL_IRPS];
} RollPool;

/* ---- allocation ---- */

/* An IRP in the driver's own nonpaged memory. IoAllocateIrp's IRPs must
   never be passed to IoInitializeIrp; this memory must be. */
static PIRP RollAllocateIrp(CCHAR StackSize)
{
    USHORT IrpSize = IoSizeOfIrp(StackSize);
    PIRP Irp = (PIRP)ExAllocatePoolWithTag(NonPagedPool, IrpSize, ROLL_IRP_TAG);
    if (Irp == NULL)
        return NULL;
    IoInitializeIrp(Irp, IrpSize, StackSize);
    return Irp;
}

static PIRP RollPoolTake(VOID)
{
    PIRP Irp = NULL;
    KIRQL OldIrql;
    KeAcquireSpinLock(&RollPool.Lock, &OldIrql);
    for (ULONG i = 0; i < ROLL_POOL_IRPS; i++) {
        if (RollPool.Irps[i] != NULL && !RollPool.InUse[i]) {
            RollPool.InUse[i] = TRUE;
            Irp = RollPool.Irps[i];
            break;
        }
    }
    KeReleaseSpinLock(&RollPool.Lock, OldIrql);
    return Irp;
}

static VOID RollPoolGive(PIRP Irp)
{
    KIRQL OldIrql;
    KeAcquireSpinLock(&RollPool.Lock, &OldIrql);
    for (ULONG i = 0; i < ROLL_POOL_IRPS; i++) {
        if (RollPool.Irps[i] == Irp)
            RollPool.InUse[i] = FALSE;
    }
    KeReleaseSpinLock(&RollPool.Lock, OldIrql);
}

ULONG RollPoolFree(VOID)
{
    ULONG Free = 0;
    KIRQL OldIrql;
    KeAcquireSpinLock(&RollPool.Lock, &OldIrql);
    for (ULONG i = 0; i < ROLL_POOL_IRPS; i++)
        Free += RollPool.Irps[i] != NULL && !RollPool.InUse[i];
    KeReleaseSpinLock(&RollPool.Lock, OldIrql);
    return Free;
}

PIRP RollPoolIrp(ULONG Index)
{
    return Index < ROLL_POOL_IRPS ? RollPool.Irps[Index] : NULL;
}

/* ---- building ---- */

/* Describes the request in the first location the target will use, and the
   buffer the way the target's DO_* flags ask for it. IoCallDriver sets the
   location's DeviceObject. */
static NTSTATUS RollBuild(PDEVICE_OBJECT Target, PIRP Irp, PROLL_REQUEST Request)
{
    PIO_STACK_LOCATION Next = IoGetNextIrpStackLocation(Irp);
    BOOLEAN Read = Request->MajorFunction == IRP_MJ_READ;
    PVOID SystemBuffer;
    PMDL Mdl;

    Irp->RequestorMode = KernelMode; /* the buffers are ours: nothing to probe */
    Next->MajorFunction = Request->MajorFunction;
    Next->MinorFunction = 0;
    Next->Flags = 0;
    if (Read) {
        Next->Parameters.Read.Length = Request->Length;
        Next->Parameters.Read.ByteOffset.QuadPart = 0;
        Irp->Flags = IRP_READ_OPERATION;
    } else {
        Next->Parameters.Write.Length = Request->Length;
        Next->Parameters.Write.ByteOffset.QuadPart = 0;
        Irp->Flags = IRP_WRITE_OPERATION;
    }

    if (Target->Flags & DO_BUFFERED_IO) {
        /* A system buffer of our own. Not IRP_DEALLOCATE_BUFFER: the I/O
           manager's stage 2 never runs for this IRP, we free it. */
        SystemBuffer = ExAllocatePoolWithTag(NonPagedPool, Request->Length, ROLL_BUFFER_TAG);
        if (SystemBuffer == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        if (!Read)
            RtlCopyMemory(SystemBuffer, Request->Buffer, Request->Length);
        Irp->AssociatedIrp.SystemBuffer = SystemBuffer;
        Irp->Flags |= IRP_BUFFERED_IO | (Read ? IRP_INPUT_OPERATION : 0);
    } else if (Target->Flags & DO_DIRECT_IO) {
        /* The caller's buffer is nonpaged: an MDL describes it without
           probing and locking. */
        Mdl = IoAllocateMdl(Request->Buffer, Request->Length, FALSE, FALSE, NULL);
        if (Mdl == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        MmBuildMdlForNonPagedPool(Mdl);
        Irp->MdlAddress = Mdl;
    } else {
        Irp->UserBuffer = Request->Buffer;
    }
    return STATUS_SUCCESS;
}

/* Undoes RollBuild's buffers (IoFreeIrp and IoReuseIrp free neither). */
static VOID RollReleaseBuffers(PIRP Irp, PROLL_REQUEST Request)
{
    PVOID SystemBuffer = Irp->AssociatedIrp.SystemBuffer;
    if (SystemBuffer != NULL && (Irp->Flags & IRP_BUFFERED_IO)) {
        if (Request->MajorFunction == IRP_MJ_READ && NT_SUCCESS(Irp->IoStatus.Status)) {
            ULONG_PTR Copy = Irp->IoStatus.Information;
            RtlCopyMemory(Request->Buffer, SystemBuffer, Copy < Request->Length ? Copy : Request->Length);
        }
        ExFreePoolWithTag(SystemBuffer, ROLL_BUFFER_TAG);
        Irp->AssociatedIrp.SystemBuffer = NULL;
    }
    if (Irp->MdlAddress != NULL) {
        IoFreeMdl(Irp->MdlAddress); /* built, not locked: nothing to unlock */
        Irp->MdlAddress = NULL;
    }
}

/* Gives the IRP back the way it was made. */
static VOID RollRelease(PIRP Irp, ROLL_SOURCE Source)
{
    switch (Source) {
    case RollFromIoAllocateIrp:
        IoFreeIrp(Irp);
        break;
    case RollFromOwnMemory:
        ExFreePoolWithTag(Irp, ROLL_IRP_TAG);
        break;
    default:
        /* Ready for the next request: clean as IoInitializeIrp left it. */
        IoReuseIrp(Irp, STATUS_SUCCESS);
        RollPoolGive(Irp);
        break;
    }
}

static VOID RollRecord(PDEVICE_OBJECT DeviceObject, PIRP Irp, PROLL_REQUEST Request)
{
    Request->RoutineDevice = DeviceObject;
    Request->RoutineIrql = KeGetCurrentIrql();
    Request->RoutineLocation = Irp->CurrentLocation;
    Request->Status = Irp->IoStatus.Status;
    Request->Information = Irp->IoStatus.Information;
    Request->PendingReturned = Irp->PendingReturned;
}

/* ---- completion ---- */

/*
 * The creator's completion routine. The IRP has exactly the stack locations
 * the target needs (or more, from the pool), none of them the creator's:
 * the routine sits in the target's location, and is called after the
 * target's part with DeviceObject NULL. It may run at DISPATCH_LEVEL (the
 * target completed from a DPC). Returning STATUS_MORE_PROCESSING_REQUIRED
 * stops the I/O manager: the IRP is ours again, to free or to reuse.
 */
static NTSTATUS RollCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PROLL_REQUEST Request = (PROLL_REQUEST)Context;
    RollRecord(DeviceObject, Irp, Request);
    RollReleaseBuffers(Irp, Request);
    RollRelease(Irp, Request->Source);
    KeSetEvent(&Request->Done, IO_NO_INCREMENT, FALSE); /* Request may be gone after this */
    return STATUS_MORE_PROCESSING_REQUIRED;
}

NTSTATUS RollSend(PDEVICE_OBJECT Target, PROLL_REQUEST Request)
{
    NTSTATUS Status;
    PIRP Irp;

    switch (Request->Source) {
    case RollFromIoAllocateIrp:
        Irp = IoAllocateIrp(Target->StackSize, FALSE);
        break;
    case RollFromOwnMemory:
        Irp = RollAllocateIrp(Target->StackSize);
        break;
    default:
        if (Target->StackSize > ROLL_POOL_STACK_SIZE)
            return STATUS_INVALID_DEVICE_REQUEST;
        Irp = RollPoolTake();
        break;
    }
    if (Irp == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    Request->Irp = Irp;

    Status = RollBuild(Target, Irp, Request);
    if (!NT_SUCCESS(Status)) {
        RollReleaseBuffers(Irp, Request);
        RollRelease(Irp, Request->Source);
        return Status;
    }
    IoSetCompletionRoutine(Irp, RollCompletion, Request, TRUE, TRUE, TRUE);
    (void)IoCallDriver(Target, Irp); /* the routine reports, whatever this returns */
    return STATUS_PENDING;
}

/* ---- the two rules, broken ---- */

static NTSTATUS RollCompletionContinues(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    PROLL_REQUEST Request = (PROLL_REQUEST)Context;
    RollRecord(DeviceObject, Irp, Request);
    RollReleaseBuffers(Irp, Request);
    KeSetEvent(&Request->Done, IO_NO_INCREMENT, FALSE);
    /* WRONG: the I/O manager goes on to finish an IRP that has no thread. */
    return STATUS_CONTINUE_COMPLETION;
}

NTSTATUS RollSendForgettingMoreProcessing(PDEVICE_OBJECT Target, PROLL_REQUEST Request)
{
    NTSTATUS Status;
    PIRP Irp = IoAllocateIrp(Target->StackSize, FALSE);
    if (Irp == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    Request->Source = RollFromIoAllocateIrp;
    Request->Irp = Irp;
    Status = RollBuild(Target, Irp, Request);
    if (!NT_SUCCESS(Status)) {
        RollReleaseBuffers(Irp, Request);
        IoFreeIrp(Irp);
        return Status;
    }
    IoSetCompletionRoutine(Irp, RollCompletionContinues, Request, TRUE, TRUE, TRUE);
    (void)IoCallDriver(Target, Irp);
    return STATUS_PENDING;
}

static NTSTATUS RollFreeInCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Context);
    /* WRONG: the IRP is on its thread's IRP list; only the I/O manager's
       stage 2 takes it off and frees it. */
    IoFreeIrp(Irp);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

NTSTATUS RollFreeThreadedIrpInCompletion(PDEVICE_OBJECT Target, PVOID Buffer, ULONG Length, PKEVENT Event,
                                         PIO_STATUS_BLOCK IoStatus, PIRP *IrpOut)
{
    LARGE_INTEGER Offset;
    PIRP Irp;
    Offset.QuadPart = 0;
    Irp = IoBuildSynchronousFsdRequest(IRP_MJ_WRITE, Target, Buffer, Length, &Offset, Event, IoStatus);
    *IrpOut = Irp;
    if (Irp == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    IoSetCompletionRoutine(Irp, RollFreeInCompletion, NULL, TRUE, TRUE, TRUE);
    return IoCallDriver(Target, Irp);
}

/* ---- the driver ---- */

static VOID RollUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    for (ULONG i = 0; i < ROLL_POOL_IRPS; i++) {
        if (RollPool.Irps[i] != NULL) {
            ExFreePoolWithTag(RollPool.Irps[i], ROLL_IRP_TAG);
            RollPool.Irps[i] = NULL;
        }
    }
}

/* Fills the pool once: no allocation per request afterwards. */
NTSTATUS RollDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    KeInitializeSpinLock(&RollPool.Lock);
    for (ULONG i = 0; i < ROLL_POOL_IRPS; i++) {
        RollPool.InUse[i] = FALSE;
        RollPool.Irps[i] = RollAllocateIrp(ROLL_POOL_STACK_SIZE);
        if (RollPool.Irps[i] == NULL) {
            RollUnload(DriverObject);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
    }
    DriverObject->DriverUnload = RollUnload;
    return STATUS_SUCCESS;
}
