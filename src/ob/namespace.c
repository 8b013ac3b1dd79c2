/*
 * irpsim — the object namespace and symbolic links.
 *
 * Names are full paths (\Device\Beep, \??\Beep, \Driver\Beep), compared
 * without regard to case, as the object manager does for OBJ_CASE_INSENSITIVE
 * opens (which is how the I/O manager opens devices). \DosDevices\X and
 * \GLOBAL??\X are spellings of \??\X.
 */
#include "obp.h"
#include "../verifier/vf.h"

#include <stdlib.h>
#include <wctype.h>

static LIST_ENTRY ObpNamespaceHead = {&ObpNamespaceHead, &ObpNamespaceHead};

typedef struct _OBP_SYMBOLIC_LINK {
    UNICODE_STRING Target;
} OBP_SYMBOLIC_LINK, *POBP_SYMBOLIC_LINK;

#define OBP_MAX_LINK_DEPTH 32

static SIZE_T ObpCharCount(PCUNICODE_STRING Name)
{
    return Name->Length / sizeof(WCHAR);
}

static BOOLEAN ObpPrefixEqual(PCWSTR A, PCWSTR B, SIZE_T Count)
{
    for (SIZE_T i = 0; i < Count; i++) {
        if (towupper((wint_t)A[i]) != towupper((wint_t)B[i]))
            return FALSE;
    }
    return TRUE;
}

/* Returns a malloc'd, NUL-terminated, canonical copy of Name. */
static PWSTR ObpCanonicalName(PCWSTR Name, SIZE_T Count)
{
    static const struct {
        PCWSTR Alias;
        SIZE_T Length;
    } Aliases[] = {{L"\\DosDevices", 11}, {L"\\GLOBAL??", 9}};
    PWSTR Result;
    SIZE_T Skip = 0;
    BOOLEAN Aliased = FALSE;

    for (SIZE_T i = 0; i < RTL_NUMBER_OF(Aliases); i++) {
        SIZE_T Length = Aliases[i].Length;
        if (Count >= Length && ObpPrefixEqual(Name, Aliases[i].Alias, Length) &&
            (Count == Length || Name[Length] == L'\\')) {
            Skip = Length;
            Aliased = TRUE;
            break;
        }
    }
    Result = (PWSTR)malloc((Count - Skip + 4) * sizeof(WCHAR));
    if (Result == NULL)
        return NULL;
    if (Aliased) {
        Result[0] = L'\\';
        Result[1] = L'?';
        Result[2] = L'?';
        memcpy(Result + 3, Name + Skip, (Count - Skip) * sizeof(WCHAR));
        Result[3 + Count - Skip] = 0;
    } else {
        memcpy(Result, Name, Count * sizeof(WCHAR));
        Result[Count] = 0;
    }
    return Result;
}

static POBJECT_HEADER ObpFindExactLocked(PCWSTR Name)
{
    SIZE_T Count = wcslen(Name);
    for (PLIST_ENTRY Entry = ObpNamespaceHead.Flink; Entry != &ObpNamespaceHead; Entry = Entry->Flink) {
        POBJECT_HEADER Header = CONTAINING_RECORD(Entry, OBJECT_HEADER, NamespaceEntry);
        if (wcslen(Header->Name) == Count && ObpPrefixEqual(Header->Name, Name, Count))
            return Header;
    }
    return NULL;
}

/* The longest named object that Path starts with, at a component boundary. */
static POBJECT_HEADER ObpFindPrefixLocked(PCWSTR Path, SIZE_T *MatchedCount)
{
    SIZE_T PathCount = wcslen(Path);
    POBJECT_HEADER Best = NULL;
    SIZE_T BestCount = 0;
    for (PLIST_ENTRY Entry = ObpNamespaceHead.Flink; Entry != &ObpNamespaceHead; Entry = Entry->Flink) {
        POBJECT_HEADER Header = CONTAINING_RECORD(Entry, OBJECT_HEADER, NamespaceEntry);
        SIZE_T Count = wcslen(Header->Name);
        if (Count > PathCount || Count <= BestCount)
            continue;
        if (!ObpPrefixEqual(Header->Name, Path, Count))
            continue;
        if (Count < PathCount && Path[Count] != L'\\')
            continue;
        Best = Header;
        BestCount = Count;
    }
    *MatchedCount = BestCount;
    return Best;
}

NTSTATUS ObpInsertNameLocked(POBJECT_HEADER Header, PCUNICODE_STRING Name)
{
    PWSTR Canonical;
    if (Name->Buffer == NULL || ObpCharCount(Name) == 0 || Name->Buffer[0] != L'\\')
        return STATUS_OBJECT_PATH_SYNTAX_BAD;
    Canonical = ObpCanonicalName(Name->Buffer, ObpCharCount(Name));
    if (Canonical == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (ObpFindExactLocked(Canonical) != NULL) {
        free(Canonical);
        return STATUS_OBJECT_NAME_COLLISION;
    }
    Header->Name = Canonical;
    Header->Flags |= OBP_FLAG_IN_NAMESPACE;
    InsertTailList(&ObpNamespaceHead, &Header->NamespaceEntry);
    return STATUS_SUCCESS;
}

VOID ObpRemoveNameLocked(POBJECT_HEADER Header)
{
    if (Header->Flags & OBP_FLAG_IN_NAMESPACE) {
        RemoveEntryList(&Header->NamespaceEntry);
        InitializeListHead(&Header->NamespaceEntry);
        Header->Flags &= ~OBP_FLAG_IN_NAMESPACE;
    }
}

/* Directories that exist in every namespace, so a missing leaf in one of
   them is "name not found" while a missing directory is "path not found". */
static BOOLEAN ObpIsKnownDirectory(PCWSTR Path, SIZE_T Count)
{
    static const PCWSTR Directories[] = {L"", L"\\Device", L"\\??", L"\\Driver", L"\\FileSystem",
                                         L"\\BaseNamedObjects", L"\\Callback", L"\\KernelObjects"};
    for (SIZE_T i = 0; i < RTL_NUMBER_OF(Directories); i++) {
        if (wcslen(Directories[i]) == Count && ObpPrefixEqual(Directories[i], Path, Count))
            return TRUE;
    }
    return FALSE;
}

NTSTATUS ObpLookupObjectName(PCUNICODE_STRING Path, POBJECT_TYPE Type, PVOID *Object, PUNICODE_STRING Remainder)
{
    PWSTR Current;
    NTSTATUS Status = STATUS_OBJECT_NAME_NOT_FOUND;

    *Object = NULL;
    if (Path == NULL || Path->Buffer == NULL || ObpCharCount(Path) == 0)
        return STATUS_OBJECT_NAME_INVALID;
    if (Path->Buffer[0] != L'\\')
        return STATUS_OBJECT_PATH_SYNTAX_BAD;
    Current = ObpCanonicalName(Path->Buffer, ObpCharCount(Path));
    if (Current == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;

    PalMutexLock(&ObpLock);
    for (ULONG Depth = 0;; Depth++) {
        SIZE_T Matched;
        POBJECT_HEADER Header;
        PCWSTR Rest;

        if (Depth > OBP_MAX_LINK_DEPTH) {
            Status = STATUS_OBJECT_PATH_NOT_FOUND;
            break;
        }
        Header = ObpFindPrefixLocked(Current, &Matched);
        if (Header == NULL) {
            PWSTR LastSeparator = wcsrchr(Current, L'\\');
            SIZE_T ParentCount = LastSeparator != NULL ? (SIZE_T)(LastSeparator - Current) : 0;
            Status = ObpIsKnownDirectory(Current, ParentCount) ? STATUS_OBJECT_NAME_NOT_FOUND
                                                               : STATUS_OBJECT_PATH_NOT_FOUND;
            break;
        }
        Rest = Current + Matched;
        if (Header->Type == &ObpSymbolicLinkObjectType) {
            POBP_SYMBOLIC_LINK Link = (POBP_SYMBOLIC_LINK)OBJECT_HEADER_TO_BODY(Header);
            SIZE_T TargetCount = Link->Target.Length / sizeof(WCHAR);
            SIZE_T RestCount = wcslen(Rest);
            PWSTR Joined = (PWSTR)malloc((TargetCount + RestCount + 1) * sizeof(WCHAR));
            PWSTR Next;
            if (Joined == NULL) {
                Status = STATUS_INSUFFICIENT_RESOURCES;
                break;
            }
            memcpy(Joined, Link->Target.Buffer, TargetCount * sizeof(WCHAR));
            memcpy(Joined + TargetCount, Rest, (RestCount + 1) * sizeof(WCHAR));
            Next = ObpCanonicalName(Joined, TargetCount + RestCount);
            free(Joined);
            if (Next == NULL) {
                Status = STATUS_INSUFFICIENT_RESOURCES;
                break;
            }
            free(Current);
            Current = Next;
            continue;
        }
        if (Type != NULL && Header->Type != Type) {
            Status = STATUS_OBJECT_TYPE_MISMATCH;
            break;
        }
        if (Remainder != NULL) {
            SIZE_T RestBytes = wcslen(Rest) * sizeof(WCHAR);
            if (RestBytes > Remainder->MaximumLength) {
                Status = STATUS_NAME_TOO_LONG;
                break;
            }
            memcpy(Remainder->Buffer, Rest, RestBytes);
            Remainder->Length = (USHORT)RestBytes;
        }
        PAL_ATOMIC_ADD_FETCH(&Header->PointerCount, 1, PAL_ORDER_SEQ_CST);
        *Object = OBJECT_HEADER_TO_BODY(Header);
        Status = STATUS_SUCCESS;
        break;
    }
    PalMutexUnlock(&ObpLock);
    free(Current);
    return Status;
}

static VOID ObpDeleteSymbolicLinkObject(PVOID Object)
{
    POBP_SYMBOLIC_LINK Link = (POBP_SYMBOLIC_LINK)Object;
    free(Link->Target.Buffer);
    Link->Target.Buffer = NULL;
}

NTSTATUS ObpCreateSymbolicLink(PCUNICODE_STRING LinkName, PCUNICODE_STRING Target, PVOID *LinkObject)
{
    POBP_SYMBOLIC_LINK Link;
    PWSTR Copy;
    NTSTATUS Status;

    if (LinkName == NULL || Target == NULL || Target->Buffer == NULL || Target->Length == 0)
        return STATUS_INVALID_PARAMETER;
    Copy = (PWSTR)malloc(Target->Length + sizeof(WCHAR));
    if (Copy == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    memcpy(Copy, Target->Buffer, Target->Length);
    Copy[Target->Length / sizeof(WCHAR)] = 0;
    ObpSymbolicLinkObjectType.DeleteProcedure = ObpDeleteSymbolicLinkObject;
    /* IoCreateSymbolicLink makes a permanent link: it lives until deleted. */
    Status = ObpCreateObject(&ObpSymbolicLinkObjectType, sizeof(OBP_SYMBOLIC_LINK), LinkName, TRUE,
                             (PVOID *)&Link);
    if (!NT_SUCCESS(Status)) {
        free(Copy);
        return Status;
    }
    Link->Target.Buffer = Copy;
    Link->Target.Length = Target->Length;
    Link->Target.MaximumLength = (USHORT)(Target->Length + sizeof(WCHAR));
    if (LinkObject != NULL)
        *LinkObject = Link;
    else
        ObfDereferenceObject(Link);
    return STATUS_SUCCESS;
}

NTSTATUS ObpDeleteSymbolicLink(PCUNICODE_STRING LinkName)
{
    PWSTR Canonical;
    POBJECT_HEADER Header;
    PVOID Object = NULL;

    if (LinkName == NULL || LinkName->Buffer == NULL || LinkName->Length == 0)
        return STATUS_OBJECT_NAME_INVALID;
    Canonical = ObpCanonicalName(LinkName->Buffer, ObpCharCount(LinkName));
    if (Canonical == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    PalMutexLock(&ObpLock);
    Header = ObpFindExactLocked(Canonical);
    if (Header != NULL && Header->Type == &ObpSymbolicLinkObjectType) {
        PAL_ATOMIC_ADD_FETCH(&Header->PointerCount, 1, PAL_ORDER_SEQ_CST);
        Object = OBJECT_HEADER_TO_BODY(Header);
    }
    PalMutexUnlock(&ObpLock);
    free(Canonical);
    if (Object == NULL)
        return Header == NULL ? STATUS_OBJECT_NAME_NOT_FOUND : STATUS_OBJECT_TYPE_MISMATCH;
    ObMakeTemporaryObject(Object);
    ObfDereferenceObject(Object);
    return STATUS_SUCCESS;
}
