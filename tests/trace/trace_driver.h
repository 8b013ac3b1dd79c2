/*
 * The trace tests' two drivers: a function driver that completes requests
 * at once, from a DPC, or from its cancel routine, and an upper filter that
 * watches every device-control request with a completion routine.
 */
#ifndef TRACE_DRIVER_H
#define TRACE_DRIVER_H

#include <ntddk.h>

#define TRACE_FUNCTION_DEVICE_NAME L"\\Device\\TraceFunction"

/* Completed at once with STATUS_SUCCESS, information 3. */
#define IOCTL_TRACE_NOW CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS)
/* Pended; completed by the driver's DPC once IOCTL_TRACE_RELEASE queues it. */
#define IOCTL_TRACE_DPC CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_BUFFERED, FILE_ANY_ACCESS)
/* Completed at once; queues the DPC that completes the held request. */
#define IOCTL_TRACE_RELEASE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x902, METHOD_BUFFERED, FILE_ANY_ACCESS)
/* Pended with a cancel routine, which completes it with STATUS_CANCELLED. */
#define IOCTL_TRACE_CANCELABLE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x903, METHOD_BUFFERED, FILE_ANY_ACCESS)

/* Information the DPC completes the held request with. */
#define TRACE_DPC_INFORMATION 7

/* Both sources keep the WDK's entry point name, DriverEntry; the build
   renames them (CMakeLists.txt) so they can share one executable. */
DRIVER_INITIALIZE TraceFunctionEntry;
DRIVER_INITIALIZE TraceFilterEntry;

/* How many times the filter's completion routine ran. */
extern volatile LONG TraceFilterCompletions;

#endif /* TRACE_DRIVER_H */
