/*
 * irpsim — the simulator control API.
 *
 * A test or a demo starts the simulated machine, loads drivers (their
 * DriverEntry runs as the I/O manager would run it), drives them, and shuts
 * the machine down, which reports anything left behind.
 */
#ifndef IRPSIM_IRPSIM_H
#define IRPSIM_IRPSIM_H

#include <wdm.h>
#include <setjmp.h>
#include <stdio.h>

IRPSIM_EXTERN_C_BEGIN

#define IRPSIM_VERSION_MAJOR 0
#define IRPSIM_VERSION_MINOR 1

/* ---------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------- */

typedef enum _IRPSIM_CLOCK_MODE {
    IrpSimClockReal = 0,    /* host monotonic time */
    IrpSimClockVirtual = 1, /* time moves only when advanced (or auto-advanced) */
} IRPSIM_CLOCK_MODE;

typedef struct _IRPSIM_CONFIG {
    ULONG Size;                  /* sizeof(IRPSIM_CONFIG) */
    ULONG ProcessorCount;        /* simulated processors; 0 = 2 */
    IRPSIM_CLOCK_MODE ClockMode; /* env IRPSIM_CLOCK=real|virtual overrides */
    BOOLEAN AutoAdvance;         /* virtual clock jumps to the next deadline when everything is blocked */
    BOOLEAN Verifier;            /* Driver-Verifier-style checks (default TRUE); env IRPSIM_VERIFIER=0|1 */
    BOOLEAN BreakOnDbgBreakPoint; /* DbgBreakPoint stops the process instead of printing and continuing */
    BOOLEAN QuietDebugPrint;     /* DbgPrint output is not written to stderr (still traced) */
    ULONG WorkerThreadCount;     /* system worker threads for work items; 0 = 2 */
} IRPSIM_CONFIG, *PIRPSIM_CONFIG;

/* Fills Config with the defaults. */
VOID IrpSimDefaultConfig(_Out_ PIRPSIM_CONFIG Config);
/* The configuration in force (after the environment overrides). */
VOID IrpSimQueryConfig(_Out_ PIRPSIM_CONFIG Config);

/* Starts the simulated machine. NULL means defaults. */
NTSTATUS IrpSimInitialize(_In_opt_ const IRPSIM_CONFIG *Config);
/* Tears everything down, as process exit and driver unload would: closes
   the handles still open (drivers see IRP_MJ_CLEANUP and IRP_MJ_CLOSE),
   unloads every driver that has an unload routine, then reports what is
   left (IRPs, pool, MDLs, devices) on stderr and frees it. */
VOID IrpSimShutdown(VOID);
BOOLEAN IrpSimIsInitialized(VOID);
/* The number of leaks the last IrpSimShutdown (or IrpSimUnloadDriver) reported. */
ULONG IrpSimGetShutdownLeakCount(VOID);

/* ---------------------------------------------------------------------
 * Drivers
 * ------------------------------------------------------------------- */

/* Creates a driver object named DriverName (L"\\Driver\\Beep"), fills every
   MajorFunction with the I/O manager's "invalid device request" routine,
   calls DriverEntry with a registry path, and clears DO_DEVICE_INITIALIZING
   on the devices it created. Returns DriverEntry's status; on failure the
   driver object is deleted and *DriverObject is NULL. */
NTSTATUS IrpSimLoadDriver(_In_z_ PCWSTR DriverName, _In_ PDRIVER_INITIALIZE DriverEntry,
                          _Out_ PDRIVER_OBJECT *DriverObject);
/* Calls DriverUnload, then reports every device, IRP, pool block, MDL,
   timer and DPC the driver left behind. STATUS_INVALID_DEVICE_REQUEST if the
   driver has no unload routine (it cannot be unloaded, as on Windows). */
NTSTATUS IrpSimUnloadDriver(_In_ PDRIVER_OBJECT DriverObject);

/* ---------------------------------------------------------------------
 * Bug checks
 * ------------------------------------------------------------------- */

typedef struct _IRPSIM_BUGCHECK_INFO {
    ULONG Code;
    ULONG_PTR Parameter[4];
    PCSTR Name;   /* "MULTIPLE_IRP_COMPLETE_REQUESTS" */
    PCSTR Rule;   /* the rule that was broken, in plain words */
    PCSTR Hint;   /* how to fix the driver */
    PIRP Irp;     /* the IRP involved, if any */
    PCSTR Report; /* the full text report */
} IRPSIM_BUGCHECK_INFO, *PIRPSIM_BUGCHECK_INFO;

/* Called for every bug check before irpsim stops (or unwinds to a catch
   frame). Use it to log; it cannot cancel the bug check. */
typedef VOID (*PIRPSIM_BUGCHECK_HANDLER)(_In_ const IRPSIM_BUGCHECK_INFO *Info, _In_opt_ PVOID Context);
VOID IrpSimSetBugCheckHandler(_In_opt_ PIRPSIM_BUGCHECK_HANDLER Handler, _In_opt_ PVOID Context);

/* A catch frame: while armed on a thread, a bug check on that thread
   unwinds to it instead of stopping the process. A bug check on another
   thread stops that thread and unwinds this one at its next wait. */
typedef struct _IRPSIM_BUGCHECK_CATCH {
    jmp_buf JumpBuffer;
    struct _IRPSIM_BUGCHECK_CATCH *Previous;
    KIRQL Irql;
    BOOLEAN Caught;
    PVOID SehMarker; /* the thread's innermost __try frame when armed */
    IRPSIM_BUGCHECK_INFO Info;
    CHAR ReportBuffer[8192];
} IRPSIM_BUGCHECK_CATCH, *PIRPSIM_BUGCHECK_CATCH;

VOID IrpSimBeginBugCheckCatch(_Out_ PIRPSIM_BUGCHECK_CATCH Catch);
/* Disarms the frame; returns the code caught (0 if none). */
ULONG IrpSimEndBugCheckCatch(_Inout_ PIRPSIM_BUGCHECK_CATCH Catch);

/* Runs Statement; *CodeOut is the bug check it raised, or 0. (CatchVar) is
   an IRPSIM_BUGCHECK_CATCH the caller owns, so the report stays readable. */
#define IRPSIM_CATCH_BUGCHECK(CatchVar, Statement)       \
    do {                                                 \
        IrpSimBeginBugCheckCatch(&(CatchVar));           \
        if (setjmp((CatchVar).JumpBuffer) == 0) {        \
            Statement;                                   \
        }                                                \
        (void)IrpSimEndBugCheckCatch(&(CatchVar));       \
    } while (0)

/* ---------------------------------------------------------------------
 * Time
 * ------------------------------------------------------------------- */

/* Virtual clock: moves time forward by Interval (100 ns units), expiring
   timers on the way. Real clock: STATUS_INVALID_DEVICE_STATE. */
NTSTATUS IrpSimAdvanceTime(_In_ LONGLONG Interval);
/* Runs queued DPCs, due timers and work items until nothing is left to do
   without time passing. With the virtual clock and MaxInterval > 0, also
   advances time (up to MaxInterval) while timers remain. */
VOID IrpSimRunUntilIdle(_In_ LONGLONG MaxInterval);
IRPSIM_CLOCK_MODE IrpSimGetClockMode(VOID);

/* ---------------------------------------------------------------------
 * Inspection and leaks
 * ------------------------------------------------------------------- */

/* Prints Irp the way WinDbg's !irp does. */
VOID IrpSimDumpIrp(_In_ PIRP Irp, _In_ FILE *Stream);

typedef struct _IRPSIM_POOL_TAG_USAGE {
    ULONG Tag;
    ULONG Allocations; /* outstanding blocks */
    SIZE_T Bytes;      /* outstanding bytes */
} IRPSIM_POOL_TAG_USAGE;

typedef struct _IRPSIM_LEAK_SUMMARY {
    ULONG PoolBlocks;
    SIZE_T PoolBytes;
    ULONG Irps;
    ULONG Mdls;
    ULONG Devices;
    ULONG Drivers;
} IRPSIM_LEAK_SUMMARY;

/* Counts what is currently allocated (everything, or one driver's). */
VOID IrpSimQueryOutstanding(_In_opt_ PDRIVER_OBJECT DriverObject, _Out_ IRPSIM_LEAK_SUMMARY *Summary);
/* Outstanding pool of one tag. */
VOID IrpSimQueryPoolTag(_In_ ULONG Tag, _Out_ IRPSIM_POOL_TAG_USAGE *Usage);
/* Writes a leak report (one line per leak, with its allocation site) and
   returns the number of leaks found. */
ULONG IrpSimReportLeaks(_In_opt_ PDRIVER_OBJECT DriverObject, _In_ FILE *Stream);

/* ---------------------------------------------------------------------
 * Debug output
 * ------------------------------------------------------------------- */

typedef VOID (*PIRPSIM_DEBUG_OUTPUT)(_In_z_ PCSTR Text, _In_opt_ PVOID Context);
/* Receives the text of every DbgPrint / DbgPrintEx call that is shown (one
   call = one piece of text, kernel format extensions expanded). Messages
   DbgPrintEx filters out by level never reach it. */
VOID IrpSimSetDebugOutput(_In_opt_ PIRPSIM_DEBUG_OUTPUT Callback, _In_opt_ PVOID Context);

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_IRPSIM_H */
