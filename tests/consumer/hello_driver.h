/*
 * The consumer project's driver: one device, \Device\ConsumerHello, that
 * keeps a running total. IOCTL_HELLO_ADD (METHOD_BUFFERED) takes a ULONG,
 * adds it to the total and returns the new total.
 */
#ifndef CONSUMER_HELLO_DRIVER_H
#define CONSUMER_HELLO_DRIVER_H

#include <ntddk.h>

#define IOCTL_HELLO_ADD CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)

typedef struct _HELLO_EXTENSION {
    ULONG Total;
} HELLO_EXTENSION, *PHELLO_EXTENSION;

DRIVER_INITIALIZE HelloDriverEntry;

#endif
