/*
 * irpsim — wdmsec.h: IoCreateDeviceSecure and the SDDL strings drivers pass
 * to it. irpsim has no security model: the SDDL string is checked for
 * presence and recorded, and the device is created as IoCreateDevice would.
 */
#ifndef IRPSIM_WDMSEC_H
#define IRPSIM_WDMSEC_H

#include <wdm.h>

IRPSIM_EXTERN_C_BEGIN

#define SDDL_DEVOBJ_KERNEL_ONLY L"D:P"
#define SDDL_DEVOBJ_SYS_ALL L"D:P(A;;GA;;;SY)"
#define SDDL_DEVOBJ_SYS_ALL_ADM_ALL L"D:P(A;;GA;;;SY)(A;;GA;;;BA)"
#define SDDL_DEVOBJ_SYS_ALL_ADM_RX L"D:P(A;;GA;;;SY)(A;;GRGX;;;BA)"
#define SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R L"D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GR;;;WD)"
#define SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R \
    L"D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GRGW;;;WD)(A;;GR;;;RC)"
#define SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RWX_RES_RWX \
    L"D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GRGWGX;;;WD)(A;;GRGWGX;;;RC)"
#define SDDL_DEVOBJ_SYS_ALL_ADM_ALL_WORLD_ANY L"D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;0x0004;;;WD)"

NTKERNELAPI NTSTATUS NTAPI IoCreateDeviceSecure(_In_ PDRIVER_OBJECT DriverObject, _In_ ULONG DeviceExtensionSize,
                                                _In_opt_ PUNICODE_STRING DeviceName, _In_ DEVICE_TYPE DeviceType,
                                                _In_ ULONG DeviceCharacteristics, _In_ BOOLEAN Exclusive,
                                                _In_ PCUNICODE_STRING DefaultSDDLString,
                                                _In_opt_ LPCGUID DeviceClassGuid,
                                                _Out_ PDEVICE_OBJECT *DeviceObject);
#define WdmlibIoCreateDeviceSecure IoCreateDeviceSecure

IRPSIM_EXTERN_C_END

#endif /* IRPSIM_WDMSEC_H */
