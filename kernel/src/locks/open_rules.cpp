#include "open_rules.hpp"

namespace dfs::kernel::locks {

uint32_t leaseBreakTarget(uint32_t level, LockProtocol holder, AccessKind kind) {
    uint32_t target = level;
    switch (kind) {
    case AccessKind::openRead:
    case AccessKind::readLock:
    case AccessKind::openWrite:
        // Another opener means this client no longer has the file to itself: its
        // write caching goes; a write-opener may still be cached for reads until it
        // writes (MS-SMB2 3.3.4.7).
        target = level & ~kLeaseWrite;
        break;
    case AccessKind::write:
    case AccessKind::writeLock:
        // Data changes under the holder: no read caching either, and H alone is not a
        // lease state.
        target = kLeaseNone;
        break;
    case AccessKind::rename:
    case AccessKind::remove:
        target = level & ~kLeaseHandle;
        break;
    }
    if (holder != LockProtocol::smb && target != level) {
        return kLeaseNone;  // delegations are recalled, not downgraded
    }
    if (holder != LockProtocol::smb) {
        // A read delegation promises no other writer and the name staying put
        // (RFC 7530 10.4): recall it on those even though R alone is not broken above.
        bool writeish = kind == AccessKind::openWrite || kind == AccessKind::rename || kind == AccessKind::remove;
        if (writeish && level != kLeaseNone) {
            return kLeaseNone;
        }
    }
    return target;
}

}  // namespace dfs::kernel::locks
