/*
 * irpsim — winerror.h: the Win32 error codes GetLastError returns.
 *
 * Every code RtlNtStatusToDosError (src/rtl/status.c) can produce is here,
 * with the same value, plus the few kernel32 sets itself
 * (ERROR_IO_INCOMPLETE, ERROR_ABANDONED_WAIT_0, ...). The wait results
 * (WAIT_TIMEOUT, ...) are in <windows.h>.
 */
#ifndef IRPSIM_WIN32_WINERROR_H
#define IRPSIM_WIN32_WINERROR_H

#define NO_ERROR 0
#define ERROR_SUCCESS                  0
#define ERROR_INVALID_FUNCTION         1
#define ERROR_FILE_NOT_FOUND           2
#define ERROR_PATH_NOT_FOUND           3
#define ERROR_TOO_MANY_OPEN_FILES      4
#define ERROR_ACCESS_DENIED            5
#define ERROR_INVALID_HANDLE           6
#define ERROR_NOT_ENOUGH_MEMORY        8
#define ERROR_INVALID_ACCESS           12
#define ERROR_INVALID_DATA             13
#define ERROR_OUTOFMEMORY              14
#define ERROR_NOT_SAME_DEVICE          17
#define ERROR_NO_MORE_FILES            18
#define ERROR_WRITE_PROTECT            19
#define ERROR_NOT_READY                21
#define ERROR_BAD_COMMAND              22
#define ERROR_CRC                      23
#define ERROR_BAD_LENGTH               24
#define ERROR_SECTOR_NOT_FOUND         27
#define ERROR_OUT_OF_PAPER             28
#define ERROR_GEN_FAILURE              31
#define ERROR_SHARING_VIOLATION        32
#define ERROR_LOCK_VIOLATION           33
#define ERROR_WRONG_DISK               34
#define ERROR_HANDLE_EOF               38
#define ERROR_NOT_SUPPORTED            50
#define ERROR_REM_NOT_LIST             51
#define ERROR_DUP_NAME                 52
#define ERROR_BAD_NETPATH              53
#define ERROR_NETWORK_BUSY             54
#define ERROR_DEV_NOT_EXIST            55
#define ERROR_TOO_MANY_CMDS            56
#define ERROR_ADAP_HDW_ERR             57
#define ERROR_BAD_NET_RESP             58
#define ERROR_UNEXP_NET_ERR            59
#define ERROR_BAD_REM_ADAP             60
#define ERROR_PRINTQ_FULL              61
#define ERROR_NO_SPOOL_SPACE           62
#define ERROR_PRINT_CANCELLED          63
#define ERROR_NETNAME_DELETED          64
#define ERROR_NETWORK_ACCESS_DENIED    65
#define ERROR_BAD_DEV_TYPE             66
#define ERROR_BAD_NET_NAME             67
#define ERROR_TOO_MANY_NAMES           68
#define ERROR_TOO_MANY_SESS            69
#define ERROR_SHARING_PAUSED           70
#define ERROR_REQ_NOT_ACCEP            71
#define ERROR_REDIR_PAUSED             72
#define ERROR_FILE_EXISTS              80
#define ERROR_INVALID_PASSWORD         86
#define ERROR_INVALID_PARAMETER        87
#define ERROR_NET_WRITE_FAULT          88
#define ERROR_BROKEN_PIPE              109
#define ERROR_DISK_FULL                112
#define ERROR_CALL_NOT_IMPLEMENTED     120
#define ERROR_SEM_TIMEOUT              121
#define ERROR_INSUFFICIENT_BUFFER      122
#define ERROR_INVALID_NAME             123
#define ERROR_INVALID_LEVEL            124
#define ERROR_MOD_NOT_FOUND            126
#define ERROR_PROC_NOT_FOUND           127
#define ERROR_DIR_NOT_EMPTY            145
#define ERROR_NOT_LOCKED               158
#define ERROR_BAD_ARGUMENTS            160
#define ERROR_BAD_PATHNAME             161
#define ERROR_BUSY                     170
#define ERROR_ALREADY_EXISTS           183
#define ERROR_BAD_EXE_FORMAT           193
#define ERROR_FILENAME_EXCED_RANGE     206
#define ERROR_BAD_PIPE                 230
#define ERROR_PIPE_BUSY                231
#define ERROR_NO_DATA                  232
#define ERROR_PIPE_NOT_CONNECTED       233
#define ERROR_MORE_DATA                234
#define ERROR_VC_DISCONNECTED          240
#define ERROR_NO_MORE_ITEMS            259
#define ERROR_DIRECTORY                267
#define ERROR_NOT_OWNER                288
#define ERROR_TOO_MANY_POSTS           298
#define ERROR_PARTIAL_COPY             299
#define ERROR_MR_MID_NOT_FOUND         317
#define ERROR_INVALID_ADDRESS          487
#define ERROR_ARITHMETIC_OVERFLOW      534
#define ERROR_PIPE_CONNECTED           535
#define ERROR_PIPE_LISTENING           536
#define ERROR_ABANDONED_WAIT_0         735
#define ERROR_OPERATION_ABORTED        995
#define ERROR_IO_INCOMPLETE            996
#define ERROR_IO_PENDING               997
#define ERROR_NOACCESS                 998
#define ERROR_SWAPERROR                999
#define ERROR_STACK_OVERFLOW           1001
#define ERROR_INVALID_FLAGS            1004
#define ERROR_NO_LOG_SPACE             1019
#define ERROR_NOTIFY_ENUM_DIR          1022
#define ERROR_END_OF_MEDIA             1100
#define ERROR_BEGINNING_OF_MEDIA       1102
#define ERROR_MEDIA_CHANGED            1110
#define ERROR_BUS_RESET                1111
#define ERROR_IO_DEVICE                1117
#define ERROR_POSSIBLE_DEADLOCK        1131
#define ERROR_DEVICE_REQUIRES_CLEANING 1165
#define ERROR_DEVICE_DOOR_OPEN         1166
#define ERROR_DEVICE_NOT_CONNECTED     1167
#define ERROR_NOT_FOUND                1168
#define ERROR_CANCELLED                1223
#define ERROR_CONNECTION_REFUSED       1225
#define ERROR_NETWORK_UNREACHABLE      1231
#define ERROR_HOST_UNREACHABLE         1232
#define ERROR_REQUEST_ABORTED          1235
#define ERROR_CONNECTION_ABORTED       1236
#define ERROR_RETRY                    1237
#define ERROR_NOT_ALL_ASSIGNED         1300
#define ERROR_SOME_NOT_MAPPED          1301
#define ERROR_NO_SUCH_PRIVILEGE        1313
#define ERROR_PRIVILEGE_NOT_HELD       1314
#define ERROR_LOGON_FAILURE            1326
#define ERROR_NONE_MAPPED              1332
#define ERROR_INVALID_SID              1337
#define ERROR_BAD_IMPERSONATION_LEVEL  1346
#define ERROR_INTERNAL_ERROR           1359
#define ERROR_NO_SUCH_MEMBER           1387
#define ERROR_DISK_CORRUPT             1393
#define ERROR_NO_SYSTEM_RESOURCES      1450
#define ERROR_WORKING_SET_QUOTA        1453
#define ERROR_TIMEOUT                  1460
#define ERROR_DEVICE_REMOVED           1617
#define ERROR_INVALID_USER_BUFFER      1784
#define ERROR_UNRECOGNIZED_MEDIA       1785
#define ERROR_NOT_ENOUGH_QUOTA         1816
#define ERROR_CANT_ACCESS_FILE         1920
#define ERROR_BAD_DRIVER               2001
#define ERROR_OPEN_FILES               2401
#define ERROR_DEVICE_IN_USE            2404

/* WAIT_TIMEOUT is both a wait result and the error GetQueuedCompletionStatus
   and GetOverlappedResultEx set on a time-out. */
#ifndef WAIT_TIMEOUT
#define WAIT_TIMEOUT 258
#endif

#endif /* IRPSIM_WIN32_WINERROR_H */
