/* The mixed-headers test's driver (mixed_driver.c). No Windows headers
   here: each file includes them in the order it tests. */
#ifndef IRPSIM_TESTS_MIXED_HEADERS_H
#define IRPSIM_TESTS_MIXED_HEADERS_H

#define MIXED_IOCTL_A 0x00222004UL /* CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS) */
#define MIXED_IOCTL_B 0x00222008UL /* ... 0x802 ... */

extern unsigned long MixedSeenCode; /* the last IOCTL code the driver saw */
#endif
