/*
 * irpsim — debugger output and assertions: DbgPrint with the kernel format
 * extensions (%wZ, %ws, %Z), KdPrint, ASSERT, DbgBreakPoint, PAGED_CODE.
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

/* No printf format attribute: the kernel extensions (%wZ, %ws, %Z) would
   trip -Wformat in driver code that is correct for the WDK. */
NTSYSAPI ULONG DbgPrint(_In_z_ _Printf_format_string_ PCSTR Format, ...);
NTSYSAPI ULONG DbgPrintEx(_In_ ULONG ComponentId, _In_ ULONG Level, _In_z_ _Printf_format_string_ PCSTR Format,
                          ...);
NTSYSAPI ULONG vDbgPrintEx(_In_ ULONG ComponentId, _In_ ULONG Level, _In_z_ PCSTR Format, va_list Arguments);
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
