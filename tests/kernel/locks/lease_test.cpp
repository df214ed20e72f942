// Leases, oplocks and delegations: grant levels, the break hook, acknowledgement,
// revocation after the break timeout (on a manual clock), and requests that wait for a
// break, across protocols.
#include "lock_test_util.hpp"

namespace dfs::kernel::locks {
namespace {

using namespace testing;

class LockLeaseTest : public ::testing::Test {
protected:
    ManualScheduler sched_;
    LockManagerConfig cfg_;
    std::unique_ptr<LockManager> mgr_;
    std::vector<LeaseBreak> breaks_;
    Completions done_;

    void SetUp() override {
        cfg_.leaseBreakTimeoutMs = 35000;
        mgr_ = std::make_unique<LockManager>(cfg_, sched_);
    }

    LeaseInfo grant(const LockOwner& o, uint32_t level, const std::string& key = "k") {
        LeaseRequest r;
        r.file = kFile;
        r.owner = o;
        r.key = key;
        r.level = level;
        r.onBreak = [this](const LeaseBreak& b) { breaks_.push_back(b); };
        auto g = mgr_->grantLease(r);
        EXPECT_TRUE(g.ok());
        return g.ok() ? *g : LeaseInfo{};
    }
};

constexpr uint32_t RWH = kLeaseRead | kLeaseWrite | kLeaseHandle;
constexpr uint32_t RH = kLeaseRead | kLeaseHandle;

TEST_F(LockLeaseTest, OpenByAnotherClientBreaksAndWaitsForAck) {
    auto lease = grant(smbOwner("s1"), RWH);
    EXPECT_EQ(lease.level, RWH);
    // An NFSv4 open for reading: the SMB client loses write caching.
    OpenGranted got;
    std::vector<Result<uint64_t>> opened;
    auto r = mgr_->openShare(ShareRequest{kFile, nfs4Owner("v4"), kShareRead, 0},
                             [&](uint64_t, Result<uint64_t> id) { opened.push_back(id); });
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->pending);
    ASSERT_EQ(breaks_.size(), 1u);
    EXPECT_EQ(breaks_[0].leaseId, lease.id);
    EXPECT_EQ(breaks_[0].from, RWH);
    EXPECT_EQ(breaks_[0].to, RH);
    EXPECT_FALSE(breaks_[0].revoked);
    EXPECT_TRUE(opened.empty());
    // Acknowledging at more than the target is refused.
    EXPECT_EQ(mgr_->ackBreak(lease.id, RWH).code(), DFS_ERR_INVAL);
    ASSERT_TRUE(mgr_->ackBreak(lease.id, RH).ok());
    ASSERT_EQ(opened.size(), 1u);
    EXPECT_TRUE(opened[0].ok());
    auto snap = mgr_->query({});
    ASSERT_EQ(snap.leases.size(), 1u);
    EXPECT_EQ(snap.leases[0].level, RH);
    EXPECT_EQ(sched_.pendingTimers(), 0u);  // the break timer went with the ack
}

TEST_F(LockLeaseTest, SameClientDoesNotBreakItsOwnLease) {
    grant(smbOwner("s1"), RWH);
    auto r = mgr_->openShare(ShareRequest{kFile, smbOwner("s1", "fid2"), kShareRead | kShareWrite, 0}, nullptr);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->pending);
    EXPECT_TRUE(breaks_.empty());
}

TEST_F(LockLeaseTest, UnacknowledgedBreakIsRevokedAfterTheTimeout) {
    auto deleg = grant(nfs4Owner("v4"), kLeaseRead | kLeaseWrite, "stateid-1");
    auto w = mgr_->checkAccess(kFile, smbOwner("s"), AccessKind::write, done_.callback());
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->pending);
    ASSERT_EQ(breaks_.size(), 1u);
    EXPECT_EQ(breaks_[0].to, kLeaseNone);  // a delegation is recalled whole
    sched_.advance(34999);
    EXPECT_EQ(done_.size(), 0u);
    sched_.advance(1);
    ASSERT_EQ(breaks_.size(), 2u);
    EXPECT_TRUE(breaks_[1].revoked);
    ASSERT_EQ(done_.size(), 1u);
    EXPECT_EQ(done_.got[0].first, w->ticket);
    EXPECT_EQ(done_.got[0].second, DFS_OK);
    EXPECT_TRUE(mgr_->query({}).leases.empty());
    EXPECT_EQ(lockFault(mgr_->ackBreak(deleg.id, 0)), LockFault::notLocked);  // too late
}

TEST_F(LockLeaseTest, BreakTimeoutIsConfigurable) {
    cfg_.leaseBreakTimeoutMs = 100;
    mgr_ = std::make_unique<LockManager>(cfg_, sched_);
    grant(smbOwner("s1"), RWH);
    auto w = mgr_->checkAccess(kFile, nlmOwner("n"), AccessKind::write, done_.callback());
    ASSERT_TRUE(w->pending);
    sched_.advance(100);
    EXPECT_EQ(done_.size(), 1u);
}

TEST_F(LockLeaseTest, LockFromAnotherProtocolWaitsForTheBreak) {
    auto lease = grant(smbOwner("s1"), RWH);
    auto r = mgr_->lock(req(nlmOwner("n"), rng(0, 10), LockType::write), done_.callback());
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->pending);
    ASSERT_EQ(breaks_.size(), 1u);
    EXPECT_EQ(breaks_[0].to, kLeaseNone);
    EXPECT_TRUE(mgr_->query({}).ranges.empty());
    ASSERT_TRUE(mgr_->ackBreak(lease.id, kLeaseNone).ok());
    ASSERT_EQ(done_.size(), 1u);
    EXPECT_EQ(done_.got[0].second, DFS_OK);
    EXPECT_EQ(mgr_->query({}).ranges.size(), 1u);
}

TEST_F(LockLeaseTest, StagedBreakRhThenNone) {
    auto lease = grant(smbOwner("s1"), RWH);
    // A write needs the lease gone; while the first break (to RH) is on, a second
    // request waits on the same break instead of sending another.
    auto a = mgr_->checkAccess(kFile, nfs4Owner("v4"), AccessKind::openRead, done_.callback());
    ASSERT_TRUE(a->pending);
    auto b = mgr_->checkAccess(kFile, nfs4Owner("v4"), AccessKind::write, done_.callback());
    ASSERT_TRUE(b->pending);
    ASSERT_EQ(breaks_.size(), 1u);
    EXPECT_EQ(breaks_[0].to, RH);
    ASSERT_TRUE(mgr_->ackBreak(lease.id, RH).ok());
    // The read open goes; the write needs a second break, to none.
    ASSERT_EQ(done_.size(), 1u);
    EXPECT_EQ(done_.got[0].first, a->ticket);
    ASSERT_EQ(breaks_.size(), 2u);
    EXPECT_EQ(breaks_[1].from, RH);
    EXPECT_EQ(breaks_[1].to, kLeaseNone);
    ASSERT_TRUE(mgr_->ackBreak(lease.id, kLeaseNone).ok());
    ASSERT_EQ(done_.size(), 2u);
    EXPECT_EQ(done_.got[1].first, b->ticket);
}

TEST_F(LockLeaseTest, RenameBreaksHandleCachingAndRecallsDelegations) {
    auto smb = grant(smbOwner("s1"), RH);
    auto v4 = grant(nfs4Owner("v4"), kLeaseRead, "deleg");
    EXPECT_EQ(v4.level, kLeaseRead);
    auto r = mgr_->checkAccess(kFile, nlmOwner("n"), AccessKind::rename, done_.callback());
    ASSERT_TRUE(r->pending);
    ASSERT_EQ(breaks_.size(), 2u);
    std::map<uint64_t, uint32_t> to;
    for (const auto& b : breaks_) {
        to[b.leaseId] = b.to;
    }
    EXPECT_EQ(to[smb.id], kLeaseRead);
    EXPECT_EQ(to[v4.id], kLeaseNone);
    ASSERT_TRUE(mgr_->ackBreak(smb.id, kLeaseRead).ok());
    EXPECT_EQ(done_.size(), 0u);  // the delegation is still out
    ASSERT_TRUE(mgr_->releaseLease(v4.id).ok());  // DELEGRETURN
    EXPECT_EQ(done_.size(), 1u);
}

TEST_F(LockLeaseTest, GrantLevelsFollowOtherClientsState) {
    grant(smbOwner("s1"), kLeaseRead, "a");
    // Another client's lease: no write caching for a second one.
    auto second = grant(smbOwner("s2"), RWH, "b");
    EXPECT_EQ(second.level, RH);
    // A write lease held by another client blocks any new lease until broken.
    mgr_ = std::make_unique<LockManager>(cfg_, sched_);
    grant(smbOwner("s1"), RWH, "a");
    LeaseRequest r{kFile, nfs4Owner("v4"), "d", kLeaseRead, nullptr};
    EXPECT_EQ(lockFault(mgr_->grantLease(r).error()), LockFault::conflict);
    // Another client writing: no read delegation.
    mgr_ = std::make_unique<LockManager>(cfg_, sched_);
    ASSERT_TRUE(mgr_->openShare(ShareRequest{kFile, smbOwner("s1"), kShareWrite, 0}, nullptr).ok());
    EXPECT_FALSE(mgr_->grantLease(r).ok());
    // Invalid levels.
    r.level = kLeaseHandle;
    mgr_ = std::make_unique<LockManager>(cfg_, sched_);
    EXPECT_EQ(mgr_->grantLease(r).code(), DFS_ERR_INVAL);
    // Asking again with the same key upgrades.
    auto l1 = grant(smbOwner("s1"), kLeaseRead, "k");
    auto l2 = grant(smbOwner("s1"), RWH, "k");
    EXPECT_EQ(l1.id, l2.id);
    EXPECT_EQ(l2.level, RWH);
}

TEST_F(LockLeaseTest, ReleaseClientDropsLeasesAndUnblocksWaiters) {
    grant(smbOwner("s1"), RWH);
    auto w = mgr_->checkAccess(kFile, nfs4Owner("v4"), AccessKind::write, done_.callback());
    ASSERT_TRUE(w->pending);
    EXPECT_EQ(mgr_->releaseClient(ClientKey{LockProtocol::smb, "s1"}), 1u);
    ASSERT_EQ(done_.size(), 1u);
    EXPECT_EQ(done_.got[0].second, DFS_OK);
    EXPECT_EQ(sched_.pendingTimers(), 0u);
}

TEST_F(LockLeaseTest, CancelAWaitOnABreak) {
    auto lease = grant(smbOwner("s1"), RWH);
    auto r = mgr_->lock(req(nlmOwner("n"), rng(0, 1), LockType::read), done_.callback());
    ASSERT_TRUE(r->pending);
    ASSERT_TRUE(mgr_->cancel(r->ticket).ok());
    ASSERT_TRUE(mgr_->ackBreak(lease.id, RH).ok());
    EXPECT_EQ(done_.size(), 0u);
    EXPECT_TRUE(mgr_->query({}).ranges.empty());
}

}  // namespace
}  // namespace dfs::kernel::locks
