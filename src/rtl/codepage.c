/*
 * irpsim — the ANSI code page and the conversions between counted ANSI and
 * Unicode strings.
 *
 * irpsim's ANSI code page is UTF-8 (Windows supports it as the system code
 * page too): it is what the host, the compiler and source files use, so a
 * narrow literal converts to the wide string its author meant. Bytes that
 * are not valid UTF-8 become U+FFFD; code points UTF-8 cannot carry (lone
 * surrogates) become '?', as the default character of a Windows code page.
 */
#include "rtlp.h"

SIZE_T RtlpDecodeUtf8(const UCHAR *Text, SIZE_T Length, PULONG CodePoint)
{
    ULONG Lead = Text[0];
    ULONG Value;
    ULONG Minimum;
    SIZE_T Count;

    if (Lead < 0x80) {
        *CodePoint = Lead;
        return 1;
    }
    if (Lead >= 0xC2 && Lead <= 0xDF) {
        Count = 2;
        Value = Lead & 0x1F;
        Minimum = 0x80;
    } else if (Lead >= 0xE0 && Lead <= 0xEF) {
        Count = 3;
        Value = Lead & 0x0F;
        Minimum = 0x800;
    } else if (Lead >= 0xF0 && Lead <= 0xF4) {
        Count = 4;
        Value = Lead & 0x07;
        Minimum = 0x10000;
    } else {
        *CodePoint = RTLP_REPLACEMENT_CHARACTER;
        return 1;
    }
    if (Count > Length) {
        *CodePoint = RTLP_REPLACEMENT_CHARACTER;
        return 1;
    }
    for (SIZE_T i = 1; i < Count; i++) {
        if ((Text[i] & 0xC0) != 0x80) {
            *CodePoint = RTLP_REPLACEMENT_CHARACTER;
            return 1;
        }
        Value = (Value << 6) | (Text[i] & 0x3F);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
    if (Value < Minimum || (Value >= 0xD800 && Value <= 0xDFFF) || Value > 0x10FFFF) {
        *CodePoint = RTLP_REPLACEMENT_CHARACTER;
        return 1;
    }
    *CodePoint = Value;
    return Count;
}

SIZE_T RtlpEncodeUtf8(ULONG CodePoint, PUCHAR Out)
{
    if (CodePoint < 0x80) {
        Out[0] = (UCHAR)CodePoint;
        return 1;
    }
    if (CodePoint < 0x800) {
        Out[0] = (UCHAR)(0xC0 | (CodePoint >> 6));
        Out[1] = (UCHAR)(0x80 | (CodePoint & 0x3F));
        return 2;
    }
    if ((CodePoint >= 0xD800 && CodePoint <= 0xDFFF) || CodePoint > 0x10FFFF) {
        Out[0] = RTLP_DEFAULT_CHAR;
        return 1;
    }
    if (CodePoint < 0x10000) {
        Out[0] = (UCHAR)(0xE0 | (CodePoint >> 12));
        Out[1] = (UCHAR)(0x80 | ((CodePoint >> 6) & 0x3F));
        Out[2] = (UCHAR)(0x80 | (CodePoint & 0x3F));
        return 3;
    }
    Out[0] = (UCHAR)(0xF0 | (CodePoint >> 18));
    Out[1] = (UCHAR)(0x80 | ((CodePoint >> 12) & 0x3F));
    Out[2] = (UCHAR)(0x80 | ((CodePoint >> 6) & 0x3F));
    Out[3] = (UCHAR)(0x80 | (CodePoint & 0x3F));
    return 4;
}

SIZE_T RtlpDecodeWide(const WCHAR *Text, SIZE_T Count, PULONG CodePoint)
{
    ULONG First = (ULONG)Text[0];

    /* sizeof is a constant: one branch disappears on each host. */
    if (sizeof(WCHAR) == 2 && First >= 0xD800 && First <= 0xDBFF && Count >= 2) {
        ULONG Second = (ULONG)Text[1];
        if (Second >= 0xDC00 && Second <= 0xDFFF) {
            *CodePoint = 0x10000 + ((First - 0xD800) << 10) + (Second - 0xDC00);
            return 2;
        }
    }
    *CodePoint = First;
    return 1;
}

SIZE_T RtlpEncodeWide(ULONG CodePoint, PWCHAR Out)
{
    if (sizeof(WCHAR) == 2 && CodePoint >= 0x10000 && CodePoint <= 0x10FFFF) {
        CodePoint -= 0x10000;
        Out[0] = (WCHAR)(0xD800 + (CodePoint >> 10));
        Out[1] = (WCHAR)(0xDC00 + (CodePoint & 0x3FF));
        return 2;
    }
    Out[0] = (WCHAR)CodePoint;
    return 1;
}

/* Bytes the UTF-8 form of Count WCHARs takes. */
static SIZE_T RtlpUtf8SizeOfWide(const WCHAR *Text, SIZE_T Count)
{
    SIZE_T Bytes = 0;
    UCHAR Scratch[4];
    for (SIZE_T i = 0; i < Count;) {
        ULONG CodePoint;
        i += RtlpDecodeWide(Text + i, Count - i, &CodePoint);
        Bytes += RtlpEncodeUtf8(CodePoint, Scratch);
    }
    return Bytes;
}

/* WCHARs the wide form of Length UTF-8 bytes takes. */
static SIZE_T RtlpWideSizeOfUtf8(const UCHAR *Text, SIZE_T Length)
{
    SIZE_T Count = 0;
    WCHAR Scratch[2];
    for (SIZE_T i = 0; i < Length;) {
        ULONG CodePoint;
        i += RtlpDecodeUtf8(Text + i, Length - i, &CodePoint);
        Count += RtlpEncodeWide(CodePoint, Scratch);
    }
    return Count;
}

ULONG NTAPI RtlxUnicodeStringToAnsiSize(PCUNICODE_STRING UnicodeString)
{
    /* Includes the terminator, as Windows' does. */
    return (ULONG)(RtlpUtf8SizeOfWide(UnicodeString->Buffer, UnicodeString->Length / sizeof(WCHAR)) + 1);
}

ULONG NTAPI RtlxAnsiStringToUnicodeSize(PCANSI_STRING AnsiString)
{
    return (ULONG)((RtlpWideSizeOfUtf8((const UCHAR *)AnsiString->Buffer, AnsiString->Length) + 1) * sizeof(WCHAR));
}

NTSTATUS NTAPI RtlUnicodeStringToAnsiString(PANSI_STRING DestinationString, PCUNICODE_STRING SourceString,
                                            BOOLEAN AllocateDestinationString)
{
    SIZE_T SourceCount = SourceString->Length / sizeof(WCHAR);
    SIZE_T Needed = RtlpUtf8SizeOfWide(SourceString->Buffer, SourceCount);
    SIZE_T Room;
    SIZE_T Used = 0;
    NTSTATUS Status = STATUS_SUCCESS;
    PUCHAR Target;

    if (Needed + 1 > MAXUSHORT)
        return STATUS_INVALID_PARAMETER_2;

    if (AllocateDestinationString) {
        Target = (PUCHAR)RtlpAllocateStringMemory(Needed + 1, RTLP_ANSI_STRING_TAG);
        if (Target == NULL)
            return STATUS_NO_MEMORY;
        DestinationString->Buffer = (PCHAR)Target;
        DestinationString->MaximumLength = (USHORT)(Needed + 1);
        Room = Needed;
    } else {
        /* Observed on Windows: with no room at all nothing is written; with
           too little room the string is converted as far as it fits, still
           terminated, and STATUS_BUFFER_OVERFLOW is returned. */
        if (DestinationString->MaximumLength == 0)
            return STATUS_BUFFER_OVERFLOW;
        Target = (PUCHAR)DestinationString->Buffer;
        Room = DestinationString->MaximumLength - 1U;
        if (Needed > Room)
            Status = STATUS_BUFFER_OVERFLOW;
    }

    for (SIZE_T i = 0; i < SourceCount;) {
        UCHAR Bytes[4];
        ULONG CodePoint;
        SIZE_T Width = RtlpDecodeWide(SourceString->Buffer + i, SourceCount - i, &CodePoint);
        SIZE_T Size = RtlpEncodeUtf8(CodePoint, Bytes);
        if (Used + Size > Room)
            break; /* never split a character */
        memcpy(Target + Used, Bytes, Size);
        Used += Size;
        i += Width;
    }
    Target[Used] = '\0';
    DestinationString->Length = (USHORT)Used;
    return Status;
}

NTSTATUS NTAPI RtlAnsiStringToUnicodeString(PUNICODE_STRING DestinationString, PCANSI_STRING SourceString,
                                            BOOLEAN AllocateDestinationString)
{
    const UCHAR *Source = (const UCHAR *)SourceString->Buffer;
    SIZE_T Count = RtlpWideSizeOfUtf8(Source, SourceString->Length);
    SIZE_T Bytes = (Count + 1) * sizeof(WCHAR); /* with the terminator */
    PWCHAR Target;
    SIZE_T Written = 0;

    if (Bytes > UNICODE_STRING_MAX_BYTES)
        return STATUS_INVALID_PARAMETER_2;

    if (AllocateDestinationString) {
        Target = (PWCHAR)RtlpAllocateStringMemory(Bytes, RTLP_UNICODE_STRING_TAG);
        if (Target == NULL)
            return STATUS_NO_MEMORY;
        DestinationString->Buffer = Target;
        DestinationString->MaximumLength = (USHORT)Bytes;
    } else {
        /* The destination must hold the string and its terminator;
           otherwise nothing is converted. */
        if (Bytes > DestinationString->MaximumLength)
            return STATUS_BUFFER_OVERFLOW;
        Target = DestinationString->Buffer;
    }

    for (SIZE_T i = 0; i < SourceString->Length;) {
        ULONG CodePoint;
        i += RtlpDecodeUtf8(Source + i, SourceString->Length - i, &CodePoint);
        Written += RtlpEncodeWide(CodePoint, Target + Written);
    }
    Target[Written] = UNICODE_NULL;
    DestinationString->Length = (USHORT)(Written * sizeof(WCHAR));
    return STATUS_SUCCESS;
}
