/*
 * irpsim — structured exception handling for driver code built by GCC or
 * Clang: __try / __except / __finally / __leave, GetExceptionCode(),
 * GetExceptionInformation(), AbnormalTermination(), and (in C) the old
 * spellings try / except / finally / leave.
 *
 * How it works. Each __try statement puts a frame (a jmp_buf and some
 * state) on a per-thread list. ExRaiseStatus and friends search the list
 * the way Windows does in its first phase: a frame whose filter is a
 * constant (EXCEPTION_EXECUTE_HANDLER, EXCEPTION_CONTINUE_SEARCH) is
 * decided without leaving the raise point; if no frame takes the
 * exception the machine stops with KMODE_EXCEPTION_NOT_HANDLED (0x1E) or
 * SYSTEM_THREAD_EXCEPTION_NOT_HANDLED (0x7E) with the stack intact, as on
 * Windows. Then the second phase unwinds with longjmp: every __finally
 * between the raise and the handler runs (innermost first, with
 * AbnormalTermination() TRUE), and the handler block runs.
 *
 * Differences from the Microsoft compiler, all a consequence of setjmp:
 *   - A filter that is not a constant is evaluated after the frames inside
 *     it have been unwound (their __finally blocks have already run);
 *     Windows evaluates every filter first. Constant filters (by far the
 *     most common) behave exactly as on Windows.
 *   - With Clang (and with GCC under ThreadSanitizer), local variables
 *     changed inside a __try body and read in the __except / __finally
 *     block, or after the __try statement, once an exception was raised
 *     must be volatile (C11 7.13.2.1); otherwise an optimising build may
 *     see stale values. With GCC they need nothing special. Changes made
 *     before the __try, and exits by __leave or by falling off the end,
 *     need nothing special either.
 *   - EXCEPTION_CONTINUE_EXECUTION cannot resume the code that raised. On
 *     Windows every exception ExRaiseStatus raises is noncontinuable, so
 *     resuming is a bug there too; irpsim stops with IRPSIM_NOT_SIMULATED
 *     and says so.
 *   - return, goto, break or continue out of a __try body that has a
 *     __finally cannot run the __finally first: irpsim stops with
 *     IRPSIM_NOT_SIMULATED. Leave with __leave. (Out of a __try body that
 *     has an __except, and out of any __except or __finally block, they
 *     work as on Windows; except that break / continue written directly in
 *     a __finally block end that block instead of reaching a loop around
 *     the __try statement.)
 *   - In an __except block, GetExceptionCode() is the code of the most
 *     recent exception handled on the thread: read it before a nested
 *     __try in the same block handles another exception (or save it).
 *   - GCC with -fsanitize=thread and no optimisation wraps every function
 *     in a cleanup of its own and then warns (-Wreturn-type) about a
 *     function whose every path returns inside a __try/__except with
 *     nothing after it; build ThreadSanitizer runs with -O1 (as its
 *     documentation advises) or add a return after the statement.
 *   - Only exceptions raised through irpsim (ExRaiseStatus,
 *     ExRaiseAccessViolation, ExRaiseDatatypeMisalignment, RtlRaiseStatus,
 *     MmProbeAndLockPages, ...) are caught; a hardware fault (a NULL
 *     dereference) is a host signal, not an exception.
 *
 * Define IRPSIM_NO_SEH_KEYWORDS before including <wdm.h> to keep the old
 * C spellings try / except / finally / leave out of your code. C++ code
 * gets the __try family only with IRPSIM_SEH_CXX defined (see below).
 */
#ifndef IRPSIM_WDK_SEH_H
#define IRPSIM_WDK_SEH_H

#include <irpsim/wdk/basetypes.h>
#include <setjmp.h>

IRPSIM_EXTERN_C_BEGIN

/* ---- exception records ---- */
#define EXCEPTION_MAXIMUM_PARAMETERS 15
#define EXCEPTION_NONCONTINUABLE 0x1
#define EXCEPTION_UNWINDING 0x2
#define EXCEPTION_EXIT_UNWIND 0x4

#define EXCEPTION_EXECUTE_HANDLER 1
#define EXCEPTION_CONTINUE_SEARCH 0
#define EXCEPTION_CONTINUE_EXECUTION (-1)

#ifndef IRPSIM_EXCEPTION_TYPES_DEFINED
#define IRPSIM_EXCEPTION_TYPES_DEFINED
typedef struct _EXCEPTION_RECORD {
    NTSTATUS ExceptionCode;
    ULONG ExceptionFlags;
    struct _EXCEPTION_RECORD *ExceptionRecord;
    PVOID ExceptionAddress;
    ULONG NumberParameters;
    ULONG_PTR ExceptionInformation[EXCEPTION_MAXIMUM_PARAMETERS];
} EXCEPTION_RECORD, *PEXCEPTION_RECORD;

/* The processor context is not captured: ContextRecord is always NULL. */
struct _CONTEXT;
typedef struct _EXCEPTION_POINTERS {
    PEXCEPTION_RECORD ExceptionRecord;
    struct _CONTEXT *ContextRecord;
} EXCEPTION_POINTERS, *PEXCEPTION_POINTERS;
#endif

/* An unhandled exception stops the machine with KMODE_EXCEPTION_NOT_HANDLED
   or SYSTEM_THREAD_EXCEPTION_NOT_HANDLED (<bugcodes.h>). */

/* ---- the machinery behind the keywords (not for direct use) ---- */

/* GCC's own __builtin_setjmp keeps local variables right across the jump
   (it treats the landing point like an exception landing pad), so with
   GCC locals changed in a __try body keep their values, as with the
   Microsoft compiler. Elsewhere (Clang; GCC under ThreadSanitizer, which
   only follows the C library's setjmp) the C library's setjmp is used and
   such locals must be volatile. */
#if defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define IRPSIM_SEH_JUMP_KIND_ 2
#define IRPSIM_SEH_SETJMP_(F) __builtin_setjmp((F).Jump.Builtin)
#else
#define IRPSIM_SEH_JUMP_KIND_ 1
#define IRPSIM_SEH_SETJMP_(F) setjmp((F).Jump.Standard)
#if defined(__GNUC__) && !defined(__clang__)
/* Standard setjmp makes GCC warn about every local in a function with a
   __try (mostly loop counters, which are safe); the rule is documented. */
#pragma GCC diagnostic ignored "-Wclobbered"
#endif
#endif
#define IRPSIM_SEH_JUMP_STANDARD 1
#define IRPSIM_SEH_JUMP_BUILTIN 2

typedef struct _IRPSIM_SEH_FRAME {
    union {
        jmp_buf Standard;
        void *Builtin[5];
    } Jump;
    UCHAR JumpKind; /* IRPSIM_SEH_JUMP_*: which setjmp filled Jump */
    struct _IRPSIM_SEH_FRAME *Previous;
    ULONG Magic;
    UCHAR State;       /* IRPSIM_SEH_STATE_* */
    UCHAR Kind;        /* IRPSIM_SEH_KIND_* */
    UCHAR BodyExit;    /* how the body ended */
    BOOLEAN FilterKnown; /* the filter is a constant, decided while searching */
    LONG FilterValue;
    NTSTATUS SavedHandlerCode; /* the thread's GetExceptionCode() before this frame */
    BOOLEAN SavedAbnormal;     /* the thread's AbnormalTermination() before this frame */
    UCHAR PendingAction;       /* while unwinding through a __finally: what the target does next */
    struct _IRPSIM_SEH_FRAME *PendingTarget;
    EXCEPTION_RECORD Record;   /* the exception that landed here */
    EXCEPTION_POINTERS Pointers;
} IRPSIM_SEH_FRAME, *PIRPSIM_SEH_FRAME;

/* An unwind a __finally block interrupted; resumed when the block ends. */
typedef struct _IRPSIM_SEH_FINALLY_STATE {
    UCHAR Phase;
    BOOLEAN Abnormal;
    BOOLEAN SavedAbnormal;
    UCHAR PendingAction;
    PIRPSIM_SEH_FRAME PendingTarget;
    EXCEPTION_RECORD PendingRecord;
} IRPSIM_SEH_FINALLY_STATE, *PIRPSIM_SEH_FINALLY_STATE;

#define IRPSIM_SEH_KIND_EXCEPT 1
#define IRPSIM_SEH_KIND_FINALLY 2

VOID IrpSimSehFramePush(_Out_ PIRPSIM_SEH_FRAME Frame, _In_ ULONG JumpKind);
VOID IrpSimSehDescribe(_In_ ULONG Kind, _In_ int FilterKnown, _In_ LONG FilterValue);
PIRPSIM_SEH_FRAME IrpSimSehBodyBegin(_Inout_ PIRPSIM_SEH_FRAME Frame);
VOID IrpSimSehBodyExit(_In_ PIRPSIM_SEH_FRAME *Guard);
VOID IrpSimSehBodyFellOff(VOID);
VOID IrpSimSehLeave(VOID);
BOOLEAN IrpSimSehLanded(VOID);
BOOLEAN IrpSimSehFilterPending(VOID);
VOID IrpSimSehFilterResult(_In_ LONG FilterValue);
VOID IrpSimSehEnterHandler(VOID);
VOID IrpSimSehEnterFinally(VOID);
BOOLEAN IrpSimSehFinallyStep(_Inout_ PIRPSIM_SEH_FINALLY_STATE State);
VOID IrpSimSehFinallyCleanup(_Inout_ PIRPSIM_SEH_FINALLY_STATE State);
NTSTATUS IrpSimSehExceptionCode(VOID);
PEXCEPTION_POINTERS IrpSimSehExceptionInformation(VOID);
BOOLEAN IrpSimSehAbnormalTermination(VOID);

/* In C++ the keywords are opt-in (define IRPSIM_SEH_CXX): libstdc++ uses
   the name __try for its own macro, so defining it would break standard
   headers included after <wdm.h>. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(_MSC_VER) && \
    (!defined(__cplusplus) || defined(IRPSIM_SEH_CXX))

#define IRPSIM_SEH_CAT2_(a, b) a##b
#define IRPSIM_SEH_CAT_(a, b) IRPSIM_SEH_CAT2_(a, b)
#ifdef __cplusplus
#define IRPSIM_SEH_ZERO_ {}
#else
#define IRPSIM_SEH_ZERO_ {0}
#endif

/*
 * __try { BODY } __except (FILTER) { HANDLER } becomes
 *
 *   if (1) {
 *       {
 *           frame F; push F;
 *           goto describe;           -- the tail records kind and filter, and back
 *         described:
 *           if (setjmp(F) == 0) {
 *               guard (cleanup: takes F off the list however BODY is left);
 *               { BODY }
 *           } else if (an exception landed) {
 *               evaluate FILTER if it is not a constant; goto HANDLER;
 *           } else {
 *             describe: ...; goto described;
 *           }
 *       }
 *     leave-label: ;
 *   } else HANDLER-label: { HANDLER }
 *
 * Nothing of irpsim's follows BODY on its way out of F's scope, so the
 * compiler sees the same paths as with a real __try (also when it wraps
 * scopes in cleanups of its own, as AddressSanitizer does): return, goto,
 * break and continue in BODY leave as they would on Windows, and a body
 * that always returns ends the statement only through the handler.
 * __finally puts an end-of-body marker in the guard's scope (leaving a
 * __try with a __finally other than by its end or __leave cannot run the
 * __finally, and is reported), and ends with a goto into a one-shot loop
 * that runs the __finally block and, after an exception, resumes the
 * unwind. The labels that __leave and the describe step use are
 * block-local (__label__), so nested __try statements each have their own.
 */
#ifdef __try
#undef __try /* libstdc++'s; C++ code opting in must include the standard headers first */
#endif
#define __try IRPSIM_SEH_TRY_(IRPSIM_SEH_CAT_(IrpSimSehFrame, __COUNTER__))
#define IRPSIM_SEH_TRY_(F)                                                               \
    if (1) {                                                                             \
        __label__ IrpSimSehLeave_, IrpSimSehDescribe_, IrpSimSehDescribed_;              \
        {                                                                                \
            IRPSIM_SEH_FRAME F;                                                          \
            IrpSimSehFramePush(&F, IRPSIM_SEH_JUMP_KIND_);                               \
            goto IrpSimSehDescribe_;                                                     \
        IrpSimSehDescribed_:                                                             \
            if (IRPSIM_SEH_SETJMP_(F) == 0) {                                            \
                PIRPSIM_SEH_FRAME IRPSIM_SEH_CAT_(F, Guard)                              \
                    __attribute__((cleanup(IrpSimSehBodyExit), unused)) = IrpSimSehBodyBegin(&F);

#define __except(...) IRPSIM_SEH_EXCEPT_(IRPSIM_SEH_CAT_(IrpSimSehHandler, __COUNTER__), __VA_ARGS__)
#define IRPSIM_SEH_EXCEPT_(H, ...)                                                       \
            } else if (IrpSimSehLanded()) {                                              \
                if (IrpSimSehFilterPending())                                            \
                    IrpSimSehFilterResult((LONG)(__VA_ARGS__));                          \
                IrpSimSehEnterHandler();                                                 \
                goto H;                                                                  \
            } else {                                                                     \
            IrpSimSehDescribe_:                                                          \
                IrpSimSehDescribe(IRPSIM_SEH_KIND_EXCEPT, __builtin_constant_p((__VA_ARGS__)), \
                                  __builtin_constant_p((__VA_ARGS__)) ? (LONG)(__VA_ARGS__) : 0); \
                goto IrpSimSehDescribed_;                                                \
            }                                                                            \
        }                                                                                \
    IrpSimSehLeave_: __attribute__((unused));                                            \
    } else                                                                               \
    H:

#define __finally IRPSIM_SEH_FINALLY_(IRPSIM_SEH_CAT_(IrpSimSehFinally, __COUNTER__))
#define IRPSIM_SEH_FINALLY_(S)                                                           \
                IrpSimSehBodyFellOff();                                                  \
            } else if (IrpSimSehLanded()) {                                              \
                IrpSimSehEnterFinally();                                                 \
                goto S;                                                                  \
            } else {                                                                     \
            IrpSimSehDescribe_:                                                          \
                IrpSimSehDescribe(IRPSIM_SEH_KIND_FINALLY, 0, 0);                        \
                goto IrpSimSehDescribed_;                                                \
            }                                                                            \
        }                                                                                \
    IrpSimSehLeave_: __attribute__((unused));                                            \
        goto S;                                                                          \
    } else                                                                               \
    S:                                                                                   \
        for (IRPSIM_SEH_FINALLY_STATE S __attribute__((cleanup(IrpSimSehFinallyCleanup))) = \
                 IRPSIM_SEH_ZERO_;                                                       \
             IrpSimSehFinallyStep(&S);)

#define __leave                        \
    do {                               \
        IrpSimSehLeave();              \
        goto IrpSimSehLeave_;          \
    } while (0)

#define GetExceptionCode() IrpSimSehExceptionCode()
#define GetExceptionInformation() IrpSimSehExceptionInformation()
#define AbnormalTermination() IrpSimSehAbnormalTermination()
#define _exception_code() IrpSimSehExceptionCode()
#define _exception_info() ((PVOID)IrpSimSehExceptionInformation())
#define _abnormal_termination() ((int)IrpSimSehAbnormalTermination())

/* The spellings older DDK samples use, for C only (as the WDK's excpt.h). */
#if !defined(__cplusplus) && !defined(IRPSIM_NO_SEH_KEYWORDS)
#define try __try
#define except __except
#define finally __finally
#define leave __leave
#endif

#elif defined(_MSC_VER)

/*
 * The Microsoft compilers (cl, clang-cl): __try / __except / __finally /
 * __leave are native keywords and are left alone (portability). The
 * exception intrinsics are declared here as <excpt.h> declares them (that
 * header is not included: its EXCEPTION_* macros are spelled differently
 * from the ones above).
 *
 * Not done yet (docs/portability.md): irpsim's ExRaiseStatus and
 * MmProbeAndLockPages raise through the frame list the GCC/Clang macros
 * keep, not with RaiseException, so a native __except does not see them;
 * such an exception ends as unhandled (bug check 0x1E / 0x7E).
 */
unsigned long __cdecl _exception_code(void);
void *__cdecl _exception_info(void);
int __cdecl _abnormal_termination(void);
#define GetExceptionCode() ((NTSTATUS)_exception_code())
#define GetExceptionInformation() ((PEXCEPTION_POINTERS)_exception_info())
#define AbnormalTermination() ((BOOLEAN)(_abnormal_termination() != 0))

#if !defined(__cplusplus) && !defined(IRPSIM_NO_SEH_KEYWORDS)
#define try __try
#define except __except
#define finally __finally
#define leave __leave
#endif

#endif /* GCC or Clang (C, or C++ with IRPSIM_SEH_CXX); Microsoft compilers */

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_WDK_SEH_H */
