/*
 * irpsim — integers and their text: RtlIntegerToUnicodeString,
 * RtlUnicodeStringToInteger.
 *
 * The parsing rules are the ones Windows shows (Wine's tests, run on
 * Windows): leading characters up to ' ' are skipped, one sign is allowed,
 * base 0 recognises the prefixes 0x, 0o and 0b (lower case), parsing stops
 * at the first character that is not a digit of the base, and the value
 * wraps modulo 2^32 instead of failing on overflow.
 */
#include "rtlp.h"

static BOOLEAN RtlpIsValidBase(ULONG Base)
{
    return Base == 2 || Base == 8 || Base == 10 || Base == 16;
}

NTSTATUS NTAPI RtlIntegerToUnicodeString(ULONG Value, ULONG Base, PUNICODE_STRING String)
{
    CHAR Digits[33];
    CHAR Reversed[33];
    ULONG Count = 0;
    ANSI_STRING Text;

    if (Base == 0)
        Base = 10;
    if (!RtlpIsValidBase(Base))
        return STATUS_INVALID_PARAMETER;

    do {
        ULONG Digit = Value % Base;
        Reversed[Count++] = (CHAR)(Digit < 10 ? '0' + Digit : 'A' + Digit - 10);
        Value /= Base;
    } while (Value != 0);
    for (ULONG i = 0; i < Count; i++)
        Digits[i] = Reversed[Count - 1 - i];
    Digits[Count] = '\0';

    /* Current Windows converts through RtlAnsiStringToUnicodeString, so the
       destination needs room for the terminator too, and a destination too
       small is left unchanged with STATUS_BUFFER_OVERFLOW. */
    Text.Buffer = Digits;
    Text.Length = (USHORT)Count;
    Text.MaximumLength = (USHORT)(Count + 1);
    return RtlAnsiStringToUnicodeString(String, &Text, FALSE);
}

/* The value of Character as a digit (0..35), or 36 if it is none. */
static ULONG RtlpDigitValue(WCHAR Character)
{
    if (Character >= L'0' && Character <= L'9')
        return (ULONG)(Character - L'0');
    if (Character >= L'a' && Character <= L'z')
        return (ULONG)(Character - L'a') + 10;
    if (Character >= L'A' && Character <= L'Z')
        return (ULONG)(Character - L'A') + 10;
    return 36;
}

NTSTATUS NTAPI RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base, PULONG Value)
{
    const WCHAR *Text = String->Buffer;
    SIZE_T Count = String->Length / sizeof(WCHAR);
    SIZE_T i = 0;
    BOOLEAN Negative = FALSE;
    ULONG Result = 0;

    if (Base != 0 && !RtlpIsValidBase(Base))
        return STATUS_INVALID_PARAMETER;
    if (Value == NULL)
        return STATUS_ACCESS_VIOLATION;
    /* Current Windows rejects an empty string and a Length that is not a
       whole number of characters (older versions returned 0 for both). */
    if (Count == 0 || (String->Length % sizeof(WCHAR)) != 0)
        return STATUS_INVALID_PARAMETER;

    while (i < Count && Text[i] <= L' ')
        i++;
    if (i < Count && (Text[i] == L'+' || Text[i] == L'-')) {
        Negative = (BOOLEAN)(Text[i] == L'-');
        i++;
    }
    if (Base == 0) {
        Base = 10;
        if (i + 1 < Count && Text[i] == L'0') {
            switch (Text[i + 1]) {
            case L'x':
                Base = 16;
                i += 2;
                break;
            case L'o':
                Base = 8;
                i += 2;
                break;
            case L'b':
                Base = 2;
                i += 2;
                break;
            default:
                break;
            }
        }
    }
    for (; i < Count; i++) {
        ULONG Digit = RtlpDigitValue(Text[i]);
        if (Digit >= Base)
            break;
        Result = Result * Base + Digit; /* wraps, as on Windows */
    }
    *Value = Negative ? (ULONG)(0u - Result) : Result;
    return STATUS_SUCCESS;
}
