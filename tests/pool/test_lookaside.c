/*
 * Lookaside lists (SEMANTICS.md 9.11): header fields after initialisation,
 * reuse of cached blocks, the Allocate/Free callbacks, and the verifier
 * checks 0xC4/0xCB (uninitialised or deleted list), 0xCC (freeing pool that
 * holds an active list) and 0xCD (block too small).
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

#define TAG 'kooL'

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

static ULONG AllocateCalls;
static ULONG FreeCalls;

static PVOID NTAPI CountingAllocate(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    AllocateCalls++;
    return ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}

static VOID NTAPI CountingFree(PVOID Buffer)
{
    FreeCalls++;
    ExFreePool(Buffer);
}

/* [observed on Windows] after initialisation the header shows Depth 4,
   MaximumDepth 256, Type = NonPagedPool | Flags, Size and Tag as given,
   whatever Depth was passed. */
static void test_header_after_initialisation(void **State)
{
    NPAGED_LOOKASIDE_LIST List;
    (void)State;
    ExInitializeNPagedLookasideList(&List, NULL, NULL, POOL_NX_ALLOCATION, 48, TAG, 77);
    assert_int_equal(List.L.Depth, 4);
    assert_int_equal(List.L.MaximumDepth, 256);
    assert_int_equal(List.L.Type, NonPagedPool | POOL_NX_ALLOCATION);
    assert_int_equal(List.L.Size, 48);
    assert_int_equal(List.L.Tag, TAG);
    ExDeleteNPagedLookasideList(&List);
}

/* A freed block is cached and handed out again; misses call Allocate, and a
   free beyond the depth calls Free. */
static void test_cache_and_callbacks(void **State)
{
    NPAGED_LOOKASIDE_LIST List;
    PVOID Blocks[6];
    PVOID Again;
    (void)State;
    AllocateCalls = FreeCalls = 0;
    ExInitializeNPagedLookasideList(&List, CountingAllocate, CountingFree, 0, 64, TAG, 0);
    for (int i = 0; i < 6; i++)
        Blocks[i] = ExAllocateFromNPagedLookasideList(&List);
    assert_int_equal(AllocateCalls, 6);
    for (int i = 0; i < 6; i++)
        ExFreeToNPagedLookasideList(&List, Blocks[i]);
    /* Four were cached (the depth), two went back through Free. */
    assert_int_equal(FreeCalls, 2);
    assert_int_equal(List.L.TotalAllocates, 6);
    assert_int_equal(List.L.AllocateMisses, 6);
    Again = ExAllocateFromNPagedLookasideList(&List);
    assert_ptr_equal(Again, Blocks[3]); /* the most recently cached block (4 and 5 went to Free) */
    assert_int_equal(AllocateCalls, 6);
    ExFreeToNPagedLookasideList(&List, Again);
    ExDeleteNPagedLookasideList(&List);
    /* Deleting frees the cached blocks through Free. */
    assert_int_equal(FreeCalls, 6);
}

/* Paged and Ex variants behave the same way. */
static void test_paged_and_ex_variants(void **State)
{
    PAGED_LOOKASIDE_LIST Paged;
    LOOKASIDE_LIST_EX Ex;
    PVOID P;
    (void)State;
    ExInitializePagedLookasideList(&Paged, NULL, NULL, 0, 32, TAG, 0);
    P = ExAllocateFromPagedLookasideList(&Paged);
    assert_non_null(P);
    ExFreeToPagedLookasideList(&Paged, P);
    ExDeletePagedLookasideList(&Paged);

    assert_int_equal(ExInitializeLookasideListEx(&Ex, NULL, NULL, NonPagedPoolNx, 0, 32, TAG, 0), STATUS_SUCCESS);
    P = ExAllocateFromLookasideListEx(&Ex);
    assert_non_null(P);
    ExFreeToLookasideListEx(&Ex, P);
    ExFlushLookasideListEx(&Ex);
    ExDeleteLookasideListEx(&Ex);
    assert_int_equal(ExInitializeLookasideListEx(&Ex, NULL, NULL, NonPagedPoolNx, 0x80, 32, TAG, 0),
                     STATUS_INVALID_PARAMETER_5);
}

/* Using a list after deleting it: 0xC4 / 0xCB. */
static void test_use_after_delete_bugchecks(void **State)
{
    NPAGED_LOOKASIDE_LIST List;
    (void)State;
    ExInitializeNPagedLookasideList(&List, NULL, NULL, 0, 32, TAG, 0);
    ExDeleteNPagedLookasideList(&List);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, (void)ExAllocateFromNPagedLookasideList(&List));
    irpsim_assert_bugcheck_parameter(0, 0xCB);
}

/* A block size smaller than the free-list link: 0xC4 / 0xCD. */
static void test_block_too_small_bugchecks(void **State)
{
    NPAGED_LOOKASIDE_LIST List;
    (void)State;
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION,
                           ExInitializeNPagedLookasideList(&List, NULL, NULL, 0, 2, TAG, 0));
    irpsim_assert_bugcheck_parameter(0, 0xCD);
}

/* Freeing pool that still holds an active list header: 0xC4 / 0xCC. */
static void test_free_pool_holding_active_list_bugchecks(void **State)
{
    PNPAGED_LOOKASIDE_LIST List =
        (PNPAGED_LOOKASIDE_LIST)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(NPAGED_LOOKASIDE_LIST), TAG);
    (void)State;
    ExInitializeNPagedLookasideList(List, NULL, NULL, 0, 32, TAG, 0);
    irpsim_assert_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, ExFreePool(List));
    irpsim_assert_bugcheck_parameter(0, 0xCC);
    irpsim_assert_bugcheck_parameter(1, List);
    ExDeleteNPagedLookasideList(List);
    ExFreePool(List);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_header_after_initialisation, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_cache_and_callbacks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_paged_and_ex_variants, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_use_after_delete_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_block_too_small_bugchecks, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_free_pool_holding_active_list_bugchecks, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
