/* irpsim — guiddef.h: DEFINE_GUID declares a GUID unless initguid.h came first. */
#ifndef IRPSIM_GUIDDEF_H
#define IRPSIM_GUIDDEF_H
#include <irpsim/wdk/basetypes.h>
#ifndef IRPSIM_INITGUID_INCLUDED
#undef DEFINE_GUID
#ifdef __cplusplus
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) extern "C" const GUID name
#else
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) extern const GUID name
#endif
#endif
#ifdef __cplusplus
typedef const GUID &REFGUID;
#else
typedef const GUID *REFGUID;
#endif
#endif
