/*
 * irpsim — dontuse.h. In the WDK it marks unsafe C string functions as
 * deprecated so drivers use ntstrsafe.h; irpsim accepts the include and
 * leaves the C library alone (the host's own headers need it).
 */
#ifndef IRPSIM_DONTUSE_H
#define IRPSIM_DONTUSE_H
#endif
