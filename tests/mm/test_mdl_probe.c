/*
 * MmProbeAndLockPages on ranges that may not be touched: it raises
 * STATUS_ACCESS_VIOLATION (WDK: "drivers must call it inside a try/except
 * block"), which __try/__except and the old try/except catch; unhandled,
 * the machine stops with KMODE_EXCEPTION_NOT_HANDLED. MmIsAddressValid
 * answers the same question without raising. Seed 002, scenario 6 runs
 * unchanged against a good and a bad buffer.
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>
#include <irpsim/memory.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

#ifdef __linux__
#include <sys/mman.h>
#endif

#include "mdl_driver.h"

static UCHAR Good[3 * PAGE_SIZE];
static const CHAR ReadOnly[] = "constant data lives in a read-only mapping";

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

/* Probes Va for Operation from Mode inside __try/__except; returns the
   exception code (STATUS_SUCCESS if none) and unlocks on success. An MDL
   whose probe failed is left unlocked, as on Windows. */
static NTSTATUS Probe(PVOID Va, ULONG Length, KPROCESSOR_MODE Mode, LOCK_OPERATION Operation)
{
    NTSTATUS Status = STATUS_SUCCESS;
    PMDL Mdl = IoAllocateMdl(Va, Length, FALSE, FALSE, NULL);
    assert_non_null(Mdl);
    __try {
        MmProbeAndLockPages(Mdl, Mode, Operation);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        Status = GetExceptionCode();
    }
    if (NT_SUCCESS(Status))
        MmUnlockPages(Mdl);
    else
        assert_int_equal(Mdl->MdlFlags & MDL_PAGES_LOCKED, 0);
    IoFreeMdl(Mdl);
    return Status;
}

/* The same with the old spellings (C): try / except. */
static NTSTATUS ProbeOldStyle(PVOID Va, ULONG Length)
{
    PMDL Mdl = IoAllocateMdl(Va, Length, FALSE, FALSE, NULL);
    try {
        MmProbeAndLockPages(Mdl, KernelMode, IoReadAccess);
    }
    except(EXCEPTION_EXECUTE_HANDLER)
    {
        IoFreeMdl(Mdl);
        return GetExceptionCode();
    }
    MmUnlockPages(Mdl);
    IoFreeMdl(Mdl);
    return STATUS_SUCCESS;
}

/* Ordinary memory probes fine, for reading and writing, from both modes. */
static void test_valid_ranges(void **State)
{
    (void)State;
    assert_int_equal(Probe(Good + 10, sizeof(Good) - 20, KernelMode, IoWriteAccess), STATUS_SUCCESS);
    assert_int_equal(Probe(Good, sizeof(Good), UserMode, IoModifyAccess), STATUS_SUCCESS);
    assert_int_equal(Probe((PVOID)ReadOnly, sizeof(ReadOnly), UserMode, IoReadAccess), STATUS_SUCCESS);
    assert_int_equal(ProbeOldStyle(Good, 100), STATUS_SUCCESS);
}

/* The NULL region (the first 64 KB) is never valid. */
static void test_null_page(void **State)
{
    (void)State;
    assert_int_equal(Probe(NULL, 16, KernelMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
    assert_int_equal(Probe((PVOID)(ULONG_PTR)0x8000, 16, UserMode, IoWriteAccess), STATUS_ACCESS_VIOLATION);
    assert_int_equal(ProbeOldStyle(NULL, 16), STATUS_ACCESS_VIOLATION);
    assert_false(MmIsAddressValid(NULL));
}

/* A range a test declares invalid behaves like an unmapped user buffer. */
static void test_declared_invalid_range(void **State)
{
    (void)State;
    assert_true(MmIsAddressValid(Good + PAGE_SIZE));
    assert_int_equal(IrpSimDeclareInvalidRange(Good + PAGE_SIZE, PAGE_SIZE), STATUS_SUCCESS);
    assert_false(MmIsAddressValid(Good + PAGE_SIZE));
    assert_true(MmIsNonPagedSystemAddressValid(Good));
    /* Any overlap fails the whole probe. */
    assert_int_equal(Probe(Good, sizeof(Good), KernelMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
    assert_int_equal(ProbeOldStyle(Good + PAGE_SIZE + 5, 1), STATUS_ACCESS_VIOLATION);
    assert_int_equal(Probe(Good, PAGE_SIZE, KernelMode, IoReadAccess), STATUS_SUCCESS);
    assert_int_equal(IrpSimRemoveInvalidRange(Good + PAGE_SIZE), STATUS_SUCCESS);
    assert_int_equal(IrpSimRemoveInvalidRange(Good + PAGE_SIZE), STATUS_NOT_FOUND);
    assert_int_equal(IrpSimDeclareInvalidRange(Good, 0), STATUS_INVALID_PARAMETER);
    assert_true(MmIsAddressValid(Good + PAGE_SIZE));
    assert_int_equal(Probe(Good, sizeof(Good), KernelMode, IoReadAccess), STATUS_SUCCESS);
}

#if defined(__x86_64__)
/* UserMode may not touch addresses above MmUserProbeAddress (kernel
   space); KernelMode probes of such an address fail too when nothing is
   mapped there. */
static void test_kernel_address_from_user_mode(void **State)
{
    PVOID Kernel = (PVOID)(ULONG_PTR)0xFFFFF80000001000ULL;
    (void)State;
    assert_int_equal(Probe(Kernel, 8, UserMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
    assert_int_equal(Probe(Kernel, 8, KernelMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
    assert_false(MmIsAddressValid(Kernel));
}
#endif

#ifdef __linux__
/* Pages the host process has not mapped, or mapped PROT_NONE, are invalid;
   read-only pages are valid for reading only. */
static void test_host_unmapped_and_read_only(void **State)
{
    PUCHAR Map = (PUCHAR)mmap(NULL, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    (void)State;
    assert_true(Map != (PUCHAR)MAP_FAILED);
    assert_int_equal(munmap(Map + PAGE_SIZE, PAGE_SIZE), 0);
    assert_int_equal(Probe(Map, PAGE_SIZE, KernelMode, IoWriteAccess), STATUS_SUCCESS);
    assert_int_equal(Probe(Map + 100, 3 * PAGE_SIZE - 200, KernelMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
    assert_int_equal(Probe(Map + 100, 3 * PAGE_SIZE - 200, KernelMode, IoWriteAccess), STATUS_ACCESS_VIOLATION);
    assert_false(MmIsAddressValid(Map + PAGE_SIZE));
    assert_int_equal(mprotect(Map + 2 * PAGE_SIZE, PAGE_SIZE, PROT_NONE), 0);
    assert_int_equal(Probe(Map + 2 * PAGE_SIZE, 8, KernelMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
    assert_int_equal(Probe((PVOID)ReadOnly, sizeof(ReadOnly), KernelMode, IoReadAccess), STATUS_SUCCESS);
    assert_int_equal(Probe((PVOID)ReadOnly, sizeof(ReadOnly), KernelMode, IoWriteAccess), STATUS_ACCESS_VIOLATION);
    assert_int_equal(Probe((PVOID)ReadOnly, sizeof(ReadOnly), KernelMode, IoModifyAccess), STATUS_ACCESS_VIOLATION);
    munmap(Map, PAGE_SIZE);
    munmap(Map + 2 * PAGE_SIZE, PAGE_SIZE);
}
#endif

/* The exception names the bad address like a hardware access violation
   (irpsim adds it: ExceptionInformation[0] 0 read / 1 write, [1] the first
   address that may not be touched). */
static void test_exception_record(void **State)
{
    EXCEPTION_RECORD Record;
    PMDL Mdl = IoAllocateMdl(Good, sizeof(Good), FALSE, FALSE, NULL);
    (void)State;
    memset(&Record, 0, sizeof(Record));
    assert_int_equal(IrpSimDeclareInvalidRange(Good + 2 * PAGE_SIZE + 8, 8), STATUS_SUCCESS);
    __try {
        MmProbeAndLockPages(Mdl, KernelMode, IoWriteAccess);
    } __except (Record = *GetExceptionInformation()->ExceptionRecord, EXCEPTION_EXECUTE_HANDLER) {
    }
    assert_int_equal(Record.ExceptionCode, STATUS_ACCESS_VIOLATION);
    assert_int_equal(Record.ExceptionFlags & EXCEPTION_NONCONTINUABLE, EXCEPTION_NONCONTINUABLE);
    assert_int_equal(Record.NumberParameters, 2);
    assert_int_equal(Record.ExceptionInformation[0], 1);
    assert_int_equal(Record.ExceptionInformation[1], (ULONG_PTR)(Good + 2 * PAGE_SIZE + 8));
    IoFreeMdl(Mdl);
    assert_int_equal(IrpSimRemoveInvalidRange(Good + 2 * PAGE_SIZE + 8), STATUS_SUCCESS);
}

/* Without a handler: KMODE_EXCEPTION_NOT_HANDLED, P1 0xC0000005,
   P4 the address (as for a hardware access violation). */
static PMDL UnhandledMdl;
static void test_unhandled_probe_failure(void **State)
{
    (void)State;
    UnhandledMdl = IoAllocateMdl(NULL, 8, FALSE, FALSE, NULL);
    irpsim_assert_bugcheck(KMODE_EXCEPTION_NOT_HANDLED, MmProbeAndLockPages(UnhandledMdl, KernelMode, IoReadAccess));
    irpsim_assert_bugcheck_parameter(0, (ULONG)STATUS_ACCESS_VIOLATION);
    irpsim_assert_bugcheck_parameter(2, 0);
    irpsim_assert_bugcheck_parameter(3, 0);
    IoFreeMdl(UnhandledMdl);
}

/* Seed 002, scenario 6 (MakeAsynchronousRequest2): with a good buffer the
   IRP carries a locked MDL; with a bad one the except block frees the MDL
   and the IRP and returns the exception code, leaking nothing. */
static void test_seed002_scenario6(void **State)
{
    PIRP Irp = NULL;
    IRPSIM_LEAK_SUMMARY Summary;
    (void)State;
    assert_int_equal(MakeAsynchronousRequest2(Good, 1000, &Irp), STATUS_SUCCESS);
    assert_non_null(Irp);
    assert_non_null(Irp->MdlAddress);
    assert_int_equal(Irp->MdlAddress->MdlFlags & (MDL_PAGES_LOCKED | MDL_WRITE_OPERATION), MDL_PAGES_LOCKED);
    FreeAsynchronousRequest2(Irp);

    assert_int_equal(IrpSimDeclareInvalidRange(Good, 1000), STATUS_SUCCESS);
    Irp = NULL;
    assert_int_equal(MakeAsynchronousRequest2(Good, 1000, &Irp), STATUS_ACCESS_VIOLATION);
    assert_null(Irp);
    IrpSimQueryOutstanding(NULL, &Summary);
    assert_int_equal(Summary.Mdls, 0);
    assert_int_equal(Summary.Irps, 0);
    assert_int_equal(IrpSimRemoveInvalidRange(Good), STATUS_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_ranges, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_null_page, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_declared_invalid_range, Setup, Teardown),
#if defined(__x86_64__)
        cmocka_unit_test_setup_teardown(test_kernel_address_from_user_mode, Setup, Teardown),
#endif
#ifdef __linux__
        cmocka_unit_test_setup_teardown(test_host_unmapped_and_read_only, Setup, Teardown),
#endif
        cmocka_unit_test_setup_teardown(test_exception_record, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_unhandled_probe_failure, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_seed002_scenario6, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
