/*
 * Helpers shared by the executive tests: system threads to act as "other
 * threads", and waiting for a state another thread reaches (never for a
 * length of time: the tests assert on states, not on timing).
 *
 * cmocka's assertions must run on the test's own thread; helper threads
 * only record what they saw.
 */
#ifndef EX_TEST_UTIL_H
#define EX_TEST_UTIL_H

#include <ntddk.h>

static inline PETHREAD ExTestStartThread(PKSTART_ROUTINE Routine, PVOID Context)
{
    HANDLE Handle;
    PETHREAD Thread = NULL;
    if (!NT_SUCCESS(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, Routine, Context)))
        return NULL;
    if (!NT_SUCCESS(ObReferenceObjectByHandle(Handle, SYNCHRONIZE, *PsThreadType, KernelMode, (PVOID *)&Thread, NULL)))
        Thread = NULL;
    ZwClose(Handle);
    return Thread;
}

static inline VOID ExTestJoinThread(PETHREAD Thread)
{
    KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Thread);
}

/* Gives other threads a chance to run (1 ms of whichever clock is in use). */
static inline VOID ExTestPause(VOID)
{
    LARGE_INTEGER Interval;
    Interval.QuadPart = -10000;
    KeDelayExecutionThread(KernelMode, FALSE, &Interval);
}

/* Waits until Probe(Context) is TRUE; FALSE if it never became TRUE within
   a generous number of pauses (a hang guard, not a timing assertion). */
static inline BOOLEAN ExTestWaitFor(BOOLEAN (*Probe)(PVOID Context), PVOID Context)
{
    for (ULONG i = 0; i < 20000; i++) {
        if (Probe(Context))
            return TRUE;
        ExTestPause();
    }
    return Probe(Context);
}

#endif /* EX_TEST_UTIL_H */
