/*
 * irpsim — Rtl memory routines that are functions rather than macros:
 * RtlCompareMemory, RtlCompareMemoryUlong, RtlSecureZeroMemory, and the
 * pool allocations behind the string routines that allocate for callers.
 */
#include "rtlp.h"

SIZE_T NTAPI RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length)
{
    const UCHAR *Left = (const UCHAR *)Source1;
    const UCHAR *Right = (const UCHAR *)Source2;
    SIZE_T Index = 0;

    /* Windows returns the number of leading bytes that match, not a sign. */
    while (Index < Length && Left[Index] == Right[Index])
        Index++;
    return Index;
}

SIZE_T NTAPI RtlCompareMemoryUlong(PVOID Source, SIZE_T Length, ULONG Pattern)
{
    const UCHAR *Bytes = (const UCHAR *)Source;
    SIZE_T Matched = 0;

    /* Only whole ULONGs are compared: a trailing partial ULONG never counts.
       memcpy reads each ULONG without assuming the host tolerates a
       misaligned Source (Windows requires alignment; x86 forgives it). */
    Length &= ~(SIZE_T)(sizeof(ULONG) - 1);
    while (Matched < Length) {
        ULONG Value;
        memcpy(&Value, Bytes + Matched, sizeof(Value));
        if (Value != Pattern)
            break;
        Matched += sizeof(ULONG);
    }
    return Matched;
}

PVOID NTAPI RtlpSecureZeroMemory(PVOID Destination, SIZE_T Length)
{
    /* Volatile stores: the compiler may not drop them even when the buffer
       is dead afterwards (the point of RtlSecureZeroMemory). */
    volatile UCHAR *Bytes = (volatile UCHAR *)Destination;
    while (Length-- > 0)
        *Bytes++ = 0;
    return Destination;
}

PVOID RtlpAllocateStringMemory(SIZE_T Bytes, ULONG Tag)
{
    /* Rtl string buffers come from paged pool, as on Windows: callers must
       be at PASSIVE_LEVEL (the pool checks it). */
    return ExAllocatePoolWithTag(PagedPool, Bytes, Tag);
}

VOID RtlpFreeStringMemory(PVOID Buffer)
{
    /* ExFreePool, not ExFreePoolWithTag: RtlFreeUnicodeString also frees
       buffers made by RtlUpcaseUnicodeString, RtlAnsiStringToUnicodeString,
       RtlDuplicateUnicodeString and RtlStringFromGUID, whatever the tag. */
    ExFreePool(Buffer);
}
