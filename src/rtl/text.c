/*
 * irpsim — bounded text buffers for reports.
 */
#include "text.h"

#include <stdio.h>

SIZE_T RtlpAppendAtV(PCHAR Buffer, SIZE_T Size, SIZE_T Used, PCSTR Format, va_list Arguments)
{
    int Written;
    if (Buffer == NULL || Size == 0 || Used >= Size - 1)
        return Used;
    Written = vsnprintf(Buffer + Used, Size - Used, Format, Arguments);
    if (Written < 0)
        return Used;
    Used += (SIZE_T)Written;
    return Used < Size ? Used : Size - 1;
}

SIZE_T RtlpAppendAt(PCHAR Buffer, SIZE_T Size, SIZE_T Used, PCSTR Format, ...)
{
    va_list Arguments;
    va_start(Arguments, Format);
    Used = RtlpAppendAtV(Buffer, Size, Used, Format, Arguments);
    va_end(Arguments);
    return Used;
}

VOID RtlpTextAppend(RTLP_TEXT *Text, PCSTR Format, ...)
{
    va_list Arguments;
    va_start(Arguments, Format);
    Text->Used = RtlpAppendAtV(Text->Buffer, Text->Size, Text->Used, Format, Arguments);
    va_end(Arguments);
}

VOID RtlpFormatPoolTag(ULONG Tag, CHAR Text[5])
{
    for (ULONG i = 0; i < 4; i++) {
        UCHAR c = (UCHAR)(Tag >> (8 * i));
        Text[i] = (c >= 0x20 && c < 0x7F) ? (CHAR)c : '.';
    }
    Text[4] = '\0';
}
