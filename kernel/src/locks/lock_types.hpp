// The vocabulary of the unified lock manager: who owns a lock (protocol, client, owner,
// pid), what it is on (share id, inode), byte ranges with their overflow-safe ends, and
// how the manager's refusals are told apart. Shared by the manager, its persistence and
// the protocol plugins' adapters (through the host table that comes next), so every
// protocol speaks of a lock the same way.
#pragma once

#include <dittofs/cpp/result.hpp>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <string>
#include <tuple>

namespace dfs::kernel::locks {

// The protocol an owner speaks decides its byte-range semantics: POSIX for NLM and
// NFSv4, Windows for SMB.
enum class LockProtocol : uint8_t { nlm = 1, nfs4 = 2, smb = 3 };
enum class LockStyle : uint8_t { posix, windows };

inline LockStyle styleOf(LockProtocol p) { return p == LockProtocol::smb ? LockStyle::windows : LockStyle::posix; }
const char* protocolName(LockProtocol p);

// A lock owner. NLM: client = caller_name, ownerId = oh, pid = svid. NFSv4: client =
// clientid, ownerId = lock-owner/open-owner, pid 0. SMB: client = session/client guid,
// ownerId = the open's FileId (SMB locks belong to the open), pid 0.
struct LockOwner {
    LockProtocol protocol = LockProtocol::nlm;
    std::string clientId;
    std::string ownerId;  // opaque bytes
    uint32_t pid = 0;

    bool operator==(const LockOwner& o) const {
        return protocol == o.protocol && pid == o.pid && clientId == o.clientId && ownerId == o.ownerId;
    }
    bool operator<(const LockOwner& o) const {
        return std::tie(protocol, clientId, ownerId, pid) < std::tie(o.protocol, o.clientId, o.ownerId, o.pid);
    }
    bool sameClient(const LockOwner& o) const { return protocol == o.protocol && clientId == o.clientId; }
};

// A client: the unit of bulk release (NSM reboot, NFSv4 lease expiry) and of grace.
struct ClientKey {
    LockProtocol protocol = LockProtocol::nlm;
    std::string clientId;
    bool operator<(const ClientKey& o) const { return std::tie(protocol, clientId) < std::tie(o.protocol, o.clientId); }
    bool operator==(const ClientKey& o) const { return protocol == o.protocol && clientId == o.clientId; }
};
inline ClientKey clientOf(const LockOwner& o) { return ClientKey{o.protocol, o.clientId}; }

struct FileKey {
    uint32_t shareId = 0;
    uint64_t ino = 0;
    bool operator<(const FileKey& o) const { return std::tie(shareId, ino) < std::tie(o.shareId, o.ino); }
    bool operator==(const FileKey& o) const { return shareId == o.shareId && ino == o.ino; }
};

enum class LockType : uint8_t { read = 1, write = 2 };

// An inclusive byte range [first, last]; never empty. Inclusive so that a lock to the
// last byte of a 64-bit file needs no end value past UINT64_MAX.
struct ByteRange {
    uint64_t first = 0;
    uint64_t last = UINT64_MAX;

    bool overlaps(const ByteRange& o) const { return first <= o.last && o.first <= last; }
    // True if the two touch end to end without overlapping (either order).
    bool adjacent(const ByteRange& o) const {
        return (last != UINT64_MAX && last + 1 == o.first) || (o.last != UINT64_MAX && o.last + 1 == first);
    }
    bool operator==(const ByteRange& o) const { return first == o.first && last == o.last; }
    uint64_t offset() const { return first; }
    // Wire length: 0 when the range runs to the end of the 64-bit space ("to EOF").
    uint64_t length() const { return last == UINT64_MAX ? 0 : last - first + 1; }
};

// offset/length as NLM and fcntl give them (length 0: to EOF). INVAL when
// offset+length-1 does not fit in 64 bits, as MS-FSA and POSIX refuse such ranges.
Result<ByteRange> makeRange(uint64_t offset, uint64_t length);

// A granted byte-range lock, as TEST and the query interface report it.
struct RangeLock {
    FileKey file;
    LockOwner owner;
    ByteRange range;
    LockType type = LockType::read;
    LockStyle style() const { return styleOf(owner.protocol); }
};

// Why the manager refused. Until the ABI has its own codes the manager's refusals are
// dfs::Error values told apart by their errno; lockFault() classifies them and each
// protocol maps a fault to its wire status (NLM4_DENIED, NFS4ERR_GRACE, ...).
enum class LockFault {
    none,
    conflict,        // LOCKED/EAGAIN: NLM4_DENIED, NFS4ERR_DENIED, STATUS_LOCK_NOT_GRANTED
    shareDenied,     // LOCKED/ETXTBSY: NFS4ERR_SHARE_DENIED, STATUS_SHARING_VIOLATION
    deadlock,        // LOCKED/EDEADLK: NLM4_DEADLCK, NFS4ERR_DEADLOCK
    tooManyWaiters,  // NOSPC/ENOLCK: NLM4_DENIED_NOLOCKS
    grace,           // DELAY/EINPROGRESS: NLM4_DENIED_GRACE_PERIOD, NFS4ERR_GRACE
    noGrace,         // INVAL/ESRCH: a reclaim outside grace, NFS4ERR_NO_GRACE
    notLocked,       // NOENT/ENOLCK: STATUS_RANGE_NOT_LOCKED, unknown ticket or lease
    cancelled,       // LOCKED/ECANCELED: a pending request dropped by bulk release
    other,
};

inline Error lockError(LockFault f) {
    switch (f) {
    case LockFault::conflict: return Error{DFS_ERR_LOCKED, EAGAIN};
    case LockFault::shareDenied: return Error{DFS_ERR_LOCKED, ETXTBSY};
    case LockFault::deadlock: return Error{DFS_ERR_LOCKED, EDEADLK};
    case LockFault::tooManyWaiters: return Error{DFS_ERR_NOSPC, ENOLCK};
    case LockFault::grace: return Error{DFS_ERR_DELAY, EINPROGRESS};
    case LockFault::noGrace: return Error{DFS_ERR_INVAL, ESRCH};
    case LockFault::notLocked: return Error{DFS_ERR_NOENT, ENOLCK};
    case LockFault::cancelled: return Error{DFS_ERR_LOCKED, ECANCELED};
    default: return Error{DFS_ERR_SERVERFAULT, 0};
    }
}
LockFault lockFault(const Error& e);
inline LockFault lockFault(const Status& s) { return s.ok() ? LockFault::none : lockFault(s.error()); }
template <typename T>
LockFault lockFault(const Result<T>& r) {
    return r.ok() ? LockFault::none : lockFault(r.error());
}
const char* lockFaultName(LockFault f);

}  // namespace dfs::kernel::locks
