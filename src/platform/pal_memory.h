/*
 * irpsim — the host's address space, for the memory manager's probes
 * (MmProbeAndLockPages, MmIsAddressValid).
 *
 * Kept apart from pal.h because only the memory manager uses it.
 */
#ifndef IRPSIM_PAL_MEMORY_H
#define IRPSIM_PAL_MEMORY_H

/* Standard C types only, as pal.h (host headers and WDK types clash). */
#include <stddef.h>
#include <stdint.h>

/* Nonzero if every byte of [Address, Address + Length) is mapped in the
   host process and readable (Write nonzero: readable and writable), found
   out without touching the memory. On 0, *FirstBad (optional) is the first
   address that is not. A host that cannot tell answers nonzero. Length 0
   is nonzero. Address + Length does not wrap (the caller checks).
   Implementations: pal_memory_posix.c (Linux: process_vm_readv and
   /proc/self/maps; other POSIX hosts cannot tell), pal_memory_win32.c
   (VirtualQuery). */
int PalQueryMemoryAccess(uintptr_t Address, size_t Length, int Write, uintptr_t *FirstBad);

#endif /* IRPSIM_PAL_MEMORY_H */
