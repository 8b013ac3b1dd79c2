/*
 * irpsim — application threads: CreateThread, ExitThread,
 * GetExitCodeThread, GetCurrentThread(Id), GetCurrentProcess(Id).
 *
 * CreateThread starts a host thread with a thread object of its own (the
 * same Thread objects drivers see; waitable, signalled when the thread
 * ends) and returns a handle to it. When the thread ends, thread exit
 * cancels the requests it still has outstanding and waits for them
 * (SEMANTICS 5.5, A.6), as Windows does.
 *
 * Not simulated: creation flags (CREATE_SUSPENDED, ...), stack sizes
 * (ignored), ExitThread on a thread CreateThread did not make.
 */
#include "ump.h"

#include <stdlib.h>

typedef struct _UMP_THREAD_START {
    LPTHREAD_START_ROUTINE StartAddress;
    LPVOID Parameter;
} UMP_THREAD_START, *PUMP_THREAD_START;

static VOID NTAPI UmpThreadStart(PVOID Context)
{
    UMP_THREAD_START Start = *(PUMP_THREAD_START)Context;
    DWORD ExitCode;
    free(Context);
    ExitCode = Start.StartAddress(Start.Parameter);
    /* The thread base records the exit code as the exit status. */
    KiExitThread((NTSTATUS)ExitCode);
}

HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
                           LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter, DWORD dwCreationFlags,
                           LPDWORD lpThreadId)
{
    /* STACK_SIZE_PARAM_IS_A_RESERVATION only changes how the size is read. */
    const DWORD AllowedFlags = 0x00010000;
    PUMP_THREAD_START Start;
    UMP_CALL Call;
    PKTHREAD Thread;
    HANDLE Handle;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(lpThreadAttributes);
    UNREFERENCED_PARAMETER(dwStackSize);
    UmpEnter(&Call, "CreateThread", NULL);
    if (lpStartAddress == NULL || (dwCreationFlags & ~AllowedFlags) != 0) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return (HANDLE)UmpLeave(&Call, 0);
    }
    Start = (PUMP_THREAD_START)malloc(sizeof(*Start));
    Thread = Start != NULL ? KiCreateThreadObject(FALSE) : NULL;
    if (Thread == NULL) {
        free(Start);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return (HANDLE)UmpLeave(&Call, 0);
    }
    Start->StartAddress = lpStartAddress;
    Start->Parameter = lpParameter;
    /* The handle exists before the thread runs: it may end at once. */
    Status = ObpCreateHandle(Thread, THREAD_ALL_ACCESS, 0, &Handle);
    if (!NT_SUCCESS(Status)) {
        free(Start);
        ObDereferenceObject(Thread);
        UmpSetLastNtError(Status);
        return (HANDLE)UmpLeave(&Call, 0);
    }
    if (lpThreadId != NULL)
        *lpThreadId = (DWORD)(ULONG_PTR)Thread->Cid.UniqueThread;
    Status = KiStartThread(Thread, UmpThreadStart, Start, NULL);
    if (!NT_SUCCESS(Status)) {
        free(Start);
        (void)ObCloseHandle(Handle, UserMode);
        UmpSetLastNtError(Status);
        return (HANDLE)UmpLeave(&Call, 0);
    }
    return (HANDLE)UmpLeave(&Call, (ULONG_PTR)Handle);
}

VOID WINAPI ExitThread(DWORD dwExitCode)
{
    PKTHREAD Thread = KiGetCurrentThread();
    if (Thread->ExitFrameArmed)
        KiExitThread((NTSTATUS)dwExitCode);
    VfNotSimulated("ExitThread", "only a thread made by CreateThread can be ended with ExitThread; return from "
                                 "the thread routine instead");
}

BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode)
{
    LARGE_INTEGER Poll = {{0, 0}};
    UMP_CALL Call;
    PKTHREAD Thread;
    NTSTATUS Status;

    UmpEnter(&Call, "GetExitCodeThread", hThread);
    if (lpExitCode == NULL) {
        SetLastError(ERROR_NOACCESS);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    Status = ObReferenceObjectByHandle(hThread, THREAD_QUERY_LIMITED_INFORMATION, *PsThreadType, UserMode,
                                       (PVOID *)&Thread, NULL);
    if (!NT_SUCCESS(Status)) {
        UmpSetLastNtError(Status);
        return (BOOL)UmpLeave(&Call, FALSE);
    }
    /* A poll of the thread object says whether it has ended (and orders
       the read of its exit status after the end). */
    if (KeWaitForSingleObject(Thread, UserRequest, KernelMode, FALSE, &Poll) == STATUS_WAIT_0)
        *lpExitCode = (DWORD)Thread->ExitStatus;
    else
        *lpExitCode = STILL_ACTIVE;
    ObDereferenceObject(Thread);
    return (BOOL)UmpLeave(&Call, TRUE);
}

HANDLE WINAPI GetCurrentThread(VOID)
{
    return NtCurrentThread();
}

DWORD WINAPI GetCurrentThreadId(VOID)
{
    return (DWORD)(ULONG_PTR)KiGetCurrentThread()->Cid.UniqueThread;
}

HANDLE WINAPI GetCurrentProcess(VOID)
{
    return NtCurrentProcess();
}

DWORD WINAPI GetCurrentProcessId(VOID)
{
    return (DWORD)(ULONG_PTR)KiGetCurrentThread()->Cid.UniqueProcess;
}
