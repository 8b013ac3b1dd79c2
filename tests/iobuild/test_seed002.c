/*
 * Seed 002 ("Handling IRPs, part II"): the six ways to send a request, run
 * against a lower device that completes at once (success or error), pends
 * and completes from a timer DPC, or holds the request until it is
 * cancelled. Scenario 2's timeout-and-cancel is driven through each of the
 * four interleavings its comment lists, on purpose, with the virtual clock
 * (auto-advance: a wait times out when nothing else can happen) and a
 * checkpoint where the lower device completes the request; each is shown
 * to neither lose nor double-complete the IRP. The published completion
 * routine (&lock) is run too, to show what irpsim reports.
 */
#include "iobuild_test.h"
#include "seed002_driver.h"

#define TIMEOUT_MS 100

static PDRIVER_OBJECT Lower;
static PDEVICE_OBJECT HookDevice;

static int Setup(void **State)
{
    (void)State;
    IrpSimTraceEnable(IRPSIM_TRACE_MEMORY, NULL);
    if (IoBuildStart(TRUE, IrpSimClockVirtual, TRUE) != 0)
        return -1;
    Seed002Reset();
    Seed002Checkpoint = NULL;
    HookDevice = NULL;
    Lower = LowerLoad();
    return Lower != NULL ? 0 : -1;
}

static int Teardown(void **State)
{
    int Result;
    (void)State;
    Seed002Checkpoint = NULL;
    Result = IoBuildStop();
    IrpSimTraceEnable(0, NULL);
    return Result;
}

static PDEVICE_OBJECT MakeDevice(ULONG IoFlags, LOWER_ACTION Action, LOWER_ON_CANCEL OnCancel, NTSTATUS Status)
{
    LOWER_CONFIG Config;
    LowerDefaultConfig(&Config);
    Config.Action = Action;
    Config.OnCancel = OnCancel;
    Config.Status = Status;
    return LowerCreateDevice(Lower, IoFlags, &Config);
}

static ULONG CountByte(const UCHAR *Buffer, ULONG Length, UCHAR Value)
{
    ULONG Count = 0;
    for (ULONG i = 0; i < Length; i++)
        Count += Buffer[i] == Value;
    return Count;
}

#define assert_no_seed_context()                                  \
    do {                                                          \
        IRPSIM_POOL_TAG_USAGE Usage_;                             \
        IrpSimQueryPoolTag(SEED002_CONTEXT_TAG, &Usage_);         \
        assert_int_equal(Usage_.Allocations, 0);                  \
    } while (0)

/* How often the IRP Seed002 built was completed (IoCompleteRequest calls),
   went through stage 2, and was freed. */
static void AssertIrpLife(ULONG CompleteCalls)
{
    PIRP Irp = Seed002.Irp;
    assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpCompleteBegin), CompleteCalls);
    assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpCompleted), 1);
    assert_int_equal(IrpSimTraceCountIrpEvents(Irp, IrpSimTraceIrpFreed), 1);
    assert_nothing_outstanding();
}

static void AssertExchange(ULONG Index, CHAR Who, LONG Old, LONG New)
{
    assert_true(Index < (ULONG)Seed002.ExchangeCount);
    assert_int_equal(Seed002.Exchange[Index].Who, Who);
    assert_int_equal(Seed002.Exchange[Index].Old, Old);
    assert_int_equal(Seed002.Exchange[Index].New, New);
}

/* ---- 1. MakeSynchronousIoctl ---- */

/* Completed at once: IoCallDriver's status is the result and nobody waits;
   on success stage 2 (run before IoCallDriver returned, on this thread)
   has already copied the output back and written the IOSB. On an error
   nothing is written and the event stays clear (3.7). */
static void TestSynchronousIoctlCompletedAtOnce(void **State)
{
    static const NTSTATUS Statuses[] = {STATUS_SUCCESS, STATUS_INVALID_DEVICE_REQUEST};
    (void)State;
    for (ULONG i = 0; i < RTL_NUMBER_OF(Statuses); i++) {
        PDEVICE_OBJECT Device = MakeDevice(DO_BUFFERED_IO, LowerComplete, LowerCancelCompleteNow, Statuses[i]);
        UCHAR Input[4] = {1, 2, 3, 4};
        UCHAR Output[16];
        Seed002Reset();
        memset(Output, 0xEE, sizeof(Output));
        assert_int_equal(MakeSynchronousIoctl(Device, IOCTL_TEST_BUFFERED, Input, sizeof(Input), Output,
                                              sizeof(Output)),
                         Statuses[i]);
        assert_int_equal(Seed002.Waits, 0);
        assert_memory_equal(LowerExtension(Device)->Seen.Data, Input, sizeof(Input));
        if (NT_SUCCESS(Statuses[i])) {
            assert_int_equal(Seed002.IoStatus.Status, STATUS_SUCCESS);
            assert_int_equal(Seed002.IoStatus.Information, sizeof(Output));
            assert_true(Seed002.EventSignalled);
            assert_int_equal(CountByte(Output, sizeof(Output), 0xA5), sizeof(Output));
        } else {
            assert_int_equal(Seed002.IoStatus.Status, SEED002_IOSB_UNTOUCHED);
            assert_false(Seed002.EventSignalled);
            assert_int_equal(CountByte(Output, sizeof(Output), 0xEE), sizeof(Output));
        }
        AssertIrpLife(1);
    }
}

/* Pended and completed later from a DPC: the caller waits on the event and
   takes the status from the IOSB, for every transfer type. */
static void TestSynchronousIoctlPended(void **State)
{
    static const struct {
        ULONG Code;
        ULONG IoFlags;
        NTSTATUS Status;
    } Cases[] = {
        {IOCTL_TEST_BUFFERED, DO_BUFFERED_IO, STATUS_SUCCESS},
        {IOCTL_TEST_OUT_DIRECT, DO_DIRECT_IO, STATUS_SUCCESS},
        {IOCTL_TEST_NEITHER, 0, STATUS_SUCCESS},
        {IOCTL_TEST_BUFFERED, DO_BUFFERED_IO, STATUS_IO_DEVICE_ERROR},
    };
    (void)State;
    for (ULONG i = 0; i < RTL_NUMBER_OF(Cases); i++) {
        PDEVICE_OBJECT Device = MakeDevice(Cases[i].IoFlags, LowerPendTimer, LowerCancelCompleteNow, Cases[i].Status);
        UCHAR Output[16];
        Seed002Reset();
        memset(Output, 0xEE, sizeof(Output));
        assert_int_equal(MakeSynchronousIoctl(Device, Cases[i].Code, NULL, 0, Output, sizeof(Output)), Cases[i].Status);
        assert_int_equal(Seed002.Waits, 1);
        assert_int_equal(Seed002.IoStatus.Status, Cases[i].Status);
        assert_true(Seed002.EventSignalled);
        assert_int_equal(CountByte(Output, sizeof(Output), NT_SUCCESS(Cases[i].Status) ? 0xA5 : 0xEE), sizeof(Output));
        AssertIrpLife(1);
    }
}

/* ---- 2. MakeSynchronousIoctlWithTimeOut: the four interleavings ---- */

/* "No cancellation: Cancelable --> Completed". Completed in time (a DPC
   10 ms in, the timeout is 100 ms), or at once. */
static void TestTimeoutNoCancellation(void **State)
{
    static const LOWER_ACTION Actions[] = {LowerPendTimer, LowerComplete};
    (void)State;
    if (!IoBuildVirtualClock())
        skip();
    for (ULONG i = 0; i < RTL_NUMBER_OF(Actions); i++) {
        PDEVICE_OBJECT Device = MakeDevice(DO_BUFFERED_IO, Actions[i], LowerCancelCompleteNow, STATUS_SUCCESS);
        UCHAR Output[8];
        Seed002Reset();
        assert_int_equal(MakeSynchronousIoctlWithTimeOut(Device, IOCTL_TEST_BUFFERED, NULL, 0, Output, sizeof(Output),
                                                         TIMEOUT_MS),
                         STATUS_SUCCESS);
        assert_int_equal(Seed002.ExchangeCount, 1);
        AssertExchange(0, 'C', IRPLOCK_CANCELABLE, IRPLOCK_COMPLETED);
        assert_int_equal(Seed002.CompletionRoutineResult, STATUS_CONTINUE_COMPLETION);
        assert_int_equal(Seed002.CancelCalls, 0);
        assert_int_equal(Seed002.SenderCompletions, 0);
        assert_int_equal(LowerExtension(Device)->Completions, 1);
        assert_int_equal(Seed002.IoStatus.Status, STATUS_SUCCESS);
        if (Actions[i] == LowerPendTimer) {
            assert_int_equal(Seed002.Waits, 1);
            assert_int_equal(Seed002.FirstWaitStatus, STATUS_SUCCESS);
        }
        AssertIrpLife(1);
    }
}

/* "Cancellation, IoCancelIrp returns before completion:
   Cancelable --> CancelStarted --> CancelCompleted --> Completed". The
   lower device's cancel routine only arms its timer; the DPC completes the
   request after the sender has released the lock and is waiting. The
   completion routine finds CANCEL_COMPLETE and lets completion go on; the
   event is signalled although the status is an error, because the request
   was pended. */
static void TestTimeoutCancelReturnsBeforeCompletion(void **State)
{
    PDEVICE_OBJECT Device = MakeDevice(DO_BUFFERED_IO, LowerPendCancelable, LowerCancelCompleteLater, STATUS_SUCCESS);
    UCHAR Output[8];
    (void)State;
    if (!IoBuildVirtualClock())
        skip();

    assert_int_equal(MakeSynchronousIoctlWithTimeOut(Device, IOCTL_TEST_BUFFERED, NULL, 0, Output, sizeof(Output),
                                                     TIMEOUT_MS),
                     STATUS_TIMEOUT);
    assert_int_equal(Seed002.FirstWaitStatus, STATUS_TIMEOUT);
    assert_int_equal(Seed002.ExchangeCount, 3);
    AssertExchange(0, 'S', IRPLOCK_CANCELABLE, IRPLOCK_CANCEL_STARTED);
    AssertExchange(1, 'S', IRPLOCK_CANCEL_STARTED, IRPLOCK_CANCEL_COMPLETE);
    AssertExchange(2, 'C', IRPLOCK_CANCEL_COMPLETE, IRPLOCK_COMPLETED);
    assert_int_equal(Seed002.CompletionRoutineResult, STATUS_CONTINUE_COMPLETION);
    assert_int_equal(Seed002.CancelCalls, 1);
    assert_int_equal(LowerExtension(Device)->CancelRoutineRuns, 1);
    assert_int_equal(LowerExtension(Device)->Completions, 1);
    assert_int_equal(Seed002.SenderCompletions, 0);
    assert_int_equal(Seed002.Waits, 2);
    assert_int_equal(Seed002.IoStatus.Status, STATUS_CANCELLED);
    assert_true(Seed002.EventSignalled);
    AssertIrpLife(1);
}

/* The checkpoint: right after the sender's wait timed out, the lower
   device completes the request from its DPC, and the sender goes on only
   once that completion (and the completion APC it queued to the sender)
   has run. */
static VOID CompleteAtTimeout(ULONG Point, PIRP Irp)
{
    LARGE_INTEGER Now;
    assert_int_equal(Point, SEED002_POINT_TIMED_OUT);
    assert_true(LowerCompleteHeld(HookDevice, STATUS_SUCCESS));
    /* Entering a wait delivers a completion APC still queued to us. */
    Now.QuadPart = 0;
    KeDelayExecutionThread(KernelMode, FALSE, &Now);
    assert_true(VfIrpIsFreed(Irp));
}

/* "Canceled after completion: Cancelable --> Completed -> CancelStarted".
   The completion routine ran first and let completion finish; the sender
   finds COMPLETED, does not touch the IRP, and only waits for the event. */
static void TestTimeoutCompletedBeforeCancel(void **State)
{
    PDEVICE_OBJECT Device = MakeDevice(DO_BUFFERED_IO, LowerPendCancelable, LowerCancelCompleteNow, STATUS_SUCCESS);
    UCHAR Output[8];
    (void)State;
    if (!IoBuildVirtualClock())
        skip();

    HookDevice = Device;
    Seed002Checkpoint = CompleteAtTimeout;
    assert_int_equal(MakeSynchronousIoctlWithTimeOut(Device, IOCTL_TEST_BUFFERED, NULL, 0, Output, sizeof(Output),
                                                     TIMEOUT_MS),
                     STATUS_TIMEOUT);
    assert_int_equal(Seed002.ExchangeCount, 2);
    AssertExchange(0, 'C', IRPLOCK_CANCELABLE, IRPLOCK_COMPLETED);
    AssertExchange(1, 'S', IRPLOCK_COMPLETED, IRPLOCK_CANCEL_STARTED);
    assert_int_equal(Seed002.CompletionRoutineResult, STATUS_CONTINUE_COMPLETION);
    assert_int_equal(Seed002.CancelCalls, 0);
    assert_int_equal(LowerExtension(Device)->CancelRoutineRuns, 0);
    assert_int_equal(LowerExtension(Device)->Completions, 1);
    assert_int_equal(Seed002.SenderCompletions, 0);
    assert_int_equal(Seed002.IoStatus.Status, STATUS_SUCCESS); /* what stage 2 wrote */
    assert_int_equal(CountByte(Output, sizeof(Output), 0xA5), sizeof(Output));
    AssertIrpLife(1);
}

/* "Cancellation, IRP completed during call to IoCancelIrp():
   Cancelable --> CancelStarted -> Completed --> CancelCompleted". The
   lower device's cancel routine completes at once, inside IoCancelIrp; the
   completion routine finds CANCEL_STARTED and stops completion; the sender
   then finds COMPLETED and completes the IRP again itself. Two
   IoCompleteRequest calls, one post-processing, one free. */
static void TestTimeoutCompletedDuringCancel(void **State)
{
    PDEVICE_OBJECT Device = MakeDevice(DO_BUFFERED_IO, LowerPendCancelable, LowerCancelCompleteNow, STATUS_SUCCESS);
    UCHAR Output[8];
    (void)State;
    if (!IoBuildVirtualClock())
        skip();

    assert_int_equal(MakeSynchronousIoctlWithTimeOut(Device, IOCTL_TEST_BUFFERED, NULL, 0, Output, sizeof(Output),
                                                     TIMEOUT_MS),
                     STATUS_TIMEOUT);
    assert_int_equal(Seed002.ExchangeCount, 3);
    AssertExchange(0, 'S', IRPLOCK_CANCELABLE, IRPLOCK_CANCEL_STARTED);
    AssertExchange(1, 'C', IRPLOCK_CANCEL_STARTED, IRPLOCK_COMPLETED);
    AssertExchange(2, 'S', IRPLOCK_COMPLETED, IRPLOCK_CANCEL_COMPLETE);
    assert_int_equal(Seed002.CompletionRoutineResult, STATUS_MORE_PROCESSING_REQUIRED);
    assert_int_equal(Seed002.CancelCalls, 1);
    assert_int_equal(LowerExtension(Device)->CancelRoutineRuns, 1);
    assert_int_equal(LowerExtension(Device)->Completions, 1);
    assert_int_equal(Seed002.SenderCompletions, 1);
    assert_int_equal(Seed002.IoStatus.Status, STATUS_CANCELLED);
    assert_true(Seed002.EventSignalled);
    AssertIrpLife(2);
}

/* As published, the completion routine exchanges &lock, its own local
   pointer: the shared lock stays CANCELABLE and the routine always lets
   completion go on. When the lower device completes the request in
   IoCancelIrp, that happens to work (the IRP is finished inside
   IoCancelIrp and the sender's second exchange sees CANCEL_STARTED). */
static void TestAsPublishedCompletedDuringCancel(void **State)
{
    PDEVICE_OBJECT Device = MakeDevice(DO_BUFFERED_IO, LowerPendCancelable, LowerCancelCompleteNow, STATUS_SUCCESS);
    UCHAR Output[8];
    (void)State;
    if (!IoBuildVirtualClock())
        skip();

    assert_int_equal(MakeSynchronousIoctlWithTimeOutAsPublished(Device, IOCTL_TEST_BUFFERED, NULL, 0, Output,
                                                                sizeof(Output), TIMEOUT_MS),
                     STATUS_TIMEOUT);
    assert_int_equal(Seed002.ExchangeCount, 2);
    AssertExchange(0, 'S', IRPLOCK_CANCELABLE, IRPLOCK_CANCEL_STARTED);
    AssertExchange(1, 'S', IRPLOCK_CANCEL_STARTED, IRPLOCK_CANCEL_COMPLETE); /* the routine never wrote it */
    assert_int_equal(Seed002.CompletionRoutineCalls, 1);
    assert_int_equal(Seed002.CompletionRoutineResult, STATUS_CONTINUE_COMPLETION);
    assert_int_equal(Seed002.SenderCompletions, 0);
    AssertIrpLife(1);
}

/* ... but when the request completes between the timeout and the sender's
   first exchange (interleaving 3), the sender still finds CANCELABLE and
   calls IoCancelIrp on an IRP the I/O manager has already finished and
   freed. irpsim keeps freed IRPs known and reports the use after free:
   bug check 0xCC (PAGE_FAULT_IN_FREED_SPECIAL_POOL, P1 the IRP, P2 1 =
   write), what Driver Verifier's special pool gives on Windows. Without it
   Windows would write Irp->Cancel into freed (possibly reused) pool. */
static void TestAsPublishedCancelsFreedIrp(void **State)
{
    PDEVICE_OBJECT Device = MakeDevice(DO_BUFFERED_IO, LowerPendCancelable, LowerCancelCompleteNow, STATUS_SUCCESS);
    UCHAR Output[8];
    (void)State;
    if (!IoBuildVirtualClock())
        skip();

    HookDevice = Device;
    Seed002Checkpoint = CompleteAtTimeout;
    irpsim_assert_bugcheck(PAGE_FAULT_IN_FREED_SPECIAL_POOL_CODE,
                           (void)MakeSynchronousIoctlWithTimeOutAsPublished(Device, IOCTL_TEST_BUFFERED, NULL, 0,
                                                                            Output, sizeof(Output), TIMEOUT_MS));
    irpsim_assert_bugcheck_parameter(0, Seed002.Irp);
    irpsim_assert_bugcheck_parameter(1, 1);
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Report, "IoCancelIrp"));
    assert_int_equal(Seed002.ExchangeCount, 1);
    AssertExchange(0, 'S', IRPLOCK_CANCELABLE, IRPLOCK_CANCEL_STARTED); /* should have been COMPLETED */
    assert_int_equal(Seed002.CompletionRoutineResult, STATUS_CONTINUE_COMPLETION);
    assert_int_equal(Seed002.CancelCalls, 1);
    assert_int_equal(LowerExtension(Device)->CancelRoutineRuns, 0);
    AssertIrpLife(1);
}

/* ---- 3. MakeSynchronousNonIoctlRequest ---- */

/* A write through IoBuildSynchronousFsdRequest whose completion routine
   frees its context and continues: the data reaches the device through
   the device's transfer type; the caller waits only when pended; an error
   that was not pended leaves IOSB and event alone. */
static void TestSynchronousWrite(void **State)
{
    static const struct {
        ULONG IoFlags;
        LOWER_ACTION Action;
        NTSTATUS Status;
    } Cases[] = {
        {DO_BUFFERED_IO, LowerComplete, STATUS_SUCCESS},
        {DO_DIRECT_IO, LowerPendTimer, STATUS_SUCCESS},
        {0, LowerComplete, STATUS_SUCCESS},
        {DO_BUFFERED_IO, LowerComplete, STATUS_MEDIA_WRITE_PROTECTED},
        {DO_DIRECT_IO, LowerPendTimer, STATUS_MEDIA_WRITE_PROTECTED},
    };
    UCHAR Data[32];
    (void)State;
    for (ULONG i = 0; i < sizeof(Data); i++)
        Data[i] = (UCHAR)(i * 3);
    for (ULONG i = 0; i < RTL_NUMBER_OF(Cases); i++) {
        PDEVICE_OBJECT Device = MakeDevice(Cases[i].IoFlags, Cases[i].Action, LowerCancelCompleteNow, Cases[i].Status);
        BOOLEAN Pended = Cases[i].Action == LowerPendTimer;
        Seed002Reset();
        assert_int_equal(MakeSynchronousNonIoctlRequest(Device, Data, sizeof(Data)), Cases[i].Status);
        assert_memory_equal(LowerExtension(Device)->Seen.Data, Data, sizeof(Data));
        assert_int_equal(LowerExtension(Device)->Seen.Length, sizeof(Data));
        assert_int_equal(LowerExtension(Device)->Seen.ByteOffset.QuadPart, 0);
        assert_int_equal(Seed002.CompletionRoutineCalls, 1);
        assert_int_equal(Seed002.Waits, Pended ? 1 : 0);
        if (NT_SUCCESS(Cases[i].Status) || Pended) {
            assert_int_equal(Seed002.IoStatus.Status, Cases[i].Status);
            assert_true(Seed002.EventSignalled);
        } else {
            assert_int_equal(Seed002.IoStatus.Status, SEED002_IOSB_UNTOUCHED);
            assert_false(Seed002.EventSignalled);
        }
        assert_no_seed_context();
        AssertIrpLife(1);
    }
}

/* ---- 4. MakeSynchronousNonIoctlRequest2 ---- */

/* The completion routine stops completion and signals only if pended; the
   sender completes the IRP again and waits a second time unless the request
   failed synchronously: the I/O manager signals the event for the hand-back
   exactly when !NT_ERROR || PendingReturned (3.7), and PendingReturned is
   the one of the first walk (3.10). */
static void TestSynchronousWriteHandedBack(void **State)
{
    static const struct {
        LOWER_ACTION Action;
        NTSTATUS Status;
        ULONG Waits;
    } Cases[] = {
        {LowerComplete, STATUS_SUCCESS, 1},
        {LowerComplete, STATUS_MEDIA_WRITE_PROTECTED, 0},
        {LowerPendTimer, STATUS_SUCCESS, 2},
        {LowerPendTimer, STATUS_MEDIA_WRITE_PROTECTED, 2},
    };
    UCHAR Data[16] = {0x5A};
    (void)State;
    for (ULONG i = 0; i < RTL_NUMBER_OF(Cases); i++) {
        PDEVICE_OBJECT Device = MakeDevice(DO_BUFFERED_IO, Cases[i].Action, LowerCancelCompleteNow, Cases[i].Status);
        BOOLEAN Pended = Cases[i].Action == LowerPendTimer;
        Seed002Reset();
        assert_int_equal(MakeSynchronousNonIoctlRequest2(Device, Data, sizeof(Data)), Cases[i].Status);
        assert_int_equal(Seed002.CompletionRoutineCalls, 1);
        assert_int_equal(Seed002.CompletionRoutinePendingReturned, Pended);
        assert_int_equal(Seed002.CompletionRoutineResult, STATUS_MORE_PROCESSING_REQUIRED);
        assert_int_equal(Seed002.SenderCompletions, 1);
        assert_int_equal(Seed002.Waits, Cases[i].Waits);
        if (Cases[i].Waits != 0) {
            assert_int_equal(Seed002.IoStatus.Status, Cases[i].Status);
            assert_true(Seed002.EventSignalled);
        } else {
            assert_int_equal(Seed002.IoStatus.Status, SEED002_IOSB_UNTOUCHED);
            assert_false(Seed002.EventSignalled);
        }
        AssertIrpLife(2);
    }
}

/* ---- 5. MakeAsynchronousRequest ---- */

/* IoBuildAsynchronousFsdRequest: the request is not the thread's (Thread
   set, not on its list); the completion routine, called with no device
   object (the creator has no stack location), frees the system buffer or
   the MDL, the context and the IRP, and stops completion. */
static void TestAsynchronousRequest(void **State)
{
    static const struct {
        ULONG IoFlags;
        LOWER_ACTION Action;
        NTSTATUS Status;
    } Cases[] = {
        {DO_BUFFERED_IO, LowerComplete, STATUS_SUCCESS},
        {DO_BUFFERED_IO, LowerPendTimer, STATUS_SUCCESS},
        {DO_DIRECT_IO, LowerComplete, STATUS_SUCCESS},
        {DO_DIRECT_IO, LowerPendTimer, STATUS_IO_DEVICE_ERROR},
        {0, LowerPendTimer, STATUS_SUCCESS},
    };
    static UCHAR Data[40];
    (void)State;
    for (ULONG i = 0; i < sizeof(Data); i++)
        Data[i] = (UCHAR)(0x80 | i);
    for (ULONG i = 0; i < RTL_NUMBER_OF(Cases); i++) {
        PDEVICE_OBJECT Device = MakeDevice(Cases[i].IoFlags, Cases[i].Action, LowerCancelCompleteNow, Cases[i].Status);
        SEED002_ASYNC_RESULT Result;
        RtlZeroMemory(&Result, sizeof(Result));
        KeInitializeEvent(&Result.Done, NotificationEvent, FALSE);
        Seed002Reset();
        assert_int_equal(MakeAsynchronousRequest(Device, Data, sizeof(Data), &Result), STATUS_SUCCESS);
        assert_int_equal(KeWaitForSingleObject(&Result.Done, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
        assert_int_equal(Result.Calls, 1);
        assert_int_equal(Result.Status, Cases[i].Status);
        assert_int_equal(Result.Information, sizeof(Data));
        assert_int_equal(Result.PendingReturned, Cases[i].Action == LowerPendTimer);
        assert_null(Result.DeviceObject);
        assert_ptr_equal(LowerExtension(Device)->Seen.Thread, PsGetCurrentThread());
        assert_false(LowerExtension(Device)->Seen.OnThreadList);
        assert_memory_equal(LowerExtension(Device)->Seen.Data, Data, sizeof(Data));
        /* Stopped in its creator's routine: no stage 2. */
        assert_int_equal(IrpSimTraceCountIrpEvents(Seed002.Irp, IrpSimTraceIrpCompleted), 0);
        assert_int_equal(IrpSimTraceCountIrpEvents(Seed002.Irp, IrpSimTraceIrpFreed), 1);
        assert_no_seed_context();
        assert_nothing_outstanding();
    }
}

/* ---- 6. MakeAsynchronousRequest2 ---- */

/* IoAllocateIrp with the next stack location filled by hand: buffered
   targets get the caller's buffer as SystemBuffer (no system buffer is
   allocated, no flags), direct targets a locked MDL, others UserBuffer. */
static void TestAllocatedRequest(void **State)
{
    static const struct {
        ULONG IoFlags;
        LOWER_ACTION Action;
    } Cases[] = {
        {DO_BUFFERED_IO, LowerComplete},
        {DO_DIRECT_IO, LowerPendTimer},
        {0, LowerPendTimer},
    };
    static UCHAR Data[24];
    (void)State;
    for (ULONG i = 0; i < sizeof(Data); i++)
        Data[i] = (UCHAR)(0x30 + i);
    for (ULONG i = 0; i < RTL_NUMBER_OF(Cases); i++) {
        PDEVICE_OBJECT Device = MakeDevice(Cases[i].IoFlags, Cases[i].Action, LowerCancelCompleteNow, STATUS_SUCCESS);
        SEED002_ASYNC_RESULT Result;
        LOWER_SEEN *Seen = &LowerExtension(Device)->Seen;
        RtlZeroMemory(&Result, sizeof(Result));
        KeInitializeEvent(&Result.Done, NotificationEvent, FALSE);
        Seed002Reset();
        assert_int_equal(MakeAsynchronousRequest2(Device, Data, sizeof(Data), &Result), STATUS_SUCCESS);
        assert_int_equal(KeWaitForSingleObject(&Result.Done, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
        assert_int_equal(Result.Calls, 1);
        assert_int_equal(Result.Status, STATUS_SUCCESS);
        assert_null(Seen->Thread);
        assert_int_equal(Seen->Flags, 0);
        assert_int_equal(Seen->Length, sizeof(Data));
        assert_memory_equal(Seen->Data, Data, sizeof(Data));
        if (Cases[i].IoFlags & DO_BUFFERED_IO)
            assert_ptr_equal(Seen->SystemBuffer, Data);
        else if (Cases[i].IoFlags & DO_DIRECT_IO)
            assert_true((Seen->MdlFlags & (MDL_PAGES_LOCKED | MDL_WRITE_OPERATION)) == MDL_PAGES_LOCKED);
        else
            assert_ptr_equal(Seen->UserBuffer, Data);
        assert_nothing_outstanding();
    }
}

/* A buffer MmProbeAndLockPages rejects: the __except path frees the MDL
   (never locked, so not unlocked) and the IRP and returns the exception
   code; nothing is sent and nothing leaks. */
static void TestAllocatedRequestBadBuffer(void **State)
{
    PDEVICE_OBJECT Device = MakeDevice(DO_DIRECT_IO, LowerComplete, LowerCancelCompleteNow, STATUS_SUCCESS);
    static UCHAR Bad[64];
    SEED002_ASYNC_RESULT Result;
    (void)State;

    RtlZeroMemory(&Result, sizeof(Result));
    KeInitializeEvent(&Result.Done, NotificationEvent, FALSE);
    assert_int_equal(IrpSimDeclareInvalidRange(Bad, sizeof(Bad)), STATUS_SUCCESS);
    assert_int_equal(MakeAsynchronousRequest2(Device, Bad, sizeof(Bad), &Result), STATUS_ACCESS_VIOLATION);
    assert_int_equal(LowerExtension(Device)->Dispatches, 0);
    assert_int_equal(Result.Calls, 0);
    assert_nothing_outstanding();
    assert_int_equal(IrpSimRemoveInvalidRange(Bad), STATUS_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(TestSynchronousIoctlCompletedAtOnce, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestSynchronousIoctlPended, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestTimeoutNoCancellation, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestTimeoutCancelReturnsBeforeCompletion, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestTimeoutCompletedBeforeCancel, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestTimeoutCompletedDuringCancel, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestAsPublishedCompletedDuringCancel, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestAsPublishedCancelsFreedIrp, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestSynchronousWrite, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestSynchronousWriteHandedBack, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestAsynchronousRequest, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestAllocatedRequest, Setup, Teardown),
        cmocka_unit_test_setup_teardown(TestAllocatedRequestBadBuffer, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
