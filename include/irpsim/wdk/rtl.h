/*
 * irpsim — run-time library (Rtl) routines drivers use: memory, counted
 * strings, status conversion.
 *
 * Counted strings. UNICODE_STRING lengths are in bytes and WCHAR is the
 * host's wchar_t (4 bytes on Linux, 2 on Windows), so a UNICODE_STRING holds
 * at most UNICODE_STRING_MAX_CHARS characters: 16383 on Linux, 32767 on
 * Windows. Code that measures with sizeof(WCHAR) works on both.
 *
 * The ANSI code page is UTF-8: RtlAnsiStringToUnicodeString and
 * RtlUnicodeStringToAnsiString convert between UTF-8 and WCHAR.
 *
 * Routines that allocate (AllocateDestinationString = TRUE,
 * RtlDuplicateUnicodeString, RtlStringFromGUID) take the buffer from paged
 * pool with tag 'Ustr' (Unicode) or 'Astr' (ANSI); free it with
 * RtlFreeUnicodeString / RtlFreeAnsiString. A forgotten free shows in the
 * leak report under that tag.
 */
#ifndef IRPSIM_WDK_RTL_H
#define IRPSIM_WDK_RTL_H

#include <irpsim/wdk/basetypes.h>
#include <irpsim/wdk/sal.h>

IRPSIM_EXTERN_C_BEGIN

/* ---- memory ---- */
#define RtlCopyMemory(Destination, Source, Length) memcpy((Destination), (Source), (Length))
#define RtlMoveMemory(Destination, Source, Length) memmove((Destination), (Source), (Length))
#define RtlFillMemory(Destination, Length, Fill) memset((Destination), (Fill), (Length))
#define RtlZeroMemory(Destination, Length) memset((Destination), 0, (Length))
#define RtlSecureZeroMemory(Destination, Length) RtlpSecureZeroMemory((Destination), (Length))
#define RtlEqualMemory(Destination, Source, Length) (!memcmp((Destination), (Source), (Length)))
#define RtlCopyBytes RtlCopyMemory
#define RtlZeroBytes RtlZeroMemory
#define RtlFillBytes RtlFillMemory
NTSYSAPI PVOID NTAPI RtlpSecureZeroMemory(_Out_writes_bytes_all_(Length) PVOID Destination, _In_ SIZE_T Length);
NTSYSAPI SIZE_T NTAPI RtlCompareMemory(_In_ const VOID *Source1, _In_ const VOID *Source2, _In_ SIZE_T Length);
NTSYSAPI SIZE_T NTAPI RtlCompareMemoryUlong(_In_ PVOID Source, _In_ SIZE_T Length, _In_ ULONG Pattern);

/* ---- counted strings ---- */
#ifdef __cplusplus
/* C++ will not let a string literal initialise a non-const pointer. */
extern "C++" {
template <typename T, size_t N> inline T *RtlpConstantStringBuffer(const T (&s)[N])
{
    return const_cast<T *>(s);
}
}
#define RTL_CONSTANT_STRING(s) {(USHORT)(sizeof(s) - sizeof((s)[0])), (USHORT)sizeof(s), RtlpConstantStringBuffer(s)}
#else
#define RTL_CONSTANT_STRING(s) {(USHORT)(sizeof(s) - sizeof((s)[0])), (USHORT)sizeof(s), (s)}
#endif
#define DECLARE_CONST_UNICODE_STRING(_var, _string) \
    const WCHAR _var##_buffer[] = _string;          \
    const UNICODE_STRING _var = {sizeof(_string) - sizeof(WCHAR), sizeof(_string), (PWCH)_var##_buffer}
#define DECLARE_GLOBAL_CONST_UNICODE_STRING(_var, _str) \
    const UNICODE_STRING _var = {sizeof(_str) - sizeof(WCHAR), sizeof(_str), (PWCH)(_str)}
#define DECLARE_UNICODE_STRING_SIZE(_var, _size)          \
    WCHAR _var##_buffer[_size];                           \
    UNICODE_STRING _var = {0, (_size) * sizeof(WCHAR), _var##_buffer}
#define UNICODE_NULL ((WCHAR)0)
#define ANSI_NULL ((CHAR)0)
#define UNICODE_STRING_MAX_BYTES ((USHORT)65534)
/* 32767 where WCHAR is 2 bytes, 16383 where it is 4. */
#define UNICODE_STRING_MAX_CHARS (UNICODE_STRING_MAX_BYTES / sizeof(WCHAR))

NTSYSAPI VOID NTAPI RtlInitUnicodeString(_Out_ PUNICODE_STRING DestinationString, _In_opt_z_ PCWSTR SourceString);
NTSYSAPI NTSTATUS NTAPI RtlInitUnicodeStringEx(_Out_ PUNICODE_STRING DestinationString,
                                               _In_opt_z_ PCWSTR SourceString);
NTSYSAPI VOID NTAPI RtlInitAnsiString(_Out_ PANSI_STRING DestinationString, _In_opt_z_ PCSTR SourceString);
NTSYSAPI VOID NTAPI RtlInitString(_Out_ PSTRING DestinationString, _In_opt_z_ PCSTR SourceString);
NTSYSAPI NTSTATUS NTAPI RtlInitAnsiStringEx(_Out_ PANSI_STRING DestinationString, _In_opt_z_ PCSTR SourceString);
NTSYSAPI NTSTATUS NTAPI RtlInitStringEx(_Out_ PSTRING DestinationString, _In_opt_z_ PCSTR SourceString);
NTSYSAPI VOID NTAPI RtlCopyUnicodeString(_Inout_ PUNICODE_STRING DestinationString,
                                         _In_opt_ PCUNICODE_STRING SourceString);
NTSYSAPI NTSTATUS NTAPI RtlAppendUnicodeStringToString(_Inout_ PUNICODE_STRING Destination,
                                                       _In_ PCUNICODE_STRING Source);
NTSYSAPI NTSTATUS NTAPI RtlAppendUnicodeToString(_Inout_ PUNICODE_STRING Destination, _In_opt_z_ PCWSTR Source);
NTSYSAPI LONG NTAPI RtlCompareUnicodeString(_In_ PCUNICODE_STRING String1, _In_ PCUNICODE_STRING String2,
                                            _In_ BOOLEAN CaseInSensitive);
NTSYSAPI BOOLEAN NTAPI RtlEqualUnicodeString(_In_ PCUNICODE_STRING String1, _In_ PCUNICODE_STRING String2,
                                             _In_ BOOLEAN CaseInSensitive);
NTSYSAPI BOOLEAN NTAPI RtlPrefixUnicodeString(_In_ PCUNICODE_STRING String1, _In_ PCUNICODE_STRING String2,
                                              _In_ BOOLEAN CaseInSensitive);
NTSYSAPI NTSTATUS NTAPI RtlUpcaseUnicodeString(_Inout_ PUNICODE_STRING DestinationString,
                                               _In_ PCUNICODE_STRING SourceString,
                                               _In_ BOOLEAN AllocateDestinationString);
NTSYSAPI WCHAR NTAPI RtlUpcaseUnicodeChar(_In_ WCHAR SourceCharacter);
NTSYSAPI NTSTATUS NTAPI RtlDuplicateUnicodeString(_In_ ULONG Flags, _In_ PCUNICODE_STRING StringIn,
                                                  _Out_ PUNICODE_STRING StringOut);
#define RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE 1
#define RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING 2
NTSYSAPI VOID NTAPI RtlFreeUnicodeString(_Inout_ PUNICODE_STRING UnicodeString);
NTSYSAPI VOID NTAPI RtlFreeAnsiString(_Inout_ PANSI_STRING AnsiString);
NTSYSAPI NTSTATUS NTAPI RtlUnicodeStringToAnsiString(_Inout_ PANSI_STRING DestinationString,
                                                     _In_ PCUNICODE_STRING SourceString,
                                                     _In_ BOOLEAN AllocateDestinationString);
NTSYSAPI NTSTATUS NTAPI RtlAnsiStringToUnicodeString(_Inout_ PUNICODE_STRING DestinationString,
                                                     _In_ PCANSI_STRING SourceString,
                                                     _In_ BOOLEAN AllocateDestinationString);
/* Sizes in bytes of the converted string, terminator included. */
NTSYSAPI ULONG NTAPI RtlxUnicodeStringToAnsiSize(_In_ PCUNICODE_STRING UnicodeString);
NTSYSAPI ULONG NTAPI RtlxAnsiStringToUnicodeSize(_In_ PCANSI_STRING AnsiString);
#define RtlUnicodeStringToAnsiSize(String) RtlxUnicodeStringToAnsiSize(String)
#define RtlAnsiStringToUnicodeSize(String) RtlxAnsiStringToUnicodeSize(String)
NTSYSAPI NTSTATUS NTAPI RtlIntegerToUnicodeString(_In_ ULONG Value, _In_opt_ ULONG Base,
                                                  _Inout_ PUNICODE_STRING String);
NTSYSAPI NTSTATUS NTAPI RtlUnicodeStringToInteger(_In_ PCUNICODE_STRING String, _In_opt_ ULONG Base,
                                                  _Out_ PULONG Value);
NTSYSAPI BOOLEAN NTAPI RtlEqualString(_In_ const STRING *String1, _In_ const STRING *String2,
                                      _In_ BOOLEAN CaseInSensitive);
NTSYSAPI LONG NTAPI RtlCompareString(_In_ const STRING *String1, _In_ const STRING *String2,
                                     _In_ BOOLEAN CaseInSensitive);
NTSYSAPI VOID NTAPI RtlCopyString(_Out_ PSTRING DestinationString, _In_opt_ const STRING *SourceString);
NTSYSAPI NTSTATUS NTAPI RtlStringFromGUID(_In_ const GUID *Guid, _Out_ PUNICODE_STRING GuidString);

/* ---- status conversion ----
   NTSTATUS to Win32 error as Windows maps it (ERROR_MR_MID_NOT_FOUND, 317,
   when there is no mapping). The two are the same in irpsim: there is no
   TEB to record the last status in. */
NTSYSAPI ULONG NTAPI RtlNtStatusToDosError(_In_ NTSTATUS Status);
NTSYSAPI ULONG NTAPI RtlNtStatusToDosErrorNoTeb(_In_ NTSTATUS Status);

/* ---- GUIDs ----
   As in the WDK's guiddef.h: in C, IsEqualGUID takes pointers (REFGUID is
   const GUID *); in C++ it takes references (REFGUID is const GUID &), so
   passing a pointer there does not compile rather than compare the wrong
   bytes. */
#define RtlpEqualGuid(a, b) (!memcmp((a), (b), sizeof(GUID)))
#ifdef __cplusplus
extern "C++" {
inline int RtlpIsEqualGuid(const GUID &Guid1, const GUID &Guid2)
{
    return RtlpEqualGuid(&Guid1, &Guid2);
}
}
#define IsEqualGUID(a, b) RtlpIsEqualGuid((a), (b))
#else
#define IsEqualGUID(a, b) RtlpEqualGuid((a), (b))
#endif
#define InlineIsEqualGUID(a, b) IsEqualGUID(a, b)

/* ---- integer helpers ---- */
#define RtlUlongByteSwap(x) IRPSIM_BSWAP32(x) /* portability: compiler.h */
#define RtlUshortByteSwap(x) IRPSIM_BSWAP16(x)
#define RtlUlonglongByteSwap(x) IRPSIM_BSWAP64(x)
#define Int32x32To64(a, b) (((LONGLONG)((LONG)(a))) * ((LONGLONG)((LONG)(b))))
#define UInt32x32To64(a, b) (((ULONGLONG)((ULONG)(a))) * ((ULONGLONG)((ULONG)(b))))
#define RtlConvertLongToLargeInteger(v) RtlpLargeInteger((LONGLONG)(v))
FORCEINLINE LARGE_INTEGER RtlpLargeInteger(LONGLONG Value)
{
    LARGE_INTEGER Result;
    Result.QuadPart = Value;
    return Result;
}

DECLSPEC_NORETURN NTSYSAPI VOID NTAPI RtlRaiseStatus(_In_ NTSTATUS Status);
NTSYSAPI VOID NTAPI RtlAssert(_In_ PVOID VoidFailedAssertion, _In_ PVOID VoidFileName, _In_ ULONG LineNumber,
                              _In_opt_ PSTR MutableMessage);

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_WDK_RTL_H */
