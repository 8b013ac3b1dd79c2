/*
 * ntstrsafe.h: bounded copy, concatenate, printf and length, and the
 * UNICODE_STRING forms, as the WDK documents them: STATUS_BUFFER_OVERFLOW
 * with the truncated, NUL-terminated result; STATUS_INVALID_PARAMETER for a
 * zero or oversized destination. Cb sizes are bytes, so sizeof(buffer) is
 * right whatever sizeof(WCHAR) is.
 */
#include "rtl_test.h"

#define W (sizeof(WCHAR))

/* ---- copy ---- */

static void test_copy(void **State)
{
    WCHAR Wide[6];
    char Narrow[6];
    (void)State;

    assert_int_equal(RtlStringCchCopyW(Wide, RTL_NUMBER_OF(Wide), L"abc"), STATUS_SUCCESS);
    assert_wide_equal(Wide, L"abc");
    assert_int_equal(RtlStringCbCopyW(Wide, sizeof(Wide), L"abcde"), STATUS_SUCCESS);
    assert_wide_equal(Wide, L"abcde");

    /* Truncated, terminated, STATUS_BUFFER_OVERFLOW. */
    assert_int_equal(RtlStringCchCopyW(Wide, RTL_NUMBER_OF(Wide), L"abcdefgh"), STATUS_BUFFER_OVERFLOW);
    assert_wide_equal(Wide, L"abcde");
    assert_int_equal(RtlStringCbCopyW(Wide, 3 * W, L"abcdefgh"), STATUS_BUFFER_OVERFLOW);
    assert_wide_equal(Wide, L"ab");

    assert_int_equal(RtlStringCchCopyA(Narrow, sizeof(Narrow), "hello"), STATUS_SUCCESS);
    assert_string_equal(Narrow, "hello");
    assert_int_equal(RtlStringCbCopyA(Narrow, sizeof(Narrow), "hello, world"), STATUS_BUFFER_OVERFLOW);
    assert_string_equal(Narrow, "hello");

    /* Zero and oversized destinations are invalid. */
    Narrow[0] = 'x';
    assert_int_equal(RtlStringCchCopyA(Narrow, 0, "a"), STATUS_INVALID_PARAMETER);
    assert_int_equal(Narrow[0], 'x');
    assert_int_equal(RtlStringCchCopyW(Wide, (size_t)NTSTRSAFE_MAX_CCH + 1, L"a"), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlStringCbCopyW(Wide, W - 1, L"a"), STATUS_INVALID_PARAMETER);
}

static void test_copy_n(void **State)
{
    WCHAR Wide[8];
    char Narrow[8];
    (void)State;

    assert_int_equal(RtlStringCchCopyNW(Wide, RTL_NUMBER_OF(Wide), L"abcdef", 3), STATUS_SUCCESS);
    assert_wide_equal(Wide, L"abc");
    assert_int_equal(RtlStringCbCopyNW(Wide, sizeof(Wide), L"abcdef", 2 * W), STATUS_SUCCESS);
    assert_wide_equal(Wide, L"ab");
    assert_int_equal(RtlStringCchCopyNA(Narrow, sizeof(Narrow), "ab", 10), STATUS_SUCCESS);
    assert_string_equal(Narrow, "ab");
    assert_int_equal(RtlStringCbCopyNA(Narrow, 4, "abcdef", 5), STATUS_BUFFER_OVERFLOW);
    assert_string_equal(Narrow, "abc");
    assert_int_equal(RtlStringCchCopyNA(Narrow, sizeof(Narrow), "ab", (size_t)NTSTRSAFE_MAX_CCH + 1),
                     STATUS_INVALID_PARAMETER);
    assert_string_equal(Narrow, "");
}

/* ---- concatenate ---- */

static void test_cat(void **State)
{
    WCHAR Wide[8] = L"abc";
    char Narrow[6] = "ab";
    char Unterminated[4] = {'a', 'b', 'c', 'd'};
    (void)State;

    assert_int_equal(RtlStringCchCatW(Wide, RTL_NUMBER_OF(Wide), L"def"), STATUS_SUCCESS);
    assert_wide_equal(Wide, L"abcdef");
    assert_int_equal(RtlStringCbCatW(Wide, sizeof(Wide), L"ghi"), STATUS_BUFFER_OVERFLOW);
    assert_wide_equal(Wide, L"abcdefg");

    assert_int_equal(RtlStringCbCatA(Narrow, sizeof(Narrow), "cd"), STATUS_SUCCESS);
    assert_string_equal(Narrow, "abcd");
    assert_int_equal(RtlStringCchCatNA(Narrow, sizeof(Narrow), "xyz", 1), STATUS_SUCCESS);
    assert_string_equal(Narrow, "abcdx");
    assert_int_equal(RtlStringCchCatA(Narrow, sizeof(Narrow), "y"), STATUS_BUFFER_OVERFLOW);
    assert_string_equal(Narrow, "abcdx");

    wcscpy(Wide, L"a");
    assert_int_equal(RtlStringCbCatNW(Wide, sizeof(Wide), L"bcdef", 2 * W), STATUS_SUCCESS);
    assert_wide_equal(Wide, L"abc");

    /* A destination that is not terminated within its size is invalid and
       left alone. */
    assert_int_equal(RtlStringCchCatA(Unterminated, sizeof(Unterminated), "e"), STATUS_INVALID_PARAMETER);
    assert_memory_equal(Unterminated, "abcd", 4);
}

/* ---- printf ---- */

/* In the W forms %s is wide and %S narrow; %ws / %ls always wide, %hs always
   narrow; %wZ is a UNICODE_STRING, %Z an ANSI_STRING. */
static void test_printf_wide(void **State)
{
    WCHAR Wide[64];
    UNICODE_STRING Unicode = RTL_CONSTANT_STRING(L"Unicode");
    ANSI_STRING Ansi = RTL_CONSTANT_STRING("Ansi");
    (void)State;

    assert_int_equal(RtlStringCchPrintfW(Wide, RTL_NUMBER_OF(Wide), L"%s|%S|%ws|%ls|%hs|%wZ|%Z|%d|%c|%C", L"w", "n",
                                         L"ws", L"ls", "hs", &Unicode, &Ansi, -5, L'k', 'K'),
                     STATUS_SUCCESS);
    assert_wide_equal(Wide, L"w|n|ws|ls|hs|Unicode|Ansi|-5|k|K");

    assert_int_equal(RtlStringCbPrintfW(Wide, sizeof(Wide), L"%04X-%I64u-%lu", 0xBEEFu, 12345678901ULL, (ULONG)7),
                     STATUS_SUCCESS);
    assert_wide_equal(Wide, L"BEEF-12345678901-7");

    /* Narrow arguments are UTF-8. */
    assert_int_equal(RtlStringCchPrintfW(Wide, RTL_NUMBER_OF(Wide), L"%hs", "caf\xc3\xa9"), STATUS_SUCCESS);
    assert_wide_equal(Wide, L"caf\u00e9");

    /* Truncated, terminated. */
    assert_int_equal(RtlStringCchPrintfW(Wide, 6, L"Hello %s", L"World"), STATUS_BUFFER_OVERFLOW);
    assert_wide_equal(Wide, L"Hello");
    assert_int_equal(RtlStringCchPrintfW(Wide, 0, L"x"), STATUS_INVALID_PARAMETER);
}

/* In the A forms %s is narrow and %S wide; wide text is written as UTF-8. */
static void test_printf_narrow(void **State)
{
    char Narrow[32];
    (void)State;

    assert_int_equal(RtlStringCchPrintfA(Narrow, sizeof(Narrow), "%s|%S|%ws|%d", "n", L"w", L"ws", 42), STATUS_SUCCESS);
    assert_string_equal(Narrow, "n|w|ws|42");
    assert_int_equal(RtlStringCbPrintfA(Narrow, sizeof(Narrow), "%ws", L"\u00e9\u20ac"), STATUS_SUCCESS);
    assert_string_equal(Narrow, "\xc3\xa9\xe2\x82\xac");
    assert_int_equal(RtlStringCbPrintfA(Narrow, 4, "%d", 123456), STATUS_BUFFER_OVERFLOW);
    assert_string_equal(Narrow, "123");
}

static NTSTATUS CallVPrintf(char *Buffer, size_t Size, const char *Format, ...)
{
    NTSTATUS Status;
    va_list Arguments;
    va_start(Arguments, Format);
    Status = RtlStringCbVPrintfA(Buffer, Size, Format, Arguments);
    va_end(Arguments);
    return Status;
}

static void test_vprintf(void **State)
{
    char Narrow[16];
    (void)State;
    assert_int_equal(CallVPrintf(Narrow, sizeof(Narrow), "%u-%s", 9u, "v"), STATUS_SUCCESS);
    assert_string_equal(Narrow, "9-v");
}

/* ---- Ex forms ---- */

/* ppszDestEnd points at the terminator; the remaining count includes it. */
static void test_ex_outputs(void **State)
{
    WCHAR Wide[10];
    char Narrow[10];
    PWSTR WideEnd = NULL;
    PSTR NarrowEnd = NULL;
    size_t Remaining = 0;
    (void)State;

    assert_int_equal(RtlStringCchCopyExW(Wide, RTL_NUMBER_OF(Wide), L"abc", &WideEnd, &Remaining, 0), STATUS_SUCCESS);
    assert_ptr_equal(WideEnd, &Wide[3]);
    assert_int_equal(Remaining, 7);
    assert_int_equal(RtlStringCbCatExW(Wide, sizeof(Wide), L"de", &WideEnd, &Remaining, 0), STATUS_SUCCESS);
    assert_ptr_equal(WideEnd, &Wide[5]);
    assert_int_equal(Remaining, 5 * W);

    assert_int_equal(RtlStringCchPrintfExA(Narrow, sizeof(Narrow), &NarrowEnd, &Remaining, 0, "%d", 12345678),
                     STATUS_SUCCESS);
    assert_ptr_equal(NarrowEnd, &Narrow[8]);
    assert_int_equal(Remaining, 2);
    assert_int_equal(RtlStringCchPrintfExA(Narrow, sizeof(Narrow), &NarrowEnd, &Remaining, 0, "%s", "0123456789AB"),
                     STATUS_BUFFER_OVERFLOW);
    assert_ptr_equal(NarrowEnd, &Narrow[9]);
    assert_int_equal(Remaining, 1);
}

/* The flags: fill behind the terminator, fill or empty on failure, refuse
   to truncate, treat NULL sources as empty; unknown flags are invalid. */
static void test_ex_flags(void **State)
{
    char Narrow[8];
    WCHAR Wide[4];
    (void)State;

    memset(Narrow, 0, sizeof(Narrow));
    assert_int_equal(RtlStringCchCopyExA(Narrow, sizeof(Narrow), "ab", NULL, NULL, STRSAFE_FILL_BYTE('#')),
                     STATUS_SUCCESS);
    assert_memory_equal(Narrow, "ab\0#####", 8);

    assert_int_equal(RtlStringCchCopyExA(Narrow, sizeof(Narrow), "0123456789", NULL, NULL, STRSAFE_NULL_ON_FAILURE),
                     STATUS_BUFFER_OVERFLOW);
    assert_string_equal(Narrow, "");

    assert_int_equal(RtlStringCchCopyExA(Narrow, sizeof(Narrow), "0123456789", NULL, NULL, STRSAFE_FAILURE_BYTE('x')),
                     STATUS_BUFFER_OVERFLOW);
    assert_memory_equal(Narrow, "xxxxxxx\0", 8);

    strcpy(Narrow, "abc");
    assert_int_equal(RtlStringCchCatExA(Narrow, sizeof(Narrow), "defghij", NULL, NULL, STRSAFE_NO_TRUNCATION),
                     STATUS_BUFFER_OVERFLOW);
    assert_string_equal(Narrow, "abc");
    assert_int_equal(RtlStringCchCopyExA(Narrow, sizeof(Narrow), "defghijkl", NULL, NULL, STRSAFE_NO_TRUNCATION),
                     STATUS_BUFFER_OVERFLOW);
    assert_string_equal(Narrow, "");

    assert_int_equal(RtlStringCchCopyExW(Wide, RTL_NUMBER_OF(Wide), NULL, NULL, NULL, STRSAFE_IGNORE_NULLS),
                     STATUS_SUCCESS);
    assert_wide_equal(Wide, L"");
    assert_int_equal(RtlStringCchCopyExW(NULL, 0, L"", NULL, NULL, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
    assert_int_equal(RtlStringCchCopyExW(Wide, RTL_NUMBER_OF(Wide), L"a", NULL, NULL, 0x00010000),
                     STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlStringCchCopyW(Wide, RTL_NUMBER_OF(Wide), NULL), STATUS_INVALID_PARAMETER);
}

/* ---- length ---- */

static void test_length(void **State)
{
    size_t Length = 99;
    (void)State;

    assert_int_equal(RtlStringCchLengthW(L"abc", 10, &Length), STATUS_SUCCESS);
    assert_int_equal(Length, 3);
    assert_int_equal(RtlStringCbLengthW(L"abc", 10 * W, &Length), STATUS_SUCCESS);
    assert_int_equal(Length, 3 * W);
    assert_int_equal(RtlStringCchLengthA("abcd", 5, &Length), STATUS_SUCCESS);
    assert_int_equal(Length, 4);
    assert_int_equal(RtlStringCbLengthA("abcd", 5, NULL), STATUS_SUCCESS);

    /* No terminator within the limit: invalid, length 0. */
    assert_int_equal(RtlStringCchLengthW(L"abc", 3, &Length), STATUS_INVALID_PARAMETER);
    assert_int_equal(Length, 0);
    assert_int_equal(RtlStringCchLengthA(NULL, 3, &Length), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlStringCchLengthA("a", (size_t)NTSTRSAFE_MAX_CCH + 1, &Length), STATUS_INVALID_PARAMETER);
}

/* ---- UNICODE_STRING forms (counted: never terminated) ---- */

static void test_unicode_string_init(void **State)
{
    UNICODE_STRING String;
    WCHAR *Long = (WCHAR *)calloc(NTSTRSAFE_UNICODE_STRING_MAX_CCH + 1, W);
    (void)State;

    assert_int_equal(RtlUnicodeStringInit(&String, L"abc"), STATUS_SUCCESS);
    assert_unicode_string(&String, L"abc");
    assert_int_equal(String.MaximumLength, 4 * W);
    assert_int_equal(RtlUnicodeStringInit(&String, NULL), STATUS_SUCCESS);
    assert_int_equal(String.Length, 0);
    assert_int_equal(String.MaximumLength, 0);
    assert_null(String.Buffer);

    assert_non_null(Long);
    wmemset(Long, L'z', NTSTRSAFE_UNICODE_STRING_MAX_CCH);
    assert_int_equal(RtlUnicodeStringInit(&String, Long), STATUS_INVALID_PARAMETER);
    Long[NTSTRSAFE_UNICODE_STRING_MAX_CCH - 1] = UNICODE_NULL;
    assert_int_equal(RtlUnicodeStringInit(&String, Long), STATUS_SUCCESS);
    assert_int_equal(String.Length, (NTSTRSAFE_UNICODE_STRING_MAX_CCH - 1) * W);
    free(Long);
}

static void test_unicode_string_copy_cat(void **State)
{
    DECLARE_UNICODE_STRING_SIZE(Dest, 6);
    UNICODE_STRING Source = RTL_CONSTANT_STRING(L"abcd");
    (void)State;

    assert_int_equal(RtlUnicodeStringCopy(&Dest, &Source), STATUS_SUCCESS);
    assert_unicode_string(&Dest, L"abcd");
    assert_int_equal(RtlUnicodeStringCatString(&Dest, L"ef"), STATUS_SUCCESS);
    assert_unicode_string(&Dest, L"abcdef");
    assert_int_equal(RtlUnicodeStringCat(&Dest, &Source), STATUS_BUFFER_OVERFLOW);
    assert_unicode_string(&Dest, L"abcdef");

    assert_int_equal(RtlUnicodeStringCopyString(&Dest, L"0123456789"), STATUS_BUFFER_OVERFLOW);
    assert_unicode_string(&Dest, L"012345");
    assert_int_equal(Dest.MaximumLength, 6 * W);

    Dest.Length = 0;
    assert_int_equal(RtlUnicodeStringCat(&Dest, &Source), STATUS_SUCCESS);
    assert_int_equal(RtlUnicodeStringCat(&Dest, &Source), STATUS_BUFFER_OVERFLOW);
    assert_unicode_string(&Dest, L"abcdab");
}

static void test_unicode_string_printf(void **State)
{
    DECLARE_UNICODE_STRING_SIZE(Dest, 16);
    UNICODE_STRING Name = RTL_CONSTANT_STRING(L"Beep");
    (void)State;

    assert_int_equal(RtlUnicodeStringPrintf(&Dest, L"\\Device\\%wZ%d", &Name, 0), STATUS_SUCCESS);
    assert_unicode_string(&Dest, L"\\Device\\Beep0");
    assert_int_equal(RtlUnicodeStringPrintf(&Dest, L"%s-%s-%s-%s", L"abcd", L"efgh", L"ijkl", L"mnop"),
                     STATUS_BUFFER_OVERFLOW);
    assert_unicode_string(&Dest, L"abcd-efgh-ijkl-m");
    assert_int_equal(Dest.Length, Dest.MaximumLength);
}

/* A malformed UNICODE_STRING is invalid for every form. */
static void test_unicode_string_validate(void **State)
{
    WCHAR Buffer[4];
    UNICODE_STRING Good = {0, sizeof(Buffer), Buffer};
    UNICODE_STRING Odd = {1, sizeof(Buffer), Buffer};
    UNICODE_STRING TooLong = {(USHORT)(3 * W), (USHORT)(2 * W), Buffer};
    UNICODE_STRING NoBuffer = {0, (USHORT)(2 * W), NULL};
    UNICODE_STRING Empty = {0, 0, NULL};
    (void)State;

    assert_int_equal(RtlUnicodeStringValidate(&Good), STATUS_SUCCESS);
    assert_int_equal(RtlUnicodeStringValidate(&Empty), STATUS_SUCCESS);
    assert_int_equal(RtlUnicodeStringValidate(&Odd), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlUnicodeStringValidate(&TooLong), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlUnicodeStringValidate(&NoBuffer), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlUnicodeStringValidate(NULL), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlUnicodeStringCopy(&Odd, &Good), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlUnicodeStringCat(&Good, &TooLong), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlUnicodeStringPrintf(&NoBuffer, L"x"), STATUS_INVALID_PARAMETER);
    /* An empty destination can take an empty string but nothing more. */
    assert_int_equal(RtlUnicodeStringCopyString(&Empty, L""), STATUS_SUCCESS);
    assert_int_equal(RtlUnicodeStringCopyString(&Empty, L"a"), STATUS_BUFFER_OVERFLOW);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        RTL_TEST(test_copy),
        RTL_TEST(test_copy_n),
        RTL_TEST(test_cat),
        RTL_TEST(test_printf_wide),
        RTL_TEST(test_printf_narrow),
        RTL_TEST(test_vprintf),
        RTL_TEST(test_ex_outputs),
        RTL_TEST(test_ex_flags),
        RTL_TEST(test_length),
        RTL_TEST(test_unicode_string_init),
        RTL_TEST(test_unicode_string_copy_cat),
        RTL_TEST(test_unicode_string_printf),
        RTL_TEST(test_unicode_string_validate),
    };
    return cmocka_run_group_tests_name("rtl_strsafe", Tests, NULL, NULL);
}
