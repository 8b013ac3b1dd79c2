/*
 * irpsim — IoBuildDeviceIoControlRequest, IoBuildSynchronousFsdRequest and
 * IoBuildAsynchronousFsdRequest (SEMANTICS.md 8).
 *
 * All three allocate IoAllocateIrp(DeviceObject->StackSize) IRPs (the
 * creator has no stack location of its own), fill the top location, set
 * Tail.Overlay.Thread to the calling thread and UserIosb, and record how the
 * IRP was built in the IRP state table, so IoFreeIrp, IoReuseIrp and
 * IoInitializeIrp can tell a built IRP from an IoAllocateIrp one. The two
 * synchronous builders also set UserEvent and put the IRP on the calling
 * thread's IRP list (a threaded IRP: the I/O manager frees it in stage 2
 * and thread exit cancels it). IRP_SYNCHRONOUS_API is left clear
 * (SEMANTICS Appendix B item 3), so an error completion that was not pended
 * signals nothing (3.7).
 *
 * Choices where the sources disagree or are silent:
 *   - IRQL. IoBuildDeviceIoControlRequest and IoBuildSynchronousFsdRequest:
 *     <= APC_LEVEL (the reference pages, and the DDI rule IrqlIoPassive1
 *     for IoBuildDeviceIoControlRequest; the header's PASSIVE_LEVEL is about
 *     waiting for the result, which is checked where the wait happens).
 *     IoBuildAsynchronousFsdRequest: <= DISPATCH_LEVEL (the header; it is
 *     meant for arbitrary context). Checked by the verifier (VfCheckIrql:
 *     0x121 DRIVER_VIOLATION).
 *   - A buffered or direct transfer of Length 0 gets no system buffer and
 *     no MDL (a zero-byte pool allocation is itself a verifier report).
 *   - Majors outside the documented list get the buffer set-up of the
 *     ReactOS list (everything but FLUSH_BUFFERS, SHUTDOWN, PNP and POWER)
 *     and no Length/ByteOffset, with a warning (8.6).
 *   - The system buffer is nonpaged pool tagged "IoSB", charged to the
 *     calling driver: it is that driver's request.
 */
#include "iop.h"
#include "../mm/mi.h"
#include "../trace/tracep.h"

#include <stdio.h>

#define IOP_SYSTEM_BUFFER_TAG 'BSoI' /* "IoSB" in a pool dump */

/* ---- checks ---- */

static VOID IopCheckBuildTarget(PDEVICE_OBJECT DeviceObject, PCSTR Routine, PVOID Site)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[320];
    if (DeviceObject != NULL && IopIsDeviceObject(DeviceObject))
        return;
    snprintf(Rule, sizeof(Rule),
             "%s was given %s instead of the device object the request is for; it reads its StackSize and Flags "
             "straight away.",
             Routine, DeviceObject == NULL ? "NULL" : "something that is not a live device object");
    VfBugCheck(IOP_KMODE_EXCEPTION_NOT_HANDLED, (ULONG_PTR)STATUS_ACCESS_VIOLATION, (ULONG_PTR)Site, 0,
               (ULONG_PTR)DeviceObject, NULL, Rule,
               "Pass the top of the target stack (IoGetAttachedDeviceReference, IoGetDeviceObjectPointer, or the "
               "device IoAttachDeviceToDeviceStack returned).");
}

/* The builders copy the caller's (kernel) buffer without a probe, as
   Windows does; a bad pointer faults in kernel mode. */
static VOID IopCheckSourceBuffer(PVOID Buffer, ULONG Length, PCSTR Routine, PVOID Site)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[320];
    ULONG_PTR Bad = 0;
    if (Length == 0 || NT_SUCCESS(MiCheckRange(Buffer, Length, KernelMode, FALSE, &Bad)))
        return;
    snprintf(Rule, sizeof(Rule),
             "%s copies %lu bytes from the caller's buffer at %p into the system buffer, but the address %p is "
             "not valid memory.",
             Routine, (unsigned long)Length, Buffer, (PVOID)Bad);
    VfBugCheck(IOP_KMODE_EXCEPTION_NOT_HANDLED, (ULONG_PTR)STATUS_ACCESS_VIOLATION, (ULONG_PTR)Site, 0, Bad, NULL,
               Rule,
               "Pass a kernel buffer of at least the length given (or NULL with length 0). The builders do not "
               "probe what they copy: the caller vouches for it.");
}

/* ---- buffers ---- */

static PVOID IopAllocateSystemBuffer(ULONG Length)
{
    return ExAllocatePoolWithTag(NonPagedPool, Length, IOP_SYSTEM_BUFFER_TAG);
}

/* MmProbeAndLockPages raises on a bad buffer; returns the exception code
   (the MDL is then not locked). */
static NTSTATUS IopProbeAndLock(PMDL Mdl, LOCK_OPERATION Operation)
{
    NTSTATUS Status = STATUS_SUCCESS;
    __try {
        MmProbeAndLockPages(Mdl, KernelMode, Operation);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        Status = GetExceptionCode();
    }
    return Status;
}

/* Undoes a half-built request: MDL (not locked), system buffer, IRP. */
static VOID IopDiscardBuiltIrp(PIRP Irp)
{
    IopFreeMdlChain(Irp);
    if ((Irp->Flags & IRP_DEALLOCATE_BUFFER) && Irp->AssociatedIrp.SystemBuffer != NULL)
        ExFreePoolWithTag(Irp->AssociatedIrp.SystemBuffer, IOP_SYSTEM_BUFFER_TAG);
    Irp->AssociatedIrp.SystemBuffer = NULL;
    IopFreeIrp(Irp);
}

/* Verifier 0xC9/0x08 (FSD builders: P3 the major function) or 0x09
   (IoBuildDeviceIoControlRequest: P3 the control code); P2 the device, P4
   the exception. Made after what was built is freed. */
static VOID IopReportInvalidBuffer(ULONG Subcode, PDEVICE_OBJECT DeviceObject, ULONG_PTR What, NTSTATUS Exception,
                                   PCSTR Routine, PVOID Buffer, ULONG Length)
{
    static IRPSIM_THREAD_LOCAL CHAR Rule[480];
    if (!VfRuleEnabled(IRPSIM_VERIFIER_IRP_STATE))
        return; /* Windows without Driver Verifier: just NULL */
    snprintf(Rule, sizeof(Rule),
             "%s could not lock the caller's buffer (%p, %lu bytes) for direct I/O: MmProbeAndLockPages raised "
             "0x%08X. Without the verifier the routine frees what it built and returns NULL; Driver Verifier "
             "stops here because the caller passed a buffer it cannot use.",
             Routine, Buffer, (unsigned long)Length, (unsigned)Exception);
    VfReport(DRIVER_VERIFIER_IOMANAGER_VIOLATION, Subcode, (ULONG_PTR)DeviceObject, What, (ULONG_PTR)Exception, NULL,
             Rule,
             "Pass a valid, resident buffer (nonpaged pool, or memory the caller probed and locked), and check the "
             "builder's result for NULL.");
}

/* ---- IoBuildAsynchronousFsdRequest and IoBuildSynchronousFsdRequest ---- */

static BOOLEAN IopIsDocumentedFsdMajor(ULONG Major)
{
    return Major == IRP_MJ_READ || Major == IRP_MJ_WRITE || Major == IRP_MJ_FLUSH_BUFFERS ||
           Major == IRP_MJ_SHUTDOWN || Major == IRP_MJ_PNP;
}

/* SEMANTICS 8.3. */
static PIRP IopBuildFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject, PVOID Buffer, ULONG Length,
                               PLARGE_INTEGER StartingOffset, PIO_STATUS_BLOCK IoStatusBlock,
                               IRPSIM_IRP_ORIGIN Origin, PCSTR Routine, PVOID Site)
{
    PIO_STACK_LOCATION Top;
    PIRP Irp;

    IopCheckBuildTarget(DeviceObject, Routine, Site);
    Irp = IopAllocateIrp(DeviceObject->StackSize, FALSE, Origin, Site);
    if (Irp == NULL)
        return NULL;
    Top = IoGetNextIrpStackLocation(Irp);
    Top->MajorFunction = (UCHAR)MajorFunction;

    if (!IopIsDocumentedFsdMajor(MajorFunction)) {
        DbgPrint("irpsim: %s was asked for major function 0x%lx, which it does not document; the IRP gets no "
                 "Length/ByteOffset parameters\n",
                 Routine, (unsigned long)MajorFunction);
        TRACE_TEXT(IrpSimTraceNote, Irp, MajorFunction, 0, "IoBuild*FsdRequest: undocumented major function");
    }

    if (MajorFunction != IRP_MJ_FLUSH_BUFFERS && MajorFunction != IRP_MJ_SHUTDOWN && MajorFunction != IRP_MJ_PNP &&
        MajorFunction != IRP_MJ_POWER && Length != 0) {
        if (DeviceObject->Flags & DO_BUFFERED_IO) {
            if (MajorFunction == IRP_MJ_WRITE)
                IopCheckSourceBuffer(Buffer, Length, Routine, Site);
            Irp->AssociatedIrp.SystemBuffer = IopAllocateSystemBuffer(Length);
            if (Irp->AssociatedIrp.SystemBuffer == NULL) {
                IopFreeIrp(Irp);
                return NULL;
            }
            if (MajorFunction == IRP_MJ_WRITE) {
                RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, Buffer, Length);
            } else {
                /* Stage 2 copies IoStatus.Information bytes back here. */
                Irp->Flags |= IRP_INPUT_OPERATION;
                Irp->UserBuffer = Buffer;
            }
            Irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
        } else if (DeviceObject->Flags & DO_DIRECT_IO) {
            /* A read fills the caller's pages: they are probed for writing. */
            LOCK_OPERATION Operation = MajorFunction == IRP_MJ_READ ? IoWriteAccess : IoReadAccess;
            NTSTATUS Status;
            if (IoAllocateMdl(Buffer, Length, FALSE, FALSE, Irp) == NULL) {
                IopFreeIrp(Irp);
                return NULL;
            }
            Status = IopProbeAndLock(Irp->MdlAddress, Operation);
            if (!NT_SUCCESS(Status)) {
                IopDiscardBuiltIrp(Irp);
                IopReportInvalidBuffer(0x08, DeviceObject, MajorFunction, Status, Routine, Buffer, Length);
                return NULL;
            }
        } else {
            Irp->UserBuffer = Buffer;
        }
    }

    if (MajorFunction == IRP_MJ_READ || MajorFunction == IRP_MJ_WRITE) {
        /* Parameters.Write has the same layout. */
        Top->Parameters.Read.Length = Length;
        if (StartingOffset != NULL)
            Top->Parameters.Read.ByteOffset = *StartingOffset;
    }
    Irp->UserIosb = IoStatusBlock;
    /* No reference is taken on the thread, as on Windows. */
    Irp->Tail.Overlay.Thread = PsGetCurrentThread();
    return Irp;
}

PIRP NTAPI IoBuildAsynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject, PVOID Buffer,
                                         ULONG Length, PLARGE_INTEGER StartingOffset,
                                         PIO_STATUS_BLOCK IoStatusBlock)
{
    PVOID Site = PAL_RETURN_ADDRESS();
    VfCheckIrql("IoBuildAsynchronousFsdRequest", DISPATCH_LEVEL);
    /* Not on the thread's list and no event: the creator's completion
       routine frees it (8.4). */
    return IopBuildFsdRequest(MajorFunction, DeviceObject, Buffer, Length, StartingOffset, IoStatusBlock,
                              IrpSimIrpOriginIoBuildAsynchronousFsdRequest, "IoBuildAsynchronousFsdRequest", Site);
}

PIRP NTAPI IoBuildSynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject, PVOID Buffer,
                                        ULONG Length, PLARGE_INTEGER StartingOffset, PKEVENT Event,
                                        PIO_STATUS_BLOCK IoStatusBlock)
{
    PVOID Site = PAL_RETURN_ADDRESS();
    PIRP Irp;

    VfCheckIrql("IoBuildSynchronousFsdRequest", APC_LEVEL);
    Irp = IopBuildFsdRequest(MajorFunction, DeviceObject, Buffer, Length, StartingOffset, IoStatusBlock,
                             IrpSimIrpOriginIoBuildSynchronousFsdRequest, "IoBuildSynchronousFsdRequest", Site);
    if (Irp == NULL)
        return NULL;
    Irp->UserEvent = Event;
    IopQueueThreadIrp(Irp, PsGetCurrentThread());
    return Irp;
}

/* ---- IoBuildDeviceIoControlRequest (8.1) ---- */

PIRP NTAPI IoBuildDeviceIoControlRequest(ULONG IoControlCode, PDEVICE_OBJECT DeviceObject, PVOID InputBuffer,
                                         ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength,
                                         BOOLEAN InternalDeviceIoControl, PKEVENT Event,
                                         PIO_STATUS_BLOCK IoStatusBlock)
{
    static const CHAR Routine[] = "IoBuildDeviceIoControlRequest";
    PVOID Site = PAL_RETURN_ADDRESS();
    PIO_STACK_LOCATION Top;
    PIRP Irp;

    VfCheckIrql("IoBuildDeviceIoControlRequest", APC_LEVEL);
    IopCheckBuildTarget(DeviceObject, Routine, Site);
    Irp = IopAllocateIrp(DeviceObject->StackSize, FALSE, IrpSimIrpOriginIoBuildDeviceIoControlRequest, Site);
    if (Irp == NULL)
        return NULL;
    Top = IoGetNextIrpStackLocation(Irp);
    Top->MajorFunction = InternalDeviceIoControl ? IRP_MJ_INTERNAL_DEVICE_CONTROL : IRP_MJ_DEVICE_CONTROL;
    Top->Parameters.DeviceIoControl.OutputBufferLength = OutputBufferLength;
    Top->Parameters.DeviceIoControl.InputBufferLength = InputBufferLength;
    Top->Parameters.DeviceIoControl.IoControlCode = IoControlCode;

    switch (METHOD_FROM_CTL_CODE(IoControlCode)) {
    case METHOD_BUFFERED: {
        ULONG Length = InputBufferLength > OutputBufferLength ? InputBufferLength : OutputBufferLength;
        if (Length == 0)
            break; /* no system buffer, no flags, no UserBuffer */
        if (InputBuffer != NULL)
            IopCheckSourceBuffer(InputBuffer, InputBufferLength, Routine, Site);
        Irp->AssociatedIrp.SystemBuffer = IopAllocateSystemBuffer(Length);
        if (Irp->AssociatedIrp.SystemBuffer == NULL) {
            IopFreeIrp(Irp);
            return NULL;
        }
        if (InputBuffer != NULL)
            RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, InputBuffer, InputBufferLength);
        Irp->Flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
        /* Stage 2 copies IoStatus.Information bytes back to OutputBuffer. */
        if (OutputBuffer != NULL)
            Irp->Flags |= IRP_INPUT_OPERATION;
        Irp->UserBuffer = OutputBuffer;
        break;
    }
    case METHOD_IN_DIRECT:
    case METHOD_OUT_DIRECT:
        if (InputBuffer != NULL && InputBufferLength != 0) {
            IopCheckSourceBuffer(InputBuffer, InputBufferLength, Routine, Site);
            Irp->AssociatedIrp.SystemBuffer = IopAllocateSystemBuffer(InputBufferLength);
            if (Irp->AssociatedIrp.SystemBuffer == NULL) {
                IopFreeIrp(Irp);
                return NULL;
            }
            RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, InputBuffer, InputBufferLength);
            Irp->Flags = IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
        }
        if (OutputBuffer != NULL && OutputBufferLength != 0) {
            /* IN_DIRECT: the device reads the "output" buffer; OUT_DIRECT:
               it writes it. */
            LOCK_OPERATION Operation =
                METHOD_FROM_CTL_CODE(IoControlCode) == METHOD_IN_DIRECT ? IoReadAccess : IoWriteAccess;
            NTSTATUS Status;
            if (IoAllocateMdl(OutputBuffer, OutputBufferLength, FALSE, FALSE, Irp) == NULL) {
                IopDiscardBuiltIrp(Irp);
                return NULL;
            }
            Status = IopProbeAndLock(Irp->MdlAddress, Operation);
            if (!NT_SUCCESS(Status)) {
                IopDiscardBuiltIrp(Irp);
                IopReportInvalidBuffer(0x09, DeviceObject, IoControlCode, Status, Routine, OutputBuffer,
                                       OutputBufferLength);
                return NULL;
            }
        }
        break;
    case METHOD_NEITHER:
    default:
        Irp->UserBuffer = OutputBuffer;
        Top->Parameters.DeviceIoControl.Type3InputBuffer = InputBuffer;
        break;
    }

    Irp->UserIosb = IoStatusBlock;
    Irp->UserEvent = Event;
    /* Threaded: queued to this thread (Tail.Overlay.Thread is set there). */
    IopQueueThreadIrp(Irp, PsGetCurrentThread());
    return Irp;
}
