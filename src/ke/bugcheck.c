/*
 * irpsim — bug checks.
 *
 * On Windows a bug check stops the machine. irpsim prints a report that
 * explains the broken rule and stops the process — unless a test armed a
 * catch frame (IrpSimBeginBugCheckCatch), in which case the thread that
 * armed it unwinds to it and the test goes on. A bug check on a thread
 * without a frame, while some other thread has one armed, ends the crashing
 * thread (it was started by irpsim) and the catching thread picks the bug
 * check up at its next wait or when it disarms its frame.
 */
#include "../rtl/text.h"
#include "ki.h"
#include "../verifier/vf.h"
#include "except.h"
#include "../trace/tracep.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PAL_MUTEX KipBugCheckLock = PAL_MUTEX_INITIALIZER;
static PIRPSIM_BUGCHECK_HANDLER KipBugCheckHandler;
static PVOID KipBugCheckHandlerContext;
static volatile LONG KipArmedCatchFrames;

/* A bug check raised on a thread without a catch frame while another
   thread had one armed; delivered to the first catching thread that looks. */
static volatile LONG KipForeignPending;
static IRPSIM_BUGCHECK_INFO KipForeignInfo;
static CHAR KipForeignReport[8192];

VOID IrpSimSetBugCheckHandler(PIRPSIM_BUGCHECK_HANDLER Handler, PVOID Context)
{
    PalMutexLock(&KipBugCheckLock);
    KipBugCheckHandler = Handler;
    KipBugCheckHandlerContext = Context;
    PalMutexUnlock(&KipBugCheckLock);
}

static VOID KipFormatReport(const IRPSIM_BUGCHECK_INFO *Info, PKTHREAD Thread, PCHAR Buffer, SIZE_T Size)
{
    SIZE_T Used = 0;
    Used = RtlpAppendAt(Buffer, Size, Used,
                     "\n*** irpsim BUGCHECK 0x%08X %s\n", Info->Code, Info->Name);
    for (ULONG i = 0; i < 4; i++) {
        PCSTR Meaning = VfBugCheckParameterMeaning(Info->Code, Info->Parameter[0], i);
        /* irpsim's own codes pass text in some parameters: show the text. */
        if (strstr(Meaning, "(PCSTR)") != NULL && Info->Parameter[i] != 0) {
            Used = RtlpAppendAt(Buffer, Size, Used, "    P%u %-18s  %s: %s\n", i + 1, "", Meaning,
                             (PCSTR)Info->Parameter[i]);
            continue;
        }
        Used = RtlpAppendAt(Buffer, Size, Used, "    P%u 0x%016llx  %s\n", i + 1,
                         (unsigned long long)Info->Parameter[i], Meaning);
    }
    Used = RtlpAppendAt(Buffer, Size, Used, "Rule:  %s\n", Info->Rule);
    if (Thread != NULL) {
        Used = RtlpAppendAt(Buffer, Size, Used, "Where: thread %p (id %llu), processor %u, IRQL %u%s\n",
                         (void *)Thread, (unsigned long long)(ULONG_PTR)Thread->Cid.UniqueThread,
                         Thread->Processor, Thread->Irql, Thread->InDpc ? ", inside a DPC routine" : "");
    }
    if (Info->Irp != NULL) {
        Used = RtlpAppendAt(Buffer, Size, Used, "IRP:\n");
        Used += IopFormatIrp(Info->Irp, Buffer + Used, Size - Used);
        if (Used >= Size)
            Used = Size - 1;
    }
    Used = RtlpAppendAt(Buffer, Size, Used, "Fix:   %s\n", Info->Hint);
    (void)Used;
}

static PIRPSIM_BUGCHECK_CATCH KipFindArmedFrame(PKTHREAD Thread)
{
    return Thread != NULL ? Thread->BugCheckCatch : NULL;
}

DECLSPEC_NORETURN static VOID KipUnwindToFrame(PKTHREAD Thread, PIRPSIM_BUGCHECK_CATCH Frame)
{
    Frame->Caught = TRUE;
    Thread->BugCheckCatch = Frame->Previous;
    PAL_ATOMIC_SUB_FETCH(&KipArmedCatchFrames, 1, PAL_ORDER_SEQ_CST);
    KiResetThreadAfterBugCheck(Thread, Frame->Irql);
    /* The __try frames between the bug check and the catch are gone. */
    KiResetExceptionFrames(Frame->SehMarker);
    longjmp(Frame->JumpBuffer, 1);
}

static VOID KipFillFrame(PIRPSIM_BUGCHECK_CATCH Frame, const IRPSIM_BUGCHECK_INFO *Info, PCSTR Report)
{
    Frame->Info = *Info;
    snprintf(Frame->ReportBuffer, sizeof(Frame->ReportBuffer), "%s", Report);
    Frame->Info.Report = Frame->ReportBuffer;
}

VOID VfBugCheck(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4, PIRP Irp, PCSTR Rule,
                PCSTR Hint)
{
    static IRPSIM_THREAD_LOCAL CHAR Report[8192];
    PKTHREAD Thread = KiGetCurrentThreadIfAny();
    PIRPSIM_BUGCHECK_CATCH Frame = KipFindArmedFrame(Thread);
    IRPSIM_BUGCHECK_INFO Info;
    PIRPSIM_BUGCHECK_HANDLER Handler;
    PVOID HandlerContext;

    Info.Code = Code;
    Info.Parameter[0] = P1;
    Info.Parameter[1] = P2;
    Info.Parameter[2] = P3;
    Info.Parameter[3] = P4;
    Info.Name = VfBugCheckName(Code);
    Info.Rule = Rule != NULL ? Rule : VfBugCheckRule(Code, P1);
    Info.Hint = Hint != NULL ? Hint : VfBugCheckHint(Code, P1);
    Info.Irp = Irp;
    KipFormatReport(&Info, Thread, Report, sizeof(Report));
    Info.Report = Report;

    TRACE_TEXT(IrpSimTraceBugCheck, Irp, Code, P1, Info.Name);

    PalMutexLock(&KipBugCheckLock);
    Handler = KipBugCheckHandler;
    HandlerContext = KipBugCheckHandlerContext;
    PalMutexUnlock(&KipBugCheckLock);
    if (Handler != NULL)
        Handler(&Info, HandlerContext);

    if (Frame != NULL) {
        if (PalGetEnvironment("IRPSIM_PRINT_CAUGHT_BUGCHECKS") != NULL)
            fputs(Report, stderr);
        KipFillFrame(Frame, &Info, Report);
        KipUnwindToFrame(Thread, Frame);
    }

    if (PAL_ATOMIC_LOAD(&KipArmedCatchFrames, PAL_ORDER_SEQ_CST) > 0 && Thread != NULL &&
        Thread->HostThread != NULL) {
        /* Another thread expects a bug check: hand this one over and end
           the crashing thread, which irpsim itself started. */
        PalMutexLock(&KipBugCheckLock);
        if (!KipForeignPending) {
            KipForeignInfo = Info;
            snprintf(KipForeignReport, sizeof(KipForeignReport), "%s", Report);
            KipForeignInfo.Report = KipForeignReport;
            PAL_ATOMIC_STORE(&KipForeignPending, 1, PAL_ORDER_SEQ_CST);
        }
        PalMutexUnlock(&KipBugCheckLock);
        KiResetThreadAfterBugCheck(Thread, PASSIVE_LEVEL);
        KiWakeAllWaiters();
        KiTerminateCrashedThread(Thread);
    }

    fputs(Report, stderr);
    /* Leave the trace files behind: they show how the machine got here. */
    TraceWriteFilesBeforeAbort();
    fputs("irpsim: stopping (as Windows would). Arm a catch frame (IRPSIM_CATCH_BUGCHECK) to expect a bug check "
          "in a test.\n",
          stderr);
    PalAbort();
}

BOOLEAN KiForeignBugCheckPending(VOID)
{
    return PAL_ATOMIC_LOAD(&KipForeignPending, PAL_ORDER_SEQ_CST) != 0;
}

VOID KiRaiseForeignBugCheckIfPending(VOID)
{
    PKTHREAD Thread = KiGetCurrentThreadIfAny();
    PIRPSIM_BUGCHECK_CATCH Frame = KipFindArmedFrame(Thread);
    if (Frame == NULL || !KiForeignBugCheckPending())
        return;
    PalMutexLock(&KipBugCheckLock);
    if (!KipForeignPending) {
        PalMutexUnlock(&KipBugCheckLock);
        return;
    }
    KipFillFrame(Frame, &KipForeignInfo, KipForeignReport);
    PAL_ATOMIC_STORE(&KipForeignPending, 0, PAL_ORDER_SEQ_CST);
    PalMutexUnlock(&KipBugCheckLock);
    KipUnwindToFrame(Thread, Frame);
}

VOID IrpSimBeginBugCheckCatch(PIRPSIM_BUGCHECK_CATCH Catch)
{
    PKTHREAD Thread = KiGetCurrentThread();
    Catch->Caught = FALSE;
    Catch->Irql = Thread->Irql;
    Catch->SehMarker = KiCurrentExceptionFrameMarker();
    Catch->Info.Code = 0;
    Catch->Info.Report = NULL;
    Catch->ReportBuffer[0] = '\0';
    Catch->Previous = Thread->BugCheckCatch;
    Thread->BugCheckCatch = Catch;
    PAL_ATOMIC_ADD_FETCH(&KipArmedCatchFrames, 1, PAL_ORDER_SEQ_CST);
}

ULONG IrpSimEndBugCheckCatch(PIRPSIM_BUGCHECK_CATCH Catch)
{
    PKTHREAD Thread = KiGetCurrentThread();
    if (!Catch->Caught) {
        /* Still armed: a bug check on another thread may be waiting for us. */
        if (Thread->BugCheckCatch == Catch && KiForeignBugCheckPending()) {
            PalMutexLock(&KipBugCheckLock);
            if (KipForeignPending) {
                KipFillFrame(Catch, &KipForeignInfo, KipForeignReport);
                Catch->Caught = TRUE;
                PAL_ATOMIC_STORE(&KipForeignPending, 0, PAL_ORDER_SEQ_CST);
            }
            PalMutexUnlock(&KipBugCheckLock);
        }
        if (Thread->BugCheckCatch == Catch) {
            Thread->BugCheckCatch = Catch->Previous;
            PAL_ATOMIC_SUB_FETCH(&KipArmedCatchFrames, 1, PAL_ORDER_SEQ_CST);
        }
    }
    return Catch->Caught ? Catch->Info.Code : 0;
}

VOID NTAPI KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4)
{
    PIRP Irp = NULL;
    /* For these codes the first parameter is the IRP: show it in the report. */
    if (BugCheckCode == NO_MORE_IRP_STACK_LOCATIONS || BugCheckCode == MULTIPLE_IRP_COMPLETE_REQUESTS ||
        BugCheckCode == CANCEL_STATE_IN_COMPLETED_IRP || BugCheckCode == DRIVER_RETURNED_HOLDING_CANCEL_LOCK)
        Irp = (PIRP)P1;
    VfBugCheck(BugCheckCode, P1, P2, P3, P4, Irp, NULL, NULL);
}

VOID NTAPI KeBugCheck(ULONG BugCheckCode)
{
    VfBugCheck(BugCheckCode, 0, 0, 0, 0, NULL, NULL, NULL);
}

VOID VfNotSimulated(PCSTR RoutineName, PCSTR Why)
{
    VfBugCheck(IRPSIM_NOT_SIMULATED, (ULONG_PTR)RoutineName, 0, 0, 0, NULL, Why, NULL);
}

VOID NTAPI RtlFailFast(ULONG Code)
{
    VfBugCheck(KERNEL_SECURITY_CHECK_FAILURE, Code, 0, 0, 0, NULL, NULL, NULL);
}
