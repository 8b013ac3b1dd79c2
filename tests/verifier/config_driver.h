/*
 * A tiny WDK-style driver with one bug (its read routine returns
 * STATUS_PENDING without IoMarkIrpPending, 0xC9/0x23D, non-fatal), used to
 * exercise the verifier's configuration and report API.
 */
#ifndef CONFIG_DRIVER_H
#define CONFIG_DRIVER_H

#include <ntddk.h>

extern PDEVICE_OBJECT ConfigDevice;
extern PIRP ConfigHeldIrp;

DRIVER_INITIALIZE ConfigDriverEntry;

#endif
