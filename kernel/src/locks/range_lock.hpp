// Byte-range locks of one file: the single conflict rule every protocol is judged by, and
// the POSIX (split/merge/upgrade) and Windows (stacked, exact-range unlock) ways of
// changing the list. Pure data, no locking: the lock manager owns one list per file and
// calls these under its mutex; the unit tests drive them directly.
#pragma once

#include "lock_types.hpp"

#include <optional>
#include <vector>

namespace dfs::kernel::locks {

// The one conflict decision: does a request by `owner` for `type` over `range` conflict
// with the held lock `held`? POSIX requests never conflict with their own owner's locks
// (they replace them). A Windows request conflicts with any overlapping lock if it is
// exclusive (its own owner's included, MS-FSA 2.1.5.7), and with another owner's
// exclusive lock if it is shared. Across owners the rule is the usual one: two locks
// conflict when they overlap and one of them is a write lock.
bool rangeConflicts(const RangeLock& held, const LockOwner& owner, const ByteRange& range, LockType type);

class RangeLockList {
public:
    // The first held lock the request conflicts with.
    std::optional<RangeLock> findConflict(const LockOwner& owner, const ByteRange& range, LockType type) const;

    // Grants a request already checked with findConflict. POSIX: the owner's locks over the
    // range are replaced (upgrade/downgrade, splitting what sticks out), then merged with
    // the owner's overlapping or adjacent locks of the same type. Windows: appended as is.
    void grant(const FileKey& file, const LockOwner& owner, const ByteRange& range, LockType type);

    // POSIX: releases the owner's locks over the range, splitting any lock that sticks out;
    // releasing nothing is not an error. Windows: removes one lock of the owner with exactly
    // this range, notLocked if there is none.
    // Answers whether any lock was released or split.
    Result<bool> unlock(const LockOwner& owner, const ByteRange& range);

    // Drops every lock the predicate selects; returns how many.
    size_t removeIf(const std::function<bool(const RangeLock&)>& pred);

    const std::vector<RangeLock>& locks() const { return locks_; }
    bool empty() const { return locks_.empty(); }
    // The owner's locks, sorted by offset (for persistence and tests).
    std::vector<RangeLock> locksOf(const LockOwner& owner) const;

private:
    std::vector<RangeLock> locks_;
};

}  // namespace dfs::kernel::locks
