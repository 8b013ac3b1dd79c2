/*
 * irpsim — the simulator control API for application code.
 *
 * <irpsim/irpsim.h> is the driver-side control header: it includes the WDK
 * headers (<wdm.h>), which application code (including <windows.h>) must
 * not mix with, as on Windows. This header declares the few calls an
 * application or a test's application side needs, with no WDK types:
 * start and stop the simulated machine, let time pass, read the leak
 * count. The declarations are the same functions as in irpsim.h and are
 * compatible with them.
 *
 * Loading a driver needs its DriverEntry, which lives in the driver's own
 * translation unit: the usual pattern is a small function there, exported
 * to the application side, that calls IrpSimLoadDriver:
 *
 *     // driver.c (includes <ntddk.h> and <irpsim/irpsim.h>)
 *     NTSTATUS MyDriverLoad(VOID) { PDRIVER_OBJECT D;
 *         return IrpSimLoadDriver(L"\\Driver\\My", DriverEntry, &D); }
 *
 *     // app.c (includes <windows.h> and <irpsim/irpsim_app.h>)
 *     LONG MyDriverLoad(void);
 *     IrpSimInitialize(NULL); MyDriverLoad(); CreateFileW(L"\\\\.\\My", ...);
 */
#ifndef IRPSIM_IRPSIM_APP_H
#define IRPSIM_IRPSIM_APP_H

#include <irpsim/wdk/basetypes.h>

IRPSIM_EXTERN_C_BEGIN

struct _IRPSIM_CONFIG; /* see irpsim.h; NULL means the defaults */

/* Starts the simulated machine (STATUS_SUCCESS = 0). */
NTSTATUS IrpSimInitialize(const struct _IRPSIM_CONFIG *Config);
/* Closes the handles still open, unloads the drivers, reports leaks. */
VOID IrpSimShutdown(VOID);
BOOLEAN IrpSimIsInitialized(VOID);
/* The number of leaks the last IrpSimShutdown reported. */
ULONG IrpSimGetShutdownLeakCount(VOID);
/* Virtual clock: moves time forward (100 ns units). */
NTSTATUS IrpSimAdvanceTime(LONGLONG Interval);
/* Runs queued DPCs, due timers and work items until nothing is left. */
VOID IrpSimRunUntilIdle(LONGLONG MaxInterval);
/* Adds a note to the trace. */
VOID IrpSimTraceAddNote(PCSTR Text);

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_IRPSIM_APP_H */
