/*
 * irpsim — the simulator's compiler layer: atomic operations and the
 * caller's address, for GCC and Clang (the __atomic builtins; also
 * clang-cl) and for Microsoft's cl.exe (the _Interlocked intrinsics).
 *
 * The simulator's sources use these instead of the builtins, so they
 * compile with both kinds of compiler. (The headers drivers include have
 * their own portability macros: include/irpsim/wdk/compiler.h; its
 * IRPSIM_THREAD_LOCAL and IRPSIM_LIKELY serve the simulator too.)
 * scripts/check-msvc-sources.sh compiles every source with this file's
 * cl.exe branch and rejects GCC-only spellings; docs/portability.md says
 * what that proves.
 *
 *   PAL_ATOMIC_LOAD(p, order)                   __atomic_load_n
 *   PAL_ATOMIC_STORE(p, v, order)               __atomic_store_n
 *   PAL_ATOMIC_EXCHANGE(p, v, order)            __atomic_exchange_n
 *   PAL_ATOMIC_COMPARE_EXCHANGE(p, e, d, weak, success, failure)
 *                                               __atomic_compare_exchange_n
 *   PAL_ATOMIC_ADD_FETCH, PAL_ATOMIC_SUB_FETCH, PAL_ATOMIC_FETCH_ADD,
 *   PAL_ATOMIC_FETCH_OR, PAL_ATOMIC_OR_FETCH, PAL_ATOMIC_FETCH_AND
 *                                   (p, v, order) the __atomic builtins
 *   PAL_ORDER_RELAXED, _ACQUIRE, _RELEASE, _ACQ_REL, _SEQ_CST
 *                                               the memory orders
 *   PAL_RETURN_ADDRESS()                        where the calling function
 *                                               returns to
 *
 * p points to a naturally aligned integer or pointer object of 1, 2, 4 or
 * 8 bytes; each macro means what the GCC builtin of the same name means.
 *
 * Like pal.h (which includes it) this file uses standard C and compiler
 * intrinsics only, and none of irpsim's WDK headers.
 */
#ifndef IRPSIM_PAL_COMPILER_H
#define IRPSIM_PAL_COMPILER_H

/* cl.exe (no GNU extensions) rather than GCC, Clang or clang-cl: the test
   include/irpsim/wdk/compiler.h makes, and forced the same way, by
   defining IRPSIM_COMPILER_MSVC (scripts/check-msvc-sources.sh does). */
#if defined(IRPSIM_COMPILER_MSVC) ? IRPSIM_COMPILER_MSVC : (defined(_MSC_VER) && !defined(__clang__))
#define PALP_COMPILER_CL 1
#else
#define PALP_COMPILER_CL 0
#endif

#if !PALP_COMPILER_CL

#define PAL_ORDER_RELAXED __ATOMIC_RELAXED
#define PAL_ORDER_ACQUIRE __ATOMIC_ACQUIRE
#define PAL_ORDER_RELEASE __ATOMIC_RELEASE
#define PAL_ORDER_ACQ_REL __ATOMIC_ACQ_REL
#define PAL_ORDER_SEQ_CST __ATOMIC_SEQ_CST

#define PAL_ATOMIC_LOAD(p, o) __atomic_load_n((p), (o))
#define PAL_ATOMIC_STORE(p, v, o) __atomic_store_n((p), (v), (o))
#define PAL_ATOMIC_EXCHANGE(p, v, o) __atomic_exchange_n((p), (v), (o))
#define PAL_ATOMIC_COMPARE_EXCHANGE(p, e, d, w, s, f) __atomic_compare_exchange_n((p), (e), (d), (w), (s), (f))
#define PAL_ATOMIC_ADD_FETCH(p, v, o) __atomic_add_fetch((p), (v), (o))
#define PAL_ATOMIC_SUB_FETCH(p, v, o) __atomic_sub_fetch((p), (v), (o))
#define PAL_ATOMIC_FETCH_ADD(p, v, o) __atomic_fetch_add((p), (v), (o))
#define PAL_ATOMIC_FETCH_OR(p, v, o) __atomic_fetch_or((p), (v), (o))
#define PAL_ATOMIC_OR_FETCH(p, v, o) __atomic_or_fetch((p), (v), (o))
#define PAL_ATOMIC_FETCH_AND(p, v, o) __atomic_fetch_and((p), (v), (o))

#define PAL_RETURN_ADDRESS() __builtin_return_address(0)

#else /* cl.exe */

/*
 * cl.exe has no generic atomics for plain objects, so each macro passes the
 * object's size and its value as 64 bits to an inline function that picks
 * the _Interlocked intrinsic of that size, and casts the result back with
 * __typeof__ (in C since Visual Studio 2022 17.9). x64 and ARM64 only: a
 * pointer and unsigned __int64 have the same size there.
 *
 * Read-modify-write intrinsics are full barriers on both, so every order is
 * met. Plain loads and stores of aligned objects up to 8 bytes are single
 * accesses; the fences around them give acquire and release order: on x64
 * (which reorders nothing but a store with a later load) a compiler barrier
 * is enough, on ARM64 a DMB ISH. A sequentially consistent store is an
 * exchange, as GCC makes it on x64, so that no later load passes it.
 */
#include <intrin.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(_M_X64) && !defined(_M_ARM64)
#error "irpsim with cl.exe: x64 and ARM64 only (src/platform/pal_compiler.h)"
#endif
#if _MSC_VER < 1939
#error "irpsim with cl.exe needs Visual Studio 2022 17.9 or later (__typeof__ in C)"
#endif

#define PAL_ORDER_RELAXED 0 /* the values GCC gives them */
#define PAL_ORDER_ACQUIRE 2
#define PAL_ORDER_RELEASE 3
#define PAL_ORDER_ACQ_REL 4
#define PAL_ORDER_SEQ_CST 5

#if defined(_M_X64)
#define PALP_FENCE() _ReadWriteBarrier()
#else
#define PALP_FENCE() __dmb(0xB) /* DMB ISH */
#endif

typedef unsigned __int64 PALP_BITS;
/* Any integer or pointer value, as the 64 bits the functions below take. */
#define PALP_TO_BITS(v) ((PALP_BITS)(uintptr_t)(v))
#define PALP_FROM_BITS(p, b) ((__typeof__(*(p)))(b))

static __forceinline PALP_BITS PalpAtomicLoad(const volatile void *Source, size_t Size, int Order)
{
    PALP_BITS Value;
    switch (Size) {
    case 1: Value = *(const volatile unsigned __int8 *)Source; break;
    case 2: Value = *(const volatile unsigned __int16 *)Source; break;
    case 4: Value = *(const volatile unsigned __int32 *)Source; break;
    default: Value = *(const volatile unsigned __int64 *)Source; break;
    }
    if (Order != PAL_ORDER_RELAXED)
        PALP_FENCE();
    return Value;
}

static __forceinline PALP_BITS PalpAtomicExchange(volatile void *Target, PALP_BITS Value, size_t Size)
{
    switch (Size) {
    case 1: return (unsigned __int8)_InterlockedExchange8((volatile char *)Target, (char)Value);
    case 2: return (unsigned __int16)_InterlockedExchange16((volatile short *)Target, (short)Value);
    case 4: return (unsigned __int32)_InterlockedExchange((volatile long *)Target, (long)Value);
    default: return (PALP_BITS)_InterlockedExchange64((volatile __int64 *)Target, (__int64)Value);
    }
}

static __forceinline void PalpAtomicStore(volatile void *Target, PALP_BITS Value, size_t Size, int Order)
{
    if (Order == PAL_ORDER_SEQ_CST) {
        (void)PalpAtomicExchange(Target, Value, Size);
        return;
    }
    if (Order != PAL_ORDER_RELAXED)
        PALP_FENCE();
    switch (Size) {
    case 1: *(volatile unsigned __int8 *)Target = (unsigned __int8)Value; break;
    case 2: *(volatile unsigned __int16 *)Target = (unsigned __int16)Value; break;
    case 4: *(volatile unsigned __int32 *)Target = (unsigned __int32)Value; break;
    default: *(volatile unsigned __int64 *)Target = Value; break;
    }
}

/* Nonzero if *Target held *Expected and now holds Desired; otherwise
   *Expected receives what *Target held. */
static __forceinline int PalpAtomicCompareExchange(volatile void *Target, void *Expected, PALP_BITS Desired,
                                                   size_t Size)
{
    PALP_BITS Old;
    PALP_BITS Seen;
    switch (Size) {
    case 1:
        Old = *(unsigned __int8 *)Expected;
        Seen = (unsigned __int8)_InterlockedCompareExchange8((volatile char *)Target, (char)Desired, (char)Old);
        if (Seen != Old)
            *(unsigned __int8 *)Expected = (unsigned __int8)Seen;
        break;
    case 2:
        Old = *(unsigned __int16 *)Expected;
        Seen = (unsigned __int16)_InterlockedCompareExchange16((volatile short *)Target, (short)Desired, (short)Old);
        if (Seen != Old)
            *(unsigned __int16 *)Expected = (unsigned __int16)Seen;
        break;
    case 4:
        Old = *(unsigned __int32 *)Expected;
        Seen = (unsigned __int32)_InterlockedCompareExchange((volatile long *)Target, (long)Desired, (long)Old);
        if (Seen != Old)
            *(unsigned __int32 *)Expected = (unsigned __int32)Seen;
        break;
    default:
        Old = *(PALP_BITS *)Expected;
        Seen = (PALP_BITS)_InterlockedCompareExchange64((volatile __int64 *)Target, (__int64)Desired, (__int64)Old);
        if (Seen != Old)
            *(PALP_BITS *)Expected = Seen;
        break;
    }
    return Seen == Old;
}

/* Returns the value before the operation. */
#define PALP_FETCH_OP(Name, Op8, Op16, Op32, Op64)                                                                  \
    static __forceinline PALP_BITS Name(volatile void *Target, PALP_BITS Value, size_t Size)                       \
    {                                                                                                              \
        switch (Size) {                                                                                            \
        case 1: return (unsigned __int8)Op8((volatile char *)Target, (char)Value);                                 \
        case 2: return (unsigned __int16)Op16((volatile short *)Target, (short)Value);                             \
        case 4: return (unsigned __int32)Op32((volatile long *)Target, (long)Value);                               \
        default: return (PALP_BITS)Op64((volatile __int64 *)Target, (__int64)Value);                               \
        }                                                                                                          \
    }
PALP_FETCH_OP(PalpAtomicFetchAdd, _InterlockedExchangeAdd8, _InterlockedExchangeAdd16, _InterlockedExchangeAdd,
              _InterlockedExchangeAdd64)
PALP_FETCH_OP(PalpAtomicFetchOr, _InterlockedOr8, _InterlockedOr16, _InterlockedOr, _InterlockedOr64)
PALP_FETCH_OP(PalpAtomicFetchAnd, _InterlockedAnd8, _InterlockedAnd16, _InterlockedAnd, _InterlockedAnd64)
#undef PALP_FETCH_OP

/* The value after the operation (the caller's cast drops the carry). */
static __forceinline PALP_BITS PalpAtomicAddFetch(volatile void *Target, PALP_BITS Value, size_t Size)
{
    return PalpAtomicFetchAdd(Target, Value, Size) + Value;
}

static __forceinline PALP_BITS PalpAtomicOrFetch(volatile void *Target, PALP_BITS Value, size_t Size)
{
    return PalpAtomicFetchOr(Target, Value, Size) | Value;
}

#define PAL_ATOMIC_LOAD(p, o) PALP_FROM_BITS(p, PalpAtomicLoad((p), sizeof(*(p)), (o)))
#define PAL_ATOMIC_STORE(p, v, o) PalpAtomicStore((p), PALP_TO_BITS(v), sizeof(*(p)), (o))
#define PAL_ATOMIC_EXCHANGE(p, v, o) PALP_FROM_BITS(p, PalpAtomicExchange((p), PALP_TO_BITS(v), sizeof(*(p))))
/* The size check stands for GCC's: *e must have *p's type. */
#define PAL_ATOMIC_COMPARE_EXCHANGE(p, e, d, w, s, f)                                                              \
    ((void)sizeof(char[sizeof(*(e)) == sizeof(*(p)) ? 1 : -1]),                                                    \
     PalpAtomicCompareExchange((p), (e), PALP_TO_BITS(d), sizeof(*(p))))
#define PAL_ATOMIC_FETCH_ADD(p, v, o) PALP_FROM_BITS(p, PalpAtomicFetchAdd((p), PALP_TO_BITS(v), sizeof(*(p))))
#define PAL_ATOMIC_ADD_FETCH(p, v, o) PALP_FROM_BITS(p, PalpAtomicAddFetch((p), PALP_TO_BITS(v), sizeof(*(p))))
#define PAL_ATOMIC_SUB_FETCH(p, v, o) PALP_FROM_BITS(p, PalpAtomicAddFetch((p), 0 - PALP_TO_BITS(v), sizeof(*(p))))
#define PAL_ATOMIC_FETCH_OR(p, v, o) PALP_FROM_BITS(p, PalpAtomicFetchOr((p), PALP_TO_BITS(v), sizeof(*(p))))
#define PAL_ATOMIC_OR_FETCH(p, v, o) PALP_FROM_BITS(p, PalpAtomicOrFetch((p), PALP_TO_BITS(v), sizeof(*(p))))
#define PAL_ATOMIC_FETCH_AND(p, v, o) PALP_FROM_BITS(p, PalpAtomicFetchAnd((p), PALP_TO_BITS(v), sizeof(*(p))))

#define PAL_RETURN_ADDRESS() _ReturnAddress()

#endif /* cl.exe */

#endif /* IRPSIM_PAL_COMPILER_H */
