/*
 * irpsim — exception dispatch internals (except.c): raising into the
 * __try frames of <irpsim/wdk/seh.h>, and keeping a thread's frame list
 * right when something unwinds past frames with longjmp.
 *
 * A caught bug check longjmps from deep inside driver code to a catch
 * frame, skipping the __try frames in between; they must be dropped from
 * the thread's list. The bug-check catch code does that with a marker:
 *
 *     IrpSimBeginBugCheckCatch:  Catch->SehMarker = KiCurrentExceptionFrameMarker();
 *     before longjmp to Catch:   KiResetExceptionFrames(Catch->SehMarker);
 *
 * (both on the thread that owns the catch frame). A thread base that
 * unwinds a whole thread (KiExitThread, a crashed thread) calls
 * KiResetExceptionFrames(NULL).
 */
#ifndef IRPSIM_KE_EXCEPT_H
#define IRPSIM_KE_EXCEPT_H

#include <wdm.h>

/* Dispatches Record (copied) to the calling thread's __try frames: runs
   the handler that accepts it, or stops the machine with
   KMODE_EXCEPTION_NOT_HANDLED / SYSTEM_THREAD_EXCEPTION_NOT_HANDLED. */
DECLSPEC_NORETURN VOID KiRaiseException(PEXCEPTION_RECORD Record);

/* The calling thread's innermost __try frame (an opaque marker). */
PVOID KiCurrentExceptionFrameMarker(VOID);
/* Drops the calling thread's __try frames above Marker (NULL: all). */
VOID KiResetExceptionFrames(PVOID Marker);

#endif /* IRPSIM_KE_EXCEPT_H */
