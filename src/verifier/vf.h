/*
 * irpsim — verifier and bug-check internals (Vf*).
 *
 * VfBugCheck is what every component calls to stop the machine: it takes
 * the four Windows parameters plus the explanation irpsim adds (the rule
 * in plain words, the IRP involved, a hint). KeBugCheckEx is the same thing
 * without the extras, for drivers.
 */
#ifndef IRPSIM_VF_H
#define IRPSIM_VF_H

#include <irpsim/irpsim.h>

/* Stops the machine with a full report. Rule and Hint may be NULL (the
   table's text for Code is used); Irp may be NULL. Never call it while
   holding a host (PAL) mutex. */
DECLSPEC_NORETURN VOID VfBugCheck(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4, PIRP Irp,
                                  PCSTR Rule, PCSTR Hint);

/* Reports a call to a routine irpsim does not simulate (bug check
   IRPSIM_NOT_SIMULATED, P1 = the routine's name). */
DECLSPEC_NORETURN VOID VfNotSimulated(PCSTR RoutineName, PCSTR Why);

/* Text tables (bugcodes.c). */
PCSTR VfBugCheckName(ULONG Code);
PCSTR VfBugCheckRule(ULONG Code, ULONG_PTR P1);
PCSTR VfBugCheckHint(ULONG Code, ULONG_PTR P1);
/* What parameter Index (0..3) means for Code (and P1 for the 0xC2/0xC4/0xC9 families). */
PCSTR VfBugCheckParameterMeaning(ULONG Code, ULONG_PTR P1, ULONG Index);

/* Formats Irp like WinDbg's !irp into Buffer (implemented by the I/O
   manager, which knows whether the IRP is still alive). Returns the length
   written. */
SIZE_T IopFormatIrp(PIRP Irp, PCHAR Buffer, SIZE_T BufferSize);

#endif /* IRPSIM_VF_H */
