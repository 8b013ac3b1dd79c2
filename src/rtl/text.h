/*
 * irpsim — bounded text buffers for reports (bug checks, verifier reports,
 * !irp dumps, exploration schedules): append formatted text, cut at the end
 * of the buffer, always NUL-terminated.
 */
#ifndef IRPSIM_RTL_TEXT_H
#define IRPSIM_RTL_TEXT_H

#include <wdm.h>
#include <stdarg.h>

typedef struct _RTLP_TEXT {
    PCHAR Buffer;
    SIZE_T Size;
    SIZE_T Used;
} RTLP_TEXT;

/* Appends to Text; what does not fit is dropped. */
VOID RtlpTextAppend(RTLP_TEXT *Text, PCSTR Format, ...) IRPSIM_FORMAT_PRINTF(2, 3);
/* The same for a plain buffer: appends at Used, returns the new Used. */
SIZE_T RtlpAppendAt(PCHAR Buffer, SIZE_T Size, SIZE_T Used, PCSTR Format, ...) IRPSIM_FORMAT_PRINTF(4, 5);
SIZE_T RtlpAppendAtV(PCHAR Buffer, SIZE_T Size, SIZE_T Used, PCSTR Format, va_list Arguments);
/* A pool tag as four printable characters ('.' for the others). */
VOID RtlpFormatPoolTag(ULONG Tag, CHAR Text[5]);

#endif /* IRPSIM_RTL_TEXT_H */
