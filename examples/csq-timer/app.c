/*
 * csq-timer: the article's application, in C against <windows.h>.
 *
 * Opens \\.\MyDriver for overlapped I/O, parks three IOCTL_QUEUE requests
 * in the driver (each with its own manual-reset event), starts the
 * driver's timer with IOCTL_PROCESS, sleeps one second, cancels what is
 * still pending with CancelIo, waits for all three and says how each one
 * ended.
 *
 * IOCTL_PROCESS: the article calls DeviceIoControl with no OVERLAPPED on
 * an overlapped handle. Windows documents that as undefined; it works only
 * because this driver completes IOCTL_PROCESS at once. Here it gets an
 * OVERLAPPED of its own and the application waits for it, which is right
 * whatever the driver does.
 */
#include <windows.h>
#include <winioctl.h>
#include <stdio.h>

#include "csqtimer.h"

int CsqTimerApp(CSQTIMER_APP_RESULT *Result, unsigned long SleepMs)
{
    OVERLAPPED Queued[CSQTIMER_REQUESTS];
    OVERLAPPED Process;
    HANDLE Device;
    DWORD Bytes;
    int i;

    ZeroMemory(Result, sizeof(*Result));
    Device = CreateFileW(L"\\\\.\\MyDriver", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                         FILE_FLAG_OVERLAPPED | FILE_ATTRIBUTE_NORMAL, NULL);
    if (Device == INVALID_HANDLE_VALUE) {
        printf("failed to open MyDriver (error %lu)\n", (unsigned long)GetLastError());
        return 1;
    }
    Result->Opened = 1;

    for (i = 0; i < CSQTIMER_REQUESTS; i++) {
        ZeroMemory(&Queued[i], sizeof(Queued[i]));
        Queued[i].hEvent = CreateEventW(NULL, TRUE, FALSE, NULL); /* manual reset, not signalled */
        if (!DeviceIoControl(Device, IOCTL_QUEUE, NULL, 0, NULL, 0, NULL, &Queued[i]) &&
            GetLastError() == ERROR_IO_PENDING)
            printf("request %d: IOCTL_QUEUE is pending in the driver's queue\n", i + 1);
        else
            printf("request %d: IOCTL_QUEUE did not pend (error %lu)\n", i + 1, (unsigned long)GetLastError());
    }

    printf("IOCTL_PROCESS: start the driver's timer (first tick in 1 s, then every 1000 ms)\n");
    ZeroMemory(&Process, sizeof(Process));
    Process.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (DeviceIoControl(Device, IOCTL_PROCESS, NULL, 0, NULL, 0, NULL, &Process) ||
        GetLastError() == ERROR_IO_PENDING)
        Result->ProcessOk = GetOverlappedResult(Device, &Process, &Bytes, TRUE) ? 1 : 0;
    CloseHandle(Process.hEvent);

    Sleep(SleepMs); /* the article: 1000 */
    printf("Sleep(%lu) is over: CancelIo cancels whatever is still queued\n", SleepMs);
    CancelIo(Device);

    for (i = 0; i < CSQTIMER_REQUESTS; i++) {
        WaitForSingleObject(Queued[i].hEvent, INFINITE);
        if (GetOverlappedResult(Device, &Queued[i], &Bytes, FALSE)) {
            Result->Error[i] = 0;
            printf("request %d: completed with success (a timer tick took it out of the queue)\n", i + 1);
        } else {
            Result->Error[i] = GetLastError();
            if (Result->Error[i] == ERROR_OPERATION_ABORTED)
                printf("request %d: ERROR_OPERATION_ABORTED (still queued when CancelIo came)\n", i + 1);
            else
                printf("request %d: failed with error %lu\n", i + 1, (unsigned long)Result->Error[i]);
        }
        CloseHandle(Queued[i].hEvent);
    }
    CloseHandle(Device);
    return 0;
}
