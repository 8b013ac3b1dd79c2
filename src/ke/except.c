/*
 * irpsim — structured exception dispatch behind <irpsim/wdk/seh.h>.
 *
 * Each thread keeps a list of its live __try frames (innermost first) in
 * thread-local storage. Raising searches the list without leaving the
 * raise point (Windows' first phase): frames whose body is not running
 * are out of scope, __finally frames take no part, and an __except frame
 * whose filter is a constant decides at once. A frame whose filter must
 * be evaluated ends the search there: it is unwound to and evaluated in
 * place, and if it says EXCEPTION_CONTINUE_SEARCH the search goes on
 * outwards. The unwind (the second phase) longjmps to each __finally frame
 * in turn, innermost first; when that __finally block ends, its loop
 * resumes the unwind toward the target.
 *
 * A frame is taken off the list when its body's scope is left without an
 * exception (the macros give the body a guard with a cleanup attribute),
 * when an exception lands in it and its handler or __finally block is
 * about to run, or when an unwind passes over it.
 */
#include "ki.h"
#include "except.h"
#include "../verifier/vf.h"

#define KI_SEH_FRAME_MAGIC 0x48455349u /* "ISEH" */

/* IRPSIM_SEH_FRAME.State */
#define KI_SEH_DESCRIBE 1 /* pushed; the tail is recording kind and filter */
#define KI_SEH_BODY     2 /* the body runs: exceptions raised now are in scope */
#define KI_SEH_DONE     3 /* the body ended (fell off its end or __leave) */
#define KI_SEH_FILTER   4 /* an exception landed; the filter is evaluated now */
#define KI_SEH_HANDLER  5 /* the handler was chosen */
#define KI_SEH_UNWIND   6 /* a __finally an unwind passes through */

/* IRPSIM_SEH_FRAME.BodyExit */
#define KI_SEH_BODY_RUNNING  1
#define KI_SEH_BODY_FELL_OFF 2
#define KI_SEH_BODY_LEFT     3

/* IRPSIM_SEH_FINALLY_STATE.Phase */
#define KI_SEH_FINALLY_RUNNING 1
#define KI_SEH_FINALLY_ENDED   2

typedef struct _KI_SEH_THREAD {
    PIRPSIM_SEH_FRAME Top;
    NTSTATUS HandlerCode; /* GetExceptionCode() inside an __except block */
    BOOLEAN Abnormal;     /* AbnormalTermination() inside a __finally block */
    /* Handed from a __finally frame, as its block is left, to the
       __finally block that follows. */
    BOOLEAN HandoffAbnormal;
    UCHAR HandoffAction;
    PIRPSIM_SEH_FRAME HandoffTarget;
    EXCEPTION_RECORD HandoffRecord;
    /* What an unhandled exception's bug check points at (P3 of 0x7E). */
    EXCEPTION_RECORD Unhandled;
} KI_SEH_THREAD;

static IRPSIM_THREAD_LOCAL KI_SEH_THREAD KipSeh;

DECLSPEC_NORETURN static VOID KipCorrupt(PCSTR What)
{
    VfBugCheck(IRPSIM_INVALID_USE, (ULONG_PTR)What, (ULONG_PTR)KipSeh.Top, 0, 0, NULL,
               "The thread's list of __try frames is inconsistent: a __try frame was left without irpsim "
               "seeing it (longjmp out of a __try, a caught bug check whose catch code did not reset the "
               "list, or a frame overwritten by a stack overrun).",
               "Leave __try blocks with __leave, return or an exception; do not longjmp out of them.");
}

static PIRPSIM_SEH_FRAME KipTop(PCSTR Routine)
{
    PIRPSIM_SEH_FRAME Frame = KipSeh.Top;
    if (Frame == NULL || Frame->Magic != KI_SEH_FRAME_MAGIC)
        KipCorrupt(Routine);
    return Frame;
}

/* Takes Frame, and anything above it, off the list (its scope is gone or
   going). */
static VOID KipDiscardTop(PIRPSIM_SEH_FRAME Frame)
{
    KipSeh.Top = Frame->Previous;
    KipSeh.HandlerCode = Frame->SavedHandlerCode;
    KipSeh.Abnormal = Frame->SavedAbnormal;
    Frame->Magic = 0;
}

/* ---------------------------------------------------------------------
 * The frame's life, called by the macros
 * ------------------------------------------------------------------- */

VOID IrpSimSehFramePush(PIRPSIM_SEH_FRAME Frame, ULONG JumpKind)
{
    Frame->JumpKind = (UCHAR)JumpKind;
    Frame->Previous = KipSeh.Top;
    Frame->Magic = KI_SEH_FRAME_MAGIC;
    Frame->State = KI_SEH_DESCRIBE;
    Frame->Kind = 0;
    Frame->BodyExit = 0;
    Frame->FilterKnown = FALSE;
    Frame->FilterValue = 0;
    Frame->SavedHandlerCode = KipSeh.HandlerCode;
    Frame->SavedAbnormal = KipSeh.Abnormal;
    Frame->PendingAction = 0;
    Frame->PendingTarget = NULL;
    Frame->Record.ExceptionCode = 0;
    Frame->Record.NumberParameters = 0;
    Frame->Pointers.ExceptionRecord = &Frame->Record;
    Frame->Pointers.ContextRecord = NULL;
    KipSeh.Top = Frame;
}

VOID IrpSimSehDescribe(ULONG Kind, int FilterKnown, LONG FilterValue)
{
    PIRPSIM_SEH_FRAME Frame = KipTop("__try (describe)");
    Frame->Kind = (UCHAR)Kind;
    Frame->FilterKnown = FilterKnown != 0;
    Frame->FilterValue = FilterValue;
}

PIRPSIM_SEH_FRAME IrpSimSehBodyBegin(PIRPSIM_SEH_FRAME Frame)
{
    if (Frame != KipTop("__try (body)"))
        KipCorrupt("__try (body)");
    Frame->State = KI_SEH_BODY;
    Frame->BodyExit = KI_SEH_BODY_RUNNING;
    return Frame;
}

/* __finally only: the body reached its end. */
VOID IrpSimSehBodyFellOff(VOID)
{
    KipTop("__try (end of body)")->BodyExit = KI_SEH_BODY_FELL_OFF;
}

VOID IrpSimSehLeave(VOID)
{
    KipTop("__leave")->BodyExit = KI_SEH_BODY_LEFT;
}

/* The body's scope is being left without an exception: by its end,
   __leave, return, goto, break or continue (the guard's cleanup). */
VOID IrpSimSehBodyExit(PIRPSIM_SEH_FRAME *Guard)
{
    PIRPSIM_SEH_FRAME Frame = *Guard;
    if (Frame->Magic != KI_SEH_FRAME_MAGIC)
        return; /* already dropped by KiResetExceptionFrames */
    /* Frames above it belong to scopes that were left by longjmp (a caught
       bug check): they are dead, so nothing of theirs is read. */
    KipDiscardTop(Frame);
    Frame->State = KI_SEH_DONE;
    if (Frame->Kind != IRPSIM_SEH_KIND_FINALLY)
        return;
    KipSeh.HandoffAbnormal = FALSE;
    KipSeh.HandoffTarget = NULL;
    if (Frame->BodyExit != KI_SEH_BODY_FELL_OFF && Frame->BodyExit != KI_SEH_BODY_LEFT)
        VfNotSimulated("return, goto, break or continue out of a __try block that has a __finally",
                       "On Windows the __finally block runs before control leaves the __try block. irpsim "
                       "builds __try on setjmp and cannot run it from there, so the __finally block was "
                       "skipped. Leave the __try block with __leave instead (set the return value or a flag "
                       "first, and act on it after the __try statement).");
}

/* The frame's setjmp returned a second time: an exception (or an unwind)
   landed in it. Always TRUE; the frame list is checked on the way. */
BOOLEAN IrpSimSehLanded(VOID)
{
    PIRPSIM_SEH_FRAME Frame = KipTop("__try (exception)");
    if (Frame->State != KI_SEH_FILTER && Frame->State != KI_SEH_HANDLER && Frame->State != KI_SEH_UNWIND)
        KipCorrupt("__try (exception)");
    return TRUE;
}

/* TRUE if the landed exception's filter is to be evaluated now. */
BOOLEAN IrpSimSehFilterPending(VOID)
{
    return KipTop("__except (filter)")->State == KI_SEH_FILTER;
}

/* The handler block runs next, outside the frame's scope. */
VOID IrpSimSehEnterHandler(VOID)
{
    PIRPSIM_SEH_FRAME Frame = KipTop("__except (handler)");
    if (Frame->State != KI_SEH_HANDLER)
        KipCorrupt("__except (handler)");
    KipDiscardTop(Frame);
    KipSeh.HandlerCode = Frame->Record.ExceptionCode;
}

/* An unwind landed in a __finally frame: its block runs next, then the
   unwind resumes (IrpSimSehFinallyStep). */
VOID IrpSimSehEnterFinally(VOID)
{
    PIRPSIM_SEH_FRAME Frame = KipTop("__finally (unwind)");
    if (Frame->State != KI_SEH_UNWIND)
        KipCorrupt("__finally (unwind)");
    KipDiscardTop(Frame);
    KipSeh.HandoffAbnormal = TRUE;
    KipSeh.HandoffAction = Frame->PendingAction;
    KipSeh.HandoffTarget = Frame->PendingTarget;
    KipSeh.HandoffRecord = Frame->Record;
}

/* ---------------------------------------------------------------------
 * Dispatch
 * ------------------------------------------------------------------- */

/* The rule texts are literals: a bug check on an irpsim thread is handed
   to a catch frame on another thread, and outlives this one. */
DECLSPEC_NORETURN static VOID KipUnhandled(const EXCEPTION_RECORD *Record)
{
    PKTHREAD Thread = KiGetCurrentThreadIfAny();
    static const CHAR Hint[] =
        "Wrap the call that can raise (MmProbeAndLockPages, ExRaiseStatus, ProbeForRead, ...) in "
        "__try { } __except (EXCEPTION_EXECUTE_HANDLER) { } and turn the exception into a status.";
    KipSeh.Unhandled = *Record;
    if (Thread != NULL && Thread->IsSystemThread && !Thread->InDpc)
        VfBugCheck(SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, (ULONG)Record->ExceptionCode,
                   (ULONG_PTR)Record->ExceptionAddress, (ULONG_PTR)&KipSeh.Unhandled, 0, NULL,
                   "An exception (P1, raised at P2) reached the top of a system thread: no __try/__except on the "
                   "thread accepted it (no frame, or every filter returned EXCEPTION_CONTINUE_SEARCH). On "
                   "Windows the __finally blocks in between do not run.",
                   Hint);
    VfBugCheck(KMODE_EXCEPTION_NOT_HANDLED, (ULONG)Record->ExceptionCode, (ULONG_PTR)Record->ExceptionAddress,
               Record->NumberParameters > 0 ? Record->ExceptionInformation[0] : 0,
               Record->NumberParameters > 1 ? Record->ExceptionInformation[1] : 0, NULL,
               "An exception (P1, raised at P2) was not handled: no __try/__except on the thread accepted it (no "
               "frame, or every filter returned EXCEPTION_CONTINUE_SEARCH). On Windows the __finally blocks in "
               "between do not run. For an access violation P3 is 1 for a write and P4 the address.",
               Hint);
}

DECLSPEC_NORETURN static VOID KipContinueExecution(const EXCEPTION_RECORD *Record)
{
    (void)Record;
    VfNotSimulated("an __except filter returned EXCEPTION_CONTINUE_EXECUTION",
                   "Resuming at the point of the exception is impossible in irpsim (its __try is built on setjmp). "
                   "It is a bug on Windows too for the exceptions drivers see: ExRaiseStatus raises them "
                   "noncontinuable, so Windows would raise STATUS_NONCONTINUABLE_EXCEPTION instead. Return "
                   "EXCEPTION_EXECUTE_HANDLER and handle the error in the __except block.");
}

/* Phase 1: the frame that takes the exception, and what it does next. */
static PIRPSIM_SEH_FRAME KipSearch(const EXCEPTION_RECORD *Record, PUCHAR Action)
{
    for (PIRPSIM_SEH_FRAME Frame = KipSeh.Top; Frame != NULL; Frame = Frame->Previous) {
        if (Frame->Magic != KI_SEH_FRAME_MAGIC)
            KipCorrupt("exception dispatch");
        if (Frame->State != KI_SEH_BODY || Frame->Kind != IRPSIM_SEH_KIND_EXCEPT)
            continue;
        if (!Frame->FilterKnown) {
            *Action = KI_SEH_FILTER;
            return Frame;
        }
        if (Frame->FilterValue > 0) {
            *Action = KI_SEH_HANDLER;
            return Frame;
        }
        if (Frame->FilterValue < 0)
            KipContinueExecution(Record);
    }
    return NULL;
}

#if defined(__SANITIZE_ADDRESS__)
#define KI_SEH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KI_SEH_ASAN 1
#endif
#endif
#ifdef KI_SEH_ASAN
void __asan_handle_no_return(void); /* AddressSanitizer's runtime: the stack below is being abandoned */
#endif

/* Lands in Frame with the setjmp flavour its macro used. */
DECLSPEC_NORETURN static VOID KipJump(PIRPSIM_SEH_FRAME Frame)
{
    if (Frame->JumpKind == IRPSIM_SEH_JUMP_BUILTIN) {
#if defined(__GNUC__) && !defined(__clang__)
#ifdef KI_SEH_ASAN
        __asan_handle_no_return();
#endif
        __builtin_longjmp(Frame->Jump.Builtin, 1);
#else
        KipCorrupt("a __try frame built by GCC's __builtin_setjmp, in an irpsim built by another compiler");
#endif
    }
    if (Frame->JumpKind != IRPSIM_SEH_JUMP_STANDARD)
        KipCorrupt("exception dispatch");
    longjmp(Frame->Jump.Standard, 1);
}

/* Phase 2: unwinds to Target, through every __finally on the way. */
DECLSPEC_NORETURN static VOID KipUnwind(PIRPSIM_SEH_FRAME Target, UCHAR Action, const EXCEPTION_RECORD *Record)
{
    EXCEPTION_RECORD Copy = *Record;
    for (;;) {
        PIRPSIM_SEH_FRAME Frame = KipSeh.Top;
        if (Frame == NULL || Frame->Magic != KI_SEH_FRAME_MAGIC)
            KipCorrupt("exception unwind");
        if (Frame == Target)
            break;
        if (Frame->Kind == IRPSIM_SEH_KIND_FINALLY && Frame->State == KI_SEH_BODY) {
            Frame->State = KI_SEH_UNWIND;
            Frame->PendingTarget = Target;
            Frame->PendingAction = Action;
            Frame->Record = Copy;
            KipJump(Frame);
        }
        KipDiscardTop(Frame);
    }
    Target->State = Action;
    Target->Record = Copy;
    KipJump(Target);
}

DECLSPEC_NORETURN static VOID KipDispatch(const EXCEPTION_RECORD *Record)
{
    UCHAR Action = 0;
    PIRPSIM_SEH_FRAME Target = KipSearch(Record, &Action);
    if (Target == NULL)
        KipUnhandled(Record);
    KipUnwind(Target, Action, Record);
}

VOID KiRaiseException(PEXCEPTION_RECORD Record)
{
    EXCEPTION_RECORD Copy = *Record;
    KipDispatch(&Copy);
}

/* The filter's verdict; returns only when the handler is to run. */
VOID IrpSimSehFilterResult(LONG FilterValue)
{
    PIRPSIM_SEH_FRAME Frame = KipTop("__except (filter)");
    EXCEPTION_RECORD Record;
    if (Frame->State != KI_SEH_FILTER)
        KipCorrupt("__except (filter)");
    if (FilterValue > 0) {
        Frame->State = KI_SEH_HANDLER;
        return;
    }
    if (FilterValue < 0)
        KipContinueExecution(&Frame->Record);
    /* EXCEPTION_CONTINUE_SEARCH: search on outwards. This frame's scope is
       about to be left by longjmp, so it is taken off the list here. */
    Record = Frame->Record;
    KipDiscardTop(Frame);
    KipDispatch(&Record);
}

/* ---------------------------------------------------------------------
 * __finally blocks
 * ------------------------------------------------------------------- */

BOOLEAN IrpSimSehFinallyStep(PIRPSIM_SEH_FINALLY_STATE State)
{
    if (State->Phase == 0) {
        /* Entering the block: take over what the frame handed off. */
        State->Phase = KI_SEH_FINALLY_RUNNING;
        State->Abnormal = KipSeh.HandoffAbnormal;
        State->PendingAction = KipSeh.HandoffAction;
        State->PendingTarget = KipSeh.HandoffTarget;
        if (State->Abnormal)
            State->PendingRecord = KipSeh.HandoffRecord;
        KipSeh.HandoffAbnormal = FALSE;
        KipSeh.HandoffTarget = NULL;
        State->SavedAbnormal = KipSeh.Abnormal;
        KipSeh.Abnormal = State->Abnormal;
        return TRUE;
    }
    /* The block ended: resume the unwind it interrupted, if any. */
    State->Phase = KI_SEH_FINALLY_ENDED;
    KipSeh.Abnormal = State->SavedAbnormal;
    if (State->Abnormal)
        KipUnwind(State->PendingTarget, State->PendingAction, &State->PendingRecord);
    return FALSE;
}

VOID IrpSimSehFinallyCleanup(PIRPSIM_SEH_FINALLY_STATE State)
{
    if (State->Phase != KI_SEH_FINALLY_RUNNING)
        return;
    /* Left by return, goto or break. */
    State->Phase = KI_SEH_FINALLY_ENDED;
    KipSeh.Abnormal = State->SavedAbnormal;
    if (State->Abnormal)
        VfNotSimulated("return, goto or break out of a __finally block during an exception unwind",
                       "Leaving a __finally block early while an exception is being dispatched abandons the "
                       "unwind (Microsoft documents this as undefined, and its compiler warns). irpsim cannot "
                       "continue the dispatch from here. Let the __finally block run to its end.");
}

/* ---------------------------------------------------------------------
 * What the __except and __finally blocks can ask
 * ------------------------------------------------------------------- */

NTSTATUS IrpSimSehExceptionCode(VOID)
{
    PIRPSIM_SEH_FRAME Frame = KipSeh.Top;
    if (Frame != NULL && Frame->Magic == KI_SEH_FRAME_MAGIC && Frame->State == KI_SEH_FILTER)
        return Frame->Record.ExceptionCode;
    return KipSeh.HandlerCode;
}

PEXCEPTION_POINTERS IrpSimSehExceptionInformation(VOID)
{
    PIRPSIM_SEH_FRAME Frame = KipSeh.Top;
    if (Frame != NULL && Frame->Magic == KI_SEH_FRAME_MAGIC && Frame->State == KI_SEH_FILTER)
        return &Frame->Pointers;
    return NULL;
}

BOOLEAN IrpSimSehAbnormalTermination(VOID)
{
    return KipSeh.Abnormal;
}

/* ---------------------------------------------------------------------
 * Keeping the list right across longjmp
 * ------------------------------------------------------------------- */

PVOID KiCurrentExceptionFrameMarker(VOID)
{
    return KipSeh.Top;
}

VOID KiResetExceptionFrames(PVOID Marker)
{
    /* The frames above Marker are in stack memory that is gone: nothing of
       theirs is read, the list simply restarts at Marker. */
    KipSeh.Top = (PIRPSIM_SEH_FRAME)Marker;
    KipSeh.HandoffAbnormal = FALSE;
    KipSeh.HandoffTarget = NULL;
    if (Marker == NULL) {
        KipSeh.HandlerCode = 0;
        KipSeh.Abnormal = FALSE;
    }
}
