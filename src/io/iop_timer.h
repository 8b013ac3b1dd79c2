/*
 * irpsim — device timers (internal): what IoDeleteDevice needs from
 * io/iotimer.c.
 */
#ifndef IRPSIM_IOP_TIMER_H
#define IRPSIM_IOP_TIMER_H

#include <wdm.h>

/* Stops and frees DeviceObject->Timer (if IoInitializeTimer made one) and
   waits for its DPC to finish. IoDeleteDevice calls it, at PASSIVE_LEVEL,
   as Windows frees the device's IO_TIMER when the device is deleted. */
VOID IopDeleteDeviceTimer(PDEVICE_OBJECT DeviceObject);

#endif /* IRPSIM_IOP_TIMER_H */
