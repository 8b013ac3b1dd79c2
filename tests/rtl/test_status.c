/*
 * RtlNtStatusToDosError / RtlNtStatusToDosErrorNoTeb: NTSTATUS to Win32
 * error, as Windows maps it.
 *
 * The table is every entry of SEMANTICS.md §11.1 (Microsoft's mapping as
 * recorded by Wine's ntdll table, which Wine's tests check on Windows),
 * plus the rules beyond the table: the customer bit passes a status through,
 * 0xDxxxxxxx maps like 0xCxxxxxxx, 0xC001xxxx and 0x8007xxxx carry a Win32
 * error in their low 16 bits, and anything else is ERROR_MR_MID_NOT_FOUND
 * (317, documented). Win32 numbers are written out (the Win32 headers are
 * another component's).
 */
#include "rtl_test.h"

typedef struct _MAPPING {
    NTSTATUS Status;
    ULONG Error;
    const char *Name;
} MAPPING;

#define ENTRY(Status, Error)                                                                                           \
    {                                                                                                                  \
        (NTSTATUS)(Status), (Error), #Status                                                                           \
    }

/* SEMANTICS.md §11.1, in its order. */
static const MAPPING Semantics[] = {
    ENTRY(STATUS_SUCCESS, 0), /* ERROR_SUCCESS */
    ENTRY(STATUS_WAIT_0, 0),
    ENTRY(STATUS_CONTINUE_COMPLETION, 0),
    ENTRY(STATUS_TIMEOUT, 1460),                 /* ERROR_TIMEOUT [uncertain: Wine's table] */
    ENTRY(STATUS_PENDING, 997),                  /* ERROR_IO_PENDING */
    ENTRY(STATUS_BUFFER_OVERFLOW, 234),          /* ERROR_MORE_DATA */
    ENTRY(STATUS_DEVICE_BUSY, 170),              /* ERROR_BUSY */
    ENTRY(STATUS_VERIFY_REQUIRED, 1110),         /* ERROR_MEDIA_CHANGED */
    ENTRY(STATUS_NO_MORE_ENTRIES, 259),          /* ERROR_NO_MORE_ITEMS */
    ENTRY(STATUS_UNSUCCESSFUL, 31),              /* ERROR_GEN_FAILURE */
    ENTRY(STATUS_NOT_IMPLEMENTED, 1),            /* ERROR_INVALID_FUNCTION */
    ENTRY(STATUS_INFO_LENGTH_MISMATCH, 24),      /* ERROR_BAD_LENGTH */
    ENTRY(STATUS_ACCESS_VIOLATION, 998),         /* ERROR_NOACCESS */
    ENTRY(STATUS_INVALID_HANDLE, 6),             /* ERROR_INVALID_HANDLE */
    ENTRY(STATUS_INVALID_PARAMETER, 87),         /* ERROR_INVALID_PARAMETER */
    ENTRY(STATUS_NO_SUCH_DEVICE, 2),             /* ERROR_FILE_NOT_FOUND */
    ENTRY(STATUS_INVALID_DEVICE_REQUEST, 1),     /* ERROR_INVALID_FUNCTION */
    ENTRY(STATUS_END_OF_FILE, 38),               /* ERROR_HANDLE_EOF */
    ENTRY(STATUS_MORE_PROCESSING_REQUIRED, 234), /* ERROR_MORE_DATA */
    ENTRY(STATUS_NO_MEMORY, 8),                  /* ERROR_NOT_ENOUGH_MEMORY */
    ENTRY(STATUS_ACCESS_DENIED, 5),              /* ERROR_ACCESS_DENIED */
    ENTRY(STATUS_BUFFER_TOO_SMALL, 122),         /* ERROR_INSUFFICIENT_BUFFER */
    ENTRY(STATUS_OBJECT_TYPE_MISMATCH, 6),       /* ERROR_INVALID_HANDLE */
    ENTRY(STATUS_OBJECT_NAME_NOT_FOUND, 2),      /* ERROR_FILE_NOT_FOUND */
    ENTRY(STATUS_OBJECT_NAME_COLLISION, 183),    /* ERROR_ALREADY_EXISTS */
    ENTRY(STATUS_OBJECT_PATH_NOT_FOUND, 3),      /* ERROR_PATH_NOT_FOUND */
    ENTRY(STATUS_MUTANT_NOT_OWNED, 288),         /* ERROR_NOT_OWNER */
    ENTRY(STATUS_SEMAPHORE_LIMIT_EXCEEDED, 298), /* ERROR_TOO_MANY_POSTS */
    ENTRY(STATUS_DELETE_PENDING, 5),             /* ERROR_ACCESS_DENIED */
    ENTRY(STATUS_PRIVILEGE_NOT_HELD, 1314),      /* ERROR_PRIVILEGE_NOT_HELD */
    ENTRY(STATUS_INSUFFICIENT_RESOURCES, 1450),  /* ERROR_NO_SYSTEM_RESOURCES */
    ENTRY(STATUS_DEVICE_NOT_CONNECTED, 1167),    /* ERROR_DEVICE_NOT_CONNECTED */
    ENTRY(STATUS_DEVICE_NOT_READY, 21),          /* ERROR_NOT_READY */
    ENTRY(STATUS_IO_TIMEOUT, 121),               /* ERROR_SEM_TIMEOUT */
    ENTRY(STATUS_NOT_SUPPORTED, 50),             /* ERROR_NOT_SUPPORTED */
    ENTRY(STATUS_DEVICE_DOES_NOT_EXIST, 55),     /* ERROR_DEV_NOT_EXIST */
    ENTRY(STATUS_INVALID_USER_BUFFER, 1784),     /* ERROR_INVALID_USER_BUFFER */
    ENTRY(STATUS_CANCELLED, 995),                /* ERROR_OPERATION_ABORTED */
    ENTRY(STATUS_INVALID_DEVICE_STATE, 22),      /* ERROR_BAD_COMMAND */
    ENTRY(STATUS_INVALID_BUFFER_SIZE, 1784),     /* ERROR_INVALID_USER_BUFFER */
    ENTRY(STATUS_NOT_FOUND, 1168),               /* ERROR_NOT_FOUND */
    ENTRY(STATUS_REQUEST_ABORTED, 1235),         /* ERROR_REQUEST_ABORTED */
};

/* Statuses §11.1 lists without a mapping: 317, as in Wine (the Win32 wait
   functions return these wait results directly). [uncertain] */
static const MAPPING Unmapped[] = {
    ENTRY(STATUS_ABANDONED_WAIT_0, 317),
    ENTRY(STATUS_USER_APC, 317),
    ENTRY(STATUS_ALERTED, 317),
    ENTRY(STATUS_REPARSE, 317),
    ENTRY(STATUS_WAIT_1, 317),
    ENTRY(0xC0000007, 317), /* STATUS_PAGEFILE_QUOTA: not in irpsim's table */
    ENTRY(0xC0FFEE00, 317),
    ENTRY(0x40000000, 317), /* STATUS_OBJECT_NAME_EXISTS */
};

/* Other common statuses whose mapping Wine's table records. */
static const MAPPING Common[] = {
    ENTRY(STATUS_MORE_ENTRIES, 234),
    ENTRY(STATUS_NO_MORE_FILES, 18),
    ENTRY(STATUS_BREAKPOINT, 0x80000003), /* exception codes map to themselves */
    ENTRY(STATUS_DATATYPE_MISALIGNMENT, 998),
    ENTRY(STATUS_DEVICE_POWERED_OFF, 21),
    ENTRY(STATUS_INVALID_INFO_CLASS, 87),
    ENTRY(STATUS_NO_SUCH_FILE, 2),
    ENTRY(STATUS_NO_MEDIA_IN_DEVICE, 21),
    ENTRY(STATUS_UNRECOGNIZED_MEDIA, 1785),
    ENTRY(STATUS_NONCONTINUABLE_EXCEPTION, 0xC0000025),
    ENTRY(STATUS_OBJECT_NAME_INVALID, 123),
    ENTRY(STATUS_OBJECT_PATH_SYNTAX_BAD, 161),
    ENTRY(STATUS_SHARING_VIOLATION, 32),
    ENTRY(STATUS_QUOTA_EXCEEDED, 1816),
    ENTRY(STATUS_FILE_LOCK_CONFLICT, 33),
    ENTRY(STATUS_DISK_FULL, 112),
    ENTRY(STATUS_INTEGER_DIVIDE_BY_ZERO, 0xC0000094),
    ENTRY(STATUS_INTEGER_OVERFLOW, 534),
    ENTRY(STATUS_MEDIA_WRITE_PROTECTED, 19),
    ENTRY(0xC000014B, 109), /* STATUS_PIPE_BROKEN */
    ENTRY(STATUS_INTERNAL_ERROR, 1359),
    ENTRY(STATUS_INVALID_PARAMETER_1, 87),
    ENTRY(STATUS_INVALID_PARAMETER_12, 87),
    ENTRY(STATUS_STACK_OVERFLOW, 1001),
    ENTRY(STATUS_DIRECTORY_NOT_EMPTY, 145),
    ENTRY(STATUS_NAME_TOO_LONG, 206),
    ENTRY(STATUS_FILE_CLOSED, 6),
    ENTRY(STATUS_DLL_NOT_FOUND, 126),
    ENTRY(STATUS_IO_DEVICE_ERROR, 1117),
    ENTRY(STATUS_DEVICE_PROTOCOL_ERROR, 1117),
    ENTRY(STATUS_CONNECTION_RESET, 64),
    ENTRY(STATUS_RETRY, 1237),
    ENTRY(STATUS_CONNECTION_ABORTED, 1236),
    ENTRY(STATUS_DRIVER_UNABLE_TO_LOAD, 2001),
    ENTRY(STATUS_DEVICE_REMOVED, 1617),
};

static void CheckTable(const MAPPING *Table, size_t Count)
{
    for (size_t i = 0; i < Count; i++) {
        ULONG Error = RtlNtStatusToDosError(Table[i].Status);
        ULONG NoTeb = RtlNtStatusToDosErrorNoTeb(Table[i].Status);
        if (Error != Table[i].Error || NoTeb != Table[i].Error)
            fail_msg("%s (0x%08X) maps to %u / %u, expected %u", Table[i].Name, (unsigned)Table[i].Status, Error, NoTeb,
                     Table[i].Error);
    }
}

/* Every entry of SEMANTICS.md §11.1. */
static void test_semantics_table(void **State)
{
    (void)State;
    CheckTable(Semantics, RTL_NUMBER_OF(Semantics));
}

/* Statuses with no mapping give ERROR_MR_MID_NOT_FOUND (317). */
static void test_unmapped(void **State)
{
    (void)State;
    CheckTable(Unmapped, RTL_NUMBER_OF(Unmapped));
}

static void test_common_entries(void **State)
{
    (void)State;
    CheckTable(Common, RTL_NUMBER_OF(Common));
}

/* A status with the customer bit (0x20000000) is returned unchanged. */
static void test_customer_bit(void **State)
{
    (void)State;
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xE0001234u), 0xE0001234u);
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0x20000001), 0x20000001u);
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xA0000005u), 0xA0000005u);
}

/* 0xDxxxxxxx is looked up as 0xCxxxxxxx. */
static void test_d_severity(void **State)
{
    (void)State;
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xD0000022u), 5);   /* as STATUS_ACCESS_DENIED */
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xD0000120u), 995); /* as STATUS_CANCELLED */
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xD0010057u), 87);  /* as 0xC0010057 */
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xDEADBEEFu), 317);
}

/* 0xC001xxxx and 0x8007xxxx carry a Win32 error in the low 16 bits. */
static void test_wrapped_win32_errors(void **State)
{
    (void)State;
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xC0010057u), 87);
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xC00104C7u), 1223);
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0x80070005u), 5);   /* E_ACCESSDENIED */
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0x8007000Eu), 14);  /* E_OUTOFMEMORY */
    assert_int_equal(RtlNtStatusToDosError((NTSTATUS)0xC0020057u), 317); /* another facility */
}

int main(void)
{
    const struct CMUnitTest Tests[] = {
        cmocka_unit_test(test_semantics_table), cmocka_unit_test(test_unmapped),
        cmocka_unit_test(test_common_entries),  cmocka_unit_test(test_customer_bit),
        cmocka_unit_test(test_d_severity),      cmocka_unit_test(test_wrapped_win32_errors),
    };
    return cmocka_run_group_tests_name("rtl_status", Tests, NULL, NULL);
}
