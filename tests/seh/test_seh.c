/*
 * Structured exception handling in driver code built by GCC/Clang
 * (<irpsim/wdk/seh.h>): __try/__except/__finally/__leave with Microsoft's
 * semantics (MSDN "try-except statement", "try-finally statement",
 * "Structured Exception Handling (C/C++)"), and the exceptions the kernel
 * raises (ExRaiseStatus and friends, noncontinuable as on Windows).
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

#include "ke/except.h" /* KiResetExceptionFrames: see Teardown */

/* Records the order things happen in. */
static int Events[64];
static int EventCount;
#define EVENT(x) (Events[EventCount++] = (x))

static void ExpectEvents(const int *Expected, int Count)
{
    assert_int_equal(EventCount, Count);
    for (int i = 0; i < Count; i++)
        assert_int_equal(Events[i], Expected[i]);
}
#define EXPECT_EVENTS(...)                                                                                             \
    do {                                                                                                               \
        static const int Expected_[] = {__VA_ARGS__};                                                                  \
        ExpectEvents(Expected_, (int)(sizeof(Expected_) / sizeof(int)));                                               \
    } while (0)

static int Setup(void **State)
{
    (void)State;
    EventCount = 0;
    return NT_SUCCESS(IrpSimInitialize(NULL)) ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    /* A failed assertion inside a __try longjmps out of it (cmocka); start
       the next test with an empty frame list whatever happened. */
    KiResetExceptionFrames(NULL);
    IrpSimShutdown();
    return 0;
}

static DECLSPEC_NOINLINE VOID Raise(NTSTATUS Status)
{
    ExRaiseStatus(Status);
}

static LONG Filter(NTSTATUS Code, LONG Verdict, int Event)
{
    (void)Code;
    EVENT(Event);
    return Verdict;
}

/* An exception raised in a called function lands in the __except block;
   the rest of the __try body does not run; GetExceptionCode() works in
   the filter and in the handler. */
static void test_except_catches_raise(void **State)
{
    NTSTATUS InFilter = 0, InHandler = 0;
    (void)State;
    __try {
        EVENT(1);
        Raise(STATUS_INSUFFICIENT_RESOURCES);
        EVENT(2);
    } __except (InFilter = GetExceptionCode(), EXCEPTION_EXECUTE_HANDLER) {
        EVENT(3);
        InHandler = GetExceptionCode();
    }
    EVENT(4);
    EXPECT_EVENTS(1, 3, 4);
    assert_int_equal(InFilter, STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(InHandler, STATUS_INSUFFICIENT_RESOURCES);
}

/* No exception: the __except block is skipped. */
static void test_except_skipped_without_exception(void **State)
{
    (void)State;
    __try {
        EVENT(1);
    } __except (EVENT(99), EXCEPTION_EXECUTE_HANDLER) {
        EVENT(98);
    }
    EVENT(2);
    EXPECT_EVENTS(1, 2);
}

/* Nested frames: the innermost handler that accepts takes the exception;
   an exception raised in a handler block goes to the enclosing frames,
   not to the frame whose handler is running. */
static void test_nesting(void **State)
{
    (void)State;
    __try {
        __try {
            Raise(0x11);
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            EVENT(1);
            assert_int_equal(GetExceptionCode(), 0x11);
            Raise(0x22);
            EVENT(99);
        }
        EVENT(98);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        EVENT(2);
        assert_int_equal(GetExceptionCode(), 0x22);
    }
    EXPECT_EVENTS(1, 2);
}

/* __finally runs when the body ends normally, once, with
   AbnormalTermination() FALSE. */
static void test_finally_normal_exit(void **State)
{
    BOOLEAN Abnormal = TRUE;
    (void)State;
    __try {
        EVENT(1);
    } __finally {
        EVENT(2);
        Abnormal = AbnormalTermination();
    }
    EVENT(3);
    EXPECT_EVENTS(1, 2, 3);
    assert_false(Abnormal);
}

/* During an unwind every __finally between the raise and the handler runs,
   innermost first, with AbnormalTermination() TRUE, before the handler. */
static void test_finally_during_unwind(void **State)
{
    /* volatile: set in a __finally run by the unwind, read after the
       handler (the setjmp rule, seh.h) */
    volatile BOOLEAN Abnormal[2] = {FALSE, FALSE};
    (void)State;
    __try {
        __try {
            __try {
                Raise(STATUS_ACCESS_VIOLATION);
            } __finally {
                EVENT(1);
                Abnormal[0] = AbnormalTermination();
            }
            EVENT(99);
        } __finally {
            EVENT(2);
            Abnormal[1] = AbnormalTermination();
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        EVENT(3);
    }
    EXPECT_EVENTS(1, 2, 3);
    assert_true(Abnormal[0]);
    assert_true(Abnormal[1]);
}

/* A filter that is not a constant sees the exception through
   GetExceptionCode() and GetExceptionInformation(): the record is
   noncontinuable (ExRaiseStatus) and names the raising code. */
static void test_filter_sees_exception(void **State)
{
    PEXCEPTION_POINTERS Seen = NULL;
    PVOID Context = (PVOID)1;
    EXCEPTION_RECORD Copy;
    (void)State;
    memset(&Copy, 0, sizeof(Copy));
    __try {
        Raise(STATUS_DATATYPE_MISALIGNMENT);
    } __except (Seen = GetExceptionInformation(), Copy = *Seen->ExceptionRecord, Context = Seen->ContextRecord,
                GetExceptionCode() == STATUS_DATATYPE_MISALIGNMENT ? EXCEPTION_EXECUTE_HANDLER
                                                                   : EXCEPTION_CONTINUE_SEARCH) {
        EVENT(1);
    }
    EXPECT_EVENTS(1);
    assert_int_equal(Copy.ExceptionCode, STATUS_DATATYPE_MISALIGNMENT);
    assert_int_equal(Copy.ExceptionFlags & EXCEPTION_NONCONTINUABLE, EXCEPTION_NONCONTINUABLE);
    assert_int_equal(Copy.NumberParameters, 0);
    assert_non_null(Copy.ExceptionAddress);
    assert_null(Context); /* (the pointers are valid only in the filter) */
}

/* EXCEPTION_CONTINUE_SEARCH (constant or computed) passes the exception to
   the enclosing handler. */
static void test_continue_search(void **State)
{
    (void)State;
    __try {
        __try {
            Raise(0x33);
        } __except (EXCEPTION_CONTINUE_SEARCH) {
            EVENT(99);
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        EVENT(1);
    }
    __try {
        __try {
            Raise(0x44);
        } __except (Filter(GetExceptionCode(), EXCEPTION_CONTINUE_SEARCH, 2)) {
            EVENT(98);
        }
    } __except (Filter(GetExceptionCode(), EXCEPTION_EXECUTE_HANDLER, 3)) {
        EVENT(4);
        assert_int_equal(GetExceptionCode(), 0x44);
    }
    EXPECT_EVENTS(1, 2, 3, 4);
}

/* __leave ends the __try body (also from inside a loop in it); the
   __finally then runs as a normal termination. */
static void test_leave(void **State)
{
    BOOLEAN Abnormal = TRUE;
    volatile int Stop = 1;
    (void)State;
    __try {
        EVENT(1);
        for (int i = 0; i < 10; i++) {
            if (i == 2 && Stop)
                __leave;
            EVENT(10 + i);
        }
        EVENT(99);
    } __finally {
        EVENT(2);
        Abnormal = AbnormalTermination();
    }
    __try {
        EVENT(3);
        if (Stop)
            __leave;
        EVENT(98);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        EVENT(97);
    }
    EXPECT_EVENTS(1, 10, 11, 2, 3);
    assert_false(Abnormal);
}

/* AbnormalTermination() answers for the innermost __finally block. */
static void test_abnormal_termination_nested(void **State)
{
    volatile BOOLEAN Inner = TRUE, OuterBefore = FALSE, OuterAfter = FALSE; /* the setjmp rule, seh.h */
    (void)State;
    __try {
        __try {
            Raise(0x55);
        } __finally {
            OuterBefore = AbnormalTermination();
            __try {
                EVENT(1);
            } __finally {
                Inner = AbnormalTermination();
            }
            OuterAfter = AbnormalTermination();
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        EVENT(2);
    }
    EXPECT_EVENTS(1, 2);
    assert_true(OuterBefore);
    assert_false(Inner);
    assert_true(OuterAfter);
}

/* return from a __try body or an __except block, and break / continue out
   of a __try body, leave as they do on Windows (with no __finally to run).
   A function that returns on every path inside a __try/__except compiles
   without a -Wreturn-type warning, as with the Microsoft compiler; except
   under GCC's ThreadSanitizer without optimisation, which wraps the whole
   function in a cleanup and then cannot see that (see seh.h). */
#if defined(__SANITIZE_THREAD__) && !defined(__OPTIMIZE__)
#define GCC_TSAN_O0_RETURN(Value) return (Value)
#else
#define GCC_TSAN_O0_RETURN(Value)
#endif

static int ReturnFromBody(void)
{
    __try {
        return 42;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return 1;
    }
    GCC_TSAN_O0_RETURN(0);
}

static NTSTATUS ReturnFromHandler(void)
{
    __try {
        Raise(STATUS_INVALID_PARAMETER);
        return STATUS_SUCCESS;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    GCC_TSAN_O0_RETURN(0);
}

static void test_jumps_out_of_try_except(void **State)
{
    int i, Counted = 0;
    (void)State;
    assert_int_equal(ReturnFromBody(), 42);
    assert_int_equal(ReturnFromHandler(), STATUS_INVALID_PARAMETER);
    for (i = 0; i < 10; i++) {
        __try {
            if (i == 3)
                break;
        } __except (EXCEPTION_EXECUTE_HANDLER) {
        }
    }
    assert_int_equal(i, 3);
    for (i = 0; i < 10; i++) {
        __try {
            if (i & 1)
                continue;
            Counted++;
        } __except (EXCEPTION_EXECUTE_HANDLER) {
        }
    }
    assert_int_equal(Counted, 5);
    /* And the frame list is still right: */
    __try {
        Raise(0x66);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        EVENT(1);
    }
    EXPECT_EVENTS(1);
}

/* The old spellings (C): try / except / finally / leave, as in the
   KB 320275 sample (seed 002, scenario 6). */
static NTSTATUS OldSpellings(BOOLEAN Fail)
{
    NTSTATUS Status = STATUS_SUCCESS;
    try {
        try {
            if (Fail)
                Raise(STATUS_ACCESS_VIOLATION);
            leave;
        } finally {
            EVENT(AbnormalTermination() ? 2 : 1);
        }
    }
    except(EXCEPTION_EXECUTE_HANDLER)
    {
        Status = GetExceptionCode();
    }
    return Status;
}

static void test_old_spellings(void **State)
{
    (void)State;
    assert_int_equal(OldSpellings(FALSE), STATUS_SUCCESS);
    assert_int_equal(OldSpellings(TRUE), STATUS_ACCESS_VIOLATION);
    EXPECT_EVENTS(1, 2);
}

/* The raising routines: codes, noncontinuable, and the caller's address. */
static void test_raise_routines(void **State)
{
    NTSTATUS Codes[4] = {0, 0, 0, 0};
    (void)State;
    __try {
        ExRaiseAccessViolation();
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        Codes[0] = GetExceptionCode();
    }
    __try {
        ExRaiseDatatypeMisalignment();
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        Codes[1] = GetExceptionCode();
    }
    __try {
        RtlRaiseStatus(STATUS_NO_MEMORY);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        Codes[2] = GetExceptionCode();
    }
    __try {
        ExRaiseStatus(STATUS_UNSUCCESSFUL);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        Codes[3] = GetExceptionCode();
    }
    assert_int_equal(Codes[0], STATUS_ACCESS_VIOLATION);
    assert_int_equal(Codes[1], STATUS_DATATYPE_MISALIGNMENT);
    assert_int_equal(Codes[2], STATUS_NO_MEMORY);
    assert_int_equal(Codes[3], STATUS_UNSUCCESSFUL);
}

/* An exception raised in a __finally block during a normal termination
   propagates like any other. */
static void test_exception_in_finally(void **State)
{
    (void)State;
    __try {
        __try {
            EVENT(1);
        } __finally {
            EVENT(2);
            Raise(0x77);
        }
        EVENT(99);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        EVENT(3);
        assert_int_equal(GetExceptionCode(), 0x77);
    }
    EXPECT_EVENTS(1, 2, 3);
}

/* The IRQL is not restored by an unwind (SEH knows nothing of IRQL). */
static void test_irql_not_restored(void **State)
{
    KIRQL Old = PASSIVE_LEVEL;
    (void)State;
    __try {
        KeRaiseIrql(DISPATCH_LEVEL, &Old);
        Raise(0x88);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
        KeLowerIrql(Old);
    }
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

#if defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
/* With GCC, locals changed in the __try body keep their values in the
   handler, as with the Microsoft compiler. */
static void test_locals_survive_unwind(void **State)
{
    int Total = 0;
    NTSTATUS Status = STATUS_SUCCESS;
    (void)State;
    for (int i = 0; i < 5; i++) {
        __try {
            Total += i;
            Status = (NTSTATUS)(200 + i);
            if (i == 3)
                Raise(1);
            Status = (NTSTATUS)(300 + i);
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            assert_int_equal(Status, 203);
            assert_int_equal(Total, 6);
        }
    }
    assert_int_equal(Total, 10);
}
#endif

/* No handler: the machine stops with KMODE_EXCEPTION_NOT_HANDLED,
   P1 = the code, P2 = where it was raised. */
static void test_unhandled_bugchecks(void **State)
{
    (void)State;
    irpsim_assert_bugcheck(KMODE_EXCEPTION_NOT_HANDLED, Raise(STATUS_ACCESS_VIOLATION));
    irpsim_assert_bugcheck_parameter(0, (ULONG)STATUS_ACCESS_VIOLATION);
    assert_true(irpsim_last_bugcheck.Info.Parameter[1] != 0);
}

/* Every filter declines: still unhandled, found before anything unwinds,
   so no __finally runs (Windows searches all filters first). */
static void RaiseThroughDecliningFrames(void)
{
    __try {
        __try {
            Raise(0x99);
        } __except (EXCEPTION_CONTINUE_SEARCH) {
            EVENT(97);
        }
    } __finally {
        EVENT(98);
    }
}

static void test_unhandled_through_declining_frames(void **State)
{
    PVOID Marker = KiCurrentExceptionFrameMarker();
    (void)State;
    irpsim_assert_bugcheck(KMODE_EXCEPTION_NOT_HANDLED, RaiseThroughDecliningFrames());
    /* The catch frame skipped two __try frames: drop them, as the bug-check
       catch code does with its marker. */
    KiResetExceptionFrames(Marker);
    irpsim_assert_bugcheck_parameter(0, 0x99);
    assert_int_equal(EventCount, 0);
    /* The list works again afterwards. */
    __try {
        Raise(0x12);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        EVENT(1);
    }
    EXPECT_EVENTS(1);
}

/* In a system thread an unhandled exception is
   SYSTEM_THREAD_EXCEPTION_NOT_HANDLED (0x7E), P1 = the code. */
static VOID NTAPI RaisingThread(PVOID Context)
{
    /* Raise only once the test's catch frame is armed. */
    KeWaitForSingleObject((PKEVENT)Context, Executive, KernelMode, FALSE, NULL);
    Raise(STATUS_INVALID_DEVICE_REQUEST);
}

static void test_unhandled_in_system_thread(void **State)
{
    static KEVENT Go;
    HANDLE Handle;
    PVOID Object;
    (void)State;
    KeInitializeEvent(&Go, NotificationEvent, FALSE);
    assert_int_equal(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, RaisingThread, &Go),
                     STATUS_SUCCESS);
    assert_int_equal(ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, &Object, NULL),
                     STATUS_SUCCESS);
    ZwClose(Handle);
    irpsim_assert_bugcheck(
        SYSTEM_THREAD_EXCEPTION_NOT_HANDLED,
        (KeSetEvent(&Go, IO_NO_INCREMENT, FALSE), KeWaitForSingleObject(Object, Executive, KernelMode, FALSE, NULL)));
    irpsim_assert_bugcheck_parameter(0, (ULONG)STATUS_INVALID_DEVICE_REQUEST);
    KeWaitForSingleObject(Object, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Object);
}

/* What the setjmp model cannot do is reported, not silently done wrong. */
static void ReturnOutOfTryFinally(void)
{
    __try {
        return;
    } __finally {
        EVENT(99);
    }
}

static void BreakOutOfTryFinally(void)
{
    for (;;) {
        __try {
            break;
        } __finally {
            EVENT(98);
        }
    }
}

static void ContinueExecution(void)
{
    __try {
        Raise(0x13);
    } __except (EXCEPTION_CONTINUE_EXECUTION) {
        EVENT(97);
    }
}

static void ComputedContinueExecution(void)
{
    __try {
        Raise(0x14);
    } __except (Filter(GetExceptionCode(), EXCEPTION_CONTINUE_EXECUTION, 1)) {
        EVENT(96);
    }
}

static void test_unsupported_cases_are_reported(void **State)
{
    PVOID Marker = KiCurrentExceptionFrameMarker();
    (void)State;
    irpsim_assert_bugcheck(IRPSIM_NOT_SIMULATED, ReturnOutOfTryFinally());
    KiResetExceptionFrames(Marker);
    irpsim_assert_bugcheck(IRPSIM_NOT_SIMULATED, BreakOutOfTryFinally());
    KiResetExceptionFrames(Marker);
    irpsim_assert_bugcheck(IRPSIM_NOT_SIMULATED, ContinueExecution());
    KiResetExceptionFrames(Marker);
    irpsim_assert_bugcheck(IRPSIM_NOT_SIMULATED, ComputedContinueExecution());
    KiResetExceptionFrames(Marker);
    EXPECT_EVENTS(1);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_except_catches_raise, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_except_skipped_without_exception, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_nesting, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_finally_normal_exit, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_finally_during_unwind, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_filter_sees_exception, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_continue_search, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_leave, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_abnormal_termination_nested, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_jumps_out_of_try_except, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_old_spellings, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_raise_routines, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_exception_in_finally, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_irql_not_restored, Setup, Teardown),
#if defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
        cmocka_unit_test_setup_teardown(test_locals_survive_unwind, Setup, Teardown),
#endif
        cmocka_unit_test_setup_teardown(test_unhandled_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_unhandled_through_declining_frames, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_unhandled_in_system_thread, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_cases_are_reported, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
