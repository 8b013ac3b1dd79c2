/*
 * irpsim — executive resources (ERESOURCE): reader/writer locks that the
 * exclusive owner may take again, exclusively or shared.
 *
 * Bookkeeping sits in the ERESOURCE the driver provides: OwnerEntry holds
 * the exclusive owner and its recursion count, OwnerTable the shared owners
 * (one entry per thread with its count), Flag has ERESOURCE_OWNED_EXCLUSIVE,
 * the waiter counts are the WDK's fields; all of it under Resource->SpinLock.
 * The two wait objects and the owner table live in a nonpaged pool block
 * (IrpSimState) that ExInitializeResourceLite allocates and
 * ExDeleteResourceLite frees, so a resource that is never deleted shows up
 * in the driver's pool leak report (tag "ExRs").
 *
 * Waiters block in kernel waits: shared waiters on a semaphore, exclusive
 * waiters on a synchronization event. Ownership is handed over by the
 * releaser (it is reserved before the waiter wakes), so a thread that
 * arrives later cannot take the resource from under a woken waiter. As on
 * Windows, an exclusive release wakes all shared waiters first, and the
 * last shared release wakes one exclusive waiter; ExAcquireResourceSharedLite
 * waits behind an exclusive waiter unless the caller already owns the
 * resource, ExAcquireSharedStarveExclusive never does, and
 * ExAcquireSharedWaitForExclusive always does.
 *
 * Reports:
 *   0xC4/0x37, 0x38  acquire / release (ExReleaseResourceLite) with normal
 *                    kernel APCs enabled: P2 IRQL, P3 APC-disable count, P4 resource;
 *   0xC4/0x20006     acquire above APC_LEVEL (DDI rule IrqlExApcLte2), P3 resource;
 *   0xC4/0x1000      exclusive acquire (Wait TRUE) by a thread that owns it shared;
 *   0xC4/0x1002      resource never initialised;
 *   0xC4/0x1005      ExInitializeResourceLite on a live resource;
 *   0xC4/0x100B      delete or reinitialise while owned, P3 an owner thread;
 *   0xC4/0xD2        pool freed (or an object body) that still holds a
 *                    resource never deleted (src/verifier/active.c);
 *   0xE3             RESOURCE_NOT_OWNED: release by a thread that owns nothing.
 */
#include "../ke/ki.h"
#include "../verifier/vf.h"

#include <string.h>

#ifndef RESOURCE_NOT_OWNED
#define RESOURCE_NOT_OWNED 0x000000E3
#endif

#define EXP_RESOURCE_COOKIE       ((ULONG_PTR)0x4578526573726365ULL)
#define EXP_RESOURCE_TAG          'sRxE'
#define ERESOURCE_OWNED_EXCLUSIVE 0x80

/* Distinct threads that may own one resource shared at the same time. */
#define EXP_RESOURCE_MAX_SHARED_OWNERS 64

#define EXP_VF_ACQUIRE_APCS_ENABLED    0x37
#define EXP_VF_RELEASE_APCS_ENABLED    0x38
#define EXP_VF_SELF_DEADLOCK           0x1000
#define EXP_VF_UNINITIALIZED           0x1002
#define EXP_VF_MULTIPLE_INITIALIZATION 0x1005
#define EXP_VF_DELETED_WHILE_OWNED     0x100B
#define EXP_DDI_IRQL_EX_APC_LTE2       0x20006

static const CHAR ExpRuleIrqlExApcLte2[] = "IrqlExApcLte2";

typedef struct _EXP_RESOURCE_STATE {
    PERESOURCE Resource; /* back pointer: tells a live resource from stale memory */
    KSEMAPHORE SharedWaiters;
    KEVENT ExclusiveWaiters; /* synchronization event: one waiter per hand-over */
    ULONG ReservedShared;    /* shared grants handed to woken waiters, not yet claimed */
    OWNER_ENTRY Owners[EXP_RESOURCE_MAX_SHARED_OWNERS];
} EXP_RESOURCE_STATE, *PEXP_RESOURCE_STATE;

typedef enum _EXP_SHARED_MODE { ExpSharedLite, ExpSharedStarveExclusive, ExpSharedWaitForExclusive } EXP_SHARED_MODE;

static ULONG_PTR ExpResourceCookie(PERESOURCE Resource)
{
    return (ULONG_PTR)Resource ^ EXP_RESOURCE_COOKIE;
}

static PEXP_RESOURCE_STATE ExpResourceState(PERESOURCE Resource)
{
    PEXP_RESOURCE_STATE State;
    if (Resource->IrpSimCookie != ExpResourceCookie(Resource) || Resource->IrpSimState == NULL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, EXP_VF_UNINITIALIZED, (ULONG_PTR)Resource, 0, 0, NULL,
                   "An ERESOURCE was used before ExInitializeResourceLite initialised it, or after "
                   "ExDeleteResourceLite (or after the memory holding it was copied or overwritten).",
                   "Call ExInitializeResourceLite once, in nonpaged memory, before the first acquire, and "
                   "ExDeleteResourceLite only when no thread will use the resource again.");
    State = (PEXP_RESOURCE_STATE)Resource->IrpSimState;
    return State;
}

static ULONG ExpApcDisableCount(PKTHREAD Thread)
{
    return ((ULONG)(USHORT)Thread->SpecialApcDisable << 16) | (ULONG)(USHORT)Thread->KernelApcDisable;
}

static BOOLEAN ExpApcsDisabled(PKTHREAD Thread, KIRQL Irql)
{
    return Irql >= APC_LEVEL || Thread->KernelApcDisable != 0 || Thread->SpecialApcDisable != 0;
}

static VOID ExpCheckAcquire(PERESOURCE Resource, PKTHREAD Thread)
{
    KIRQL Irql = KeGetCurrentIrql();
    if (Irql > APC_LEVEL)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, EXP_DDI_IRQL_EX_APC_LTE2, (ULONG_PTR)ExpRuleIrqlExApcLte2,
                   (ULONG_PTR)Resource, Irql, NULL,
                   "An ERESOURCE was acquired above APC_LEVEL (DDI rule IrqlExApcLte2; P4 the IRQL). The "
                   "ExAcquireResource* routines may wait, which is impossible at DISPATCH_LEVEL or above.",
                   "Acquire resources at PASSIVE_LEVEL (inside a critical region) or APC_LEVEL; at "
                   "DISPATCH_LEVEL use a spin lock.");
    if (!ExpApcsDisabled(Thread, Irql))
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, EXP_VF_ACQUIRE_APCS_ENABLED, Irql, ExpApcDisableCount(Thread),
                   (ULONG_PTR)Resource, NULL,
                   "An ERESOURCE was acquired with normal kernel APCs enabled (P2 IRQL, P3 the thread's "
                   "APC-disable count). A thread could then be suspended by an APC while it owns the resource, "
                   "and every other thread that needs the resource would hang behind it.",
                   "Call KeEnterCriticalRegion before acquiring and KeLeaveCriticalRegion after releasing, or "
                   "use ExEnterCriticalRegionAndAcquireResourceExclusive/Shared and "
                   "ExReleaseResourceAndLeaveCriticalRegion.");
}

static KIRQL ExpLockResource(PERESOURCE Resource)
{
    KIRQL OldIrql = KeGetCurrentIrql();
    if (OldIrql >= DISPATCH_LEVEL)
        KeAcquireSpinLockAtDpcLevel(&Resource->SpinLock);
    else
        KeAcquireSpinLock(&Resource->SpinLock, &OldIrql);
    return OldIrql;
}

static VOID ExpUnlockResource(PERESOURCE Resource, KIRQL OldIrql)
{
    if (OldIrql >= DISPATCH_LEVEL)
        KeReleaseSpinLockFromDpcLevel(&Resource->SpinLock);
    else
        KeReleaseSpinLock(&Resource->SpinLock, OldIrql);
}

/* ---- owner bookkeeping; the caller holds the resource lock ---- */

static BOOLEAN ExpOwnedShared(PERESOURCE Resource, PEXP_RESOURCE_STATE State)
{
    return Resource->ActiveEntries != 0 || State->ReservedShared != 0;
}

static VOID ExpUpdateActiveCount(PERESOURCE Resource, PEXP_RESOURCE_STATE State)
{
    if (Resource->Flag & ERESOURCE_OWNED_EXCLUSIVE)
        Resource->ActiveCount = 1;
    else
        Resource->ActiveCount = (SHORT)(Resource->ActiveEntries + State->ReservedShared);
}

static POWNER_ENTRY ExpFindSharedOwner(PERESOURCE Resource, ERESOURCE_THREAD Thread)
{
    for (ULONG i = 0; i < Resource->ActiveEntries; i++) {
        if (Resource->OwnerTable[i].OwnerThread == Thread)
            return &Resource->OwnerTable[i];
    }
    return NULL;
}

/* Counts one more shared acquisition by Thread. FALSE when the table is full. */
static BOOLEAN ExpAddSharedOwner(PERESOURCE Resource, ERESOURCE_THREAD Thread)
{
    POWNER_ENTRY Entry = ExpFindSharedOwner(Resource, Thread);
    if (Entry != NULL) {
        Entry->OwnerCount++;
        return TRUE;
    }
    if (Resource->ActiveEntries >= EXP_RESOURCE_MAX_SHARED_OWNERS)
        return FALSE;
    Entry = &Resource->OwnerTable[Resource->ActiveEntries++];
    Entry->OwnerThread = Thread;
    Entry->OwnerCount = 1;
    return TRUE;
}

static VOID ExpRemoveSharedOwner(PERESOURCE Resource, POWNER_ENTRY Entry)
{
    *Entry = Resource->OwnerTable[--Resource->ActiveEntries];
    Resource->OwnerTable[Resource->ActiveEntries].OwnerThread = 0;
    Resource->OwnerTable[Resource->ActiveEntries].OwnerCount = 0;
}

/* What a release must wake once the lock is dropped. */
typedef struct _EXP_WAKE {
    LONG SharedCount;
    BOOLEAN Exclusive;
} EXP_WAKE;

static VOID ExpGrantToSharedWaiters(PERESOURCE Resource, PEXP_RESOURCE_STATE State, EXP_WAKE *Wake)
{
    Wake->SharedCount = (LONG)Resource->NumberOfSharedWaiters;
    State->ReservedShared += Resource->NumberOfSharedWaiters;
    Resource->NumberOfSharedWaiters = 0;
}

static VOID ExpGrantToExclusiveWaiter(PERESOURCE Resource, EXP_WAKE *Wake)
{
    Resource->NumberOfExclusiveWaiters--;
    Resource->Flag |= ERESOURCE_OWNED_EXCLUSIVE;
    Resource->OwnerEntry.OwnerThread = 0; /* claimed by the waiter when it wakes */
    Resource->OwnerEntry.OwnerCount = 0;
    Wake->Exclusive = TRUE;
}

static VOID ExpWakeWaiters(PEXP_RESOURCE_STATE State, const EXP_WAKE *Wake)
{
    if (Wake->SharedCount > 0)
        (void)KeReleaseSemaphore(&State->SharedWaiters, 0, Wake->SharedCount, FALSE);
    if (Wake->Exclusive)
        (void)KeSetEvent(&State->ExclusiveWaiters, 0, FALSE);
}

DECLSPEC_NORETURN static VOID ExpTooManySharedOwners(VOID)
{
    VfNotSimulated("ExAcquireResourceSharedLite",
                   "irpsim tracks at most 64 threads owning one ERESOURCE shared at the same time.");
}

/* ---- initialisation and deletion ---- */

NTSTATUS NTAPI ExInitializeResourceLite(PERESOURCE Resource)
{
    PEXP_RESOURCE_STATE State;

    if (Resource->IrpSimCookie == ExpResourceCookie(Resource) && Resource->IrpSimState != NULL &&
        ((PEXP_RESOURCE_STATE)Resource->IrpSimState)->Resource == Resource)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, EXP_VF_MULTIPLE_INITIALIZATION, (ULONG_PTR)Resource, 0, 0, NULL,
                   "ExInitializeResourceLite was called on an ERESOURCE that is already initialised: either the "
                   "driver initialises it twice, or this memory held a resource that was freed without "
                   "ExDeleteResourceLite.",
                   "Initialise each resource once; call ExDeleteResourceLite before freeing or reusing its "
                   "memory, or ExReinitializeResourceLite to reset it.");

    State = (PEXP_RESOURCE_STATE)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(*State), EXP_RESOURCE_TAG);
    if (State == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(State, 0, sizeof(*State));
    State->Resource = Resource;
    KeInitializeSemaphore(&State->SharedWaiters, 0, MAXLONG);
    KeInitializeEvent(&State->ExclusiveWaiters, SynchronizationEvent, FALSE);

    memset(Resource, 0, sizeof(*Resource));
    InitializeListHead(&Resource->SystemResourcesList);
    KeInitializeSpinLock(&Resource->SpinLock);
    Resource->OwnerTable = State->Owners;
    Resource->SharedWaiters = &State->SharedWaiters;
    Resource->ExclusiveWaiters = &State->ExclusiveWaiters;
    Resource->IrpSimState = State;
    Resource->IrpSimCookie = ExpResourceCookie(Resource);
    VfActiveInsert(Resource, VfActiveResource, KiCurrentDriver(), NULL, NULL); /* for freed-memory checks */
    return STATUS_SUCCESS;
}

/* Stops deletion and reinitialisation of a resource somebody owns. */
static VOID ExpCheckNotOwned(PERESOURCE Resource, PEXP_RESOURCE_STATE State, PCSTR Rule)
{
    ERESOURCE_THREAD Owner = 0;
    BOOLEAN Owned;
    KIRQL OldIrql = ExpLockResource(Resource);
    Owned = (Resource->Flag & ERESOURCE_OWNED_EXCLUSIVE) != 0 || ExpOwnedShared(Resource, State) ||
            Resource->NumberOfSharedWaiters != 0 || Resource->NumberOfExclusiveWaiters != 0;
    if (Resource->Flag & ERESOURCE_OWNED_EXCLUSIVE)
        Owner = Resource->OwnerEntry.OwnerThread;
    else if (Resource->ActiveEntries != 0)
        Owner = Resource->OwnerTable[0].OwnerThread;
    ExpUnlockResource(Resource, OldIrql);
    if (Owned)
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, EXP_VF_DELETED_WHILE_OWNED, (ULONG_PTR)Resource, Owner, 0, NULL,
                   Rule,
                   "Release the resource on every thread that acquired it (and let waiters finish) before "
                   "deleting or reinitialising it.");
}

NTSTATUS NTAPI ExReinitializeResourceLite(PERESOURCE Resource)
{
    PEXP_RESOURCE_STATE State = ExpResourceState(Resource);
    ExpCheckNotOwned(Resource, State,
                     "ExReinitializeResourceLite was called on an ERESOURCE that a thread still owns or waits for "
                     "(P3 an owner thread, 0 if only waiters).");
    memset(State->Owners, 0, sizeof(State->Owners));
    State->ReservedShared = 0;
    KeInitializeSemaphore(&State->SharedWaiters, 0, MAXLONG);
    KeInitializeEvent(&State->ExclusiveWaiters, SynchronizationEvent, FALSE);
    Resource->ActiveCount = 0;
    Resource->Flag = 0;
    Resource->OwnerEntry.OwnerThread = 0;
    Resource->OwnerEntry.OwnerCount = 0;
    Resource->ActiveEntries = 0;
    Resource->ContentionCount = 0;
    Resource->NumberOfSharedWaiters = 0;
    Resource->NumberOfExclusiveWaiters = 0;
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI ExDeleteResourceLite(PERESOURCE Resource)
{
    PEXP_RESOURCE_STATE State = ExpResourceState(Resource);
    ExpCheckNotOwned(Resource, State,
                     "ExDeleteResourceLite was called on an ERESOURCE that a thread still owns or waits for "
                     "(P3 an owner thread, 0 if only waiters).");
    Resource->IrpSimCookie = 0;
    Resource->IrpSimState = NULL;
    Resource->OwnerTable = NULL;
    Resource->SharedWaiters = NULL;
    Resource->ExclusiveWaiters = NULL;
    State->Resource = NULL;
    ExFreePoolWithTag(State, EXP_RESOURCE_TAG);
    VfActiveRemove(Resource);
    return STATUS_SUCCESS;
}

/* ---- acquiring ---- */

BOOLEAN NTAPI ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait)
{
    PEXP_RESOURCE_STATE State = ExpResourceState(Resource);
    PKTHREAD Thread = KeGetCurrentThread();
    ERESOURCE_THREAD Me = (ERESOURCE_THREAD)Thread;
    KIRQL OldIrql;

    ExpCheckAcquire(Resource, Thread);
    OldIrql = ExpLockResource(Resource);
    if (Resource->Flag & ERESOURCE_OWNED_EXCLUSIVE) {
        if (Resource->OwnerEntry.OwnerThread == Me) {
            Resource->OwnerEntry.OwnerCount++;
            ExpUnlockResource(Resource, OldIrql);
            return TRUE;
        }
    } else if (!ExpOwnedShared(Resource, State)) {
        Resource->Flag |= ERESOURCE_OWNED_EXCLUSIVE;
        Resource->OwnerEntry.OwnerThread = Me;
        Resource->OwnerEntry.OwnerCount = 1;
        ExpUpdateActiveCount(Resource, State);
        ExpUnlockResource(Resource, OldIrql);
        return TRUE;
    } else if (Wait && ExpFindSharedOwner(Resource, Me) != NULL) {
        ExpUnlockResource(Resource, OldIrql);
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, EXP_VF_SELF_DEADLOCK, (ULONG_PTR)Resource, 0, 0, NULL,
                   "A thread that owns an ERESOURCE shared asked for it exclusively with Wait TRUE. A shared "
                   "owner cannot be promoted: the thread would wait for its own shared ownership to end, "
                   "forever.",
                   "Release the shared ownership first and then acquire exclusively (re-checking whatever you "
                   "read under the shared lock), or acquire exclusively from the start.");
    }
    if (!Wait) {
        ExpUnlockResource(Resource, OldIrql);
        return FALSE;
    }
    Resource->NumberOfExclusiveWaiters++;
    Resource->ContentionCount++;
    ExpUnlockResource(Resource, OldIrql);

    (void)KeWaitForSingleObject(&State->ExclusiveWaiters, WrExecutive, KernelMode, FALSE, NULL);

    /* The releaser reserved exclusive ownership for one woken waiter. */
    OldIrql = ExpLockResource(Resource);
    Resource->OwnerEntry.OwnerThread = Me;
    Resource->OwnerEntry.OwnerCount = 1;
    ExpUpdateActiveCount(Resource, State);
    ExpUnlockResource(Resource, OldIrql);
    return TRUE;
}

static BOOLEAN ExpAcquireResourceShared(PERESOURCE Resource, BOOLEAN Wait, EXP_SHARED_MODE Mode)
{
    PEXP_RESOURCE_STATE State = ExpResourceState(Resource);
    PKTHREAD Thread = KeGetCurrentThread();
    ERESOURCE_THREAD Me = (ERESOURCE_THREAD)Thread;
    BOOLEAN Grant = FALSE;
    KIRQL OldIrql;

    ExpCheckAcquire(Resource, Thread);
    OldIrql = ExpLockResource(Resource);
    if (Resource->Flag & ERESOURCE_OWNED_EXCLUSIVE) {
        if (Resource->OwnerEntry.OwnerThread == Me) {
            /* The exclusive owner gets the same access again, recursively. */
            Resource->OwnerEntry.OwnerCount++;
            ExpUnlockResource(Resource, OldIrql);
            return TRUE;
        }
    } else if (!ExpOwnedShared(Resource, State)) {
        Grant = TRUE;
    } else if (Mode == ExpSharedStarveExclusive || Resource->NumberOfExclusiveWaiters == 0) {
        Grant = TRUE;
    } else if (Mode == ExpSharedLite && ExpFindSharedOwner(Resource, Me) != NULL) {
        /* An owner is never made to queue behind an exclusive waiter. */
        Grant = TRUE;
    }
    if (Grant) {
        if (!ExpAddSharedOwner(Resource, Me)) {
            ExpUnlockResource(Resource, OldIrql);
            ExpTooManySharedOwners();
        }
        ExpUpdateActiveCount(Resource, State);
        ExpUnlockResource(Resource, OldIrql);
        return TRUE;
    }
    if (!Wait) {
        ExpUnlockResource(Resource, OldIrql);
        return FALSE;
    }
    Resource->NumberOfSharedWaiters++;
    Resource->ContentionCount++;
    ExpUnlockResource(Resource, OldIrql);

    (void)KeWaitForSingleObject(&State->SharedWaiters, WrExecutive, KernelMode, FALSE, NULL);

    /* The releaser reserved a shared grant for each waiter it woke. */
    OldIrql = ExpLockResource(Resource);
    State->ReservedShared--;
    if (!ExpAddSharedOwner(Resource, Me)) {
        ExpUnlockResource(Resource, OldIrql);
        ExpTooManySharedOwners();
    }
    ExpUpdateActiveCount(Resource, State);
    ExpUnlockResource(Resource, OldIrql);
    return TRUE;
}

BOOLEAN NTAPI ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait)
{
    return ExpAcquireResourceShared(Resource, Wait, ExpSharedLite);
}

BOOLEAN NTAPI ExAcquireSharedStarveExclusive(PERESOURCE Resource, BOOLEAN Wait)
{
    return ExpAcquireResourceShared(Resource, Wait, ExpSharedStarveExclusive);
}

BOOLEAN NTAPI ExAcquireSharedWaitForExclusive(PERESOURCE Resource, BOOLEAN Wait)
{
    return ExpAcquireResourceShared(Resource, Wait, ExpSharedWaitForExclusive);
}

/* ---- releasing ---- */

static VOID ExpReleaseResource(PERESOURCE Resource, ERESOURCE_THREAD ThreadId)
{
    PEXP_RESOURCE_STATE State = ExpResourceState(Resource);
    EXP_WAKE Wake = {0, FALSE};
    POWNER_ENTRY Entry;
    KIRQL OldIrql = ExpLockResource(Resource);

    if (Resource->Flag & ERESOURCE_OWNED_EXCLUSIVE) {
        if (Resource->OwnerEntry.OwnerThread != ThreadId)
            goto NotOwned;
        if (--Resource->OwnerEntry.OwnerCount == 0) {
            Resource->Flag &= (USHORT)~ERESOURCE_OWNED_EXCLUSIVE;
            Resource->OwnerEntry.OwnerThread = 0;
            /* Shared waiters go first after an exclusive owner. */
            if (Resource->NumberOfSharedWaiters != 0)
                ExpGrantToSharedWaiters(Resource, State, &Wake);
            else if (Resource->NumberOfExclusiveWaiters != 0)
                ExpGrantToExclusiveWaiter(Resource, &Wake);
        }
    } else {
        Entry = ExpFindSharedOwner(Resource, ThreadId);
        if (Entry == NULL)
            goto NotOwned;
        if (--Entry->OwnerCount == 0)
            ExpRemoveSharedOwner(Resource, Entry);
        if (!ExpOwnedShared(Resource, State)) {
            /* An exclusive waiter goes first after the last shared owner. */
            if (Resource->NumberOfExclusiveWaiters != 0)
                ExpGrantToExclusiveWaiter(Resource, &Wake);
            else if (Resource->NumberOfSharedWaiters != 0)
                ExpGrantToSharedWaiters(Resource, State, &Wake);
        }
    }
    ExpUpdateActiveCount(Resource, State);
    ExpUnlockResource(Resource, OldIrql);
    ExpWakeWaiters(State, &Wake);
    return;

NotOwned:
    ExpUnlockResource(Resource, OldIrql);
    VfBugCheck(RESOURCE_NOT_OWNED, (ULONG_PTR)Resource, ThreadId, (ULONG_PTR)Resource->OwnerTable, 0, NULL,
               "An ERESOURCE was released for a thread that does not own it (P1 resource, P2 the thread the "
               "release was for, P3 the owner table): it was released more times than it was acquired, or on "
               "the wrong thread.",
               "Release once per successful acquire, on the acquiring thread; to release for another thread "
               "pass that thread's ERESOURCE_THREAD (ExGetCurrentResourceThread() at acquire time) to "
               "ExReleaseResourceForThreadLite.");
}

VOID NTAPI ExReleaseResourceLite(PERESOURCE Resource)
{
    PKTHREAD Thread = KeGetCurrentThread();
    KIRQL Irql = KeGetCurrentIrql();

    (void)ExpResourceState(Resource);
    if (!ExpApcsDisabled(Thread, Irql))
        VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, EXP_VF_RELEASE_APCS_ENABLED, Irql, ExpApcDisableCount(Thread),
                   (ULONG_PTR)Resource, NULL,
                   "An ERESOURCE was released with normal kernel APCs enabled (P2 IRQL, P3 the thread's APC-disable "
                   "count): the critical region that must cover the whole time the resource is owned was left "
                   "too early.",
                   "Call KeLeaveCriticalRegion after ExReleaseResourceLite, not before (or use "
                   "ExReleaseResourceAndLeaveCriticalRegion).");
    ExpReleaseResource(Resource, (ERESOURCE_THREAD)Thread);
}

VOID NTAPI ExReleaseResourceForThreadLite(PERESOURCE Resource, ERESOURCE_THREAD ResourceThreadId)
{
    ExpReleaseResource(Resource, ResourceThreadId);
}

/* ---- queries ---- */

BOOLEAN NTAPI ExIsResourceAcquiredExclusiveLite(PERESOURCE Resource)
{
    ERESOURCE_THREAD Me = (ERESOURCE_THREAD)KeGetCurrentThread();
    BOOLEAN Owned;
    KIRQL OldIrql;

    (void)ExpResourceState(Resource);
    OldIrql = ExpLockResource(Resource);
    Owned = (Resource->Flag & ERESOURCE_OWNED_EXCLUSIVE) != 0 && Resource->OwnerEntry.OwnerThread == Me;
    ExpUnlockResource(Resource, OldIrql);
    return Owned;
}

/* How many times the caller holds the resource, shared or exclusive. */
ULONG NTAPI ExIsResourceAcquiredSharedLite(PERESOURCE Resource)
{
    ERESOURCE_THREAD Me = (ERESOURCE_THREAD)KeGetCurrentThread();
    POWNER_ENTRY Entry;
    ULONG Count = 0;
    KIRQL OldIrql;

    (void)ExpResourceState(Resource);
    OldIrql = ExpLockResource(Resource);
    if (Resource->Flag & ERESOURCE_OWNED_EXCLUSIVE) {
        if (Resource->OwnerEntry.OwnerThread == Me)
            Count = Resource->OwnerEntry.OwnerCount;
    } else {
        Entry = ExpFindSharedOwner(Resource, Me);
        if (Entry != NULL)
            Count = Entry->OwnerCount;
    }
    ExpUnlockResource(Resource, OldIrql);
    return Count;
}

ULONG NTAPI ExGetExclusiveWaiterCount(PERESOURCE Resource)
{
    ULONG Count;
    KIRQL OldIrql;
    (void)ExpResourceState(Resource);
    OldIrql = ExpLockResource(Resource);
    Count = Resource->NumberOfExclusiveWaiters;
    ExpUnlockResource(Resource, OldIrql);
    return Count;
}

ULONG NTAPI ExGetSharedWaiterCount(PERESOURCE Resource)
{
    ULONG Count;
    KIRQL OldIrql;
    (void)ExpResourceState(Resource);
    OldIrql = ExpLockResource(Resource);
    Count = Resource->NumberOfSharedWaiters;
    ExpUnlockResource(Resource, OldIrql);
    return Count;
}

/* ---- the critical-region wrappers (they return the thread's Win32Thread) ---- */

PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceExclusive(PERESOURCE Resource)
{
    KeEnterCriticalRegion();
    (void)ExAcquireResourceExclusiveLite(Resource, TRUE);
    return KeGetCurrentThread()->Win32Thread;
}

PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceShared(PERESOURCE Resource)
{
    KeEnterCriticalRegion();
    (void)ExAcquireResourceSharedLite(Resource, TRUE);
    return KeGetCurrentThread()->Win32Thread;
}

VOID NTAPI ExReleaseResourceAndLeaveCriticalRegion(PERESOURCE Resource)
{
    ExReleaseResourceLite(Resource);
    KeLeaveCriticalRegion();
}
