/*
 * irpsim — Interlocked* operations.
 *
 * Full-barrier atomics, as on Windows. Each one is also a scheduling point:
 * in schedule-exploration mode the controlled scheduler may switch threads
 * here, which is how races on hand-rolled interlocked protocols are found.
 * In the normal mode the check costs one predictable branch.
 *
 * GCC and Clang (also clang-cl) implement them with the __atomic builtins;
 * the Microsoft compiler with its _Interlocked intrinsics (portability:
 * compiler.h; x64 and ARM64 targets).
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
        if (IRPSIM_UNLIKELY(IRPSIM_ATOMIC_LOAD_RELAXED(&KiControlledScheduling) != 0))  \
            KiSchedulingPoint((kind), (obj));                  \
    } while (0)

#define IRPSIM_ILK(obj) IRPSIM_SCHED_POINT(KI_SCHED_POINT_INTERLOCKED, (obj))

#if !IRPSIM_COMPILER_MSVC /* GCC, Clang, clang-cl: the __atomic builtins */

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

#else /* cl.exe: the _Interlocked intrinsics, all full barriers. irpsim's
         LONG is int and the intrinsics take long: the same size and
         representation on Windows, hence the pointer casts. */

#define IRPSIM_ILK_L_(p) ((long volatile *)(p))

FORCEINLINE LONG InterlockedIncrement(LONG volatile *Addend)
{
    IRPSIM_ILK(Addend);
    return (LONG)_InterlockedIncrement(IRPSIM_ILK_L_(Addend));
}

FORCEINLINE LONG InterlockedDecrement(LONG volatile *Addend)
{
    IRPSIM_ILK(Addend);
    return (LONG)_InterlockedDecrement(IRPSIM_ILK_L_(Addend));
}

FORCEINLINE SHORT InterlockedIncrement16(SHORT volatile *Addend)
{
    IRPSIM_ILK(Addend);
    return _InterlockedIncrement16(Addend);
}

FORCEINLINE SHORT InterlockedDecrement16(SHORT volatile *Addend)
{
    IRPSIM_ILK(Addend);
    return _InterlockedDecrement16(Addend);
}

FORCEINLINE LONG64 InterlockedIncrement64(LONG64 volatile *Addend)
{
    IRPSIM_ILK(Addend);
    return _InterlockedIncrement64(Addend);
}

FORCEINLINE LONG64 InterlockedDecrement64(LONG64 volatile *Addend)
{
    IRPSIM_ILK(Addend);
    return _InterlockedDecrement64(Addend);
}

FORCEINLINE LONG InterlockedExchange(LONG volatile *Target, LONG Value)
{
    IRPSIM_ILK(Target);
    return (LONG)_InterlockedExchange(IRPSIM_ILK_L_(Target), Value);
}

FORCEINLINE LONG64 InterlockedExchange64(LONG64 volatile *Target, LONG64 Value)
{
    IRPSIM_ILK(Target);
    return _InterlockedExchange64(Target, Value);
}

FORCEINLINE LONG InterlockedExchangeAdd(LONG volatile *Addend, LONG Value)
{
    IRPSIM_ILK(Addend);
    return (LONG)_InterlockedExchangeAdd(IRPSIM_ILK_L_(Addend), Value);
}

FORCEINLINE LONG64 InterlockedExchangeAdd64(LONG64 volatile *Addend, LONG64 Value)
{
    IRPSIM_ILK(Addend);
    return _InterlockedExchangeAdd64(Addend, Value);
}

FORCEINLINE LONG InterlockedAdd(LONG volatile *Addend, LONG Value)
{
    IRPSIM_ILK(Addend);
    return (LONG)((ULONG)_InterlockedExchangeAdd(IRPSIM_ILK_L_(Addend), Value) + (ULONG)Value);
}

FORCEINLINE LONG64 InterlockedAdd64(LONG64 volatile *Addend, LONG64 Value)
{
    IRPSIM_ILK(Addend);
    return (LONG64)((ULONG64)_InterlockedExchangeAdd64(Addend, Value) + (ULONG64)Value);
}

FORCEINLINE LONG InterlockedCompareExchange(LONG volatile *Destination, LONG Exchange, LONG Comparand)
{
    IRPSIM_ILK(Destination);
    return (LONG)_InterlockedCompareExchange(IRPSIM_ILK_L_(Destination), Exchange, Comparand);
}

FORCEINLINE LONG64 InterlockedCompareExchange64(LONG64 volatile *Destination, LONG64 Exchange, LONG64 Comparand)
{
    IRPSIM_ILK(Destination);
    return _InterlockedCompareExchange64(Destination, Exchange, Comparand);
}

FORCEINLINE PVOID InterlockedExchangePointer(PVOID volatile *Target, PVOID Value)
{
    IRPSIM_ILK(Target);
    return _InterlockedExchangePointer(Target, Value);
}

FORCEINLINE PVOID InterlockedCompareExchangePointer(PVOID volatile *Destination, PVOID Exchange, PVOID Comparand)
{
    IRPSIM_ILK(Destination);
    return _InterlockedCompareExchangePointer(Destination, Exchange, Comparand);
}

FORCEINLINE LONG InterlockedAnd(LONG volatile *Destination, LONG Value)
{
    IRPSIM_ILK(Destination);
    return (LONG)_InterlockedAnd(IRPSIM_ILK_L_(Destination), Value);
}

FORCEINLINE LONG InterlockedOr(LONG volatile *Destination, LONG Value)
{
    IRPSIM_ILK(Destination);
    return (LONG)_InterlockedOr(IRPSIM_ILK_L_(Destination), Value);
}

FORCEINLINE LONG InterlockedXor(LONG volatile *Destination, LONG Value)
{
    IRPSIM_ILK(Destination);
    return (LONG)_InterlockedXor(IRPSIM_ILK_L_(Destination), Value);
}

FORCEINLINE LONG64 InterlockedAnd64(LONG64 volatile *Destination, LONG64 Value)
{
    IRPSIM_ILK(Destination);
    return _InterlockedAnd64(Destination, Value);
}

FORCEINLINE LONG64 InterlockedOr64(LONG64 volatile *Destination, LONG64 Value)
{
    IRPSIM_ILK(Destination);
    return _InterlockedOr64(Destination, Value);
}

FORCEINLINE LONG64 InterlockedXor64(LONG64 volatile *Destination, LONG64 Value)
{
    IRPSIM_ILK(Destination);
    return _InterlockedXor64(Destination, Value);
}

FORCEINLINE BOOLEAN InterlockedBitTestAndSet(LONG volatile *Base, LONG Bit)
{
    IRPSIM_ILK(Base);
    return (BOOLEAN)_interlockedbittestandset(IRPSIM_ILK_L_(Base), Bit & 31);
}

FORCEINLINE BOOLEAN InterlockedBitTestAndReset(LONG volatile *Base, LONG Bit)
{
    IRPSIM_ILK(Base);
    return (BOOLEAN)_interlockedbittestandreset(IRPSIM_ILK_L_(Base), Bit & 31);
}

#endif /* cl.exe */

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
#if !IRPSIM_COMPILER_MSVC /* with cl these are its own intrinsics */
#define _InterlockedIncrement InterlockedIncrement
#define _InterlockedDecrement InterlockedDecrement
#define _InterlockedExchange InterlockedExchange
#define _InterlockedCompareExchange InterlockedCompareExchange
#define _InterlockedExchangeAdd InterlockedExchangeAdd
#define _InterlockedOr InterlockedOr
#define _InterlockedAnd InterlockedAnd
#endif

FORCEINLINE LONG ReadAcquire(LONG const volatile *Source)
{
    return IRPSIM_ATOMIC_LOAD_ACQUIRE(Source);
}
FORCEINLINE LONG ReadNoFence(LONG const volatile *Source)
{
    return IRPSIM_ATOMIC_LOAD_RELAXED(Source);
}
FORCEINLINE VOID WriteRelease(LONG volatile *Destination, LONG Value)
{
    IRPSIM_ATOMIC_STORE_RELEASE(Destination, Value);
}
FORCEINLINE VOID WriteNoFence(LONG volatile *Destination, LONG Value)
{
    IRPSIM_ATOMIC_STORE_RELAXED(Destination, Value);
}
FORCEINLINE PVOID ReadPointerAcquire(PVOID const volatile *Source)
{
    return IRPSIM_ATOMIC_LOAD_ACQUIRE(Source);
}
FORCEINLINE VOID WritePointerRelease(PVOID volatile *Destination, PVOID Value)
{
    IRPSIM_ATOMIC_STORE_RELEASE(Destination, Value);
}

#define KeMemoryBarrier() IRPSIM_FULL_FENCE()
#define KeMemoryBarrierWithoutFence() IRPSIM_COMPILER_FENCE()
#define MemoryBarrier() IRPSIM_FULL_FENCE()
#if !IRPSIM_COMPILER_MSVC /* cl's own intrinsic otherwise */
#define _ReadWriteBarrier() IRPSIM_COMPILER_FENCE()
#endif
#define YieldProcessor() ((void)0)

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_WDK_INTERLOCKED_H */
