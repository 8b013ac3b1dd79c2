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

/* Report text (RtlpTextAppend, RtlpFormatPoolTag) and driver names
   (IopFormatDriverName) come from the shared helpers. */
#include "../rtl/text.h"
#include "../io/iop.h"

#endif /* IRPSIM_VFP_H */
