/*
 * irpsim — the native file services: opening a device and sending it
 * requests through a handle (ZwCreateFile, ZwDeviceIoControlFile, ...).
 *
 * A driver calls the Zw forms to open another device; they run with
 * PreviousMode = KernelMode (no probing, no access check against the
 * IOCTL code). The Nt forms run with the calling thread's PreviousMode,
 * as on Windows; the Win32 facade (CreateFile, DeviceIoControl, ...) calls
 * them with PreviousMode = UserMode. ZwClose / NtClose are in ob.h.
 */
#ifndef IRPSIM_WDK_ZW_H
#define IRPSIM_WDK_ZW_H

/* Included by <wdm.h> after ob.h and io.h (OBJECT_ATTRIBUTES, IO_STATUS_BLOCK). */
#include <irpsim/wdk/ob.h>
#include <irpsim/wdk/iotypes.h>

IRPSIM_EXTERN_C_BEGIN

NTSYSCALLAPI NTSTATUS NTAPI NtCreateFile(_Out_ PHANDLE FileHandle, _In_ ACCESS_MASK DesiredAccess,
                                         _In_ POBJECT_ATTRIBUTES ObjectAttributes,
                                         _Out_ PIO_STATUS_BLOCK IoStatusBlock,
                                         _In_opt_ PLARGE_INTEGER AllocationSize, _In_ ULONG FileAttributes,
                                         _In_ ULONG ShareAccess, _In_ ULONG CreateDisposition,
                                         _In_ ULONG CreateOptions, _In_reads_bytes_opt_(EaLength) PVOID EaBuffer,
                                         _In_ ULONG EaLength);
NTSYSCALLAPI NTSTATUS NTAPI NtOpenFile(_Out_ PHANDLE FileHandle, _In_ ACCESS_MASK DesiredAccess,
                                       _In_ POBJECT_ATTRIBUTES ObjectAttributes,
                                       _Out_ PIO_STATUS_BLOCK IoStatusBlock, _In_ ULONG ShareAccess,
                                       _In_ ULONG OpenOptions);
NTSYSCALLAPI NTSTATUS NTAPI NtDeviceIoControlFile(_In_ HANDLE FileHandle, _In_opt_ HANDLE Event,
                                                  _In_opt_ PIO_APC_ROUTINE ApcRoutine, _In_opt_ PVOID ApcContext,
                                                  _Out_ PIO_STATUS_BLOCK IoStatusBlock,
                                                  _In_ ULONG IoControlCode,
                                                  _In_reads_bytes_opt_(InputBufferLength) PVOID InputBuffer,
                                                  _In_ ULONG InputBufferLength,
                                                  _Out_writes_bytes_opt_(OutputBufferLength) PVOID OutputBuffer,
                                                  _In_ ULONG OutputBufferLength);
NTSYSCALLAPI NTSTATUS NTAPI NtReadFile(_In_ HANDLE FileHandle, _In_opt_ HANDLE Event,
                                       _In_opt_ PIO_APC_ROUTINE ApcRoutine, _In_opt_ PVOID ApcContext,
                                       _Out_ PIO_STATUS_BLOCK IoStatusBlock,
                                       _Out_writes_bytes_(Length) PVOID Buffer, _In_ ULONG Length,
                                       _In_opt_ PLARGE_INTEGER ByteOffset, _In_opt_ PULONG Key);
NTSYSCALLAPI NTSTATUS NTAPI NtWriteFile(_In_ HANDLE FileHandle, _In_opt_ HANDLE Event,
                                        _In_opt_ PIO_APC_ROUTINE ApcRoutine, _In_opt_ PVOID ApcContext,
                                        _Out_ PIO_STATUS_BLOCK IoStatusBlock,
                                        _In_reads_bytes_(Length) PVOID Buffer, _In_ ULONG Length,
                                        _In_opt_ PLARGE_INTEGER ByteOffset, _In_opt_ PULONG Key);
/* Cancels the calling thread's requests on FileHandle and waits for them. */
NTSYSCALLAPI NTSTATUS NTAPI NtCancelIoFile(_In_ HANDLE FileHandle, _Out_ PIO_STATUS_BLOCK IoStatusBlock);
/* Cancels every thread's requests on FileHandle (or the one whose I/O
   status block is IoRequestToCancel); STATUS_NOT_FOUND if there is none. */
NTSYSCALLAPI NTSTATUS NTAPI NtCancelIoFileEx(_In_ HANDLE FileHandle,
                                             _In_opt_ PIO_STATUS_BLOCK IoRequestToCancel,
                                             _Out_ PIO_STATUS_BLOCK IoStatusBlock);
/* Cancels the synchronous request ThreadHandle's thread is waiting for. */
NTSYSCALLAPI NTSTATUS NTAPI NtCancelSynchronousIoFile(_In_ HANDLE ThreadHandle,
                                                      _In_opt_ PIO_STATUS_BLOCK IoRequestToCancel,
                                                      _Out_ PIO_STATUS_BLOCK IoStatusBlock);

NTSYSAPI NTSTATUS NTAPI ZwCreateFile(_Out_ PHANDLE FileHandle, _In_ ACCESS_MASK DesiredAccess,
                                     _In_ POBJECT_ATTRIBUTES ObjectAttributes,
                                     _Out_ PIO_STATUS_BLOCK IoStatusBlock,
                                     _In_opt_ PLARGE_INTEGER AllocationSize, _In_ ULONG FileAttributes,
                                     _In_ ULONG ShareAccess, _In_ ULONG CreateDisposition, _In_ ULONG CreateOptions,
                                     _In_reads_bytes_opt_(EaLength) PVOID EaBuffer, _In_ ULONG EaLength);
NTSYSAPI NTSTATUS NTAPI ZwOpenFile(_Out_ PHANDLE FileHandle, _In_ ACCESS_MASK DesiredAccess,
                                   _In_ POBJECT_ATTRIBUTES ObjectAttributes,
                                   _Out_ PIO_STATUS_BLOCK IoStatusBlock, _In_ ULONG ShareAccess,
                                   _In_ ULONG OpenOptions);
NTSYSAPI NTSTATUS NTAPI ZwDeviceIoControlFile(_In_ HANDLE FileHandle, _In_opt_ HANDLE Event,
                                              _In_opt_ PIO_APC_ROUTINE ApcRoutine, _In_opt_ PVOID ApcContext,
                                              _Out_ PIO_STATUS_BLOCK IoStatusBlock, _In_ ULONG IoControlCode,
                                              _In_reads_bytes_opt_(InputBufferLength) PVOID InputBuffer,
                                              _In_ ULONG InputBufferLength,
                                              _Out_writes_bytes_opt_(OutputBufferLength) PVOID OutputBuffer,
                                              _In_ ULONG OutputBufferLength);
NTSYSAPI NTSTATUS NTAPI ZwReadFile(_In_ HANDLE FileHandle, _In_opt_ HANDLE Event,
                                   _In_opt_ PIO_APC_ROUTINE ApcRoutine, _In_opt_ PVOID ApcContext,
                                   _Out_ PIO_STATUS_BLOCK IoStatusBlock,
                                   _Out_writes_bytes_(Length) PVOID Buffer, _In_ ULONG Length,
                                   _In_opt_ PLARGE_INTEGER ByteOffset, _In_opt_ PULONG Key);
NTSYSAPI NTSTATUS NTAPI ZwWriteFile(_In_ HANDLE FileHandle, _In_opt_ HANDLE Event,
                                    _In_opt_ PIO_APC_ROUTINE ApcRoutine, _In_opt_ PVOID ApcContext,
                                    _Out_ PIO_STATUS_BLOCK IoStatusBlock,
                                    _In_reads_bytes_(Length) PVOID Buffer, _In_ ULONG Length,
                                    _In_opt_ PLARGE_INTEGER ByteOffset, _In_opt_ PULONG Key);

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_WDK_ZW_H */
