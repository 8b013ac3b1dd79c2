/*
 * IRQL (SEMANTICS 9.1), critical and guarded regions (9.5) and PAGED_CODE.
 */
#include "ke_test.h"

static int SetupNoVerifier(void **State)
{
    (void)State;
    return KeTestStart(IrpSimClockReal, 2, FALSE);
}

/* A thread starts at PASSIVE_LEVEL; KeRaiseIrql saves the old level and
   KeLowerIrql restores it. KeRaiseIrqlToDpcLevel / ToSynchLevel return the
   level they raised from. */
static void test_raise_and_lower(void **State)
{
    KIRQL Old = 0xFF;
    (void)State;
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KeRaiseIrql(APC_LEVEL, &Old);
    assert_int_equal(Old, PASSIVE_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
    assert_int_equal(KeRaiseIrqlToDpcLevel(), APC_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    assert_int_equal(KeRaiseIrqlToSynchLevel(), DISPATCH_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), SYNCH_LEVEL);
    assert_int_equal(KfRaiseIrql(HIGH_LEVEL), SYNCH_LEVEL);
    KeLowerIrql(DISPATCH_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(Old);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    /* Raising to the current level is allowed. */
    KeRaiseIrql(PASSIVE_LEVEL, &Old);
    assert_int_equal(Old, PASSIVE_LEVEL);
}

/* Verifier 0xC4/0x30: KeRaiseIrql to a lower level; P2 current, P3 requested. */
static void test_raise_below_current_verifier(void **State)
{
    KIRQL Old;
    (void)State;
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeRaiseIrql(APC_LEVEL, &Old));
    irpsim_assert_bugcheck_parameter(0, 0x30);
    irpsim_assert_bugcheck_parameter(1, DISPATCH_LEVEL);
    irpsim_assert_bugcheck_parameter(2, APC_LEVEL);
    /* The catch frame restored the IRQL it was armed at. */
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(PASSIVE_LEVEL);
}

/* Verifier 0xC4/0x31: KeLowerIrql to a higher level. */
static void test_lower_above_current_verifier(void **State)
{
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeLowerIrql(DISPATCH_LEVEL));
    irpsim_assert_bugcheck_parameter(0, 0x31);
    irpsim_assert_bugcheck_parameter(1, PASSIVE_LEVEL);
    irpsim_assert_bugcheck_parameter(2, DISPATCH_LEVEL);
    irpsim_assert_bugcheck_parameter(3, 0);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* Without the verifier, a checked HAL reports 0x9 IRQL_NOT_GREATER_OR_EQUAL
   (raise) and 0xA IRQL_NOT_LESS_OR_EQUAL (lower), P1 current, P2 requested. */
static void test_bad_raise_and_lower_without_verifier(void **State)
{
    KIRQL Old;
    (void)State;
    KeRaiseIrql(APC_LEVEL, &Old);
    irpsim_assert_bugcheck(IRQL_NOT_GREATER_OR_EQUAL, KeRaiseIrql(PASSIVE_LEVEL, &Old));
    irpsim_assert_bugcheck_parameter(0, APC_LEVEL);
    irpsim_assert_bugcheck_parameter(1, PASSIVE_LEVEL);
    irpsim_assert_bugcheck(IRQL_NOT_LESS_OR_EQUAL, KeLowerIrql(DISPATCH_LEVEL));
    irpsim_assert_bugcheck_parameter(0, APC_LEVEL);
    irpsim_assert_bugcheck_parameter(1, DISPATCH_LEVEL);
    KeLowerIrql(PASSIVE_LEVEL);
}

/* Raising above HIGH_LEVEL is invalid too (0xC4/0x30). */
static void test_raise_above_high(void **State)
{
    KIRQL Old;
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeRaiseIrql(HIGH_LEVEL + 1, &Old));
    irpsim_assert_bugcheck_parameter(0, 0x30);
}

/* PAGED_CODE() asserts IRQL <= APC_LEVEL: above it, 0xD1
   DRIVER_IRQL_NOT_LESS_OR_EQUAL (P2 the IRQL, P3 8 = execute). */
static void PagedRoutine(void)
{
    PAGED_CODE();
}

static void test_paged_code(void **State)
{
    KIRQL Old;
    (void)State;
    PagedRoutine(); /* fine at PASSIVE_LEVEL */
    KeRaiseIrql(APC_LEVEL, &Old);
    PagedRoutine(); /* and at APC_LEVEL */
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    irpsim_assert_bugcheck(DRIVER_IRQL_NOT_LESS_OR_EQUAL, PagedRoutine());
    irpsim_assert_bugcheck_parameter(1, DISPATCH_LEVEL);
    irpsim_assert_bugcheck_parameter(2, 8);
    KeLowerIrql(PASSIVE_LEVEL);
}

/* KeAreApcsDisabled: inside a critical or guarded region.
   KeAreAllApcsDisabled: inside a guarded region or at IRQL >= APC_LEVEL. */
static void test_regions(void **State)
{
    KIRQL Old;
    (void)State;
    assert_false(KeAreApcsDisabled());
    assert_false(KeAreAllApcsDisabled());
    KeEnterCriticalRegion();
    KeEnterCriticalRegion();
    assert_true(KeAreApcsDisabled());
    assert_false(KeAreAllApcsDisabled());
    KeLeaveCriticalRegion();
    assert_true(KeAreApcsDisabled());
    KeLeaveCriticalRegion();
    assert_false(KeAreApcsDisabled());
    KeEnterGuardedRegion();
    assert_true(KeAreApcsDisabled());
    assert_true(KeAreAllApcsDisabled());
    KeLeaveGuardedRegion();
    assert_false(KeAreAllApcsDisabled());
    KeRaiseIrql(APC_LEVEL, &Old);
    assert_true(KeAreAllApcsDisabled());
    assert_false(KeAreApcsDisabled());
    KeLowerIrql(Old);
}

/* Verifier 0xC4/0x3E: KeLeaveCriticalRegion without a matching enter. */
static void test_leave_critical_region_unbalanced(void **State)
{
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeLeaveCriticalRegion());
    irpsim_assert_bugcheck_parameter(0, 0x3E);
}

/* Verifier 0xC4/0x11A: KeEnterCriticalRegion above APC_LEVEL. */
static void test_enter_critical_region_at_dispatch(void **State)
{
    KIRQL Old;
    (void)State;
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeEnterCriticalRegion());
    irpsim_assert_bugcheck_parameter(0, 0x11A);
    irpsim_assert_bugcheck_parameter(1, DISPATCH_LEVEL);
    KeLowerIrql(Old);
}

/* Verifier 0xC4/0x11B: KeLeaveCriticalRegion above APC_LEVEL. */
static void test_leave_critical_region_at_dispatch(void **State)
{
    KIRQL Old;
    (void)State;
    KeEnterCriticalRegion();
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeLeaveCriticalRegion());
    irpsim_assert_bugcheck_parameter(0, 0x11B);
    KeLowerIrql(Old);
}

/* DDI rule GuardedRegions (0xC4/0x4000E): KeLeaveGuardedRegion without a
   matching enter. */
static void test_leave_guarded_region_unbalanced(void **State)
{
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KeLeaveGuardedRegion());
    irpsim_assert_bugcheck_parameter(0, 0x4000E);
}

/* A caught bug check leaves the regions the thread entered. */
static void test_bug_check_leaves_regions(void **State)
{
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, {
        KeEnterCriticalRegion();
        KeEnterGuardedRegion();
        KeLowerIrql(DISPATCH_LEVEL);
    });
    assert_false(KeAreApcsDisabled());
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_raise_and_lower, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_raise_below_current_verifier, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_lower_above_current_verifier, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_bad_raise_and_lower_without_verifier, SetupNoVerifier, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_raise_above_high, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_paged_code, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_regions, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_leave_critical_region_unbalanced, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_enter_critical_region_at_dispatch, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_leave_critical_region_at_dispatch, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_leave_guarded_region_unbalanced, KeTestSetup, KeTestTeardown),
        cmocka_unit_test_setup_teardown(test_bug_check_leaves_regions, KeTestSetup, KeTestTeardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
