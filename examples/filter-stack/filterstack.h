/*
 * What the two drivers of the filter-stack demo and the program that
 * drives them agree on: the device name and the I/O control codes.
 */
#ifndef FILTERSTACK_H
#define FILTERSTACK_H

#include <ntddk.h>

#define FUNCTION_DEVICE_NAME L"\\Device\\IrpSimFunction"
#define FUNCTION_LINK_NAME L"\\DosDevices\\IrpSimFunction"

/* Completed at once, in the dispatch routine. */
#define IOCTL_FUNCTION_NOW CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
/* Pended: queued (cancelable) until IOCTL_FUNCTION_RELEASE. */
#define IOCTL_FUNCTION_LATER CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
/* Completed at once; wakes the worker thread that completes the queue. */
#define IOCTL_FUNCTION_RELEASE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS)
/* Fails with STATUS_INVALID_PARAMETER. */
#define IOCTL_FUNCTION_FAIL CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_BUFFERED, FILE_ANY_ACCESS)

/* The entry points, as the build renames them (see CMakeLists.txt). */
DRIVER_INITIALIZE FunctionDriverEntry;
DRIVER_INITIALIZE FilterDriverEntry;

#endif
