/*
 * The low-resources simulation (SEMANTICS.md 10.1, Driver Verifier's "low
 * resources simulation"): allocations a driver makes fail on a schedule
 * (every Nth, after N, with a seeded probability; for one tag, one driver,
 * some kinds), so that its STATUS_INSUFFICIENT_RESOURCES paths run. The
 * test's own allocations never fail.
 */
#include "vftest.h"
#include "lowres_driver.h"
#include <irpsim/trace.h>

static PDRIVER_OBJECT Driver;

static int Setup(void **State)
{
    if (VfTestSetup(State) != 0)
        return -1;
    LowResAllocateInDriverEntry = FALSE;
    return IrpSimLoadDriver(L"\\Driver\\LowRes", LowResDriverEntry, &Driver) == STATUS_SUCCESS ? 0 : -1;
}

static IRPSIM_LOW_RESOURCES Settings(void)
{
    IRPSIM_LOW_RESOURCES S;
    memset(&S, 0, sizeof(S));
    S.Size = sizeof(S);
    S.Enabled = TRUE;
    return S;
}

/* Runs Count requests of Code; Pattern[i] is 'F' (failed) or '.'. */
static void Run(ULONG Code, ULONG Count, char *Pattern)
{
    for (ULONG i = 0; i < Count; i++) {
        NTSTATUS Status = VfTestIoctl(LowResDevice, Code);
        assert_true(Status == STATUS_SUCCESS || Status == STATUS_INSUFFICIENT_RESOURCES);
        Pattern[i] = Status == STATUS_SUCCESS ? '.' : 'F';
    }
    Pattern[Count] = '\0';
}

static void test_every_nth(void **State)
{
    IRPSIM_LOW_RESOURCES S = Settings();
    IRPSIM_LOW_RESOURCES_STATS Stats;
    char Pattern[16];
    (void)State;
    S.Every = 3;
    S.Kinds = IRPSIM_LOW_RESOURCES_POOL;
    assert_int_equal(IrpSimSetLowResources(&S), STATUS_SUCCESS);
    Run(LOWRES_IOCTL_POOL, 9, Pattern);
    assert_string_equal(Pattern, "..F..F..F");
    IrpSimQueryLowResources(&Stats);
    assert_int_equal(Stats.Eligible, 9);
    assert_int_equal(Stats.Failed, 3);
}

static void test_after_n(void **State)
{
    IRPSIM_LOW_RESOURCES S = Settings();
    char Pattern[16];
    (void)State;
    S.After = 2;
    assert_int_equal(IrpSimSetLowResources(&S), STATUS_SUCCESS);
    Run(LOWRES_IOCTL_POOL, 5, Pattern);
    assert_string_equal(Pattern, "..FFF");
    /* After N, then every Mth of the rest. */
    S.Every = 2;
    assert_int_equal(IrpSimSetLowResources(&S), STATUS_SUCCESS);
    Run(LOWRES_IOCTL_POOL, 6, Pattern);
    assert_string_equal(Pattern, "...F.F");
    /* Off again. */
    assert_int_equal(IrpSimSetLowResources(NULL), STATUS_SUCCESS);
    Run(LOWRES_IOCTL_POOL, 3, Pattern);
    assert_string_equal(Pattern, "...");
}

/* The same seed gives the same failures. */
static void test_probability_is_seeded(void **State)
{
    IRPSIM_LOW_RESOURCES S = Settings();
    char First[32], Second[32];
    (void)State;
    S.Probability = 0.5;
    S.Seed = 42;
    assert_int_equal(IrpSimSetLowResources(&S), STATUS_SUCCESS);
    Run(LOWRES_IOCTL_POOL, 24, First);
    assert_int_equal(IrpSimSetLowResources(&S), STATUS_SUCCESS);
    Run(LOWRES_IOCTL_POOL, 24, Second);
    assert_string_equal(First, Second);
    assert_non_null(strchr(First, 'F'));
    assert_non_null(strchr(First, '.'));
    S.Probability = 1.5;
    assert_int_equal(IrpSimSetLowResources(&S), STATUS_INVALID_PARAMETER);
}

static void test_tag_filter(void **State)
{
    IRPSIM_LOW_RESOURCES S = Settings();
    (void)State;
    S.Every = 1;
    S.Tag = LOWRES_TAG;
    assert_int_equal(IrpSimSetLowResources(&S), STATUS_SUCCESS);
    assert_int_equal(VfTestIoctl(LowResDevice, LOWRES_IOCTL_POOL), STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(VfTestIoctl(LowResDevice, LOWRES_IOCTL_POOL_OTHER_TAG), STATUS_SUCCESS);
}

static void test_driver_filter(void **State)
{
    IRPSIM_LOW_RESOURCES S = Settings();
    (void)State;
    S.Every = 1;
    S.DriverName = L"SomeOtherDriver";
    assert_int_equal(IrpSimSetLowResources(&S), STATUS_SUCCESS);
    assert_int_equal(VfTestIoctl(LowResDevice, LOWRES_IOCTL_POOL), STATUS_SUCCESS);
    S.DriverName = L"lowres"; /* the last part of \Driver\LowRes, any case */
    assert_int_equal(IrpSimSetLowResources(&S), STATUS_SUCCESS);
    assert_int_equal(VfTestIoctl(LowResDevice, LOWRES_IOCTL_POOL), STATUS_INSUFFICIENT_RESOURCES);
    S.DriverName = NULL;
    S.Driver = Driver;
    assert_int_equal(IrpSimSetLowResources(&S), STATUS_SUCCESS);
    assert_int_equal(VfTestIoctl(LowResDevice, LOWRES_IOCTL_POOL), STATUS_INSUFFICIENT_RESOURCES);
    /* The test's own allocations are never failed. */
    {
        PVOID Block = ExAllocatePoolWithTag(NonPagedPool, 16, LOWRES_TAG);
        assert_non_null(Block);
        ExFreePoolWithTag(Block, LOWRES_TAG);
    }
}

/* Every allocation entry point: pool (both spellings, and the raising
   type), IRPs, MDLs, work items, lookaside lists. */
static void FailsOnlyAs(ULONG Kind, ULONG Code)
{
    IRPSIM_LOW_RESOURCES S = Settings();
    S.Every = 1;
    S.Kinds = Kind;
    assert_int_equal(IrpSimSetLowResources(&S), STATUS_SUCCESS);
    assert_int_equal(VfTestIoctl(LowResDevice, Code), STATUS_INSUFFICIENT_RESOURCES);
    S.Kinds = IRPSIM_LOW_RESOURCES_ALL & ~Kind;
    assert_int_equal(IrpSimSetLowResources(&S), STATUS_SUCCESS);
    assert_int_equal(VfTestIoctl(LowResDevice, Code), STATUS_SUCCESS);
}

static void test_every_entry_point(void **State)
{
    (void)State;
    FailsOnlyAs(IRPSIM_LOW_RESOURCES_POOL, LOWRES_IOCTL_POOL);
    FailsOnlyAs(IRPSIM_LOW_RESOURCES_POOL, LOWRES_IOCTL_POOL2);
    FailsOnlyAs(IRPSIM_LOW_RESOURCES_POOL, LOWRES_IOCTL_POOL_RAISE);
    FailsOnlyAs(IRPSIM_LOW_RESOURCES_IRP, LOWRES_IOCTL_IRP);
    FailsOnlyAs(IRPSIM_LOW_RESOURCES_MDL, LOWRES_IOCTL_MDL);
    FailsOnlyAs(IRPSIM_LOW_RESOURCES_WORKITEM, LOWRES_IOCTL_WORKITEM);
    FailsOnlyAs(IRPSIM_LOW_RESOURCES_LOOKASIDE, LOWRES_IOCTL_LOOKASIDE);
}

/* DriverEntry's own error path. */
static void test_driver_entry_fails(void **State)
{
    IRPSIM_LOW_RESOURCES S = Settings();
    PDRIVER_OBJECT Second;
    (void)State;
    assert_int_equal(IrpSimUnloadDriver(Driver), STATUS_SUCCESS);
    S.Every = 1;
    S.Tag = LOWRES_TAG;
    assert_int_equal(IrpSimSetLowResources(&S), STATUS_SUCCESS);
    LowResAllocateInDriverEntry = TRUE;
    assert_int_equal(IrpSimLoadDriver(L"\\Driver\\LowRes", LowResDriverEntry, &Second), STATUS_INSUFFICIENT_RESOURCES);
    assert_null(Second);
}

/* IRPSIM_LOW_RESOURCES configures it without recompiling. */
static int SetupFromEnvironment(void **State)
{
    if (VfTestSetup(State) != 0)
        return -1;
    IrpSimShutdown();
    VfTestSetEnv("IRPSIM_LOW_RESOURCES", "every=2,tag=Tst1,kinds=pool,seed=7");
    if (!NT_SUCCESS(IrpSimInitialize(NULL)))
        return -1;
    VfTestSetEnv("IRPSIM_LOW_RESOURCES", NULL);
    LowResAllocateInDriverEntry = FALSE;
    return IrpSimLoadDriver(L"\\Driver\\LowRes", LowResDriverEntry, &Driver) == STATUS_SUCCESS ? 0 : -1;
}

static void test_environment(void **State)
{
    char Pattern[8];
    (void)State;
    Run(LOWRES_IOCTL_POOL, 4, Pattern);
    assert_string_equal(Pattern, ".F.F");
    Run(LOWRES_IOCTL_POOL_OTHER_TAG, 2, Pattern);
    assert_string_equal(Pattern, "..");
}

/* Each injected failure is traced (a verifier event with code 0 and a text). */
IRPSIM_TRACED_FIXTURES(SetupTraced, TeardownTraced, Setup, VfTestTeardown)

static void test_traced(void **State)
{
    IRPSIM_LOW_RESOURCES S = Settings();
    IRPSIM_TRACE_EVENT Event;
    ULONG Index = 0;
    (void)State;
    S.Every = 1;
    assert_int_equal(IrpSimSetLowResources(&S), STATUS_SUCCESS);
    assert_int_equal(VfTestIoctl(LowResDevice, LOWRES_IOCTL_MDL), STATUS_INSUFFICIENT_RESOURCES);
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceVerifier, NULL, &Event));
    assert_int_equal(Event.Argument[0], 0);
    assert_int_equal(Event.Argument[1], IRPSIM_LOW_RESOURCES_MDL);
    assert_non_null(strstr(Event.Text, "IoAllocateMdl failed"));
}

/* The class switched off: the schedule is kept but nothing fails. */
static void test_class_off(void **State)
{
    IRPSIM_LOW_RESOURCES S = Settings();
    (void)State;
    S.Every = 1;
    assert_int_equal(IrpSimSetLowResources(&S), STATUS_SUCCESS);
    IrpSimVerifierSetRules(IRPSIM_VERIFIER_ALL & ~IRPSIM_VERIFIER_LOW_RESOURCES);
    assert_int_equal(VfTestIoctl(LowResDevice, LOWRES_IOCTL_POOL), STATUS_SUCCESS);
    IrpSimVerifierSetRules(IRPSIM_VERIFIER_ALL);
    assert_int_equal(VfTestIoctl(LowResDevice, LOWRES_IOCTL_POOL), STATUS_INSUFFICIENT_RESOURCES);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_every_nth, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_after_n, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_probability_is_seeded, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_tag_filter, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_driver_filter, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_every_entry_point, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_driver_entry_fails, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_environment, SetupFromEnvironment, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_traced, SetupTraced, TeardownTraced),
        cmocka_unit_test_setup_teardown(test_class_off, Setup, VfTestTeardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
