/*
 * irpsim — initguid.h: after this include, DEFINE_GUID defines the GUID
 * (with storage) instead of only declaring it.
 */
#include <irpsim/wdk/basetypes.h>
#undef DEFINE_GUID
/* In C a file-scope const has external linkage already; in C++ it needs
   extern "C" (which, with an initializer, is a definition). */
#ifdef __cplusplus
#define IRPSIM_GUID_DEFINITION extern "C"
#else
#define IRPSIM_GUID_DEFINITION
#endif
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
    IRPSIM_GUID_DEFINITION const GUID name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
#ifndef IRPSIM_INITGUID_INCLUDED
#define IRPSIM_INITGUID_INCLUDED 1
#endif
