// The lock manager's durable records in the kernel's state database: the clients that hold
// state, their byte-range locks and share reservations. Written through on every grant
// and release, read once at start so clients can reclaim during the grace period. Leases
// and delegations are not stored: SMB leases do not survive a restart without durable
// handles, and NFSv4 delegation reclaim comes with the NFSv4 server.
#pragma once

#include "lock_types.hpp"

#include <vector>

namespace dfs::kernel {
class StateDb;
}

namespace dfs::kernel::locks {

struct ShareRecord {
    uint64_t id = 0;
    FileKey file;
    LockOwner owner;
    uint32_t access = 0;
    uint32_t deny = 0;
};

struct StoredLockState {
    std::vector<ClientKey> clients;
    std::vector<RangeLock> ranges;
    std::vector<ShareRecord> shares;
};

class LockStore {
public:
    explicit LockStore(StateDb& db) : db_(db) {}

    // Creates the tables if needed.
    Status init();
    // Everything stored by the previous run.
    Result<StoredLockState> load();
    // Forgets the previous run's locks and share reservations (clients stay until grace
    // ends): what is reclaimed is written again as it is granted.
    Status clearLocks();

    Status putClient(const ClientKey& c);
    Status removeClient(const ClientKey& c);
    // Replaces the stored locks of one owner on one file with `locks`.
    Status replaceOwnerLocks(const FileKey& file, const LockOwner& owner, const std::vector<RangeLock>& locks);
    Status putShare(const ShareRecord& s);
    Status removeShare(uint64_t id);

private:
    StateDb& db_;
};

}  // namespace dfs::kernel::locks
