/*
 * irpsim — counted Unicode strings (UNICODE_STRING): initialise, copy,
 * append, compare, duplicate, free.
 *
 * Length and MaximumLength are byte counts and always multiples of
 * sizeof(WCHAR) (4 on Linux, 2 on Windows). A UNICODE_STRING need not be
 * NUL-terminated; these routines add a terminator only where Windows does
 * and only when it fits inside MaximumLength.
 */
#include "rtlp.h"

VOID NTAPI RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    SIZE_T Bytes;

    DestinationString->Buffer = (PWSTR)SourceString;
    if (SourceString == NULL) {
        DestinationString->Length = 0;
        DestinationString->MaximumLength = 0;
        return;
    }
    /* A string too long for a UNICODE_STRING is cut to the longest length
       that still leaves room for its terminator. */
    Bytes = wcslen(SourceString) * sizeof(WCHAR);
    if (Bytes > RTLP_MAX_UNICODE_LENGTH)
        Bytes = RTLP_MAX_UNICODE_LENGTH;
    DestinationString->Length = (USHORT)Bytes;
    DestinationString->MaximumLength = (USHORT)(Bytes + sizeof(WCHAR));
}

NTSTATUS NTAPI RtlInitUnicodeStringEx(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    DestinationString->Length = 0;
    DestinationString->MaximumLength = 0;
    DestinationString->Buffer = (PWSTR)SourceString;
    if (SourceString == NULL)
        return STATUS_SUCCESS;
    if (wcslen(SourceString) * sizeof(WCHAR) > RTLP_MAX_UNICODE_LENGTH)
        return STATUS_NAME_TOO_LONG;
    RtlInitUnicodeString(DestinationString, SourceString);
    return STATUS_SUCCESS;
}

VOID NTAPI RtlCopyUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString)
{
    SIZE_T Bytes;

    if (SourceString == NULL) {
        DestinationString->Length = 0;
        return;
    }
    /* Truncates to the destination, in whole characters. */
    Bytes = SourceString->Length;
    if (Bytes > DestinationString->MaximumLength)
        Bytes = DestinationString->MaximumLength;
    Bytes -= Bytes % sizeof(WCHAR);
    memmove(DestinationString->Buffer, SourceString->Buffer, Bytes);
    DestinationString->Length = (USHORT)Bytes;
    if (Bytes + sizeof(WCHAR) <= DestinationString->MaximumLength)
        DestinationString->Buffer[Bytes / sizeof(WCHAR)] = UNICODE_NULL;
}

/* Appends Bytes of Source; the caller checked they fit. */
static VOID RtlpAppendUnicode(PUNICODE_STRING Destination, const WCHAR *Source, SIZE_T Bytes)
{
    SIZE_T NewLength = Destination->Length + Bytes;

    memmove((PUCHAR)Destination->Buffer + Destination->Length, Source, Bytes);
    Destination->Length = (USHORT)NewLength;
    /* Terminated when the terminator fits (Windows writes past an odd
       MaximumLength here; irpsim does not write outside the buffer). */
    if (NewLength + sizeof(WCHAR) <= Destination->MaximumLength)
        Destination->Buffer[NewLength / sizeof(WCHAR)] = UNICODE_NULL;
}

NTSTATUS NTAPI RtlAppendUnicodeStringToString(PUNICODE_STRING Destination, PCUNICODE_STRING Source)
{
    if (Source->Length == 0)
        return STATUS_SUCCESS;
    if ((SIZE_T)Destination->Length + Source->Length > Destination->MaximumLength)
        return STATUS_BUFFER_TOO_SMALL;
    RtlpAppendUnicode(Destination, Source->Buffer, Source->Length);
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source)
{
    SIZE_T Bytes;

    if (Source == NULL)
        return STATUS_SUCCESS;
    Bytes = wcslen(Source) * sizeof(WCHAR);
    if ((SIZE_T)Destination->Length + Bytes > Destination->MaximumLength)
        return STATUS_BUFFER_TOO_SMALL;
    RtlpAppendUnicode(Destination, Source, Bytes);
    return STATUS_SUCCESS;
}

LONG NTAPI RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    SIZE_T Count1 = String1->Length / sizeof(WCHAR);
    SIZE_T Count2 = String2->Length / sizeof(WCHAR);
    SIZE_T Common = Count1 < Count2 ? Count1 : Count2;

    /* As Windows: the difference of the first characters that differ
       (after upcasing when asked), else the difference of the lengths. */
    for (SIZE_T i = 0; i < Common; i++) {
        ULONG C1 = (ULONG)String1->Buffer[i];
        ULONG C2 = (ULONG)String2->Buffer[i];
        if (CaseInSensitive) {
            C1 = RtlpUpcaseCodePoint(C1);
            C2 = RtlpUpcaseCodePoint(C2);
        }
        if (C1 != C2)
            return (LONG)C1 - (LONG)C2;
    }
    return (LONG)String1->Length - (LONG)String2->Length;
}

BOOLEAN NTAPI RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    if (String1->Length != String2->Length)
        return FALSE;
    return (BOOLEAN)(RtlCompareUnicodeString(String1, String2, CaseInSensitive) == 0);
}

BOOLEAN NTAPI RtlPrefixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    UNICODE_STRING Head;

    /* TRUE when String1 is a prefix of String2. */
    if (String1->Length > String2->Length)
        return FALSE;
    Head.Buffer = String2->Buffer;
    Head.Length = String1->Length;
    Head.MaximumLength = String1->Length;
    return RtlEqualUnicodeString(String1, &Head, CaseInSensitive);
}

NTSTATUS NTAPI RtlDuplicateUnicodeString(ULONG Flags, PCUNICODE_STRING StringIn, PUNICODE_STRING StringOut)
{
    const ULONG Valid = RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE | RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING;
    BOOLEAN Terminate = (Flags & RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE) != 0;
    SIZE_T Bytes;
    PWSTR Buffer;

    /* Observed on Windows: unknown flags, ALLOCATE_NULL_STRING without
       NULL_TERMINATE, and a malformed source are invalid parameters, and
       the output is left untouched. */
    if (StringIn == NULL || StringOut == NULL || (Flags & ~Valid) != 0 ||
        Flags == RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING || StringIn->Length > StringIn->MaximumLength ||
        (StringIn->Length % sizeof(WCHAR)) != 0 ||
        (StringIn->Buffer == NULL && (StringIn->Length != 0 || StringIn->MaximumLength != 0)))
        return STATUS_INVALID_PARAMETER;

    if (StringIn->Length == 0 && Flags != Valid) {
        StringOut->Length = 0;
        StringOut->MaximumLength = 0;
        StringOut->Buffer = NULL;
        return STATUS_SUCCESS;
    }

    Bytes = StringIn->Length + (Terminate ? sizeof(WCHAR) : 0);
    if (Bytes > UNICODE_STRING_MAX_BYTES)
        return STATUS_NAME_TOO_LONG;
    Buffer = (PWSTR)RtlpAllocateStringMemory(Bytes, RTLP_UNICODE_STRING_TAG);
    if (Buffer == NULL)
        return STATUS_NO_MEMORY;
    if (StringIn->Length != 0)
        memcpy(Buffer, StringIn->Buffer, StringIn->Length);
    if (Terminate)
        Buffer[StringIn->Length / sizeof(WCHAR)] = UNICODE_NULL;
    StringOut->Buffer = Buffer;
    StringOut->Length = StringIn->Length;
    StringOut->MaximumLength = (USHORT)Bytes;
    return STATUS_SUCCESS;
}

VOID NTAPI RtlFreeUnicodeString(PUNICODE_STRING UnicodeString)
{
    if (UnicodeString->Buffer != NULL)
        RtlpFreeStringMemory(UnicodeString->Buffer);
    UnicodeString->Buffer = NULL;
    UnicodeString->Length = 0;
    UnicodeString->MaximumLength = 0;
}
