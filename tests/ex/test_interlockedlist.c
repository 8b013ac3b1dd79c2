/*
 * ExInterlocked*List: the list operations of InsertHeadList & co. under a
 * spin lock, with the return values the WDK documents (the previous first
 * or last entry, or NULL for an empty list; the removed entry or NULL), at
 * PASSIVE_LEVEL and at DISPATCH_LEVEL ("can be called at any IRQL").
 */
#include <ntddk.h>
#include <irpsim/irpsim.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

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

/* Insert head returns the previous first entry; insert tail the previous
   last entry; both NULL on an empty list. Remove head returns the first
   entry, NULL when empty. The lock is free again afterwards and the IRQL
   is the caller's. */
static void test_doubly_linked(void **State)
{
    LIST_ENTRY Head;
    LIST_ENTRY A, B, C;
    KSPIN_LOCK Lock;
    (void)State;
    InitializeListHead(&Head);
    KeInitializeSpinLock(&Lock);

    assert_null(ExInterlockedInsertHeadList(&Head, &A, &Lock));
    assert_ptr_equal(ExInterlockedInsertHeadList(&Head, &B, &Lock), &A); /* B A */
    assert_ptr_equal(ExInterlockedInsertTailList(&Head, &C, &Lock), &A); /* B A C */
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_true(KeTestSpinLock(&Lock));

    assert_ptr_equal(ExInterlockedRemoveHeadList(&Head, &Lock), &B);
    assert_ptr_equal(ExInterlockedRemoveHeadList(&Head, &Lock), &A);
    assert_ptr_equal(ExInterlockedRemoveHeadList(&Head, &Lock), &C);
    assert_null(ExInterlockedRemoveHeadList(&Head, &Lock));
    assert_true(IsListEmpty(&Head));

    assert_null(ExInterlockedInsertTailList(&Head, &A, &Lock));
    assert_ptr_equal(ExInterlockedInsertTailList(&Head, &B, &Lock), &A);
    assert_ptr_equal(Head.Flink, &A);
    assert_ptr_equal(Head.Blink, &B);
}

/* Push returns the previous first entry (NULL if the list was empty); pop
   returns the entry removed, NULL when empty: last in, first out. */
static void test_singly_linked(void **State)
{
    SINGLE_LIST_ENTRY Head;
    SINGLE_LIST_ENTRY A, B;
    KSPIN_LOCK Lock;
    (void)State;
    Head.Next = NULL;
    KeInitializeSpinLock(&Lock);

    assert_null(ExInterlockedPushEntryList(&Head, &A, &Lock));
    assert_ptr_equal(ExInterlockedPushEntryList(&Head, &B, &Lock), &A);
    assert_ptr_equal(ExInterlockedPopEntryList(&Head, &Lock), &B);
    assert_ptr_equal(ExInterlockedPopEntryList(&Head, &Lock), &A);
    assert_null(ExInterlockedPopEntryList(&Head, &Lock));
    assert_null(Head.Next);
}

/* The routines work at DISPATCH_LEVEL too and leave the IRQL there. */
static void test_at_dispatch_level(void **State)
{
    LIST_ENTRY Head;
    LIST_ENTRY A;
    SINGLE_LIST_ENTRY SHead;
    SINGLE_LIST_ENTRY SA;
    KSPIN_LOCK Lock;
    KIRQL OldIrql;
    (void)State;
    InitializeListHead(&Head);
    SHead.Next = NULL;
    KeInitializeSpinLock(&Lock);

    KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
    assert_null(ExInterlockedInsertTailList(&Head, &A, &Lock));
    assert_ptr_equal(ExInterlockedRemoveHeadList(&Head, &Lock), &A);
    assert_null(ExInterlockedPushEntryList(&SHead, &SA, &Lock));
    assert_ptr_equal(ExInterlockedPopEntryList(&SHead, &Lock), &SA);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(OldIrql);
    assert_true(KeTestSpinLock(&Lock));
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test_setup_teardown(test_doubly_linked, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_singly_linked, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_at_dispatch_level, Setup, Teardown),
    };
    return cmocka_run_group_tests(Tests, NULL, NULL);
}
