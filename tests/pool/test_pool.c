/*
 * Pool: allocation spellings, alignment, tags and accounting, and the bug
 * checks Windows raises for pool misuse (SEMANTICS.md 9.10, bug check 0xC2
 * BAD_POOL_CALLER and 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION).
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>
#include "../support/test_tmpfile.h"

#define TAG_A 'AtsT'
#define TAG_B 'BtsT'

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

static ULONG TagCount(ULONG Tag)
{
    IRPSIM_POOL_TAG_USAGE Usage;
    IrpSimQueryPoolTag(Tag, &Usage);
    return Usage.Allocations;
}

/* Pool blocks are 16-byte aligned on 64-bit Windows; requests of PAGE_SIZE
   or more are page-aligned (SEMANTICS.md 9.10). */
static void test_alignment(void **State)
{
    PVOID Small = ExAllocatePoolWithTag(NonPagedPoolNx, 24, TAG_A);
    PVOID Page = ExAllocatePoolWithTag(NonPagedPoolNx, PAGE_SIZE, TAG_A);
    (void)State;
    assert_non_null(Small);
    assert_non_null(Page);
    assert_int_equal((ULONG_PTR)Small % 16, 0);
    assert_int_equal((ULONG_PTR)Page % PAGE_SIZE, 0);
    ExFreePoolWithTag(Small, TAG_A);
    ExFreePoolWithTag(Page, TAG_A);
}

/* Per-tag accounting follows allocations and frees. */
static void test_tag_accounting(void **State)
{
    PVOID A1 = ExAllocatePoolWithTag(NonPagedPool, 10, TAG_A);
    PVOID A2 = ExAllocatePoolWithTag(PagedPool, 20, TAG_A);
    PVOID B1 = ExAllocatePoolWithTag(NonPagedPool, 30, TAG_B);
    IRPSIM_POOL_TAG_USAGE Usage;
    (void)State;
    IrpSimQueryPoolTag(TAG_A, &Usage);
    assert_int_equal(Usage.Allocations, 2);
    assert_int_equal(Usage.Bytes, 30);
    assert_int_equal(TagCount(TAG_B), 1);
    ExFreePoolWithTag(A1, TAG_A);
    assert_int_equal(TagCount(TAG_A), 1);
    ExFreePool(A2); /* ExFreePool does not check the tag */
    ExFreePoolWithTag(B1, TAG_B);
    assert_int_equal(TagCount(TAG_A), 0);
    assert_int_equal(TagCount(TAG_B), 0);
}

/* ExAllocatePool uses the tag 'None' (SEMANTICS.md 9.10). */
static void test_untagged_allocation_uses_none(void **State)
{
    PVOID P = ExAllocatePool(NonPagedPool, 8);
    (void)State;
    assert_int_equal(TagCount('enoN'), 1);
    ExFreePoolWithTag(P, 'enoN');
}

/* ExAllocatePoolZero and ExAllocatePool2 (without POOL_FLAG_UNINITIALIZED)
   return zeroed memory. */
static void test_zeroing(void **State)
{
    UCHAR *Z = (UCHAR *)ExAllocatePoolZero(NonPagedPoolNx, 64, TAG_A);
    UCHAR *P2 = (UCHAR *)ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG_A);
    (void)State;
    for (int i = 0; i < 64; i++) {
        assert_int_equal(Z[i], 0);
        assert_int_equal(P2[i], 0);
    }
    ExFreePool(Z);
    ExFreePool(P2);
}

/* ExAllocatePool2 returns NULL for tag 0 and for an invalid combination of
   pool-kind flags (exactly one of NON_PAGED, NON_PAGED_EXECUTE, PAGED). */
static void test_pool2_rejects_bad_arguments(void **State)
{
    (void)State;
    assert_null(ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, 0));
    assert_null(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, 16, TAG_A));
    assert_null(ExAllocatePool2(POOL_FLAG_UNINITIALIZED, 16, TAG_A));
}

/* ExFreePoolWithTag with a different tag: bug check 0xC2, P1 0x0A, P2 the
   address, P3 the allocation tag, P4 the tag passed. */
static void test_tag_mismatch_bugchecks(void **State)
{
    PVOID P = ExAllocatePoolWithTag(NonPagedPool, 16, TAG_A);
    (void)State;
    irpsim_assert_bugcheck(BAD_POOL_CALLER, ExFreePoolWithTag(P, TAG_B));
    irpsim_assert_bugcheck_parameter(0, 0x0A);
    irpsim_assert_bugcheck_parameter(1, P);
    irpsim_assert_bugcheck_parameter(2, TAG_A);
    irpsim_assert_bugcheck_parameter(3, TAG_B);
    ExFreePoolWithTag(P, TAG_A);
}

/* Freeing a block twice: bug check 0xC2 with P1 0x07 and P4 the block. */
static void test_double_free_bugchecks(void **State)
{
    PVOID P = ExAllocatePoolWithTag(NonPagedPool, 16, TAG_A);
    (void)State;
    ExFreePool(P);
    irpsim_assert_bugcheck(BAD_POOL_CALLER, ExFreePool(P));
    irpsim_assert_bugcheck_parameter(0, 0x07);
    irpsim_assert_bugcheck_parameter(3, P);
}

/* Freeing an address that never came from pool: bug check 0xC2 / 0x46. */
static void test_free_of_foreign_address_bugchecks(void **State)
{
    static UCHAR NotPool[64];
    (void)State;
    irpsim_assert_bugcheck(BAD_POOL_CALLER, ExFreePool(NotPool + 16));
    irpsim_assert_bugcheck_parameter(0, 0x46);
    irpsim_assert_bugcheck_parameter(1, NotPool + 16);
}

/* Tag 0 is a bug check: 0xC2 / 0x9B (P2 pool type, P3 size). */
static void test_tag_zero_bugchecks(void **State)
{
    (void)State;
    irpsim_assert_bugcheck(BAD_POOL_CALLER, (void)ExAllocatePoolWithTag(NonPagedPool, 16, 0));
    irpsim_assert_bugcheck_parameter(0, 0x9B);
    irpsim_assert_bugcheck_parameter(2, 16);
}

/* With Driver Verifier, a zero-byte request is reported: 0xC4 / 0x00. */
static void test_zero_size_with_verifier_bugchecks(void **State)
{
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, (void)ExAllocatePoolWithTag(NonPagedPool, 0, TAG_A));
    irpsim_assert_bugcheck_parameter(0, 0x00);
}

/* Writing past the end of a block is detected when it is freed (pool
   tracking): 0xC4 / 0x51 with P2 the block and P4 its size. */
static void test_overrun_detected_at_free(void **State)
{
    UCHAR *P = (UCHAR *)ExAllocatePoolWithTag(NonPagedPool, 20, TAG_A);
    (void)State;
    P[20] = 0x42; /* one byte past the end: lands in irpsim's guard area */
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExFreePool(P));
    irpsim_assert_bugcheck_parameter(0, 0x51);
    irpsim_assert_bugcheck_parameter(1, P);
    irpsim_assert_bugcheck_parameter(3, 20);
    P[20] = 0xFD; /* restore irpsim's guard pattern so the block can be freed */
    ExFreePool(P);
}

/* Paged pool above APC_LEVEL: 0xC4 / 0x01 (P2 the IRQL). */
static void test_paged_pool_at_dispatch_bugchecks(void **State)
{
    KIRQL Old;
    (void)State;
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, (void)ExAllocatePoolWithTag(PagedPool, 16, TAG_A));
    irpsim_assert_bugcheck_parameter(0, 0x01);
    irpsim_assert_bugcheck_parameter(1, DISPATCH_LEVEL);
    /* The catch frame restored the IRQL it was armed at. */
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(Old);
}

/* Nonpaged pool at DISPATCH_LEVEL is legal. */
static void test_nonpaged_pool_at_dispatch_is_legal(void **State)
{
    KIRQL Old;
    PVOID P;
    (void)State;
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    P = ExAllocatePoolWithTag(NonPagedPoolNx, 16, TAG_A);
    assert_non_null(P);
    ExFreePoolWithTag(P, TAG_A);
    KeLowerIrql(Old);
}

/* POOL_RAISE_IF_ALLOCATION_FAILURE: an impossible request raises instead of
   returning NULL; without the flag it returns NULL. */
static void test_impossible_request_returns_null(void **State)
{
    (void)State;
    assert_null(ExAllocatePoolWithTag(NonPagedPool, (SIZE_T)-1 / 2, TAG_A));
}

/* A routine irpsim does not simulate is a bug check, never a silent success. */
static void test_pool3_with_parameters_is_not_simulated(void **State)
{
    int Dummy = 0;
    (void)State;
    irpsim_assert_bugcheck(IRPSIM_NOT_SIMULATED, (void)ExAllocatePool3(POOL_FLAG_NON_PAGED, 8, TAG_A, &Dummy, 1));
}

/* The leak report names each block still allocated, with its tag. */
static void test_leak_report(void **State)
{
    PVOID P = ExAllocatePoolWithTag(NonPagedPool, 33, 'kaeL');
    char Buffer[1024] = {0};
    FILE *Stream = TestTmpFile();
    IRPSIM_LEAK_SUMMARY Summary;
    (void)State;
    assert_non_null(Stream);
    assert_int_equal(IrpSimReportLeaks(NULL, Stream), 1);
    rewind(Stream);
    assert_true(fread(Buffer, 1, sizeof(Buffer) - 1, Stream) > 0);
    fclose(Stream);
    assert_non_null(strstr(Buffer, "33 bytes"));
    assert_non_null(strstr(Buffer, "'Leak'"));
    IrpSimQueryOutstanding(NULL, &Summary);
    assert_int_equal(Summary.PoolBlocks, 1);
    assert_int_equal(Summary.PoolBytes, 33);
    ExFreePool(P);
    assert_int_equal(IrpSimReportLeaks(NULL, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_alignment, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_tag_accounting, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_untagged_allocation_uses_none, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_zeroing, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_pool2_rejects_bad_arguments, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_tag_mismatch_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_double_free_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_free_of_foreign_address_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_tag_zero_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_zero_size_with_verifier_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_overrun_detected_at_free, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_paged_pool_at_dispatch_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_nonpaged_pool_at_dispatch_is_legal, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_impossible_request_returns_null, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_pool3_with_parameters_is_not_simulated, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_leak_report, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
