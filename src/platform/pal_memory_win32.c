/*
 * irpsim — querying the host's address space without touching it (Windows).
 *
 * VirtualQuery describes the region of pages around an address: whether it
 * is committed and its protection. The range is valid when committed
 * regions with a readable (Write: writable) protection and no guard flag
 * cover it from start to end.
 */
#ifndef _WIN32
#error "pal_memory_win32.c is for Windows; build pal_memory_posix.c on this host"
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include "pal_memory.h"

#include <windows.h>

/* Protection values without the modifier bits (PAGE_GUARD, PAGE_NOCACHE,
   PAGE_WRITECOMBINE), which are checked separately. */
#define PALP_PROTECTION_MASK 0xFFu

static int PalpAllows(DWORD Protect, int Write)
{
    if ((Protect & PAGE_GUARD) != 0)
        return 0; /* touching it raises STATUS_GUARD_PAGE_VIOLATION */
    switch (Protect & PALP_PROTECTION_MASK) {
    case PAGE_READWRITE:
    case PAGE_WRITECOPY:
    case PAGE_EXECUTE_READWRITE:
    case PAGE_EXECUTE_WRITECOPY:
        return 1;
    case PAGE_READONLY:
    case PAGE_EXECUTE_READ:
        return !Write;
    default: /* PAGE_NOACCESS, PAGE_EXECUTE */
        return 0;
    }
}

int PalQueryMemoryAccess(uintptr_t Address, size_t Length, int Write, uintptr_t *FirstBad)
{
    uintptr_t Next = Address;
    uintptr_t End = Address + Length; /* the caller made sure this does not wrap */

    while (Next < End) {
        MEMORY_BASIC_INFORMATION Info;
        uintptr_t RegionEnd;
        if (VirtualQuery((LPCVOID)Next, &Info, sizeof(Info)) == 0)
            break; /* outside the user address space */
        if (Info.State != MEM_COMMIT || !PalpAllows(Info.Protect, Write))
            break;
        RegionEnd = (uintptr_t)Info.BaseAddress + Info.RegionSize;
        if (RegionEnd <= Next)
            break; /* cannot happen; do not loop forever if it does */
        Next = RegionEnd;
    }
    if (Next >= End)
        return 1;
    if (FirstBad != NULL)
        *FirstBad = Next;
    return 0;
}
