/*
 * Seed 002 ("Handling IRPs, part II: six ways to send an IRP") as a lesson:
 * each scenario sends one request with one of the article's six functions
 * (seed002_driver.c) to a fresh lower test device (tests/iobuild/
 * lower_driver.c) that behaves the way the scenario asks. main.c prints
 * what happened; tests/lessons checks it against the trace.
 */
#ifndef IRP_HANDLING_LESSON_H
#define IRP_HANDLING_LESSON_H

#include <ntddk.h>
#include <irpsim/irpsim.h>

#include "lower_driver.h"
#include "seed002_driver.h"

/* What the lower device does with the request. */
typedef enum _LESSON_LOWER {
    LessonLowerSucceed,        /* completes it in its dispatch routine with STATUS_SUCCESS */
    LessonLowerFail,           /* completes it in its dispatch routine with STATUS_IO_DEVICE_ERROR */
    LessonLowerPendDpc,        /* pends it; a timer DPC completes it 10 ms later with STATUS_SUCCESS */
    LessonLowerUntilCancelled, /* pends it with a cancel routine and never completes it on its own */
} LESSON_LOWER;

/* Scenario 2: the four orders its comment lists. */
typedef enum _LESSON_INTERLEAVING {
    LessonNoCancellation = 1,            /* Cancelable -> Completed */
    LessonCancelReturnsBeforeCompletion, /* Cancelable -> CancelStarted -> CancelCompleted -> Completed */
    LessonCompletedBeforeCancel,         /* Cancelable -> Completed -> CancelStarted */
    LessonCompletedDuringCancel,         /* Cancelable -> CancelStarted -> Completed -> CancelCompleted */
} LESSON_INTERLEAVING;

#define LESSON_IOCTL CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define LESSON_TIMEOUT_MS 100

typedef struct _LESSON_OUTCOME {
    NTSTATUS Returned;           /* what the article's function returned */
    PIRP Irp;                    /* the IRP it built (freed by now: only a name for the trace) */
    ULONG IrpNumber;             /* IRP#n in the trace */
    SEED002_RECORD Record;       /* what the function did (waits, exchanges, completions) */
    SEED002_ASYNC_RESULT Async;  /* scenarios 5 and 6: what the completion routine saw */
    PDEVICE_OBJECT Lower;        /* the lower device */
    LONG LowerCancelRoutineRuns;
    ULONG BugCheck;              /* a bug check caught (0 = none) */
} LESSON_OUTCOME, *PLESSON_OUTCOME;

/* Starts the machine (virtual clock that jumps to the next timer when
   everything waits, the verifier on, the trace kept in memory) and loads
   the lower driver. */
NTSTATUS LessonStart(VOID);
/* Stops it; returns the number of leaks it reported. */
ULONG LessonStop(VOID);

PCSTR LessonLowerName(LESSON_LOWER Lower);
PCSTR LessonInterleavingName(LESSON_INTERLEAVING Interleaving);

/* 1. MakeSynchronousIoctl (IoBuildDeviceIoControlRequest, wait if pended). */
VOID LessonScenario1(LESSON_LOWER Lower, PLESSON_OUTCOME Outcome);
/* 2. MakeSynchronousIoctlWithTimeOut, driven into one interleaving. */
VOID LessonScenario2(LESSON_INTERLEAVING Interleaving, PLESSON_OUTCOME Outcome);
/* 2 as published (its completion routine exchanges &lock), under a catch
   frame: Catch holds the report when it bug checks. */
VOID LessonScenario2AsPublished(LESSON_INTERLEAVING Interleaving, PLESSON_OUTCOME Outcome,
                                PIRPSIM_BUGCHECK_CATCH Catch);
/* 3. MakeSynchronousNonIoctlRequest (IoBuildSynchronousFsdRequest, routine continues). */
VOID LessonScenario3(LESSON_LOWER Lower, PLESSON_OUTCOME Outcome);
/* 4. MakeSynchronousNonIoctlRequest2 (routine stops completion, sender completes again). */
VOID LessonScenario4(LESSON_LOWER Lower, PLESSON_OUTCOME Outcome);
/* 5. MakeAsynchronousRequest (IoBuildAsynchronousFsdRequest, routine frees). IoFlags:
   the lower device's DO_BUFFERED_IO / DO_DIRECT_IO / 0. */
VOID LessonScenario5(LESSON_LOWER Lower, ULONG IoFlags, PLESSON_OUTCOME Outcome);
/* 6. MakeAsynchronousRequest2 (IoAllocateIrp, stack location filled by hand). */
VOID LessonScenario6(LESSON_LOWER Lower, ULONG IoFlags, PLESSON_OUTCOME Outcome);

#endif
