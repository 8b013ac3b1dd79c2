/*
 * irpsim — what the verifier's own files share (not for other components;
 * they use vf.h).
 */
#ifndef IRPSIM_VFP_H
#define IRPSIM_VFP_H

#include "vf.h"

#include <stdarg.h>

/* report.c */
VOID VfpResetReports(VOID);

/* lowres.c */
VOID VfpInitializeLowResources(PCSTR Environment);
VOID VfpShutdownLowResources(VOID);
/* Parses "every=3,tag=Tst1,..." into Settings (DriverName points into
   NameBuffer). FALSE, with a message on stderr, if it does not parse. */
BOOLEAN VfpParseLowResources(PCSTR Text, PIRPSIM_LOW_RESOURCES Settings, PWCHAR NameBuffer, SIZE_T NameCount);
VOID VfpWriteLowResourcesSummary(FILE *Stream);

/* active.c */
VOID VfpResetActiveObjects(VOID);
/* TRUE: the machine is being torn down, freed memory is no longer checked. */
VOID VfpStopActiveObjects(BOOLEAN Stop);

/* Appends to a fixed buffer; never overflows, always terminates. */
typedef struct _VFP_TEXT {
    PCHAR Buffer;
    SIZE_T Size;
    SIZE_T Used;
} VFP_TEXT;
VOID VfpAppend(VFP_TEXT *Text, PCSTR Format, ...) IRPSIM_FORMAT_PRINTF(2, 3); /* portability: compiler.h (MinGW) */
/* "\Driver\Beep" (or "irpsim or the test") into Buffer. */
VOID VfpDriverName(PDRIVER_OBJECT Driver, PCHAR Buffer, SIZE_T Size);
/* A pool tag as its four characters ("Tst1"). */
VOID VfpFormatTag(ULONG Tag, CHAR Text[5]);

#endif /* IRPSIM_VFP_H */
