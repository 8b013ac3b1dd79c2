/* irpsim — devioctl.h: device types and CTL_CODE. */
#ifndef IRPSIM_DEVIOCTL_H
#define IRPSIM_DEVIOCTL_H
#include <irpsim/wdk/devioctl.h>
#endif
