/*
 * Kernel events (SEMANTICS 9.3): state transitions, return values,
 * notification versus synchronization semantics, and misuse.
 */
#include "ke_test.h"

/* KeInitializeEvent sets the initial state; KeSetEvent / KeResetEvent
   return the previous state; KeClearEvent clears without returning it. */
static void test_state_transitions(void **State)
{
    KEVENT Event;
    (void)State;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    assert_int_equal(Event.Header.Type, EventNotificationObject);
    assert_int_equal(KeReadStateEvent(&Event), 0);
    assert_int_equal(KeSetEvent(&Event, IO_NO_INCREMENT, FALSE), 0);
    assert_int_not_equal(KeReadStateEvent(&Event), 0);
    assert_int_not_equal(KeSetEvent(&Event, IO_NO_INCREMENT, FALSE), 0);
    assert_int_not_equal(KeResetEvent(&Event), 0);
    assert_int_equal(KeResetEvent(&Event), 0);
    KeSetEvent(&Event, IO_NO_INCREMENT, FALSE);
    KeClearEvent(&Event);
    assert_int_equal(KeReadStateEvent(&Event), 0);

    KeInitializeEvent(&Event, SynchronizationEvent, TRUE);
    assert_int_equal(Event.Header.Type, EventSynchronizationObject);
    assert_int_not_equal(KeReadStateEvent(&Event), 0);
}

/* A satisfied wait on a synchronization event resets it; on a notification
   event it stays signalled. */
static void test_wait_side_effects(void **State)
{
    KEVENT Sync, Notification;
    LARGE_INTEGER Zero;
    (void)State;
    Zero.QuadPart = 0;
    KeInitializeEvent(&Sync, SynchronizationEvent, TRUE);
    KeInitializeEvent(&Notification, NotificationEvent, TRUE);
    assert_int_equal(KeWaitForSingleObject(&Sync, Executive, KernelMode, FALSE, &Zero), STATUS_WAIT_0);
    assert_int_equal(KeReadStateEvent(&Sync), 0);
    assert_int_equal(KeWaitForSingleObject(&Sync, Executive, KernelMode, FALSE, &Zero), STATUS_TIMEOUT);
    assert_int_equal(KeWaitForSingleObject(&Notification, Executive, KernelMode, FALSE, &Zero), STATUS_WAIT_0);
    assert_int_equal(KeWaitForSingleObject(&Notification, Executive, KernelMode, FALSE, NULL), STATUS_WAIT_0);
    assert_int_not_equal(KeReadStateEvent(&Notification), 0);
}

/* Waiters on events, each in its own system thread. */
typedef struct _WAITER {
    PKEVENT Event;
    KEVENT Started;
    volatile LONG *Released;
    NTSTATUS Status;
} WAITER;

/* Runs in a system thread: no cmocka assertions here, the test checks Status. */
static VOID NTAPI WaiterThread(PVOID Context)
{
    WAITER *Waiter = (WAITER *)Context;
    KeSetEvent(&Waiter->Started, IO_NO_INCREMENT, FALSE);
    Waiter->Status = KeWaitForSingleObject(Waiter->Event, Executive, KernelMode, FALSE, NULL);
    InterlockedIncrement(Waiter->Released);
}

#define WAITERS 3

static VOID StartWaiters(PKEVENT Event, WAITER *Waiters, PKTHREAD *Threads, volatile LONG *Released)
{
    for (int i = 0; i < WAITERS; i++) {
        Waiters[i].Event = Event;
        Waiters[i].Released = Released;
        Waiters[i].Status = STATUS_PENDING;
        KeInitializeEvent(&Waiters[i].Started, NotificationEvent, FALSE);
        Threads[i] = KeTestStartThread(WaiterThread, &Waiters[i]);
        KeWaitForSingleObject(&Waiters[i].Started, Executive, KernelMode, FALSE, NULL);
    }
    /* Every waiter is now blocked on Event (or about to be). */
    IrpSimRunUntilIdle(0);
}

static VOID JoinWaiters(WAITER *Waiters, PKTHREAD *Threads)
{
    for (int i = 0; i < WAITERS; i++) {
        KeTestJoinThread(Threads[i]);
        assert_int_equal(Waiters[i].Status, STATUS_WAIT_0);
    }
}

/* Setting a notification event releases every waiter, and it stays set. */
static void test_notification_releases_all(void **State)
{
    KEVENT Event;
    WAITER Waiters[WAITERS];
    PKTHREAD Threads[WAITERS];
    volatile LONG Released = 0;
    (void)State;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    StartWaiters(&Event, Waiters, Threads, &Released);
    assert_int_equal(Released, 0);
    assert_int_equal(KeSetEvent(&Event, IO_NO_INCREMENT, FALSE), 0);
    JoinWaiters(Waiters, Threads);
    assert_int_equal(Released, WAITERS);
    assert_int_not_equal(KeReadStateEvent(&Event), 0);
}

/* Setting a synchronization event releases exactly one waiter per set and
   leaves the event not signalled. */
static void test_synchronization_releases_one(void **State)
{
    KEVENT Event;
    WAITER Waiters[WAITERS];
    PKTHREAD Threads[WAITERS];
    volatile LONG Released = 0;
    (void)State;
    KeInitializeEvent(&Event, SynchronizationEvent, FALSE);
    StartWaiters(&Event, Waiters, Threads, &Released);
    for (int Round = 1; Round <= WAITERS; Round++) {
        assert_int_equal(KeSetEvent(&Event, IO_NO_INCREMENT, FALSE), 0);
        IrpSimRunUntilIdle(0);
        assert_int_equal(Released, Round);
        assert_int_equal(KeReadStateEvent(&Event), 0);
    }
    JoinWaiters(Waiters, Threads);
}

/* KePulseEvent releases the current waiters and leaves the event reset;
   it returns the previous state. */
static void test_pulse(void **State)
{
    KEVENT Event;
    WAITER Waiters[WAITERS];
    PKTHREAD Threads[WAITERS];
    volatile LONG Released = 0;
    (void)State;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    assert_int_equal(KePulseEvent(&Event, IO_NO_INCREMENT, FALSE), 0);
    assert_int_equal(KeReadStateEvent(&Event), 0);
    StartWaiters(&Event, Waiters, Threads, &Released);
    assert_int_equal(KePulseEvent(&Event, IO_NO_INCREMENT, FALSE), 0);
    JoinWaiters(Waiters, Threads);
    assert_int_equal(Released, WAITERS);
    assert_int_equal(KeReadStateEvent(&Event), 0);
}

/* An event that was never initialised is reported (0xC4/0x1002, P2 the
   event) instead of corrupting memory. */
static void test_uninitialised(void **State)
{
    KEVENT Event;
    (void)State;
    memset(&Event, 0, sizeof(Event));
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeSetEvent(&Event, IO_NO_INCREMENT, FALSE));
    irpsim_assert_bugcheck_parameter(0, 0x1002);
    irpsim_assert_bugcheck_parameter(1, (ULONG_PTR)&Event);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION,
                           KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL));
    irpsim_assert_bugcheck_parameter(0, 0x1002);
}

/* A KEVENT copied by value is not an initialised event either. */
static void test_copied_event(void **State)
{
    KEVENT Original, Copy;
    (void)State;
    KeInitializeEvent(&Original, NotificationEvent, FALSE);
    memcpy(&Copy, &Original, sizeof(Copy));
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeReadStateEvent(&Copy));
    irpsim_assert_bugcheck_parameter(1, (ULONG_PTR)&Copy);
}

/* Verifier 0xC4/0x80: KeSetEvent above DISPATCH_LEVEL. */
static void test_set_above_dispatch(void **State)
{
    KEVENT Event;
    KIRQL Old;
    (void)State;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    KeRaiseIrql(HIGH_LEVEL, &Old);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeSetEvent(&Event, IO_NO_INCREMENT, FALSE));
    irpsim_assert_bugcheck_parameter(0, 0x80);
    irpsim_assert_bugcheck_parameter(1, HIGH_LEVEL);
    irpsim_assert_bugcheck_parameter(2, (ULONG_PTR)&Event);
    KeLowerIrql(Old);
    /* At DISPATCH_LEVEL it is allowed. */
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    assert_int_equal(KeSetEvent(&Event, IO_NO_INCREMENT, FALSE), 0);
    KeLowerIrql(Old);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_state_transitions, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_wait_side_effects, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_notification_releases_all, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_synchronization_releases_one, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_pulse, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_uninitialised, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_copied_event, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_set_above_dispatch, KeTestSetup, KeTestTeardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
