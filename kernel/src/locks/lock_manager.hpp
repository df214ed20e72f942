// The unified lock manager: byte-range locks, share reservations and leases (SMB leases
// and oplocks, NFSv4 delegations) of every protocol, judged by one set of rules so an
// NLM lock, an NFSv4 open and an SMB lease see each other. Protocol plugins reach it
// through the host API (its C table mirrors this class: each call that may wait is an
// initiate returning OK, PENDING with a ticket, or an error, and a completion callback
// later delivers the outcome of a PENDING ticket exactly once, unless the ticket was
// cancelled first). The server owns one instance; the control plane queries it.
//
// Threading: every method may be called from any worker thread. The manager holds one
// mutex for its tables; completions, break hooks and revocations are handed to the
// scheduler after that mutex is released, never called under it.
#pragma once

#include "lock_scheduler.hpp"
#include "lock_store.hpp"
#include "lock_types.hpp"
#include "open_rules.hpp"
#include "range_lock.hpp"

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

namespace dfs::kernel::locks {

struct LockManagerConfig {
    uint64_t leaseBreakTimeoutMs = 35000;  // MS-SMB2 3.3.2.5 oplock/lease break timer
    uint64_t graceMs = 90000;              // NFSv4 lease time, the usual grace length
    uint32_t maxWaitersPerClient = 64;     // blocked lock requests one client may queue
};

// The outcome of an initiate: done now (pending false) or later through the completion
// with this ticket.
struct Initiated {
    bool pending = false;
    uint64_t ticket = 0;
};

using LockCompletion = std::function<void(uint64_t ticket, Status status)>;

struct LockRequest {
    FileKey file;
    LockOwner owner;
    ByteRange range;
    LockType type = LockType::read;
    bool block = false;    // wait for conflicting locks to go (NLM block, SMB without FAIL_IMMEDIATELY)
    bool reclaim = false;  // re-establishing a lock held before the restart (grace only)
};

struct ShareRequest {
    FileKey file;
    LockOwner owner;
    uint32_t access = 0;  // kShare* bits
    uint32_t deny = 0;
    bool reclaim = false;
    bool block = true;  // wait for lease breaks (PENDING); false: start them and answer DELAY/EAGAIN
};

struct OpenGranted {
    bool pending = false;
    uint64_t ticket = 0;
    uint64_t shareId = 0;  // valid when not pending
};
using OpenCompletion = std::function<void(uint64_t ticket, Result<uint64_t> shareId)>;

struct LeaseBreak {
    uint64_t leaseId = 0;
    FileKey file;
    std::string key;
    uint32_t from = 0;
    uint32_t to = 0;
    bool revoked = false;  // the break timed out: the lease is now at `to` (gone if 0)
};
using BreakHook = std::function<void(const LeaseBreak&)>;

struct LeaseRequest {
    FileKey file;
    LockOwner owner;
    std::string key;  // SMB lease key, NFSv4 delegation stateid; one lease per client and key
    uint32_t level = kLeaseRead;
    BreakHook onBreak;  // called (outside any lock) when the lease must be broken or is revoked
};

struct LeaseInfo {
    uint64_t id = 0;
    FileKey file;
    LockOwner owner;
    std::string key;
    uint32_t level = 0;
    bool breaking = false;
    uint32_t breakTo = 0;
};

struct WaiterInfo {
    uint64_t ticket = 0;
    FileKey file;
    LockOwner owner;
    ByteRange range;
    LockType type = LockType::read;
};

struct LockQuery {
    std::optional<uint32_t> shareId;
    std::optional<FileKey> file;
    std::optional<ClientKey> client;
};

struct LockSnapshot {
    std::vector<RangeLock> ranges;
    std::vector<ShareRecord> shares;
    std::vector<LeaseInfo> leases;
    std::vector<WaiterInfo> waiters;
};

class LockManager {
public:
    // `store` may be null (nothing persisted); it must outlive the manager, as must the
    // scheduler, whose timers must not fire after the manager is gone.
    LockManager(LockManagerConfig cfg, LockScheduler& sched, LockStore* store = nullptr);
    ~LockManager();
    LockManager(const LockManager&) = delete;
    LockManager& operator=(const LockManager&) = delete;

    // Loads the previous run's records and, if any client held locks or share
    // reservations, starts the grace period. Call once before serving.
    Status start();

    // ---- Byte-range locks ------------------------------------------------------------
    // Grants at once, refuses (conflict, deadlock, tooManyWaiters, grace, noGrace), or
    // returns pending: the request waits for a lease break or, if `block`, for the
    // conflicting locks; `done` then gets the final status on the scheduler.
    Result<Initiated> lock(const LockRequest& req, LockCompletion done);
    // The first granted lock the request would conflict with, or none. Refused in grace.
    Result<std::optional<RangeLock>> test(const FileKey& file, const LockOwner& owner, const ByteRange& range,
                                          LockType type);
    Status unlock(const FileKey& file, const LockOwner& owner, const ByteRange& range);
    // Drops a pending request; once this returns OK its completion never runs. notLocked
    // if the ticket is unknown (already completed).
    Status cancel(uint64_t ticket);
    // NLM CANCEL names the request rather than a ticket: drops the oldest matching one.
    Status cancelMatching(const FileKey& file, const LockOwner& owner, const ByteRange& range, LockType type);
    // Mandatory (Windows) locking on I/O: conflict if the read or write of `range` by
    // `owner` is barred by another owner's lock. SMB I/O is barred by any protocol's locks;
    // NFS I/O only by SMB locks, since POSIX locks are advisory.
    Status checkIo(const FileKey& file, const LockOwner& owner, const ByteRange& range, bool write) const;

    // ---- Share reservations ----------------------------------------------------------
    // Records an open with access/deny bits (shareDenied on conflict). Pending while leases
    // of other clients are being broken; `done` then gets the share id or the refusal.
    Result<OpenGranted> openShare(const ShareRequest& req, OpenCompletion done);
    // OPEN upgrade / OPEN_DOWNGRADE of an existing reservation.
    Status changeShare(uint64_t shareId, uint32_t access, uint32_t deny);
    Status closeShare(uint64_t shareId);
    // NLM UNSHARE: ends the owner's oldest reservation on the file with exactly these bits.
    Status closeShareMatching(const FileKey& file, const LockOwner& owner, uint32_t access, uint32_t deny);

    // ---- Leases, oplocks, delegations ------------------------------------------------
    // Grants what of the requested level does not conflict with other clients' state
    // (conflict if nothing can be granted); asking again with the same client and key
    // upgrades the existing lease.
    Result<LeaseInfo> grantLease(const LeaseRequest& req);
    // The holder acknowledges a break at `level` (at most the break's target).
    Status ackBreak(uint64_t leaseId, uint32_t level);
    Status releaseLease(uint64_t leaseId);
    // Breaks other clients' leases that `kind` conflicts with; pending until they are
    // acknowledged or revoked. Meant to be called before write, rename and remove; no
    // caller yet: leases (and checkIo's mandatory SMB ranges) have no plugin table entry,
    // and the VFS does not call them until the SMB and NFSv4 servers grant leases.
    Result<Initiated> checkAccess(const FileKey& file, const LockOwner& requester, AccessKind kind,
                                  LockCompletion done);

    // ---- Clients, grace, bulk release --------------------------------------------------
    bool inGrace() const;
    // The client has reclaimed all it is going to (NFSv4 RECLAIM_COMPLETE, or it told us
    // it rebooted): grace ends early once every client from before the restart is done.
    void reclaimComplete(const ClientKey& client);
    // Everything the client holds or waits for (NSM reboot notification, lease expiry).
    // Returns how many locks, reservations, leases and waiters went.
    size_t releaseClient(const ClientKey& client);
    // Every lock, reservation and waiter of one owner (RELEASE_LOCKOWNER, SMB close).
    size_t releaseOwner(const LockOwner& owner);

    LockSnapshot query(const LockQuery& q) const;

private:
    using Deferred = std::vector<std::function<void()>>;

    struct Waiter {
        uint64_t ticket = 0;
        LockRequest req;
        LockCompletion done;
    };
    struct Lease {
        LeaseInfo info;
        BreakHook hook;
        uint64_t timer = 0;
        uint64_t generation = 0;
    };
    // A request parked until leases of other clients are broken; retried on every lease
    // change of its file.
    struct BreakWaiter {
        enum class Kind { lock, open, access } kind = Kind::lock;
        uint64_t ticket = 0;
        LockOwner requester;
        LockRequest lockReq;
        LockCompletion lockDone;
        ShareRequest shareReq;
        OpenCompletion openDone;
        AccessKind access = AccessKind::openRead;
    };
    struct FileState {
        RangeLockList ranges;
        std::deque<Waiter> waiters;
        std::vector<BreakWaiter> breakWaiters;
        std::map<uint64_t, ShareRecord> shares;
        std::map<uint64_t, Lease> leases;
        bool idle() const {
            return ranges.empty() && waiters.empty() && breakWaiters.empty() && shares.empty() && leases.empty();
        }
    };
    // A lock or reservation from before the restart that its client may reclaim.
    struct ReclaimKey {
        FileKey file;
        LockOwner owner;
        uint64_t a = 0, b = 0, c = 0;
        bool share = false;
        bool operator<(const ReclaimKey& o) const {
            return std::tie(share, file, owner, a, b, c) < std::tie(o.share, o.file, o.owner, o.a, o.b, o.c);
        }
    };

    // All below run with mutex_ held.
    Result<Initiated> lockLocked(const LockRequest& req, LockCompletion done, uint64_t ticket, Deferred& d);
    Status closeShareLocked(uint64_t shareId);
    Result<OpenGranted> openLocked(const ShareRequest& req, OpenCompletion done, uint64_t ticket, Deferred& d);
    Status admitLocked(const LockOwner& owner, bool reclaim) const;
    bool waiterConflict(const FileState& fs, const LockRequest& req, size_t before) const;
    std::set<LockOwner> blockersOf(const FileState& fs, const LockRequest& req, size_t before) const;
    bool wouldDeadlock(const LockOwner& requester, const std::set<LockOwner>& blockers) const;
    void wakeWaiters(const FileKey& file, Deferred& d);
    bool breakLeases(const FileKey& file, const LockOwner& requester, AccessKind kind, Deferred& d);
    void retryBreakWaiters(const FileKey& file, Deferred& d);
    void onBreakTimeout(uint64_t leaseId, uint64_t generation);
    void removeLeaseLocked(FileState& fs, std::map<uint64_t, Lease>::iterator it);
    void persistOwner(const FileKey& file, const LockOwner& owner);
    void noteClient(const ClientKey& c);
    // Outside the mutex: waits until every client record noted so far is committed.
    // Called by flush(), so before any answer or completion of the call that noted it.
    void settleClients();
    void noteReclaimed(const ReclaimKey& k);
    void maybeEndGrace();
    void endGraceLocked();
    void dropIdle(const FileKey& file);
    size_t releaseMatching(const std::function<bool(const LockOwner&)>& match, Deferred& d);
    void flush(Deferred& d);
    uint64_t nextTicket() { return nextTicket_++; }

    LockManagerConfig cfg_;
    LockScheduler& sched_;
    LockStore* store_;

    mutable std::mutex mutex_;
    std::map<FileKey, FileState> files_;
    std::map<uint64_t, FileKey> ticketFile_;  // pending tickets (waiters and break waiters)
    std::map<uint64_t, FileKey> shareFile_;
    std::map<uint64_t, FileKey> leaseFile_;
    std::map<ClientKey, uint32_t> waitersPerClient_;
    std::set<ClientKey> persistedClients_;
    uint64_t nextTicket_ = 1;
    uint64_t nextShare_ = 1;
    uint64_t nextLease_ = 1;

    bool grace_ = false;
    bool fullGrace_ = false;  // after a crash: no early end
    std::atomic<uint64_t> clientSeq_{0};         // newest client record queued
    std::atomic<uint64_t> clientSeqSettled_{0};  // every record up to this one is committed
    uint64_t graceTimer_ = 0;
    std::map<ClientKey, std::set<ReclaimKey>> outstanding_;  // what each client may still reclaim
};

}  // namespace dfs::kernel::locks
