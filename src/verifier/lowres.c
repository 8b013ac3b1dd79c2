/*
 * irpsim — low-resources simulation (Driver Verifier's "low resources
 * simulation", SEMANTICS.md 10.1): allocation entry points fail on a
 * schedule, so that a driver's STATUS_INSUFFICIENT_RESOURCES paths run.
 *
 * Every entry point (ExpAllocatePool — the one path of every
 * ExAllocatePool* spelling —, IoAllocateIrp and what builds on it,
 * IoAllocateMdl, lookaside lists) asks VfInjectFailure before it
 * allocates. IoAllocateWorkItem allocates its item from pool with its own
 * tag while the driver runs, so the pool path recognises that tag and
 * counts it as a work item. One request is one decision: an entry point
 * that allocates pool for itself after asking brackets that with
 * VfSuppressInjection / VfResumeInjection.
 *
 * Only allocations made while driver code runs are eligible (Windows
 * applies the simulation to verified drivers only), so irpsim's own
 * requests and the test's never fail. The schedule is deterministic for a
 * given seed and order of allocations.
 */
#include "vfp.h"
#include "../ke/ki.h"
#include "../trace/tracep.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

/* IoAllocateWorkItem's pool tag (src/io/workitem.c). */
#define VFP_WORKITEM_TAG 'kWoI'

static PAL_MUTEX VfpLowLock = PAL_MUTEX_INITIALIZER;
volatile LONG VfLowResourcesActive; /* vf.h: VfLowResourcesArmed */
static IRPSIM_LOW_RESOURCES VfpLow;
static WCHAR VfpLowName[128];
static ULONGLONG VfpEligible, VfpFailed;
static ULONGLONG VfpRandomState;
static IRPSIM_THREAD_LOCAL ULONG VfpSuppressDepth;

VOID VfSuppressInjection(VOID)
{
    VfpSuppressDepth++;
}

VOID VfResumeInjection(VOID)
{
    if (VfpSuppressDepth != 0)
        VfpSuppressDepth--;
}

/* splitmix64: small, good enough, and ours. */
static ULONGLONG VfpNextRandom(VOID)
{
    ULONGLONG z = (VfpRandomState += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static PCSTR VfpKindName(VF_ALLOCATION_KIND Kind)
{
    switch (Kind) {
    case VfAllocateIrp:
        return "IRP";
    case VfAllocateMdl:
        return "MDL";
    case VfAllocateWorkItem:
        return "work item";
    case VfAllocateLookaside:
        return "lookaside";
    default:
        return "pool";
    }
}

/* "\Driver\Tst" matches "\Driver\Tst" and "Tst", case-insensitively. */
static BOOLEAN VfpDriverMatches(PDRIVER_OBJECT Driver, PCWSTR Wanted)
{
    PCWSTR Name = Driver->DriverName.Buffer;
    SIZE_T Length = Driver->DriverName.Length / sizeof(WCHAR);
    SIZE_T WantedLength = wcslen(Wanted);
    if (Name == NULL)
        return FALSE;
    if (wcschr(Wanted, L'\\') == NULL) {
        SIZE_T Start = Length;
        while (Start > 0 && Name[Start - 1] != L'\\')
            Start--;
        Name += Start;
        Length -= Start;
    }
    if (Length != WantedLength)
        return FALSE;
    for (SIZE_T i = 0; i < Length; i++) {
        if (towlower((wint_t)Name[i]) != towlower((wint_t)Wanted[i]))
            return FALSE;
    }
    return TRUE;
}

BOOLEAN VfInjectFailure(VF_ALLOCATION_KIND Kind, ULONG Tag, SIZE_T Size, PCSTR Routine)
{
    PDRIVER_OBJECT Driver;
    BOOLEAN Fail = FALSE;
    ULONGLONG Number = 0;

    if (PAL_ATOMIC_LOAD(&VfLowResourcesActive, PAL_ORDER_RELAXED) == 0 || VfpSuppressDepth != 0)
        return FALSE;
    Driver = KiCurrentDriver();
    if (Driver == NULL || !VfRuleEnabled(IRPSIM_VERIFIER_LOW_RESOURCES))
        return FALSE;
    if (Kind == VfAllocatePool && Tag == VFP_WORKITEM_TAG)
        Kind = VfAllocateWorkItem;

    PalMutexLock(&VfpLowLock);
    if (VfpLow.Enabled && (VfpLow.Kinds & (ULONG)Kind) != 0 && (VfpLow.Tag == 0 || VfpLow.Tag == Tag) &&
        (VfpLow.Driver == NULL || VfpLow.Driver == Driver) &&
        (VfpLow.DriverName == NULL || VfpDriverMatches(Driver, VfpLow.DriverName))) {
        Number = ++VfpEligible;
        if (Number > VfpLow.After) {
            ULONGLONG Since = Number - VfpLow.After;
            if (VfpLow.Every == 0 && VfpLow.Probability <= 0.0)
                Fail = TRUE;
            if (VfpLow.Every != 0 && Since % VfpLow.Every == 0)
                Fail = TRUE;
            if (VfpLow.Probability > 0.0 &&
                (double)(VfpNextRandom() >> 11) * (1.0 / 9007199254740992.0) < VfpLow.Probability)
                Fail = TRUE;
        }
        if (Fail)
            VfpFailed++;
    }
    PalMutexUnlock(&VfpLowLock);

    if (Fail && PAL_ATOMIC_LOAD(&TraceActive, PAL_ORDER_RELAXED) != 0) {
        CHAR Text[96];
        CHAR TagText[5];
        RtlpFormatPoolTag(Tag, TagText);
        snprintf(Text, sizeof(Text), "low resources: %s failed (%s, %zu bytes, tag '%s', #%llu)", Routine,
                 VfpKindName(Kind), (size_t)Size, TagText, (unsigned long long)Number);
        /* A1 0: not a bug check, an injected failure; A2 the kind. */
        TRACE_TEXT(IrpSimTraceVerifier, Driver, 0, Kind, Text);
    }
    return Fail;
}

/* ---- settings ---- */

/* Caller holds VfpLowLock. */
static VOID VfpApplyLocked(const IRPSIM_LOW_RESOURCES *Settings)
{
    memset(&VfpLow, 0, sizeof(VfpLow));
    VfpLowName[0] = L'\0';
    if (Settings != NULL && Settings->Enabled) {
        VfpLow = *Settings;
        VfpLow.Size = sizeof(VfpLow);
        if (VfpLow.Kinds == 0)
            VfpLow.Kinds = IRPSIM_LOW_RESOURCES_ALL;
        if (Settings->DriverName != NULL && Settings->DriverName[0] != L'\0') {
            wcsncpy(VfpLowName, Settings->DriverName, RTL_NUMBER_OF(VfpLowName) - 1);
            VfpLowName[RTL_NUMBER_OF(VfpLowName) - 1] = L'\0';
            VfpLow.DriverName = VfpLowName;
        } else {
            VfpLow.DriverName = NULL;
        }
    }
    VfpEligible = VfpFailed = 0;
    VfpRandomState = VfpLow.Seed;
    PAL_ATOMIC_STORE(&VfLowResourcesActive, VfpLow.Enabled ? 1 : 0, PAL_ORDER_RELAXED);
}

NTSTATUS IrpSimSetLowResources(const IRPSIM_LOW_RESOURCES *Settings)
{
    if (Settings != NULL) {
        if (Settings->Size != sizeof(IRPSIM_LOW_RESOURCES))
            return STATUS_INVALID_PARAMETER;
        if (!(Settings->Probability >= 0.0 && Settings->Probability <= 1.0))
            return STATUS_INVALID_PARAMETER;
    }
    PalMutexLock(&VfpLowLock);
    VfpApplyLocked(Settings);
    PalMutexUnlock(&VfpLowLock);
    return STATUS_SUCCESS;
}

VOID IrpSimQueryLowResources(IRPSIM_LOW_RESOURCES_STATS *Stats)
{
    PalMutexLock(&VfpLowLock);
    Stats->Eligible = VfpEligible;
    Stats->Failed = VfpFailed;
    PalMutexUnlock(&VfpLowLock);
}

static BOOLEAN VfpKeyIs(PCSTR Key, SIZE_T Length, PCSTR Name)
{
    return strlen(Name) == Length && strncmp(Key, Name, Length) == 0;
}

static ULONG VfpParseKinds(PCSTR Value, SIZE_T Length)
{
    ULONG Kinds = 0;
    SIZE_T i = 0;
    while (i < Length) {
        SIZE_T Start = i;
        while (i < Length && Value[i] != '+' && Value[i] != '|' && Value[i] != '/')
            i++;
        if (VfpKeyIs(Value + Start, i - Start, "pool"))
            Kinds |= IRPSIM_LOW_RESOURCES_POOL;
        else if (VfpKeyIs(Value + Start, i - Start, "irp"))
            Kinds |= IRPSIM_LOW_RESOURCES_IRP;
        else if (VfpKeyIs(Value + Start, i - Start, "mdl"))
            Kinds |= IRPSIM_LOW_RESOURCES_MDL;
        else if (VfpKeyIs(Value + Start, i - Start, "workitem") || VfpKeyIs(Value + Start, i - Start, "work"))
            Kinds |= IRPSIM_LOW_RESOURCES_WORKITEM;
        else if (VfpKeyIs(Value + Start, i - Start, "lookaside"))
            Kinds |= IRPSIM_LOW_RESOURCES_LOOKASIDE;
        else if (VfpKeyIs(Value + Start, i - Start, "all"))
            Kinds |= IRPSIM_LOW_RESOURCES_ALL;
        else
            return 0;
        i++;
    }
    return Kinds;
}

BOOLEAN VfpParseLowResources(PCSTR Text, PIRPSIM_LOW_RESOURCES Settings, PWCHAR NameBuffer, SIZE_T NameCount)
{
    PCSTR p = Text;
    memset(Settings, 0, sizeof(*Settings));
    Settings->Size = sizeof(*Settings);
    Settings->Enabled = TRUE;
    if (strcmp(Text, "0") == 0 || strcmp(Text, "off") == 0) {
        Settings->Enabled = FALSE;
        return TRUE;
    }
    while (*p != '\0') {
        PCSTR Key, Value, End;
        SIZE_T KeyLength, ValueLength;
        CHAR Number[64];
        while (*p == ',' || *p == ' ' || *p == ';')
            p++;
        if (*p == '\0')
            break;
        Key = p;
        while (*p != '\0' && *p != '=' && *p != ',' && *p != ';')
            p++;
        KeyLength = (SIZE_T)(p - Key);
        if (*p != '=') {
            fprintf(stderr, "irpsim: IRPSIM_LOW_RESOURCES: '%.*s' needs a value (key=value)\n", (int)KeyLength, Key);
            return FALSE;
        }
        Value = ++p;
        while (*p != '\0' && *p != ',' && *p != ';')
            p++;
        End = p;
        ValueLength = (SIZE_T)(End - Value);
        snprintf(Number, sizeof(Number), "%.*s", (int)ValueLength, Value);
        if (VfpKeyIs(Key, KeyLength, "every")) {
            Settings->Every = (ULONG)strtoul(Number, NULL, 0);
        } else if (VfpKeyIs(Key, KeyLength, "after")) {
            Settings->After = (ULONG)strtoul(Number, NULL, 0);
        } else if (VfpKeyIs(Key, KeyLength, "p") || VfpKeyIs(Key, KeyLength, "probability")) {
            Settings->Probability = strtod(Number, NULL);
            if (!(Settings->Probability >= 0.0 && Settings->Probability <= 1.0)) {
                fprintf(stderr, "irpsim: IRPSIM_LOW_RESOURCES: p=%s is not between 0 and 1\n", Number);
                return FALSE;
            }
        } else if (VfpKeyIs(Key, KeyLength, "seed")) {
            Settings->Seed = (ULONG)strtoul(Number, NULL, 0);
        } else if (VfpKeyIs(Key, KeyLength, "tag")) {
            /* As tools show it: "Tst1" is the tag a driver writes '1tsT'. */
            if (ValueLength > 2 && Value[0] == '0' && (Value[1] == 'x' || Value[1] == 'X')) {
                Settings->Tag = (ULONG)strtoul(Number, NULL, 16);
            } else if (ValueLength >= 1 && ValueLength <= 4) {
                Settings->Tag = 0;
                for (SIZE_T i = 0; i < 4; i++)
                    Settings->Tag |= (ULONG)(UCHAR)(i < ValueLength ? Value[i] : ' ') << (8 * i);
            } else {
                fprintf(stderr, "irpsim: IRPSIM_LOW_RESOURCES: tag=%s is not 1 to 4 characters\n", Number);
                return FALSE;
            }
        } else if (VfpKeyIs(Key, KeyLength, "driver")) {
            SIZE_T i;
            for (i = 0; i < ValueLength && i + 1 < NameCount; i++)
                NameBuffer[i] = (WCHAR)(UCHAR)Value[i];
            NameBuffer[i] = L'\0';
            Settings->DriverName = NameBuffer;
        } else if (VfpKeyIs(Key, KeyLength, "kinds") || VfpKeyIs(Key, KeyLength, "kind")) {
            Settings->Kinds = VfpParseKinds(Value, ValueLength);
            if (Settings->Kinds == 0) {
                fprintf(stderr,
                        "irpsim: IRPSIM_LOW_RESOURCES: kinds=%s: use pool, irp, mdl, workitem, lookaside "
                        "joined with '+'\n",
                        Number);
                return FALSE;
            }
        } else {
            fprintf(stderr,
                    "irpsim: IRPSIM_LOW_RESOURCES: unknown key '%.*s' (every, after, p, seed, tag, driver, "
                    "kinds)\n",
                    (int)KeyLength, Key);
            return FALSE;
        }
    }
    return TRUE;
}

VOID VfpInitializeLowResources(PCSTR Environment)
{
    IRPSIM_LOW_RESOURCES Settings;
    WCHAR Name[128];
    PalMutexLock(&VfpLowLock);
    VfpApplyLocked(NULL);
    PalMutexUnlock(&VfpLowLock);
    if (Environment == NULL || Environment[0] == '\0')
        return;
    if (!VfpParseLowResources(Environment, &Settings, Name, RTL_NUMBER_OF(Name))) {
        fprintf(stderr, "irpsim: IRPSIM_LOW_RESOURCES='%s' ignored\n", Environment);
        return;
    }
    (void)IrpSimSetLowResources(&Settings);
}

VOID VfpShutdownLowResources(VOID)
{
    /* The counters stay readable; nothing else is held. */
}

VOID VfpWriteLowResourcesSummary(FILE *Stream)
{
    ULONGLONG Eligible, Failed;
    PalMutexLock(&VfpLowLock);
    Eligible = VfpEligible;
    Failed = VfpFailed;
    PalMutexUnlock(&VfpLowLock);
    if (Failed != 0)
        fprintf(Stream, "irpsim: low-resources simulation failed %llu of %llu eligible allocation(s)\n",
                (unsigned long long)Failed, (unsigned long long)Eligible);
}
