/*
 * irpsim — Windows base types with Windows widths on every platform.
 *
 * ULONG and LONG are 32 bits even on LP64 hosts (Linux x86_64), because
 * driver code relies on it (structure layouts, IOCTL codes, pool tags).
 *
 * WCHAR is the host's wchar_t, so L"..." literals work without special
 * compiler flags: 16 bits on Windows, 32 bits on Linux. Code that measures
 * strings with sizeof(WCHAR) (as the WDK's own macros do) is portable;
 * code that hard-codes "2 bytes per character" is not.
 */
#ifndef IRPSIM_WDK_BASETYPES_H
#define IRPSIM_WDK_BASETYPES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include <irpsim/wdk/compiler.h> /* portability: GCC / Clang / MSVC spellings */

#ifdef __cplusplus
#define IRPSIM_EXTERN_C_BEGIN extern "C" {
#define IRPSIM_EXTERN_C_END }
#else
#define IRPSIM_EXTERN_C_BEGIN
#define IRPSIM_EXTERN_C_END
#endif

/* Calling conventions: meaningful only on 32-bit Windows. */
#if defined(_WIN32) && !defined(_WIN64) && !defined(IRPSIM_NO_STDCALL)
#define NTAPI __stdcall
#else
#define NTAPI
#endif
#define NTSYSAPI
#define NTSYSCALLAPI
#define NTKERNELAPI
#define NTHALAPI
#define NTAPI_INLINE NTAPI
#define FASTCALL
#define WINAPI NTAPI
#define CALLBACK NTAPI
#define IN
#define OUT
#define OPTIONAL
#define CONST const
#ifndef UNALIGNED /* MinGW-w64's C runtime headers define it (portability) */
#define UNALIGNED
#endif
#define RESTRICTED_POINTER
#define POINTER_ALIGNMENT
#ifdef _MSC_VER
#define DECLSPEC_ALIGN(x) __declspec(align(x))
#define DECLSPEC_NOINLINE __declspec(noinline)
#define DECLSPEC_NORETURN __declspec(noreturn)
#define IRPSIM_FORCEINLINE static __forceinline
#else
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#define DECLSPEC_NOINLINE __attribute__((noinline))
#define DECLSPEC_NORETURN __attribute__((noreturn))
#define IRPSIM_FORCEINLINE static inline __attribute__((always_inline))
#endif
#define DECLSPEC_IMPORT
#define DECLSPEC_EXPORT
#define DECLSPEC_CACHEALIGN
#define DECLSPEC_DEPRECATED_DDK
#define DECLSPEC_NOTHROW
#define FORCEINLINE IRPSIM_FORCEINLINE
#define NTKRNLVISTAAPI
#define CFORCEINLINE FORCEINLINE
#if !defined(_MSC_VER) && !defined(__forceinline)
#define __forceinline inline __attribute__((always_inline))
#endif

#ifndef VOID
#define VOID void
typedef char CHAR;
typedef short SHORT;
typedef int LONG;
#endif

typedef unsigned char UCHAR;
typedef unsigned short USHORT;
typedef unsigned int ULONG;
typedef signed char SCHAR;
typedef int INT;
typedef unsigned int UINT;
typedef long long LONGLONG;
typedef unsigned long long ULONGLONG;
typedef long long LONG64;
typedef unsigned long long ULONG64;
typedef unsigned long long DWORD64;
typedef int LONG32;
typedef unsigned int ULONG32;
typedef unsigned int DWORD32;
typedef signed char INT8;
typedef unsigned char UINT8;
typedef short INT16;
typedef unsigned short UINT16;
typedef int INT32;
typedef unsigned int UINT32;
typedef long long INT64;
typedef unsigned long long UINT64;
typedef intptr_t LONG_PTR;
typedef uintptr_t ULONG_PTR;
typedef intptr_t INT_PTR;
typedef uintptr_t UINT_PTR;
typedef ULONG_PTR SIZE_T;
typedef LONG_PTR SSIZE_T;
typedef ULONG_PTR DWORD_PTR;
typedef ULONG_PTR KAFFINITY;
typedef UCHAR BOOLEAN;
typedef unsigned char BYTE;
typedef unsigned short WORD;
typedef unsigned int DWORD;
typedef wchar_t WCHAR;
typedef short CSHORT;
typedef char CCHAR;
typedef LONG NTSTATUS;
typedef UCHAR KIRQL;
typedef CCHAR KPROCESSOR_MODE;
typedef LONG KPRIORITY;
typedef ULONG LOGICAL;
typedef ULONG DEVICE_TYPE;
typedef ULONG ACCESS_MASK;
typedef ULONG CLONG;
typedef ULONG_PTR KSPIN_LOCK;
typedef ULONG_PTR PFN_NUMBER;
typedef ULONG_PTR ERESOURCE_THREAD;
typedef void *PVOID;
typedef void *HANDLE;
typedef const void *PCVOID;

typedef CHAR *PCHAR, *PSTR, *LPSTR;
typedef const CHAR *PCSTR, *LPCSTR;
typedef WCHAR *PWCHAR, *PWSTR, *LPWSTR, *PWCH;
typedef const WCHAR *PCWSTR, *LPCWSTR, *PCWCH;
typedef UCHAR *PUCHAR;
typedef USHORT *PUSHORT;
typedef ULONG *PULONG;
typedef LONG *PLONG;
typedef SHORT *PSHORT;
typedef CSHORT *PCSHORT;
typedef CCHAR *PCCHAR;
typedef LONGLONG *PLONGLONG;
typedef ULONGLONG *PULONGLONG;
typedef LONG64 *PLONG64;
typedef ULONG64 *PULONG64;
typedef ULONG_PTR *PULONG_PTR;
typedef LONG_PTR *PLONG_PTR;
typedef SIZE_T *PSIZE_T;
typedef BOOLEAN *PBOOLEAN;
typedef HANDLE *PHANDLE;
typedef NTSTATUS *PNTSTATUS;
typedef KIRQL *PKIRQL;
typedef KSPIN_LOCK *PKSPIN_LOCK;
typedef KAFFINITY *PKAFFINITY;
typedef ACCESS_MASK *PACCESS_MASK;
typedef PFN_NUMBER *PPFN_NUMBER;
typedef PVOID *PPVOID;
typedef BYTE *PBYTE;
typedef DWORD *PDWORD;
typedef LOGICAL *PLOGICAL;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif

#define ANYSIZE_ARRAY 1
#define MAXUCHAR 0xff
#define MAXUSHORT 0xffff
#define MAXULONG 0xffffffffU
#define MAXLONG 0x7fffffff
#define MINLONG ((LONG)0x80000000)
#define MAXLONGLONG 0x7fffffffffffffffLL
#define MAXULONG_PTR (~(ULONG_PTR)0)
#define MAXLONG_PTR ((LONG_PTR)(MAXULONG_PTR >> 1))

typedef union _LARGE_INTEGER {
    struct {
        ULONG LowPart;
        LONG HighPart;
    };
    struct {
        ULONG LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
    struct {
        ULONG LowPart;
        ULONG HighPart;
    };
    struct {
        ULONG LowPart;
        ULONG HighPart;
    } u;
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY, *RESTRICTED_POINTER PRLIST_ENTRY;

typedef struct _SINGLE_LIST_ENTRY {
    struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;

typedef struct _SLIST_ENTRY {
    struct _SLIST_ENTRY *Next;
} SLIST_ENTRY, *PSLIST_ENTRY;

typedef union _SLIST_HEADER {
    ULONGLONG Alignment;
    struct {
        SLIST_ENTRY Next;
        USHORT Depth;
        USHORT Sequence;
    };
} SLIST_HEADER, *PSLIST_HEADER;

typedef struct _GUID {
    ULONG Data1;
    USHORT Data2;
    USHORT Data3;
    UCHAR Data4[8];
} GUID, *PGUID, *LPGUID;
typedef const GUID *LPCGUID, *PCGUID;
typedef GUID UUID;

typedef struct _UNICODE_STRING {
    USHORT Length;        /* bytes, excluding any terminator */
    USHORT MaximumLength; /* bytes */
    PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef struct _STRING {
    USHORT Length;
    USHORT MaximumLength;
    PCHAR Buffer;
} STRING, *PSTRING, ANSI_STRING, *PANSI_STRING, OEM_STRING, *POEM_STRING;
typedef const STRING *PCSTRING, *PCANSI_STRING, *PCOEM_STRING;

typedef struct _CLIENT_ID {
    HANDLE UniqueProcess;
    HANDLE UniqueThread;
} CLIENT_ID, *PCLIENT_ID;

typedef enum _MODE { KernelMode, UserMode, MaximumMode } MODE;

typedef enum _EVENT_TYPE { NotificationEvent, SynchronizationEvent } EVENT_TYPE;
typedef enum _TIMER_TYPE { NotificationTimer, SynchronizationTimer } TIMER_TYPE;
typedef enum _WAIT_TYPE { WaitAll, WaitAny, WaitNotification, WaitDequeue } WAIT_TYPE;

/* Structure helpers. */
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#define RTL_FIELD_SIZE(type, field) (sizeof(((type *)0)->field))
#define RTL_SIZEOF_THROUGH_FIELD(type, field) (FIELD_OFFSET(type, field) + RTL_FIELD_SIZE(type, field))
#define RTL_NUMBER_OF_V1(a) (sizeof(a) / sizeof((a)[0]))
#define RTL_NUMBER_OF(a) RTL_NUMBER_OF_V1(a)
#define ARRAYSIZE(a) RTL_NUMBER_OF(a)
#define _ARRAYSIZE(a) RTL_NUMBER_OF(a)
#define CONTAINING_RECORD(address, type, field) \
    ((type *)((PCHAR)(address) - (ULONG_PTR)offsetof(type, field)))
#define ARGUMENT_PRESENT(p) ((CHAR *)((ULONG_PTR)(p)) != (CHAR *)NULL)
#define UNREFERENCED_PARAMETER(p) ((void)(p))
#define DBG_UNREFERENCED_PARAMETER(p) ((void)(p))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(v) ((void)(v))
#define UNREFERENCED_LOCAL_VARIABLE(v) ((void)(v))
#define ALIGN_DOWN_BY(length, alignment) ((ULONG_PTR)(length) & ~((ULONG_PTR)(alignment)-1))
#define ALIGN_UP_BY(length, alignment) (ALIGN_DOWN_BY(((ULONG_PTR)(length) + (alignment)-1), alignment))
#define ALIGN_DOWN_POINTER_BY(p, a) ((PVOID)ALIGN_DOWN_BY(p, a))
#define ALIGN_UP_POINTER_BY(p, a) ((PVOID)ALIGN_UP_BY(p, a))
#define ALIGN_DOWN(length, type) ALIGN_DOWN_BY(length, sizeof(type))
#define ALIGN_UP(length, type) ALIGN_UP_BY(length, sizeof(type))
#define FlagOn(flags, bit) ((flags) & (bit))
#define BooleanFlagOn(flags, bit) ((BOOLEAN)(((flags) & (bit)) != 0))
#define SetFlag(flags, bit) ((flags) |= (bit))
#define ClearFlag(flags, bit) ((flags) &= ~(bit))
#if !defined(NOMINMAX) && !defined(__cplusplus)
#ifndef min
#define min(a, b) (((a) < (b)) ? (a) : (b))
#endif
#ifndef max
#define max(a, b) (((a) > (b)) ? (a) : (b))
#endif
#endif
#define LOWORD(l) ((USHORT)((ULONG_PTR)(l) & 0xffff))
#define HIWORD(l) ((USHORT)((((ULONG_PTR)(l)) >> 16) & 0xffff))
#define LOBYTE(w) ((UCHAR)((ULONG_PTR)(w) & 0xff))
#define HIBYTE(w) ((UCHAR)((((ULONG_PTR)(w)) >> 8) & 0xff))
#define MAKELONG(a, b) ((LONG)(((USHORT)((ULONG_PTR)(a) & 0xffff)) | ((ULONG)((USHORT)((ULONG_PTR)(b) & 0xffff))) << 16))
#define C_ASSERT(e) typedef char __C_ASSERT__[(e) ? 1 : -1]
#define DEFINE_ENUM_FLAG_OPERATORS(t)
/* Drivers wrap their '#pragma alloc_text' blocks in #ifdef ALLOC_PRAGMA. */
#define ALLOC_PRAGMA 1
#define ALLOC_DATA_PRAGMA 1
#define PAGE_SIZE 0x1000
#define PAGE_SHIFT 12
#define MAXIMUM_WAIT_OBJECTS 64
#define THREAD_WAIT_OBJECTS 3

/* C_ASSERT above redefines a typedef each use; C11 allows identical
   redefinitions, so a static assertion is used instead where available. */
#if defined(__cplusplus) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L)
#undef C_ASSERT
#ifdef __cplusplus
#define C_ASSERT(e) static_assert(e, #e)
#else
#define C_ASSERT(e) _Static_assert(e, #e)
#endif
#endif

/* Access rights. */
#define DELETE 0x00010000U
#define READ_CONTROL 0x00020000U
#define WRITE_DAC 0x00040000U
#define WRITE_OWNER 0x00080000U
#define SYNCHRONIZE 0x00100000U
#define STANDARD_RIGHTS_REQUIRED 0x000F0000U
#define STANDARD_RIGHTS_READ READ_CONTROL
#define STANDARD_RIGHTS_WRITE READ_CONTROL
#define STANDARD_RIGHTS_EXECUTE READ_CONTROL
#define STANDARD_RIGHTS_ALL 0x001F0000U
#define SPECIFIC_RIGHTS_ALL 0x0000FFFFU
#define ACCESS_SYSTEM_SECURITY 0x01000000U
#define MAXIMUM_ALLOWED 0x02000000U
#define GENERIC_READ 0x80000000U
#define GENERIC_WRITE 0x40000000U
#define GENERIC_EXECUTE 0x20000000U
#define GENERIC_ALL 0x10000000U

typedef struct _GENERIC_MAPPING {
    ACCESS_MASK GenericRead;
    ACCESS_MASK GenericWrite;
    ACCESS_MASK GenericExecute;
    ACCESS_MASK GenericAll;
} GENERIC_MAPPING, *PGENERIC_MAPPING;

#endif /* IRPSIM_WDK_BASETYPES_H */
