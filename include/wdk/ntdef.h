/* irpsim — ntdef.h: base types, counted strings, lists. */
#ifndef IRPSIM_NTDEF_H
#define IRPSIM_NTDEF_H
#include <irpsim/wdk/basetypes.h>
#include <irpsim/wdk/sal.h>
#include <ntstatus.h>
#include <irpsim/wdk/list.h>
#endif
