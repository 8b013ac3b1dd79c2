/*
 * irpsim — process and thread (Ps) routines.
 *
 * Every host thread that calls into irpsim has an ETHREAD (made on first
 * use). PsCreateSystemThread makes a host thread that starts at
 * PASSIVE_LEVEL with its own ETHREAD.
 */
#ifndef IRPSIM_WDK_PS_H
#define IRPSIM_WDK_PS_H

#include <irpsim/wdk/ob.h>

IRPSIM_EXTERN_C_BEGIN

#define NtCurrentProcess() ((HANDLE)(LONG_PTR)-1)
#define ZwCurrentProcess() NtCurrentProcess()
#define NtCurrentThread() ((HANDLE)(LONG_PTR)-2)
#define ZwCurrentThread() NtCurrentThread()

NTKERNELAPI NTSTATUS NTAPI PsCreateSystemThread(_Out_ PHANDLE ThreadHandle, _In_ ULONG DesiredAccess,
                                                _In_opt_ POBJECT_ATTRIBUTES ObjectAttributes,
                                                _In_opt_ HANDLE ProcessHandle, _Out_opt_ PCLIENT_ID ClientId,
                                                _In_ PKSTART_ROUTINE StartRoutine, _In_opt_ PVOID StartContext);
/* Does not return when called on a system thread; returns
   STATUS_INVALID_PARAMETER on any other thread (as Windows does). */
NTKERNELAPI NTSTATUS NTAPI PsTerminateSystemThread(_In_ NTSTATUS ExitStatus);
NTKERNELAPI PETHREAD NTAPI PsGetCurrentThread(VOID);
NTKERNELAPI HANDLE NTAPI PsGetCurrentThreadId(VOID);
NTKERNELAPI PEPROCESS NTAPI PsGetCurrentProcess(VOID);
NTKERNELAPI HANDLE NTAPI PsGetCurrentProcessId(VOID);
NTKERNELAPI HANDLE NTAPI PsGetThreadId(_In_ PETHREAD Thread);
NTKERNELAPI HANDLE NTAPI PsGetProcessId(_In_ PEPROCESS Process);
NTKERNELAPI BOOLEAN NTAPI PsIsSystemThread(_In_ PETHREAD Thread);
NTKERNELAPI BOOLEAN NTAPI PsIsThreadTerminating(_In_ PETHREAD Thread);
NTKERNELAPI PEPROCESS NTAPI IoGetCurrentProcess(VOID);
NTKERNELAPI PEPROCESS NTAPI PsGetThreadProcess(_In_ PETHREAD Thread);
#define PsGetCurrentThreadPreviousMode() ExGetPreviousMode()

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_WDK_PS_H */
