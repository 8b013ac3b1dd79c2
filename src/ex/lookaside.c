/*
 * irpsim — lookaside lists.
 *
 * A small cache of fixed-size blocks in front of the pool. The cache is a
 * real one (blocks are reused), protected by a spin lock, with the header
 * fields Windows shows after initialisation (Depth 4, MaximumDepth 256,
 * Type = pool type | flags). Active lists are registered with the pool so
 * freeing the memory that holds one is reported (0xC4/0xCC).
 */
#include "exp.h"
#include "../verifier/vf.h"

#define EXP_LOOKASIDE_COOKIE 0x4c6f6f6bu /* "Look" */
#define EXP_LOOKASIDE_DEPTH 4
#define EXP_LOOKASIDE_MAXIMUM_DEPTH 256

static ULONG_PTR ExpLookasideCookie(PGENERAL_LOOKASIDE L)
{
    return (ULONG_PTR)L ^ EXP_LOOKASIDE_COOKIE;
}

static PVOID NTAPI ExpDefaultAllocate(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    return ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}

static VOID NTAPI ExpDefaultFree(PVOID Buffer)
{
    ExFreePool(Buffer);
}

static VOID ExpInitializeLookaside(PGENERAL_LOOKASIDE L, POOL_TYPE Type, ULONG Flags, SIZE_T Size, ULONG Tag)
{
    if (L->IrpSimCookie == ExpLookasideCookie(L) && ExpIsActiveObject(L, ExpActiveLookaside))
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xCA, (ULONG_PTR)L, 0, 0, NULL,
                   "A lookaside list was initialised again while it was still active.",
                   "Delete the list (ExDelete...LookasideList) before initialising it again.");
    if (Size < LOOKASIDE_MINIMUM_BLOCK_SIZE)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xCD, (ULONG_PTR)L, Size, LOOKASIDE_MINIMUM_BLOCK_SIZE, NULL,
                   "A lookaside list was initialised with a block size smaller than the link it keeps in free blocks.",
                   "Use a block size of at least sizeof(SLIST_ENTRY).");
    memset(L, 0, sizeof(*L));
    L->ListHead.Next.Next = NULL;
    L->Depth = EXP_LOOKASIDE_DEPTH;
    L->MaximumDepth = EXP_LOOKASIDE_MAXIMUM_DEPTH;
    L->Type = (POOL_TYPE)(Type | Flags);
    L->Tag = Tag;
    L->Size = (ULONG)Size;
    InitializeListHead(&L->ListEntry);
    KeInitializeSpinLock(&L->IrpSimLock);
    L->IrpSimCookie = ExpLookasideCookie(L);
    ExpRegisterActiveObject(L, ExpActiveLookaside);
}

static VOID ExpCheckLookaside(PGENERAL_LOOKASIDE L, ULONG SubCode)
{
    if (L->IrpSimCookie != ExpLookasideCookie(L) || !ExpIsActiveObject(L, ExpActiveLookaside))
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, SubCode, (ULONG_PTR)L, 0, 0, NULL,
                   "A lookaside list was used (or deleted) without being initialised, or after it was deleted.",
                   "Call ExInitialize...LookasideList first, and do not use the list after deleting it.");
}

static PVOID ExpCallAllocate(PGENERAL_LOOKASIDE L, PVOID ListForEx)
{
    POOL_TYPE Type = L->Type;
    if (L->IrpSimExFunctions)
        return L->AllocateEx(Type, L->Size, L->Tag, (struct _LOOKASIDE_LIST_EX *)ListForEx);
    return L->Allocate(Type, L->Size, L->Tag);
}

static VOID ExpCallFree(PGENERAL_LOOKASIDE L, PVOID Block, PVOID ListForEx)
{
    if (L->IrpSimExFunctions)
        L->FreeEx(Block, (struct _LOOKASIDE_LIST_EX *)ListForEx);
    else
        L->Free(Block);
}

static PVOID ExpAllocateFromLookaside(PGENERAL_LOOKASIDE L, PVOID ListForEx)
{
    KIRQL OldIrql;
    PSLIST_ENTRY Entry;

    ExpCheckLookaside(L, 0xCB);
    /* Low-resources simulation: fail even when a cached block is free, as
       Driver Verifier does, so the caller's NULL path runs. */
    if (VfInjectFailure(VfAllocateLookaside, L->Tag, L->Size, "ExAllocateFrom*LookasideList*"))
        return NULL;
    KeAcquireSpinLock(&L->IrpSimLock, &OldIrql);
    L->TotalAllocates++;
    Entry = L->ListHead.Next.Next;
    if (Entry != NULL) {
        L->ListHead.Next.Next = Entry->Next;
        L->ListHead.Depth--;
    } else {
        L->AllocateMisses++;
    }
    KeReleaseSpinLock(&L->IrpSimLock, OldIrql);
    if (Entry != NULL)
        return Entry;
    /* The refill: its pool allocation was decided above (low resources). */
    VfSuppressInjection();
    Entry = (PSLIST_ENTRY)ExpCallAllocate(L, ListForEx);
    VfResumeInjection();
    return Entry;
}

static VOID ExpFreeToLookaside(PGENERAL_LOOKASIDE L, PVOID Block, PVOID ListForEx)
{
    KIRQL OldIrql;
    BOOLEAN Cached = FALSE;

    ExpCheckLookaside(L, 0xCB);
    KeAcquireSpinLock(&L->IrpSimLock, &OldIrql);
    L->TotalFrees++;
    if (L->ListHead.Depth < L->Depth) {
        PSLIST_ENTRY Entry = (PSLIST_ENTRY)Block;
        Entry->Next = L->ListHead.Next.Next;
        L->ListHead.Next.Next = Entry;
        L->ListHead.Depth++;
        Cached = TRUE;
    } else {
        L->FreeMisses++;
    }
    KeReleaseSpinLock(&L->IrpSimLock, OldIrql);
    if (!Cached)
        ExpCallFree(L, Block, ListForEx);
}

static VOID ExpFlushLookaside(PGENERAL_LOOKASIDE L, PVOID ListForEx)
{
    for (;;) {
        KIRQL OldIrql;
        PSLIST_ENTRY Entry;
        KeAcquireSpinLock(&L->IrpSimLock, &OldIrql);
        Entry = L->ListHead.Next.Next;
        if (Entry != NULL) {
            L->ListHead.Next.Next = Entry->Next;
            L->ListHead.Depth--;
        }
        KeReleaseSpinLock(&L->IrpSimLock, OldIrql);
        if (Entry == NULL)
            break;
        ExpCallFree(L, Entry, ListForEx);
    }
}

static VOID ExpDeleteLookaside(PGENERAL_LOOKASIDE L, PVOID ListForEx)
{
    ExpCheckLookaside(L, 0xCB);
    ExpFlushLookaside(L, ListForEx);
    ExpUnregisterActiveObject(L);
    L->IrpSimCookie = 0;
}

/* ---- nonpaged ---- */

VOID NTAPI ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                           PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)
{
    UNREFERENCED_PARAMETER(Depth); /* reserved: Windows ignores it too */
    ExpInitializeLookaside(&Lookaside->L, NonPagedPoolNx, Flags, Size, Tag);
    Lookaside->L.Allocate = Allocate != NULL ? Allocate : ExpDefaultAllocate;
    Lookaside->L.Free = Free != NULL ? Free : ExpDefaultFree;
}

VOID NTAPI ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
    ExpDeleteLookaside(&Lookaside->L, NULL);
}

PVOID NTAPI ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
    return ExpAllocateFromLookaside(&Lookaside->L, NULL);
}

VOID NTAPI ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)
{
    ExpFreeToLookaside(&Lookaside->L, Entry, NULL);
}

/* ---- paged (callable at <= APC_LEVEL; the pool checks the IRQL) ---- */

VOID NTAPI ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                          PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)
{
    UNREFERENCED_PARAMETER(Depth);
    ExpInitializeLookaside(&Lookaside->L, PagedPool, Flags, Size, Tag);
    Lookaside->L.Allocate = Allocate != NULL ? Allocate : ExpDefaultAllocate;
    Lookaside->L.Free = Free != NULL ? Free : ExpDefaultFree;
}

VOID NTAPI ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)
{
    ExpDeleteLookaside(&Lookaside->L, NULL);
}

PVOID NTAPI ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)
{
    return ExpAllocateFromLookaside(&Lookaside->L, NULL);
}

VOID NTAPI ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)
{
    ExpFreeToLookaside(&Lookaside->L, Entry, NULL);
}

/* ---- LOOKASIDE_LIST_EX ---- */

static PVOID NTAPI ExpDefaultAllocateEx(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                        struct _LOOKASIDE_LIST_EX *Lookaside)
{
    UNREFERENCED_PARAMETER(Lookaside);
    return ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}

static VOID NTAPI ExpDefaultFreeEx(PVOID Buffer, struct _LOOKASIDE_LIST_EX *Lookaside)
{
    UNREFERENCED_PARAMETER(Lookaside);
    ExFreePool(Buffer);
}

NTSTATUS NTAPI ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PALLOCATE_FUNCTION_EX Allocate,
                                           PFREE_FUNCTION_EX Free, POOL_TYPE PoolType, ULONG Flags, SIZE_T Size,
                                           ULONG Tag, USHORT Depth)
{
    UNREFERENCED_PARAMETER(Depth);
    if ((Flags & ~(EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL | EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE)) != 0 ||
        (Flags & EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL && Flags & EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE))
        return STATUS_INVALID_PARAMETER_5;
    ExpInitializeLookaside(&Lookaside->L, PoolType,
                           (Flags & EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL) ? POOL_RAISE_IF_ALLOCATION_FAILURE : 0,
                           Size, Tag);
    Lookaside->L.AllocateEx = Allocate != NULL ? Allocate : ExpDefaultAllocateEx;
    Lookaside->L.FreeEx = Free != NULL ? Free : ExpDefaultFreeEx;
    Lookaside->L.IrpSimExFunctions = TRUE;
    return STATUS_SUCCESS;
}

VOID NTAPI ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)
{
    ExpDeleteLookaside(&Lookaside->L, Lookaside);
}

PVOID NTAPI ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)
{
    return ExpAllocateFromLookaside(&Lookaside->L, Lookaside);
}

VOID NTAPI ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry)
{
    ExpFreeToLookaside(&Lookaside->L, Entry, Lookaside);
}

VOID NTAPI ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)
{
    ExpCheckLookaside(&Lookaside->L, 0xCB);
    ExpFlushLookaside(&Lookaside->L, Lookaside);
}
