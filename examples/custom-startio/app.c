/*
 * custom-startio: the article's two experiments, against <windows.h>.
 *
 *   1. overlapped reads sent one after the other, each waited for: every
 *      one finds the driver's read queue idle and enters MyStartIo;
 *   2. ten overlapped reads sent at once, then a write: the first read
 *      enters MyStartIo, the other nine find the queue busy and wait in
 *      it; the write is not held up by the reads.
 */
#include <windows.h>
#include <stdio.h>

#include "startio.h"

#define MAX_READS 16

static HANDLE OpenDevice(STARTIO_APP_RESULT *Result)
{
    HANDLE Device = CreateFileW(L"\\\\.\\CustomStartIo", GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                                FILE_FLAG_OVERLAPPED, NULL);
    ZeroMemory(Result, sizeof(*Result));
    if (Device == INVALID_HANDLE_VALUE)
        printf("failed to open CustomStartIo (error %lu)\n", (unsigned long)GetLastError());
    else
        Result->Opened = 1;
    return Device;
}

/* Sends one overlapped read; TRUE if it was accepted (done or pending). */
static BOOL StartRead(HANDLE Device, OVERLAPPED *Ov, BYTE *Buffer)
{
    ZeroMemory(Ov, sizeof(*Ov));
    Ov->hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    return ReadFile(Device, Buffer, 16, NULL, Ov) || GetLastError() == ERROR_IO_PENDING;
}

int StartIoSequentialReads(STARTIO_APP_RESULT *Result, unsigned long Count)
{
    HANDLE Device = OpenDevice(Result);
    unsigned long i;
    if (Device == INVALID_HANDLE_VALUE)
        return 1;
    for (i = 0; i < Count; i++) {
        OVERLAPPED Ov;
        BYTE Buffer[16];
        DWORD Bytes;
        BOOL Pended;
        Result->ReadsSent++;
        ZeroMemory(&Ov, sizeof(Ov));
        Ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
        Pended = !ReadFile(Device, Buffer, sizeof(Buffer), NULL, &Ov) && GetLastError() == ERROR_IO_PENDING;
        if (GetOverlappedResult(Device, &Ov, &Bytes, TRUE)) {
            Result->ReadsOk++;
            printf("read %lu: %s, then success\n", i + 1, Pended ? "ERROR_IO_PENDING" : "done at once");
        } else {
            printf("read %lu: failed, error %lu\n", i + 1, (unsigned long)GetLastError());
        }
        CloseHandle(Ov.hEvent);
    }
    CloseHandle(Device);
    return 0;
}

int StartIoConcurrentReads(STARTIO_APP_RESULT *Result, unsigned long Count)
{
    OVERLAPPED Reads[MAX_READS], Write;
    BYTE Buffers[MAX_READS][16], Data[8] = {0};
    HANDLE Device = OpenDevice(Result);
    DWORD Bytes;
    unsigned long i, Pending = 0;
    if (Device == INVALID_HANDLE_VALUE)
        return 1;
    if (Count > MAX_READS)
        Count = MAX_READS;
    for (i = 0; i < Count; i++) {
        if (StartRead(Device, &Reads[i], Buffers[i]))
            Result->ReadsSent++;
    }
    printf("%lu reads sent at once\n", Result->ReadsSent);

    /* A write while the reads are queued: it goes another way. */
    ZeroMemory(&Write, sizeof(Write));
    Write.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    if ((WriteFile(Device, Data, sizeof(Data), NULL, &Write) || GetLastError() == ERROR_IO_PENDING) &&
        GetOverlappedResult(Device, &Write, &Bytes, TRUE)) {
        Result->WriteOk = 1;
        for (i = 0; i < Count; i++)
            if (!HasOverlappedIoCompleted(&Reads[i]))
                Pending++;
        Result->WriteBeforeReads = Pending == Count;
        printf("the write completed (%lu bytes) while %lu of the reads were still pending\n", (unsigned long)Bytes,
               Pending);
    }
    CloseHandle(Write.hEvent);

    for (i = 0; i < Count; i++) {
        if (GetOverlappedResult(Device, &Reads[i], &Bytes, TRUE))
            Result->ReadsOk++;
        CloseHandle(Reads[i].hEvent);
    }
    printf("%lu of %lu reads completed with success\n", Result->ReadsOk, Result->ReadsSent);
    CloseHandle(Device);
    return 0;
}
