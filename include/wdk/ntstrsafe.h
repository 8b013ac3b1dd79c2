/*
 * irpsim — ntstrsafe.h: the kernel's bounded string routines.
 *
 * Every routine takes the destination's size and never writes past it. On
 * truncation the destination holds as much as fits, NUL-terminated (the
 * UNICODE_STRING forms are counted, never terminated), and the routine
 * returns STATUS_BUFFER_OVERFLOW. A zero or oversized destination size is
 * STATUS_INVALID_PARAMETER.
 *
 * Character width. The W forms take WCHAR, which is the host's wchar_t: 4
 * bytes on Linux, 2 on Windows. "Cch" counts are characters either way;
 * "Cb" counts are bytes, so a Cb size must be sizeof(WCHAR) times the
 * character count (pass sizeof(buffer), as WDK code does, and it is right
 * on both hosts). NTSTRSAFE_UNICODE_STRING_MAX_CCH is the most characters a
 * UNICODE_STRING can count in its 16-bit byte length, so it is 16383 on
 * Linux (32767 on Windows).
 *
 * The printf forms use the kernel CRT's dialect (see DbgPrint): in the W
 * forms %s, %ls and %ws are wide strings and %S / %hs narrow ones; %wZ is a
 * UNICODE_STRING, %Z an ANSI_STRING; l is 32 bits, I64 and ll 64 bits.
 * Narrow (CHAR) strings are UTF-8 when a W form converts them.
 *
 * Unlike the WDK's header, the routines are functions in libirpsim rather
 * than inline code, and unsafe C string functions are not deprecated here.
 */
#ifndef IRPSIM_NTSTRSAFE_H
#define IRPSIM_NTSTRSAFE_H

#include <irpsim/wdk/basetypes.h>
#include <irpsim/wdk/sal.h>
#include <ntstatus.h>
#include <stdarg.h>

IRPSIM_EXTERN_C_BEGIN

#define NTSTRSAFEDDI NTSTATUS NTAPI

/* Used below; not (yet) in <irpsim/wdk/sal.h>. */
#ifndef _In_reads_or_z_
#define _In_reads_or_z_(size)
#endif

typedef CHAR *NTSTRSAFE_PSTR;
typedef const CHAR *NTSTRSAFE_PCSTR;
typedef WCHAR *NTSTRSAFE_PWSTR;
typedef const WCHAR *NTSTRSAFE_PCWSTR;
typedef const WCHAR UNALIGNED *NTSTRSAFE_PCUWSTR;
typedef CHAR *STRSAFE_LPSTR;
typedef const CHAR *STRSAFE_LPCSTR;
typedef WCHAR *STRSAFE_LPWSTR;
typedef const WCHAR *STRSAFE_LPCWSTR;

/* Largest destination, in characters, that any routine accepts. */
#define NTSTRSAFE_MAX_CCH    2147483647
#define NTSTRSAFE_MAX_LENGTH (NTSTRSAFE_MAX_CCH - 1)
/* Largest UNICODE_STRING, in characters (its byte length is a USHORT). */
#define NTSTRSAFE_UNICODE_STRING_MAX_CCH (0xffff / sizeof(WCHAR))

/* Flags of the Ex forms; the low byte is the fill byte. */
#define STRSAFE_IGNORE_NULLS              0x00000100
#define STRSAFE_FILL_BEHIND_NULL          0x00000200
#define STRSAFE_FILL_ON_FAILURE           0x00000400
#define STRSAFE_NULL_ON_FAILURE           0x00000800
#define STRSAFE_NO_TRUNCATION             0x00001000
#define STRSAFE_FILL_BYTE(x)              ((ULONG)(((x)&0x000000FF) | STRSAFE_FILL_BEHIND_NULL))
#define STRSAFE_FAILURE_BYTE(x)           ((ULONG)(((x)&0x000000FF) | STRSAFE_FILL_ON_FAILURE))
#define STRSAFE_GET_FILL_PATTERN(dwFlags) ((int)((dwFlags)&0x000000FF))

/* ---- copy ---- */
NTSTRSAFEDDI RtlStringCchCopyW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                               _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlStringCchCopyA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                               _In_ NTSTRSAFE_PCSTR pszSrc);
NTSTRSAFEDDI RtlStringCbCopyW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                              _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlStringCbCopyA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                              _In_ NTSTRSAFE_PCSTR pszSrc);
NTSTRSAFEDDI RtlStringCchCopyExW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                 _In_ NTSTRSAFE_PCWSTR pszSrc, _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd,
                                 _Out_opt_ size_t *pcchRemaining, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCchCopyExA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                 _In_ NTSTRSAFE_PCSTR pszSrc, _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd,
                                 _Out_opt_ size_t *pcchRemaining, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCbCopyExW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                                _In_ NTSTRSAFE_PCWSTR pszSrc, _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd,
                                _Out_opt_ size_t *pcbRemaining, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCbCopyExA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                                _In_ NTSTRSAFE_PCSTR pszSrc, _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd,
                                _Out_opt_ size_t *pcbRemaining, _In_ ULONG dwFlags);

NTSTRSAFEDDI RtlStringCchCopyNW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                _In_reads_or_z_(cchToCopy) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cchToCopy);
NTSTRSAFEDDI RtlStringCchCopyNA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                _In_reads_or_z_(cchToCopy) NTSTRSAFE_PCSTR pszSrc, _In_ size_t cchToCopy);
NTSTRSAFEDDI RtlStringCbCopyNW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                               _In_reads_bytes_(cbToCopy) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cbToCopy);
NTSTRSAFEDDI RtlStringCbCopyNA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                               _In_reads_bytes_(cbToCopy) NTSTRSAFE_PCSTR pszSrc, _In_ size_t cbToCopy);

/* ---- concatenate ---- */
NTSTRSAFEDDI RtlStringCchCatW(_Inout_updates_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                              _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlStringCchCatA(_Inout_updates_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                              _In_ NTSTRSAFE_PCSTR pszSrc);
NTSTRSAFEDDI RtlStringCbCatW(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                             _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlStringCbCatA(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                             _In_ NTSTRSAFE_PCSTR pszSrc);
NTSTRSAFEDDI RtlStringCchCatExW(_Inout_updates_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                _In_ NTSTRSAFE_PCWSTR pszSrc, _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd,
                                _Out_opt_ size_t *pcchRemaining, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCchCatExA(_Inout_updates_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                _In_ NTSTRSAFE_PCSTR pszSrc, _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd,
                                _Out_opt_ size_t *pcchRemaining, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCbCatExW(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                               _In_ NTSTRSAFE_PCWSTR pszSrc, _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd,
                               _Out_opt_ size_t *pcbRemaining, _In_ ULONG dwFlags);
NTSTRSAFEDDI RtlStringCbCatExA(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                               _In_ NTSTRSAFE_PCSTR pszSrc, _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd,
                               _Out_opt_ size_t *pcbRemaining, _In_ ULONG dwFlags);

NTSTRSAFEDDI RtlStringCchCatNW(_Inout_updates_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                               _In_reads_or_z_(cchToAppend) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cchToAppend);
NTSTRSAFEDDI RtlStringCchCatNA(_Inout_updates_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                               _In_reads_or_z_(cchToAppend) NTSTRSAFE_PCSTR pszSrc, _In_ size_t cchToAppend);
NTSTRSAFEDDI RtlStringCbCatNW(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                              _In_reads_bytes_(cbToAppend) NTSTRSAFE_PCWSTR pszSrc, _In_ size_t cbToAppend);
NTSTRSAFEDDI RtlStringCbCatNA(_Inout_updates_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                              _In_reads_bytes_(cbToAppend) NTSTRSAFE_PCSTR pszSrc, _In_ size_t cbToAppend);

/* ---- formatted output ---- */
NTSTRSAFEDDI RtlStringCchPrintfW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                 _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...);
NTSTRSAFEDDI RtlStringCchPrintfA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                 _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, ...);
NTSTRSAFEDDI RtlStringCbPrintfW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                                _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...);
NTSTRSAFEDDI RtlStringCbPrintfA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                                _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, ...);
NTSTRSAFEDDI RtlStringCchVPrintfW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                  _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, _In_ va_list argList);
NTSTRSAFEDDI RtlStringCchVPrintfA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                  _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, _In_ va_list argList);
NTSTRSAFEDDI RtlStringCbVPrintfW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                                 _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, _In_ va_list argList);
NTSTRSAFEDDI RtlStringCbVPrintfA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                                 _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, _In_ va_list argList);
NTSTRSAFEDDI RtlStringCchPrintfExW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                   _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd, _Out_opt_ size_t *pcchRemaining,
                                   _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...);
NTSTRSAFEDDI RtlStringCchPrintfExA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                   _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd, _Out_opt_ size_t *pcchRemaining,
                                   _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, ...);
NTSTRSAFEDDI RtlStringCbPrintfExW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                                  _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd, _Out_opt_ size_t *pcbRemaining,
                                  _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...);
NTSTRSAFEDDI RtlStringCbPrintfExA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                                  _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd, _Out_opt_ size_t *pcbRemaining,
                                  _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat, ...);
NTSTRSAFEDDI RtlStringCchVPrintfExW(_Out_writes_(cchDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cchDest,
                                    _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd, _Out_opt_ size_t *pcchRemaining,
                                    _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat,
                                    _In_ va_list argList);
NTSTRSAFEDDI RtlStringCchVPrintfExA(_Out_writes_(cchDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cchDest,
                                    _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd, _Out_opt_ size_t *pcchRemaining,
                                    _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat,
                                    _In_ va_list argList);
NTSTRSAFEDDI RtlStringCbVPrintfExW(_Out_writes_bytes_(cbDest) NTSTRSAFE_PWSTR pszDest, _In_ size_t cbDest,
                                   _Outptr_opt_ NTSTRSAFE_PWSTR *ppszDestEnd, _Out_opt_ size_t *pcbRemaining,
                                   _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat,
                                   _In_ va_list argList);
NTSTRSAFEDDI RtlStringCbVPrintfExA(_Out_writes_bytes_(cbDest) NTSTRSAFE_PSTR pszDest, _In_ size_t cbDest,
                                   _Outptr_opt_ NTSTRSAFE_PSTR *ppszDestEnd, _Out_opt_ size_t *pcbRemaining,
                                   _In_ ULONG dwFlags, _In_ _Printf_format_string_ NTSTRSAFE_PCSTR pszFormat,
                                   _In_ va_list argList);

/* ---- length ---- */
NTSTRSAFEDDI RtlStringCchLengthW(_In_reads_or_z_(cchMax) NTSTRSAFE_PCWSTR psz, _In_ size_t cchMax,
                                 _Out_opt_ size_t *pcchLength);
NTSTRSAFEDDI RtlStringCchLengthA(_In_reads_or_z_(cchMax) NTSTRSAFE_PCSTR psz, _In_ size_t cchMax,
                                 _Out_opt_ size_t *pcchLength);
NTSTRSAFEDDI RtlStringCbLengthW(_In_reads_or_z_(cbMax / sizeof(WCHAR)) NTSTRSAFE_PCWSTR psz, _In_ size_t cbMax,
                                _Out_opt_ size_t *pcbLength);
NTSTRSAFEDDI RtlStringCbLengthA(_In_reads_or_z_(cbMax) NTSTRSAFE_PCSTR psz, _In_ size_t cbMax,
                                _Out_opt_ size_t *pcbLength);

/* ---- UNICODE_STRING ---- */
NTSTRSAFEDDI RtlUnicodeStringInit(_Out_ PUNICODE_STRING DestinationString, _In_opt_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlUnicodeStringValidate(_In_opt_ PCUNICODE_STRING SourceString);
NTSTRSAFEDDI RtlUnicodeStringCopy(_Inout_ PUNICODE_STRING DestinationString, _In_ PCUNICODE_STRING SourceString);
NTSTRSAFEDDI RtlUnicodeStringCopyString(_Inout_ PUNICODE_STRING DestinationString, _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlUnicodeStringCat(_Inout_ PUNICODE_STRING DestinationString, _In_ PCUNICODE_STRING SourceString);
NTSTRSAFEDDI RtlUnicodeStringCatString(_Inout_ PUNICODE_STRING DestinationString, _In_ NTSTRSAFE_PCWSTR pszSrc);
NTSTRSAFEDDI RtlUnicodeStringPrintf(_Inout_ PUNICODE_STRING DestinationString,
                                    _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, ...);
NTSTRSAFEDDI RtlUnicodeStringVPrintf(_Inout_ PUNICODE_STRING DestinationString,
                                     _In_ _Printf_format_string_ NTSTRSAFE_PCWSTR pszFormat, _In_ va_list argList);

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_NTSTRSAFE_H */
