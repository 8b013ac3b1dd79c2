/*
 * The csq-timer lesson (examples/csq-timer, seed 000), run end to end: the
 * lesson's Win32 application against its driver, checked on the trace —
 * which of the three IOCTL_QUEUE requests completed, with which status,
 * by whom and in which order, and which bug check the article's driver
 * hits.
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

#include "csqtimer.h"
#include "lessons_trace.h"

NTSTATUS NTAPI CsqTimerDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
NTSTATUS NTAPI CsqArticleDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
extern LONG ArticleMistake;

static int Start(IRPSIM_CLOCK_MODE Clock)
{
    IRPSIM_CONFIG Config;
    IrpSimDefaultConfig(&Config);
    Config.ClockMode = Clock;
    Config.QuietDebugPrint = TRUE;
    IrpSimTraceEnable(IRPSIM_TRACE_MEMORY, NULL);
    return NT_SUCCESS(IrpSimInitialize(&Config)) ? 0 : -1;
}

static int SetupVirtual(void **State)
{
    (void)State;
    return Start(IrpSimClockVirtual);
}

static int SetupReal(void **State)
{
    (void)State;
    return Start(IrpSimClockReal);
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    IrpSimTraceEnable(0, NULL);
    return 0;
}

static void LoadDriver(LONG Mistake)
{
    PDRIVER_OBJECT Driver;
    ArticleMistake = Mistake;
    assert_int_equal(IrpSimLoadDriver(L"\\Driver\\MyDriver", Mistake == 0 ? CsqTimerDriverEntry : CsqArticleDriverEntry,
                                      &Driver),
                     STATUS_SUCCESS);
}

/* IRP#n of the three IOCTL_QUEUE requests and of IOCTL_PROCESS, in the
   order the application sent them. */
static void FindRequests(ULONG Queue[CSQTIMER_REQUESTS], ULONG *Process)
{
    ULONG Found[CSQTIMER_REQUESTS + 1];
    assert_int_equal(LessonWin32Irps("DeviceIoControl", Found, CSQTIMER_REQUESTS + 1), CSQTIMER_REQUESTS + 1);
    memcpy(Queue, Found, sizeof(ULONG) * CSQTIMER_REQUESTS);
    *Process = Found[CSQTIMER_REQUESTS];
}

/* No IRP was completed while a cancel routine was set in it: for each
   completion, the last IrpCancelRoutineSet before it cleared the routine. */
static void AssertNoCompletionWithCancelRoutine(ULONG Irp)
{
    ULONG Count = IrpSimTraceCount(), i;
    ULONG_PTR Routine = 0;
    IRPSIM_TRACE_EVENT Event;
    for (i = 0; i < Count; i++) {
        assert_true(IrpSimTraceGet(i, &Event));
        if (Event.ObjectNumber != Irp || strncmp(Event.ObjectName, "IRP#", 4) != 0)
            continue;
        if (Event.Kind == IrpSimTraceIrpCancelRoutineSet)
            Routine = Event.Argument[0];
        else if (Event.Kind == IrpSimTraceIrpCancelRequested)
            Routine = 0; /* IoCancelIrp took the routine out of the IRP to call it */
        else if (Event.Kind == IrpSimTraceIrpCompleteBegin)
            assert_true(Routine == 0);
    }
}

/* Sleep(1500) on the virtual clock: the tick at exactly 1 s comes first,
   CancelIo at exactly 1.5 s. */
static void test_corrected_driver_virtual_clock(void **State)
{
    CSQTIMER_APP_RESULT Result;
    ULONG Queue[CSQTIMER_REQUESTS], Process, i, Index;
    IRPSIM_TRACE_EVENT Set, Completion, CancelIo, Cancelled;
    (void)State;
    LoadDriver(0);
    assert_int_equal(CsqTimerApp(&Result, 1500), 0);
    assert_true(Result.Opened && Result.ProcessOk);
    FindRequests(Queue, &Process);

    /* IOCTL_PROCESS set a 1 s periodic timer and completed at once. */
    Index = 0;
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceTimerSet, NULL, &Set));
    assert_int_equal(Set.Argument[0] - Set.Time, 10000000);
    assert_int_equal(Set.Argument[1], 1000);
    assert_int_equal(LessonIrpFinalStatus(Process), STATUS_SUCCESS);
    assert_int_equal(LessonIrpEventCount(Process, IrpSimTraceIrpMarkedPending), 0);

    /* Each request went into the CSQ and pended. */
    for (i = 0; i < CSQTIMER_REQUESTS; i++) {
        assert_int_equal(LessonIrpEventCount(Queue[i], IrpSimTraceCsqInsert), 1);
        assert_true(LessonIrpFindEvent(Queue[i], IrpSimTraceIrpDispatchReturned, 0, &Completion));
        assert_int_equal((NTSTATUS)Completion.Argument[1], STATUS_PENDING);
        AssertNoCompletionWithCancelRoutine(Queue[i]);
    }

    /* The tick's DPC completes request 1 through IoCsqRemoveNextIrp, at
       DISPATCH_LEVEL, at 1 s, before CancelIo. */
    assert_int_equal(LessonIrpFinalStatus(Queue[0]), STATUS_SUCCESS);
    assert_int_equal(LessonIrpEventCount(Queue[0], IrpSimTraceCsqRemove), 1);
    assert_true(LessonIrpFindEvent(Queue[0], IrpSimTraceIrpCompleteBegin, 0, &Completion));
    assert_int_equal(Completion.Irql, DISPATCH_LEVEL);
    assert_int_equal(Completion.Time, 10000000);
    Index = 0;
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceIrpCancelRequested, NULL, &CancelIo)); /* CancelIo's first IoCancelIrp */
    assert_true(Completion.Sequence < CancelIo.Sequence);
    assert_int_equal(LessonIrpEventCount(Queue[0], IrpSimTraceIrpCancelRequested), 0);
    assert_int_equal(Result.Error[0], 0);

    /* Requests 2 and 3 were still queued: CancelIo cancelled them, the
       CSQ's cancel routine took them out (CsqCancel) and completed them. */
    for (i = 1; i < CSQTIMER_REQUESTS; i++) {
        assert_int_equal(LessonIrpFinalStatus(Queue[i]), STATUS_CANCELLED);
        assert_int_equal(LessonIrpEventCount(Queue[i], IrpSimTraceCsqCancel), 1);
        assert_int_equal(LessonIrpEventCount(Queue[i], IrpSimTraceCsqRemove), 0);
        assert_true(LessonIrpFindEvent(Queue[i], IrpSimTraceIrpCancelRoutineRun, 0, &Cancelled));
        assert_true(Cancelled.Sequence > Completion.Sequence);
        assert_int_equal(Cancelled.Time, 15000000);
        assert_int_equal(Result.Error[i], CSQTIMER_ERROR_CANCELLED);
    }

    /* The next tick finds the queue empty and the DPC cancels the timer. */
    IrpSimRunUntilIdle(20000000);
    Index = 0;
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceTimerCancelled, NULL, &Cancelled));
    assert_int_equal(Cancelled.Irql, DISPATCH_LEVEL);
    assert_int_equal(Cancelled.Time, 20000000);
}

/* Sleep(2500) on the virtual clock: ticks at 1 s and 2 s take requests 1
   and 2, CancelIo at 2.5 s cancels request 3. */
static void test_corrected_driver_virtual_two_ticks(void **State)
{
    CSQTIMER_APP_RESULT Result;
    ULONG Queue[CSQTIMER_REQUESTS], Process;
    IRPSIM_TRACE_EVENT Event;
    (void)State;
    LoadDriver(0);
    assert_int_equal(CsqTimerApp(&Result, 2500), 0);
    FindRequests(Queue, &Process);
    assert_int_equal(LessonIrpFinalStatus(Queue[0]), STATUS_SUCCESS);
    assert_int_equal(LessonIrpFinalStatus(Queue[1]), STATUS_SUCCESS);
    assert_int_equal(LessonIrpFinalStatus(Queue[2]), STATUS_CANCELLED);
    assert_true(LessonIrpFindEvent(Queue[0], IrpSimTraceIrpCompleteBegin, 0, &Event));
    assert_int_equal(Event.Time, 10000000);
    assert_true(LessonIrpFindEvent(Queue[1], IrpSimTraceIrpCompleteBegin, 0, &Event));
    assert_int_equal(Event.Time, 20000000);
    assert_true(LessonIrpFindEvent(Queue[2], IrpSimTraceIrpCancelRoutineRun, 0, &Event));
    assert_int_equal(Event.Time, 25000000);
    assert_int_equal(Result.Error[0], 0);
    assert_int_equal(Result.Error[1], 0);
    assert_int_equal(Result.Error[2], CSQTIMER_ERROR_CANCELLED);
}

/* The article's Sleep(1000), on either clock: the first tick and the end
   of the sleep fall on the same instant (exactly, on the virtual clock).
   On the real clock request 1 may go either way. Whatever the outcome,
   every request ended, successes were taken in queue order, the rest were
   cancelled, and no IRP was completed with a cancel routine set. Returns
   how many succeeded. */
static ULONG CheckArticleSleep(void)
{
    CSQTIMER_APP_RESULT Result;
    ULONG Queue[CSQTIMER_REQUESTS], Process, i, Successes = 0;
    LoadDriver(0);
    assert_int_equal(CsqTimerApp(&Result, 1000), 0);
    FindRequests(Queue, &Process);
    for (i = 0; i < CSQTIMER_REQUESTS; i++) {
        NTSTATUS Status = LessonIrpFinalStatus(Queue[i]);
        AssertNoCompletionWithCancelRoutine(Queue[i]);
        if (Status == STATUS_SUCCESS) {
            assert_int_equal(Successes, i);
            assert_int_equal(Result.Error[i], 0);
            Successes++;
        } else {
            assert_int_equal(Status, STATUS_CANCELLED);
            assert_int_equal(Result.Error[i], CSQTIMER_ERROR_CANCELLED);
        }
    }
    assert_true(Successes <= 2);
    return Successes;
}

static void test_corrected_driver_article_sleep_real(void **State)
{
    (void)State;
    (void)CheckArticleSleep();
}

static void test_corrected_driver_article_sleep_virtual(void **State)
{
    IRPSIM_TRACE_EVENT Event;
    ULONG Index = 0;
    (void)State;
    /* A true tie, settled as on one processor: the tick's DPC runs before
       the thread whose Sleep ends at that instant continues, so request 1
       succeeds and CancelIo finds only requests 2 and 3. */
    assert_int_equal(CheckArticleSleep(), 1);
    /* Everything happened at exactly 1 s. */
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceIrpCancelRoutineRun, NULL, &Event));
    assert_int_equal(Event.Time, 10000000);
}

/* The first bug check of the session, on whichever thread. */
static volatile LONG FirstTaken;
static IRPSIM_BUGCHECK_INFO First;

static VOID RecordFirstBugCheck(const IRPSIM_BUGCHECK_INFO *Info, PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    if (InterlockedCompareExchange(&FirstTaken, 1, 0) == 0) {
        First = *Info;
        First.Report = NULL; /* not kept */
        First.Rule = NULL;
    }
}

static void test_article_completes_behind_the_csq(void **State)
{
    static IRPSIM_BUGCHECK_CATCH Catch;
    CSQTIMER_APP_RESULT Result;
    ULONG Queue[CSQTIMER_REQUESTS], Process, Index = 0;
    IRPSIM_TRACE_EVENT Completion, BugCheck;
    (void)State;
    LoadDriver(ARTICLE_MISTAKE_COMPLETE_BEHIND_CSQ);
    FirstTaken = 0;
    IrpSimSetBugCheckHandler(RecordFirstBugCheck, NULL);
    /* The bug check happens in the DPC at 1 s, which stops; the
       application's thread, in Sleep(1500), unwinds from that wait. (With
       the article's Sleep(1000) its CancelIo can get in first and run into
       the consequence: the CSQ unlinking an IRP the DPC already unlinked,
       0x139 list corruption.) */
    IRPSIM_CATCH_BUGCHECK(Catch, (void)CsqTimerApp(&Result, 1500));
    IrpSimSetBugCheckHandler(NULL, NULL);
    assert_true(Catch.Caught);
    assert_int_equal(Catch.Info.Code, DRIVER_VERIFIER_IOMANAGER_VIOLATION);

    /* The first bug check: 0xC9/0x07, the CSQ's cancel routine still set
       in request 1, completed at DISPATCH_LEVEL by the DPC, which took it
       off the list without CsqRemove. */
    assert_true(FirstTaken);
    assert_int_equal(First.Code, DRIVER_VERIFIER_IOMANAGER_VIOLATION);
    assert_int_equal(First.Parameter[0], 0x07);
    assert_true(First.Parameter[1] != 0);
    assert_non_null(First.Irp);
    assert_int_equal(First.Parameter[2], (ULONG_PTR)First.Irp);
    assert_non_null(strstr(First.Hint, "IO_CSQ"));

    FindRequests(Queue, &Process);
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceBugCheck, NULL, &BugCheck));
    assert_int_equal(BugCheck.Argument[0], DRIVER_VERIFIER_IOMANAGER_VIOLATION);
    assert_true(LessonIsIrp(&BugCheck, Queue[0]));
    assert_int_equal(BugCheck.Irql, DISPATCH_LEVEL);
    assert_int_equal(LessonIrpEventCount(Queue[0], IrpSimTraceCsqInsert), 1);
    assert_int_equal(LessonIrpEventCount(Queue[0], IrpSimTraceCsqRemove), 0);
    assert_true(LessonIrpFindEvent(Queue[0], IrpSimTraceIrpCancelRoutineSet, 0, &Completion));
    assert_true(Completion.Argument[0] != 0);
    assert_int_equal(LessonIrpEventCount(Queue[0], IrpSimTraceIrpCancelRoutineSet), 1); /* never cleared */
}

static void test_article_raw_spin_lock(void **State)
{
    CSQTIMER_APP_RESULT Result;
    (void)State;
    LoadDriver(ARTICLE_MISTAKE_RAW_SPIN_LOCK);
    /* IoCsqInsertIrp calls CsqAcquireLock from the dispatch routine, at
       PASSIVE_LEVEL: KeAcquireSpinLockAtDpcLevel refuses. */
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, (void)CsqTimerApp(&Result, 1000));
    irpsim_assert_bugcheck_parameter(0, 0x40);
    irpsim_assert_bugcheck_parameter(1, PASSIVE_LEVEL);
    assert_int_equal(LessonCountKind(IrpSimTraceCsqInsert), 0);
}

static void test_article_peek_never_finds_anything(void **State)
{
    CSQTIMER_APP_RESULT Result;
    ULONG Queue[CSQTIMER_REQUESTS], Process, i, Index = 0;
    IRPSIM_TRACE_EVENT Cancelled;
    (void)State;
    LoadDriver(ARTICLE_MISTAKE_PEEK_RETURNS_NULL);
    assert_int_equal(CsqTimerApp(&Result, 1500), 0);
    FindRequests(Queue, &Process);
    /* The first tick's IoCsqRemoveNextIrp found nothing, so the DPC
       cancelled the timer; CancelIo then cancelled all three. */
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceTimerCancelled, NULL, &Cancelled));
    assert_int_equal(Cancelled.Irql, DISPATCH_LEVEL);
    assert_int_equal(Cancelled.Time, 10000000);
    assert_int_equal(LessonCountKind(IrpSimTraceCsqRemove), 0);
    for (i = 0; i < CSQTIMER_REQUESTS; i++) {
        assert_int_equal(LessonIrpFinalStatus(Queue[i]), STATUS_CANCELLED);
        assert_int_equal(LessonIrpEventCount(Queue[i], IrpSimTraceCsqCancel), 1);
        assert_int_equal(Result.Error[i], CSQTIMER_ERROR_CANCELLED);
    }
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_corrected_driver_virtual_clock, SetupVirtual, Teardown),
        cmocka_unit_test_setup_teardown(test_corrected_driver_virtual_two_ticks, SetupVirtual, Teardown),
        cmocka_unit_test_setup_teardown(test_corrected_driver_article_sleep_virtual, SetupVirtual, Teardown),
        cmocka_unit_test_setup_teardown(test_corrected_driver_article_sleep_real, SetupReal, Teardown),
        cmocka_unit_test_setup_teardown(test_article_completes_behind_the_csq, SetupVirtual, Teardown),
        cmocka_unit_test_setup_teardown(test_article_raw_spin_lock, SetupVirtual, Teardown),
        cmocka_unit_test_setup_teardown(test_article_peek_never_finds_anything, SetupVirtual, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
