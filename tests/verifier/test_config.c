/*
 * The verifier's configuration (docs/verifier.md): on by default, rule
 * classes switched by API and by IRPSIM_VERIFIER, non-fatal reports
 * report-and-continue unless IrpSimVerifierSetNonFatalAction /
 * IRPSIM_VERIFIER_NONFATAL say stop; the report list, the handler, the
 * trace event.
 */
#include "vftest.h"
#include "config_driver.h"
#include <irpsim/trace.h>

static PDRIVER_OBJECT Driver;

static int LoadDriver(void)
{
    ConfigHeldIrp = NULL;
    return IrpSimLoadDriver(L"\\Driver\\Config", ConfigDriverEntry, &Driver) == STATUS_SUCCESS ? 0 : -1;
}

static int Setup(void **State)
{
    return VfTestSetup(State) == 0 ? LoadDriver() : -1;
}

/* Starts the machine with one environment variable set. */
static int StartWith(const char *Name, const char *Value)
{
    VfTestSetEnv("IRPSIM_VERIFIER", NULL);
    VfTestSetEnv("IRPSIM_VERIFIER_NONFATAL", NULL);
    VfTestSetEnv("IRPSIM_LOW_RESOURCES", NULL);
    VfTestSetEnv(Name, Value);
    if (!NT_SUCCESS(IrpSimInitialize(NULL)))
        return -1;
    VfTestSetEnv(Name, NULL);
    return LoadDriver();
}

/* Sends one read to the buggy routine and finishes it. */
static NTSTATUS ReadOnce(void)
{
    PIRP Irp = VfTestBuildIrp(ConfigDevice, IRP_MJ_READ, 0);
    NTSTATUS Status = IoCallDriver(ConfigDevice, Irp);
    assert_non_null(ConfigHeldIrp);
    ConfigHeldIrp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(ConfigHeldIrp, IO_NO_INCREMENT);
    ConfigHeldIrp = NULL;
    IoFreeIrp(Irp);
    return Status;
}

static void test_defaults(void **State)
{
    IRPSIM_CONFIG Config;
    (void)State;
    IrpSimQueryConfig(&Config);
    assert_true(Config.Verifier);
    assert_int_equal(IrpSimVerifierGetRules(), IRPSIM_VERIFIER_ALL);
    assert_int_equal(IrpSimVerifierGetNonFatalAction(), IrpSimVerifierContinue);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

/* The report list: what, where, how often; cleared on request. */
static void test_report_list(void **State)
{
    IRPSIM_VERIFIER_REPORT Report = {0};
    (void)State;
    assert_int_equal(ReadOnce(), STATUS_PENDING);
    assert_int_equal(ReadOnce(), STATUS_PENDING);
    assert_int_equal(IrpSimVerifierReportCount(), 2);
    assert_int_equal(IrpSimVerifierCountReports(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x23D), 2);
    assert_int_equal(IrpSimVerifierCountReports(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IRPSIM_VERIFIER_ANY_SUBCODE), 2);
    assert_int_equal(IrpSimVerifierCountReports(DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x23E), 0);
    assert_true(IrpSimVerifierGetReport(0, &Report));
    assert_int_equal(Report.Code, DRIVER_VERIFIER_IOMANAGER_VIOLATION);
    assert_int_equal(Report.Parameter[0], 0x23D);
    assert_ptr_equal(Report.Driver, Driver);
    assert_string_equal(Report.Name, "DRIVER_VERIFIER_IOMANAGER_VIOLATION");
    assert_int_equal(Report.Occurrence, 1);
    assert_non_null(strstr(Report.Text, "Fix:"));
    assert_true(IrpSimVerifierGetReport(1, &Report));
    assert_int_equal(Report.Occurrence, 2);
    assert_false(IrpSimVerifierGetReport(2, &Report));
    IrpSimVerifierClearReports();
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

static ULONG HandlerCalls;
static VOID CountingHandler(const IRPSIM_VERIFIER_REPORT *Report, PVOID Context)
{
    assert_ptr_equal(Context, &HandlerCalls);
    assert_int_equal(Report->Parameter[0], 0x23D);
    HandlerCalls++;
}

static void test_report_handler(void **State)
{
    (void)State;
    HandlerCalls = 0;
    IrpSimVerifierSetReportHandler(CountingHandler, &HandlerCalls);
    (void)ReadOnce();
    assert_int_equal(HandlerCalls, 1);
    IrpSimVerifierSetReportHandler(NULL, NULL);
    (void)ReadOnce();
    assert_int_equal(HandlerCalls, 1);
}

/* Classes switched by the API. */
static void test_rules_api(void **State)
{
    (void)State;
    IrpSimVerifierSetRules(IRPSIM_VERIFIER_IRQL | IRPSIM_VERIFIER_LOCKS);
    assert_int_equal(IrpSimVerifierGetRules(), IRPSIM_VERIFIER_IRQL | IRPSIM_VERIFIER_LOCKS);
    (void)ReadOnce();
    assert_int_equal(IrpSimVerifierReportCount(), 0);
    IrpSimVerifierSetRules(IRPSIM_VERIFIER_ALL);
    (void)ReadOnce();
    assert_int_equal(IrpSimVerifierReportCount(), 1);
}

/* Settings go back to the defaults at the next IrpSimInitialize. */
static void test_settings_reset_by_initialize(void **State)
{
    (void)State;
    IrpSimVerifierSetRules(IRPSIM_VERIFIER_IRQL);
    IrpSimVerifierSetNonFatalAction(IrpSimVerifierStop);
    (void)ReadOnce();
    IrpSimShutdown();
    assert_int_equal(IrpSimInitialize(NULL), STATUS_SUCCESS);
    assert_int_equal(IrpSimVerifierGetRules(), IRPSIM_VERIFIER_ALL);
    assert_int_equal(IrpSimVerifierGetNonFatalAction(), IrpSimVerifierContinue);
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

/* The trace has an IrpSimTraceVerifier event per report (A1 code, A2 subcode). */
IRPSIM_TRACED_FIXTURES(SetupTraced, TeardownTraced, Setup, VfTestTeardown)

static void test_traced(void **State)
{
    IRPSIM_TRACE_EVENT Event;
    ULONG Index = 0;
    (void)State;
    (void)ReadOnce();
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceVerifier, NULL, &Event));
    assert_int_equal(Event.Argument[0], DRIVER_VERIFIER_IOMANAGER_VIOLATION);
    assert_int_equal(Event.Argument[1], 0x23D);
}

/* ---- the environment ---- */

static int SetupOff(void **State)
{
    (void)State;
    return StartWith("IRPSIM_VERIFIER", "0");
}

static void test_env_off(void **State)
{
    IRPSIM_CONFIG Config;
    (void)State;
    IrpSimQueryConfig(&Config);
    assert_false(Config.Verifier);
    assert_int_equal(IrpSimVerifierGetRules(), 0);
    (void)ReadOnce();
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

static int SetupList(void **State)
{
    (void)State;
    return StartWith("IRPSIM_VERIFIER", "irp-state, pending,LOCKS,bogus");
}

static void test_env_list(void **State)
{
    (void)State;
    assert_int_equal(IrpSimVerifierGetRules(),
                     IRPSIM_VERIFIER_IRP_STATE | IRPSIM_VERIFIER_PENDING | IRPSIM_VERIFIER_LOCKS);
}

static int SetupMinus(void **State)
{
    (void)State;
    return StartWith("IRPSIM_VERIFIER", "-pending,-low_resources");
}

static void test_env_minus(void **State)
{
    (void)State;
    assert_int_equal(IrpSimVerifierGetRules(),
                     IRPSIM_VERIFIER_ALL & ~(IRPSIM_VERIFIER_PENDING | IRPSIM_VERIFIER_LOW_RESOURCES));
    (void)ReadOnce();
    assert_int_equal(IrpSimVerifierReportCount(), 0);
}

static int SetupStop(void **State)
{
    (void)State;
    return StartWith("IRPSIM_VERIFIER_NONFATAL", "stop");
}

static void test_env_nonfatal_stop(void **State)
{
    PIRP Irp = VfTestBuildIrp(ConfigDevice, IRP_MJ_READ, 0);
    (void)State;
    assert_int_equal(IrpSimVerifierGetNonFatalAction(), IrpSimVerifierStop);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IoCallDriver(ConfigDevice, Irp));
    assert_int_equal(VfTestCaughtSubCode(), 0x23D);
    ConfigHeldIrp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(ConfigHeldIrp, IO_NO_INCREMENT);
    IoFreeIrp(Irp);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_report_list, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_report_handler, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_rules_api, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_settings_reset_by_initialize, Setup, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_traced, SetupTraced, TeardownTraced),
        cmocka_unit_test_setup_teardown(test_env_off, SetupOff, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_env_list, SetupList, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_env_minus, SetupMinus, VfTestTeardown),
        cmocka_unit_test_setup_teardown(test_env_nonfatal_stop, SetupStop, VfTestTeardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
