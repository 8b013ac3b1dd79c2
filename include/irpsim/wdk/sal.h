/*
 * irpsim — SAL annotations.
 *
 * Driver source is full of Source Annotation Language markers. They carry no
 * meaning for GCC or Clang, so each one expands to nothing; the point is that
 * annotated WDK code compiles unchanged.
 */
#ifndef IRPSIM_WDK_SAL_H
#define IRPSIM_WDK_SAL_H

/* Parameter direction. */
#define _In_
#define _In_opt_
#define _In_z_
#define _In_opt_z_
#define _In_reads_(n)
#define _In_reads_opt_(n)
#define _In_reads_bytes_(n)
#define _In_reads_bytes_opt_(n)
#define _In_range_(lo, hi)
#define _Out_
#define _Out_opt_
#define _Out_writes_(n)
#define _Out_writes_opt_(n)
#define _Out_writes_bytes_(n)
#define _Out_writes_bytes_opt_(n)
#define _Out_writes_bytes_to_(n, c)
#define _Out_writes_bytes_to_opt_(n, c)
#define _Out_writes_to_(n, c)
#define _Out_writes_z_(n)
#define _Out_writes_bytes_all_(n)
#define _Inout_
#define _Inout_opt_
#define _Inout_z_
#define _Inout_updates_(n)
#define _Inout_updates_opt_(n)
#define _Inout_updates_bytes_(n)
#define _Inout_updates_bytes_opt_(n)
#define _Outptr_
#define _Outptr_opt_
#define _Outptr_result_maybenull_
#define _Outptr_result_buffer_(n)
#define _Outptr_result_bytebuffer_(n)
#define _Deref_out_
#define _Deref_out_opt_
#define _Reserved_
#define _Pre_
#define _Post_
#define _Pre_notnull_
#define _Pre_maybenull_
#define _Pre_null_
#define _Post_invalid_
#define _Post_ptr_invalid_
#define _Post_writable_byte_size_(n)
#define _Post_satisfies_(e)
#define _Post_equal_to_(e)
#define _Post_maybenull_
#define _Post_notnull_
#define _Pre_satisfies_(e)
#define _Notnull_
#define _Maybenull_
#define _Null_terminated_
#define _NullNull_terminated_
#define _Field_size_(n)
#define _Field_size_opt_(n)
#define _Field_size_bytes_(n)
#define _Field_size_bytes_opt_(n)
#define _Field_size_part_(n, c)
#define _Field_size_bytes_part_(n, c)
#define _Field_size_bytes_part_opt_(n, c)
#define _Field_range_(lo, hi)
#define _Field_z_
#define _Readable_bytes_(n)
#define _Writable_bytes_(n)
#define _Readable_elements_(n)
#define _Writable_elements_(n)
#define _Printf_format_string_
#define _Printf_format_string_params_(n)
#define _Frees_ptr_
#define _Frees_ptr_opt_
#define _Points_to_data_
#define _Literal_
#define _Const_
#define _Unchanged_(e)
#define _Interlocked_
#define _Interlocked_operand_
#define _Ret_maybenull_
#define _Ret_notnull_
#define _Ret_z_
#define _Ret_range_(lo, hi)
#define _Ret_writes_bytes_maybenull_(n)
#define _Result_nullonfailure_
#define _Result_zeroonfailure_
#define _Success_(e)
#define _Return_type_success_(e)
#define _Check_return_
#define _Must_inspect_result_
#define _Analysis_assume_(e)
#define _Analysis_mode_(m)
#define _Analysis_noreturn_
#define _Acquires_lock_(l)
#define _Releases_lock_(l)
#define _Requires_lock_held_(l)
#define _Requires_lock_not_held_(l)
#define _Acquires_exclusive_lock_(l)
#define _Releases_exclusive_lock_(l)
#define _Acquires_shared_lock_(l)
#define _Releases_shared_lock_(l)
#define _Guarded_by_(l)
#define _Inexpressible_(e)
#define _Strict_type_match_
#define _Enum_is_bitflag_
#define _Struct_size_bytes_(n)
#define _Use_decl_annotations_
#define _Function_class_(c)
#define _At_(target, annos)
#define _At_buffer_(t, i, n, a)
#define _When_(cond, annos)
#define _Out_range_(lo, hi)
#define _Deref_out_range_(lo, hi)
#define _Pre_defensive_
#define _Post_defensive_
#define _Kernel_clear_do_init_(yesNo)
#define _Kernel_float_saved_
#define _Kernel_float_restored_
#define _Kernel_float_used_
#define _Kernel_requires_resource_held_(r)
#define _Kernel_requires_resource_not_held_(r)
#define _Kernel_acquires_resource_(r)
#define _Kernel_releases_resource_(r)
#define _Kernel_IoGetDmaAdapter_
#define _Dispatch_type_(t)
#define _Callback_
#define _Maybe_raises_SEH_exception_
#define _Raises_SEH_exception_

/* IRQL annotations. */
#define _IRQL_requires_(i)
#define _IRQL_requires_max_(i)
#define _IRQL_requires_min_(i)
#define _IRQL_requires_same_
#define _IRQL_raises_(i)
#define _IRQL_saves_
#define _IRQL_saves_global_(k, p)
#define _IRQL_restores_
#define _IRQL_restores_global_(k, p)
#define _IRQL_always_function_max_(i)
#define _IRQL_always_function_min_(i)
#define _IRQL_uses_cancel_
#define _IRQL_is_cancel_
#define _IRQL_requires_restored_
#define _IRQL_limited_to_(i)

/* Old-style (pre-SAL 2) annotations still found in older samples. In C++
   these names collide with libstdc++'s own identifiers (std::move(__in)),
   so they exist there only when IRPSIM_OLD_SAL is defined. */
#if !defined(__cplusplus) || defined(IRPSIM_OLD_SAL)
#define __in
#define __in_opt
#define __out
#define __out_opt
#define __inout
#define __inout_opt
#define __in_bcount(n)
#define __in_bcount_opt(n)
#define __out_bcount(n)
#define __out_bcount_opt(n)
#define __in_ecount(n)
#define __out_ecount(n)
#define __deref_out
#define __drv_dispatchType(t)
#define __drv_maxIRQL(i)
#define __drv_minIRQL(i)
#define __drv_requiresIRQL(i)
#define __drv_setsIRQL(i)
#define __drv_savesIRQL
#define __drv_restoresIRQL
#define __drv_raisesIRQL(i)
#define __drv_sameIRQL
#define __drv_functionClass(c)
#define __drv_when(c, a)
#define __drv_aliasesMem
#define __drv_allocatesMem(k)
#define __drv_freesMem(k)
#define __drv_acquiresCancelSpinLock
#define __drv_releasesCancelSpinLock
#define __drv_mustHold(r)
#define __drv_useCancelIRQL
#define __drv_arg(a, b)
#define __drv_strictTypeMatch(m)
#define __drv_reportError(s)
#define __drv_preferredFunction(f, why)
#define __drv_inTry
#define __drv_notInTry
#define __drv_isCancelIRQL
#define __drv_valueIs(v)
#define __checkReturn
#define __success(e)
#define __bcount(n)
#define __ecount(n)
#define __field_bcount(n)
#define __field_ecount(n)
#define __nullterminated
#define __reserved
#define __callback
#endif

/* More SAL 2 annotations seen in driver samples. */
#define _In_reads_z_(n)
#define _In_reads_or_z_(n)
#define _In_reads_or_z_opt_(n)
#define _Out_writes_all_(n)
#define _Out_writes_bytes_all_opt_(n)
#define _Out_writes_to_opt_(n, c)
#define _Inout_updates_z_(n)
#define _Inout_updates_all_(n)
#define _Inout_updates_bytes_all_(n)
#define _Inout_opt_z_
#define _Outptr_opt_result_maybenull_
#define _Outptr_result_nullonfailure_
#define _Outptr_opt_result_nullonfailure_
#define _Outptr_result_bytebuffer_maybenull_(n)
#define _Outptr_result_z_
#define _Acquires_nonreentrant_lock_(l)
#define _Releases_nonreentrant_lock_(l)
#define _Requires_shared_lock_held_(l)
#define _Requires_exclusive_lock_held_(l)
#define _Pre_z_
#define _Post_z_
#define _Field_size_full_(n)
#define _Ret_writes_maybenull_(n)
#define _Ret_writes_bytes_(n)
#define _Deref_pre_maybenull_
#define _Deref_post_maybenull_
#define _Deref_out_z_
#define _Deref_in_range_(lo, hi)
#define _Scanf_format_string_

#endif /* IRPSIM_WDK_SAL_H */
