/*
 * irpsim — winioctl.h: I/O control codes for applications. CTL_CODE, the
 * METHOD_* transfer types, the FILE_*_ACCESS required-access bits and the
 * FILE_DEVICE_* types are the ones drivers see in <devioctl.h>.
 */
#ifndef IRPSIM_WIN32_WINIOCTL_H
#define IRPSIM_WIN32_WINIOCTL_H

#include <irpsim/wdk/devioctl.h>

#endif /* IRPSIM_WIN32_WINIOCTL_H */
