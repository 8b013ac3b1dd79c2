/*
 * Kernel semaphores and mutexes (SEMANTICS 9.4).
 */
#include "ke_test.h"

static LARGE_INTEGER ZeroTimeout(void)
{
    LARGE_INTEGER Zero;
    Zero.QuadPart = 0;
    return Zero;
}

/* KeInitializeSemaphore sets the count; a satisfied wait takes one;
   KeReleaseSemaphore adds Adjustment and returns the count before. */
static void test_semaphore_counts(void **State)
{
    KSEMAPHORE Semaphore;
    LARGE_INTEGER Zero = ZeroTimeout();
    (void)State;
    KeInitializeSemaphore(&Semaphore, 2, 5);
    assert_int_equal(Semaphore.Header.Type, SemaphoreObject);
    assert_int_equal(Semaphore.Limit, 5);
    assert_int_equal(KeReadStateSemaphore(&Semaphore), 2);
    assert_int_equal(KeWaitForSingleObject(&Semaphore, Executive, KernelMode, FALSE, &Zero), STATUS_WAIT_0);
    assert_int_equal(KeWaitForSingleObject(&Semaphore, Executive, KernelMode, FALSE, &Zero), STATUS_WAIT_0);
    assert_int_equal(KeWaitForSingleObject(&Semaphore, Executive, KernelMode, FALSE, &Zero), STATUS_TIMEOUT);
    assert_int_equal(KeReadStateSemaphore(&Semaphore), 0);
    assert_int_equal(KeReleaseSemaphore(&Semaphore, SEMAPHORE_INCREMENT, 3, FALSE), 0);
    assert_int_equal(KeReleaseSemaphore(&Semaphore, SEMAPHORE_INCREMENT, 2, FALSE), 3);
    assert_int_equal(KeReadStateSemaphore(&Semaphore), 5);
}

/* Releasing past the limit raises STATUS_SEMAPHORE_LIMIT_EXCEEDED and
   leaves the count unchanged. */
static void test_semaphore_limit(void **State)
{
    KSEMAPHORE Semaphore;
    volatile NTSTATUS Caught = STATUS_SUCCESS;
    (void)State;
    KeInitializeSemaphore(&Semaphore, 1, 2);
    __try {
        KeReleaseSemaphore(&Semaphore, SEMAPHORE_INCREMENT, 2, FALSE);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        Caught = GetExceptionCode();
    }
    assert_int_equal(Caught, STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    assert_int_equal(KeReadStateSemaphore(&Semaphore), 1);
}

/* KeInitializeMutex: signalled, no owner. Recursive acquisition by the
   owner; KeReleaseMutex returns the previous SignalState (-9 for a mutex
   acquired 10 times) [observed on Windows]. */
static void test_mutex_recursion(void **State)
{
    KMUTEX Mutex;
    (void)State;
    KeInitializeMutex(&Mutex, 0);
    assert_int_equal(Mutex.Header.Type, MutantObject);
    assert_int_equal(KeReadStateMutex(&Mutex), 1);
    assert_null(Mutex.OwnerThread);
    for (int i = 0; i < 10; i++)
        assert_int_equal(KeWaitForMutexObject(&Mutex, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    assert_ptr_equal(Mutex.OwnerThread, KeGetCurrentThread());
    assert_int_equal(KeReadStateMutex(&Mutex), -9);
    assert_int_equal(KeReleaseMutex(&Mutex, FALSE), -9);
    for (int i = 8; i >= 0; i--)
        assert_int_equal(KeReleaseMutex(&Mutex, FALSE), -i);
    assert_int_equal(KeReadStateMutex(&Mutex), 1);
    assert_null(Mutex.OwnerThread);
}

/* Owning a kernel mutex disables normal kernel APCs (a critical region)
   until the last release. */
static void test_mutex_owner_in_critical_region(void **State)
{
    KMUTEX Mutex;
    (void)State;
    KeInitializeMutex(&Mutex, 0);
    assert_false(KeAreApcsDisabled());
    KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL);
    assert_true(KeAreApcsDisabled());
    KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL);
    KeReleaseMutex(&Mutex, FALSE);
    assert_true(KeAreApcsDisabled());
    KeReleaseMutex(&Mutex, FALSE);
    assert_false(KeAreApcsDisabled());
}

/* A system thread takes the mutex and keeps it until told to go. */
typedef struct _HOLDER {
    PKMUTEX Mutex;
    KEVENT Acquired;
    KEVENT Release;
    BOOLEAN ReturnOwning; /* end the thread without releasing */
    NTSTATUS Status;
} HOLDER;

static VOID NTAPI HolderThread(PVOID Context)
{
    HOLDER *Holder = (HOLDER *)Context;
    Holder->Status = KeWaitForSingleObject(Holder->Mutex, Executive, KernelMode, FALSE, NULL);
    KeSetEvent(&Holder->Acquired, IO_NO_INCREMENT, FALSE);
    if (Holder->ReturnOwning)
        return;
    KeWaitForSingleObject(&Holder->Release, Executive, KernelMode, FALSE, NULL);
    KeReleaseMutex(Holder->Mutex, FALSE);
}

static PKTHREAD StartHolder(HOLDER *Holder, PKMUTEX Mutex, BOOLEAN ReturnOwning)
{
    PKTHREAD Thread;
    Holder->Mutex = Mutex;
    Holder->ReturnOwning = ReturnOwning;
    Holder->Status = STATUS_PENDING;
    KeInitializeEvent(&Holder->Acquired, NotificationEvent, FALSE);
    KeInitializeEvent(&Holder->Release, NotificationEvent, FALSE);
    Thread = KeTestStartThread(HolderThread, Holder);
    KeWaitForSingleObject(&Holder->Acquired, Executive, KernelMode, FALSE, NULL);
    assert_int_equal(Holder->Status, STATUS_WAIT_0);
    return Thread;
}

/* Another thread's mutex is not signalled for us; it is once released. */
static void test_mutex_contention(void **State)
{
    KMUTEX Mutex;
    HOLDER Holder;
    PKTHREAD Thread;
    LARGE_INTEGER Zero = ZeroTimeout();
    (void)State;
    KeInitializeMutex(&Mutex, 0);
    Thread = StartHolder(&Holder, &Mutex, FALSE);
    assert_ptr_equal(Mutex.OwnerThread, Thread);
    assert_int_equal(KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, &Zero), STATUS_TIMEOUT);
    KeSetEvent(&Holder.Release, IO_NO_INCREMENT, FALSE);
    assert_int_equal(KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    assert_ptr_equal(Mutex.OwnerThread, KeGetCurrentThread());
    KeReleaseMutex(&Mutex, FALSE);
    KeTestJoinThread(Thread);
}

/* Bug check 0x11 THREAD_NOT_MUTEX_OWNER: releasing a mutex another thread
   owns (P1 mutex, P2 owner, P3 caller); also a mutex nobody owns. */
static void test_mutex_release_by_non_owner(void **State)
{
    KMUTEX Mutex;
    HOLDER Holder;
    PKTHREAD Thread;
    (void)State;
    KeInitializeMutex(&Mutex, 0);
    irpsim_assert_bugcheck(THREAD_NOT_MUTEX_OWNER, KeReleaseMutex(&Mutex, FALSE));
    irpsim_assert_bugcheck_parameter(1, 0);
    Thread = StartHolder(&Holder, &Mutex, FALSE);
    irpsim_assert_bugcheck(THREAD_NOT_MUTEX_OWNER, KeReleaseMutex(&Mutex, FALSE));
    irpsim_assert_bugcheck_parameter(0, (ULONG_PTR)&Mutex);
    irpsim_assert_bugcheck_parameter(1, (ULONG_PTR)Thread);
    irpsim_assert_bugcheck_parameter(2, (ULONG_PTR)KeGetCurrentThread());
    KeSetEvent(&Holder.Release, IO_NO_INCREMENT, FALSE);
    KeTestJoinThread(Thread);
}

/* A thread that ends owning a mutex abandons it: the next wait gets it with
   STATUS_ABANDONED_WAIT_0 (+ index), and only that once. */
static void test_mutex_abandoned(void **State)
{
    KMUTEX Mutex;
    KEVENT Other;
    HOLDER Holder;
    PKTHREAD Thread;
    PVOID Objects[2];
    (void)State;
    KeInitializeMutex(&Mutex, 0);
    KeInitializeEvent(&Other, NotificationEvent, FALSE);
    Thread = StartHolder(&Holder, &Mutex, TRUE);
    KeTestJoinThread(Thread);
    assert_int_equal(KeReadStateMutex(&Mutex), 1);
    Objects[0] = &Other;
    Objects[1] = &Mutex;
    assert_int_equal(KeWaitForMultipleObjects(2, Objects, WaitAny, Executive, KernelMode, FALSE, NULL, NULL),
                     STATUS_ABANDONED_WAIT_0 + 1);
    KeReleaseMutex(&Mutex, FALSE);
    assert_int_equal(KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    KeReleaseMutex(&Mutex, FALSE);
}

/* Semaphores and mutexes never initialised are reported (0xC4/0x1002). */
static void test_uninitialised(void **State)
{
    KSEMAPHORE Semaphore;
    KMUTEX Mutex;
    (void)State;
    memset(&Semaphore, 0, sizeof(Semaphore));
    memset(&Mutex, 0, sizeof(Mutex));
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeReleaseSemaphore(&Semaphore, 0, 1, FALSE));
    irpsim_assert_bugcheck_parameter(0, 0x1002);
    irpsim_assert_bugcheck_parameter(1, (ULONG_PTR)&Semaphore);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeReadStateMutex(&Mutex));
    irpsim_assert_bugcheck_parameter(1, (ULONG_PTR)&Mutex);
    /* An event is not a mutex. */
    KeInitializeEvent((PKEVENT)&Mutex, NotificationEvent, FALSE);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeReleaseMutex(&Mutex, FALSE));
    irpsim_assert_bugcheck_parameter(2, EventNotificationObject);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_semaphore_counts, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_semaphore_limit, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_mutex_recursion, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_mutex_owner_in_critical_region, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_mutex_contention, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_mutex_release_by_non_owner, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_mutex_abandoned, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_uninitialised, KeTestSetup, KeTestTeardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
