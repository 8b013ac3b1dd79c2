/*
 * irpsim — the host's address space, for the memory manager's probes
 * (MmProbeAndLockPages, MmIsAddressValid).
 *
 * Kept apart from pal.h because only the memory manager uses it.
 */
#ifndef IRPSIM_PAL_MEMORY_H
#define IRPSIM_PAL_MEMORY_H

#include <irpsim/wdk/basetypes.h>

/* TRUE if every byte of [Address, Address + Length) is mapped in the host
   process and readable (Write: readable and writable), found out without
   touching the memory. On FALSE, *FirstBad (optional) is the first address
   that is not. A host that cannot tell answers TRUE. Length 0 is TRUE. */
BOOLEAN PalQueryMemoryAccess(ULONG_PTR Address, SIZE_T Length, BOOLEAN Write, ULONG_PTR *FirstBad);

#endif /* IRPSIM_PAL_MEMORY_H */
