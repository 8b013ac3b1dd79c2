/*
 * irpsim — ntifs.h: the subset of the file-system kit that device drivers
 * include (it is a superset of ntddk.h).
 */
#ifndef IRPSIM_NTIFS_H
#define IRPSIM_NTIFS_H

#include <ntddk.h>

#endif /* IRPSIM_NTIFS_H */
