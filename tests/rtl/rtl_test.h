/*
 * Helpers shared by the Rtl tests.
 */
#ifndef RTL_TEST_H
#define RTL_TEST_H

#include <wdm.h>
#include <ntstrsafe.h>
#include <irpsim/irpsim.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <irpsim/cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* The pool tags irpsim's Rtl uses for the buffers it allocates. */
#define RTL_TEST_UNICODE_TAG 'rtsU'
#define RTL_TEST_ANSI_TAG    'rtsA'

static inline int RtlTestSetup(void **State)
{
    IRPSIM_CONFIG Config;
    (void)State;
    IrpSimDefaultConfig(&Config);
    Config.QuietDebugPrint = TRUE; /* tests capture output through the callback */
    return NT_SUCCESS(IrpSimInitialize(&Config)) ? 0 : -1;
}

static inline int RtlTestTeardown(void **State)
{
    (void)State;
    IrpSimSetDebugOutput(NULL, NULL);
    IrpSimShutdown();
    return 0;
}

#define RTL_TEST(Function) cmocka_unit_test_setup_teardown(Function, RtlTestSetup, RtlTestTeardown)

/* Asserts that String holds exactly Expected (lengths in bytes). */
#define assert_unicode_string(String, Expected) RtlTestAssertUnicode((String), (Expected), __FILE__, __LINE__)

static inline void RtlTestAssertUnicode(PCUNICODE_STRING String, const WCHAR *Expected, const char *File, int Line)
{
    size_t Count = wcslen(Expected);
    if (String->Length != Count * sizeof(WCHAR) ||
        (Count != 0 && memcmp(String->Buffer, Expected, Count * sizeof(WCHAR)) != 0)) {
        print_error("UNICODE_STRING holds %u bytes \"%.*ls\", expected %u bytes \"%ls\"\n", String->Length,
                    (int)(String->Length / sizeof(WCHAR)), String->Buffer != NULL ? String->Buffer : L"",
                    (unsigned)(Count * sizeof(WCHAR)), Expected);
        _fail(File, Line);
    }
}

#define assert_wide_equal(Actual, Expected)                                                                            \
    do {                                                                                                               \
        if (wcscmp((Actual), (Expected)) != 0)                                                                         \
            fail_msg("wide strings differ: \"%ls\" != \"%ls\"", (const wchar_t *)(Actual),                             \
                     (const wchar_t *)(Expected));                                                                     \
    } while (0)

static inline ULONG RtlTestOutstanding(ULONG Tag)
{
    IRPSIM_POOL_TAG_USAGE Usage;
    IrpSimQueryPoolTag(Tag, &Usage);
    return Usage.Allocations;
}

#endif /* RTL_TEST_H */
