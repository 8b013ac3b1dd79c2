/*
 * irpsim — test control of the simulated address space.
 *
 * MmProbeAndLockPages raises STATUS_ACCESS_VIOLATION, and MmIsAddressValid
 * returns FALSE, for the NULL region (below 64 KB), for addresses above
 * MmUserProbeAddress when probing for UserMode (x64 hosts), for pages the
 * host process really has not mapped (or not writable, when writing), and
 * for the ranges a test declares invalid here: so a test can hand a driver
 * a "bad user buffer" that is ordinary memory.
 */
#ifndef IRPSIM_MEMORY_H
#define IRPSIM_MEMORY_H

#include <irpsim/irpsim.h>

IRPSIM_EXTERN_C_BEGIN

/* Makes [Address, Address + Length) invalid for MDL probes and
   MmIsAddressValid until removed or IrpSimShutdown. STATUS_INVALID_PARAMETER
   for an empty or wrapping range; STATUS_INSUFFICIENT_RESOURCES when 64
   ranges are already declared. */
NTSTATUS IrpSimDeclareInvalidRange(_In_ PVOID Address, _In_ SIZE_T Length);
/* Removes the range declared at Address; STATUS_NOT_FOUND if none. */
NTSTATUS IrpSimRemoveInvalidRange(_In_ PVOID Address);

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_MEMORY_H */
