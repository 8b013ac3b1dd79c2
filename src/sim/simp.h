/*
 * irpsim — the simulated machine's lifetime: the hooks IrpSimInitialize
 * and IrpSimShutdown call in each component, in this order (shutdown runs
 * in reverse), and the leak-report pieces each component contributes.
 */
#ifndef IRPSIM_SIMP_H
#define IRPSIM_SIMP_H

#include <irpsim/irpsim.h>

/* The configuration in force (defaults and environment applied). */
extern IRPSIM_CONFIG IrpSimpConfig;

/* Initialise order: trace, pool, ob, ke (threads, processors, clock),
   executive worker threads, io. Each Initialize may assume the ones before it. */
VOID TraceInitialize(VOID);
NTSTATUS ExpInitializePool(VOID);
VOID ObpInitializeSystem(VOID);
NTSTATUS KiInitializeSystem(const IRPSIM_CONFIG *Config);
NTSTATUS ExpInitializeWorkers(const IRPSIM_CONFIG *Config);
NTSTATUS IopInitializeSystem(const IRPSIM_CONFIG *Config);

/* Shutdown order: handles are closed (ObpCloseAllHandles), drivers with an
   unload routine are unloaded, leaks are reported; then io (drivers,
   devices, IRPs), workers, ke (threads, processors), ob (objects), pool,
   trace. Each Shutdown frees what its component still holds after the leak
   report was written. */
VOID IopShutdownSystem(VOID);
VOID ExpShutdownWorkers(VOID);
VOID KiShutdownSystem(VOID);
VOID ObpShutdownSystem(VOID);
VOID MiShutdownSystem(VOID);
VOID ExpShutdownPool(VOID);
VOID TraceShutdown(VOID);

/* Leak reporting. Each writes one line per leaked item charged to Driver
   (NULL = all) to Stream (may be NULL: count only) and returns the count. */
ULONG ExpReportPoolLeaks(PDRIVER_OBJECT Driver, FILE *Stream);
ULONG IopReportIrpLeaks(PDRIVER_OBJECT Driver, FILE *Stream);
ULONG MiReportMdlLeaks(PDRIVER_OBJECT Driver, FILE *Stream);
ULONG IopReportDeviceLeaks(PDRIVER_OBJECT Driver, FILE *Stream);
ULONG IopReportDriverLeaks(FILE *Stream);

/* IrpSimUnloadDriver records the number of leaks its report found here
   (read back with IrpSimGetShutdownLeakCount). */
VOID IrpSimpSetLeakCount(ULONG Leaks);

/* Outstanding pool charged to Driver (NULL = all). */
VOID ExpQueryPoolUsage(PDRIVER_OBJECT Driver, PULONG Blocks, PSIZE_T Bytes);

#endif /* IRPSIM_SIMP_H */
