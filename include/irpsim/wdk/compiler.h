/*
 * irpsim — compiler portability: one place for what GCC and Clang spell
 * with builtins and attributes and the Microsoft compiler (cl, clang-cl)
 * spells with intrinsics and __declspec.
 *
 * Public headers (interlocked.h, list.h, rtl.h, seh.h, ...) and the
 * simulator use these instead of __builtin_* / __atomic_* / __attribute__,
 * so the headers drivers include compile with all three compilers.
 *
 *   IRPSIM_LIKELY(c) / IRPSIM_UNLIKELY(c)   branch hints (no-op on MSVC)
 *   IRPSIM_CONSTANT_P(e)                    nonzero if e is a compile-time
 *                                           constant (always 0 on MSVC)
 *   IRPSIM_NORETURN, IRPSIM_NOINLINE, IRPSIM_ALIGNED(n), IRPSIM_UNUSED_ATTR
 *   IRPSIM_FORMAT_PRINTF(f, a)              printf-style argument checking
 *                                           of parameter f from a on
 *   IRPSIM_THREAD_LOCAL                     storage class for per-thread data
 *   IRPSIM_ATOMIC_LOAD_RELAXED(p)           loads and stores with the named
 *   IRPSIM_ATOMIC_LOAD_ACQUIRE(p)           ordering, of naturally aligned
 *   IRPSIM_ATOMIC_STORE_RELAXED(p, v)       volatile LONG / pointer objects
 *   IRPSIM_ATOMIC_STORE_RELEASE(p, v)       (and LONG64 on 64-bit targets)
 *   IRPSIM_FULL_FENCE()                     sequentially consistent fence
 *   IRPSIM_COMPILER_FENCE()                 compiler-only barrier
 *   IRPSIM_BSWAP16/32/64(x)                 byte swaps
 */
#ifndef IRPSIM_WDK_COMPILER_H
#define IRPSIM_WDK_COMPILER_H

/* 1 for cl.exe (no GNU extensions), 0 for GCC, Clang and clang-cl. */
#ifndef IRPSIM_COMPILER_MSVC
#if defined(_MSC_VER) && !defined(__clang__)
#define IRPSIM_COMPILER_MSVC 1
#else
#define IRPSIM_COMPILER_MSVC 0
#endif
#endif

#if !IRPSIM_COMPILER_MSVC

#define IRPSIM_LIKELY(c) __builtin_expect(!!(c), 1)
#define IRPSIM_UNLIKELY(c) __builtin_expect(!!(c), 0)
#define IRPSIM_CONSTANT_P(e) __builtin_constant_p(e)
#define IRPSIM_NORETURN __attribute__((noreturn))
#define IRPSIM_NOINLINE __attribute__((noinline))
#define IRPSIM_ALIGNED(n) __attribute__((aligned(n)))
#define IRPSIM_UNUSED_ATTR __attribute__((unused))
/* MinGW-w64: "printf" means msvcrt.dll's formats to GCC; irpsim is built
   with __USE_MINGW_ANSI_STDIO=1, whose printf family takes C99 formats. */
#if defined(__MINGW32__) && !defined(__clang__)
#define IRPSIM_FORMAT_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#else
#define IRPSIM_FORMAT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#endif

#define IRPSIM_ATOMIC_LOAD_RELAXED(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define IRPSIM_ATOMIC_LOAD_ACQUIRE(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define IRPSIM_ATOMIC_STORE_RELAXED(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define IRPSIM_ATOMIC_STORE_RELEASE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define IRPSIM_FULL_FENCE() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define IRPSIM_COMPILER_FENCE() __atomic_signal_fence(__ATOMIC_SEQ_CST)

#define IRPSIM_BSWAP16(x) __builtin_bswap16(x)
#define IRPSIM_BSWAP32(x) __builtin_bswap32(x)
#define IRPSIM_BSWAP64(x) __builtin_bswap64(x)

#else /* cl.exe */

#include <intrin.h>
#include <stdlib.h> /* _byteswap_* */

#define IRPSIM_LIKELY(c) (c)
#define IRPSIM_UNLIKELY(c) (c)
#define IRPSIM_CONSTANT_P(e) 0
#define IRPSIM_NORETURN __declspec(noreturn)
#define IRPSIM_NOINLINE __declspec(noinline)
#define IRPSIM_ALIGNED(n) __declspec(align(n))
#define IRPSIM_UNUSED_ATTR
#define IRPSIM_FORMAT_PRINTF(f, a)

/* Aligned accesses of up to pointer size through a volatile lvalue are
   single accesses, and with /volatile:ms (cl's default for x86 and x64;
   irpsim's CMake adds it on every target) volatile reads have acquire and
   volatile writes release semantics. p must point to a volatile object. */
#define IRPSIM_ATOMIC_LOAD_RELAXED(p) (*(p))
#define IRPSIM_ATOMIC_LOAD_ACQUIRE(p) (*(p))
#define IRPSIM_ATOMIC_STORE_RELAXED(p, v) ((void)(*(p) = (v)))
#define IRPSIM_ATOMIC_STORE_RELEASE(p, v) ((void)(*(p) = (v)))
#if defined(_M_X64) || defined(_M_AMD64)
#define IRPSIM_FULL_FENCE() __faststorefence()
#elif defined(_M_ARM64) || defined(_M_ARM)
#define IRPSIM_FULL_FENCE() __dmb(0xB)
#else
#define IRPSIM_FULL_FENCE() _mm_mfence()
#endif
#define IRPSIM_COMPILER_FENCE() _ReadWriteBarrier()

#define IRPSIM_BSWAP16(x) _byteswap_ushort(x)
#define IRPSIM_BSWAP32(x) _byteswap_ulong(x)
#define IRPSIM_BSWAP64(x) _byteswap_uint64(x)

#endif /* cl.exe */

#ifdef __cplusplus
#define IRPSIM_THREAD_LOCAL thread_local
#elif IRPSIM_COMPILER_MSVC
#define IRPSIM_THREAD_LOCAL __declspec(thread)
#else
#define IRPSIM_THREAD_LOCAL _Thread_local
#endif

#endif /* IRPSIM_WDK_COMPILER_H */
