/*
 * irpsim — windows.h: the part of the Win32 API an application uses to
 * talk to a driver (CreateFile, DeviceIoControl, ReadFile/WriteFile,
 * overlapped I/O, events, threads, waits, APCs, completion ports), run
 * against the simulated I/O manager in the same process.
 *
 * Application code includes <windows.h> and <winioctl.h> as on Windows; a
 * driver includes <ntddk.h>. The two never meet in one translation unit.
 * To start and stop the simulated machine from application code, include
 * <irpsim/irpsim_app.h> (it does not need the WDK headers).
 *
 * Every function is a macro for an IrpSim-prefixed symbol (CreateFileW is
 * IrpSimCreateFileW), so on Windows the program links against irpsim, not
 * kernel32, and the two never clash. docs/win32.md lists what is
 * supported and where irpsim differs from Windows.
 */
#ifndef IRPSIM_WIN32_WINDOWS_H
#define IRPSIM_WIN32_WINDOWS_H

#include <irpsim/wdk/basetypes.h>
#include "winerror.h"

IRPSIM_EXTERN_C_BEGIN

/* ---------------------------------------------------------------------
 * Types
 * ------------------------------------------------------------------- */

#define WINBASEAPI
#define APIENTRY WINAPI

typedef int BOOL;
typedef BOOL *PBOOL, *LPBOOL;
typedef BYTE *LPBYTE;
typedef WORD *PWORD, *LPWORD;
typedef DWORD *LPDWORD;
typedef LONG *LPLONG;
typedef void *LPVOID;
typedef const void *LPCVOID;
typedef HANDLE *LPHANDLE;
typedef ULONG_PTR *PDWORD_PTR;

#ifdef UNICODE
typedef WCHAR TCHAR;
#define TEXT(Quote) L##Quote
#else
typedef char TCHAR;
#define TEXT(Quote) Quote
#endif
typedef TCHAR *LPTSTR;
typedef const TCHAR *LPCTSTR;

/* OVERLAPPED starts with the I/O status block the I/O manager writes:
   Internal is the status, InternalHigh the byte count. */
typedef struct _OVERLAPPED {
    ULONG_PTR Internal;
    ULONG_PTR InternalHigh;
    union {
        struct {
            DWORD Offset;
            DWORD OffsetHigh;
        };
        PVOID Pointer;
    };
    HANDLE hEvent;
} OVERLAPPED, *POVERLAPPED, *LPOVERLAPPED;

typedef struct _SECURITY_ATTRIBUTES {
    DWORD nLength;
    LPVOID lpSecurityDescriptor;
    BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

typedef DWORD(WINAPI *PTHREAD_START_ROUTINE)(LPVOID lpThreadParameter);
typedef PTHREAD_START_ROUTINE LPTHREAD_START_ROUTINE;
typedef VOID(WINAPI *LPOVERLAPPED_COMPLETION_ROUTINE)(DWORD dwErrorCode, DWORD dwNumberOfBytesTransfered,
                                                       LPOVERLAPPED lpOverlapped);
typedef VOID(NTAPI *PAPCFUNC)(ULONG_PTR Parameter);

/* ---------------------------------------------------------------------
 * Constants
 * ------------------------------------------------------------------- */

#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)
#define INFINITE 0xFFFFFFFF
#define MAX_PATH 260
#define STILL_ACTIVE 259

/* Wait results. */
#define WAIT_OBJECT_0 0
#define WAIT_ABANDONED 0x00000080
#define WAIT_ABANDONED_0 0x00000080
#define WAIT_IO_COMPLETION 0x000000C0
#ifndef WAIT_TIMEOUT
#define WAIT_TIMEOUT 258
#endif
#define WAIT_FAILED ((DWORD)0xFFFFFFFF)

/* The few NTSTATUS values winnt.h defines. Define WIN32_NO_STATUS before
   including <windows.h> to take them from <ntstatus.h> instead (as with the
   SDK); after <ntstatus.h> (a driver's <wdm.h>) they are already there. */
#if !defined(WIN32_NO_STATUS) && !defined(IRPSIM_NTSTATUS_H)
#define STATUS_WAIT_0 ((DWORD)0x00000000L)
#define STATUS_ABANDONED_WAIT_0 ((DWORD)0x00000080L)
#define STATUS_USER_APC ((DWORD)0x000000C0L)
#define STATUS_TIMEOUT ((DWORD)0x00000102L)
#define STATUS_PENDING ((DWORD)0x00000103L)
#endif

/* CreateFile: creation dispositions, flags. */
#define CREATE_NEW 1
#define CREATE_ALWAYS 2
#define OPEN_EXISTING 3
#define OPEN_ALWAYS 4
#define TRUNCATE_EXISTING 5

#define FILE_FLAG_WRITE_THROUGH 0x80000000
#define FILE_FLAG_OVERLAPPED 0x40000000
#define FILE_FLAG_NO_BUFFERING 0x20000000
#define FILE_FLAG_RANDOM_ACCESS 0x10000000
#define FILE_FLAG_SEQUENTIAL_SCAN 0x08000000
#define FILE_FLAG_DELETE_ON_CLOSE 0x04000000
#define FILE_FLAG_BACKUP_SEMANTICS 0x02000000

/* SetFileCompletionNotificationModes. */
#define FILE_SKIP_COMPLETION_PORT_ON_SUCCESS 0x1

/* The rest is shared with the WDK headers (same spelling, so either may
   come first). */
#ifndef FILE_SHARE_READ
#define FILE_SHARE_READ 0x00000001
#define FILE_SHARE_WRITE 0x00000002
#define FILE_SHARE_DELETE 0x00000004
#endif

#ifndef FILE_ATTRIBUTE_READONLY
#define FILE_ATTRIBUTE_READONLY 0x00000001
#define FILE_ATTRIBUTE_HIDDEN 0x00000002
#define FILE_ATTRIBUTE_SYSTEM 0x00000004
#define FILE_ATTRIBUTE_DIRECTORY 0x00000010
#define FILE_ATTRIBUTE_ARCHIVE 0x00000020
#define FILE_ATTRIBUTE_DEVICE 0x00000040
#define FILE_ATTRIBUTE_NORMAL 0x00000080
#define FILE_ATTRIBUTE_TEMPORARY 0x00000100
#endif

#ifndef FILE_READ_DATA
#define FILE_READ_DATA 0x0001
#define FILE_WRITE_DATA 0x0002
#define FILE_APPEND_DATA 0x0004
#define FILE_READ_EA 0x0008
#define FILE_WRITE_EA 0x0010
#define FILE_EXECUTE 0x0020
#define FILE_DELETE_CHILD 0x0040
#define FILE_READ_ATTRIBUTES 0x0080
#define FILE_WRITE_ATTRIBUTES 0x0100
#define FILE_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1FF)
#define FILE_GENERIC_READ (STANDARD_RIGHTS_READ | FILE_READ_DATA | FILE_READ_ATTRIBUTES | FILE_READ_EA | SYNCHRONIZE)
#define FILE_GENERIC_WRITE \
    (STANDARD_RIGHTS_WRITE | FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA | FILE_APPEND_DATA | SYNCHRONIZE)
#define FILE_GENERIC_EXECUTE (STANDARD_RIGHTS_EXECUTE | FILE_READ_ATTRIBUTES | FILE_EXECUTE | SYNCHRONIZE)
#endif

#ifndef EVENT_QUERY_STATE
#define EVENT_QUERY_STATE 0x0001
#define EVENT_MODIFY_STATE 0x0002
#define EVENT_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3)
#endif

#ifndef THREAD_TERMINATE
#define THREAD_TERMINATE 0x0001
#define THREAD_SUSPEND_RESUME 0x0002
#define THREAD_ALERT 0x0004
#define THREAD_GET_CONTEXT 0x0008
#define THREAD_SET_CONTEXT 0x0010
#define THREAD_SET_INFORMATION 0x0020
#define THREAD_QUERY_INFORMATION 0x0040
#define THREAD_QUERY_LIMITED_INFORMATION 0x0800
#define THREAD_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFF)
#define PROCESS_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFF)
#endif

#ifndef IO_COMPLETION_MODIFY_STATE
#define IO_COMPLETION_QUERY_STATE 0x0001
#define IO_COMPLETION_MODIFY_STATE 0x0002
#define IO_COMPLETION_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3)
#endif

/* TRUE once the I/O manager has written the operation's final status. */
#define HasOverlappedIoCompleted(lpOverlapped) (((DWORD)(lpOverlapped)->Internal) != (DWORD)0x00000103)

#define ZeroMemory(Destination, Length) memset((Destination), 0, (Length))
#define FillMemory(Destination, Length, Fill) memset((Destination), (Fill), (Length))
#define CopyMemory(Destination, Source, Length) memcpy((Destination), (Source), (Length))
#define MoveMemory(Destination, Source, Length) memmove((Destination), (Source), (Length))

/* ---------------------------------------------------------------------
 * Functions: each public name is a macro for irpsim's symbol.
 * ------------------------------------------------------------------- */

#define CreateFileA IrpSimCreateFileA
#define CreateFileW IrpSimCreateFileW
/* Function-like, so that a driver's IrpSp->Parameters.DeviceIoControl in
   the same file (an application and its driver in one test) is untouched. */
#define DeviceIoControl(...) IrpSimDeviceIoControl(__VA_ARGS__)
#define ReadFile IrpSimReadFile
#define WriteFile IrpSimWriteFile
#define ReadFileEx IrpSimReadFileEx
#define WriteFileEx IrpSimWriteFileEx
#define CancelIo IrpSimCancelIo
#define CancelIoEx IrpSimCancelIoEx
#define CancelSynchronousIo IrpSimCancelSynchronousIo
#define CloseHandle IrpSimCloseHandle
#define GetOverlappedResult IrpSimGetOverlappedResult
#define GetOverlappedResultEx IrpSimGetOverlappedResultEx
#define CreateEventA IrpSimCreateEventA
#define CreateEventW IrpSimCreateEventW
#define OpenEventA IrpSimOpenEventA
#define OpenEventW IrpSimOpenEventW
#define SetEvent IrpSimSetEvent
#define ResetEvent IrpSimResetEvent
#define WaitForSingleObject IrpSimWaitForSingleObject
#define WaitForSingleObjectEx IrpSimWaitForSingleObjectEx
#define WaitForMultipleObjects IrpSimWaitForMultipleObjects
#define WaitForMultipleObjectsEx IrpSimWaitForMultipleObjectsEx
#define Sleep IrpSimSleep
#define SleepEx IrpSimSleepEx
#define GetLastError IrpSimGetLastError
#define SetLastError IrpSimSetLastError
#define CreateThread IrpSimCreateThread
#define ExitThread IrpSimExitThread
#define GetCurrentThread IrpSimGetCurrentThread
#define GetCurrentThreadId IrpSimGetCurrentThreadId
#define GetExitCodeThread IrpSimGetExitCodeThread
#define GetCurrentProcess IrpSimGetCurrentProcess
#define GetCurrentProcessId IrpSimGetCurrentProcessId
#define QueueUserAPC IrpSimQueueUserAPC
#define CreateIoCompletionPort IrpSimCreateIoCompletionPort
#define GetQueuedCompletionStatus IrpSimGetQueuedCompletionStatus
#define PostQueuedCompletionStatus IrpSimPostQueuedCompletionStatus
#define SetFileCompletionNotificationModes IrpSimSetFileCompletionNotificationModes

#ifdef UNICODE
#define CreateFile CreateFileW
#define CreateEvent CreateEventW
#define OpenEvent OpenEventW
#else
#define CreateFile CreateFileA
#define CreateEvent CreateEventA
#define OpenEvent OpenEventA
#endif

/* Files and devices. lpFileName: "\\.\Name" (a device, through \??),
   "\\?\...", or an NT path ("\??\Name", "\Device\Name"). */
WINBASEAPI HANDLE WINAPI CreateFileA(LPCSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                                     LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
                                     DWORD dwFlagsAndAttributes, HANDLE hTemplateFile);
WINBASEAPI HANDLE WINAPI CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                                     LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
                                     DWORD dwFlagsAndAttributes, HANDLE hTemplateFile);
WINBASEAPI BOOL WINAPI DeviceIoControl(HANDLE hDevice, DWORD dwIoControlCode, LPVOID lpInBuffer,
                                       DWORD nInBufferSize, LPVOID lpOutBuffer, DWORD nOutBufferSize,
                                       LPDWORD lpBytesReturned, LPOVERLAPPED lpOverlapped);
WINBASEAPI BOOL WINAPI ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead,
                                LPDWORD lpNumberOfBytesRead, LPOVERLAPPED lpOverlapped);
WINBASEAPI BOOL WINAPI WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
                                 LPDWORD lpNumberOfBytesWritten, LPOVERLAPPED lpOverlapped);
WINBASEAPI BOOL WINAPI ReadFileEx(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead,
                                  LPOVERLAPPED lpOverlapped, LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
WINBASEAPI BOOL WINAPI WriteFileEx(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
                                   LPOVERLAPPED lpOverlapped, LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
WINBASEAPI BOOL WINAPI CancelIo(HANDLE hFile);
WINBASEAPI BOOL WINAPI CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped);
WINBASEAPI BOOL WINAPI CancelSynchronousIo(HANDLE hThread);
WINBASEAPI BOOL WINAPI GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped,
                                           LPDWORD lpNumberOfBytesTransferred, BOOL bWait);
WINBASEAPI BOOL WINAPI GetOverlappedResultEx(HANDLE hFile, LPOVERLAPPED lpOverlapped,
                                             LPDWORD lpNumberOfBytesTransferred, DWORD dwMilliseconds,
                                             BOOL bAlertable);
WINBASEAPI BOOL WINAPI CloseHandle(HANDLE hObject);

/* Events. */
WINBASEAPI HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                                      BOOL bInitialState, LPCSTR lpName);
WINBASEAPI HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                                      BOOL bInitialState, LPCWSTR lpName);
WINBASEAPI HANDLE WINAPI OpenEventA(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCSTR lpName);
WINBASEAPI HANDLE WINAPI OpenEventW(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCWSTR lpName);
WINBASEAPI BOOL WINAPI SetEvent(HANDLE hEvent);
WINBASEAPI BOOL WINAPI ResetEvent(HANDLE hEvent);

/* Waits. */
WINBASEAPI DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds);
WINBASEAPI DWORD WINAPI WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable);
WINBASEAPI DWORD WINAPI WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll,
                                               DWORD dwMilliseconds);
WINBASEAPI DWORD WINAPI WaitForMultipleObjectsEx(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll,
                                                 DWORD dwMilliseconds, BOOL bAlertable);
WINBASEAPI VOID WINAPI Sleep(DWORD dwMilliseconds);
WINBASEAPI DWORD WINAPI SleepEx(DWORD dwMilliseconds, BOOL bAlertable);

/* Errors. */
WINBASEAPI DWORD WINAPI GetLastError(VOID);
WINBASEAPI VOID WINAPI SetLastError(DWORD dwErrCode);

/* Threads and APCs. */
WINBASEAPI HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
                                      LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter,
                                      DWORD dwCreationFlags, LPDWORD lpThreadId);
WINBASEAPI DECLSPEC_NORETURN VOID WINAPI ExitThread(DWORD dwExitCode);
WINBASEAPI HANDLE WINAPI GetCurrentThread(VOID);
WINBASEAPI DWORD WINAPI GetCurrentThreadId(VOID);
WINBASEAPI BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode);
WINBASEAPI HANDLE WINAPI GetCurrentProcess(VOID);
WINBASEAPI DWORD WINAPI GetCurrentProcessId(VOID);
WINBASEAPI DWORD WINAPI QueueUserAPC(PAPCFUNC pfnAPC, HANDLE hThread, ULONG_PTR dwData);

/* I/O completion ports. */
WINBASEAPI HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort,
                                                ULONG_PTR CompletionKey, DWORD NumberOfConcurrentThreads);
WINBASEAPI BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort, LPDWORD lpNumberOfBytesTransferred,
                                                 PULONG_PTR lpCompletionKey, LPOVERLAPPED *lpOverlapped,
                                                 DWORD dwMilliseconds);
WINBASEAPI BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD dwNumberOfBytesTransferred,
                                                  ULONG_PTR dwCompletionKey, LPOVERLAPPED lpOverlapped);
WINBASEAPI BOOL WINAPI SetFileCompletionNotificationModes(HANDLE FileHandle, UCHAR Flags);

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_WIN32_WINDOWS_H */
