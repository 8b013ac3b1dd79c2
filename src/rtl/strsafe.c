/*
 * irpsim — ntstrsafe.h: bounded copy, concatenate, printf and length for
 * CHAR and WCHAR strings, and the UNICODE_STRING forms.
 *
 * One worker serves every routine; it works in "units" (CHAR or WCHAR, as
 * the W/A form says) and counts in characters. The Cb forms divide their
 * byte counts by the unit size; with WCHAR being 4 bytes on Linux, that is
 * the only correct reading of a byte count there.
 *
 * Failure rules (as the WDK's inline implementation):
 *   - invalid size, flags or pointers: STATUS_INVALID_PARAMETER; copy and
 *     printf leave an empty string in a usable destination, concatenate
 *     leaves it alone;
 *   - truncation: STATUS_BUFFER_OVERFLOW with as much as fits, terminated;
 *   - the Ex forms' flags then adjust a failed destination (fill it, empty
 *     it, or refuse to truncate) and report where the string ends.
 */
#include "rtlp.h"

#include <ntstrsafe.h>

#define RTLP_SAFE_VALID_FLAGS                                                                                          \
    (0x000000FFu | STRSAFE_IGNORE_NULLS | STRSAFE_FILL_BEHIND_NULL | STRSAFE_FILL_ON_FAILURE |                         \
     STRSAFE_NULL_ON_FAILURE | STRSAFE_NO_TRUNCATION)

typedef enum _RTLP_SAFE_OPERATION { RtlpSafeCopy, RtlpSafeCat, RtlpSafeFormat } RTLP_SAFE_OPERATION;

typedef struct _RTLP_SAFE_REQUEST {
    RTLP_SAFE_OPERATION Operation;
    BOOLEAN Wide;
    PVOID Dest;
    SIZE_T CchDest;
    const VOID *Source; /* copy/cat source, or the printf format */
    SIZE_T CchToCopy;   /* copy/cat limit; NTSTRSAFE_MAX_CCH when none */
    va_list *Arguments; /* printf */
    BOOLEAN Ex;
    ULONG Flags;
    PVOID *DestEnd;    /* Ex: where the terminator is */
    SIZE_T *Remaining; /* Ex: characters left, counting the terminator */
} RTLP_SAFE_REQUEST, *PRTLP_SAFE_REQUEST;

static const CHAR RtlpEmptyNarrow[1] = {0};
static const WCHAR RtlpEmptyWide[1] = {0};

static SIZE_T RtlpUnitSize(BOOLEAN Wide)
{
    return Wide ? sizeof(WCHAR) : sizeof(CHAR);
}

static ULONG RtlpGetUnit(const VOID *Text, BOOLEAN Wide, SIZE_T Index)
{
    return Wide ? (ULONG)((const WCHAR *)Text)[Index] : (ULONG)(UCHAR)((const CHAR *)Text)[Index];
}

static VOID RtlpSetUnit(PVOID Text, BOOLEAN Wide, SIZE_T Index, ULONG Unit)
{
    if (Wide)
        ((PWCHAR)Text)[Index] = (WCHAR)Unit;
    else
        ((PCHAR)Text)[Index] = (CHAR)Unit;
}

static VOID RtlpSetOutputs(PRTLP_SAFE_REQUEST Request, SIZE_T Length)
{
    if (Request->DestEnd != NULL)
        *Request->DestEnd = (PUCHAR)Request->Dest + Length * RtlpUnitSize(Request->Wide);
    if (Request->Remaining != NULL)
        *Request->Remaining = Request->CchDest - Length;
}

/* Whether the source (or, for printf, the formatted text) is empty. */
static BOOLEAN RtlpSafeSourceIsEmpty(PRTLP_SAFE_REQUEST Request)
{
    RTLP_FORMAT_OUTPUT Output;

    if (Request->Operation != RtlpSafeFormat)
        return (BOOLEAN)(Request->CchToCopy == 0 || RtlpGetUnit(Request->Source, Request->Wide, 0) == 0);
    memset(&Output, 0, sizeof(Output));
    Output.Wide = Request->Wide;
    RtlpFormat(&Output, Request->Source, *Request->Arguments);
    return (BOOLEAN)(Output.Needed == 0);
}

static NTSTATUS RtlpSafeExecute(PRTLP_SAFE_REQUEST Request)
{
    const BOOLEAN Wide = Request->Wide;
    const SIZE_T Unit = RtlpUnitSize(Wide);
    BOOLEAN IgnoreNulls = (BOOLEAN)(Request->Ex && (Request->Flags & STRSAFE_IGNORE_NULLS) != 0);
    BOOLEAN Usable;
    SIZE_T Start = 0;
    SIZE_T Length = 0;
    BOOLEAN Truncated = FALSE;
    NTSTATUS Status;

    if (Request->Ex && (Request->Flags & ~RTLP_SAFE_VALID_FLAGS) != 0)
        return STATUS_INVALID_PARAMETER;
    if (Request->CchDest > NTSTRSAFE_MAX_CCH)
        return STATUS_INVALID_PARAMETER;
    if (Request->CchDest == 0 && !IgnoreNulls)
        return STATUS_INVALID_PARAMETER;
    if (Request->Dest == NULL && Request->CchDest != 0)
        return STATUS_INVALID_PARAMETER;
    Usable = (BOOLEAN)(Request->Dest != NULL && Request->CchDest != 0);

    if (Request->Operation == RtlpSafeCat && Usable) {
        /* The destination must already be a terminated string. */
        while (Start < Request->CchDest && RtlpGetUnit(Request->Dest, Wide, Start) != 0)
            Start++;
        if (Start == Request->CchDest)
            return STATUS_INVALID_PARAMETER;
    }

    if (Request->Source == NULL) {
        if (IgnoreNulls) {
            Request->Source = Wide ? (const VOID *)RtlpEmptyWide : (const VOID *)RtlpEmptyNarrow;
        } else {
            Status = STATUS_INVALID_PARAMETER;
            goto Failed;
        }
    }
    if (Request->CchToCopy > NTSTRSAFE_MAX_CCH) {
        Status = STATUS_INVALID_PARAMETER;
        goto Failed;
    }

    if (!Usable) {
        /* STRSAFE_IGNORE_NULLS with no room: fine only if nothing is to be
           written. */
        if (RtlpSafeSourceIsEmpty(Request)) {
            RtlpSetOutputs(Request, 0);
            return STATUS_SUCCESS;
        }
        if (Request->Dest == NULL)
            return STATUS_INVALID_PARAMETER;
        RtlpSetOutputs(Request, 0);
        return STATUS_BUFFER_OVERFLOW;
    }

    if (Request->Operation == RtlpSafeFormat) {
        RTLP_FORMAT_OUTPUT Output;
        memset(&Output, 0, sizeof(Output));
        Output.Wide = Wide;
        Output.Buffer = (PUCHAR)Request->Dest + Start * Unit;
        Output.Capacity = Request->CchDest - 1 - Start;
        RtlpFormat(&Output, Request->Source, *Request->Arguments);
        Truncated = Output.Truncated;
        Length = Start + Output.Count;
    } else {
        SIZE_T Room = Request->CchDest - 1 - Start;
        SIZE_T i = 0;
        while (i < Request->CchToCopy) {
            ULONG Character = RtlpGetUnit(Request->Source, Wide, i);
            if (Character == 0)
                break;
            if (i == Room) {
                Truncated = TRUE;
                break;
            }
            RtlpSetUnit(Request->Dest, Wide, Start + i, Character);
            i++;
        }
        Length = Start + i;
    }
    RtlpSetUnit(Request->Dest, Wide, Length, 0);

    if (!Truncated) {
        if (Request->Ex && (Request->Flags & STRSAFE_FILL_BEHIND_NULL) != 0)
            memset((PUCHAR)Request->Dest + (Length + 1) * Unit, STRSAFE_GET_FILL_PATTERN(Request->Flags),
                   (Request->CchDest - Length - 1) * Unit);
        RtlpSetOutputs(Request, Length);
        return STATUS_SUCCESS;
    }
    Status = STATUS_BUFFER_OVERFLOW;

Failed:
    if (Usable) {
        if (Request->Ex && (Request->Flags & STRSAFE_FILL_ON_FAILURE) != 0) {
            int Fill = STRSAFE_GET_FILL_PATTERN(Request->Flags);
            memset(Request->Dest, Fill, Request->CchDest * Unit);
            Length = Fill == 0 ? 0 : Request->CchDest - 1;
            RtlpSetUnit(Request->Dest, Wide, Length, 0);
        } else if (Request->Ex && (Request->Flags & STRSAFE_NULL_ON_FAILURE) != 0) {
            Length = 0;
            RtlpSetUnit(Request->Dest, Wide, 0, 0);
        } else if (Request->Ex && (Request->Flags & STRSAFE_NO_TRUNCATION) != 0 && Status == STATUS_BUFFER_OVERFLOW) {
            /* Nothing partial: a copy leaves an empty string, a
               concatenation the original one. */
            Length = Request->Operation == RtlpSafeCat ? Start : 0;
            RtlpSetUnit(Request->Dest, Wide, Length, 0);
        } else if (Status == STATUS_INVALID_PARAMETER && Request->Operation != RtlpSafeCat) {
            RtlpSetUnit(Request->Dest, Wide, 0, 0);
        }
    }
    if (Status == STATUS_BUFFER_OVERFLOW)
        RtlpSetOutputs(Request, Length);
    return Status;
}

/* Runs a copy or concatenation. Counts are in characters; InBytes says
   whether *Remaining is reported in bytes (the Cb forms). */
static NTSTATUS RtlpSafeCopyOrCat(RTLP_SAFE_OPERATION Operation, BOOLEAN Wide, PVOID Dest, SIZE_T CchDest,
                                  const VOID *Source, SIZE_T CchToCopy, BOOLEAN Ex, ULONG Flags, PVOID *DestEnd,
                                  SIZE_T *Remaining, BOOLEAN InBytes)
{
    RTLP_SAFE_REQUEST Request;
    SIZE_T CchRemaining = 0;
    NTSTATUS Status;

    memset(&Request, 0, sizeof(Request));
    Request.Operation = Operation;
    Request.Wide = Wide;
    Request.Dest = Dest;
    Request.CchDest = CchDest;
    Request.Source = Source;
    Request.CchToCopy = CchToCopy;
    Request.Ex = Ex;
    Request.Flags = Flags;
    Request.DestEnd = DestEnd;
    Request.Remaining = Remaining != NULL ? &CchRemaining : NULL;
    Status = RtlpSafeExecute(&Request);
    if (Remaining != NULL && (NT_SUCCESS(Status) || Status == STATUS_BUFFER_OVERFLOW))
        *Remaining = InBytes ? CchRemaining * RtlpUnitSize(Wide) : CchRemaining;
    return Status;
}

static NTSTATUS RtlpSafePrintf(BOOLEAN Wide, PVOID Dest, SIZE_T CchDest, BOOLEAN Ex, ULONG Flags, PVOID *DestEnd,
                               SIZE_T *Remaining, BOOLEAN InBytes, const VOID *Format, va_list Arguments)
{
    RTLP_SAFE_REQUEST Request;
    SIZE_T CchRemaining = 0;
    va_list Copy;
    NTSTATUS Status;

    memset(&Request, 0, sizeof(Request));
    Request.Operation = RtlpSafeFormat;
    Request.Wide = Wide;
    Request.Dest = Dest;
    Request.CchDest = CchDest;
    Request.Source = Format;
    Request.Ex = Ex;
    Request.Flags = Flags;
    Request.DestEnd = DestEnd;
    Request.Remaining = Remaining != NULL ? &CchRemaining : NULL;
    va_copy(Copy, Arguments);
    Request.Arguments = &Copy;
    Status = RtlpSafeExecute(&Request);
    va_end(Copy);
    if (Remaining != NULL && (NT_SUCCESS(Status) || Status == STATUS_BUFFER_OVERFLOW))
        *Remaining = InBytes ? CchRemaining * RtlpUnitSize(Wide) : CchRemaining;
    return Status;
}

#define RTLP_CCH_W(cb) ((cb) / sizeof(WCHAR))

/* ---- copy ---- */

NTSTATUS NTAPI RtlStringCchCopyW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc)
{
    return RtlpSafeCopyOrCat(RtlpSafeCopy, TRUE, pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_CCH, FALSE, 0, NULL, NULL,
                             FALSE);
}

NTSTATUS NTAPI RtlStringCchCopyA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc)
{
    return RtlpSafeCopyOrCat(RtlpSafeCopy, FALSE, pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_CCH, FALSE, 0, NULL, NULL,
                             FALSE);
}

NTSTATUS NTAPI RtlStringCbCopyW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc)
{
    return RtlpSafeCopyOrCat(RtlpSafeCopy, TRUE, pszDest, RTLP_CCH_W(cbDest), pszSrc, NTSTRSAFE_MAX_CCH, FALSE, 0, NULL,
                             NULL, TRUE);
}

NTSTATUS NTAPI RtlStringCbCopyA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc)
{
    return RtlpSafeCopyOrCat(RtlpSafeCopy, FALSE, pszDest, cbDest, pszSrc, NTSTRSAFE_MAX_CCH, FALSE, 0, NULL, NULL,
                             TRUE);
}

NTSTATUS NTAPI RtlStringCchCopyExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc,
                                   NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcchRemaining, ULONG dwFlags)
{
    return RtlpSafeCopyOrCat(RtlpSafeCopy, TRUE, pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_CCH, TRUE, dwFlags,
                             (PVOID *)ppszDestEnd, pcchRemaining, FALSE);
}

NTSTATUS NTAPI RtlStringCchCopyExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc,
                                   NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcchRemaining, ULONG dwFlags)
{
    return RtlpSafeCopyOrCat(RtlpSafeCopy, FALSE, pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_CCH, TRUE, dwFlags,
                             (PVOID *)ppszDestEnd, pcchRemaining, FALSE);
}

NTSTATUS NTAPI RtlStringCbCopyExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc,
                                  NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcbRemaining, ULONG dwFlags)
{
    return RtlpSafeCopyOrCat(RtlpSafeCopy, TRUE, pszDest, RTLP_CCH_W(cbDest), pszSrc, NTSTRSAFE_MAX_CCH, TRUE, dwFlags,
                             (PVOID *)ppszDestEnd, pcbRemaining, TRUE);
}

NTSTATUS NTAPI RtlStringCbCopyExA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc,
                                  NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcbRemaining, ULONG dwFlags)
{
    return RtlpSafeCopyOrCat(RtlpSafeCopy, FALSE, pszDest, cbDest, pszSrc, NTSTRSAFE_MAX_CCH, TRUE, dwFlags,
                             (PVOID *)ppszDestEnd, pcbRemaining, TRUE);
}

NTSTATUS NTAPI RtlStringCchCopyNW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc, size_t cchToCopy)
{
    return RtlpSafeCopyOrCat(RtlpSafeCopy, TRUE, pszDest, cchDest, pszSrc, cchToCopy, FALSE, 0, NULL, NULL, FALSE);
}

NTSTATUS NTAPI RtlStringCchCopyNA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc, size_t cchToCopy)
{
    return RtlpSafeCopyOrCat(RtlpSafeCopy, FALSE, pszDest, cchDest, pszSrc, cchToCopy, FALSE, 0, NULL, NULL, FALSE);
}

NTSTATUS NTAPI RtlStringCbCopyNW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc, size_t cbToCopy)
{
    return RtlpSafeCopyOrCat(RtlpSafeCopy, TRUE, pszDest, RTLP_CCH_W(cbDest), pszSrc, RTLP_CCH_W(cbToCopy), FALSE, 0,
                             NULL, NULL, TRUE);
}

NTSTATUS NTAPI RtlStringCbCopyNA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc, size_t cbToCopy)
{
    return RtlpSafeCopyOrCat(RtlpSafeCopy, FALSE, pszDest, cbDest, pszSrc, cbToCopy, FALSE, 0, NULL, NULL, TRUE);
}

/* ---- concatenate ---- */

NTSTATUS NTAPI RtlStringCchCatW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc)
{
    return RtlpSafeCopyOrCat(RtlpSafeCat, TRUE, pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_CCH, FALSE, 0, NULL, NULL,
                             FALSE);
}

NTSTATUS NTAPI RtlStringCchCatA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc)
{
    return RtlpSafeCopyOrCat(RtlpSafeCat, FALSE, pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_CCH, FALSE, 0, NULL, NULL,
                             FALSE);
}

NTSTATUS NTAPI RtlStringCbCatW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc)
{
    return RtlpSafeCopyOrCat(RtlpSafeCat, TRUE, pszDest, RTLP_CCH_W(cbDest), pszSrc, NTSTRSAFE_MAX_CCH, FALSE, 0, NULL,
                             NULL, TRUE);
}

NTSTATUS NTAPI RtlStringCbCatA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc)
{
    return RtlpSafeCopyOrCat(RtlpSafeCat, FALSE, pszDest, cbDest, pszSrc, NTSTRSAFE_MAX_CCH, FALSE, 0, NULL, NULL,
                             TRUE);
}

NTSTATUS NTAPI RtlStringCchCatExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc,
                                  NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcchRemaining, ULONG dwFlags)
{
    return RtlpSafeCopyOrCat(RtlpSafeCat, TRUE, pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_CCH, TRUE, dwFlags,
                             (PVOID *)ppszDestEnd, pcchRemaining, FALSE);
}

NTSTATUS NTAPI RtlStringCchCatExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc,
                                  NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcchRemaining, ULONG dwFlags)
{
    return RtlpSafeCopyOrCat(RtlpSafeCat, FALSE, pszDest, cchDest, pszSrc, NTSTRSAFE_MAX_CCH, TRUE, dwFlags,
                             (PVOID *)ppszDestEnd, pcchRemaining, FALSE);
}

NTSTATUS NTAPI RtlStringCbCatExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc,
                                 NTSTRSAFE_PWSTR *ppszDestEnd, size_t *pcbRemaining, ULONG dwFlags)
{
    return RtlpSafeCopyOrCat(RtlpSafeCat, TRUE, pszDest, RTLP_CCH_W(cbDest), pszSrc, NTSTRSAFE_MAX_CCH, TRUE, dwFlags,
                             (PVOID *)ppszDestEnd, pcbRemaining, TRUE);
}

NTSTATUS NTAPI RtlStringCbCatExA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc,
                                 NTSTRSAFE_PSTR *ppszDestEnd, size_t *pcbRemaining, ULONG dwFlags)
{
    return RtlpSafeCopyOrCat(RtlpSafeCat, FALSE, pszDest, cbDest, pszSrc, NTSTRSAFE_MAX_CCH, TRUE, dwFlags,
                             (PVOID *)ppszDestEnd, pcbRemaining, TRUE);
}

NTSTATUS NTAPI RtlStringCchCatNW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszSrc, size_t cchToAppend)
{
    return RtlpSafeCopyOrCat(RtlpSafeCat, TRUE, pszDest, cchDest, pszSrc, cchToAppend, FALSE, 0, NULL, NULL, FALSE);
}

NTSTATUS NTAPI RtlStringCchCatNA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszSrc, size_t cchToAppend)
{
    return RtlpSafeCopyOrCat(RtlpSafeCat, FALSE, pszDest, cchDest, pszSrc, cchToAppend, FALSE, 0, NULL, NULL, FALSE);
}

NTSTATUS NTAPI RtlStringCbCatNW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszSrc, size_t cbToAppend)
{
    return RtlpSafeCopyOrCat(RtlpSafeCat, TRUE, pszDest, RTLP_CCH_W(cbDest), pszSrc, RTLP_CCH_W(cbToAppend), FALSE, 0,
                             NULL, NULL, TRUE);
}

NTSTATUS NTAPI RtlStringCbCatNA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszSrc, size_t cbToAppend)
{
    return RtlpSafeCopyOrCat(RtlpSafeCat, FALSE, pszDest, cbDest, pszSrc, cbToAppend, FALSE, 0, NULL, NULL, TRUE);
}

/* ---- formatted output ---- */

NTSTATUS NTAPI RtlStringCchVPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszFormat,
                                    va_list argList)
{
    return RtlpSafePrintf(TRUE, pszDest, cchDest, FALSE, 0, NULL, NULL, FALSE, pszFormat, argList);
}

NTSTATUS NTAPI RtlStringCchVPrintfA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszFormat, va_list argList)
{
    return RtlpSafePrintf(FALSE, pszDest, cchDest, FALSE, 0, NULL, NULL, FALSE, pszFormat, argList);
}

NTSTATUS NTAPI RtlStringCbVPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszFormat, va_list argList)
{
    return RtlpSafePrintf(TRUE, pszDest, RTLP_CCH_W(cbDest), FALSE, 0, NULL, NULL, TRUE, pszFormat, argList);
}

NTSTATUS NTAPI RtlStringCbVPrintfA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszFormat, va_list argList)
{
    return RtlpSafePrintf(FALSE, pszDest, cbDest, FALSE, 0, NULL, NULL, TRUE, pszFormat, argList);
}

NTSTATUS NTAPI RtlStringCchVPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PWSTR *ppszDestEnd,
                                      size_t *pcchRemaining, ULONG dwFlags, NTSTRSAFE_PCWSTR pszFormat, va_list argList)
{
    return RtlpSafePrintf(TRUE, pszDest, cchDest, TRUE, dwFlags, (PVOID *)ppszDestEnd, pcchRemaining, FALSE, pszFormat,
                          argList);
}

NTSTATUS NTAPI RtlStringCchVPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PSTR *ppszDestEnd,
                                      size_t *pcchRemaining, ULONG dwFlags, NTSTRSAFE_PCSTR pszFormat, va_list argList)
{
    return RtlpSafePrintf(FALSE, pszDest, cchDest, TRUE, dwFlags, (PVOID *)ppszDestEnd, pcchRemaining, FALSE, pszFormat,
                          argList);
}

NTSTATUS NTAPI RtlStringCbVPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PWSTR *ppszDestEnd,
                                     size_t *pcbRemaining, ULONG dwFlags, NTSTRSAFE_PCWSTR pszFormat, va_list argList)
{
    return RtlpSafePrintf(TRUE, pszDest, RTLP_CCH_W(cbDest), TRUE, dwFlags, (PVOID *)ppszDestEnd, pcbRemaining, TRUE,
                          pszFormat, argList);
}

NTSTATUS NTAPI RtlStringCbVPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PSTR *ppszDestEnd,
                                     size_t *pcbRemaining, ULONG dwFlags, NTSTRSAFE_PCSTR pszFormat, va_list argList)
{
    return RtlpSafePrintf(FALSE, pszDest, cbDest, TRUE, dwFlags, (PVOID *)ppszDestEnd, pcbRemaining, TRUE, pszFormat,
                          argList);
}

/* The variadic forms only collect their arguments. */
#define RTLP_VARIADIC(Call, Last)                                                                                      \
    NTSTATUS Status;                                                                                                   \
    va_list Arguments;                                                                                                 \
    va_start(Arguments, Last);                                                                                         \
    Status = Call;                                                                                                     \
    va_end(Arguments);                                                                                                 \
    return Status

NTSTATUS NTAPI RtlStringCchPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PCWSTR pszFormat, ...)
{
    RTLP_VARIADIC(RtlStringCchVPrintfW(pszDest, cchDest, pszFormat, Arguments), pszFormat);
}

NTSTATUS NTAPI RtlStringCchPrintfA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PCSTR pszFormat, ...)
{
    RTLP_VARIADIC(RtlStringCchVPrintfA(pszDest, cchDest, pszFormat, Arguments), pszFormat);
}

NTSTATUS NTAPI RtlStringCbPrintfW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PCWSTR pszFormat, ...)
{
    RTLP_VARIADIC(RtlStringCbVPrintfW(pszDest, cbDest, pszFormat, Arguments), pszFormat);
}

NTSTATUS NTAPI RtlStringCbPrintfA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PCSTR pszFormat, ...)
{
    RTLP_VARIADIC(RtlStringCbVPrintfA(pszDest, cbDest, pszFormat, Arguments), pszFormat);
}

NTSTATUS NTAPI RtlStringCchPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cchDest, NTSTRSAFE_PWSTR *ppszDestEnd,
                                     size_t *pcchRemaining, ULONG dwFlags, NTSTRSAFE_PCWSTR pszFormat, ...)
{
    RTLP_VARIADIC(RtlStringCchVPrintfExW(pszDest, cchDest, ppszDestEnd, pcchRemaining, dwFlags, pszFormat, Arguments),
                  pszFormat);
}

NTSTATUS NTAPI RtlStringCchPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cchDest, NTSTRSAFE_PSTR *ppszDestEnd,
                                     size_t *pcchRemaining, ULONG dwFlags, NTSTRSAFE_PCSTR pszFormat, ...)
{
    RTLP_VARIADIC(RtlStringCchVPrintfExA(pszDest, cchDest, ppszDestEnd, pcchRemaining, dwFlags, pszFormat, Arguments),
                  pszFormat);
}

NTSTATUS NTAPI RtlStringCbPrintfExW(NTSTRSAFE_PWSTR pszDest, size_t cbDest, NTSTRSAFE_PWSTR *ppszDestEnd,
                                    size_t *pcbRemaining, ULONG dwFlags, NTSTRSAFE_PCWSTR pszFormat, ...)
{
    RTLP_VARIADIC(RtlStringCbVPrintfExW(pszDest, cbDest, ppszDestEnd, pcbRemaining, dwFlags, pszFormat, Arguments),
                  pszFormat);
}

NTSTATUS NTAPI RtlStringCbPrintfExA(NTSTRSAFE_PSTR pszDest, size_t cbDest, NTSTRSAFE_PSTR *ppszDestEnd,
                                    size_t *pcbRemaining, ULONG dwFlags, NTSTRSAFE_PCSTR pszFormat, ...)
{
    RTLP_VARIADIC(RtlStringCbVPrintfExA(pszDest, cbDest, ppszDestEnd, pcbRemaining, dwFlags, pszFormat, Arguments),
                  pszFormat);
}

/* ---- length ---- */

static NTSTATUS RtlpSafeLength(BOOLEAN Wide, const VOID *Text, SIZE_T CchMax, SIZE_T *CchLength)
{
    SIZE_T Length = 0;

    if (Text == NULL || CchMax > NTSTRSAFE_MAX_CCH) {
        if (CchLength != NULL)
            *CchLength = 0;
        return STATUS_INVALID_PARAMETER;
    }
    while (Length < CchMax && RtlpGetUnit(Text, Wide, Length) != 0)
        Length++;
    if (Length == CchMax) {
        /* No terminator within CchMax characters. */
        if (CchLength != NULL)
            *CchLength = 0;
        return STATUS_INVALID_PARAMETER;
    }
    if (CchLength != NULL)
        *CchLength = Length;
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI RtlStringCchLengthW(NTSTRSAFE_PCWSTR psz, size_t cchMax, size_t *pcchLength)
{
    return RtlpSafeLength(TRUE, psz, cchMax, pcchLength);
}

NTSTATUS NTAPI RtlStringCchLengthA(NTSTRSAFE_PCSTR psz, size_t cchMax, size_t *pcchLength)
{
    return RtlpSafeLength(FALSE, psz, cchMax, pcchLength);
}

NTSTATUS NTAPI RtlStringCbLengthW(NTSTRSAFE_PCWSTR psz, size_t cbMax, size_t *pcbLength)
{
    SIZE_T Length;
    NTSTATUS Status = RtlpSafeLength(TRUE, psz, RTLP_CCH_W(cbMax), &Length);
    if (pcbLength != NULL)
        *pcbLength = Length * sizeof(WCHAR);
    return Status;
}

NTSTATUS NTAPI RtlStringCbLengthA(NTSTRSAFE_PCSTR psz, size_t cbMax, size_t *pcbLength)
{
    return RtlpSafeLength(FALSE, psz, cbMax, pcbLength);
}

/* ---- UNICODE_STRING ---- */

#define RTLP_UNICODE_STRING_MAX_BYTES (NTSTRSAFE_UNICODE_STRING_MAX_CCH * sizeof(WCHAR))

/* Whole characters, Length <= MaximumLength <= the limit, and a buffer
   whenever either length is non-zero. */
static BOOLEAN RtlpIsValidUnicodeString(PCUNICODE_STRING String)
{
    return (BOOLEAN)(String != NULL && (String->Length % sizeof(WCHAR)) == 0 &&
                     (String->MaximumLength % sizeof(WCHAR)) == 0 && String->Length <= String->MaximumLength &&
                     String->MaximumLength <= RTLP_UNICODE_STRING_MAX_BYTES &&
                     (String->Buffer != NULL || (String->Length == 0 && String->MaximumLength == 0)));
}

NTSTATUS NTAPI RtlUnicodeStringValidate(PCUNICODE_STRING SourceString)
{
    return RtlpIsValidUnicodeString(SourceString) ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}

NTSTATUS NTAPI RtlUnicodeStringInit(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc)
{
    SIZE_T Length = 0;

    if (DestinationString == NULL)
        return STATUS_INVALID_PARAMETER;
    DestinationString->Length = 0;
    DestinationString->MaximumLength = 0;
    DestinationString->Buffer = NULL;
    if (pszSrc == NULL)
        return STATUS_SUCCESS;
    /* The string and its terminator must fit the 16-bit byte lengths. */
    while (pszSrc[Length] != UNICODE_NULL) {
        if (++Length >= NTSTRSAFE_UNICODE_STRING_MAX_CCH)
            return STATUS_INVALID_PARAMETER;
    }
    DestinationString->Buffer = (PWSTR)pszSrc;
    DestinationString->Length = (USHORT)(Length * sizeof(WCHAR));
    DestinationString->MaximumLength = (USHORT)((Length + 1) * sizeof(WCHAR));
    return STATUS_SUCCESS;
}

/* Copies (Append = FALSE) or appends up to Count characters of Source,
   stopping early at a NUL when StopAtNul. Counted: never terminated. */
static NTSTATUS RtlpUnicodeStringPut(PUNICODE_STRING Destination, const WCHAR *Source, SIZE_T Count, BOOLEAN StopAtNul,
                                     BOOLEAN Append)
{
    SIZE_T Capacity;
    SIZE_T Start;
    SIZE_T i = 0;

    if (!RtlpIsValidUnicodeString(Destination) || (Source == NULL && Count != 0))
        return STATUS_INVALID_PARAMETER;
    Capacity = Destination->MaximumLength / sizeof(WCHAR);
    Start = Append ? Destination->Length / sizeof(WCHAR) : 0;
    for (; i < Count; i++) {
        if (StopAtNul && Source[i] == UNICODE_NULL)
            break;
        if (Start + i == Capacity) {
            Destination->Length = (USHORT)(Capacity * sizeof(WCHAR));
            return STATUS_BUFFER_OVERFLOW;
        }
        Destination->Buffer[Start + i] = Source[i];
    }
    Destination->Length = (USHORT)((Start + i) * sizeof(WCHAR));
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI RtlUnicodeStringCopy(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString)
{
    if (!RtlpIsValidUnicodeString(SourceString))
        return STATUS_INVALID_PARAMETER;
    return RtlpUnicodeStringPut(DestinationString, SourceString->Buffer, SourceString->Length / sizeof(WCHAR), FALSE,
                                FALSE);
}

NTSTATUS NTAPI RtlUnicodeStringCopyString(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc)
{
    if (pszSrc == NULL)
        return STATUS_INVALID_PARAMETER;
    return RtlpUnicodeStringPut(DestinationString, pszSrc, NTSTRSAFE_MAX_CCH, TRUE, FALSE);
}

NTSTATUS NTAPI RtlUnicodeStringCat(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString)
{
    if (!RtlpIsValidUnicodeString(SourceString))
        return STATUS_INVALID_PARAMETER;
    return RtlpUnicodeStringPut(DestinationString, SourceString->Buffer, SourceString->Length / sizeof(WCHAR), FALSE,
                                TRUE);
}

NTSTATUS NTAPI RtlUnicodeStringCatString(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc)
{
    if (pszSrc == NULL)
        return STATUS_INVALID_PARAMETER;
    return RtlpUnicodeStringPut(DestinationString, pszSrc, NTSTRSAFE_MAX_CCH, TRUE, TRUE);
}

NTSTATUS NTAPI RtlUnicodeStringVPrintf(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszFormat, va_list argList)
{
    RTLP_FORMAT_OUTPUT Output;

    if (!RtlpIsValidUnicodeString(DestinationString) || pszFormat == NULL)
        return STATUS_INVALID_PARAMETER;
    memset(&Output, 0, sizeof(Output));
    Output.Wide = TRUE;
    Output.Buffer = DestinationString->Buffer;
    Output.Capacity = DestinationString->MaximumLength / sizeof(WCHAR);
    RtlpFormat(&Output, pszFormat, argList);
    DestinationString->Length = (USHORT)(Output.Count * sizeof(WCHAR));
    return Output.Truncated ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

NTSTATUS NTAPI RtlUnicodeStringPrintf(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszFormat, ...)
{
    RTLP_VARIADIC(RtlUnicodeStringVPrintf(DestinationString, pszFormat, Arguments), pszFormat);
}
