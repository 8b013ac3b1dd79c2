/*
 * Building requests (SEMANTICS.md 8): IoBuildDeviceIoControlRequest with
 * each transfer type, IoBuildSynchronousFsdRequest and
 * IoBuildAsynchronousFsdRequest for buffered, direct and neither devices,
 * buffer probe failures, the threaded / not threaded split, the IRQL rules,
 * and what may not be done with a built IRP (IoFreeIrp, IoReuseIrp,
 * IoInitializeIrp).
 */
#include "iobuild_test.h"

static PDRIVER_OBJECT Lower;

static int SetupVerifier(void **State)
{
    (void)State;
    if (IoBuildStart(TRUE, IrpSimClockReal, FALSE) != 0)
        return -1;
    Lower = LowerLoad();
    return Lower != NULL ? 0 : -1;
}

static int SetupNoVerifier(void **State)
{
    (void)State;
    if (IoBuildStart(FALSE, IrpSimClockReal, FALSE) != 0)
        return -1;
    Lower = LowerLoad();
    return Lower != NULL ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    return IoBuildStop();
}

static PIO_STACK_LOCATION TopSlot(PIRP Irp)
{
    return IoGetNextIrpStackLocation(Irp);
}

/* Hands a built, unsent threaded IRP to a device that completes it, so the
   I/O manager frees it. */
static VOID Dispose(PIRP Irp, PDEVICE_OBJECT Device)
{
    assert_int_equal(IoCallDriver(Device, Irp), STATUS_SUCCESS);
}

/* 8.1 METHOD_BUFFERED: one system buffer of max(in, out) bytes with the
   input copied in; IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER, plus
   IRP_INPUT_OPERATION because there is an output buffer; UserBuffer is the
   output buffer. The IRP is threaded (on the caller's list, Thread set),
   KernelMode, with UserIosb / UserEvent, no file object, and
   IRP_SYNCHRONOUS_API clear (Appendix B item 3). */
static void TestIoctlBuffered(void **State)
{
    PDEVICE_OBJECT Device = LowerCreateDevice(Lower, DO_BUFFERED_IO, NULL);
    UCHAR Input[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    UCHAR Output[16];
    IO_STATUS_BLOCK Iosb;
    IRPSIM_POOL_TAG_USAGE Usage;
    KEVENT Event;
    PIRP Irp;
    (void)State;

    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    Irp = IoBuildDeviceIoControlRequest(IOCTL_TEST_BUFFERED, Device, Input, sizeof(Input), Output, sizeof(Output),
                                        FALSE, &Event, &Iosb);
    assert_non_null(Irp);
    assert_int_equal(Irp->StackCount, Device->StackSize);
    assert_int_equal(Irp->CurrentLocation, Device->StackSize + 1);
    assert_int_equal(TopSlot(Irp)->MajorFunction, IRP_MJ_DEVICE_CONTROL);
    assert_int_equal(TopSlot(Irp)->Parameters.DeviceIoControl.IoControlCode, IOCTL_TEST_BUFFERED);
    assert_int_equal(TopSlot(Irp)->Parameters.DeviceIoControl.InputBufferLength, sizeof(Input));
    assert_int_equal(TopSlot(Irp)->Parameters.DeviceIoControl.OutputBufferLength, sizeof(Output));
    assert_null(TopSlot(Irp)->FileObject);
    assert_non_null(Irp->AssociatedIrp.SystemBuffer);
    assert_memory_equal(Irp->AssociatedIrp.SystemBuffer, Input, sizeof(Input));
    IrpSimQueryPoolTag(IOBUILD_SYSTEM_BUFFER_TAG, &Usage);
    assert_int_equal(Usage.Allocations, 1);
    assert_int_equal(Usage.Bytes, sizeof(Output)); /* max(in, out) */
    assert_int_equal(Irp->Flags, IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | IRP_INPUT_OPERATION);
    assert_ptr_equal(Irp->UserBuffer, Output);
    assert_null(Irp->MdlAddress);
    assert_ptr_equal(Irp->UserIosb, &Iosb);
    assert_ptr_equal(Irp->UserEvent, &Event);
    assert_int_equal(Irp->RequestorMode, KernelMode);
    assert_ptr_equal(Irp->Tail.Overlay.Thread, PsGetCurrentThread());
    assert_null(Irp->Tail.Overlay.OriginalFileObject);
    assert_true(IoBuildOnThreadList(Irp, PsGetCurrentThread()));
    assert_int_equal(IoBuildOrigin(Irp), IrpSimIrpOriginIoBuildDeviceIoControlRequest);
    Dispose(Irp, Device);
    assert_nothing_outstanding();

    /* Internal IOCTL; input larger than output; no output buffer: no
       IRP_INPUT_OPERATION and no UserBuffer. */
    Irp = IoBuildDeviceIoControlRequest(IOCTL_TEST_BUFFERED, Device, Input, sizeof(Input), NULL, 0, TRUE, &Event,
                                        &Iosb);
    assert_non_null(Irp);
    assert_int_equal(TopSlot(Irp)->MajorFunction, IRP_MJ_INTERNAL_DEVICE_CONTROL);
    IrpSimQueryPoolTag(IOBUILD_SYSTEM_BUFFER_TAG, &Usage);
    assert_int_equal(Usage.Bytes, sizeof(Input));
    assert_int_equal(Irp->Flags, IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER);
    assert_null(Irp->UserBuffer);
    Dispose(Irp, Device);

    /* Nothing to transfer: no system buffer, no flags, no UserBuffer. */
    Irp = IoBuildDeviceIoControlRequest(IOCTL_TEST_BUFFERED, Device, NULL, 0, NULL, 0, FALSE, &Event, &Iosb);
    assert_non_null(Irp);
    assert_null(Irp->AssociatedIrp.SystemBuffer);
    assert_int_equal(Irp->Flags, 0);
    assert_null(Irp->UserBuffer);
    Dispose(Irp, Device);
    assert_nothing_outstanding();
}

/* 8.1 METHOD_IN_DIRECT / METHOD_OUT_DIRECT: the input goes into a system
   buffer of exactly its length (no IRP_INPUT_OPERATION); the output buffer
   is described by Irp->MdlAddress, probed and locked for KernelMode, for
   reading (IN_DIRECT: the device reads it) or writing (OUT_DIRECT). */
static void TestIoctlDirect(void **State)
{
    PDEVICE_OBJECT Device = LowerCreateDevice(Lower, DO_DIRECT_IO, NULL);
    static const ULONG Codes[] = {IOCTL_TEST_IN_DIRECT, IOCTL_TEST_OUT_DIRECT};
    UCHAR Input[6] = {9, 8, 7, 6, 5, 4};
    UCHAR Output[40];
    IO_STATUS_BLOCK Iosb;
    IRPSIM_POOL_TAG_USAGE Usage;
    KEVENT Event;
    (void)State;

    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    for (ULONG i = 0; i < RTL_NUMBER_OF(Codes); i++) {
        PIRP Irp = IoBuildDeviceIoControlRequest(Codes[i], Device, Input, sizeof(Input), Output, sizeof(Output),
                                                 FALSE, &Event, &Iosb);
        PMDL Mdl;
        assert_non_null(Irp);
        assert_non_null(Irp->AssociatedIrp.SystemBuffer);
        assert_memory_equal(Irp->AssociatedIrp.SystemBuffer, Input, sizeof(Input));
        IrpSimQueryPoolTag(IOBUILD_SYSTEM_BUFFER_TAG, &Usage);
        assert_int_equal(Usage.Bytes, sizeof(Input));
        assert_int_equal(Irp->Flags, IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER);
        assert_null(Irp->UserBuffer);
        Mdl = Irp->MdlAddress;
        assert_non_null(Mdl);
        assert_null(Mdl->Next);
        assert_ptr_equal(MmGetMdlVirtualAddress(Mdl), Output);
        assert_int_equal(MmGetMdlByteCount(Mdl), sizeof(Output));
        assert_true(Mdl->MdlFlags & MDL_PAGES_LOCKED);
        if (Codes[i] == IOCTL_TEST_IN_DIRECT)
            assert_false(Mdl->MdlFlags & MDL_WRITE_OPERATION);
        else
            assert_true(Mdl->MdlFlags & MDL_WRITE_OPERATION);
        Dispose(Irp, Device);
        assert_nothing_outstanding();
    }

    /* No input: no system buffer, no flags; no output: no MDL. */
    {
        PIRP Irp = IoBuildDeviceIoControlRequest(IOCTL_TEST_OUT_DIRECT, Device, NULL, 0, NULL, 0, FALSE, &Event,
                                                 &Iosb);
        assert_non_null(Irp);
        assert_null(Irp->AssociatedIrp.SystemBuffer);
        assert_null(Irp->MdlAddress);
        assert_int_equal(Irp->Flags, 0);
        Dispose(Irp, Device);
    }
}

/* 8.1 METHOD_NEITHER: the caller's pointers as they are: UserBuffer = the
   output buffer, Type3InputBuffer = the input buffer; no copy, no MDL. */
static void TestIoctlNeither(void **State)
{
    PDEVICE_OBJECT Device = LowerCreateDevice(Lower, 0, NULL);
    UCHAR Input[4] = {1, 2, 3, 4};
    UCHAR Output[4];
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    PIRP Irp;
    (void)State;

    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    Irp = IoBuildDeviceIoControlRequest(IOCTL_TEST_NEITHER, Device, Input, sizeof(Input), Output, sizeof(Output),
                                        FALSE, &Event, &Iosb);
    assert_non_null(Irp);
    assert_ptr_equal(Irp->UserBuffer, Output);
    assert_ptr_equal(TopSlot(Irp)->Parameters.DeviceIoControl.Type3InputBuffer, Input);
    assert_null(Irp->AssociatedIrp.SystemBuffer);
    assert_null(Irp->MdlAddress);
    assert_int_equal(Irp->Flags, 0);
    Dispose(Irp, Device);
    assert_nothing_outstanding();
}

/* 8.1: a direct-I/O output buffer that cannot be locked makes the routine
   free the MDL, the system buffer and the IRP and return NULL. */
static void TestIoctlProbeFailureReturnsNull(void **State)
{
    PDEVICE_OBJECT Device = LowerCreateDevice(Lower, DO_DIRECT_IO, NULL);
    static UCHAR Bad[64];
    UCHAR Input[4] = {0};
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    (void)State;
    if (!IoBuildVerifierIs(FALSE))
        skip();

    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    assert_int_equal(IrpSimDeclareInvalidRange(Bad, sizeof(Bad)), STATUS_SUCCESS);
    assert_null(IoBuildDeviceIoControlRequest(IOCTL_TEST_OUT_DIRECT, Device, Input, sizeof(Input), Bad, sizeof(Bad),
                                              FALSE, &Event, &Iosb));
    assert_false(IopThreadHasIrps(PsGetCurrentThread()));
    assert_nothing_outstanding();

    /* The same for IoBuildSynchronousFsdRequest / IoBuildAsynchronousFsdRequest (8.3). */
    assert_null(IoBuildSynchronousFsdRequest(IRP_MJ_READ, Device, Bad, sizeof(Bad), NULL, &Event, &Iosb));
    assert_null(IoBuildAsynchronousFsdRequest(IRP_MJ_WRITE, Device, Bad, sizeof(Bad), NULL, &Iosb));
    assert_false(IopThreadHasIrps(PsGetCurrentThread()));
    assert_nothing_outstanding();
    assert_int_equal(IrpSimRemoveInvalidRange(Bad), STATUS_SUCCESS);
}

/* With the verifier, the same failures stop the machine: 0xC9/0x09 (P2
   device, P3 IOCTL code, P4 the exception) for IoBuildDeviceIoControlRequest,
   0xC9/0x08 (P3 major function) for the FSD builders. What was built is
   freed first. */
static void TestProbeFailureVerifier(void **State)
{
    PDEVICE_OBJECT Device = LowerCreateDevice(Lower, DO_DIRECT_IO, NULL);
    static UCHAR Bad[64];
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    (void)State;
    if (!IoBuildVerifierIs(TRUE))
        skip();

    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    assert_int_equal(IrpSimDeclareInvalidRange(Bad, sizeof(Bad)), STATUS_SUCCESS);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION,
                           IoBuildDeviceIoControlRequest(IOCTL_TEST_IN_DIRECT, Device, NULL, 0, Bad, sizeof(Bad),
                                                         FALSE, &Event, &Iosb));
    irpsim_assert_bugcheck_parameter(0, 0x09);
    irpsim_assert_bugcheck_parameter(1, Device);
    irpsim_assert_bugcheck_parameter(2, IOCTL_TEST_IN_DIRECT);
    irpsim_assert_bugcheck_parameter(3, (ULONG_PTR)STATUS_ACCESS_VIOLATION);
    assert_nothing_outstanding();

    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION,
                           IoBuildAsynchronousFsdRequest(IRP_MJ_READ, Device, Bad, sizeof(Bad), NULL, &Iosb));
    irpsim_assert_bugcheck_parameter(0, 0x08);
    irpsim_assert_bugcheck_parameter(1, Device);
    irpsim_assert_bugcheck_parameter(2, IRP_MJ_READ);
    irpsim_assert_bugcheck_parameter(3, (ULONG_PTR)STATUS_ACCESS_VIOLATION);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION,
                           IoBuildSynchronousFsdRequest(IRP_MJ_WRITE, Device, Bad, sizeof(Bad), NULL, &Event, &Iosb));
    irpsim_assert_bugcheck_parameter(0, 0x08);
    irpsim_assert_bugcheck_parameter(2, IRP_MJ_WRITE);
    assert_false(IopThreadHasIrps(PsGetCurrentThread()));
    assert_nothing_outstanding();
    assert_int_equal(IrpSimRemoveInvalidRange(Bad), STATUS_SUCCESS);
}

/* 8.2 / 8.3 on a buffered device. A write copies the caller's data into a
   system buffer of Length bytes; a read gets an empty one plus
   IRP_INPUT_OPERATION and UserBuffer (stage 2 copies back). Length and
   ByteOffset go into the top location. IoBuildSynchronousFsdRequest adds
   UserEvent and puts the IRP on the caller's list. */
static void TestFsdBuffered(void **State)
{
    PDEVICE_OBJECT Device = LowerCreateDevice(Lower, DO_BUFFERED_IO, NULL);
    UCHAR Data[24];
    LARGE_INTEGER Offset;
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    PIRP Irp;
    (void)State;

    for (ULONG i = 0; i < sizeof(Data); i++)
        Data[i] = (UCHAR)(0x40 + i);
    Offset.QuadPart = 0x123456789LL;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    Irp = IoBuildSynchronousFsdRequest(IRP_MJ_WRITE, Device, Data, sizeof(Data), &Offset, &Event, &Iosb);
    assert_non_null(Irp);
    assert_int_equal(TopSlot(Irp)->MajorFunction, IRP_MJ_WRITE);
    assert_int_equal(TopSlot(Irp)->Parameters.Write.Length, sizeof(Data));
    assert_int_equal(TopSlot(Irp)->Parameters.Write.ByteOffset.QuadPart, Offset.QuadPart);
    assert_non_null(Irp->AssociatedIrp.SystemBuffer);
    assert_ptr_not_equal(Irp->AssociatedIrp.SystemBuffer, Data);
    assert_memory_equal(Irp->AssociatedIrp.SystemBuffer, Data, sizeof(Data));
    assert_int_equal(Irp->Flags, IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER);
    assert_null(Irp->UserBuffer);
    assert_ptr_equal(Irp->UserEvent, &Event);
    assert_ptr_equal(Irp->UserIosb, &Iosb);
    assert_ptr_equal(Irp->Tail.Overlay.Thread, PsGetCurrentThread());
    assert_true(IoBuildOnThreadList(Irp, PsGetCurrentThread()));
    assert_int_equal(IoBuildOrigin(Irp), IrpSimIrpOriginIoBuildSynchronousFsdRequest);
    Dispose(Irp, Device);
    assert_memory_equal(LowerExtension(Device)->Seen.Data, Data, sizeof(Data));

    Irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, Device, Data, sizeof(Data), NULL, &Event, &Iosb);
    assert_non_null(Irp);
    assert_int_equal(TopSlot(Irp)->Parameters.Read.Length, sizeof(Data));
    assert_int_equal(TopSlot(Irp)->Parameters.Read.ByteOffset.QuadPart, 0); /* no StartingOffset */
    assert_int_equal(Irp->Flags, IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | IRP_INPUT_OPERATION);
    assert_ptr_equal(Irp->UserBuffer, Data);
    Dispose(Irp, Device);
    assert_nothing_outstanding();
}

/* 8.3 on a direct device: an MDL for the caller's buffer, locked for
   writing when the device fills it (a read: IoWriteAccess) and for reading
   when it takes data from it (a write: IoReadAccess). */
static void TestFsdDirect(void **State)
{
    PDEVICE_OBJECT Device = LowerCreateDevice(Lower, DO_DIRECT_IO, NULL);
    UCHAR Data[100];
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    PIRP Irp;
    (void)State;

    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    Irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, Device, Data, sizeof(Data), NULL, &Event, &Iosb);
    assert_non_null(Irp);
    assert_null(Irp->AssociatedIrp.SystemBuffer);
    assert_int_equal(Irp->Flags, 0);
    assert_non_null(Irp->MdlAddress);
    assert_ptr_equal(MmGetMdlVirtualAddress(Irp->MdlAddress), Data);
    assert_int_equal(MmGetMdlByteCount(Irp->MdlAddress), sizeof(Data));
    assert_true(Irp->MdlAddress->MdlFlags & MDL_PAGES_LOCKED);
    assert_true(Irp->MdlAddress->MdlFlags & MDL_WRITE_OPERATION);
    Dispose(Irp, Device);

    Irp = IoBuildSynchronousFsdRequest(IRP_MJ_WRITE, Device, Data, sizeof(Data), NULL, &Event, &Iosb);
    assert_non_null(Irp);
    assert_true(Irp->MdlAddress->MdlFlags & MDL_PAGES_LOCKED);
    assert_false(Irp->MdlAddress->MdlFlags & MDL_WRITE_OPERATION);
    Dispose(Irp, Device);
    assert_nothing_outstanding();
}

/* 8.3 on a device that does neither: UserBuffer is the caller's buffer. */
static void TestFsdNeither(void **State)
{
    PDEVICE_OBJECT Device = LowerCreateDevice(Lower, 0, NULL);
    UCHAR Data[8];
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    PIRP Irp;
    (void)State;

    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    Irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, Device, Data, sizeof(Data), NULL, &Event, &Iosb);
    assert_non_null(Irp);
    assert_ptr_equal(Irp->UserBuffer, Data);
    assert_null(Irp->AssociatedIrp.SystemBuffer);
    assert_null(Irp->MdlAddress);
    assert_int_equal(Irp->Flags, 0);
    Dispose(Irp, Device);
    assert_nothing_outstanding();
}

/* 8.3: FLUSH_BUFFERS, SHUTDOWN and PNP get no buffer set-up and no
   Length, whatever the device's flags; a length-0 transfer gets no system
   buffer (irpsim's choice, see build.c). */
static void TestFsdNoBuffer(void **State)
{
    PDEVICE_OBJECT Device = LowerCreateDevice(Lower, DO_BUFFERED_IO, NULL);
    static const ULONG Majors[] = {IRP_MJ_FLUSH_BUFFERS, IRP_MJ_SHUTDOWN};
    UCHAR Data[8] = {0};
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    PIRP Irp;
    (void)State;

    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    for (ULONG i = 0; i < RTL_NUMBER_OF(Majors); i++) {
        Irp = IoBuildSynchronousFsdRequest(Majors[i], Device, Data, sizeof(Data), NULL, &Event, &Iosb);
        assert_non_null(Irp);
        assert_int_equal(TopSlot(Irp)->MajorFunction, Majors[i]);
        assert_null(Irp->AssociatedIrp.SystemBuffer);
        assert_null(Irp->UserBuffer);
        assert_int_equal(Irp->Flags, 0);
        assert_int_equal(TopSlot(Irp)->Parameters.Read.Length, 0);
        Dispose(Irp, Device);
    }
    Irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, Device, NULL, 0, NULL, &Event, &Iosb);
    assert_non_null(Irp);
    assert_null(Irp->AssociatedIrp.SystemBuffer);
    assert_int_equal(Irp->Flags, 0);
    Dispose(Irp, Device);
    assert_nothing_outstanding();
}

/* 8.3 / 8.4: IoBuildAsynchronousFsdRequest sets Thread to the caller but
   does NOT put the IRP on its list, and has no event. Its creator may free
   it (after its buffers) with IoFreeIrp (SDV rule IoBuildFsdFree). */
static void TestAsynchronousNotThreaded(void **State)
{
    PDEVICE_OBJECT Device = LowerCreateDevice(Lower, DO_BUFFERED_IO, NULL);
    UCHAR Data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    IO_STATUS_BLOCK Iosb;
    PIRP Irp;
    (void)State;

    Irp = IoBuildAsynchronousFsdRequest(IRP_MJ_WRITE, Device, Data, sizeof(Data), NULL, &Iosb);
    assert_non_null(Irp);
    assert_ptr_equal(Irp->Tail.Overlay.Thread, PsGetCurrentThread());
    assert_true(IsListEmpty(&Irp->ThreadListEntry));
    assert_false(IopThreadHasIrps(PsGetCurrentThread()));
    assert_null(Irp->UserEvent);
    assert_ptr_equal(Irp->UserIosb, &Iosb);
    assert_int_equal(IoBuildOrigin(Irp), IrpSimIrpOriginIoBuildAsynchronousFsdRequest);
    assert_memory_equal(Irp->AssociatedIrp.SystemBuffer, Data, sizeof(Data));
    ExFreePool(Irp->AssociatedIrp.SystemBuffer);
    IoFreeIrp(Irp);

    /* The IOSB is optional. */
    Irp = IoBuildAsynchronousFsdRequest(IRP_MJ_FLUSH_BUFFERS, Device, NULL, 0, NULL, NULL);
    assert_non_null(Irp);
    assert_null(Irp->UserIosb);
    IoFreeIrp(Irp);
    assert_nothing_outstanding();
}

/* 1.6.5, 8.2, SDV IoBuildDeviceControlNoFree: IoFreeIrp on a threaded IRP
   (IoBuildDeviceIoControlRequest / IoBuildSynchronousFsdRequest) is
   reported as 0xC9/0x20C (still queued to a thread; P3 the IRP): the I/O
   manager frees such IRPs. */
static void TestFreeThreadedIrp(void **State)
{
    PDEVICE_OBJECT Device = LowerCreateDevice(Lower, DO_BUFFERED_IO, NULL);
    UCHAR Data[8] = {0};
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    PIRP Irps[2];
    (void)State;

    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    Irps[0] = IoBuildDeviceIoControlRequest(IOCTL_TEST_BUFFERED, Device, Data, sizeof(Data), Data, sizeof(Data),
                                            FALSE, &Event, &Iosb);
    Irps[1] = IoBuildSynchronousFsdRequest(IRP_MJ_WRITE, Device, Data, sizeof(Data), NULL, &Event, &Iosb);
    for (ULONG i = 0; i < RTL_NUMBER_OF(Irps); i++) {
        assert_non_null(Irps[i]);
        irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoFreeIrp(Irps[i]));
        irpsim_assert_bugcheck_parameter(0, 0x20C);
        irpsim_assert_bugcheck_parameter(2, Irps[i]);
        /* Still whole and still the thread's: send it, and the I/O
           manager frees it. */
        assert_true(IoBuildOnThreadList(Irps[i], PsGetCurrentThread()));
        Dispose(Irps[i], Device);
    }
    assert_false(IopThreadHasIrps(PsGetCurrentThread()));
    assert_nothing_outstanding();
}

/* 1.6.6, 8.6: no IoBuild* IRP may be reinitialised with IoReuseIrp or
   IoInitializeIrp (Verifier 0xC9/0x311, non-fatal; "Reusing IRPs" names
   all four builders, IoBuildAsynchronousFsdRequest included). */
static void TestReinitialiseBuiltIrp(void **State)
{
    PDEVICE_OBJECT Device = LowerCreateDevice(Lower, 0, NULL);
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    PIRP Irp;
    (void)State;
    if (!IoBuildVerifierIs(TRUE))
        skip();
    /* 0x311 is non-fatal: Windows would go on and reinitialise a threaded
       IRP still linked into its thread's list. Stop instead. */
    IrpSimVerifierSetNonFatalAction(IrpSimVerifierStop);

    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    Irp = IoBuildDeviceIoControlRequest(IOCTL_TEST_NEITHER, Device, NULL, 0, NULL, 0, FALSE, &Event, &Iosb);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoReuseIrp(Irp, STATUS_SUCCESS));
    irpsim_assert_bugcheck_parameter(0, 0x311);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoInitializeIrp(Irp, Irp->Size, Irp->StackCount));
    irpsim_assert_bugcheck_parameter(0, 0x311);
    Dispose(Irp, Device);

    Irp = IoBuildSynchronousFsdRequest(IRP_MJ_FLUSH_BUFFERS, Device, NULL, 0, NULL, &Event, &Iosb);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoReuseIrp(Irp, STATUS_SUCCESS));
    irpsim_assert_bugcheck_parameter(0, 0x311);
    Dispose(Irp, Device);

    Irp = IoBuildAsynchronousFsdRequest(IRP_MJ_FLUSH_BUFFERS, Device, NULL, 0, NULL, NULL);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoReuseIrp(Irp, STATUS_SUCCESS));
    irpsim_assert_bugcheck_parameter(0, 0x311);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoInitializeIrp(Irp, Irp->Size, Irp->StackCount));
    irpsim_assert_bugcheck_parameter(0, 0x311);
    IoFreeIrp(Irp);
    assert_nothing_outstanding();
}

/* 8.1 / 8.2 IRQL (build.c explains the choice): the synchronous builders
   allow PASSIVE_LEVEL and APC_LEVEL; with the verifier, DISPATCH_LEVEL is
   reported as 0x121 DRIVER_VIOLATION (P1 2: called above the routine's
   maximum IRQL; P2 the IRQL, P3 the maximum). IoBuildAsynchronousFsdRequest
   may be called at DISPATCH_LEVEL. */
static void TestBuildIrql(void **State)
{
    PDEVICE_OBJECT Device = LowerCreateDevice(Lower, DO_BUFFERED_IO, NULL);
    UCHAR Data[8] = {0};
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    KIRQL OldIrql;
    PIRP Irp;
    (void)State;
    if (!IoBuildVerifierIs(TRUE))
        skip();

    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    KeRaiseIrql(APC_LEVEL, &OldIrql);
    Irp = IoBuildDeviceIoControlRequest(IOCTL_TEST_BUFFERED, Device, Data, sizeof(Data), NULL, 0, FALSE, &Event,
                                        &Iosb);
    KeLowerIrql(OldIrql);
    assert_non_null(Irp);
    Dispose(Irp, Device);

    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    irpsim_assert_bugcheck(0x121, IoBuildDeviceIoControlRequest(IOCTL_TEST_BUFFERED, Device, Data, sizeof(Data),
                                                                NULL, 0, FALSE, &Event, &Iosb));
    irpsim_assert_bugcheck_parameter(0, 2);
    irpsim_assert_bugcheck_parameter(1, DISPATCH_LEVEL);
    irpsim_assert_bugcheck_parameter(2, APC_LEVEL);
    assert_string_equal((PCSTR)irpsim_last_bugcheck.Info.Parameter[3], "IoBuildDeviceIoControlRequest");
    /* The catch frame put the IRQL back where it was armed. */
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);

    irpsim_assert_bugcheck(0x121, IoBuildSynchronousFsdRequest(IRP_MJ_WRITE, Device, Data, sizeof(Data), NULL,
                                                               &Event, &Iosb));
    irpsim_assert_bugcheck_parameter(2, APC_LEVEL);
    assert_string_equal((PCSTR)irpsim_last_bugcheck.Info.Parameter[3], "IoBuildSynchronousFsdRequest");

    Irp = IoBuildAsynchronousFsdRequest(IRP_MJ_WRITE, Device, Data, sizeof(Data), NULL, NULL);
    assert_non_null(Irp);
    ExFreePool(Irp->AssociatedIrp.SystemBuffer);
    IoFreeIrp(Irp);
    KeLowerIrql(OldIrql);
    assert_nothing_outstanding();
}

/* 8.6: a major the routines do not document still gets an IRP (with the
   device's buffer set-up, and no Length/ByteOffset) and a warning. */
static void TestUndocumentedMajor(void **State)
{
    PDEVICE_OBJECT Device = LowerCreateDevice(Lower, DO_BUFFERED_IO, NULL);
    UCHAR Data[8];
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    PIRP Irp;
    (void)State;

    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    Irp = IoBuildSynchronousFsdRequest(IRP_MJ_QUERY_INFORMATION, Device, Data, sizeof(Data), NULL, &Event, &Iosb);
    assert_non_null(Irp);
    assert_int_equal(TopSlot(Irp)->MajorFunction, IRP_MJ_QUERY_INFORMATION);
    assert_non_null(Irp->AssociatedIrp.SystemBuffer);
    assert_int_equal(Irp->Flags, IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | IRP_INPUT_OPERATION);
    assert_int_equal(TopSlot(Irp)->Parameters.Read.Length, 0);
    /* The device has no routine for it: the I/O manager's default one
       fails it, and stage 2 frees it. */
    assert_int_equal(IoCallDriver(Device, Irp), STATUS_INVALID_DEVICE_REQUEST);
    assert_nothing_outstanding();
}

/* A builder handed no device object faults at once (it reads StackSize). */
static void TestNullDevice(void **State)
{
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    (void)State;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    irpsim_assert_bugcheck(KMODE_EXCEPTION_NOT_HANDLED,
                           IoBuildDeviceIoControlRequest(IOCTL_TEST_BUFFERED, NULL, NULL, 0, NULL, 0, FALSE, &Event,
                                                         &Iosb));
    irpsim_assert_bugcheck_parameter(0, (ULONG_PTR)STATUS_ACCESS_VIOLATION);
    irpsim_assert_bugcheck(KMODE_EXCEPTION_NOT_HANDLED,
                           IoBuildAsynchronousFsdRequest(IRP_MJ_READ, NULL, NULL, 0, NULL, NULL));
    assert_nothing_outstanding();
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestIoctlBuffered, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestIoctlDirect, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestIoctlNeither, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestIoctlProbeFailureReturnsNull, SetupNoVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestProbeFailureVerifier, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestFsdBuffered, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestFsdDirect, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestFsdNeither, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestFsdNoBuffer, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestAsynchronousNotThreaded, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestFreeThreadedIrp, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestReinitialiseBuiltIrp, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestBuildIrql, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestUndocumentedMajor, SetupVerifier, Teardown),
        cmocka_unit_test_setup_teardown(TestNullDevice, SetupVerifier, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
