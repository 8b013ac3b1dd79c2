/*
 * irpsim — the printf dialect of the kernel's C run-time, used by DbgPrint,
 * the ntstrsafe printf family and RtlUnicodeStringPrintf.
 *
 * It is Microsoft's dialect, not the host's:
 *   - sizes: h (16 bits), hh (8), l (32 bits: long is 32 bits on Windows),
 *     ll / I64 / L / q / j (64), I32 (32), I / z / t (pointer-sized),
 *     w (wide, for c, s and Z);
 *   - %s is a string of the function's own width (narrow in DbgPrint and
 *     the A functions, wide in the W functions) and %S the other width;
 *     %hs is always narrow, %ls and %ws always wide; %c / %C likewise;
 *   - %Z prints an ANSI_STRING (or STRING), %wZ a UNICODE_STRING;
 *   - %p prints the pointer in upper-case hex, zero-padded to its full width;
 *   - NULL strings print as "(null)"; %n writes nothing; an unknown
 *     conversion character is printed as itself.
 * Wide text written to narrow output is encoded as UTF-8; narrow text
 * written to wide output is decoded from UTF-8.
 */
#include "rtlp.h"

#include <stdio.h>

typedef enum _RTLP_FORMAT_SIZE {
    RtlpSizeDefault,
    RtlpSizeChar,     /* hh */
    RtlpSizeShort,    /* h */
    RtlpSizeLong,     /* l: 32 bits for integers, wide for characters */
    RtlpSizeInt32,    /* I32 */
    RtlpSizeLongLong, /* ll, I64, L, q, j */
    RtlpSizePointer,  /* I, z, t */
    RtlpSizeWide      /* w */
} RTLP_FORMAT_SIZE;

typedef struct _RTLP_FORMAT_SPEC {
    BOOLEAN LeftAlign;
    BOOLEAN ForceSign;
    BOOLEAN SpaceSign;
    BOOLEAN Alternate;
    BOOLEAN ZeroPad;
    LONG Width;     /* -1: none */
    LONG Precision; /* -1: none */
    RTLP_FORMAT_SIZE Size;
    ULONG Conversion;
} RTLP_FORMAT_SPEC;

/* Keeps absurd widths from overflowing the arithmetic below. */
#define RTLP_MAX_FIELD 0x00FFFFFF

static const CHAR RtlpNullText[] = "(null)";

/* Writes Count units that must stay together (a UTF-8 sequence or a
   surrogate pair). Once output is truncated nothing more is written, so a
   short character can never slip in after a dropped long one. */
static VOID RtlpPutUnits(PRTLP_FORMAT_OUTPUT Out, const ULONG *Units, SIZE_T Count)
{
    Out->Needed += Count;
    if (Out->Truncated)
        return;
    if (Out->Count + Count > Out->Capacity) {
        Out->Truncated = TRUE;
        return;
    }
    for (SIZE_T i = 0; i < Count; i++) {
        if (Out->Buffer != NULL) {
            if (Out->Wide)
                ((PWCHAR)Out->Buffer)[Out->Count] = (WCHAR)Units[i];
            else
                ((PCHAR)Out->Buffer)[Out->Count] = (CHAR)Units[i];
        }
        Out->Count++;
    }
}

static VOID RtlpPutUnit(PRTLP_FORMAT_OUTPUT Out, ULONG Unit)
{
    RtlpPutUnits(Out, &Unit, 1);
}

static VOID RtlpPutCodePoint(PRTLP_FORMAT_OUTPUT Out, ULONG CodePoint)
{
    ULONG Units[4];
    SIZE_T Count;

    if (Out->Wide) {
        WCHAR Wide[2];
        Count = RtlpEncodeWide(CodePoint, Wide);
        for (SIZE_T i = 0; i < Count; i++)
            Units[i] = (ULONG)Wide[i];
    } else {
        UCHAR Bytes[4];
        Count = RtlpEncodeUtf8(CodePoint, Bytes);
        for (SIZE_T i = 0; i < Count; i++)
            Units[i] = Bytes[i];
    }
    RtlpPutUnits(Out, Units, Count);
}

static VOID RtlpPutRepeated(PRTLP_FORMAT_OUTPUT Out, ULONG Unit, LONG Count)
{
    while (Count-- > 0)
        RtlpPutUnit(Out, Unit);
}

static VOID RtlpPutNarrowText(PRTLP_FORMAT_OUTPUT Out, const CHAR *Text, SIZE_T Length)
{
    if (!Out->Wide) {
        for (SIZE_T i = 0; i < Length; i++)
            RtlpPutUnit(Out, (UCHAR)Text[i]);
        return;
    }
    for (SIZE_T i = 0; i < Length;) {
        ULONG CodePoint;
        i += RtlpDecodeUtf8((const UCHAR *)Text + i, Length - i, &CodePoint);
        RtlpPutCodePoint(Out, CodePoint);
    }
}

static VOID RtlpPutWideText(PRTLP_FORMAT_OUTPUT Out, const WCHAR *Text, SIZE_T Count)
{
    if (Out->Wide) {
        for (SIZE_T i = 0; i < Count; i++)
            RtlpPutUnit(Out, (ULONG)Text[i]);
        return;
    }
    for (SIZE_T i = 0; i < Count;) {
        ULONG CodePoint;
        i += RtlpDecodeWide(Text + i, Count - i, &CodePoint);
        RtlpPutCodePoint(Out, CodePoint);
    }
}

static SIZE_T RtlpNarrowLength(const CHAR *Text, LONG Precision)
{
    SIZE_T Length = 0;
    while ((Precision < 0 || Length < (SIZE_T)Precision) && Text[Length] != '\0')
        Length++;
    return Length;
}

static SIZE_T RtlpWideLength(const WCHAR *Text, LONG Precision)
{
    SIZE_T Length = 0;
    while ((Precision < 0 || Length < (SIZE_T)Precision) && Text[Length] != UNICODE_NULL)
        Length++;
    return Length;
}

/* Writes a string argument with width and precision applied. Text is
   CHAR or WCHAR as IsWide says; Length is in those units. */
static VOID RtlpPutField(PRTLP_FORMAT_OUTPUT Out, const RTLP_FORMAT_SPEC *Spec, const VOID *Text, SIZE_T Length,
                         BOOLEAN IsWide)
{
    LONG Padding = 0;

    if (Spec->Width > 0 && Length < (SIZE_T)Spec->Width)
        Padding = Spec->Width - (LONG)Length;
    if (!Spec->LeftAlign)
        RtlpPutRepeated(Out, Spec->ZeroPad ? '0' : ' ', Padding);
    if (IsWide)
        RtlpPutWideText(Out, (const WCHAR *)Text, Length);
    else
        RtlpPutNarrowText(Out, (const CHAR *)Text, Length);
    if (Spec->LeftAlign)
        RtlpPutRepeated(Out, ' ', Padding);
}

/* Whether a c / s conversion takes a wide argument. */
static BOOLEAN RtlpArgumentIsWide(const PRTLP_FORMAT_OUTPUT Out, const RTLP_FORMAT_SPEC *Spec)
{
    BOOLEAN Upper = (BOOLEAN)(Spec->Conversion == 'S' || Spec->Conversion == 'C');

    if (Spec->Size == RtlpSizeShort || Spec->Size == RtlpSizeChar)
        return FALSE;
    if (Spec->Size == RtlpSizeLong || Spec->Size == RtlpSizeWide)
        return TRUE;
    /* The function's own width, or the other one for %S / %C. */
    return (BOOLEAN)(Out->Wide != Upper);
}

static VOID RtlpFormatString(PRTLP_FORMAT_OUTPUT Out, const RTLP_FORMAT_SPEC *Spec, va_list *Args)
{
    if (RtlpArgumentIsWide(Out, Spec)) {
        const WCHAR *Text = va_arg(*Args, const WCHAR *);
        if (Text != NULL) {
            RtlpPutField(Out, Spec, Text, RtlpWideLength(Text, Spec->Precision), TRUE);
            return;
        }
    } else {
        const CHAR *Text = va_arg(*Args, const CHAR *);
        if (Text != NULL) {
            RtlpPutField(Out, Spec, Text, RtlpNarrowLength(Text, Spec->Precision), FALSE);
            return;
        }
    }
    RtlpPutField(Out, Spec, RtlpNullText, RtlpNarrowLength(RtlpNullText, Spec->Precision), FALSE);
}

static VOID RtlpFormatCountedString(PRTLP_FORMAT_OUTPUT Out, const RTLP_FORMAT_SPEC *Spec, va_list *Args)
{
    /* %Z is an ANSI_STRING in every function; %wZ (or %lZ) a UNICODE_STRING. */
    BOOLEAN IsWide = (BOOLEAN)(Spec->Size == RtlpSizeWide || Spec->Size == RtlpSizeLong);
    SIZE_T Length;

    if (IsWide) {
        PCUNICODE_STRING String = va_arg(*Args, PCUNICODE_STRING);
        if (String != NULL && String->Buffer != NULL) {
            Length = String->Length / sizeof(WCHAR);
            if (Spec->Precision >= 0 && Length > (SIZE_T)Spec->Precision)
                Length = (SIZE_T)Spec->Precision;
            RtlpPutField(Out, Spec, String->Buffer, Length, TRUE);
            return;
        }
    } else {
        PCANSI_STRING String = va_arg(*Args, PCANSI_STRING);
        if (String != NULL && String->Buffer != NULL) {
            Length = String->Length;
            if (Spec->Precision >= 0 && Length > (SIZE_T)Spec->Precision)
                Length = (SIZE_T)Spec->Precision;
            RtlpPutField(Out, Spec, String->Buffer, Length, FALSE);
            return;
        }
    }
    RtlpPutField(Out, Spec, RtlpNullText, RtlpNarrowLength(RtlpNullText, Spec->Precision), FALSE);
}

static VOID RtlpFormatCharacter(PRTLP_FORMAT_OUTPUT Out, const RTLP_FORMAT_SPEC *Spec, va_list *Args)
{
    /* Both widths arrive promoted to int. */
    int Value = va_arg(*Args, int);

    if (RtlpArgumentIsWide(Out, Spec)) {
        WCHAR Character = (WCHAR)Value;
        RtlpPutField(Out, Spec, &Character, 1, TRUE);
    } else {
        CHAR Character = (CHAR)Value;
        RtlpPutField(Out, Spec, &Character, 1, FALSE);
    }
}

static ULONGLONG RtlpReadUnsigned(RTLP_FORMAT_SIZE Size, va_list *Args)
{
    switch (Size) {
    case RtlpSizeChar:
        return (UCHAR)va_arg(*Args, unsigned int);
    case RtlpSizeShort:
        return (USHORT)va_arg(*Args, unsigned int);
    case RtlpSizeLongLong:
        return va_arg(*Args, unsigned long long);
    case RtlpSizePointer:
        return (ULONGLONG)va_arg(*Args, ULONG_PTR);
    default:
        /* int, l (32 bits on Windows), I32, w */
        return va_arg(*Args, unsigned int);
    }
}

static LONGLONG RtlpReadSigned(RTLP_FORMAT_SIZE Size, va_list *Args)
{
    switch (Size) {
    case RtlpSizeChar:
        return (SCHAR)va_arg(*Args, int);
    case RtlpSizeShort:
        return (SHORT)va_arg(*Args, int);
    case RtlpSizeLongLong:
        return va_arg(*Args, long long);
    case RtlpSizePointer:
        return (LONGLONG)va_arg(*Args, LONG_PTR);
    default:
        return va_arg(*Args, int);
    }
}

static VOID RtlpFormatInteger(PRTLP_FORMAT_OUTPUT Out, const RTLP_FORMAT_SPEC *Spec, ULONGLONG Magnitude,
                              BOOLEAN Negative)
{
    const char *Digits = (Spec->Conversion == 'x') ? "0123456789abcdef" : "0123456789ABCDEF";
    ULONG Base = 10;
    CHAR Text[64];
    LONG Count = 0;
    CHAR Prefix[3];
    LONG PrefixCount = 0;
    LONG Precision = Spec->Precision;
    BOOLEAN ZeroPad = Spec->ZeroPad;
    LONG Zeros;
    LONG Total;
    LONG Padding;

    switch (Spec->Conversion) {
    case 'o':
        Base = 8;
        break;
    case 'x':
    case 'X':
    case 'p':
        Base = 16;
        break;
    default:
        break;
    }
    if (Spec->Conversion == 'p') {
        /* Microsoft's %p: every digit of the pointer, upper case. */
        Precision = (LONG)(2 * sizeof(PVOID));
        ZeroPad = FALSE;
    }

    /* Digits, least significant first. Precision 0 and value 0 print none. */
    while (Magnitude != 0) {
        Text[Count++] = Digits[Magnitude % Base];
        Magnitude /= Base;
    }
    if (Count == 0 && Precision != 0)
        Text[Count++] = '0';

    if (Spec->Conversion == 'd' || Spec->Conversion == 'i') {
        if (Negative)
            Prefix[PrefixCount++] = '-';
        else if (Spec->ForceSign)
            Prefix[PrefixCount++] = '+';
        else if (Spec->SpaceSign)
            Prefix[PrefixCount++] = ' ';
    } else if (Spec->Alternate && Base == 16 && Spec->Conversion != 'p' && Count > 0 &&
               !(Count == 1 && Text[0] == '0')) {
        Prefix[PrefixCount++] = '0';
        Prefix[PrefixCount++] = (CHAR)Spec->Conversion;
    } else if (Spec->Alternate && Base == 8 && (Count == 0 || Text[Count - 1] != '0') && Precision <= Count) {
        Text[Count++] = '0';
    }

    /* A precision turns zero padding off, as in C. */
    if (Precision >= 0 || Spec->LeftAlign)
        ZeroPad = FALSE;
    Zeros = Precision > Count ? Precision - Count : 0;
    Total = PrefixCount + Zeros + Count;
    Padding = Spec->Width > Total ? Spec->Width - Total : 0;
    if (ZeroPad) {
        Zeros += Padding;
        Padding = 0;
    }

    if (!Spec->LeftAlign)
        RtlpPutRepeated(Out, ' ', Padding);
    for (LONG i = 0; i < PrefixCount; i++)
        RtlpPutUnit(Out, (UCHAR)Prefix[i]);
    RtlpPutRepeated(Out, '0', Zeros);
    while (Count > 0)
        RtlpPutUnit(Out, (UCHAR)Text[--Count]);
    if (Spec->LeftAlign)
        RtlpPutRepeated(Out, ' ', Padding);
}

static VOID RtlpFormatFloat(PRTLP_FORMAT_OUTPUT Out, const RTLP_FORMAT_SPEC *Spec, va_list *Args)
{
    /* Long double is double on Windows, so every size reads a double. The
       host's printf does the digits; one conversion is capped at 511
       characters. */
    double Value = va_arg(*Args, double);
    CHAR Format[32];
    CHAR Text[512];
    SIZE_T Used = 0;
    int Written;

    Format[Used++] = '%';
    if (Spec->LeftAlign)
        Format[Used++] = '-';
    if (Spec->ForceSign)
        Format[Used++] = '+';
    if (Spec->SpaceSign)
        Format[Used++] = ' ';
    if (Spec->Alternate)
        Format[Used++] = '#';
    if (Spec->ZeroPad)
        Format[Used++] = '0';
    Format[Used++] = '*';
    Format[Used++] = '.';
    Format[Used++] = '*';
    Format[Used++] = (CHAR)Spec->Conversion;
    Format[Used] = '\0';

    Written = snprintf(Text, sizeof(Text), Format, Spec->Width < 0 ? 0 : (int)Spec->Width,
                       Spec->Precision < 0 ? 6 : (int)Spec->Precision, Value);
    if (Written < 0)
        return;
    RtlpPutNarrowText(Out, Text, strlen(Text));
}

/* Reads a width or precision: digits, or '*' from the arguments. */
static LONG RtlpReadField(const VOID *Format, BOOLEAN Wide, SIZE_T *Index, va_list *Args, BOOLEAN *FromArgument)
{
    LONG Value = 0;
    ULONG C = Wide ? (ULONG)((const WCHAR *)Format)[*Index] : (UCHAR)((const CHAR *)Format)[*Index];

    *FromArgument = FALSE;
    if (C == '*') {
        (*Index)++;
        *FromArgument = TRUE;
        return va_arg(*Args, int);
    }
    while (C >= '0' && C <= '9') {
        if (Value < RTLP_MAX_FIELD)
            Value = Value * 10 + (LONG)(C - '0');
        (*Index)++;
        C = Wide ? (ULONG)((const WCHAR *)Format)[*Index] : (UCHAR)((const CHAR *)Format)[*Index];
    }
    return Value;
}

VOID RtlpFormat(PRTLP_FORMAT_OUTPUT Output, const VOID *Format, va_list Arguments)
{
    const BOOLEAN Wide = Output->Wide;
    va_list Args;
    SIZE_T i = 0;

#define RTLP_AT(Position)                                                                                              \
    (Wide ? (ULONG)((const WCHAR *)Format)[(Position)] : (ULONG)(UCHAR)((const CHAR *)Format)[(Position)])

    va_copy(Args, Arguments);
    for (;;) {
        RTLP_FORMAT_SPEC Spec;
        BOOLEAN FromArgument;
        ULONG C = RTLP_AT(i);

        if (C == 0)
            break;
        i++;
        if (C != '%') {
            RtlpPutUnit(Output, C);
            continue;
        }

        memset(&Spec, 0, sizeof(Spec));
        Spec.Width = -1;
        Spec.Precision = -1;
        for (;; i++) {
            C = RTLP_AT(i);
            if (C == '-')
                Spec.LeftAlign = TRUE;
            else if (C == '+')
                Spec.ForceSign = TRUE;
            else if (C == ' ')
                Spec.SpaceSign = TRUE;
            else if (C == '#')
                Spec.Alternate = TRUE;
            else if (C == '0')
                Spec.ZeroPad = TRUE;
            else
                break;
        }

        Spec.Width = RtlpReadField(Format, Wide, &i, &Args, &FromArgument);
        if (FromArgument && Spec.Width < 0) {
            Spec.LeftAlign = TRUE;
            Spec.Width = Spec.Width == MINLONG ? RTLP_MAX_FIELD : -Spec.Width;
        }
        if (Spec.Width > RTLP_MAX_FIELD)
            Spec.Width = RTLP_MAX_FIELD;
        if (RTLP_AT(i) == '.') {
            i++;
            Spec.Precision = RtlpReadField(Format, Wide, &i, &Args, &FromArgument);
            if (Spec.Precision < 0)
                Spec.Precision = -1; /* a negative '*' precision means none */
            if (Spec.Precision > RTLP_MAX_FIELD)
                Spec.Precision = RTLP_MAX_FIELD;
        }

        C = RTLP_AT(i);
        switch (C) {
        case 'h':
            i++;
            Spec.Size = RtlpSizeShort;
            if (RTLP_AT(i) == 'h') {
                i++;
                Spec.Size = RtlpSizeChar;
            }
            break;
        case 'l':
            i++;
            Spec.Size = RtlpSizeLong;
            if (RTLP_AT(i) == 'l') {
                i++;
                Spec.Size = RtlpSizeLongLong;
            }
            break;
        case 'L':
        case 'q':
        case 'j':
            i++;
            Spec.Size = RtlpSizeLongLong;
            break;
        case 'w':
            i++;
            Spec.Size = RtlpSizeWide;
            break;
        case 'z':
        case 't':
            i++;
            Spec.Size = RtlpSizePointer;
            break;
        case 'I':
            i++;
            if (RTLP_AT(i) == '6' && RTLP_AT(i + 1) == '4') {
                i += 2;
                Spec.Size = RtlpSizeLongLong;
            } else if (RTLP_AT(i) == '3' && RTLP_AT(i + 1) == '2') {
                i += 2;
                Spec.Size = RtlpSizeInt32;
            } else {
                Spec.Size = RtlpSizePointer;
            }
            break;
        default:
            break;
        }

        Spec.Conversion = RTLP_AT(i);
        if (Spec.Conversion == 0)
            break; /* a lone '%' at the end prints nothing */
        i++;

        switch (Spec.Conversion) {
        case 'd':
        case 'i': {
            LONGLONG Value = RtlpReadSigned(Spec.Size, &Args);
            BOOLEAN Negative = (BOOLEAN)(Value < 0);
            ULONGLONG Magnitude = Negative ? 0ULL - (ULONGLONG)Value : (ULONGLONG)Value;
            RtlpFormatInteger(Output, &Spec, Magnitude, Negative);
            break;
        }
        case 'u':
        case 'o':
        case 'x':
        case 'X':
            RtlpFormatInteger(Output, &Spec, RtlpReadUnsigned(Spec.Size, &Args), FALSE);
            break;
        case 'p':
            RtlpFormatInteger(Output, &Spec, (ULONGLONG)(ULONG_PTR)va_arg(Args, PVOID), FALSE);
            break;
        case 'c':
        case 'C':
            RtlpFormatCharacter(Output, &Spec, &Args);
            break;
        case 's':
        case 'S':
            RtlpFormatString(Output, &Spec, &Args);
            break;
        case 'Z':
            RtlpFormatCountedString(Output, &Spec, &Args);
            break;
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
        case 'a':
        case 'A':
            RtlpFormatFloat(Output, &Spec, &Args);
            break;
        case 'n':
            /* Never writes through the pointer (the kernel CRT refuses %n). */
            (void)va_arg(Args, PVOID);
            break;
        default:
            /* "%%" and unknown conversions print the character itself. */
            RtlpPutUnit(Output, Spec.Conversion);
            break;
        }
    }
    va_end(Args);
#undef RTLP_AT
}
