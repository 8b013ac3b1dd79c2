/*
 * irpsim — Interlocked* operations.
 *
 * Full-barrier atomics, as on Windows. Each one is also a scheduling point:
 * in schedule-exploration mode the controlled scheduler may switch threads
 * here, which is how races on hand-rolled interlocked protocols are found.
 * In the normal mode the check costs one predictable branch.
 */
#ifndef IRPSIM_WDK_INTERLOCKED_H
#define IRPSIM_WDK_INTERLOCKED_H

#include <irpsim/wdk/basetypes.h>

IRPSIM_EXTERN_C_BEGIN

/* Nonzero while the controlled (deterministic) scheduler is active. */
extern volatile LONG KiControlledScheduling;
VOID KiSchedulingPoint(ULONG Kind, const volatile VOID *Object);

#define KI_SCHED_POINT_INTERLOCKED 1

#define IRPSIM_SCHED_POINT(kind, obj)                          \
    do {                                                       \
        if (__builtin_expect(__atomic_load_n(&KiControlledScheduling, __ATOMIC_RELAXED) != 0, 0))  \
            KiSchedulingPoint((kind), (obj));                  \
    } while (0)

#define IRPSIM_ILK(obj) IRPSIM_SCHED_POINT(KI_SCHED_POINT_INTERLOCKED, (obj))

FORCEINLINE LONG InterlockedIncrement(LONG volatile *Addend)
{
    IRPSIM_ILK(Addend);
    return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}

FORCEINLINE LONG InterlockedDecrement(LONG volatile *Addend)
{
    IRPSIM_ILK(Addend);
    return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}

FORCEINLINE SHORT InterlockedIncrement16(SHORT volatile *Addend)
{
    IRPSIM_ILK(Addend);
    return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}

FORCEINLINE SHORT InterlockedDecrement16(SHORT volatile *Addend)
{
    IRPSIM_ILK(Addend);
    return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}

FORCEINLINE LONG64 InterlockedIncrement64(LONG64 volatile *Addend)
{
    IRPSIM_ILK(Addend);
    return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}

FORCEINLINE LONG64 InterlockedDecrement64(LONG64 volatile *Addend)
{
    IRPSIM_ILK(Addend);
    return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST);
}

FORCEINLINE LONG InterlockedExchange(LONG volatile *Target, LONG Value)
{
    IRPSIM_ILK(Target);
    return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}

FORCEINLINE LONG64 InterlockedExchange64(LONG64 volatile *Target, LONG64 Value)
{
    IRPSIM_ILK(Target);
    return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}

FORCEINLINE LONG InterlockedExchangeAdd(LONG volatile *Addend, LONG Value)
{
    IRPSIM_ILK(Addend);
    return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST);
}

FORCEINLINE LONG64 InterlockedExchangeAdd64(LONG64 volatile *Addend, LONG64 Value)
{
    IRPSIM_ILK(Addend);
    return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST);
}

FORCEINLINE LONG InterlockedAdd(LONG volatile *Addend, LONG Value)
{
    IRPSIM_ILK(Addend);
    return __atomic_add_fetch(Addend, Value, __ATOMIC_SEQ_CST);
}

FORCEINLINE LONG64 InterlockedAdd64(LONG64 volatile *Addend, LONG64 Value)
{
    IRPSIM_ILK(Addend);
    return __atomic_add_fetch(Addend, Value, __ATOMIC_SEQ_CST);
}

FORCEINLINE LONG InterlockedCompareExchange(LONG volatile *Destination, LONG Exchange, LONG Comparand)
{
    IRPSIM_ILK(Destination);
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return Comparand;
}

FORCEINLINE LONG64 InterlockedCompareExchange64(LONG64 volatile *Destination, LONG64 Exchange, LONG64 Comparand)
{
    IRPSIM_ILK(Destination);
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return Comparand;
}

FORCEINLINE PVOID InterlockedExchangePointer(PVOID volatile *Target, PVOID Value)
{
    IRPSIM_ILK(Target);
    return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
}

FORCEINLINE PVOID InterlockedCompareExchangePointer(PVOID volatile *Destination, PVOID Exchange, PVOID Comparand)
{
    IRPSIM_ILK(Destination);
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return Comparand;
}

FORCEINLINE LONG InterlockedAnd(LONG volatile *Destination, LONG Value)
{
    IRPSIM_ILK(Destination);
    return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST);
}

FORCEINLINE LONG InterlockedOr(LONG volatile *Destination, LONG Value)
{
    IRPSIM_ILK(Destination);
    return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST);
}

FORCEINLINE LONG InterlockedXor(LONG volatile *Destination, LONG Value)
{
    IRPSIM_ILK(Destination);
    return __atomic_fetch_xor(Destination, Value, __ATOMIC_SEQ_CST);
}

FORCEINLINE LONG64 InterlockedAnd64(LONG64 volatile *Destination, LONG64 Value)
{
    IRPSIM_ILK(Destination);
    return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST);
}

FORCEINLINE LONG64 InterlockedOr64(LONG64 volatile *Destination, LONG64 Value)
{
    IRPSIM_ILK(Destination);
    return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST);
}

FORCEINLINE LONG64 InterlockedXor64(LONG64 volatile *Destination, LONG64 Value)
{
    IRPSIM_ILK(Destination);
    return __atomic_fetch_xor(Destination, Value, __ATOMIC_SEQ_CST);
}

FORCEINLINE BOOLEAN InterlockedBitTestAndSet(LONG volatile *Base, LONG Bit)
{
    IRPSIM_ILK(Base);
    return (BOOLEAN)((__atomic_fetch_or(Base, (LONG)(1U << (Bit & 31)), __ATOMIC_SEQ_CST) >> (Bit & 31)) & 1);
}

FORCEINLINE BOOLEAN InterlockedBitTestAndReset(LONG volatile *Base, LONG Bit)
{
    IRPSIM_ILK(Base);
    return (BOOLEAN)((__atomic_fetch_and(Base, (LONG)~(1U << (Bit & 31)), __ATOMIC_SEQ_CST) >> (Bit & 31)) & 1);
}

/* Acquire/release/no-fence spellings map to the full-barrier versions. */
#define InterlockedIncrementAcquire InterlockedIncrement
#define InterlockedIncrementRelease InterlockedIncrement
#define InterlockedIncrementNoFence InterlockedIncrement
#define InterlockedDecrementAcquire InterlockedDecrement
#define InterlockedDecrementRelease InterlockedDecrement
#define InterlockedDecrementNoFence InterlockedDecrement
#define InterlockedCompareExchangeAcquire InterlockedCompareExchange
#define InterlockedCompareExchangeRelease InterlockedCompareExchange
#define InterlockedCompareExchangeNoFence InterlockedCompareExchange
#define InterlockedExchangeAcquire InterlockedExchange
#define InterlockedExchangeNoFence InterlockedExchange
#define InterlockedCompareExchangePointerAcquire InterlockedCompareExchangePointer
#define InterlockedCompareExchangePointerRelease InterlockedCompareExchangePointer
#define InterlockedCompareExchangePointerNoFence InterlockedCompareExchangePointer
#define InterlockedExchangePointerAcquire InterlockedExchangePointer
#define InterlockedExchangePointerNoFence InterlockedExchangePointer
#define InterlockedOrAcquire InterlockedOr
#define InterlockedOrRelease InterlockedOr
#define InterlockedOrNoFence InterlockedOr
#define InterlockedAndAcquire InterlockedAnd
#define InterlockedAndRelease InterlockedAnd
#define InterlockedAndNoFence InterlockedAnd
#define _InterlockedIncrement InterlockedIncrement
#define _InterlockedDecrement InterlockedDecrement
#define _InterlockedExchange InterlockedExchange
#define _InterlockedCompareExchange InterlockedCompareExchange
#define _InterlockedExchangeAdd InterlockedExchangeAdd
#define _InterlockedOr InterlockedOr
#define _InterlockedAnd InterlockedAnd

FORCEINLINE LONG ReadAcquire(LONG const volatile *Source)
{
    return __atomic_load_n(Source, __ATOMIC_ACQUIRE);
}
FORCEINLINE LONG ReadNoFence(LONG const volatile *Source)
{
    return __atomic_load_n(Source, __ATOMIC_RELAXED);
}
FORCEINLINE VOID WriteRelease(LONG volatile *Destination, LONG Value)
{
    __atomic_store_n(Destination, Value, __ATOMIC_RELEASE);
}
FORCEINLINE VOID WriteNoFence(LONG volatile *Destination, LONG Value)
{
    __atomic_store_n(Destination, Value, __ATOMIC_RELAXED);
}
FORCEINLINE PVOID ReadPointerAcquire(PVOID const volatile *Source)
{
    return __atomic_load_n(Source, __ATOMIC_ACQUIRE);
}
FORCEINLINE VOID WritePointerRelease(PVOID volatile *Destination, PVOID Value)
{
    __atomic_store_n(Destination, Value, __ATOMIC_RELEASE);
}

#define KeMemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define KeMemoryBarrierWithoutFence() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define MemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define _ReadWriteBarrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define YieldProcessor() ((void)0)

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_WDK_INTERLOCKED_H */
