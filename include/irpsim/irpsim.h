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
 * The verifier (docs/verifier.md)
 *
 * On by default. IRPSIM_CONFIG.Verifier (env IRPSIM_VERIFIER=0) is the
 * master switch; within it each rule class can be switched on and off.
 * Everything set here goes back to the defaults (and the environment) at
 * IrpSimInitialize, so call these after it.
 *
 * Environment, read at IrpSimInitialize:
 *   IRPSIM_VERIFIER=0 | 1 | list of classes   "irp-state,pending", "all,-irql"
 *   IRPSIM_VERIFIER_NONFATAL=stop | continue
 *   IRPSIM_LOW_RESOURCES="every=3,after=10,p=0.1,seed=42,tag=Tst1,driver=Name,kinds=pool+irp"
 * ------------------------------------------------------------------- */

/* Rule classes. */
#define IRPSIM_VERIFIER_IRP_STATE 0x00000001     /* completion, freeing, reuse, stack locations, use after free */
#define IRPSIM_VERIFIER_PENDING 0x00000002       /* STATUS_PENDING / IoMarkIrpPending and the returned status */
#define IRPSIM_VERIFIER_IRQL 0x00000004          /* routines called or returning at the wrong IRQL */
#define IRPSIM_VERIFIER_LOCKS 0x00000008         /* routines returning with spin locks / critical regions held */
#define IRPSIM_VERIFIER_OBJECTS 0x00000010       /* kernel objects freed while in use */
#define IRPSIM_VERIFIER_POOL 0x00000020          /* pool rules only the verifier checks, pool left at unload */
#define IRPSIM_VERIFIER_UNLOAD 0x00000040        /* work still pending, objects left behind at unload */
#define IRPSIM_VERIFIER_LOW_RESOURCES 0x00000080 /* allows the low-resources simulation to fail allocations */
#define IRPSIM_VERIFIER_ALL 0x000000FF

/* Selects the rule classes (IRPSIM_VERIFIER_* bits). */
VOID IrpSimVerifierSetRules(_In_ ULONG Rules);
ULONG IrpSimVerifierGetRules(VOID);

typedef enum _IRPSIM_VERIFIER_ACTION {
    IrpSimVerifierContinue = 0, /* non-fatal reports are printed once, recorded and traced (default) */
    IrpSimVerifierStop = 1,     /* non-fatal reports bug check like fatal ones */
} IRPSIM_VERIFIER_ACTION;

VOID IrpSimVerifierSetNonFatalAction(_In_ IRPSIM_VERIFIER_ACTION Action);
IRPSIM_VERIFIER_ACTION IrpSimVerifierGetNonFatalAction(VOID);

typedef enum _IRPSIM_VERIFIER_SEVERITY {
    IrpSimVerifierWarning = 0,  /* Driver Verifier calls it a warning */
    IrpSimVerifierNonFatal = 1, /* non-fatal: Windows prints it and goes on */
    IrpSimVerifierFatal = 2,    /* a bug check */
} IRPSIM_VERIFIER_SEVERITY;

/* One non-fatal report. The strings belong to irpsim and stay valid until
   IrpSimVerifierClearReports or the next IrpSimInitialize. */
typedef struct _IRPSIM_VERIFIER_REPORT {
    ULONG Code;                /* 0xC9 DRIVER_VERIFIER_IOMANAGER_VIOLATION, ... */
    ULONG_PTR Parameter[4];    /* Parameter[0] is the subcode (0x23D, ...) */
    ULONG RuleClass;           /* IRPSIM_VERIFIER_* */
    IRPSIM_VERIFIER_SEVERITY Severity;
    PIRP Irp;                  /* the IRP involved, if any (may be freed by now) */
    PDRIVER_OBJECT Driver;     /* the driver whose code was running */
    ULONG Occurrence;          /* 1 for the first report with this code, subcode and P2 */
    PCSTR Name;                /* "DRIVER_VERIFIER_IOMANAGER_VIOLATION" */
    PCSTR Rule;                /* the rule in plain words */
    PCSTR Hint;                /* how to fix the driver */
    PCSTR Text;                /* the full report, as printed the first time */
} IRPSIM_VERIFIER_REPORT, *PIRPSIM_VERIFIER_REPORT;

/* Subcode wildcard for IrpSimVerifierCountReports. */
#define IRPSIM_VERIFIER_ANY_SUBCODE ((ULONG_PTR)-1)

/* Non-fatal reports made since IrpSimInitialize (or the last clear). */
ULONG IrpSimVerifierReportCount(VOID);
/* Copies report Index (0 = oldest). FALSE if out of range. At most 4096
   reports are kept; the count goes on. */
BOOLEAN IrpSimVerifierGetReport(_In_ ULONG Index, _Out_ PIRPSIM_VERIFIER_REPORT Report);
/* Reports with this code and subcode (IRPSIM_VERIFIER_ANY_SUBCODE: any). */
ULONG IrpSimVerifierCountReports(_In_ ULONG Code, _In_ ULONG_PTR SubCode);
VOID IrpSimVerifierClearReports(VOID);

/* Called for every non-fatal report that continues (after it is recorded). */
typedef VOID (*PIRPSIM_VERIFIER_REPORT_HANDLER)(_In_ const IRPSIM_VERIFIER_REPORT *Report, _In_opt_ PVOID Context);
VOID IrpSimVerifierSetReportHandler(_In_opt_ PIRPSIM_VERIFIER_REPORT_HANDLER Handler, _In_opt_ PVOID Context);

/* ---- low-resources simulation ---- */

/* What can be made to fail. */
#define IRPSIM_LOW_RESOURCES_POOL 0x01      /* ExAllocatePool* (every spelling) */
#define IRPSIM_LOW_RESOURCES_IRP 0x02       /* IoAllocateIrp, IoMakeAssociatedIrp, IoBuild*Request */
#define IRPSIM_LOW_RESOURCES_MDL 0x04       /* IoAllocateMdl */
#define IRPSIM_LOW_RESOURCES_WORKITEM 0x08  /* IoAllocateWorkItem */
#define IRPSIM_LOW_RESOURCES_LOOKASIDE 0x10 /* ExAllocateFrom*LookasideList* */
#define IRPSIM_LOW_RESOURCES_ALL 0x1F

/* An allocation is eligible when driver code makes it (as with Driver
   Verifier, only drivers are affected), it is of one of Kinds, and it
   matches Tag and Driver when those are set. The first After eligible
   allocations succeed; after them one fails when Every divides its number
   (counted from After), or with Probability, or — when neither Every nor
   Probability is set — always. */
typedef struct _IRPSIM_LOW_RESOURCES {
    ULONG Size;           /* sizeof(IRPSIM_LOW_RESOURCES) */
    BOOLEAN Enabled;      /* FALSE: nothing fails */
    ULONG Every;          /* fail every Nth eligible allocation (0 = not used) */
    ULONG After;          /* let the first N eligible allocations succeed */
    double Probability;   /* 0..1: fail with this probability (0 = not used) */
    ULONG Seed;           /* for Probability; the same seed gives the same choices */
    ULONG Tag;            /* only this pool tag, as drivers write it ('1tsT' is "Tst1"); 0 = any */
    ULONG Kinds;          /* IRPSIM_LOW_RESOURCES_* (0 = all) */
    PDRIVER_OBJECT Driver; /* only this driver (NULL = any) */
    PCWSTR DriverName;    /* or only the driver of this name ("\\Driver\\Tst" or "Tst"); copied */
} IRPSIM_LOW_RESOURCES, *PIRPSIM_LOW_RESOURCES;

typedef struct _IRPSIM_LOW_RESOURCES_STATS {
    ULONGLONG Eligible; /* allocations the schedule looked at */
    ULONGLONG Failed;   /* allocations it failed */
} IRPSIM_LOW_RESOURCES_STATS;

/* Starts (or, with NULL or Enabled FALSE, stops) the simulation and resets
   its counters. STATUS_INVALID_PARAMETER for a bad Size or Probability. */
NTSTATUS IrpSimSetLowResources(_In_opt_ const IRPSIM_LOW_RESOURCES *Settings);
VOID IrpSimQueryLowResources(_Out_ IRPSIM_LOW_RESOURCES_STATS *Stats);

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
