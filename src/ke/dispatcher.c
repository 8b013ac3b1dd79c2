/*
 * irpsim — dispatcher objects: the common header, the "is it signalled for
 * this thread" and "satisfy the wait" rules per object type, and the wait
 * test that releases waiters when an object becomes signalled (SEMANTICS
 * 9.3, 9.4).
 *
 * A satisfied wait's side effect (auto-reset, semaphore decrement, mutex
 * ownership) is applied by whoever finds the wait satisfiable — the
 * signalling thread, the clock, or the waiter itself — under the dispatcher
 * lock, exactly once, as in NT. Waiters are released in the order they
 * started waiting.
 */
#include "ki.h"
#include "../verifier/vf.h"

VOID KiInitializeDispatcherHeader(PDISPATCHER_HEADER Header, UCHAR Type, UCHAR Size, LONG SignalState)
{
    Header->Type = Type;
    Header->Absolute = 0;
    Header->Size = Size;
    Header->Inserted = 0;
    Header->SignalState = SignalState;
    InitializeListHead(&Header->WaitListHead);
    Header->IrpSimCookie = KI_OBJECT_COOKIE(Header);
}

VOID KiCheckDispatcherObject(PVOID Object, ULONG TypeMask, PCSTR Rule, PCSTR Hint)
{
    PDISPATCHER_HEADER Header = (PDISPATCHER_HEADER)Object;
    if (Header != NULL && Header->IrpSimCookie == KI_OBJECT_COOKIE(Header) && Header->Type < 32 &&
        (TypeMask & KI_TYPE_BIT(Header->Type)) != 0)
        return;
    VfBugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, KI_VF_UNINITIALIZED, (ULONG_PTR)Object,
               Header != NULL ? Header->Type : 0, Header != NULL ? Header->IrpSimCookie : 0, NULL, Rule,
               Hint != NULL ? Hint
                            : "Initialise every kernel object with its Ke initialiser before first use, keep it in "
                              "memory that outlives every use, and never copy it by value.");
}

BOOLEAN KiIsObjectSignaledLocked(PDISPATCHER_HEADER Header, PKTHREAD Thread)
{
    if (Header->Type == MutantObject) {
        /* The owner may acquire its mutex again (recursion). */
        return Header->SignalState > 0 || ((PKMUTANT)Header)->OwnerThread == Thread;
    }
    return Header->SignalState > 0;
}

NTSTATUS KiSatisfyObjectLocked(PDISPATCHER_HEADER Header, PKTHREAD Thread)
{
    switch (Header->Type) {
    case EventSynchronizationObject:
    case TimerSynchronizationObject:
        Header->SignalState = 0;
        break;
    case SemaphoreObject:
        Header->SignalState--;
        break;
    case MutantObject: {
        PKMUTANT Mutant = (PKMUTANT)Header;
        Header->SignalState--;
        if (Header->SignalState == 0) {
            /* First acquisition: the thread now owns it. Its critical
               region is entered by the thread itself when the wait returns. */
            Mutant->OwnerThread = Thread;
            InsertTailList(&Thread->MutantListHead, &Mutant->MutantListEntry);
            if (Mutant->Abandoned) {
                Mutant->Abandoned = FALSE;
                return STATUS_ABANDONED;
            }
        }
        break;
    }
    default:
        /* Notification events and timers, threads, processes: no side effect. */
        break;
    }
    return STATUS_SUCCESS;
}

VOID KiUnwaitThreadLocked(PKTHREAD Thread, NTSTATUS WaitStatus)
{
    if (!Thread->Waiting)
        return;
    for (ULONG i = 0; i < Thread->WaitCount; i++)
        RemoveEntryList(&Thread->WaitBlockList[i].WaitListEntry);
    Thread->WaitCount = 0;
    (void)KiRemoveTimerLocked(&Thread->WaitTimer);
    Thread->WaitStatus = WaitStatus;
    Thread->Waiting = FALSE;
    KiSchedThreadReadyLocked(Thread);
    KiSchedWake(&Thread->WaitCondition);
}

/* TRUE if every object of Thread's WaitAll wait is signalled for it. */
static BOOLEAN KipWaitAllSatisfiableLocked(PKTHREAD Thread)
{
    for (ULONG i = 0; i < Thread->WaitCount; i++) {
        if (!KiIsObjectSignaledLocked((PDISPATCHER_HEADER)Thread->WaitBlockList[i].Object, Thread))
            return FALSE;
    }
    return TRUE;
}

VOID KiWaitTestLocked(PDISPATCHER_HEADER Header)
{
    PLIST_ENTRY Entry;
Restart:
    for (Entry = Header->WaitListHead.Flink; Entry != &Header->WaitListHead; Entry = Entry->Flink) {
        PKWAIT_BLOCK Block = CONTAINING_RECORD(Entry, KWAIT_BLOCK, WaitListEntry);
        PKTHREAD Thread = Block->Thread;
        NTSTATUS Status;

        if (!KiIsObjectSignaledLocked(Header, Thread)) {
            if (Header->Type != MutantObject)
                return; /* nobody else can be satisfied either */
            continue;
        }
        if (Block->WaitType == WaitAny) {
            Status = KiSatisfyObjectLocked(Header, Thread);
            KiUnwaitThreadLocked(Thread, (Status == STATUS_ABANDONED ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0) +
                                             Block->WaitKey);
            goto Restart; /* the list changed under us */
        }
        if (KipWaitAllSatisfiableLocked(Thread)) {
            BOOLEAN Abandoned = FALSE;
            for (ULONG i = 0; i < Thread->WaitCount; i++) {
                if (KiSatisfyObjectLocked((PDISPATCHER_HEADER)Thread->WaitBlockList[i].Object, Thread) ==
                    STATUS_ABANDONED)
                    Abandoned = TRUE;
            }
            KiUnwaitThreadLocked(Thread, Abandoned ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0);
            goto Restart;
        }
    }
}
