/*
 * irpsim — run-time library internals (Rtlp*).
 *
 * Character model. WCHAR is the host's wchar_t: 4 bytes (UTF-32) on Linux,
 * 2 bytes (UTF-16) on Windows. Every byte length in a UNICODE_STRING is a
 * multiple of sizeof(WCHAR), never of a hard-coded 2. The "ANSI code page"
 * irpsim uses for CHAR strings is UTF-8, the host's native encoding, so a
 * driver's "é" literal in a UTF-8 source file converts to L"é" and back.
 */
#ifndef IRPSIM_RTLP_H
#define IRPSIM_RTLP_H

#include <wdm.h>
#include <stdarg.h>

/* Pool tags of the buffers Rtl allocates for callers ('Ustr', 'Astr' as
   they read in a pool dump). RtlFree*String frees them. */
#define RTLP_UNICODE_STRING_TAG 0x72747355u
#define RTLP_ANSI_STRING_TAG    0x72747341u

/* Largest Length a UNICODE_STRING can have while leaving room for a
   terminator inside MaximumLength (both in bytes, both within USHORT). */
#define RTLP_MAX_UNICODE_LENGTH ((USHORT)(((UNICODE_STRING_MAX_BYTES - sizeof(WCHAR)) / sizeof(WCHAR)) * sizeof(WCHAR)))

/* Replacement for characters the ANSI code page cannot represent. */
#define RTLP_DEFAULT_CHAR          '?'
#define RTLP_REPLACEMENT_CHARACTER 0xFFFDu

/* ---- string memory (pool) ---- */
PVOID RtlpAllocateStringMemory(SIZE_T Bytes, ULONG Tag);
VOID RtlpFreeStringMemory(PVOID Buffer);

/* ---- casing (upcase.c) ---- */
ULONG RtlpUpcaseCodePoint(ULONG CodePoint);
CHAR RtlpUpperAnsiChar(CHAR Character);

/* ---- the ANSI code page: UTF-8 (codepage.c) ---- */
/* Decodes one code point from Text[0..Length). Returns the bytes used (at
   least 1); an invalid sequence yields U+FFFD and uses one byte. */
SIZE_T RtlpDecodeUtf8(const UCHAR *Text, SIZE_T Length, PULONG CodePoint);
/* Encodes CodePoint into Out (room for 4 bytes); returns the byte count.
   Surrogates and values above U+10FFFF encode as RTLP_DEFAULT_CHAR. */
SIZE_T RtlpEncodeUtf8(ULONG CodePoint, PUCHAR Out);
/* Reads one code point from a WCHAR string (joins a UTF-16 surrogate pair
   when WCHAR is 16 bits). Returns the WCHARs used (at least 1). */
SIZE_T RtlpDecodeWide(const WCHAR *Text, SIZE_T Count, PULONG CodePoint);
/* Writes CodePoint as WCHARs (a surrogate pair when WCHAR is 16 bits);
   returns the count written (Out has room for 2). */
SIZE_T RtlpEncodeWide(ULONG CodePoint, PWCHAR Out);

/* ---- formatting: the kernel CRT's printf dialect (format.c) ----
   One engine serves DbgPrint, the ntstrsafe printf family and
   RtlUnicodeStringPrintf. In narrow mode the format and the output are
   CHAR (wide arguments become UTF-8); in wide mode both are WCHAR (narrow
   arguments are decoded from UTF-8). */
typedef struct _RTLP_FORMAT_OUTPUT {
    BOOLEAN Wide;    /* WCHAR format and output (else CHAR) */
    PVOID Buffer;    /* may be NULL: only count */
    SIZE_T Capacity; /* units the buffer can take (no terminator is written) */
    SIZE_T Count;    /* units written */
    SIZE_T Needed;   /* units the whole output would take */
    BOOLEAN Truncated;
} RTLP_FORMAT_OUTPUT, *PRTLP_FORMAT_OUTPUT;

VOID RtlpFormat(_Inout_ PRTLP_FORMAT_OUTPUT Output, _In_ const VOID *Format, _In_ va_list Arguments);

/* ---- debug output (dbgprint.c) ---- */
/* Sends one piece of UTF-8 text where DbgPrint output goes: stderr (unless
   quiet), the IrpSimSetDebugOutput callback, and the trace. */
VOID RtlpDebugOutput(_In_z_ PCSTR Text, _In_ ULONG ComponentId, _In_ ULONG Level);
/* printf into a debug line and send it (no filtering). */
VOID RtlpDebugPrintf(_In_z_ PCSTR Format, ...);

#endif /* IRPSIM_RTLP_H */
