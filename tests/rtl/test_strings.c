/*
 * Rtl counted strings, conversions, integers, GUIDs and memory compares.
 *
 * Expected values follow the WDK documentation and, where it is silent,
 * behaviour observed on Windows (Wine's ntdll tests, which run on Windows).
 * Lengths are written as multiples of sizeof(WCHAR) so the tests hold for
 * 4-byte (Linux) and 2-byte (Windows) WCHAR alike.
 */
#include "rtl_test.h"

#define W (sizeof(WCHAR))

/* ---- RtlInit* ---- */

/* RtlInitUnicodeString: Length excludes the terminator, MaximumLength
   includes it, both in bytes; a NULL source gives 0/0/NULL. */
static void test_init_unicode_string(void **State)
{
    UNICODE_STRING String;
    static const WCHAR Text[] = L"Hello";
    (void)State;

    RtlInitUnicodeString(&String, Text);
    assert_int_equal(String.Length, 5 * W);
    assert_int_equal(String.MaximumLength, 6 * W);
    assert_ptr_equal(String.Buffer, Text);

    RtlInitUnicodeString(&String, L"");
    assert_int_equal(String.Length, 0);
    assert_int_equal(String.MaximumLength, W);

    RtlInitUnicodeString(&String, NULL);
    assert_int_equal(String.Length, 0);
    assert_int_equal(String.MaximumLength, 0);
    assert_null(String.Buffer);

    assert_int_equal(RtlInitUnicodeStringEx(&String, Text), STATUS_SUCCESS);
    assert_int_equal(String.Length, 5 * W);
    assert_int_equal(RtlInitUnicodeStringEx(&String, NULL), STATUS_SUCCESS);
    assert_int_equal(String.MaximumLength, 0);
}

/* A source longer than a UNICODE_STRING can count: RtlInitUnicodeStringEx
   fails with STATUS_NAME_TOO_LONG; RtlInitUnicodeString cuts the length to
   the largest one that still leaves room for the terminator. */
static void test_init_unicode_string_too_long(void **State)
{
    const size_t Longest = (UNICODE_STRING_MAX_BYTES - W) / W; /* characters */
    WCHAR *Text = (WCHAR *)calloc(Longest + 10, W);
    UNICODE_STRING String;
    (void)State;

    assert_non_null(Text);
    wmemset(Text, L'a', Longest);
    assert_int_equal(RtlInitUnicodeStringEx(&String, Text), STATUS_SUCCESS);
    assert_int_equal(String.Length, Longest * W);
    assert_int_equal(String.MaximumLength, (Longest + 1) * W);

    Text[Longest] = L'b';
    assert_int_equal(RtlInitUnicodeStringEx(&String, Text), STATUS_NAME_TOO_LONG);
    RtlInitUnicodeString(&String, Text);
    assert_int_equal(String.Length, Longest * W);
    assert_int_equal(String.MaximumLength, (Longest + 1) * W);
    assert_true(String.MaximumLength <= UNICODE_STRING_MAX_BYTES);
    free(Text);
}

/* RtlInitAnsiString / RtlInitString count bytes; the Ex forms reject a
   source longer than MAXUSHORT - 1 bytes. */
static void test_init_ansi_string(void **State)
{
    ANSI_STRING Ansi;
    STRING String;
    char *Long = (char *)malloc(70000);
    (void)State;

    RtlInitAnsiString(&Ansi, "abc");
    assert_int_equal(Ansi.Length, 3);
    assert_int_equal(Ansi.MaximumLength, 4);
    RtlInitString(&String, NULL);
    assert_int_equal(String.Length, 0);
    assert_int_equal(String.MaximumLength, 0);
    assert_null(String.Buffer);

    assert_non_null(Long);
    memset(Long, 'x', 69999);
    Long[69999] = '\0';
    assert_int_equal(RtlInitStringEx(&String, Long), STATUS_NAME_TOO_LONG);
    assert_int_equal(RtlInitAnsiStringEx(&Ansi, "abc"), STATUS_SUCCESS);
    assert_int_equal(Ansi.Length, 3);
    RtlInitString(&String, Long);
    assert_int_equal(String.Length, MAXUSHORT - 1);
    assert_int_equal(String.MaximumLength, MAXUSHORT);
    free(Long);
}

/* ---- copy and append ---- */

/* RtlCopyUnicodeString copies up to the destination's MaximumLength and
   adds a terminator only when there is room for it. */
static void test_copy_unicode_string(void **State)
{
    WCHAR Buffer[16];
    UNICODE_STRING Source = RTL_CONSTANT_STRING(L"abcdef");
    UNICODE_STRING Dest;
    (void)State;

    wmemset(Buffer, L'-', 16);
    Dest.Buffer = Buffer;
    Dest.Length = 0;
    Dest.MaximumLength = sizeof(Buffer);
    RtlCopyUnicodeString(&Dest, &Source);
    assert_unicode_string(&Dest, L"abcdef");
    assert_int_equal(Buffer[6], UNICODE_NULL);

    /* Exactly the string's size: copied, not terminated. */
    wmemset(Buffer, L'-', 16);
    Dest.MaximumLength = (USHORT)(6 * W);
    RtlCopyUnicodeString(&Dest, &Source);
    assert_unicode_string(&Dest, L"abcdef");
    assert_int_equal(Buffer[6], L'-');

    /* Too small: truncated to MaximumLength. */
    wmemset(Buffer, L'-', 16);
    Dest.MaximumLength = (USHORT)(4 * W);
    RtlCopyUnicodeString(&Dest, &Source);
    assert_unicode_string(&Dest, L"abcd");
    assert_int_equal(Buffer[4], L'-');

    RtlCopyUnicodeString(&Dest, NULL);
    assert_int_equal(Dest.Length, 0);
}

/* RtlAppendUnicodeStringToString / RtlAppendUnicodeToString fail with
   STATUS_BUFFER_TOO_SMALL and change nothing when the result does not fit;
   otherwise they append and terminate when room is left. */
static void test_append_unicode(void **State)
{
    WCHAR Buffer[12];
    UNICODE_STRING Dest;
    UNICODE_STRING Tail = RTL_CONSTANT_STRING(L"def");
    UNICODE_STRING Empty = {0, 0, NULL};
    (void)State;

    wmemset(Buffer, L'-', 12);
    wmemcpy(Buffer, L"abc", 3);
    Dest.Buffer = Buffer;
    Dest.Length = (USHORT)(3 * W);
    Dest.MaximumLength = (USHORT)(7 * W);
    assert_int_equal(RtlAppendUnicodeStringToString(&Dest, &Tail), STATUS_SUCCESS);
    assert_unicode_string(&Dest, L"abcdef");
    assert_int_equal(Buffer[6], UNICODE_NULL);

    /* Exact fit: no terminator. */
    Dest.Length = (USHORT)(3 * W);
    Dest.MaximumLength = (USHORT)(6 * W);
    Buffer[6] = L'-';
    assert_int_equal(RtlAppendUnicodeToString(&Dest, L"XYZ"), STATUS_SUCCESS);
    assert_unicode_string(&Dest, L"abcXYZ");
    assert_int_equal(Buffer[6], L'-');

    /* Too small. */
    Dest.Length = (USHORT)(3 * W);
    Dest.MaximumLength = (USHORT)(5 * W);
    assert_int_equal(RtlAppendUnicodeStringToString(&Dest, &Tail), STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(Dest.Length, 3 * W);
    assert_int_equal(RtlAppendUnicodeToString(&Dest, L"XYZ"), STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(Buffer[3], L'X'); /* untouched since the previous append */

    /* Nothing to append always succeeds. */
    assert_int_equal(RtlAppendUnicodeToString(&Dest, NULL), STATUS_SUCCESS);
    assert_int_equal(RtlAppendUnicodeStringToString(&Dest, &Empty), STATUS_SUCCESS);
    assert_int_equal(Dest.Length, 3 * W);
}

/* ---- compare ---- */

/* RtlCompareUnicodeString returns the difference of the first differing
   characters (upcased when CaseInSensitive), else of the lengths. */
static void test_compare_unicode_string(void **State)
{
    UNICODE_STRING Abc = RTL_CONSTANT_STRING(L"abc");
    UNICODE_STRING Abd = RTL_CONSTANT_STRING(L"abd");
    UNICODE_STRING AbcUpper = RTL_CONSTANT_STRING(L"ABC");
    UNICODE_STRING Ab = RTL_CONSTANT_STRING(L"ab");
    UNICODE_STRING Accented = RTL_CONSTANT_STRING(L"caf\u00e9");
    UNICODE_STRING AccentedUpper = RTL_CONSTANT_STRING(L"CAF\u00c9");
    (void)State;

    assert_true(RtlCompareUnicodeString(&Abc, &Abd, FALSE) < 0);
    assert_int_equal(RtlCompareUnicodeString(&Abc, &Abd, FALSE), (LONG)L'c' - (LONG)L'd');
    assert_true(RtlCompareUnicodeString(&Abd, &Abc, TRUE) > 0);
    assert_int_equal(RtlCompareUnicodeString(&Abc, &AbcUpper, TRUE), 0);
    assert_true(RtlCompareUnicodeString(&Abc, &AbcUpper, FALSE) > 0);
    assert_true(RtlCompareUnicodeString(&AbcUpper, &Abc, FALSE) < 0);
    assert_int_equal(RtlCompareUnicodeString(&Abc, &Ab, FALSE), (LONG)W);
    assert_int_equal(RtlCompareUnicodeString(&Ab, &Abc, TRUE), -(LONG)W);
    assert_int_equal(RtlCompareUnicodeString(&Accented, &AccentedUpper, TRUE), 0);

    assert_true(RtlEqualUnicodeString(&Abc, &AbcUpper, TRUE));
    assert_false(RtlEqualUnicodeString(&Abc, &AbcUpper, FALSE));
    assert_false(RtlEqualUnicodeString(&Abc, &Ab, TRUE));
    assert_true(RtlEqualUnicodeString(&Accented, &AccentedUpper, TRUE));
}

/* RtlPrefixUnicodeString: TRUE when String1 is a prefix of String2. */
static void test_prefix_unicode_string(void **State)
{
    UNICODE_STRING Prefix = RTL_CONSTANT_STRING(L"\\Device\\");
    UNICODE_STRING Name = RTL_CONSTANT_STRING(L"\\DEVICE\\Beep");
    UNICODE_STRING Other = RTL_CONSTANT_STRING(L"\\Driver\\Beep");
    (void)State;

    assert_true(RtlPrefixUnicodeString(&Prefix, &Name, TRUE));
    assert_false(RtlPrefixUnicodeString(&Prefix, &Name, FALSE));
    assert_false(RtlPrefixUnicodeString(&Prefix, &Other, TRUE));
    assert_false(RtlPrefixUnicodeString(&Name, &Prefix, TRUE));
    assert_true(RtlPrefixUnicodeString(&Name, &Name, FALSE));
}

/* ---- case ---- */

/* RtlUpcaseUnicodeChar: a..z, Latin-1 (U+00E0..U+00FE except U+00F7, and
   U+00FF -> U+0178), Greek, Cyrillic; others unchanged (U+00B5, U+00DF). */
static void test_upcase_char(void **State)
{
    (void)State;
    assert_int_equal(RtlUpcaseUnicodeChar(L'a'), L'A');
    assert_int_equal(RtlUpcaseUnicodeChar(L'z'), L'Z');
    assert_int_equal(RtlUpcaseUnicodeChar(L'A'), L'A');
    assert_int_equal(RtlUpcaseUnicodeChar(L'1'), L'1');
    assert_int_equal(RtlUpcaseUnicodeChar(0xE9), 0xC9);
    assert_int_equal(RtlUpcaseUnicodeChar(0xF7), 0xF7);
    assert_int_equal(RtlUpcaseUnicodeChar(0xFF), 0x178);
    assert_int_equal(RtlUpcaseUnicodeChar(0xB5), 0xB5);
    assert_int_equal(RtlUpcaseUnicodeChar(0xDF), 0xDF);
    assert_int_equal(RtlUpcaseUnicodeChar(0x101), 0x100);
    assert_int_equal(RtlUpcaseUnicodeChar(0x3B1), 0x391);
    assert_int_equal(RtlUpcaseUnicodeChar(0x3AC), 0x386);
    assert_int_equal(RtlUpcaseUnicodeChar(0x430), 0x410);
    assert_int_equal(RtlUpcaseUnicodeChar(0x451), 0x401);
    assert_int_equal(RtlUpcaseUnicodeChar(0xFF41), 0xFF21);
}

/* RtlUpcaseUnicodeString upcases into the caller's buffer (the source
   itself is allowed) or into a new pool buffer freed by RtlFreeUnicodeString;
   a destination too small is STATUS_BUFFER_OVERFLOW. */
static void test_upcase_string(void **State)
{
    WCHAR Buffer[8];
    UNICODE_STRING String;
    UNICODE_STRING Small;
    UNICODE_STRING Upper;
    UNICODE_STRING Source = RTL_CONSTANT_STRING(L"dev\u00e9ice");
    (void)State;

    wmemcpy(Buffer, L"beep-1", 7);
    RtlInitUnicodeString(&String, Buffer);
    assert_int_equal(RtlUpcaseUnicodeString(&String, &String, FALSE), STATUS_SUCCESS);
    assert_unicode_string(&String, L"BEEP-1");

    Small.Buffer = Buffer;
    Small.Length = 0;
    Small.MaximumLength = (USHORT)(3 * W);
    assert_int_equal(RtlUpcaseUnicodeString(&Small, &Source, FALSE), STATUS_BUFFER_OVERFLOW);

    assert_int_equal(RtlTestOutstanding(RTL_TEST_UNICODE_TAG), 0);
    assert_int_equal(RtlUpcaseUnicodeString(&Upper, &Source, TRUE), STATUS_SUCCESS);
    assert_unicode_string(&Upper, L"DEV\u00c9ICE");
    assert_int_equal(Upper.MaximumLength, Source.Length);
    assert_int_equal(RtlTestOutstanding(RTL_TEST_UNICODE_TAG), 1);
    RtlFreeUnicodeString(&Upper);
    assert_null(Upper.Buffer);
    assert_int_equal(Upper.Length, 0);
    assert_int_equal(Upper.MaximumLength, 0);
    assert_int_equal(RtlTestOutstanding(RTL_TEST_UNICODE_TAG), 0);
}

/* ---- duplicate ---- */

/* RtlDuplicateUnicodeString (observed on Windows): flag 1 adds a
   terminator, flag 2 is only valid with flag 1 and makes an empty source
   produce an allocated empty string; invalid input leaves the output alone. */
static void test_duplicate_unicode_string(void **State)
{
    UNICODE_STRING Source = RTL_CONSTANT_STRING(L"This is a string");
    UNICODE_STRING Empty = {0, 0, NULL};
    UNICODE_STRING Bad;
    UNICODE_STRING Out;
    (void)State;

    assert_int_equal(RtlDuplicateUnicodeString(0, &Source, &Out), STATUS_SUCCESS);
    assert_unicode_string(&Out, L"This is a string");
    assert_int_equal(Out.MaximumLength, 16 * W);
    assert_ptr_not_equal(Out.Buffer, Source.Buffer);
    RtlFreeUnicodeString(&Out);

    assert_int_equal(RtlDuplicateUnicodeString(RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE, &Source, &Out),
                     STATUS_SUCCESS);
    assert_int_equal(Out.MaximumLength, 17 * W);
    assert_int_equal(Out.Buffer[16], UNICODE_NULL);
    RtlFreeUnicodeString(&Out);

    assert_int_equal(RtlDuplicateUnicodeString(RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE, &Empty, &Out),
                     STATUS_SUCCESS);
    assert_null(Out.Buffer);
    assert_int_equal(Out.MaximumLength, 0);

    assert_int_equal(RtlDuplicateUnicodeString(RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE |
                                                   RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING,
                                               &Empty, &Out),
                     STATUS_SUCCESS);
    assert_non_null(Out.Buffer);
    assert_int_equal(Out.Length, 0);
    assert_int_equal(Out.MaximumLength, W);
    assert_int_equal(Out.Buffer[0], UNICODE_NULL);
    RtlFreeUnicodeString(&Out);

    Out.Length = 40;
    Out.MaximumLength = 42;
    Out.Buffer = NULL;
    assert_int_equal(RtlDuplicateUnicodeString(RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING, &Source, &Out),
                     STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlDuplicateUnicodeString(4, &Source, &Out), STATUS_INVALID_PARAMETER);
    Bad = Source;
    Bad.MaximumLength = (USHORT)(Bad.Length - W);
    assert_int_equal(RtlDuplicateUnicodeString(0, &Bad, &Out), STATUS_INVALID_PARAMETER);
    assert_int_equal(Out.Length, 40);
    assert_int_equal(Out.MaximumLength, 42);
    assert_int_equal(RtlTestOutstanding(RTL_TEST_UNICODE_TAG), 0);
}

/* ---- 8-bit strings ---- */

/* RtlCompareString / RtlEqualString fold a..z only; RtlCopyString
   truncates to the destination and terminates when room is left. */
static void test_ansi_strings(void **State)
{
    STRING Hello = RTL_CONSTANT_STRING("hello");
    STRING HelloUpper = RTL_CONSTANT_STRING("HELLO");
    STRING Help = RTL_CONSTANT_STRING("help");
    STRING Accent = RTL_CONSTANT_STRING("\xe9");
    STRING AccentUpper = RTL_CONSTANT_STRING("\xc9");
    char Buffer[8];
    STRING Dest;
    (void)State;

    assert_int_equal(RtlCompareString(&Hello, &HelloUpper, TRUE), 0);
    assert_true(RtlCompareString(&Hello, &HelloUpper, FALSE) > 0);
    assert_true(RtlCompareString(&Help, &Hello, FALSE) > 0);
    assert_true(RtlCompareString(&Accent, &AccentUpper, TRUE) != 0);
    assert_true(RtlEqualString(&Hello, &HelloUpper, TRUE));
    assert_false(RtlEqualString(&Hello, &Help, TRUE));

    memset(Buffer, '-', sizeof(Buffer));
    Dest.Buffer = Buffer;
    Dest.Length = 0;
    Dest.MaximumLength = sizeof(Buffer);
    RtlCopyString(&Dest, &Hello);
    assert_int_equal(Dest.Length, 5);
    assert_string_equal(Buffer, "hello");
    Dest.MaximumLength = 3;
    memset(Buffer, '-', sizeof(Buffer));
    RtlCopyString(&Dest, &Hello);
    assert_int_equal(Dest.Length, 3);
    assert_memory_equal(Buffer, "hel-", 4);
    RtlCopyString(&Dest, NULL);
    assert_int_equal(Dest.Length, 0);
}

/* ---- conversions (the ANSI code page is UTF-8) ---- */

/* RtlUnicodeStringToAnsiString (observed on Windows): allocation gives
   MaximumLength = Length + 1; a destination too small gets as much as fits,
   terminated, with STATUS_BUFFER_OVERFLOW; MaximumLength 0 is untouched. */
static void test_unicode_to_ansi(void **State)
{
    UNICODE_STRING Source = RTL_CONSTANT_STRING(L"abcdef");
    UNICODE_STRING Euro = RTL_CONSTANT_STRING(L"\u00e9\u20ac");
    ANSI_STRING Ansi;
    char Buffer[12];
    (void)State;

    assert_int_equal(RtlUnicodeStringToAnsiSize(&Source), 7);
    assert_int_equal(RtlUnicodeStringToAnsiString(&Ansi, &Source, TRUE), STATUS_SUCCESS);
    assert_int_equal(Ansi.Length, 6);
    assert_int_equal(Ansi.MaximumLength, 7);
    assert_string_equal(Ansi.Buffer, "abcdef");
    assert_int_equal(RtlTestOutstanding(RTL_TEST_ANSI_TAG), 1);
    RtlFreeAnsiString(&Ansi);
    assert_null(Ansi.Buffer);
    assert_int_equal(RtlTestOutstanding(RTL_TEST_ANSI_TAG), 0);

    memset(Buffer, '-', sizeof(Buffer));
    Ansi.Buffer = Buffer;
    Ansi.Length = 0;
    Ansi.MaximumLength = 5;
    assert_int_equal(RtlUnicodeStringToAnsiString(&Ansi, &Source, FALSE), STATUS_BUFFER_OVERFLOW);
    assert_int_equal(Ansi.Length, 4);
    assert_string_equal(Buffer, "abcd");

    Ansi.MaximumLength = 6;
    assert_int_equal(RtlUnicodeStringToAnsiString(&Ansi, &Source, FALSE), STATUS_BUFFER_OVERFLOW);
    assert_int_equal(Ansi.Length, 5);
    Ansi.MaximumLength = 7;
    assert_int_equal(RtlUnicodeStringToAnsiString(&Ansi, &Source, FALSE), STATUS_SUCCESS);
    assert_string_equal(Buffer, "abcdef");

    memset(Buffer, '-', sizeof(Buffer));
    Ansi.Length = 0;
    Ansi.MaximumLength = 0;
    assert_int_equal(RtlUnicodeStringToAnsiString(&Ansi, &Source, FALSE), STATUS_BUFFER_OVERFLOW);
    assert_int_equal(Buffer[0], '-');

    /* Non-ASCII becomes UTF-8, and truncation never splits a character. */
    assert_int_equal(RtlUnicodeStringToAnsiSize(&Euro), 6);
    Ansi.MaximumLength = sizeof(Buffer);
    assert_int_equal(RtlUnicodeStringToAnsiString(&Ansi, &Euro, FALSE), STATUS_SUCCESS);
    assert_int_equal(Ansi.Length, 5);
    assert_string_equal(Buffer, "\xc3\xa9\xe2\x82\xac");
    Ansi.MaximumLength = 4;
    assert_int_equal(RtlUnicodeStringToAnsiString(&Ansi, &Euro, FALSE), STATUS_BUFFER_OVERFLOW);
    assert_int_equal(Ansi.Length, 2);
    assert_string_equal(Buffer, "\xc3\xa9");
}

/* RtlAnsiStringToUnicodeString: allocation gives a terminated buffer; a
   destination without room for the string and its terminator is
   STATUS_BUFFER_OVERFLOW and is not written. */
static void test_ansi_to_unicode(void **State)
{
    ANSI_STRING Source = RTL_CONSTANT_STRING("h\xc3\xa9llo");
    ANSI_STRING Invalid = RTL_CONSTANT_STRING("a\xff"
                                              "b");
    UNICODE_STRING Unicode;
    WCHAR Buffer[8];
    (void)State;

    assert_int_equal(RtlAnsiStringToUnicodeSize(&Source), 6 * W);
    assert_int_equal(RtlAnsiStringToUnicodeString(&Unicode, &Source, TRUE), STATUS_SUCCESS);
    assert_unicode_string(&Unicode, L"h\u00e9llo");
    assert_int_equal(Unicode.MaximumLength, 6 * W);
    assert_int_equal(Unicode.Buffer[5], UNICODE_NULL);
    RtlFreeUnicodeString(&Unicode);

    wmemset(Buffer, L'-', 8);
    Unicode.Buffer = Buffer;
    Unicode.Length = 0;
    Unicode.MaximumLength = (USHORT)(5 * W);
    assert_int_equal(RtlAnsiStringToUnicodeString(&Unicode, &Source, FALSE), STATUS_BUFFER_OVERFLOW);
    assert_int_equal(Unicode.Length, 0);
    assert_int_equal(Buffer[0], L'-');
    Unicode.MaximumLength = (USHORT)(6 * W);
    assert_int_equal(RtlAnsiStringToUnicodeString(&Unicode, &Source, FALSE), STATUS_SUCCESS);
    assert_unicode_string(&Unicode, L"h\u00e9llo");

    /* A byte that is not UTF-8 becomes U+FFFD. */
    assert_int_equal(RtlAnsiStringToUnicodeString(&Unicode, &Invalid, FALSE), STATUS_SUCCESS);
    assert_unicode_string(&Unicode, L"a\ufffdb");
    assert_int_equal(RtlTestOutstanding(RTL_TEST_UNICODE_TAG), 0);
}

/* ---- integers ---- */

/* RtlIntegerToUnicodeString: bases 2, 8, 10, 16 (0 = 10), upper-case hex;
   the destination needs room for the terminator (current Windows). */
static void test_integer_to_unicode(void **State)
{
    WCHAR Buffer[40];
    UNICODE_STRING String;
    (void)State;

    String.Buffer = Buffer;
    String.Length = 0;
    String.MaximumLength = sizeof(Buffer);
    assert_int_equal(RtlIntegerToUnicodeString(123, 10, &String), STATUS_SUCCESS);
    assert_unicode_string(&String, L"123");
    assert_int_equal(Buffer[3], UNICODE_NULL);
    assert_int_equal(RtlIntegerToUnicodeString(4294967295u, 0, &String), STATUS_SUCCESS);
    assert_unicode_string(&String, L"4294967295");
    assert_int_equal(RtlIntegerToUnicodeString(0xFFFFFFFEu, 16, &String), STATUS_SUCCESS);
    assert_unicode_string(&String, L"FFFFFFFE");
    assert_int_equal(RtlIntegerToUnicodeString(10, 2, &String), STATUS_SUCCESS);
    assert_unicode_string(&String, L"1010");
    assert_int_equal(RtlIntegerToUnicodeString(0x80000000u, 8, &String), STATUS_SUCCESS);
    assert_unicode_string(&String, L"20000000000");
    assert_int_equal(RtlIntegerToUnicodeString(0, 16, &String), STATUS_SUCCESS);
    assert_unicode_string(&String, L"0");

    assert_int_equal(RtlIntegerToUnicodeString(1, 3, &String), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlIntegerToUnicodeString(1, 20, &String), STATUS_INVALID_PARAMETER);

    /* "FFFFFFFF" needs 8 characters plus the terminator. */
    wmemset(Buffer, L'-', 40);
    String.Length = 0;
    String.MaximumLength = (USHORT)(8 * W);
    assert_int_equal(RtlIntegerToUnicodeString(0xFFFFFFFFu, 16, &String), STATUS_BUFFER_OVERFLOW);
    assert_int_equal(Buffer[0], L'-');
    String.MaximumLength = (USHORT)(9 * W);
    assert_int_equal(RtlIntegerToUnicodeString(0xFFFFFFFFu, 16, &String), STATUS_SUCCESS);
    assert_unicode_string(&String, L"FFFFFFFF");
}

typedef struct _PARSE_CASE {
    ULONG Base;
    const WCHAR *Text;
    ULONG Value;
} PARSE_CASE;

/* RtlUnicodeStringToInteger (observed on Windows): leading characters up to
   ' ' skipped, one sign, 0x / 0o / 0b prefixes when Base is 0, parsing stops
   at the first non-digit, values wrap modulo 2^32. */
static void test_unicode_to_integer(void **State)
{
    static const PARSE_CASE Cases[] = {
        {0, L"1234567", 1234567},
        {0, L"-214", (ULONG)-214},
        {0, L"+214", 214},
        {0, L"--214", 0},
        {0, L"+-214", 0},
        {0, L" \n \r \t214", 214},
        {0,
         L"\x01\x02\x03\x04"
         L"11",
         11},
        {0, L"+214 0", 214},
        {0, L" 214.01", 214},
        {0, L"f81", 0},
        {0, L"0x12345", 0x12345},
        {0, L"00x12345", 0},
        {0, L"0xx12345", 0},
        {0, L"1x34", 1},
        {0, L"0xabcdefgh", 0xabcdef},
        {0, L"0xFEDCBA00", 0xFEDCBA00},
        {0, L"-0xFEDCBA00", 19088896},
        {0, L"0o1234567", 01234567},
        {0, L"0o56789", 0567},
        {0, L"0b1011101100", 748},
        {0, L"-0b1011101100", (ULONG)-748},
        {0, L"0b10123456789", 5},
        {0, L"0b", 0},
        {0, L"0d1011101100", 0},
        {0, L"056789", 56789},
        {0, L"2147483648", 0x80000000u},
        {0, L"4294967295", 0xFFFFFFFFu},
        {0, L"4294967296", 0},
        {0, L"9999999999", 1410065407},
        {0, L"-2147483649", 2147483647},
        {2, L"1011101100", 748},
        {2, L"2", 0},
        {2, L"0b1011101100", 0},
        {8, L"1011101100", 136610368},
        {8, L"8", 0},
        {10, L"-1011101100", (ULONG)-1011101100},
        {10, L"0x1011101100", 0},
        {16, L"1011101100", 286265600},
        {16, L"0b1011101100", 286265600},
        {16, L"0x1011101100", 0},
        {16, L"G", 0},
        {16, L"ff", 255},
    };
    UNICODE_STRING String;
    ULONG Value;
    (void)State;

    for (size_t i = 0; i < RTL_NUMBER_OF(Cases); i++) {
        RtlInitUnicodeString(&String, Cases[i].Text);
        Value = 0xDEADBEEF;
        if (RtlUnicodeStringToInteger(&String, Cases[i].Base, &Value) != STATUS_SUCCESS || Value != Cases[i].Value)
            fail_msg("case %zu: base %u \"%ls\" gave 0x%08X, expected 0x%08X", i, Cases[i].Base, Cases[i].Text, Value,
                     Cases[i].Value);
    }

    /* Only Length counts, not the terminator. */
    RtlInitUnicodeString(&String, L"12345");
    String.Length = (USHORT)(2 * W);
    assert_int_equal(RtlUnicodeStringToInteger(&String, 0, &Value), STATUS_SUCCESS);
    assert_int_equal(Value, 12);

    /* Errors. */
    RtlInitUnicodeString(&String, L"12");
    assert_int_equal(RtlUnicodeStringToInteger(&String, 20, &Value), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlUnicodeStringToInteger(&String, 3, &Value), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlUnicodeStringToInteger(&String, 10, NULL), STATUS_ACCESS_VIOLATION);
    RtlInitUnicodeString(&String, L"");
    assert_int_equal(RtlUnicodeStringToInteger(&String, 0, &Value), STATUS_INVALID_PARAMETER);
    RtlInitUnicodeString(&String, L"12");
    String.Length = (USHORT)(W + 1);
    assert_int_equal(RtlUnicodeStringToInteger(&String, 0, &Value), STATUS_INVALID_PARAMETER);
}

/* ---- GUIDs ---- */

/* RtlStringFromGUID: "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}", upper case,
   allocated (freed with RtlFreeUnicodeString), terminated. */
static void test_string_from_guid(void **State)
{
    static const GUID Guid = {0x12345678, 0x9abc, 0xdef0, {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}};
    static const GUID Zero = {0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0}};
    UNICODE_STRING Text;
    (void)State;

    assert_int_equal(RtlStringFromGUID(&Guid, &Text), STATUS_SUCCESS);
    assert_unicode_string(&Text, L"{12345678-9ABC-DEF0-0123-456789ABCDEF}");
    assert_int_equal(Text.Length, 38 * W);
    assert_int_equal(Text.MaximumLength, 39 * W);
    assert_int_equal(Text.Buffer[38], UNICODE_NULL);
    assert_int_equal(RtlTestOutstanding(RTL_TEST_UNICODE_TAG), 1);
    RtlFreeUnicodeString(&Text);
    assert_int_equal(RtlTestOutstanding(RTL_TEST_UNICODE_TAG), 0);

    assert_int_equal(RtlStringFromGUID(&Zero, &Text), STATUS_SUCCESS);
    assert_unicode_string(&Text, L"{00000000-0000-0000-0000-000000000000}");
    RtlFreeUnicodeString(&Text);
}

/* ---- memory ---- */

/* RtlCompareMemory returns the number of leading bytes that match;
   RtlCompareMemoryUlong the bytes matching the pattern, in whole ULONGs;
   RtlSecureZeroMemory zeroes and returns the buffer. */
static void test_memory(void **State)
{
    const ULONG Pattern = 0xA5A5A5A5;
    ULONG Words[5] = {Pattern, Pattern, Pattern, 1, Pattern};
    UCHAR Secret[16];
    (void)State;

    assert_int_equal(RtlCompareMemory("abcdef", "abcxef", 6), 3);
    assert_int_equal(RtlCompareMemory("abcdef", "abcdef", 6), 6);
    assert_int_equal(RtlCompareMemory("abc", "xbc", 3), 0);
    assert_int_equal(RtlCompareMemory("abc", "xbc", 0), 0);
    assert_true(RtlEqualMemory("abc", "abc", 3));

    assert_int_equal(RtlCompareMemoryUlong(Words, sizeof(Words), Pattern), 12);
    assert_int_equal(RtlCompareMemoryUlong(Words, 10, Pattern), 8);
    assert_int_equal(RtlCompareMemoryUlong(Words, 3, Pattern), 0);
    assert_int_equal(RtlCompareMemoryUlong(&Words[3], 4, Pattern), 0);

    memset(Secret, 0x5A, sizeof(Secret));
    assert_ptr_equal(RtlpSecureZeroMemory(Secret, sizeof(Secret)), Secret);
    RtlSecureZeroMemory(Secret, sizeof(Secret));
    for (size_t i = 0; i < sizeof(Secret); i++)
        assert_int_equal(Secret[i], 0);
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        RTL_TEST(test_init_unicode_string),
        RTL_TEST(test_init_unicode_string_too_long),
        RTL_TEST(test_init_ansi_string),
        RTL_TEST(test_copy_unicode_string),
        RTL_TEST(test_append_unicode),
        RTL_TEST(test_compare_unicode_string),
        RTL_TEST(test_prefix_unicode_string),
        RTL_TEST(test_upcase_char),
        RTL_TEST(test_upcase_string),
        RTL_TEST(test_duplicate_unicode_string),
        RTL_TEST(test_ansi_strings),
        RTL_TEST(test_unicode_to_ansi),
        RTL_TEST(test_ansi_to_unicode),
        RTL_TEST(test_integer_to_unicode),
        RTL_TEST(test_unicode_to_integer),
        RTL_TEST(test_string_from_guid),
        RTL_TEST(test_memory),
    };
    return cmocka_run_group_tests_name("rtl_strings", Tests, NULL, NULL);
}
