/*
 * MDL leak reports: an MDL from IoAllocateMdl that is never freed, pages
 * locked and never unlocked, and an MDL freed with its pages still locked
 * (on Windows the pages stay locked: bug check 0x76 PROCESS_HAS_LOCKED_PAGES
 * / 0xCB DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS when the process ends). Each is
 * charged to the driver that made it and names where it was made; a
 * leaked MDL also shows in the pool report under the tag "Mdl ".
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

#include "mdl_driver.h"
#include "../support/test_tmpfile.h"

static UCHAR Data[2 * PAGE_SIZE];

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

/* The leak report of Driver (NULL: everything) as text. */
static char Report[8192];
static ULONG ReportLeaks(PDRIVER_OBJECT Driver)
{
    FILE *Stream = TestTmpFile();
    ULONG Count;
    size_t Length;
    assert_non_null(Stream);
    Count = IrpSimReportLeaks(Driver, Stream);
    rewind(Stream);
    Length = fread(Report, 1, sizeof(Report) - 1, Stream);
    Report[Length] = '\0';
    fclose(Stream);
    return Count;
}

static BOOLEAN ReportMentions(PVOID Address)
{
    char Text[32];
    snprintf(Text, sizeof(Text), "MDL %p", Address);
    return strstr(Report, Text) != NULL;
}

/* A leaked MDL is listed with its allocation site and counted; the pool
   report shows its memory under "Mdl ". */
static void test_leaked_mdl_is_reported(void **State)
{
    IRPSIM_LEAK_SUMMARY Summary;
    PMDL Mdl;
    (void)State;
    Mdl = IoAllocateMdl(Data, 100, FALSE, FALSE, NULL);
    IrpSimQueryOutstanding(NULL, &Summary);
    assert_int_equal(Summary.Mdls, 1);
    assert_true(ReportLeaks(NULL) >= 1);
    assert_true(ReportMentions(Mdl));
    assert_non_null(strstr(Report, "IoAllocateMdl"));
    assert_non_null(strstr(Report, "Mdl "));
    IoFreeMdl(Mdl);
    IrpSimQueryOutstanding(NULL, &Summary);
    assert_int_equal(Summary.Mdls, 0);
    assert_int_equal(ReportLeaks(NULL), 0);
}

/* Locked pages are reported until unlocked, also for an MDL the driver
   built itself. */
static void test_locked_pages_are_reported(void **State)
{
    union {
        MDL Mdl;
        UCHAR Space[sizeof(MDL) + 2 * sizeof(PFN_NUMBER)];
    } Storage;
    PMDL Mdl = &Storage.Mdl;
    (void)State;
    MmInitializeMdl(Mdl, Data, 64);
    MmProbeAndLockPages(Mdl, KernelMode, IoReadAccess);
    assert_int_equal(ReportLeaks(NULL), 1);
    assert_true(ReportMentions(Mdl));
    assert_non_null(strstr(Report, "never unlocked"));
    MmUnlockPages(Mdl);
    assert_int_equal(ReportLeaks(NULL), 0);
}

/* An MDL made in DriverEntry is charged to that driver. */
static void test_leak_charged_to_driver(void **State)
{
    PDRIVER_OBJECT Driver;
    IRPSIM_LEAK_SUMMARY Summary;
    (void)State;
    assert_int_equal(IrpSimLoadDriver(L"\\Driver\\MdlLeaker", LeakyDriverEntry, &Driver), STATUS_SUCCESS);
    IrpSimQueryOutstanding(Driver, &Summary);
    assert_int_equal(Summary.Mdls, 1);
    assert_true(ReportLeaks(Driver) >= 1);
    assert_true(ReportMentions(LeakyDriverMdl));
    assert_non_null(strstr(Report, "MdlLeaker"));
    IoFreeMdl(LeakyDriverMdl);
    IrpSimQueryOutstanding(Driver, &Summary);
    assert_int_equal(Summary.Mdls, 0);
}

/* IoFreeMdl with the pages still locked frees the MDL but the lock stays
   on record as a leak (named with both sites). */
static void test_freed_while_locked(void **State)
{
    PMDL Mdl;
    (void)State;
    Mdl = IoAllocateMdl(Data, 100, FALSE, FALSE, NULL);
    MmProbeAndLockPages(Mdl, KernelMode, IoWriteAccess);
    IoFreeMdl(Mdl);
    assert_int_equal(ReportLeaks(NULL), 1);
    assert_true(ReportMentions(Mdl));
    assert_non_null(strstr(Report, "still locked"));
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_leaked_mdl_is_reported, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_locked_pages_are_reported, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_leak_charged_to_driver, Setup, Teardown),
        /* Last: the lock record stays until IrpSimShutdown forgets it. */
        cmocka_unit_test_setup_teardown(test_freed_while_locked, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
