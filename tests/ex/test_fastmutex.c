/*
 * Fast mutexes and guarded mutexes (SEMANTICS.md 9.5; WDK documentation of
 * ExAcquireFastMutex, ExReleaseFastMutex, ExTryToAcquireFastMutex,
 * ExAcquireFastMutexUnsafe, KeAcquireGuardedMutex; Driver Verifier codes
 * from the bug check 0xC4 reference).
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

#include "ex_test_util.h"

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

/* A helper thread that acquires the mutex, reports that it holds it, and
   releases it when told to (or, with WaitForContention, as soon as another
   thread is blocked on it). */
typedef struct _HOLDER {
    PFAST_MUTEX Mutex;
    KEVENT Held;
    KEVENT Release;
    BOOLEAN WaitForContention;
    PKTHREAD Thread;
} HOLDER;

static BOOLEAN MutexHasWaiter(PVOID Context)
{
    return ReadAcquire(&((PFAST_MUTEX)Context)->Count) < 0;
}

static VOID NTAPI HolderThread(PVOID Context)
{
    HOLDER *Holder = (HOLDER *)Context;
    Holder->Thread = KeGetCurrentThread();
    ExAcquireFastMutex(Holder->Mutex);
    KeSetEvent(&Holder->Held, 0, FALSE);
    if (Holder->WaitForContention)
        (void)ExTestWaitFor(MutexHasWaiter, Holder->Mutex);
    else
        KeWaitForSingleObject(&Holder->Release, Executive, KernelMode, FALSE, NULL);
    ExReleaseFastMutex(Holder->Mutex);
}

static PETHREAD StartHolder(HOLDER *Holder, PFAST_MUTEX Mutex, BOOLEAN WaitForContention)
{
    PETHREAD Thread;
    Holder->Mutex = Mutex;
    Holder->WaitForContention = WaitForContention;
    KeInitializeEvent(&Holder->Held, NotificationEvent, FALSE);
    KeInitializeEvent(&Holder->Release, NotificationEvent, FALSE);
    Thread = ExTestStartThread(HolderThread, Holder);
    assert_non_null(Thread);
    KeWaitForSingleObject(&Holder->Held, Executive, KernelMode, FALSE, NULL);
    return Thread;
}

/* ExInitializeFastMutex leaves the mutex free: Count 1, no owner. */
static void test_initialize(void **State)
{
    FAST_MUTEX Mutex;
    (void)State;
    memset(&Mutex, 0xCC, sizeof(Mutex));
    ExInitializeFastMutex(&Mutex);
    assert_int_equal(Mutex.Count, 1);
    assert_null(Mutex.Owner);
    assert_int_equal(Mutex.Contention, 0);
}

/* ExAcquireFastMutex raises to APC_LEVEL and the caller runs there while it
   holds the mutex; ExReleaseFastMutex restores the IRQL saved at acquire. */
static void test_acquire_raises_to_apc_level(void **State)
{
    FAST_MUTEX Mutex;
    (void)State;
    ExInitializeFastMutex(&Mutex);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    ExAcquireFastMutex(&Mutex);
    assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
    assert_ptr_equal(Mutex.Owner, KeGetCurrentThread());
    assert_int_equal(Mutex.Count, 0);
    ExReleaseFastMutex(&Mutex);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_null(Mutex.Owner);
    assert_int_equal(Mutex.Count, 1);
}

/* Acquired at APC_LEVEL, the release returns to APC_LEVEL (the saved IRQL). */
static void test_acquire_at_apc_level_restores_apc_level(void **State)
{
    FAST_MUTEX Mutex;
    KIRQL OldIrql;
    (void)State;
    ExInitializeFastMutex(&Mutex);
    KeRaiseIrql(APC_LEVEL, &OldIrql);
    ExAcquireFastMutex(&Mutex);
    ExReleaseFastMutex(&Mutex);
    assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
    KeLowerIrql(OldIrql);
}

/* Acquiring above APC_LEVEL: Driver Verifier 0xC4/0x33 (P2 IRQL, P3 mutex). */
static void test_acquire_at_dispatch_bugchecks(void **State)
{
    FAST_MUTEX Mutex;
    KIRQL OldIrql;
    (void)State;
    ExInitializeFastMutex(&Mutex);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExAcquireFastMutex(&Mutex));
    irpsim_assert_bugcheck_parameter(0, 0x33);
    irpsim_assert_bugcheck_parameter(1, DISPATCH_LEVEL);
    irpsim_assert_bugcheck_parameter(2, &Mutex);
    KeLowerIrql(OldIrql);
}

/* Releasing at an IRQL other than APC_LEVEL: 0xC4/0x34. */
static void test_release_below_apc_level_bugchecks(void **State)
{
    FAST_MUTEX Mutex;
    (void)State;
    ExInitializeFastMutex(&Mutex);
    ExAcquireFastMutex(&Mutex);
    KeLowerIrql(PASSIVE_LEVEL);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExReleaseFastMutex(&Mutex));
    irpsim_assert_bugcheck_parameter(0, 0x34);
    irpsim_assert_bugcheck_parameter(1, PASSIVE_LEVEL);
    irpsim_assert_bugcheck_parameter(2, &Mutex);
}

/* Fast mutexes are not recursive: on Windows the owner waits for itself
   forever. irpsim stops with Verifier's self-deadlock code 0xC4/0x1000. */
static void test_recursive_acquire_bugchecks(void **State)
{
    FAST_MUTEX Mutex;
    (void)State;
    ExInitializeFastMutex(&Mutex);
    ExAcquireFastMutex(&Mutex);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExAcquireFastMutex(&Mutex));
    irpsim_assert_bugcheck_parameter(0, 0x1000);
    irpsim_assert_bugcheck_parameter(1, &Mutex);
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Rule, "not recursive"));
    /* Still owned once, at APC_LEVEL: release normally. */
    ExReleaseFastMutex(&Mutex);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* A mutex that was never initialised: Verifier's "uninitialized resource"
   0xC4/0x1002. */
static void test_uninitialized_mutex_bugchecks(void **State)
{
    FAST_MUTEX Mutex;
    (void)State;
    memset(&Mutex, 0, sizeof(Mutex));
    Mutex.Count = 1;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExAcquireFastMutex(&Mutex));
    irpsim_assert_bugcheck_parameter(0, 0x1002);
    irpsim_assert_bugcheck_parameter(1, &Mutex);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* Releasing a mutex nobody owns: 0xC4/0x1007 (released before acquired). */
static void test_release_unowned_bugchecks(void **State)
{
    FAST_MUTEX Mutex;
    KIRQL OldIrql;
    (void)State;
    ExInitializeFastMutex(&Mutex);
    KeRaiseIrql(APC_LEVEL, &OldIrql);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExReleaseFastMutex(&Mutex));
    irpsim_assert_bugcheck_parameter(0, 0x1007);
    KeLowerIrql(OldIrql);
}

/* ExTryToAcquireFastMutex: TRUE and APC_LEVEL when the mutex is free;
   FALSE, with the IRQL unchanged, when it is owned (even by the caller). */
static void test_try_to_acquire(void **State)
{
    FAST_MUTEX Mutex;
    (void)State;
    ExInitializeFastMutex(&Mutex);
    assert_true(ExTryToAcquireFastMutex(&Mutex));
    assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
    assert_ptr_equal(Mutex.Owner, KeGetCurrentThread());
    assert_false(ExTryToAcquireFastMutex(&Mutex));
    assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
    ExReleaseFastMutex(&Mutex);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void test_try_to_acquire_owned_by_other_thread(void **State)
{
    FAST_MUTEX Mutex;
    HOLDER Holder;
    PETHREAD Thread;
    (void)State;
    ExInitializeFastMutex(&Mutex);
    Thread = StartHolder(&Holder, &Mutex, FALSE);
    assert_false(ExTryToAcquireFastMutex(&Mutex));
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KeSetEvent(&Holder.Release, 0, FALSE);
    ExTestJoinThread(Thread);
    assert_true(ExTryToAcquireFastMutex(&Mutex));
    ExReleaseFastMutex(&Mutex);
}

/* A contended acquire waits until the owner releases, then owns the mutex;
   the wait is counted in Contention. */
static void test_contended_acquire_waits_for_owner(void **State)
{
    FAST_MUTEX Mutex;
    HOLDER Holder;
    PETHREAD Thread;
    (void)State;
    ExInitializeFastMutex(&Mutex);
    Thread = StartHolder(&Holder, &Mutex, TRUE);
    ExAcquireFastMutex(&Mutex);
    assert_ptr_equal(Mutex.Owner, KeGetCurrentThread());
    assert_int_equal(Mutex.Contention, 1);
    ExReleaseFastMutex(&Mutex);
    ExTestJoinThread(Thread);
    assert_int_equal(Mutex.Count, 1);
}

/* Only the owner may release: another thread's release is Verifier's
   "unexpected thread" 0xC4/0x1004 (P3 owner, P4 releasing thread). */
static void test_release_by_other_thread_bugchecks(void **State)
{
    FAST_MUTEX Mutex;
    HOLDER Holder;
    PETHREAD Thread;
    KIRQL OldIrql;
    (void)State;
    ExInitializeFastMutex(&Mutex);
    Thread = StartHolder(&Holder, &Mutex, FALSE);
    KeRaiseIrql(APC_LEVEL, &OldIrql);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExReleaseFastMutex(&Mutex));
    irpsim_assert_bugcheck_parameter(0, 0x1004);
    irpsim_assert_bugcheck_parameter(2, Holder.Thread);
    irpsim_assert_bugcheck_parameter(3, KeGetCurrentThread());
    KeLowerIrql(OldIrql);
    KeSetEvent(&Holder.Release, 0, FALSE);
    ExTestJoinThread(Thread);
}

/* ExAcquireFastMutexUnsafe does not touch the IRQL; inside a critical
   region (APCs disabled) it is legal at PASSIVE_LEVEL. */
static void test_unsafe_in_critical_region(void **State)
{
    FAST_MUTEX Mutex;
    (void)State;
    ExInitializeFastMutex(&Mutex);
    KeEnterCriticalRegion();
    ExAcquireFastMutexUnsafe(&Mutex);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_ptr_equal(Mutex.Owner, KeGetCurrentThread());
    ExReleaseFastMutexUnsafe(&Mutex);
    KeLeaveCriticalRegion();
    assert_null(Mutex.Owner);
    assert_int_equal(Mutex.Count, 1);
}

/* ... and at APC_LEVEL, which also disables APCs. */
static void test_unsafe_at_apc_level(void **State)
{
    FAST_MUTEX Mutex;
    KIRQL OldIrql;
    (void)State;
    ExInitializeFastMutex(&Mutex);
    KeRaiseIrql(APC_LEVEL, &OldIrql);
    ExAcquireFastMutexUnsafe(&Mutex);
    ExReleaseFastMutexUnsafe(&Mutex);
    assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
    KeLowerIrql(OldIrql);
}

/* With APCs enabled the unsafe forms are misused: 0xC4/0x39 on acquire
   (P2 IRQL, P3 APC-disable count, P4 mutex), 0x3A on release. */
static void test_unsafe_with_apcs_enabled_bugchecks(void **State)
{
    FAST_MUTEX Mutex;
    (void)State;
    ExInitializeFastMutex(&Mutex);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExAcquireFastMutexUnsafe(&Mutex));
    irpsim_assert_bugcheck_parameter(0, 0x39);
    irpsim_assert_bugcheck_parameter(1, PASSIVE_LEVEL);
    irpsim_assert_bugcheck_parameter(2, 0);
    irpsim_assert_bugcheck_parameter(3, &Mutex);

    KeEnterCriticalRegion();
    ExAcquireFastMutexUnsafe(&Mutex);
    KeLeaveCriticalRegion();
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExReleaseFastMutexUnsafe(&Mutex));
    irpsim_assert_bugcheck_parameter(0, 0x3A);
}

/* A mutex acquired with the unsafe form and released with
   ExReleaseFastMutex (which would "restore" an IRQL never saved) is
   Verifier's mismatched-release code 0xC4/0x1009. */
static void test_mismatched_release_bugchecks(void **State)
{
    FAST_MUTEX Mutex;
    KIRQL OldIrql;
    (void)State;
    ExInitializeFastMutex(&Mutex);
    KeEnterCriticalRegion();
    ExAcquireFastMutexUnsafe(&Mutex);
    KeRaiseIrql(APC_LEVEL, &OldIrql);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExReleaseFastMutex(&Mutex));
    irpsim_assert_bugcheck_parameter(0, 0x1009);
    /* A caught bug check leaves the thread's critical regions (ki.h). */
    KeLowerIrql(OldIrql);
    KeEnterCriticalRegion();
    ExReleaseFastMutexUnsafe(&Mutex);
    KeLeaveCriticalRegion();
}

/* A guarded mutex enters a guarded region instead of raising the IRQL:
   all APCs are disabled while it is held, the IRQL stays PASSIVE_LEVEL. */
static void test_guarded_mutex(void **State)
{
    KGUARDED_MUTEX Mutex;
    (void)State;
    KeInitializeGuardedMutex(&Mutex);
    assert_false(KeAreAllApcsDisabled());
    KeAcquireGuardedMutex(&Mutex);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_true(KeAreAllApcsDisabled());
    assert_ptr_equal(Mutex.Owner, KeGetCurrentThread());
    assert_false(KeTryToAcquireGuardedMutex(&Mutex));
    assert_true(KeAreAllApcsDisabled());
    KeReleaseGuardedMutex(&Mutex);
    assert_false(KeAreAllApcsDisabled());
    assert_true(KeTryToAcquireGuardedMutex(&Mutex));
    assert_true(KeAreAllApcsDisabled());
    KeReleaseGuardedMutex(&Mutex);
    assert_false(KeAreAllApcsDisabled());
}

/* Guarded mutexes share the fast mutex rules: not recursive (0x1000), not
   above APC_LEVEL (0x33). */
static void test_guarded_mutex_misuse_bugchecks(void **State)
{
    KGUARDED_MUTEX Mutex;
    KIRQL OldIrql;
    (void)State;
    KeInitializeGuardedMutex(&Mutex);
    KeAcquireGuardedMutex(&Mutex);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeAcquireGuardedMutex(&Mutex));
    irpsim_assert_bugcheck_parameter(0, 0x1000);
    /* The caught bug check left the guarded region; the release leaves one. */
    KeEnterGuardedRegion();
    KeReleaseGuardedMutex(&Mutex);

    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeAcquireGuardedMutex(&Mutex));
    irpsim_assert_bugcheck_parameter(0, 0x33);
    KeLowerIrql(OldIrql);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_initialize, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_acquire_raises_to_apc_level, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_acquire_at_apc_level_restores_apc_level, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_acquire_at_dispatch_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_release_below_apc_level_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_recursive_acquire_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_uninitialized_mutex_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_release_unowned_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_try_to_acquire, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_try_to_acquire_owned_by_other_thread, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_contended_acquire_waits_for_owner, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_release_by_other_thread_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_unsafe_in_critical_region, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_unsafe_at_apc_level, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_unsafe_with_apcs_enabled_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_mismatched_release_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_guarded_mutex, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_guarded_mutex_misuse_bugchecks, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
