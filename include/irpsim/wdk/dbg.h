/*
 * irpsim — debugger output and assertions: DbgPrint with the kernel format
 * extensions (%wZ, %ws, %Z), KdPrint, ASSERT, DbgBreakPoint, PAGED_CODE.
 *
 * DbgPrint output (UTF-8) goes to stderr unless IRPSIM_CONFIG.QuietDebugPrint
 * (env IRPSIM_QUIET=1), to the IrpSimSetDebugOutput callback, and to the
 * trace. One call transmits at most 512 bytes, as on Windows. The format is
 * the kernel CRT's: %wZ UNICODE_STRING, %Z ANSI_STRING, %ws / %ls / %S wide
 * strings, %c / %C, %p (upper-case hex, full width), %I64x / %llx 64-bit,
 * %Ix / %Id pointer-sized, and l means 32 bits (ULONG), never 64.
 *
 * DbgPrintEx filtering: Level is a bit number (0..31) or a mask (above 31,
 * DPFLTR_MASK may be or-ed in). DPFLTR_ERROR_LEVEL messages are always
 * shown; other levels when the environment variable IRPSIM_DBGPRINT_LEVEL=N
 * enables levels 0..N ("all" enables every level). DbgPrint and KdPrint are
 * always shown.
 *
 * A failed ASSERT prints the checked build's "*** Assertion failed" text and
 * raises bug check IRPSIM_ASSERTION_FAILED: P1 = the expression text, P2 =
 * the file name, P3 = the line, P4 = the message (ASSERTMSG) or 0.
 */
#ifndef IRPSIM_WDK_DBG_H
#define IRPSIM_WDK_DBG_H

#include <irpsim/wdk/basetypes.h>
#include <irpsim/wdk/sal.h>
#include <stdarg.h>

IRPSIM_EXTERN_C_BEGIN

#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#define DPFLTR_MASK 0x80000000
#define DPFLTR_IHVDRIVER_ID 77
#define DPFLTR_IHVVIDEO_ID 78
#define DPFLTR_IHVAUDIO_ID 79
#define DPFLTR_IHVNETWORK_ID 80
#define DPFLTR_IHVSTREAMING_ID 81
#define DPFLTR_IHVBUS_ID 82
#define DPFLTR_DEFAULT_ID 101

/* irpsim's bug check for a failed ASSERT (Windows has none: a checked build
   breaks into the debugger instead). */
#ifndef IRPSIM_ASSERTION_FAILED
#define IRPSIM_ASSERTION_FAILED 0x49525341
#endif

/* No printf format attribute: the kernel extensions (%wZ, %ws, %Z) would
   trip -Wformat in driver code that is correct for the WDK. */
NTSYSAPI ULONG DbgPrint(_In_z_ _Printf_format_string_ PCSTR Format, ...);
NTSYSAPI ULONG DbgPrintEx(_In_ ULONG ComponentId, _In_ ULONG Level, _In_z_ _Printf_format_string_ PCSTR Format,
                          ...);
NTSYSAPI ULONG vDbgPrintEx(_In_ ULONG ComponentId, _In_ ULONG Level, _In_z_ PCSTR Format, va_list Arguments);
NTSYSAPI ULONG vDbgPrintExWithPrefix(_In_z_ PCSTR Prefix, _In_ ULONG ComponentId, _In_ ULONG Level,
                                     _In_z_ PCSTR Format, va_list Arguments);
NTSYSAPI VOID NTAPI DbgBreakPoint(VOID);
NTSYSAPI VOID NTAPI DbgBreakPointWithStatus(_In_ ULONG Status);
#define KdBreakPoint() DbgBreakPoint()
#define KdBreakPointWithStatus(s) DbgBreakPointWithStatus(s)
#define KdPrint(_x_) DbgPrint _x_
#define KdPrintEx(_x_) DbgPrintEx _x_
#define KdRefreshDebuggerNotPresent() TRUE
#define KD_DEBUGGER_NOT_PRESENT TRUE
#define KD_DEBUGGER_ENABLED FALSE

/* ASSERT is active in every build: a failed assertion in driver code is
   reported the way a checked build's RtlAssert reports it. */
#define ASSERT(exp) ((!(exp)) ? (RtlAssert((PVOID) #exp, (PVOID)__FILE__, __LINE__, NULL), FALSE) : TRUE)
#define ASSERTMSG(msg, exp) ((!(exp)) ? (RtlAssert((PVOID) #exp, (PVOID)__FILE__, __LINE__, (PSTR)(msg)), FALSE) : TRUE)
#define NT_ASSERT(exp) ASSERT(exp)
#define NT_ASSERTMSG(msg, exp) ASSERTMSG(msg, exp)
#define NT_VERIFY(exp) ASSERT(exp)
#define NT_VERIFYMSG(msg, exp) ASSERTMSG(msg, exp)
#define NT_FRE_ASSERT(exp) ASSERT(exp)
#define RTL_SOFT_ASSERT(exp) ASSERT(exp)
#define RTL_VERIFY(exp) ASSERT(exp)

/* PAGED_CODE(): code in a pageable section must not run at DISPATCH_LEVEL
   or above. Checked builds assert it; irpsim always checks it. */
NTKERNELAPI VOID NTAPI IrpSimPagedCodeCheck(_In_z_ PCSTR Function, _In_z_ PCSTR File, _In_ ULONG Line);
#define PAGED_CODE() IrpSimPagedCodeCheck(__func__, __FILE__, __LINE__)
#define PAGED_CODE_LOCKED() ((void)0)
#define INIT_CODE() ((void)0)

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_WDK_DBG_H */
