/*
 * irpsim — case mapping: RtlUpcaseUnicodeChar, RtlUpcaseUnicodeString and
 * the upper-casing behind the case-insensitive compares.
 *
 * Windows upcases through an NLS table that maps one UTF-16 unit to one
 * unit. irpsim carries the same kind of one-to-one mapping for the scripts
 * driver code meets in names: ASCII, Latin-1 (U+00E0..U+00FE except U+00F7,
 * and U+00FF -> U+0178), Latin Extended-A and Additional, Greek, Cyrillic,
 * Armenian and full-width Latin. Everything else (including U+00B5, U+00DF,
 * U+0131, surrogates and code points above U+FFFF) is returned unchanged,
 * as the table leaves it. The mapping is fixed: it never depends on the
 * host's locale.
 */
#include "rtlp.h"

/* In a run of upper/lower pairs starting at First, the lower letter is
   the one with the other parity than First. */
static BOOLEAN RtlpIsPairedLower(ULONG CodePoint, ULONG First, ULONG Last)
{
    return CodePoint >= First && CodePoint <= Last && ((CodePoint - First) & 1) != 0;
}

ULONG RtlpUpcaseCodePoint(ULONG C)
{
    if (C < 0x80)
        return (C >= 'a' && C <= 'z') ? C - 0x20 : C;
    if (C < 0x100) {
        if (C >= 0xE0 && C <= 0xFE && C != 0xF7)
            return C - 0x20;
        return C == 0xFF ? 0x178 : C;
    }
    if (C < 0x180) {
        /* Latin Extended-A: runs of pairs, with a few letters that have no
           case partner (U+0130, U+0131, U+0138, U+0149, U+017F). */
        if (RtlpIsPairedLower(C, 0x100, 0x12F) || RtlpIsPairedLower(C, 0x132, 0x137) ||
            RtlpIsPairedLower(C, 0x139, 0x148) || RtlpIsPairedLower(C, 0x14A, 0x177) ||
            RtlpIsPairedLower(C, 0x179, 0x17E))
            return C - 1;
        return C;
    }
    if (C >= 0x370 && C < 0x400) {
        if (C >= 0x3B1 && C <= 0x3CB && C != 0x3C2)
            return C - 0x20;
        switch (C) {
        case 0x3C2:
            return 0x3A3; /* final sigma */
        case 0x3AC:
            return 0x386;
        case 0x3AD:
            return 0x388;
        case 0x3AE:
            return 0x389;
        case 0x3AF:
            return 0x38A;
        case 0x3CC:
            return 0x38C;
        case 0x3CD:
            return 0x38E;
        case 0x3CE:
            return 0x38F;
        default:
            return C;
        }
    }
    if (C >= 0x400 && C < 0x530) {
        if (C >= 0x430 && C <= 0x44F)
            return C - 0x20;
        if (C >= 0x450 && C <= 0x45F)
            return C - 0x50;
        if (RtlpIsPairedLower(C, 0x460, 0x481) || RtlpIsPairedLower(C, 0x48A, 0x4BF) ||
            RtlpIsPairedLower(C, 0x4C1, 0x4CE) || RtlpIsPairedLower(C, 0x4D0, 0x52F))
            return C - 1;
        if (C == 0x4CF)
            return 0x4C0;
        return C;
    }
    if (C >= 0x561 && C <= 0x586)
        return C - 0x30; /* Armenian */
    if (RtlpIsPairedLower(C, 0x1E00, 0x1E95) || RtlpIsPairedLower(C, 0x1EA0, 0x1EFF))
        return C - 1; /* Latin Extended Additional */
    if (C >= 0xFF41 && C <= 0xFF5A)
        return C - 0x20; /* full-width a..z */
    return C;
}

CHAR RtlpUpperAnsiChar(CHAR Character)
{
    /* RtlUpperChar changes a..z only (observed on Windows with a Western
       code page); bytes of multi-byte characters are left alone. */
    if (Character >= 'a' && Character <= 'z')
        return (CHAR)(Character - 'a' + 'A');
    return Character;
}

WCHAR NTAPI RtlUpcaseUnicodeChar(WCHAR SourceCharacter)
{
    return (WCHAR)RtlpUpcaseCodePoint((ULONG)SourceCharacter);
}

NTSTATUS NTAPI RtlUpcaseUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                      BOOLEAN AllocateDestinationString)
{
    USHORT Count = (USHORT)(SourceString->Length / sizeof(WCHAR));
    PWSTR Target;

    if (AllocateDestinationString) {
        /* At least one WCHAR so an empty string still gets a buffer the
           caller can hand to RtlFreeUnicodeString. */
        SIZE_T Bytes = SourceString->Length != 0 ? SourceString->Length : sizeof(WCHAR);
        Target = (PWSTR)RtlpAllocateStringMemory(Bytes, RTLP_UNICODE_STRING_TAG);
        if (Target == NULL)
            return STATUS_NO_MEMORY;
        DestinationString->Buffer = Target;
        DestinationString->MaximumLength = SourceString->Length;
    } else {
        if (SourceString->Length > DestinationString->MaximumLength)
            return STATUS_BUFFER_OVERFLOW;
        Target = DestinationString->Buffer;
    }

    /* Element by element, so the destination may be the source itself. */
    for (USHORT i = 0; i < Count; i++)
        Target[i] = RtlUpcaseUnicodeChar(SourceString->Buffer[i]);
    DestinationString->Length = (USHORT)(Count * sizeof(WCHAR));
    return STATUS_SUCCESS;
}
