/*
 * irpsim — text the trace writes into other languages: JSON strings,
 * Mermaid message text, wide names narrowed to ASCII, and object names.
 */
#include "traceint.h"

#include <stdio.h>
#include <string.h>

VOID TraceJsonString(FILE *Stream, PCSTR Text)
{
    fputc('"', Stream);
    for (const unsigned char *p = (const unsigned char *)Text; *p != 0; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", Stream);
            break;
        case '\\':
            fputs("\\\\", Stream);
            break;
        case '\n':
            fputs("\\n", Stream);
            break;
        case '\t':
            fputs("\\t", Stream);
            break;
        default:
            /* Control characters and bytes that may not be UTF-8 (debug
               prints can hold anything): escaped, so the file is always
               valid JSON. */
            if (*p < 0x20 || *p >= 0x7F)
                fprintf(Stream, "\\u%04x", (unsigned)*p);
            else
                fputc(*p, Stream);
        }
    }
    fputc('"', Stream);
}

VOID TraceMermaidText(PCSTR Text, PCHAR Buffer, SIZE_T Size)
{
    /* In a sequence diagram '#' starts a comment and ';' ends the statement;
       "#35;" is Mermaid's entity for '#', so IRP#1 still reads IRP#1. */
    SIZE_T Used = 0;
    if (Size == 0)
        return;
    for (const unsigned char *p = (const unsigned char *)Text; *p != 0; p++) {
        const char *Piece;
        char Single[2];
        SIZE_T Length;
        if (*p == '#') {
            Piece = "#35;";
        } else {
            Single[0] = (char)(*p == ';' ? ',' : (*p < 0x20 || *p >= 0x7F) ? ' ' : *p);
            Single[1] = 0;
            Piece = Single;
        }
        Length = strlen(Piece);
        if (Used + Length >= Size)
            break;
        memcpy(Buffer + Used, Piece, Length);
        Used += Length;
    }
    Buffer[Used] = 0;
}

VOID TraceNarrow(const WCHAR *Text, SIZE_T Length, PCHAR Buffer, SIZE_T Size)
{
    SIZE_T Used = 0;
    if (Size == 0)
        return;
    for (SIZE_T i = 0; Text != NULL && i < Length && Text[i] != 0 && Used + 1 < Size; i++)
        Buffer[Used++] = (Text[i] >= 0x20 && Text[i] < 0x7F) ? (CHAR)Text[i] : '?';
    Buffer[Used] = 0;
}

VOID TraceCopyText(PCHAR Buffer, SIZE_T Size, PCSTR Text)
{
    SIZE_T Length;
    if (Size == 0)
        return;
    Length = strlen(Text);
    if (Length >= Size)
        Length = Size - 1;
    memcpy(Buffer, Text, Length);
    Buffer[Length] = 0;
}

VOID TraceFormatObjectName(PCHAR Buffer, SIZE_T Size, PCSTR Prefix, ULONG Number)
{
    CHAR Digits[10];
    ULONG Count = 0;
    SIZE_T Used = 0;
    if (Size == 0)
        return;
    while (*Prefix != 0 && Used < Size - 1)
        Buffer[Used++] = *Prefix++;
    if (Used < Size - 1)
        Buffer[Used++] = '#';
    do {
        Digits[Count++] = (CHAR)('0' + Number % 10);
        Number /= 10;
    } while (Number != 0);
    while (Count > 0 && Used < Size - 1)
        Buffer[Used++] = Digits[--Count];
    Buffer[Used] = 0;
}
