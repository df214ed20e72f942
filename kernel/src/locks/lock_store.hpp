// The lock manager's durable records in the kernel's state database: the clients that hold
// state, their byte-range locks and share reservations, read once at start so clients can
// reclaim during the grace period. Leases and delegations are not stored: SMB leases do
// not survive a restart without durable handles, and NFSv4 delegation reclaim comes with
// the NFSv4 server.
//
// Writes are behind, with group commit: a change is queued (the newest state of each
// owner's locks on a file, of each reservation and of each client wins) and a writer
// thread commits whatever has gathered in one transaction, one fsync for the batch, so a
// lock is granted at memory speed and the database keeps up with any rate. A client's
// first record is the exception: putClient() returns only once it is committed, so a
// restart always knows every client that may come back to reclaim. A crash can lose the
// last batch of lock changes (a millisecond or two); the clients reclaim what they hold
// anyway (NLM after SM_NOTIFY, NFSv4 and SMB with their own reclaim), and grace waits for
// every known client: after a crash for the whole grace period, since what was stored may
// be short of what was held.
#pragma once

#include "lock_types.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
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
    // The previous run closed its store (everything queued was committed). False after a
    // crash: the last batch may be missing, so the records are a lower bound.
    bool cleanStop = true;
};

class LockStore {
public:
    explicit LockStore(StateDb& db);
    // Commits what is queued, stops the writer and records a clean stop.
    ~LockStore();
    LockStore(const LockStore&) = delete;
    LockStore& operator=(const LockStore&) = delete;

    // Creates the tables if needed.
    Status init();
    // Everything stored by the previous run; from now on a stop is unclean until the
    // store is closed.
    Result<StoredLockState> load();
    // Forgets the previous run's locks and share reservations (clients stay until grace
    // ends): what is reclaimed is written again as it is granted.
    Status clearLocks();

    // Queues a client's record; returns the sequence to waitFor() before the client's
    // first grant is answered (see above).
    uint64_t putClient(const ClientKey& c);
    // Returns once the batch `seq` (from putClient) is committed: its write status.
    Status waitFor(uint64_t seq);
    // Queued; the writer logs a failure (persist_failed).
    void removeClient(const ClientKey& c);
    // Replaces the stored locks of one owner on one file with `locks`.
    void replaceOwnerLocks(const FileKey& file, const LockOwner& owner, const std::vector<RangeLock>& locks);
    void putShare(const ShareRecord& s);
    void removeShare(uint64_t id);
    // Returns once everything queued so far is committed (or failed): the last write
    // status.
    Status flush();

private:
    // The newest state of each record changed since the last commit.
    struct Batch {
        std::map<std::pair<FileKey, LockOwner>, std::vector<RangeLock>> owners;
        std::map<uint64_t, std::optional<ShareRecord>> shares;  // nullopt: removed
        std::map<ClientKey, bool> clients;                      // false: removed
        bool empty() const { return owners.empty() && shares.empty() && clients.empty(); }
    };

    void writerLoop();
    Status commit(const Batch& b);
    // Queues under the mutex; returns the batch's sequence number.
    template <typename F>
    uint64_t enqueue(F&& change);

    StateDb& db_;
    std::mutex mutex_;
    std::condition_variable work_;
    std::condition_variable committed_;
    Batch pending_;
    uint64_t queuedSeq_ = 0;     // sequence of the batch being gathered
    uint64_t committedSeq_ = 0;  // every batch up to this one is committed
    Status lastStatus_ = okStatus();
    bool stop_ = false;
    bool loaded_ = false;  // load() ran: closing records a clean stop
    std::thread writer_;
};

}  // namespace dfs::kernel::locks
