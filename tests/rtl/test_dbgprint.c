/*
 * DbgPrint, DbgPrintEx, vDbgPrintEx(WithPrefix), DbgBreakPoint and RtlAssert.
 *
 * Output is captured through IrpSimSetDebugOutput. The format is the kernel
 * CRT's (documented on the DbgPrint and "printf type field characters"
 * pages): %wZ UNICODE_STRING, %Z ANSI_STRING, %ws / %ls / %S wide strings,
 * %I64 and ll 64-bit, %I pointer-sized, l 32-bit, %p upper-case hex at full
 * pointer width; one DbgPrint transmits at most 512 bytes; DbgPrintEx shows
 * DPFLTR_ERROR_LEVEL and filters the other levels. A failed ASSERT prints
 * the checked build's "*** Assertion failed" text.
 */
#include "rtl_test.h"

#include <irpsim/trace.h>

typedef struct _CAPTURE {
    char Text[4096];
    size_t Used;
    ULONG Calls;
} CAPTURE;

static CAPTURE Captured;

static VOID CaptureOutput(PCSTR Text, PVOID Context)
{
    CAPTURE *Capture = (CAPTURE *)Context;
    size_t Length = strlen(Text);
    if (Capture->Used + Length >= sizeof(Capture->Text))
        Length = sizeof(Capture->Text) - 1 - Capture->Used;
    memcpy(Capture->Text + Capture->Used, Text, Length);
    Capture->Used += Length;
    Capture->Text[Capture->Used] = '\0';
    Capture->Calls++;
}

static void StartCapture(void)
{
    memset(&Captured, 0, sizeof(Captured));
    IrpSimSetDebugOutput(CaptureOutput, &Captured);
}

#define assert_captured(Expected)                                                                                      \
    do {                                                                                                               \
        assert_string_equal(Captured.Text, (Expected));                                                                \
        StartCapture();                                                                                                \
    } while (0)

/* The kernel's string extensions. */
static void test_string_conversions(void **State)
{
    UNICODE_STRING Unicode = RTL_CONSTANT_STRING(L"\\Device\\Beep");
    ANSI_STRING Ansi = RTL_CONSTANT_STRING("ansi");
    (void)State;

    StartCapture();
    assert_int_equal(DbgPrint("%wZ|%Z|%ws|%ls|%S|%s|%hs\n", &Unicode, &Ansi, L"ws", L"ls", L"S", "s", "hs"),
                     STATUS_SUCCESS);
    assert_captured("\\Device\\Beep|ansi|ws|ls|S|s|hs\n");

    /* Precision and width apply to counted strings as to others. */
    DbgPrint("[%.7wZ][%6Z][%-6Z]", &Unicode, &Ansi, &Ansi);
    assert_captured("[\\Device][  ansi][ansi  ]");

    /* NULL pointers print "(null)". */
    Unicode.Buffer = NULL;
    DbgPrint("%s|%ws|%wZ|%Z|%wZ", (char *)NULL, (WCHAR *)NULL, (PUNICODE_STRING)NULL, (PANSI_STRING)NULL, &Unicode);
    assert_captured("(null)|(null)|(null)|(null)|(null)");
}

/* Windows widths: l is 32 bits; I64 / ll 64 bits; I / z pointer-sized. */
static void test_integer_widths(void **State)
{
    char Expected[64];
    (void)State;

    StartCapture();
    DbgPrint("%I64x|%I64X|%I64u|%I64d|%llx", 0x123456789ABCDEF0ULL, 0xFEDCBA9876543210ULL, 18446744073709551615ULL,
             -5LL, 0xFULL);
    assert_captured("123456789abcdef0|FEDCBA9876543210|18446744073709551615|-5|f");

    DbgPrint("%lu|%lx|%ld|%lX", (ULONG)4294967295u, (ULONG)0xDEADBEEFu, (LONG)-1, (ULONG)0xABCu);
    assert_captured("4294967295|deadbeef|-1|ABC");

    DbgPrint("%I32u|%hd|%hu|%hhx|%u", (ULONG)7, (int)(SHORT)-1, 65535, 0x1FF, 3000000000u);
    assert_captured("7|-1|65535|ff|3000000000");

    snprintf(Expected, sizeof(Expected), "%s|-2|%s", sizeof(void *) == 8 ? "ffffffffffffffff" : "ffffffff",
             sizeof(void *) == 8 ? "18446744073709551615" : "4294967295");
    DbgPrint("%Ix|%Id|%Iu", (ULONG_PTR) ~(ULONG_PTR)0, (LONG_PTR)-2, (SIZE_T) ~(SIZE_T)0);
    assert_captured(Expected);
    DbgPrint("%zu|%Ix", (SIZE_T)42, (ULONG_PTR)0x10);
    assert_captured("42|10");
}

/* %p: upper-case hex, zero-padded to the pointer's width. */
static void test_pointer(void **State)
{
    (void)State;
    StartCapture();
    DbgPrint("%p|%p", (PVOID)(ULONG_PTR)0x1234, (PVOID)(ULONG_PTR)0xABCDEF);
    if (sizeof(void *) == 8)
        assert_captured("0000000000001234|0000000000ABCDEF");
    else
        assert_captured("00001234|00ABCDEF");
}

static void test_flags_and_widths(void **State)
{
    (void)State;
    StartCapture();
    DbgPrint("%5d|%-5d|%05d|%+d|% d|%x|%X|%#x|%#o|%o|%%|%.3d|%5.1s|%-4s|%*d|%-*d|%.0d", 42, 42, 42, 42, 42, 255, 255,
             255, 8, 8, 7, "xyz", "ab", 4, 9, 3, 9, 0);
    assert_captured("   42|42   |00042|+42| 42|ff|FF|0xff|010|10|%|007|    x|ab  |   9|9  |");
    DbgPrint("%-05d|%05d|%5.3d|%#X|%#x", -42, -42, -4, 0xABu, 0u);
    assert_captured("-42  |-0042| -004|0XAB|0");
    DbgPrint("%.2f|%e|%g", 3.14159, 1.5e10, 0.0001);
    assert_captured("3.14|1.500000e+10|0.0001");
}

/* %c narrow, %C / %wc / %lc wide; wide text is written as UTF-8. */
static void test_characters_and_utf8(void **State)
{
    (void)State;
    StartCapture();
    DbgPrint("%c%C%wc%lc%hc", 'a', (int)L'\u00e9', (int)L'\u20ac', (int)L'b', 'z');
    assert_captured("a\xc3\xa9\xe2\x82\xac"
                    "bz");
    DbgPrint("%ws", L"caf\u00e9 \u20ac \U0001F600");
    assert_captured("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    DbgPrint("literal only, %%, and an unknown %y conversion");
    assert_captured("literal only, %, and an unknown y conversion");
}

/* One DbgPrint transmits at most 512 bytes. */
static void test_512_byte_limit(void **State)
{
    char Long[700];
    (void)State;

    memset(Long, 'a', sizeof(Long) - 1);
    Long[sizeof(Long) - 1] = '\0';
    StartCapture();
    DbgPrint("%s", Long);
    assert_int_equal(strlen(Captured.Text), 512);
    assert_int_equal(Captured.Calls, 1);
}

/* Sets or (NULL) removes IRPSIM_DBGPRINT_LEVEL. */
static void SetDbgPrintLevel(const char *Value)
{
#ifdef _WIN32
    _putenv_s("IRPSIM_DBGPRINT_LEVEL", Value != NULL ? Value : "");
#else
    if (Value != NULL)
        setenv("IRPSIM_DBGPRINT_LEVEL", Value, 1);
    else
        unsetenv("IRPSIM_DBGPRINT_LEVEL");
#endif
}

/* DbgPrintEx: ERROR always shown; other levels when IRPSIM_DBGPRINT_LEVEL
   enables them; a Level above 31 is a mask. DbgPrint is always shown. */
static void test_dbgprintex_filter(void **State)
{
    (void)State;
    SetDbgPrintLevel(NULL);
    StartCapture();
    assert_int_equal(DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "E"), STATUS_SUCCESS);
    assert_int_equal(DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_WARNING_LEVEL, "W"), STATUS_SUCCESS);
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL, "T");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "I");
    DbgPrintEx(DPFLTR_DEFAULT_ID, 12, "12");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_MASK | 0x1, "M1");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_MASK | 0x8, "M8");
    DbgPrint("P");
    assert_captured("EM1P");

    SetDbgPrintLevel("2");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_WARNING_LEVEL, "W");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL, "T");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "I");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_MASK | 0x4, "M4");
    assert_captured("WTM4");

    SetDbgPrintLevel("all");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "I");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, 31, "31");
    assert_captured("I31");
    SetDbgPrintLevel(NULL);
}

static ULONG CallVDbgPrintEx(PCSTR Prefix, ULONG Level, PCSTR Format, ...)
{
    ULONG Status;
    va_list Arguments;
    va_start(Arguments, Format);
    if (Prefix != NULL)
        Status = vDbgPrintExWithPrefix(Prefix, DPFLTR_IHVDRIVER_ID, Level, Format, Arguments);
    else
        Status = vDbgPrintEx(DPFLTR_IHVDRIVER_ID, Level, Format, Arguments);
    va_end(Arguments);
    return Status;
}

static void test_vdbgprintex(void **State)
{
    (void)State;
    SetDbgPrintLevel(NULL);
    StartCapture();
    assert_int_equal(CallVDbgPrintEx(NULL, DPFLTR_ERROR_LEVEL, "x=%d;", 1), STATUS_SUCCESS);
    CallVDbgPrintEx("MyDrv: ", DPFLTR_ERROR_LEVEL, "y=%ws", L"2");
    CallVDbgPrintEx("MyDrv: ", DPFLTR_INFO_LEVEL, "hidden");
    assert_captured("x=1;MyDrv: y=2");
}

/* Each DbgPrint is a DebugPrint trace event carrying the text. */
static void test_trace_event(void **State)
{
    IRPSIM_TRACE_EVENT Event;
    ULONG Index = 0;
    (void)State;

    IrpSimTraceEnable(IRPSIM_TRACE_MEMORY, NULL);
    IrpSimTraceClear();
    DbgPrint("traced %d\n", 7);
    assert_true(IrpSimTraceFind(&Index, IrpSimTraceDebugPrint, NULL, &Event));
    assert_string_equal(Event.Text, "traced 7\n");
    IrpSimTraceEnable(0, NULL);
}

/* DbgBreakPoint with no debugger: reported, then execution continues. */
static void test_break_point(void **State)
{
    (void)State;
    StartCapture();
    DbgBreakPoint();
    assert_non_null(strstr(Captured.Text, "DbgBreakPoint hit"));
    assert_non_null(strstr(Captured.Text, "IRQL 0"));
    assert_non_null(strstr(Captured.Text, "continuing"));
    StartCapture();
    DbgBreakPointWithStatus(0x1234);
    assert_non_null(strstr(Captured.Text, "DbgBreakPointWithStatus(0x00001234)"));
    StartCapture();
    KdBreakPoint();
    assert_non_null(strstr(Captured.Text, "DbgBreakPoint hit"));
}

/* A failed ASSERT prints the checked build's text and raises
   IRPSIM_ASSERTION_FAILED (P1 expression, P2 file, P3 line, P4 message). */
static void test_assert(void **State)
{
    volatile int Value = 1;
    ULONG Line;
    (void)State;

    StartCapture();
    ASSERT(Value == 1);
    NT_ASSERT(Value != 0);
    assert_int_equal(Captured.Used, 0);

    Line = __LINE__ + 1;
    irpsim_assert_bugcheck(IRPSIM_ASSERTION_FAILED, ASSERT(Value == 2));
    assert_string_equal((const char *)irpsim_last_bugcheck.Info.Parameter[0], "Value == 2");
    assert_string_equal((const char *)irpsim_last_bugcheck.Info.Parameter[1], __FILE__);
    irpsim_assert_bugcheck_parameter(2, Line);
    irpsim_assert_bugcheck_parameter(3, 0);
    assert_non_null(strstr(Captured.Text, "*** Assertion failed: Value == 2\n"));
    assert_non_null(strstr(Captured.Text, "***   Source File: "));
    assert_non_null(strstr(irpsim_last_bugcheck.Info.Rule, "ASSERT(Value == 2) failed"));

    StartCapture();
    irpsim_assert_bugcheck(IRPSIM_ASSERTION_FAILED, ASSERTMSG("queue must be empty: ", Value == 3));
    assert_string_equal((const char *)irpsim_last_bugcheck.Info.Parameter[3], "queue must be empty: ");
    assert_non_null(strstr(Captured.Text, "*** Assertion failed: queue must be empty: Value == 3\n"));

    irpsim_assert_bugcheck(IRPSIM_ASSERTION_FAILED, NT_ASSERT(Value == 0));
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        RTL_TEST(test_string_conversions),
        RTL_TEST(test_integer_widths),
        RTL_TEST(test_pointer),
        RTL_TEST(test_flags_and_widths),
        RTL_TEST(test_characters_and_utf8),
        RTL_TEST(test_512_byte_limit),
        RTL_TEST(test_dbgprintex_filter),
        RTL_TEST(test_vdbgprintex),
        RTL_TEST(test_trace_event),
        RTL_TEST(test_break_point),
        RTL_TEST(test_assert),
    };
    return cmocka_run_group_tests_name("rtl_dbgprint", Tests, NULL, NULL);
}
