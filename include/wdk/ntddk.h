/*
 * irpsim — ntddk.h: wdm.h plus the legacy (non-PnP) driver interfaces.
 */
#ifndef IRPSIM_NTDDK_H
#define IRPSIM_NTDDK_H

#include <wdm.h>

#endif /* IRPSIM_NTDDK_H */
