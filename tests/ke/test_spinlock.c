/*
 * Spin locks (SEMANTICS 9.2): IRQL transitions, real mutual exclusion
 * between host threads, and the bug checks for misuse.
 */
#include "ke_test.h"

#include <pthread.h>

/* KeInitializeSpinLock leaves the lock free; KeAcquireSpinLock raises to
   DISPATCH_LEVEL and saves the old IRQL; KeReleaseSpinLock restores it.
   KeTestSpinLock is FALSE while the lock is held, TRUE otherwise. */
static void test_acquire_release(void **State)
{
    KSPIN_LOCK Lock;
    KIRQL Old = 0xFF;
    (void)State;
    KeInitializeSpinLock(&Lock);
    assert_true(KeTestSpinLock(&Lock));
    KeAcquireSpinLock(&Lock, &Old);
    assert_int_equal(Old, PASSIVE_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    assert_false(KeTestSpinLock(&Lock));
    KeReleaseSpinLock(&Lock, Old);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_true(KeTestSpinLock(&Lock));

    Old = KeAcquireSpinLockRaiseToDpc(&Lock);
    assert_int_equal(Old, PASSIVE_LEVEL);
    KeReleaseSpinLock(&Lock, Old);
}

/* The AtDpcLevel / FromDpcLevel variants leave the IRQL alone. */
static void test_at_dpc_level(void **State)
{
    KSPIN_LOCK Lock;
    KIRQL Old;
    (void)State;
    KeInitializeSpinLock(&Lock);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    KeAcquireSpinLockAtDpcLevel(&Lock);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    assert_false(KeTestSpinLock(&Lock));
    KeReleaseSpinLockFromDpcLevel(&Lock);
    assert_true(KeTestSpinLock(&Lock));
    assert_true(KeTryToAcquireSpinLockAtDpcLevel(&Lock));
    KeReleaseSpinLockFromDpcLevel(&Lock);
    KeLowerIrql(Old);
}

/* In-stack queued spin locks keep the old IRQL in the lock handle. */
static void test_in_stack_queued(void **State)
{
    KSPIN_LOCK Lock;
    KLOCK_QUEUE_HANDLE Handle;
    KLOCK_QUEUE_HANDLE Inner;
    KSPIN_LOCK Second;
    (void)State;
    KeInitializeSpinLock(&Lock);
    KeInitializeSpinLock(&Second);
    KeAcquireInStackQueuedSpinLock(&Lock, &Handle);
    assert_int_equal(Handle.OldIrql, PASSIVE_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    assert_false(KeTestSpinLock(&Lock));
    KeAcquireInStackQueuedSpinLockAtDpcLevel(&Second, &Inner);
    assert_false(KeTestSpinLock(&Second));
    KeReleaseInStackQueuedSpinLockFromDpcLevel(&Inner);
    assert_true(KeTestSpinLock(&Second));
    KeReleaseInStackQueuedSpinLock(&Handle);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_true(KeTestSpinLock(&Lock));
}

/* 0xF SPIN_LOCK_ALREADY_OWNED: a thread acquires a lock it holds (on
   Windows it would spin forever). The catch frame releases what it held. */
static void test_recursive_acquire(void **State)
{
    KSPIN_LOCK Lock;
    KIRQL Old;
    (void)State;
    KeInitializeSpinLock(&Lock);
    irpsim_assert_bugcheck(SPIN_LOCK_ALREADY_OWNED, {
        KeAcquireSpinLock(&Lock, &Old);
        KeAcquireSpinLockAtDpcLevel(&Lock);
    });
    irpsim_assert_bugcheck_parameter(0, (ULONG_PTR)&Lock);
    assert_true(KeTestSpinLock(&Lock));
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* 0x10 SPIN_LOCK_NOT_OWNED: releasing a lock nobody holds. */
static void test_release_not_owned(void **State)
{
    KSPIN_LOCK Lock;
    KIRQL Old;
    (void)State;
    KeInitializeSpinLock(&Lock);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    irpsim_assert_bugcheck(SPIN_LOCK_NOT_OWNED, KeReleaseSpinLockFromDpcLevel(&Lock));
    irpsim_assert_bugcheck_parameter(0, (ULONG_PTR)&Lock);
    irpsim_assert_bugcheck_parameter(1, 0);
    KeLowerIrql(Old);
}

/* Verifier 0xC4/0x32: KeReleaseSpinLock below DISPATCH_LEVEL — the classic
   double release (the first release already lowered the IRQL). */
static void test_double_release(void **State)
{
    KSPIN_LOCK Lock;
    KIRQL Old;
    (void)State;
    KeInitializeSpinLock(&Lock);
    KeAcquireSpinLock(&Lock, &Old);
    KeReleaseSpinLock(&Lock, Old);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeReleaseSpinLock(&Lock, Old));
    irpsim_assert_bugcheck_parameter(0, 0x32);
    irpsim_assert_bugcheck_parameter(1, PASSIVE_LEVEL);
    irpsim_assert_bugcheck_parameter(2, (ULONG_PTR)&Lock);
}

/* Verifier 0xC4/0x40 and 0x41: the AtDpcLevel routines below DISPATCH_LEVEL;
   0xC4/0x42: KeAcquireSpinLock above DISPATCH_LEVEL. */
static void test_wrong_irql(void **State)
{
    KSPIN_LOCK Lock;
    KIRQL Old;
    (void)State;
    KeInitializeSpinLock(&Lock);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeAcquireSpinLockAtDpcLevel(&Lock));
    irpsim_assert_bugcheck_parameter(0, 0x40);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeReleaseSpinLockFromDpcLevel(&Lock));
    irpsim_assert_bugcheck_parameter(0, 0x41);
    KeRaiseIrql(HIGH_LEVEL, &Old);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeAcquireSpinLock(&Lock, &Old));
    irpsim_assert_bugcheck_parameter(0, 0x42);
    irpsim_assert_bugcheck_parameter(1, HIGH_LEVEL);
    KeLowerIrql(PASSIVE_LEVEL);
}

/* Verifier 0xC4/0x1009: a queued acquisition released with KeReleaseSpinLock. */
static void test_mismatched_release(void **State)
{
    KSPIN_LOCK Lock;
    KLOCK_QUEUE_HANDLE Handle;
    (void)State;
    KeInitializeSpinLock(&Lock);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, {
        KeAcquireInStackQueuedSpinLock(&Lock, &Handle);
        KeReleaseSpinLock(&Lock, Handle.OldIrql);
    });
    irpsim_assert_bugcheck_parameter(0, 0x1009);
    assert_true(KeTestSpinLock(&Lock));
}

/* A lock word that holds neither 0 nor a thread was never initialised
   (Windows spins forever): after a long spin irpsim reports 0xC4/0x1002. */
static void test_uninitialised_lock(void **State)
{
    KSPIN_LOCK Lock = (KSPIN_LOCK)0xDEADBEE0;
    KIRQL Old;
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeAcquireSpinLock(&Lock, &Old));
    irpsim_assert_bugcheck_parameter(0, 0x1002);
    irpsim_assert_bugcheck_parameter(1, (ULONG_PTR)&Lock);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* Mutual exclusion between host threads: 4 threads x 10000 increments of a
   plain counter under the lock give exactly 40000. */
#define CONTENTION_THREADS 4
#define CONTENTION_ROUNDS 10000

typedef struct _CONTENTION {
    KSPIN_LOCK Lock;
    LONG Counter; /* protected by Lock only */
    BOOLEAN QueuedLock;
} CONTENTION;

static void *ContentionThread(void *Context)
{
    CONTENTION *Shared = (CONTENTION *)Context;
    for (int i = 0; i < CONTENTION_ROUNDS; i++) {
        if (Shared->QueuedLock) {
            KLOCK_QUEUE_HANDLE Handle;
            KeAcquireInStackQueuedSpinLock(&Shared->Lock, &Handle);
            Shared->Counter++;
            KeReleaseInStackQueuedSpinLock(&Handle);
        } else {
            KIRQL Old;
            KeAcquireSpinLock(&Shared->Lock, &Old);
            Shared->Counter++;
            KeReleaseSpinLock(&Shared->Lock, Old);
        }
    }
    return NULL;
}

static void RunContention(BOOLEAN QueuedLock)
{
    CONTENTION Shared;
    pthread_t Threads[CONTENTION_THREADS];
    KeInitializeSpinLock(&Shared.Lock);
    Shared.Counter = 0;
    Shared.QueuedLock = QueuedLock;
    for (int i = 0; i < CONTENTION_THREADS; i++)
        assert_int_equal(pthread_create(&Threads[i], NULL, ContentionThread, &Shared), 0);
    for (int i = 0; i < CONTENTION_THREADS; i++)
        assert_int_equal(pthread_join(Threads[i], NULL), 0);
    assert_int_equal(Shared.Counter, CONTENTION_THREADS * CONTENTION_ROUNDS);
    assert_true(KeTestSpinLock(&Shared.Lock));
}

static void test_contention(void **State)
{
    (void)State;
    RunContention(FALSE);
}

static void test_contention_queued(void **State)
{
    (void)State;
    RunContention(TRUE);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_acquire_release, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_at_dpc_level, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_in_stack_queued, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_recursive_acquire, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_release_not_owned, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_double_release, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_wrong_irql, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_mismatched_release, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_uninitialised_lock, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_contention, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_contention_queued, KeTestSetup, KeTestTeardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
