/*
 * irpsim — wdm.h: everything a WDM driver includes, built from the
 * per-concept headers in <irpsim/wdk/>.
 */
#ifndef IRPSIM_WDM_H
#define IRPSIM_WDM_H

/* Driver source written for the WDK uses '#pragma alloc_text' and
   multi-character pool tags ('tsoH'); neither is a bug, so neither may
   break a -Wall -Werror build. irpsim's CMake helper also passes
   -Wno-unknown-pragmas -Wno-multichar for driver sources. */
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#pragma GCC diagnostic ignored "-Wmultichar"
#endif

#include <irpsim/wdk/basetypes.h>
#include <irpsim/wdk/sal.h>
#include <ntstatus.h>
#include <irpsim/wdk/list.h>
#include <irpsim/wdk/interlocked.h>
#include <irpsim/wdk/rtl.h>
#include <irpsim/wdk/dbg.h>
#include <irpsim/wdk/seh.h>
#include <irpsim/wdk/ke.h>
#include <irpsim/wdk/ex.h>
#include <irpsim/wdk/mm.h>
#include <irpsim/wdk/ob.h>
#include <irpsim/wdk/ps.h>
#include <irpsim/wdk/iotypes.h>
#include <irpsim/wdk/io.h>
#include <irpsim/wdk/zw.h>
#include <guiddef.h>
#include <bugcodes.h>

#endif /* IRPSIM_WDM_H */
