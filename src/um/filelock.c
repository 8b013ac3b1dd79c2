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
    if (PAL_ATOMIC_EXCHANGE(&FileObject->Busy, 1, PAL_ORDER_SEQ_CST) == 0)
        return;
    PAL_ATOMIC_ADD_FETCH(&FileObject->Waiters, 1, PAL_ORDER_SEQ_CST);
    while (PAL_ATOMIC_EXCHANGE(&FileObject->Busy, 1, PAL_ORDER_SEQ_CST) != 0)
        (void)KeWaitForSingleObject(&FileObject->Lock, Executive, Mode,
                                    (FileObject->Flags & FO_ALERTABLE_IO) != 0, NULL);
    PAL_ATOMIC_SUB_FETCH(&FileObject->Waiters, 1, PAL_ORDER_SEQ_CST);
}

VOID UmpReleaseFileObjectLock(PFILE_OBJECT FileObject)
{
    PAL_ATOMIC_STORE(&FileObject->Busy, 0, PAL_ORDER_SEQ_CST);
    if (PAL_ATOMIC_LOAD(&FileObject->Waiters, PAL_ORDER_SEQ_CST) != 0)
        KeSetEvent(&FileObject->Lock, 0, FALSE);
}
