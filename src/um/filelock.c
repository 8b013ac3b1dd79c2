/*
 * irpsim — the file object lock: one synchronous request at a time per
 * file object opened for synchronous I/O (SEMANTICS A.2 step 3).
 *
 * FILE_OBJECT.Busy is the lock; Waiters counts the threads blocked on
 * FILE_OBJECT.Lock, a synchronization event the releaser sets when
 * somebody waits. A waiter counts itself before it retries, so a release
 * either sees it or leaves the lock free for its retry.
 */
#include "ump.h"

VOID UmpAcquireFileObjectLock(PFILE_OBJECT FileObject, KPROCESSOR_MODE Mode)
{
    if (__atomic_exchange_n(&FileObject->Busy, 1, __ATOMIC_SEQ_CST) == 0)
        return;
    __atomic_add_fetch(&FileObject->Waiters, 1, __ATOMIC_SEQ_CST);
    while (__atomic_exchange_n(&FileObject->Busy, 1, __ATOMIC_SEQ_CST) != 0)
        (void)KeWaitForSingleObject(&FileObject->Lock, Executive, Mode,
                                    (FileObject->Flags & FO_ALERTABLE_IO) != 0, NULL);
    __atomic_sub_fetch(&FileObject->Waiters, 1, __ATOMIC_SEQ_CST);
}

VOID UmpReleaseFileObjectLock(PFILE_OBJECT FileObject)
{
    __atomic_store_n(&FileObject->Busy, 0, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&FileObject->Waiters, __ATOMIC_SEQ_CST) != 0)
        KeSetEvent(&FileObject->Lock, 0, FALSE);
}
