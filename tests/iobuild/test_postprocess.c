/*
 * What the I/O manager does when a built IRP finishes its stack walk
 * (SEMANTICS.md 3.5-3.7, 3.9, 8.4): copy-back of buffered input only for a
 * status that is not an error, the system buffer freed, MDLs unlocked and
 * freed, the IOSB written and the event signalled if and only if
 * !NT_ERROR(status) || PendingReturned (3.7), the IRP taken off its
 * thread's list and freed; and stage 2 running in the requesting thread.
 * The checks are on src/io/complete.c, driven through the IoBuild* IRPs.
 */
#include "iobuild_test.h"

static PDRIVER_OBJECT Lower;

static int Setup(void **State)
{
    (void)State;
    /* Virtual clock, no auto-advance: a pended request finishes only when
       the test moves time. */
    if (IoBuildStart(TRUE, IrpSimClockVirtual, FALSE) != 0)
        return -1;
    Lower = LowerLoad();
    return Lower != NULL ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    return IoBuildStop();
}

IRPSIM_TRACED_FIXTURES(SetupTraced, TeardownTraced, Setup, Teardown)

static BOOLEAN Virtual(void)
{
    return IrpSimGetClockMode() == IrpSimClockVirtual;
}

static PDEVICE_OBJECT MakeDevice(ULONG IoFlags, LOWER_ACTION Action, NTSTATUS Status, ULONG_PTR Information)
{
    LOWER_CONFIG Config;
    LowerDefaultConfig(&Config);
    Config.Action = Action;
    Config.Status = Status;
    Config.Information = Information;
    Config.Fill = 0xA5;
    return LowerCreateDevice(Lower, IoFlags, &Config);
}

/* Sends a buffered IOCTL (16 bytes out) and lets a pended one finish.
   Returns what IoCallDriver returned. */
static NTSTATUS SendIoctl(PDEVICE_OBJECT Device, ULONG Code, UCHAR *Output, ULONG OutputLength,
                          PIO_STATUS_BLOCK Iosb, PKEVENT Event)
{
    UCHAR Input[4] = {0x11, 0x22, 0x33, 0x44};
    NTSTATUS Status;
    PIRP Irp;

    KeInitializeEvent(Event, NotificationEvent, FALSE);
    Iosb->Status = IOSB_UNTOUCHED;
    Iosb->Information = 0x77;
    memset(Output, 0xEE, OutputLength);
    Irp = IoBuildDeviceIoControlRequest(Code, Device, Input, sizeof(Input), Output, OutputLength, FALSE, Event, Iosb);
    assert_non_null(Irp);
    Status = IoCallDriver(Device, Irp);
    if (Status == STATUS_PENDING) {
        /* Stage 2 is the completion APC in this thread: the wait runs it. */
        assert_int_equal(IrpSimAdvanceTime(LowerExtension(Device)->Config.Delay), STATUS_SUCCESS);
        assert_int_equal(KeWaitForSingleObject(Event, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    }
    return Status;
}

static ULONG CountByte(const UCHAR *Buffer, ULONG Length, UCHAR Value)
{
    ULONG Count = 0;
    for (ULONG i = 0; i < Length; i++)
        Count += Buffer[i] == Value;
    return Count;
}

/* 3.6: on success stage 2 copies IoStatus.Information bytes (not the whole
   output length) from the system buffer to UserBuffer, frees the system
   buffer, writes the IOSB, signals the event, takes the IRP off the
   thread's list and frees it. */
static void TestBufferedSuccess(void **State)
{
    PDEVICE_OBJECT Device = MakeDevice(DO_BUFFERED_IO, LowerComplete, STATUS_SUCCESS, 4);
    UCHAR Output[16];
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    (void)State;

    assert_int_equal(SendIoctl(Device, IOCTL_TEST_BUFFERED, Output, sizeof(Output), &Iosb, &Event), STATUS_SUCCESS);
    assert_int_equal(CountByte(Output, 4, 0xA5), 4);
    assert_int_equal(CountByte(Output + 4, 12, 0xEE), 12);
    assert_int_equal(Iosb.Status, STATUS_SUCCESS);
    assert_int_equal(Iosb.Information, 4);
    assert_int_equal(KeReadStateEvent(&Event), 1);
    assert_memory_equal(LowerExtension(Device)->Seen.Data, "\x11\x22\x33\x44", 4);
    assert_true(LowerExtension(Device)->Seen.OnThreadList);
    assert_false(IopThreadHasIrps(PsGetCurrentThread()));
    assert_nothing_outstanding();
}

/* 3.7: an error status from a request that was not pended is reported to
   nobody: no copy-back, IOSB not written, event not signalled; the buffer
   and the IRP are freed silently. The caller takes the status from
   IoCallDriver's return value. */
static void TestErrorNotPended(void **State)
{
    PDEVICE_OBJECT Device = MakeDevice(DO_BUFFERED_IO, LowerComplete, STATUS_INVALID_PARAMETER, 4);
    UCHAR Output[16];
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    (void)State;

    assert_int_equal(SendIoctl(Device, IOCTL_TEST_BUFFERED, Output, sizeof(Output), &Iosb, &Event),
                     STATUS_INVALID_PARAMETER);
    assert_int_equal(CountByte(Output, sizeof(Output), 0xEE), sizeof(Output));
    assert_int_equal(Iosb.Status, IOSB_UNTOUCHED);
    assert_int_equal(Iosb.Information, 0x77);
    assert_int_equal(KeReadStateEvent(&Event), 0);
    assert_false(IopThreadHasIrps(PsGetCurrentThread()));
    assert_nothing_outstanding();
}

/* 3.7: the same error after STATUS_PENDING is reported (PendingReturned):
   IOSB written and event signalled, but still no copy-back (NT_ERROR). */
static void TestErrorPended(void **State)
{
    PDEVICE_OBJECT Device = MakeDevice(DO_BUFFERED_IO, LowerPendTimer, STATUS_INVALID_PARAMETER, 4);
    UCHAR Output[16];
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    (void)State;
    if (!Virtual())
        skip();

    assert_int_equal(SendIoctl(Device, IOCTL_TEST_BUFFERED, Output, sizeof(Output), &Iosb, &Event), STATUS_PENDING);
    assert_int_equal(Iosb.Status, STATUS_INVALID_PARAMETER);
    assert_int_equal(Iosb.Information, 4);
    assert_int_equal(KeReadStateEvent(&Event), 1);
    assert_int_equal(CountByte(Output, sizeof(Output), 0xEE), sizeof(Output));
    assert_nothing_outstanding();
}

/* 3.6 / 3.7: warnings (0x8xxxxxxx) and informational codes are not
   NT_ERROR: copied back and reported even when not pended. */
static void TestWarningAndInformational(void **State)
{
    static const NTSTATUS Statuses[] = {STATUS_BUFFER_OVERFLOW, (NTSTATUS)0x40000003};
    (void)State;
    for (ULONG i = 0; i < RTL_NUMBER_OF(Statuses); i++) {
        PDEVICE_OBJECT Device = MakeDevice(DO_BUFFERED_IO, LowerComplete, Statuses[i], 8);
        UCHAR Output[16];
        IO_STATUS_BLOCK Iosb;
        KEVENT Event;
        assert_int_equal(SendIoctl(Device, IOCTL_TEST_BUFFERED, Output, sizeof(Output), &Iosb, &Event), Statuses[i]);
        assert_int_equal(CountByte(Output, 8, 0xA5), 8);
        assert_int_equal(CountByte(Output + 8, 8, 0xEE), 8);
        assert_int_equal(Iosb.Status, Statuses[i]);
        assert_int_equal(Iosb.Information, 8);
        assert_int_equal(KeReadStateEvent(&Event), 1);
        assert_nothing_outstanding();
    }
}

/* 3.5 step 5 and 3.6: the output MDL of a direct IOCTL is locked while the
   driver has it, unlocked at the end of the walk and freed in stage 2,
   whatever the status. The data went straight into the caller's buffer. */
static void TestDirectMdlReleased(void **State)
{
    static const NTSTATUS Statuses[] = {STATUS_SUCCESS, STATUS_DEVICE_NOT_READY};
    (void)State;
    for (ULONG i = 0; i < RTL_NUMBER_OF(Statuses); i++) {
        PDEVICE_OBJECT Device = MakeDevice(DO_DIRECT_IO, LowerComplete, Statuses[i], LOWER_INFORMATION_TRANSFER);
        UCHAR Output[16];
        IO_STATUS_BLOCK Iosb;
        KEVENT Event;
        assert_int_equal(SendIoctl(Device, IOCTL_TEST_OUT_DIRECT, Output, sizeof(Output), &Iosb, &Event),
                         Statuses[i]);
        assert_true(LowerExtension(Device)->Seen.MdlFlags & MDL_PAGES_LOCKED);
        assert_ptr_equal(LowerExtension(Device)->Seen.MdlVa, Output);
        assert_int_equal(CountByte(Output, sizeof(Output), 0xA5), sizeof(Output));
        if (NT_SUCCESS(Statuses[i]))
            assert_int_equal(Iosb.Status, STATUS_SUCCESS);
        else
            assert_int_equal(Iosb.Status, IOSB_UNTOUCHED);
        assert_nothing_outstanding();
    }
}

/* 3.6 for IoBuildSynchronousFsdRequest: a buffered read copies
   Information bytes back on success, nothing on an error. */
static void TestBufferedRead(void **State)
{
    static const NTSTATUS Statuses[] = {STATUS_SUCCESS, STATUS_END_OF_FILE};
    (void)State;
    for (ULONG i = 0; i < RTL_NUMBER_OF(Statuses); i++) {
        PDEVICE_OBJECT Device = MakeDevice(DO_BUFFERED_IO, LowerComplete, Statuses[i], 10);
        UCHAR Data[32];
        IO_STATUS_BLOCK Iosb;
        KEVENT Event;
        PIRP Irp;

        memset(Data, 0xEE, sizeof(Data));
        Iosb.Status = IOSB_UNTOUCHED;
        KeInitializeEvent(&Event, NotificationEvent, FALSE);
        Irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, Device, Data, sizeof(Data), NULL, &Event, &Iosb);
        assert_int_equal(IoCallDriver(Device, Irp), Statuses[i]);
        if (NT_SUCCESS(Statuses[i])) {
            assert_int_equal(CountByte(Data, 10, 0xA5), 10);
            assert_int_equal(CountByte(Data + 10, 22, 0xEE), 22);
            assert_int_equal(Iosb.Information, 10);
            assert_int_equal(KeReadStateEvent(&Event), 1);
        } else {
            assert_int_equal(CountByte(Data, sizeof(Data), 0xEE), sizeof(Data));
            assert_int_equal(Iosb.Status, IOSB_UNTOUCHED);
            assert_int_equal(KeReadStateEvent(&Event), 0);
        }
        assert_nothing_outstanding();
    }
}

static NTSTATUS KeepIrpInRoutine(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    *(PULONG)Context += 1;
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/* 3.4, 3.10, 8.4: a completion routine that returns
   STATUS_MORE_PROCESSING_REQUIRED keeps the threaded IRP alive and on its
   thread's list, with nothing written yet; the creator's
   IoCompleteRequest hands it back and the post-processing then runs with
   the PendingReturned of the first walk. */
static void TestStoppedThenHandedBack(void **State)
{
    PDEVICE_OBJECT Device = MakeDevice(DO_BUFFERED_IO, LowerComplete, STATUS_SUCCESS, 4);
    UCHAR Output[8];
    IO_STATUS_BLOCK Iosb;
    KEVENT Event;
    ULONG Calls = 0;
    PIRP Irp;
    (void)State;

    memset(Output, 0xEE, sizeof(Output));
    Iosb.Status = IOSB_UNTOUCHED;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    Irp = IoBuildDeviceIoControlRequest(IOCTL_TEST_BUFFERED, Device, NULL, 0, Output, sizeof(Output), FALSE, &Event,
                                        &Iosb);
    IoSetCompletionRoutine(Irp, KeepIrpInRoutine, &Calls, TRUE, TRUE, TRUE);
    assert_int_equal(IoCallDriver(Device, Irp), STATUS_SUCCESS);
    assert_int_equal(Calls, 1);
    assert_true(IoBuildOnThreadList(Irp, PsGetCurrentThread()));
    assert_int_equal(Iosb.Status, IOSB_UNTOUCHED);
    assert_int_equal(KeReadStateEvent(&Event), 0);
    assert_int_equal(CountByte(Output, sizeof(Output), 0xEE), sizeof(Output));
    assert_int_equal(Irp->CurrentLocation, Irp->StackCount + 1);

    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    assert_int_equal(Calls, 1); /* the routine's slot was cleared: not called twice */
    assert_int_equal(Iosb.Status, STATUS_SUCCESS);
    assert_int_equal(CountByte(Output, 4, 0xA5), 4);
    assert_int_equal(KeReadStateEvent(&Event), 1);
    assert_false(IopThreadHasIrps(PsGetCurrentThread()));
    assert_nothing_outstanding();
}

/* 3.6: completed on another thread (a DPC), stage 2 runs as the completion
   APC in the requesting thread, not in the DPC. */
static void TestStage2RunsInRequestingThread(void **State)
{
    PDEVICE_OBJECT Device = MakeDevice(DO_BUFFERED_IO, LowerPendTimer, STATUS_SUCCESS, 4);
    UCHAR Output[8];
    IO_STATUS_BLOCK Iosb;
    IRPSIM_TRACE_EVENT Completed;
    IRPSIM_TRACE_EVENT Begin;
    KEVENT Event;
    PIRP Irp;
    (void)State;
    if (!Virtual())
        skip();

    Iosb.Status = IOSB_UNTOUCHED;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    Irp = IoBuildDeviceIoControlRequest(IOCTL_TEST_BUFFERED, Device, NULL, 0, Output, sizeof(Output), FALSE, &Event,
                                        &Iosb);
    assert_int_equal(IoCallDriver(Device, Irp), STATUS_PENDING);
    assert_int_equal(IrpSimAdvanceTime(LowerExtension(Device)->Config.Delay), STATUS_SUCCESS);
    assert_int_equal(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    assert_int_equal(Iosb.Status, STATUS_SUCCESS);

    assert_true(IrpSimTraceIrpFindEvent(Irp, IrpSimTraceIrpCompleteBegin, 0, &Begin));
    assert_true(IrpSimTraceIrpFindEvent(Irp, IrpSimTraceIrpCompleted, 0, &Completed));
    assert_ptr_not_equal(Begin.Thread, KeGetCurrentThread());
    assert_ptr_equal(Completed.Thread, KeGetCurrentThread());
    assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpCompleted), 1);
    assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpFreed), 1);
    assert_nothing_outstanding();
}

/* 3.9 [observed on Windows]: an IoBuildAsynchronousFsdRequest IRP whose
   completion runs to the end (no completion routine) still goes through
   stage 2 in its thread: the IOSB is written, the buffer and the IRP
   freed. */
static void TestAsynchronousRunsToTheEnd(void **State)
{
    PDEVICE_OBJECT Device = MakeDevice(DO_BUFFERED_IO, LowerComplete, STATUS_SUCCESS, LOWER_INFORMATION_TRANSFER);
    UCHAR Data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    IO_STATUS_BLOCK Iosb;
    PIRP Irp;
    (void)State;

    Iosb.Status = IOSB_UNTOUCHED;
    Irp = IoBuildAsynchronousFsdRequest(IRP_MJ_WRITE, Device, Data, sizeof(Data), NULL, &Iosb);
    assert_int_equal(IoCallDriver(Device, Irp), STATUS_SUCCESS);
    assert_int_equal(Iosb.Status, STATUS_SUCCESS);
    assert_int_equal(Iosb.Information, sizeof(Data));
    assert_memory_equal(LowerExtension(Device)->Seen.Data, Data, sizeof(Data));
    assert_nothing_outstanding();
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestBufferedSuccess, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestErrorNotPended, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestErrorPended, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestWarningAndInformational, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestDirectMdlReleased, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestBufferedRead, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestStoppedThenHandedBack, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestStage2RunsInRequestingThread, SetupTraced, TeardownTraced),
        cmocka_unit_test_setup_teardown(TestAsynchronousRunsToTheEnd, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
