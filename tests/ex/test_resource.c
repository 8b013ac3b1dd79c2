/*
 * Executive resources (ERESOURCE): WDK documentation of
 * ExInitializeResourceLite, ExAcquireResourceExclusiveLite / SharedLite,
 * ExAcquireSharedStarveExclusive, ExAcquireSharedWaitForExclusive,
 * ExReleaseResourceLite / ForThreadLite, ExIsResourceAcquired*Lite,
 * ExGet*WaiterCount; Driver Verifier codes 0x37/0x38 and the deadlock
 * verifier's 0x1000-0x100B (bug check 0xC4 reference); RESOURCE_NOT_OWNED
 * (0xE3).
 *
 * Exclusion across threads is checked with helper system threads
 * ("actors") and Wait FALSE probes; nothing here depends on timing.
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

#ifndef RESOURCE_NOT_OWNED
#define RESOURCE_NOT_OWNED 0x000000E3
#endif

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

/* ---- actors: helper threads that perform one resource operation at a
   time on request, inside a critical region, and record the result ---- */

typedef enum _ACTOR_OP {
    OpQuit,
    OpExclusive,
    OpShared,
    OpStarveExclusive,
    OpWaitForExclusive,
    OpRelease,
    OpSharedCount,
} ACTOR_OP;

typedef struct _ACTOR {
    PERESOURCE Resource;
    KEVENT Go;
    KEVENT Done;
    ACTOR_OP Op;
    BOOLEAN Wait;
    LONG Result;
    ERESOURCE_THREAD Id;
    PETHREAD Thread;
} ACTOR;

static VOID NTAPI ActorThread(PVOID Context)
{
    ACTOR *Actor = (ACTOR *)Context;
    Actor->Id = ExGetCurrentResourceThread();
    KeEnterCriticalRegion();
    for (;;) {
        KeWaitForSingleObject(&Actor->Go, Executive, KernelMode, FALSE, NULL);
        switch (Actor->Op) {
        case OpQuit:
            KeLeaveCriticalRegion();
            KeSetEvent(&Actor->Done, 0, FALSE);
            return;
        case OpExclusive:
            Actor->Result = ExAcquireResourceExclusiveLite(Actor->Resource, Actor->Wait);
            break;
        case OpShared:
            Actor->Result = ExAcquireResourceSharedLite(Actor->Resource, Actor->Wait);
            break;
        case OpStarveExclusive:
            Actor->Result = ExAcquireSharedStarveExclusive(Actor->Resource, Actor->Wait);
            break;
        case OpWaitForExclusive:
            Actor->Result = ExAcquireSharedWaitForExclusive(Actor->Resource, Actor->Wait);
            break;
        case OpRelease:
            ExReleaseResourceLite(Actor->Resource);
            Actor->Result = TRUE;
            break;
        case OpSharedCount:
            Actor->Result = (LONG)ExIsResourceAcquiredSharedLite(Actor->Resource);
            break;
        }
        KeSetEvent(&Actor->Done, 0, FALSE);
    }
}

static void ActorCreate(ACTOR *Actor, PERESOURCE Resource)
{
    memset(Actor, 0, sizeof(*Actor));
    Actor->Resource = Resource;
    KeInitializeEvent(&Actor->Go, SynchronizationEvent, FALSE);
    KeInitializeEvent(&Actor->Done, SynchronizationEvent, FALSE);
    Actor->Thread = ExTestStartThread(ActorThread, Actor);
    assert_non_null(Actor->Thread);
}

/* Starts an operation without waiting for it (it may block). */
static void ActorStart(ACTOR *Actor, ACTOR_OP Op, BOOLEAN Wait)
{
    Actor->Op = Op;
    Actor->Wait = Wait;
    Actor->Result = -1;
    KeSetEvent(&Actor->Go, 0, FALSE);
}

static LONG ActorFinish(ACTOR *Actor)
{
    KeWaitForSingleObject(&Actor->Done, Executive, KernelMode, FALSE, NULL);
    return Actor->Result;
}

static LONG ActorDo(ACTOR *Actor, ACTOR_OP Op, BOOLEAN Wait)
{
    ActorStart(Actor, Op, Wait);
    return ActorFinish(Actor);
}

static void ActorDestroy(ACTOR *Actor)
{
    (void)ActorDo(Actor, OpQuit, FALSE);
    ExTestJoinThread(Actor->Thread);
}

static BOOLEAN OneExclusiveWaiter(PVOID Context)
{
    return ExGetExclusiveWaiterCount((PERESOURCE)Context) == 1;
}

static BOOLEAN OneSharedWaiter(PVOID Context)
{
    return ExGetSharedWaiterCount((PERESOURCE)Context) == 1;
}

/* ---- single-thread behaviour ---- */

/* A new resource is unowned, has no waiters, and can be deleted. */
static void test_initialize_and_delete(void **State)
{
    ERESOURCE Resource;
    (void)State;
    memset(&Resource, 0xCC, sizeof(Resource));
    assert_int_equal(ExInitializeResourceLite(&Resource), STATUS_SUCCESS);
    assert_int_equal(Resource.ActiveCount, 0);
    assert_false(ExIsResourceAcquiredExclusiveLite(&Resource));
    assert_int_equal(ExIsResourceAcquiredSharedLite(&Resource), 0);
    assert_int_equal(ExGetExclusiveWaiterCount(&Resource), 0);
    assert_int_equal(ExGetSharedWaiterCount(&Resource), 0);
    assert_int_equal(ExDeleteResourceLite(&Resource), STATUS_SUCCESS);
}

/* The exclusive owner may acquire again, exclusively or shared; every
   acquisition is counted (ExIsResourceAcquiredSharedLite reports the count
   for an exclusive owner too) and needs its own release. */
static void test_exclusive_recursion_and_shared_after_exclusive(void **State)
{
    ERESOURCE Resource;
    (void)State;
    ExInitializeResourceLite(&Resource);
    KeEnterCriticalRegion();
    assert_true(ExAcquireResourceExclusiveLite(&Resource, TRUE));
    assert_true(ExAcquireResourceExclusiveLite(&Resource, FALSE));
    assert_true(ExAcquireResourceSharedLite(&Resource, TRUE));
    assert_true(ExIsResourceAcquiredExclusiveLite(&Resource));
    assert_int_equal(ExIsResourceAcquiredSharedLite(&Resource), 3);
    assert_int_equal(Resource.ActiveCount, 1);
    ExReleaseResourceLite(&Resource);
    ExReleaseResourceLite(&Resource);
    assert_true(ExIsResourceAcquiredExclusiveLite(&Resource));
    ExReleaseResourceLite(&Resource);
    assert_false(ExIsResourceAcquiredExclusiveLite(&Resource));
    assert_int_equal(ExIsResourceAcquiredSharedLite(&Resource), 0);
    assert_int_equal(Resource.ActiveCount, 0);
    KeLeaveCriticalRegion();
    ExDeleteResourceLite(&Resource);
}

/* Shared acquisitions by one thread are counted; the thread is not an
   exclusive owner. */
static void test_shared_recursion(void **State)
{
    ERESOURCE Resource;
    (void)State;
    ExInitializeResourceLite(&Resource);
    KeEnterCriticalRegion();
    assert_true(ExAcquireResourceSharedLite(&Resource, TRUE));
    assert_true(ExAcquireSharedStarveExclusive(&Resource, FALSE));
    assert_true(ExAcquireSharedWaitForExclusive(&Resource, FALSE));
    assert_int_equal(ExIsResourceAcquiredSharedLite(&Resource), 3);
    assert_false(ExIsResourceAcquiredExclusiveLite(&Resource));
    ExReleaseResourceLite(&Resource);
    ExReleaseResourceLite(&Resource);
    ExReleaseResourceLite(&Resource);
    assert_int_equal(ExIsResourceAcquiredSharedLite(&Resource), 0);
    KeLeaveCriticalRegion();
    ExDeleteResourceLite(&Resource);
}

/* The critical-region wrappers: APCs are disabled while the resource is
   held and enabled again after the combined release. */
static void test_critical_region_wrappers(void **State)
{
    ERESOURCE Resource;
    (void)State;
    ExInitializeResourceLite(&Resource);
    assert_false(KeAreApcsDisabled());
    (void)ExEnterCriticalRegionAndAcquireResourceExclusive(&Resource);
    assert_true(KeAreApcsDisabled());
    assert_true(ExIsResourceAcquiredExclusiveLite(&Resource));
    ExReleaseResourceAndLeaveCriticalRegion(&Resource);
    assert_false(KeAreApcsDisabled());
    (void)ExEnterCriticalRegionAndAcquireResourceShared(&Resource);
    assert_int_equal(ExIsResourceAcquiredSharedLite(&Resource), 1);
    ExReleaseResourceAndLeaveCriticalRegion(&Resource);
    assert_false(KeAreApcsDisabled());
    assert_int_equal(ExIsResourceAcquiredSharedLite(&Resource), 0);
    ExDeleteResourceLite(&Resource);
}

/* ExReinitializeResourceLite resets an unowned resource. */
static void test_reinitialize(void **State)
{
    ERESOURCE Resource;
    (void)State;
    ExInitializeResourceLite(&Resource);
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&Resource, TRUE);
    ExReleaseResourceLite(&Resource);
    KeLeaveCriticalRegion();
    assert_int_equal(ExReinitializeResourceLite(&Resource), STATUS_SUCCESS);
    assert_int_equal(Resource.ActiveCount, 0);
    assert_int_equal(Resource.ContentionCount, 0);
    ExDeleteResourceLite(&Resource);
}

/* ---- misuse ---- */

/* Acquiring with normal kernel APCs enabled: 0xC4/0x37 (P2 IRQL, P3 APC
   disable count, P4 resource). */
static void test_acquire_outside_critical_region_bugchecks(void **State)
{
    ERESOURCE Resource;
    (void)State;
    ExInitializeResourceLite(&Resource);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExAcquireResourceExclusiveLite(&Resource, TRUE));
    irpsim_assert_bugcheck_parameter(0, 0x37);
    irpsim_assert_bugcheck_parameter(1, PASSIVE_LEVEL);
    irpsim_assert_bugcheck_parameter(2, 0);
    irpsim_assert_bugcheck_parameter(3, &Resource);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExAcquireResourceSharedLite(&Resource, FALSE));
    irpsim_assert_bugcheck_parameter(0, 0x37);
    ExDeleteResourceLite(&Resource);
}

/* Releasing after the critical region was left: 0xC4/0x38. */
static void test_release_outside_critical_region_bugchecks(void **State)
{
    ERESOURCE Resource;
    ERESOURCE_THREAD Me = ExGetCurrentResourceThread();
    (void)State;
    ExInitializeResourceLite(&Resource);
    KeEnterCriticalRegion();
    ExAcquireResourceSharedLite(&Resource, TRUE);
    KeLeaveCriticalRegion();
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExReleaseResourceLite(&Resource));
    irpsim_assert_bugcheck_parameter(0, 0x38);
    /* ExReleaseResourceForThreadLite has no such requirement. */
    ExReleaseResourceForThreadLite(&Resource, Me);
    ExDeleteResourceLite(&Resource);
}

/* Above APC_LEVEL the acquire routines cannot be called (DDI rule
   IrqlExApcLte2, 0xC4/0x20006). */
static void test_acquire_at_dispatch_bugchecks(void **State)
{
    ERESOURCE Resource;
    KIRQL OldIrql;
    (void)State;
    ExInitializeResourceLite(&Resource);
    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExAcquireResourceSharedLite(&Resource, FALSE));
    irpsim_assert_bugcheck_parameter(0, 0x20006);
    KeLowerIrql(OldIrql);
    ExDeleteResourceLite(&Resource);
}

/* Releasing a resource the thread does not own: RESOURCE_NOT_OWNED (0xE3,
   P1 resource, P2 thread). */
static void test_release_not_owned_bugchecks(void **State)
{
    ERESOURCE Resource;
    (void)State;
    ExInitializeResourceLite(&Resource);
    /* A caught bug check leaves the thread's critical regions (ki.h), so
       the region is entered inside the statement that bugchecks. */
    irpsim_assert_bugcheck(RESOURCE_NOT_OWNED, {
        KeEnterCriticalRegion();
        ExReleaseResourceLite(&Resource);
    });
    irpsim_assert_bugcheck_parameter(0, &Resource);
    irpsim_assert_bugcheck_parameter(1, ExGetCurrentResourceThread());
    ExDeleteResourceLite(&Resource);
}

/* A shared owner cannot be promoted: asking for exclusive access with Wait
   TRUE would wait for itself (0xC4/0x1000); with Wait FALSE it is refused. */
static void test_exclusive_while_shared_owner(void **State)
{
    ERESOURCE Resource;
    (void)State;
    ExInitializeResourceLite(&Resource);
    KeEnterCriticalRegion();
    ExAcquireResourceSharedLite(&Resource, TRUE);
    assert_false(ExAcquireResourceExclusiveLite(&Resource, FALSE));
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExAcquireResourceExclusiveLite(&Resource, TRUE));
    irpsim_assert_bugcheck_parameter(0, 0x1000);
    irpsim_assert_bugcheck_parameter(1, &Resource);
    KeEnterCriticalRegion(); /* the caught bug check left it */
    ExReleaseResourceLite(&Resource);
    KeLeaveCriticalRegion();
    ExDeleteResourceLite(&Resource);
}

/* Deleting an owned resource: Verifier 0xC4/0x100B (P3 the owner). */
static void test_delete_while_owned_bugchecks(void **State)
{
    ERESOURCE Resource;
    (void)State;
    ExInitializeResourceLite(&Resource);
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&Resource, TRUE);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExDeleteResourceLite(&Resource));
    irpsim_assert_bugcheck_parameter(0, 0x100B);
    irpsim_assert_bugcheck_parameter(2, ExGetCurrentResourceThread());
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExReinitializeResourceLite(&Resource));
    irpsim_assert_bugcheck_parameter(0, 0x100B);
    KeEnterCriticalRegion(); /* the caught bug checks left it */
    ExReleaseResourceLite(&Resource);
    KeLeaveCriticalRegion();
    ExDeleteResourceLite(&Resource);
}

/* Never initialised (0xC4/0x1002) and initialised twice (0xC4/0x1005). */
static void test_uninitialized_and_double_initialized(void **State)
{
    ERESOURCE Resource;
    (void)State;
    memset(&Resource, 0, sizeof(Resource));
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, {
        KeEnterCriticalRegion();
        ExAcquireResourceSharedLite(&Resource, TRUE);
    });
    irpsim_assert_bugcheck_parameter(0, 0x1002);
    irpsim_assert_bugcheck_parameter(1, &Resource);

    ExInitializeResourceLite(&Resource);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExInitializeResourceLite(&Resource));
    irpsim_assert_bugcheck_parameter(0, 0x1005);
    ExDeleteResourceLite(&Resource);
    /* After deletion the resource is dead again. */
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, {
        KeEnterCriticalRegion();
        ExAcquireResourceExclusiveLite(&Resource, TRUE);
    });
    irpsim_assert_bugcheck_parameter(0, 0x1002);
}

/* ---- several threads ---- */

/* Shared owners coexist; an exclusive request is refused (Wait FALSE)
   while anyone owns the resource shared. */
static void test_shared_owners_coexist(void **State)
{
    ERESOURCE Resource;
    ACTOR Actor;
    (void)State;
    ExInitializeResourceLite(&Resource);
    ActorCreate(&Actor, &Resource);
    assert_int_equal(ActorDo(&Actor, OpShared, TRUE), TRUE);

    KeEnterCriticalRegion();
    assert_true(ExAcquireResourceSharedLite(&Resource, FALSE));
    assert_int_equal(Resource.ActiveCount, 2);
    assert_false(ExAcquireResourceExclusiveLite(&Resource, FALSE));
    ExReleaseResourceLite(&Resource);
    assert_false(ExAcquireResourceExclusiveLite(&Resource, FALSE));
    KeLeaveCriticalRegion();

    assert_int_equal(ActorDo(&Actor, OpSharedCount, FALSE), 1);
    ActorDo(&Actor, OpRelease, FALSE);
    KeEnterCriticalRegion();
    assert_true(ExAcquireResourceExclusiveLite(&Resource, FALSE));
    ExReleaseResourceLite(&Resource);
    KeLeaveCriticalRegion();
    ActorDestroy(&Actor);
    ExDeleteResourceLite(&Resource);
}

/* An exclusive owner excludes everyone: every Wait FALSE request fails,
   including ExAcquireSharedStarveExclusive. */
static void test_exclusive_owner_excludes_everyone(void **State)
{
    ERESOURCE Resource;
    ACTOR Actor;
    (void)State;
    ExInitializeResourceLite(&Resource);
    ActorCreate(&Actor, &Resource);
    assert_int_equal(ActorDo(&Actor, OpExclusive, TRUE), TRUE);

    KeEnterCriticalRegion();
    assert_false(ExAcquireResourceExclusiveLite(&Resource, FALSE));
    assert_false(ExAcquireResourceSharedLite(&Resource, FALSE));
    assert_false(ExAcquireSharedStarveExclusive(&Resource, FALSE));
    assert_false(ExAcquireSharedWaitForExclusive(&Resource, FALSE));
    assert_false(ExIsResourceAcquiredExclusiveLite(&Resource));
    KeLeaveCriticalRegion();

    ActorDo(&Actor, OpRelease, FALSE);
    ActorDestroy(&Actor);
    ExDeleteResourceLite(&Resource);
}

/* A waiting exclusive request gets the resource when the last shared owner
   releases; while it waits, new shared requests queue behind it
   (ExAcquireResourceSharedLite), except from a thread that already owns the
   resource, and except ExAcquireSharedStarveExclusive. When the exclusive
   owner releases, the waiting shared requests are granted. */
static void test_exclusive_waiter_handover(void **State)
{
    ERESOURCE Resource;
    ACTOR Exclusive;
    ACTOR Shared;
    (void)State;
    ExInitializeResourceLite(&Resource);
    ActorCreate(&Exclusive, &Resource);
    ActorCreate(&Shared, &Resource);

    KeEnterCriticalRegion();
    assert_true(ExAcquireResourceSharedLite(&Resource, TRUE));
    ActorStart(&Exclusive, OpExclusive, TRUE);
    assert_true(ExTestWaitFor(OneExclusiveWaiter, &Resource));

    assert_int_equal(ActorDo(&Shared, OpShared, FALSE), FALSE);
    assert_int_equal(ActorDo(&Shared, OpWaitForExclusive, FALSE), FALSE);
    assert_int_equal(ActorDo(&Shared, OpStarveExclusive, FALSE), TRUE);
    ActorDo(&Shared, OpRelease, FALSE);
    /* An owner is not queued behind the exclusive waiter by SharedLite ... */
    assert_true(ExAcquireResourceSharedLite(&Resource, FALSE));
    assert_int_equal(ExIsResourceAcquiredSharedLite(&Resource), 2);
    /* ... but is by WaitForExclusive. */
    assert_false(ExAcquireSharedWaitForExclusive(&Resource, FALSE));

    ActorStart(&Shared, OpShared, TRUE);
    assert_true(ExTestWaitFor(OneSharedWaiter, &Resource));

    ExReleaseResourceLite(&Resource);
    ExReleaseResourceLite(&Resource);
    KeLeaveCriticalRegion();
    /* The exclusive waiter owns it now; the shared waiter still waits. */
    assert_int_equal(ActorFinish(&Exclusive), TRUE);
    assert_int_equal(ExGetExclusiveWaiterCount(&Resource), 0);
    assert_int_equal(ExGetSharedWaiterCount(&Resource), 1);
    assert_true(Resource.ContentionCount >= 2);

    ActorDo(&Exclusive, OpRelease, FALSE);
    assert_int_equal(ActorFinish(&Shared), TRUE);
    assert_int_equal(ExGetSharedWaiterCount(&Resource), 0);
    assert_int_equal(ActorDo(&Shared, OpSharedCount, FALSE), 1);
    ActorDo(&Shared, OpRelease, FALSE);

    ActorDestroy(&Exclusive);
    ActorDestroy(&Shared);
    ExDeleteResourceLite(&Resource);
}

/* ExReleaseResourceForThreadLite releases another thread's ownership. */
static void test_release_for_other_thread(void **State)
{
    ERESOURCE Resource;
    ACTOR Actor;
    (void)State;
    ExInitializeResourceLite(&Resource);
    ActorCreate(&Actor, &Resource);
    assert_int_equal(ActorDo(&Actor, OpExclusive, TRUE), TRUE);
    ExReleaseResourceForThreadLite(&Resource, Actor.Id);
    assert_int_equal(ActorDo(&Actor, OpSharedCount, FALSE), 0);
    KeEnterCriticalRegion();
    assert_true(ExAcquireResourceExclusiveLite(&Resource, FALSE));
    ExReleaseResourceLite(&Resource);
    KeLeaveCriticalRegion();
    ActorDestroy(&Actor);
    ExDeleteResourceLite(&Resource);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_initialize_and_delete, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_exclusive_recursion_and_shared_after_exclusive, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_shared_recursion, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_critical_region_wrappers, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_reinitialize, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_acquire_outside_critical_region_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_release_outside_critical_region_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_acquire_at_dispatch_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_release_not_owned_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_exclusive_while_shared_owner, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_delete_while_owned_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_uninitialized_and_double_initialized, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_shared_owners_coexist, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_exclusive_owner_excludes_everyone, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_exclusive_waiter_handover, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_release_for_other_thread, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
