#include "range_lock.hpp"

#include <algorithm>

namespace dfs::kernel::locks {

Result<ByteRange> makeRange(uint64_t offset, uint64_t length) {
    if (length == 0) {
        return ByteRange{offset, UINT64_MAX};
    }
    if (length - 1 > UINT64_MAX - offset) {
        return makeError(DFS_ERR_INVAL, EOVERFLOW);
    }
    return ByteRange{offset, offset + (length - 1)};
}

const char* protocolName(LockProtocol p) {
    switch (p) {
    case LockProtocol::nlm: return "nlm";
    case LockProtocol::nfs4: return "nfs4";
    case LockProtocol::smb: return "smb";
    }
    return "unknown";
}

LockFault lockFault(const Error& e) {
    if (e.code == DFS_OK) {
        return LockFault::none;
    }
    for (LockFault f : {LockFault::conflict, LockFault::shareDenied, LockFault::deadlock, LockFault::tooManyWaiters,
                        LockFault::grace, LockFault::noGrace, LockFault::notLocked, LockFault::cancelled}) {
        Error k = lockError(f);
        if (k.code == e.code && k.sysErrno == e.sysErrno) {
            return f;
        }
    }
    return LockFault::other;
}

const char* lockFaultName(LockFault f) {
    switch (f) {
    case LockFault::none: return "none";
    case LockFault::conflict: return "conflict";
    case LockFault::shareDenied: return "share_denied";
    case LockFault::deadlock: return "deadlock";
    case LockFault::tooManyWaiters: return "too_many_waiters";
    case LockFault::grace: return "grace";
    case LockFault::noGrace: return "no_grace";
    case LockFault::notLocked: return "not_locked";
    case LockFault::cancelled: return "cancelled";
    case LockFault::other: return "other";
    }
    return "unknown";
}

bool rangeConflicts(const RangeLock& held, const LockOwner& owner, const ByteRange& range, LockType type) {
    if (!held.range.overlaps(range)) {
        return false;
    }
    bool sameOwner = held.owner == owner;
    if (styleOf(owner.protocol) == LockStyle::posix) {
        if (sameOwner) {
            return false;
        }
        return held.type == LockType::write || type == LockType::write;
    }
    if (type == LockType::write) {
        return true;
    }
    return held.type == LockType::write && !sameOwner;
}

std::optional<RangeLock> RangeLockList::findConflict(const LockOwner& owner, const ByteRange& range,
                                                     LockType type) const {
    for (const auto& l : locks_) {
        if (rangeConflicts(l, owner, range, type)) {
            return l;
        }
    }
    return std::nullopt;
}

namespace {

// Appends to `out` the parts of `held` outside `cut` (zero, one or two pieces).
void keepOutside(const RangeLock& held, const ByteRange& cut, std::vector<RangeLock>& out) {
    if (held.range.first < cut.first) {
        RangeLock left = held;
        left.range.last = cut.first - 1;
        out.push_back(left);
    }
    if (held.range.last > cut.last) {
        RangeLock right = held;
        right.range.first = cut.last + 1;
        out.push_back(right);
    }
}

}  // namespace

void RangeLockList::grant(const FileKey& file, const LockOwner& owner, const ByteRange& range, LockType type) {
    if (styleOf(owner.protocol) == LockStyle::windows) {
        locks_.push_back(RangeLock{file, owner, range, type});
        return;
    }
    ByteRange merged = range;
    std::vector<RangeLock> next;
    next.reserve(locks_.size() + 2);
    for (const auto& l : locks_) {
        if (!(l.owner == owner)) {
            next.push_back(l);
            continue;
        }
        if (l.type == type && (l.range.overlaps(range) || l.range.adjacent(range))) {
            merged.first = std::min(merged.first, l.range.first);
            merged.last = std::max(merged.last, l.range.last);
            continue;
        }
        if (l.range.overlaps(range)) {
            keepOutside(l, range, next);
            continue;
        }
        next.push_back(l);
    }
    next.push_back(RangeLock{file, owner, merged, type});
    locks_ = std::move(next);
}

Result<bool> RangeLockList::unlock(const LockOwner& owner, const ByteRange& range) {
    if (styleOf(owner.protocol) == LockStyle::windows) {
        for (auto it = locks_.begin(); it != locks_.end(); ++it) {
            if (it->owner == owner && it->range == range) {
                locks_.erase(it);
                return true;
            }
        }
        return lockError(LockFault::notLocked);
    }
    bool any = std::any_of(locks_.begin(), locks_.end(),
                           [&](const RangeLock& l) { return l.owner == owner && l.range.overlaps(range); });
    if (!any) {
        return false;  // POSIX: unlocking what is not locked is not an error
    }
    std::vector<RangeLock> next;
    next.reserve(locks_.size() + 1);
    for (const auto& l : locks_) {
        if (l.owner == owner && l.range.overlaps(range)) {
            keepOutside(l, range, next);
        } else {
            next.push_back(l);
        }
    }
    locks_ = std::move(next);
    return true;
}

size_t RangeLockList::removeIf(const std::function<bool(const RangeLock&)>& pred) {
    auto before = locks_.size();
    locks_.erase(std::remove_if(locks_.begin(), locks_.end(), pred), locks_.end());
    return before - locks_.size();
}

std::vector<RangeLock> RangeLockList::locksOf(const LockOwner& owner) const {
    std::vector<RangeLock> out;
    for (const auto& l : locks_) {
        if (l.owner == owner) {
            out.push_back(l);
        }
    }
    std::sort(out.begin(), out.end(), [](const RangeLock& a, const RangeLock& b) {
        return std::tie(a.range.first, a.range.last) < std::tie(b.range.first, b.range.last);
    });
    return out;
}

}  // namespace dfs::kernel::locks
