/*
 * irpsim — counted 8-bit strings (STRING, ANSI_STRING): initialise,
 * compare, copy, free.
 */
#include "rtlp.h"

/* Longest STRING that still has room for its terminator. */
#define RTLP_MAX_ANSI_LENGTH ((USHORT)(MAXUSHORT - 1))

VOID NTAPI RtlInitString(PSTRING DestinationString, PCSTR SourceString)
{
    SIZE_T Bytes;

    DestinationString->Buffer = (PCHAR)SourceString;
    if (SourceString == NULL) {
        DestinationString->Length = 0;
        DestinationString->MaximumLength = 0;
        return;
    }
    Bytes = strlen(SourceString);
    if (Bytes > RTLP_MAX_ANSI_LENGTH)
        Bytes = RTLP_MAX_ANSI_LENGTH;
    DestinationString->Length = (USHORT)Bytes;
    DestinationString->MaximumLength = (USHORT)(Bytes + 1);
}

VOID NTAPI RtlInitAnsiString(PANSI_STRING DestinationString, PCSTR SourceString)
{
    RtlInitString(DestinationString, SourceString);
}

NTSTATUS NTAPI RtlInitStringEx(PSTRING DestinationString, PCSTR SourceString)
{
    DestinationString->Length = 0;
    DestinationString->MaximumLength = 0;
    DestinationString->Buffer = (PCHAR)SourceString;
    if (SourceString == NULL)
        return STATUS_SUCCESS;
    if (strlen(SourceString) > RTLP_MAX_ANSI_LENGTH)
        return STATUS_NAME_TOO_LONG;
    RtlInitString(DestinationString, SourceString);
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI RtlInitAnsiStringEx(PANSI_STRING DestinationString, PCSTR SourceString)
{
    return RtlInitStringEx(DestinationString, SourceString);
}

LONG NTAPI RtlCompareString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)
{
    USHORT Common = String1->Length < String2->Length ? String1->Length : String2->Length;

    /* Bytes compare as unsigned; case folding covers a..z only. */
    for (USHORT i = 0; i < Common; i++) {
        CHAR C1 = String1->Buffer[i];
        CHAR C2 = String2->Buffer[i];
        if (CaseInSensitive) {
            C1 = RtlpUpperAnsiChar(C1);
            C2 = RtlpUpperAnsiChar(C2);
        }
        if (C1 != C2)
            return (LONG)(UCHAR)C1 - (LONG)(UCHAR)C2;
    }
    return (LONG)String1->Length - (LONG)String2->Length;
}

BOOLEAN NTAPI RtlEqualString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)
{
    if (String1->Length != String2->Length)
        return FALSE;
    return (BOOLEAN)(RtlCompareString(String1, String2, CaseInSensitive) == 0);
}

VOID NTAPI RtlCopyString(PSTRING DestinationString, const STRING *SourceString)
{
    USHORT Bytes;

    if (SourceString == NULL) {
        DestinationString->Length = 0;
        return;
    }
    Bytes = SourceString->Length;
    if (Bytes > DestinationString->MaximumLength)
        Bytes = DestinationString->MaximumLength;
    memmove(DestinationString->Buffer, SourceString->Buffer, Bytes);
    DestinationString->Length = Bytes;
    if (Bytes < DestinationString->MaximumLength)
        DestinationString->Buffer[Bytes] = ANSI_NULL;
}

VOID NTAPI RtlFreeAnsiString(PANSI_STRING AnsiString)
{
    if (AnsiString->Buffer != NULL)
        RtlpFreeStringMemory(AnsiString->Buffer);
    AnsiString->Buffer = NULL;
    AnsiString->Length = 0;
    AnsiString->MaximumLength = 0;
}
