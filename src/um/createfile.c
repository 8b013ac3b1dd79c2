/*
 * irpsim — CreateFileA / CreateFileW: kernel32's translation to
 * NtCreateFile.
 *
 * Names: "\\.\Name" and "\\?\Name" become "\??\Name" (the DOS devices
 * directory, whose symbolic links lead to \Device\...); a name that starts
 * with one backslash is taken as an NT path ("\Device\Beep", "\??\Beep");
 * "\\server\share" becomes "\??\UNC\server\share"; anything else ("C:\x",
 * "COM1", "file.txt") is looked up under \??, which finds DOS device names
 * and otherwise fails as a missing file or path would (there is no file
 * system). Forward slashes count as backslashes except after "\\?\".
 *
 * kernel32 adds SYNCHRONIZE | FILE_READ_ATTRIBUTES to the access asked
 * for, opens for synchronous I/O unless FILE_FLAG_OVERLAPPED is given, and
 * maps the creation disposition. On success the last error is
 * ERROR_ALREADY_EXISTS when OPEN_ALWAYS / CREATE_ALWAYS found the file
 * there, else ERROR_SUCCESS.
 */
#include "ump.h"

#include <stdlib.h>

static BOOLEAN UmpStartsWith(PCWSTR Text, PCWSTR Prefix)
{
    while (*Prefix != 0) {
        if (*Text++ != *Prefix++)
            return FALSE;
    }
    return TRUE;
}

PWSTR UmpDosPathToNtPath(PCWSTR DosPath)
{
    PCWSTR Prefix = L"\\??\\";
    PCWSTR Rest = DosPath;
    BOOLEAN Verbatim = FALSE;
    SIZE_T PrefixCount, RestCount;
    PWSTR Path;

    if (UmpStartsWith(DosPath, L"\\\\?\\")) {
        Rest = DosPath + 4;
        Verbatim = TRUE;
    } else if (UmpStartsWith(DosPath, L"\\\\.\\") || UmpStartsWith(DosPath, L"//./")) {
        Rest = DosPath + 4;
    } else if ((DosPath[0] == L'\\' || DosPath[0] == L'/') && (DosPath[1] == L'\\' || DosPath[1] == L'/')) {
        Prefix = L"\\??\\UNC\\";
        Rest = DosPath + 2;
    } else if (DosPath[0] == L'\\') {
        Prefix = L"";
    }
    PrefixCount = wcslen(Prefix);
    RestCount = wcslen(Rest);
    Path = (PWSTR)malloc((PrefixCount + RestCount + 1) * sizeof(WCHAR));
    if (Path == NULL)
        return NULL;
    memcpy(Path, Prefix, PrefixCount * sizeof(WCHAR));
    for (SIZE_T i = 0; i <= RestCount; i++)
        Path[PrefixCount + i] = (!Verbatim && Rest[i] == L'/') ? L'\\' : Rest[i];
    return Path;
}

PWSTR UmpAnsiToWide(PCSTR Ansi)
{
    SIZE_T Count = strlen(Ansi);
    PWSTR Wide = (PWSTR)malloc((Count + 1) * sizeof(WCHAR));
    if (Wide == NULL)
        return NULL;
    for (SIZE_T i = 0; i <= Count; i++)
        Wide[i] = (WCHAR)(UCHAR)Ansi[i];
    return Wide;
}

static BOOLEAN UmpCreateDisposition(DWORD Win32, PULONG Nt)
{
    switch (Win32) {
    case CREATE_NEW:
        *Nt = FILE_CREATE;
        return TRUE;
    case CREATE_ALWAYS:
        *Nt = FILE_OVERWRITE_IF;
        return TRUE;
    case OPEN_EXISTING:
        *Nt = FILE_OPEN;
        return TRUE;
    case OPEN_ALWAYS:
        *Nt = FILE_OPEN_IF;
        return TRUE;
    case TRUNCATE_EXISTING:
        *Nt = FILE_OVERWRITE;
        return TRUE;
    default:
        return FALSE;
    }
}

static HANDLE UmpCreateFile(PCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                            LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
                            DWORD dwFlagsAndAttributes)
{
    const DWORD ValidAttributes = 0x00007FB7;
    OBJECT_ATTRIBUTES Attributes;
    IO_STATUS_BLOCK IoStatus;
    UNICODE_STRING Name;
    ULONG Disposition;
    ULONG Options = 0;
    ACCESS_MASK Access = dwDesiredAccess | SYNCHRONIZE | FILE_READ_ATTRIBUTES;
    HANDLE Handle = NULL;
    NTSTATUS Status;
    PWSTR Path;
    SIZE_T Bytes;

    if (lpFileName == NULL || !UmpCreateDisposition(dwCreationDisposition, &Disposition)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return INVALID_HANDLE_VALUE;
    }
    if (lpFileName[0] == 0) {
        SetLastError(ERROR_PATH_NOT_FOUND);
        return INVALID_HANDLE_VALUE;
    }
    if (!(dwFlagsAndAttributes & FILE_FLAG_OVERLAPPED))
        Options |= FILE_SYNCHRONOUS_IO_NONALERT;
    if (!(dwFlagsAndAttributes & FILE_FLAG_BACKUP_SEMANTICS))
        Options |= FILE_NON_DIRECTORY_FILE;
    else
        Options |= FILE_OPEN_FOR_BACKUP_INTENT;
    if (dwFlagsAndAttributes & FILE_FLAG_WRITE_THROUGH)
        Options |= FILE_WRITE_THROUGH;
    if (dwFlagsAndAttributes & FILE_FLAG_NO_BUFFERING)
        Options |= FILE_NO_INTERMEDIATE_BUFFERING;
    if (dwFlagsAndAttributes & FILE_FLAG_SEQUENTIAL_SCAN)
        Options |= FILE_SEQUENTIAL_ONLY;
    if (dwFlagsAndAttributes & FILE_FLAG_RANDOM_ACCESS)
        Options |= FILE_RANDOM_ACCESS;
    if (dwFlagsAndAttributes & FILE_FLAG_DELETE_ON_CLOSE) {
        Options |= FILE_DELETE_ON_CLOSE;
        Access |= DELETE;
    }

    Path = UmpDosPathToNtPath(lpFileName);
    if (Path == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return INVALID_HANDLE_VALUE;
    }
    Bytes = wcslen(Path) * sizeof(WCHAR);
    if (Bytes > MAXUSHORT - sizeof(WCHAR)) {
        free(Path);
        SetLastError(ERROR_FILENAME_EXCED_RANGE);
        return INVALID_HANDLE_VALUE;
    }
    Name.Buffer = Path;
    Name.Length = (USHORT)Bytes;
    Name.MaximumLength = (USHORT)(Bytes + sizeof(WCHAR));
    InitializeObjectAttributes(&Attributes, &Name,
                               OBJ_CASE_INSENSITIVE |
                                   (lpSecurityAttributes != NULL && lpSecurityAttributes->bInheritHandle ? OBJ_INHERIT
                                                                                                        : 0),
                               NULL, NULL);
    Status = NtCreateFile(&Handle, Access, &Attributes, &IoStatus, NULL, dwFlagsAndAttributes & ValidAttributes,
                          dwShareMode, Disposition, Options, NULL, 0);
    free(Path);
    if (!NT_SUCCESS(Status)) {
        /* CREATE_NEW on a name that exists. */
        if (Status == STATUS_OBJECT_NAME_COLLISION)
            SetLastError(ERROR_FILE_EXISTS);
        else
            UmpSetLastNtError(Status);
        return INVALID_HANDLE_VALUE;
    }
    if ((dwCreationDisposition == CREATE_ALWAYS && IoStatus.Information == FILE_OVERWRITTEN) ||
        (dwCreationDisposition == OPEN_ALWAYS && IoStatus.Information == FILE_OPENED))
        SetLastError(ERROR_ALREADY_EXISTS);
    else
        SetLastError(ERROR_SUCCESS);
    return Handle;
}

HANDLE WINAPI CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                          LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
                          DWORD dwFlagsAndAttributes, HANDLE hTemplateFile)
{
    UMP_CALL Call;
    UNREFERENCED_PARAMETER(hTemplateFile);
    UmpEnter(&Call, "CreateFileW", NULL);
    return (HANDLE)UmpLeave(&Call, (ULONG_PTR)UmpCreateFile(lpFileName, dwDesiredAccess, dwShareMode,
                                                            lpSecurityAttributes, dwCreationDisposition,
                                                            dwFlagsAndAttributes));
}

HANDLE WINAPI CreateFileA(LPCSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
                          LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
                          DWORD dwFlagsAndAttributes, HANDLE hTemplateFile)
{
    UMP_CALL Call;
    HANDLE Handle = INVALID_HANDLE_VALUE;
    PWSTR Name;
    UNREFERENCED_PARAMETER(hTemplateFile);
    UmpEnter(&Call, "CreateFileA", NULL);
    if (lpFileName == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
    } else if ((Name = UmpAnsiToWide(lpFileName)) == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    } else {
        Handle = UmpCreateFile(Name, dwDesiredAccess, dwShareMode, lpSecurityAttributes, dwCreationDisposition,
                               dwFlagsAndAttributes);
        free(Name);
    }
    return (HANDLE)UmpLeave(&Call, (ULONG_PTR)Handle);
}
