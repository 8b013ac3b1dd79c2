/*
 * irpsim — GUIDs as text: RtlStringFromGUID.
 */
#include "rtlp.h"

/* "{" 8 "-" 4 "-" 4 "-" 4 "-" 12 "}" */
#define RTLP_GUID_STRING_CHARS 38

static PWCHAR RtlpPutHex(PWCHAR Out, ULONG Value, ULONG Digits)
{
    static const char Hex[] = "0123456789ABCDEF";
    while (Digits-- > 0)
        *Out++ = (WCHAR)Hex[(Value >> (Digits * 4)) & 0xF];
    return Out;
}

NTSTATUS NTAPI RtlStringFromGUID(const GUID *Guid, PUNICODE_STRING GuidString)
{
    SIZE_T Bytes = (RTLP_GUID_STRING_CHARS + 1) * sizeof(WCHAR);
    PWCHAR Buffer = (PWCHAR)RtlpAllocateStringMemory(Bytes, RTLP_UNICODE_STRING_TAG);
    PWCHAR Out = Buffer;

    if (Buffer == NULL)
        return STATUS_NO_MEMORY;

    /* Registry form, upper-case hex, as Windows writes it. The caller frees
       it with RtlFreeUnicodeString. */
    *Out++ = L'{';
    Out = RtlpPutHex(Out, Guid->Data1, 8);
    *Out++ = L'-';
    Out = RtlpPutHex(Out, Guid->Data2, 4);
    *Out++ = L'-';
    Out = RtlpPutHex(Out, Guid->Data3, 4);
    *Out++ = L'-';
    Out = RtlpPutHex(Out, Guid->Data4[0], 2);
    Out = RtlpPutHex(Out, Guid->Data4[1], 2);
    *Out++ = L'-';
    for (ULONG i = 2; i < 8; i++)
        Out = RtlpPutHex(Out, Guid->Data4[i], 2);
    *Out++ = L'}';
    *Out = UNICODE_NULL;

    GuidString->Buffer = Buffer;
    GuidString->Length = (USHORT)(RTLP_GUID_STRING_CHARS * sizeof(WCHAR));
    GuidString->MaximumLength = (USHORT)Bytes;
    return STATUS_SUCCESS;
}
