/*
 * System threads and thread/process queries (SEMANTICS 9.8, 5.5).
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

static int Setup(void **State)
{
    (void)State;
    return NT_SUCCESS(IrpSimInitialize(NULL)) ? 0 : -1;
}

static int Teardown(void **State)
{
    (void)State;
    IrpSimShutdown();
    return 0;
}

/* What a system thread saw about itself. */
typedef struct _OBSERVED {
    PETHREAD Thread;
    HANDLE ThreadId;
    BOOLEAN IsSystemThread;
    BOOLEAN IoIsSystem;
    KIRQL Irql;
    PEPROCESS Process;
    KPROCESSOR_MODE PreviousMode;
    BOOLEAN Terminating;
    NTSTATUS TerminateStatus; /* PsTerminateSystemThread's result when it returns */
    BOOLEAN Terminate;        /* call PsTerminateSystemThread */
    volatile LONG AfterTerminate;
} OBSERVED;

static VOID NTAPI ObservingThread(PVOID Context)
{
    OBSERVED *Observed = (OBSERVED *)Context;
    Observed->Thread = PsGetCurrentThread();
    Observed->ThreadId = PsGetCurrentThreadId();
    Observed->IsSystemThread = PsIsSystemThread(PsGetCurrentThread());
    Observed->IoIsSystem = IoIsSystemThread(PsGetCurrentThread());
    Observed->Irql = KeGetCurrentIrql();
    Observed->Process = PsGetCurrentProcess();
    Observed->PreviousMode = ExGetPreviousMode();
    Observed->Terminating = PsIsThreadTerminating(PsGetCurrentThread());
    if (Observed->Terminate) {
        PsTerminateSystemThread(STATUS_SUCCESS);
        Observed->AfterTerminate = 1; /* never reached */
    }
}

/* PsCreateSystemThread: the thread starts at PASSIVE_LEVEL in the System
   process; ClientId names it; the handle references its thread object,
   which is signalled when the thread ends; ZwClose closes the handle. */
static void test_create_wait_close(void **State)
{
    OBSERVED Observed;
    HANDLE Handle = NULL;
    CLIENT_ID ClientId;
    OBJECT_ATTRIBUTES Attributes;
    PVOID Object = NULL;
    (void)State;
    memset(&Observed, 0, sizeof(Observed));
    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    assert_int_equal(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, &Attributes, NULL, &ClientId, ObservingThread,
                                          &Observed),
                     STATUS_SUCCESS);
    assert_non_null(Handle);
    assert_int_equal(ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, &Object, NULL),
                     STATUS_SUCCESS);
    assert_int_equal(ZwClose(Handle), STATUS_SUCCESS);
    assert_int_equal(KeWaitForSingleObject(Object, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);

    assert_ptr_equal(Observed.Thread, Object);
    assert_ptr_equal(Observed.ThreadId, ClientId.UniqueThread);
    assert_ptr_equal(PsGetThreadId((PETHREAD)Object), ClientId.UniqueThread);
    assert_int_equal((ULONG_PTR)ClientId.UniqueThread % 4, 0);
    assert_int_equal((ULONG_PTR)ClientId.UniqueProcess, 4);
    assert_true(Observed.IsSystemThread);
    assert_true(Observed.IoIsSystem);
    assert_int_equal(Observed.Irql, PASSIVE_LEVEL);
    assert_ptr_equal(Observed.Process, PsGetCurrentProcess());
    assert_ptr_equal(PsGetThreadProcess((PETHREAD)Object), PsGetCurrentProcess());
    assert_int_equal(Observed.PreviousMode, KernelMode);
    assert_false(Observed.Terminating);
    assert_true(PsIsThreadTerminating((PETHREAD)Object));
    ObDereferenceObject(Object);
}

/* A closed handle is gone. */
static void test_handle_closed(void **State)
{
    OBSERVED Observed;
    HANDLE Handle;
    PVOID Object;
    PVOID Again;
    (void)State;
    memset(&Observed, 0, sizeof(Observed));
    assert_int_equal(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, ObservingThread, &Observed),
                     STATUS_SUCCESS);
    assert_int_equal(ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, &Object, NULL),
                     STATUS_SUCCESS);
    assert_int_equal(ZwClose(Handle), STATUS_SUCCESS);
    assert_int_equal(ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, &Again, NULL),
                     STATUS_INVALID_HANDLE);
    KeWaitForSingleObject(Object, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Object);
}

/* PsTerminateSystemThread does not return on a system thread. */
static void test_terminate_system_thread(void **State)
{
    OBSERVED Observed;
    HANDLE Handle;
    PVOID Object;
    (void)State;
    memset(&Observed, 0, sizeof(Observed));
    Observed.Terminate = TRUE;
    assert_int_equal(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, ObservingThread, &Observed),
                     STATUS_SUCCESS);
    ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, &Object, NULL);
    ZwClose(Handle);
    assert_int_equal(KeWaitForSingleObject(Object, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    assert_int_equal(Observed.AfterTerminate, 0);
    ObDereferenceObject(Object);
}

/* On a thread that is not a system thread it returns STATUS_INVALID_PARAMETER. */
static void test_terminate_non_system_thread(void **State)
{
    (void)State;
    assert_false(PsIsSystemThread(PsGetCurrentThread()));
    assert_false(IoIsSystemThread(PsGetCurrentThread()));
    assert_int_equal(PsTerminateSystemThread(STATUS_SUCCESS), STATUS_INVALID_PARAMETER);
}

/* Threads and the process are object-manager objects with the right types;
   NtCurrentProcess() / NtCurrentThread() work as handles. */
static void test_objects_and_ids(void **State)
{
    PVOID Process = NULL, Thread = NULL;
    (void)State;
    assert_ptr_equal(PsGetCurrentProcess(), IoGetCurrentProcess());
    assert_int_equal((ULONG_PTR)PsGetCurrentProcessId(), 4);
    assert_int_equal((ULONG_PTR)PsGetProcessId(PsGetCurrentProcess()), 4);
    assert_int_equal((ULONG_PTR)PsGetCurrentThreadId() % 4, 0);
    assert_ptr_equal(KeGetCurrentThread(), (PKTHREAD)PsGetCurrentThread());
    assert_int_equal(ObReferenceObjectByHandle(NtCurrentProcess(), 0, *PsProcessType, KernelMode, &Process, NULL),
                     STATUS_SUCCESS);
    assert_ptr_equal(Process, PsGetCurrentProcess());
    ObDereferenceObject(Process);
    assert_int_equal(ObReferenceObjectByHandle(NtCurrentThread(), 0, *PsThreadType, KernelMode, &Thread, NULL),
                     STATUS_SUCCESS);
    assert_ptr_equal(Thread, PsGetCurrentThread());
    ObDereferenceObject(Thread);
    assert_int_equal(ExGetPreviousMode(), KernelMode);
}

/* Priorities are recorded and reported; one outside 0..31 is reported
   (0xC4/0x1504, irpsim's code). */
static void test_priority(void **State)
{
    PKTHREAD Thread = KeGetCurrentThread();
    KPRIORITY Old;
    (void)State;
    Old = KeQueryPriorityThread(Thread);
    assert_int_equal(KeSetPriorityThread(Thread, LOW_REALTIME_PRIORITY), Old);
    assert_int_equal(KeQueryPriorityThread(Thread), LOW_REALTIME_PRIORITY);
    KeSetPriorityThread(Thread, Old);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeSetPriorityThread(Thread, 32));
    irpsim_assert_bugcheck_parameter(0, 0x1504);
    assert_int_equal(KeQueryPriorityThread(Thread), Old);
}

/* Starts a system thread and waits for it; the thread object stays in
   WaitedThread (a global: the wait may end by unwinding to a catch frame
   armed before the thread was created). */
static PVOID WaitedThread;

static VOID StartAndWait(PKSTART_ROUTINE Routine, PVOID Context)
{
    HANDLE Handle;
    WaitedThread = NULL;
    if (!NT_SUCCESS(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, Routine, Context)))
        return;
    ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, &WaitedThread, NULL);
    ZwClose(Handle);
    KeWaitForSingleObject(WaitedThread, Executive, KernelMode, FALSE, NULL);
}

static VOID FinishWaitedThread(VOID)
{
    assert_non_null(WaitedThread);
    assert_int_equal(KeWaitForSingleObject(WaitedThread, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    ObDereferenceObject(WaitedThread);
    WaitedThread = NULL;
}

/* A system thread that bug checks while the test waits for it: the test's
   catch frame gets the bug check, the crashed thread ends (its object is
   signalled) and shutdown still works. */
static VOID NTAPI CrashingThread(PVOID Context)
{
    KSPIN_LOCK *Lock = (KSPIN_LOCK *)Context;
    KIRQL Old;
    KeAcquireSpinLock(Lock, &Old);
    KeAcquireSpinLock(Lock, &Old); /* 0xF */
}

static void test_crash_in_system_thread(void **State)
{
    static KSPIN_LOCK Lock;
    (void)State;
    KeInitializeSpinLock(&Lock);
    irpsim_assert_bugcheck(SPIN_LOCK_ALREADY_OWNED, StartAndWait(CrashingThread, &Lock));
    irpsim_assert_bugcheck_parameter(0, (ULONG_PTR)&Lock);
    FinishWaitedThread();
    assert_true(KeTestSpinLock(&Lock)); /* released when the thread was reset */
}

/* A system thread returning while holding a spin lock: 0xC4/0x100A. */
static VOID NTAPI LockHoldingThread(PVOID Context)
{
    KIRQL Old;
    KeAcquireSpinLock((KSPIN_LOCK *)Context, &Old);
    KeLowerIrql(PASSIVE_LEVEL); /* drop the IRQL but keep the lock */
}

static void test_thread_returns_holding_lock(void **State)
{
    static KSPIN_LOCK Lock;
    (void)State;
    KeInitializeSpinLock(&Lock);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, StartAndWait(LockHoldingThread, &Lock));
    irpsim_assert_bugcheck_parameter(0, 0x100A);
    irpsim_assert_bugcheck_parameter(1, (ULONG_PTR)&Lock);
    irpsim_assert_bugcheck_parameter(2, (ULONG_PTR)WaitedThread);
    FinishWaitedThread();
    assert_true(KeTestSpinLock(&Lock));
}

/* PsTerminateSystemThread while holding a spin lock: 0xC4/0x100A. */
static VOID NTAPI TerminateHoldingLockThread(PVOID Context)
{
    KIRQL Old;
    KeAcquireSpinLock((KSPIN_LOCK *)Context, &Old);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static void test_terminate_holding_lock(void **State)
{
    static KSPIN_LOCK Lock;
    (void)State;
    KeInitializeSpinLock(&Lock);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, StartAndWait(TerminateHoldingLockThread, &Lock));
    irpsim_assert_bugcheck_parameter(0, 0x100A);
    FinishWaitedThread();
    assert_true(KeTestSpinLock(&Lock));
}

/* A system thread still waiting when IrpSimShutdown runs is ended and
   joined by the shutdown (here: in the teardown). */
static KEVENT NeverSignalled;

static VOID NTAPI ForeverThread(PVOID Context)
{
    (void)Context;
    KeWaitForSingleObject(&NeverSignalled, Executive, KernelMode, FALSE, NULL);
}

static void test_thread_left_waiting_at_shutdown(void **State)
{
    HANDLE Handle;
    (void)State;
    KeInitializeEvent(&NeverSignalled, NotificationEvent, FALSE);
    assert_int_equal(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, ForeverThread, NULL),
                     STATUS_SUCCESS);
    ZwClose(Handle);
    IrpSimRunUntilIdle(0);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_create_wait_close, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_handle_closed, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_terminate_system_thread, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_terminate_non_system_thread, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_objects_and_ids, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_priority, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_crash_in_system_thread, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_thread_returns_holding_lock, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_terminate_holding_lock, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_thread_left_waiting_at_shutdown, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
