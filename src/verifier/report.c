/*
 * irpsim — verifier reports: what happens when a check fails.
 *
 * A fatal report is a bug check. A non-fatal one (or a warning) is, by
 * default, printed on stderr the first time it happens — the full text:
 * code, parameters and their meaning, the rule, where, the IRP, the fix —
 * and recorded, counted and traced every time; then the driver goes on,
 * as Windows does with a kernel debugger attached. "The same report" is
 * the same code, subcode and second parameter (for most I/O reports the
 * code address or routine), so a buggy routine called a thousand times
 * prints once.
 *
 * The records are kept in memory for tests (IrpSimVerifierGetReport), at
 * most VFP_MAX_RECORDS of them; the counts go on beyond that.
 */
#include "vfp.h"
#include "../ke/ki.h"
#include "../trace/tracep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VFP_MAX_RECORDS 4096
#define RTLP_TEXT_SIZE   8192

/* One distinct report (code, subcode, P2): its count and first text. */
typedef struct _VFP_KEY {
    ULONG Code;
    ULONG_PTR SubCode;
    ULONG_PTR P2; /* or a hash of the text P2 points to (P2Text) */
    BOOLEAN P2Text;
    ULONG Count;
    PCHAR Text;      /* the full report, printed once */
    PCHAR FirstRule; /* for the summary */
} VFP_KEY;

typedef struct _VFP_RECORD {
    IRPSIM_VERIFIER_REPORT Report; /* Rule / Hint point to the copies below */
    PCHAR Rule;
    PCHAR Hint;
    ULONG Key;
} VFP_RECORD;

static PAL_MUTEX VfpReportLock = PAL_MUTEX_INITIALIZER;
static VFP_KEY *VfpKeys;
static ULONG VfpKeyCount, VfpKeyCapacity;
static VFP_RECORD *VfpRecords;
static ULONG VfpRecordCount, VfpRecordCapacity;
static ULONG VfpTotalReports;
static volatile LONG VfpShutdownPhase; /* IrpSimShutdown is unloading drivers */
static PIRPSIM_VERIFIER_REPORT_HANDLER VfpHandler;
static PVOID VfpHandlerContext;

static PCSTR VfpSeverityName(IRPSIM_VERIFIER_SEVERITY Severity)
{
    switch (Severity) {
    case IrpSimVerifierWarning:
        return "warning";
    case IrpSimVerifierNonFatal:
        return "non-fatal";
    default:
        return "fatal";
    }
}

VOID VfSetShutdownPhase(BOOLEAN ShuttingDown)
{
    PAL_ATOMIC_STORE(&VfpShutdownPhase, ShuttingDown ? 1 : 0, PAL_ORDER_RELAXED);
}

static BOOLEAN VfpReportOnly(const VF_RULE *Rule)
{
    return PAL_ATOMIC_LOAD(&VfpShutdownPhase, PAL_ORDER_RELAXED) != 0 &&
           (Rule->Class & (IRPSIM_VERIFIER_UNLOAD | IRPSIM_VERIFIER_POOL)) != 0;
}

static PCHAR VfpCopy(PCSTR Text)
{
    SIZE_T Length = Text != NULL ? strlen(Text) : 0;
    PCHAR Copy = (PCHAR)malloc(Length + 1);
    if (Copy != NULL) {
        if (Length != 0)
            memcpy(Copy, Text, Length);
        Copy[Length] = '\0';
    }
    return Copy;
}

static VOID VfpFormat(RTLP_TEXT *Text, const VF_RULE *Rule, ULONG Code, const ULONG_PTR P[4], PIRP Irp, PCSTR RuleText,
                      PCSTR Hint)
{
    PKTHREAD Thread = KiGetCurrentThreadIfAny();
    CHAR Driver[128];

    RtlpTextAppend(Text, "\n*** irpsim VERIFIER: %s report 0x%X/0x%llX %s (rule class: %s)\n",
              VfpSeverityName(Rule->Severity), Code, (unsigned long long)P[0], VfBugCheckName(Code),
              VfClassName(Rule->Class));
    for (ULONG i = 0; i < 4; i++) {
        PCSTR Meaning = VfBugCheckParameterMeaning(Code, P[0], i);
        if (strstr(Meaning, "(PCSTR)") != NULL && P[i] != 0)
            RtlpTextAppend(Text, "    P%u %-18s  %s: %s\n", i + 1, "", Meaning, (PCSTR)P[i]);
        else
            RtlpTextAppend(Text, "    P%u 0x%016llx  %s\n", i + 1, (unsigned long long)P[i], Meaning);
    }
    RtlpTextAppend(Text, "Rule:  %s\n", RuleText);
    if (Thread != NULL) {
        IopFormatDriverName(Thread->CurrentDriver, Driver, sizeof(Driver));
        RtlpTextAppend(Text, "Where: thread %p, processor %u, IRQL %u%s, running code of %s\n", (void *)Thread,
                  Thread->Processor, Thread->Irql, Thread->InDpc ? ", inside a DPC routine" : "", Driver);
    }
    if (Irp != NULL && Text->Used < Text->Size - 1) {
        RtlpTextAppend(Text, "IRP:\n");
        Text->Used += IopFormatIrp(Irp, Text->Buffer + Text->Used, Text->Size - Text->Used);
        if (Text->Used >= Text->Size)
            Text->Used = Text->Size - 1;
    }
    RtlpTextAppend(Text, "Fix:   %s\n", Hint);
    if (Rule->Severity == IrpSimVerifierFatal)
        RtlpTextAppend(Text, "(Found while IrpSimShutdown unloaded the driver: reported instead of raised. Unload the "
                        "driver with IrpSimUnloadDriver in the test to get the bug check.)\n");
    else
        RtlpTextAppend(Text,
                  "(irpsim continues, as Windows does for a non-fatal report. Later reports of this kind are "
                  "counted, not printed: IrpSimVerifierCountReports. IRPSIM_VERIFIER_NONFATAL=stop makes them bug "
                  "checks.)\n");
}

/* Finds or adds the key; lock held. Returns its index, or -1 out of memory. */
static LONG VfpFindKeyLocked(ULONG Code, ULONG_PTR SubCode, ULONG_PTR P2)
{
    for (ULONG i = 0; i < VfpKeyCount; i++) {
        if (VfpKeys[i].Code == Code && VfpKeys[i].SubCode == SubCode && VfpKeys[i].P2 == P2)
            return (LONG)i;
    }
    if (VfpKeyCount == VfpKeyCapacity) {
        ULONG NewCapacity = VfpKeyCapacity ? VfpKeyCapacity * 2 : 32;
        VFP_KEY *Grown = (VFP_KEY *)realloc(VfpKeys, NewCapacity * sizeof(*Grown));
        if (Grown == NULL)
            return -1;
        VfpKeys = Grown;
        VfpKeyCapacity = NewCapacity;
    }
    memset(&VfpKeys[VfpKeyCount], 0, sizeof(VfpKeys[0]));
    VfpKeys[VfpKeyCount].Code = Code;
    VfpKeys[VfpKeyCount].SubCode = SubCode;
    VfpKeys[VfpKeyCount].P2 = P2;
    return (LONG)VfpKeyCount++;
}

/* P2 is the text (a driver name) for some reports: the same text is the
   same report, wherever the caller keeps it. */
static ULONG_PTR VfpKeyOf(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, PBOOLEAN IsText)
{
    ULONG64 Hash = 0xcbf29ce484222325ull;
    *IsText = P2 != 0 && strstr(VfBugCheckParameterMeaning(Code, P1, 1), "(PCSTR)") != NULL;
    if (!*IsText)
        return P2;
    for (PCSTR p = (PCSTR)P2; *p != '\0'; p++)
        Hash = (Hash ^ (UCHAR)*p) * 0x100000001b3ull;
    return (ULONG_PTR)Hash;
}

VOID VfReport(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4, PIRP Irp, PCSTR Rule, PCSTR Hint)
{
    static IRPSIM_THREAD_LOCAL CHAR Buffer[RTLP_TEXT_SIZE];
    const VF_RULE *Entry = VfFindRule(Code, P1);
    ULONG_PTR P[4] = {P1, P2, P3, P4};
    RTLP_TEXT Text = {Buffer, sizeof(Buffer), 0};
    PKTHREAD Thread = KiGetCurrentThreadIfAny();
    PIRPSIM_VERIFIER_REPORT_HANDLER Handler;
    PVOID HandlerContext;
    IRPSIM_VERIFIER_REPORT Copy;
    BOOLEAN Print = FALSE;
    BOOLEAN Recorded = FALSE;
    BOOLEAN KeyIsText;
    ULONG_PTR KeyP2;
    LONG Key;

    if (Entry != NULL && !VfRuleEnabled(Entry->Class))
        return;
    /* What drivers leave when IrpSimShutdown unloads them is reported, not
       raised: nothing could catch it, and the machine is going away. */
    if (Entry == NULL || (!VfpReportOnly(Entry) && (Entry->Severity == IrpSimVerifierFatal || VfNonFatalStops())))
        VfBugCheck(Code, P1, P2, P3, P4, Irp, Rule, Hint);

    if (Rule == NULL)
        Rule = VfBugCheckRule(Code, P1);
    if (Hint == NULL)
        Hint = VfBugCheckHint(Code, P1);
    VfpFormat(&Text, Entry, Code, P, Irp, Rule, Hint);
    KeyP2 = VfpKeyOf(Code, P1, P2, &KeyIsText);

    memset(&Copy, 0, sizeof(Copy));
    Copy.Code = Code;
    memcpy(Copy.Parameter, P, sizeof(P));
    Copy.RuleClass = Entry->Class;
    Copy.Severity = Entry->Severity;
    Copy.Irp = Irp;
    Copy.Driver = Thread != NULL ? Thread->CurrentDriver : NULL;
    Copy.Name = VfBugCheckName(Code);

    PalMutexLock(&VfpReportLock);
    VfpTotalReports++;
    Key = VfpFindKeyLocked(Code, P1, KeyP2);
    if (Key >= 0) {
        VFP_KEY *K = &VfpKeys[Key];
        K->P2Text = KeyIsText;
        Copy.Occurrence = ++K->Count;
        if (K->Text == NULL) {
            K->Text = VfpCopy(Buffer);
            K->FirstRule = VfpCopy(Rule);
            Print = TRUE;
        }
        Copy.Text = K->Text;
    }
    if (VfpRecordCount < VFP_MAX_RECORDS) {
        if (VfpRecordCount == VfpRecordCapacity) {
            ULONG NewCapacity = VfpRecordCapacity ? VfpRecordCapacity * 2 : 32;
            VFP_RECORD *Grown = (VFP_RECORD *)realloc(VfpRecords, NewCapacity * sizeof(*Grown));
            if (Grown != NULL) {
                VfpRecords = Grown;
                VfpRecordCapacity = NewCapacity;
            }
        }
        if (VfpRecordCount < VfpRecordCapacity) {
            VFP_RECORD *R = &VfpRecords[VfpRecordCount++];
            R->Rule = VfpCopy(Rule);
            R->Hint = VfpCopy(Hint);
            R->Key = (ULONG)Key;
            R->Report = Copy;
            R->Report.Rule = R->Rule;
            R->Report.Hint = R->Hint;
            Copy = R->Report;
            Recorded = TRUE;
        }
    }
    Handler = VfpHandler;
    HandlerContext = VfpHandlerContext;
    PalMutexUnlock(&VfpReportLock);

    if (Print)
        fputs(Buffer, stderr);
    TRACE_EVENT(IrpSimTraceVerifier, Irp, Code, P1, P2);
    if (Handler != NULL) {
        if (!Recorded) {
            Copy.Rule = Rule;
            Copy.Hint = Hint;
            if (Copy.Text == NULL)
                Copy.Text = Buffer;
        }
        Handler(&Copy, HandlerContext);
    }
}

/* ---- the API ---- */

static VOID VfpFreeAllLocked(VOID)
{
    for (ULONG i = 0; i < VfpRecordCount; i++) {
        free(VfpRecords[i].Rule);
        free(VfpRecords[i].Hint);
    }
    for (ULONG i = 0; i < VfpKeyCount; i++) {
        free(VfpKeys[i].Text);
        free(VfpKeys[i].FirstRule);
    }
    free(VfpRecords);
    free(VfpKeys);
    VfpRecords = NULL;
    VfpKeys = NULL;
    VfpRecordCount = VfpRecordCapacity = 0;
    VfpKeyCount = VfpKeyCapacity = 0;
    VfpTotalReports = 0;
}

VOID VfpResetReports(VOID)
{
    VfSetShutdownPhase(FALSE);
    PalMutexLock(&VfpReportLock);
    VfpFreeAllLocked();
    VfpHandler = NULL;
    VfpHandlerContext = NULL;
    PalMutexUnlock(&VfpReportLock);
}

VOID IrpSimVerifierClearReports(VOID)
{
    PalMutexLock(&VfpReportLock);
    VfpFreeAllLocked();
    PalMutexUnlock(&VfpReportLock);
}

ULONG IrpSimVerifierReportCount(VOID)
{
    ULONG Count;
    PalMutexLock(&VfpReportLock);
    Count = VfpTotalReports;
    PalMutexUnlock(&VfpReportLock);
    return Count;
}

BOOLEAN IrpSimVerifierGetReport(ULONG Index, PIRPSIM_VERIFIER_REPORT Report)
{
    BOOLEAN Found;
    PalMutexLock(&VfpReportLock);
    Found = Index < VfpRecordCount;
    if (Found)
        *Report = VfpRecords[Index].Report;
    PalMutexUnlock(&VfpReportLock);
    return Found;
}

ULONG IrpSimVerifierCountReports(ULONG Code, ULONG_PTR SubCode)
{
    ULONG Count = 0;
    PalMutexLock(&VfpReportLock);
    /* The keys count every report, also those beyond the kept records. */
    for (ULONG i = 0; i < VfpKeyCount; i++) {
        if (VfpKeys[i].Code == Code && (SubCode == IRPSIM_VERIFIER_ANY_SUBCODE || VfpKeys[i].SubCode == SubCode))
            Count += VfpKeys[i].Count;
    }
    PalMutexUnlock(&VfpReportLock);
    return Count;
}

VOID IrpSimVerifierSetReportHandler(PIRPSIM_VERIFIER_REPORT_HANDLER Handler, PVOID Context)
{
    PalMutexLock(&VfpReportLock);
    VfpHandler = Handler;
    VfpHandlerContext = Context;
    PalMutexUnlock(&VfpReportLock);
}

VOID VfWriteReportSummary(FILE *Stream)
{
    PalMutexLock(&VfpReportLock);
    if (VfpTotalReports != 0) {
        fprintf(Stream, "irpsim: %lu non-fatal verifier report(s) this session:\n", (unsigned long)VfpTotalReports);
        for (ULONG i = 0; i < VfpKeyCount; i++) {
            const VFP_KEY *K = &VfpKeys[i];
            if (K->P2Text)
                fprintf(Stream, "  0x%X/0x%llX x%lu: %s\n", K->Code, (unsigned long long)K->SubCode,
                        (unsigned long)K->Count, K->FirstRule != NULL ? K->FirstRule : "");
            else
                fprintf(Stream, "  0x%X/0x%llX (P2 %p) x%lu: %s\n", K->Code, (unsigned long long)K->SubCode,
                        (void *)K->P2, (unsigned long)K->Count, K->FirstRule != NULL ? K->FirstRule : "");
        }
    }
    PalMutexUnlock(&VfpReportLock);
}
