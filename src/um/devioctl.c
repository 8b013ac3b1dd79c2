/*
 * irpsim — DeviceIoControl: NtDeviceIoControlFile with or without an
 * OVERLAPPED (SEMANTICS A.3; the buffering is in ntioctl.c).
 *
 * Without an OVERLAPPED, lpBytesReturned receives the byte count (also for
 * a warning such as ERROR_MORE_DATA). Windows faults in the caller when it
 * is NULL; irpsim skips the store.
 *
 * Defined under its symbol name, IrpSimDeviceIoControl (see ump.h).
 */
#include "ump.h"

BOOL WINAPI IrpSimDeviceIoControl(HANDLE hDevice, DWORD dwIoControlCode, LPVOID lpInBuffer, DWORD nInBufferSize,
                            LPVOID lpOutBuffer, DWORD nOutBufferSize, LPDWORD lpBytesReturned,
                            LPOVERLAPPED lpOverlapped)
{
    UMP_CALL Call;
    NTSTATUS Status;
    BOOL Result;

    UmpEnter(&Call, "DeviceIoControl", hDevice);
    if (lpOverlapped != NULL) {
        HANDLE Event;
        PVOID Context;
        if (!UmpPrepareOverlapped(lpOverlapped, &Event, &Context)) {
            SetLastError(ERROR_NOACCESS);
            return (BOOL)UmpLeave(&Call, FALSE);
        }
        Status = NtDeviceIoControlFile(hDevice, Event, NULL, Context, (PIO_STATUS_BLOCK)lpOverlapped,
                                       dwIoControlCode, lpInBuffer, nInBufferSize, lpOutBuffer, nOutBufferSize);
        Result = UmpOverlappedResult(Status, lpOverlapped, lpBytesReturned);
    } else {
        IO_STATUS_BLOCK IoStatus = {{0}, 0};
        Status = NtDeviceIoControlFile(hDevice, NULL, NULL, NULL, &IoStatus, dwIoControlCode, lpInBuffer,
                                       nInBufferSize, lpOutBuffer, nOutBufferSize);
        Result = UmpSynchronousResult(Status, hDevice, &IoStatus, lpBytesReturned, FALSE);
    }
    return (BOOL)UmpLeave(&Call, (ULONG_PTR)Result);
}
