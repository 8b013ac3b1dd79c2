/*
 * The custom-startio lesson (examples/custom-startio, seed 001), run end to
 * end on the virtual clock and checked on the trace: how many reads found
 * the driver's KDEVICE_QUEUE idle (KeInsertDeviceQueue FALSE: MyStartIo
 * runs) or busy (TRUE: the read waits), when each completed in simulated
 * time, and which bug check each of the article's mistakes hits.
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>
#include <irpsim/trace.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

#include "startio.h"
#include "lessons_trace.h"

NTSTATUS NTAPI StartIoDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
extern LONG StartIoMode;

static int Setup(void **State)
{
    IRPSIM_CONFIG Config;
    (void)State;
    IrpSimDefaultConfig(&Config);
    Config.ClockMode = IrpSimClockVirtual;
    Config.QuietDebugPrint = TRUE;
    IrpSimTraceEnable(IRPSIM_TRACE_MEMORY, NULL);
    return NT_SUCCESS(IrpSimInitialize(&Config)) ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    IrpSimTraceEnable(0, NULL);
    StartIoMode = STARTIO_CORRECTED;
    return 0;
}

static void Load(LONG Mode)
{
    PDRIVER_OBJECT Driver;
    StartIoMode = Mode;
    assert_int_equal(IrpSimLoadDriver(L"\\Driver\\CustomStartIo", StartIoDriverEntry, &Driver), STATUS_SUCCESS);
}

/* Device-queue inserts that found the queue busy (Inserted TRUE) or idle. */
static void CountInserts(ULONG *Busy, ULONG *Idle)
{
    IRPSIM_TRACE_EVENT Event;
    ULONG Count = IrpSimTraceCount(), i;
    *Busy = *Idle = 0;
    for (i = 0; i < Count; i++) {
        if (IrpSimTraceGet(i, &Event) && Event.Kind == IrpSimTraceDeviceQueueInsert) {
            if (Event.Argument[1])
                (*Busy)++;
            else
                (*Idle)++;
        }
    }
}

static void test_sequential_reads_each_enter_startio(void **State)
{
    STARTIO_APP_RESULT Result;
    ULONG Reads[3], Busy, Idle, i;
    IRPSIM_TRACE_EVENT Event;
    (void)State;
    Load(STARTIO_CORRECTED);
    assert_int_equal(StartIoSequentialReads(&Result, 3), 0);
    assert_int_equal(Result.ReadsOk, 3);
    CountInserts(&Busy, &Idle);
    assert_int_equal(Idle, 3); /* every read found the queue idle */
    assert_int_equal(Busy, 0);
    assert_int_equal(LessonWin32Irps("ReadFile", Reads, 3), 3);
    for (i = 0; i < 3; i++) {
        assert_int_equal(LessonIrpFinalStatus(Reads[i]), STATUS_SUCCESS);
        /* completed by the timer's DPC, 3 s after the previous one */
        assert_true(LessonIrpFindEvent(Reads[i], IrpSimTraceIrpCompleteBegin, 0, &Event));
        assert_int_equal(Event.Irql, DISPATCH_LEVEL);
        assert_int_equal(Event.Time, 30000000ULL * (i + 1));
    }
}

static void test_concurrent_reads_find_the_queue_busy(void **State)
{
    STARTIO_APP_RESULT Result;
    ULONG Reads[10] = {0}, Writes[1] = {0}, Busy, Idle, i;
    IRPSIM_TRACE_EVENT Event, WriteDone;
    (void)State;
    Load(STARTIO_CORRECTED);
    assert_int_equal(StartIoConcurrentReads(&Result, 10), 0);
    assert_int_equal(Result.ReadsOk, 10);
    assert_true(Result.WriteOk && Result.WriteBeforeReads);
    CountInserts(&Busy, &Idle);
    assert_int_equal(Idle, 1); /* the first read starts the device */
    assert_int_equal(Busy, 9); /* the other nine wait in the queue */
    assert_int_equal(LessonWin32Irps("ReadFile", Reads, 10), 10);
    assert_int_equal(LessonWin32Irps("WriteFile", Writes, 1), 1);
    /* The write completed at once, at time 0, while the reads waited. */
    assert_int_equal(LessonIrpFinalStatus(Writes[0]), STATUS_SUCCESS);
    assert_true(LessonIrpFindEvent(Writes[0], IrpSimTraceIrpCompleteBegin, 0, &WriteDone));
    assert_int_equal(WriteDone.Time, 0);
    /* The reads completed in order, one every 3 simulated seconds. */
    for (i = 0; i < 10; i++) {
        assert_int_equal(LessonIrpFinalStatus(Reads[i]), STATUS_SUCCESS);
        assert_true(LessonIrpFindEvent(Reads[i], IrpSimTraceIrpCompleteBegin, 0, &Event));
        assert_int_equal(Event.Time, 30000000ULL * (i + 1));
        assert_true(Event.Sequence > WriteDone.Sequence);
    }
}

static void test_pending_after_completion_still_succeeds(void **State)
{
    STARTIO_APP_RESULT Result;
    ULONG Reads[3], i;
    IRPSIM_TRACE_EVENT Completed, Returned;
    (void)State;
    Load(STARTIO_ARTICLE_NO_DELAY);
    assert_int_equal(StartIoSequentialReads(&Result, 3), 0);
    assert_int_equal(Result.ReadsOk, 3);
    assert_int_equal(LessonWin32Irps("ReadFile", Reads, 3), 3);
    for (i = 0; i < 3; i++) {
        /* IoCompleteRequest inside the dispatch routine, which then
           returned STATUS_PENDING: the application gets the IRP's status. */
        assert_true(LessonIrpFindEvent(Reads[i], IrpSimTraceIrpCompleteBegin, 0, &Completed));
        assert_true(LessonIrpFindEvent(Reads[i], IrpSimTraceIrpDispatchReturned, 0, &Returned));
        assert_true(Completed.Sequence < Returned.Sequence);
        assert_int_equal((NTSTATUS)Returned.Argument[1], STATUS_PENDING);
        assert_int_equal(LessonIrpFinalStatus(Reads[i]), STATUS_SUCCESS);
    }
}

static void test_article_waits_at_dispatch_level(void **State)
{
    STARTIO_APP_RESULT Result;
    (void)State;
    Load(STARTIO_ARTICLE_WAIT);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, (void)StartIoSequentialReads(&Result, 3));
    irpsim_assert_bugcheck_parameter(0, 0x122);
    irpsim_assert_bugcheck_parameter(1, DISPATCH_LEVEL);
}

static void test_article_list_head_only(void **State)
{
    STARTIO_APP_RESULT Result;
    (void)State;
    Load(STARTIO_ARTICLE_INIT);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, (void)StartIoSequentialReads(&Result, 3));
    irpsim_assert_bugcheck_parameter(0, 0x1002);
    irpsim_assert_bugcheck_parameter(2, 0); /* Type never set */
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Hint, "KeInitializeDeviceQueue"));
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_sequential_reads_each_enter_startio, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_reads_find_the_queue_busy, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_pending_after_completion_still_succeeds, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_article_waits_at_dispatch_level, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_article_list_head_only, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
