// The lock manager's byte-range side: TEST and grants through the manager, blocking
// waiters in FIFO order, cancel, the waiter bound, deadlock detection, bulk release,
// mandatory locking on I/O, the share reservation matrix and the query interface.
#include "lock_test_util.hpp"

namespace dfs::kernel::locks {
namespace {

using namespace testing;
constexpr auto R = LockType::read;
constexpr auto W = LockType::write;

class LockManagerTest : public ::testing::Test {
protected:
    ManualScheduler sched_;
    LockManagerConfig cfg_;
    std::unique_ptr<LockManager> mgr_;
    Completions done_;

    void SetUp() override { mgr_ = std::make_unique<LockManager>(cfg_, sched_); }

    Result<Initiated> lock(const LockOwner& o, ByteRange r, LockType t, bool block = false, FileKey f = kFile) {
        return mgr_->lock(req(o, r, t, block, f), done_.callback());
    }
};

TEST_F(LockManagerTest, GrantTestUnlock) {
    auto a = nlmOwner("a");
    auto b = nlmOwner("b");
    auto r = lock(a, rng(0, 10), W);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->pending);
    auto t = mgr_->test(kFile, b, rng(5, 1), R);
    ASSERT_TRUE(t.ok());
    ASSERT_TRUE(t->has_value());
    EXPECT_EQ((*t)->owner, a);
    EXPECT_EQ((*t)->range, rng(0, 10));
    auto denied = lock(b, rng(5, 1), R);
    EXPECT_EQ(lockFault(denied.error()), LockFault::conflict);
    ASSERT_TRUE(mgr_->unlock(kFile, a, rng(0, 0)).ok());
    EXPECT_FALSE(mgr_->test(kFile, b, rng(5, 1), R)->has_value());
    EXPECT_TRUE(mgr_->query({}).ranges.empty());
}

TEST_F(LockManagerTest, WaitersAreGrantedInFifoOrder) {
    auto a = nlmOwner("a");
    ASSERT_FALSE(lock(a, rng(0, 100), W)->pending);
    auto w1 = lock(nlmOwner("b"), rng(0, 10), W, true);
    auto w2 = lock(nlmOwner("c"), rng(5, 10), W, true);
    auto w3 = lock(nlmOwner("d"), rng(50, 10), R, true);
    ASSERT_TRUE(w1.ok() && w2.ok() && w3.ok());
    EXPECT_TRUE(w1->pending && w2->pending && w3->pending);
    EXPECT_EQ(mgr_->query({}).waiters.size(), 3u);
    ASSERT_TRUE(mgr_->unlock(kFile, a, rng(0, 0)).ok());
    // b and d go at once (no conflict between them); c waits for b.
    ASSERT_EQ(done_.size(), 2u);
    EXPECT_EQ(done_.got[0].first, w1->ticket);
    EXPECT_EQ(done_.got[1].first, w3->ticket);
    EXPECT_EQ(done_.got[0].second, DFS_OK);
    ASSERT_TRUE(mgr_->unlock(kFile, nlmOwner("b"), rng(0, 10)).ok());
    ASSERT_EQ(done_.size(), 3u);
    EXPECT_EQ(done_.got[2].first, w2->ticket);
    EXPECT_EQ(mgr_->query({}).ranges.size(), 2u);
}

TEST_F(LockManagerTest, LaterWaiterDoesNotOvertakeEarlierConflictingOne) {
    auto a = nlmOwner("a");
    ASSERT_FALSE(lock(a, rng(0, 10), R)->pending);
    auto writer = lock(nlmOwner("w"), rng(0, 10), W, true);
    ASSERT_TRUE(writer->pending);
    // A reader compatible with the held lock still queues behind the writer.
    auto reader = lock(nlmOwner("r"), rng(0, 10), R, true);
    ASSERT_TRUE(reader.ok());
    ASSERT_TRUE(reader->pending);
    // So is a non-blocking one refused, though TEST sees no granted conflict.
    EXPECT_FALSE(mgr_->test(kFile, nlmOwner("r2"), rng(0, 10), R)->has_value());
    EXPECT_EQ(lockFault(lock(nlmOwner("r2"), rng(0, 10), R).error()), LockFault::conflict);
    ASSERT_TRUE(mgr_->unlock(kFile, a, rng(0, 10)).ok());
    ASSERT_EQ(done_.size(), 1u);
    EXPECT_EQ(done_.got[0].first, writer->ticket);
    ASSERT_TRUE(mgr_->unlock(kFile, nlmOwner("w"), rng(0, 10)).ok());
    ASSERT_EQ(done_.size(), 2u);
    EXPECT_EQ(done_.got[1].first, reader->ticket);
}

TEST_F(LockManagerTest, OwnUpgradeIsNotHeldBackByAWaiterItBlocks) {
    auto a = nlmOwner("a");
    ASSERT_FALSE(lock(a, rng(0, 10), R)->pending);
    auto w = lock(nlmOwner("b"), rng(0, 10), W, true);
    ASSERT_TRUE(w->pending);
    auto up = lock(a, rng(0, 10), W, true);
    ASSERT_TRUE(up.ok()) << lockFaultName(lockFault(up.error()));
    EXPECT_FALSE(up->pending);
}

TEST_F(LockManagerTest, CancelDropsTheWaiterAndWakesTheNext) {
    auto a = nlmOwner("a");
    ASSERT_FALSE(lock(a, rng(0, 10), R)->pending);
    auto w = lock(nlmOwner("b"), rng(0, 10), W, true);
    auto r = lock(nlmOwner("c"), rng(0, 10), R, true);
    ASSERT_TRUE(w->pending && r->pending);
    ASSERT_TRUE(mgr_->cancel(w->ticket).ok());
    // The reader was held back only by the cancelled writer.
    ASSERT_EQ(done_.size(), 1u);
    EXPECT_EQ(done_.got[0].first, r->ticket);
    EXPECT_EQ(lockFault(mgr_->cancel(w->ticket)), LockFault::notLocked);
    ASSERT_TRUE(mgr_->unlock(kFile, a, rng(0, 10)).ok());
    EXPECT_EQ(done_.size(), 1u);  // the cancelled one never completes
    // NLM CANCEL by description.
    auto w2 = lock(nlmOwner("d"), rng(0, 10), W, true);
    ASSERT_TRUE(w2->pending);
    ASSERT_TRUE(mgr_->cancelMatching(kFile, nlmOwner("d"), rng(0, 10), W).ok());
    EXPECT_TRUE(mgr_->query({}).waiters.empty());
}

TEST_F(LockManagerTest, WaiterFloodIsRefused) {
    cfg_.maxWaitersPerClient = 3;
    mgr_ = std::make_unique<LockManager>(cfg_, sched_);
    ASSERT_FALSE(lock(nlmOwner("a"), rng(0, 0), W)->pending);
    for (uint32_t i = 0; i < 3; ++i) {
        auto w = lock(nlmOwner("flood", i), rng(i, 1), W, true);
        ASSERT_TRUE(w.ok());
        EXPECT_TRUE(w->pending);
    }
    auto refused = lock(nlmOwner("flood", 9), rng(9, 1), W, true);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(lockFault(refused.error()), LockFault::tooManyWaiters);
    EXPECT_EQ(refused.code(), DFS_ERR_NOSPC);
    EXPECT_TRUE(lock(nlmOwner("other"), rng(9, 1), W, true)->pending);  // per client
}

TEST_F(LockManagerTest, DeadlockBetweenTwoOwnersIsRefused) {
    auto a = nlmOwner("a");
    auto b = nlmOwner("b");
    ASSERT_FALSE(lock(a, rng(0, 10), W)->pending);
    ASSERT_FALSE(lock(b, rng(100, 10), W)->pending);
    auto aw = lock(a, rng(100, 10), W, true);
    ASSERT_TRUE(aw->pending);
    auto bw = lock(b, rng(0, 10), W, true);
    ASSERT_FALSE(bw.ok());
    EXPECT_EQ(lockFault(bw.error()), LockFault::deadlock);
    EXPECT_EQ(bw.error().sysErrno, EDEADLK);
    // b gives up its lock instead: a gets it.
    ASSERT_TRUE(mgr_->unlock(kFile, b, rng(100, 10)).ok());
    ASSERT_EQ(done_.size(), 1u);
    EXPECT_EQ(done_.got[0].first, aw->ticket);
}

TEST_F(LockManagerTest, DeadlockThreeCycleAcrossFiles) {
    FileKey f1{1, 1}, f2{1, 2}, f3{2, 3};
    auto a = nlmOwner("a"), b = nfs4Owner("b"), c = nlmOwner("c");
    ASSERT_FALSE(lock(a, rng(0, 0), W, false, f1)->pending);
    ASSERT_FALSE(lock(b, rng(0, 0), W, false, f2)->pending);
    ASSERT_FALSE(lock(c, rng(0, 0), W, false, f3)->pending);
    EXPECT_TRUE(lock(a, rng(0, 1), W, true, f2)->pending);  // a waits for b
    EXPECT_TRUE(lock(b, rng(0, 1), R, true, f3)->pending);  // b waits for c
    auto closing = lock(c, rng(5, 1), R, true, f1);        // c would wait for a
    ASSERT_FALSE(closing.ok());
    EXPECT_EQ(lockFault(closing.error()), LockFault::deadlock);
    // Not every wait is a cycle: d may wait for a.
    EXPECT_TRUE(lock(nlmOwner("d"), rng(5, 1), R, true, f1)->pending);
}

TEST_F(LockManagerTest, ReleaseClientWakesWaitersAndCancelsItsOwn) {
    auto a = nlmOwner("a", 1);
    auto a2 = nlmOwner("a", 2);
    ASSERT_FALSE(lock(a, rng(0, 10), W)->pending);
    ASSERT_FALSE(lock(a2, rng(20, 10), W)->pending);
    auto bw = lock(nlmOwner("b"), rng(0, 30), W, true);
    ASSERT_TRUE(bw->pending);
    ASSERT_FALSE(lock(nlmOwner("x"), rng(100, 10), W)->pending);
    auto aw = lock(a, rng(100, 10), R, true);  // a's own waiter goes with it
    ASSERT_TRUE(aw->pending);
    EXPECT_EQ(mgr_->query({.client = ClientKey{LockProtocol::nlm, "a"}}).ranges.size(), 2u);
    size_t n = mgr_->releaseClient(ClientKey{LockProtocol::nlm, "a"});
    EXPECT_EQ(n, 3u);
    ASSERT_EQ(done_.size(), 2u);
    std::map<uint64_t, dfs_status_t> by(done_.got.begin(), done_.got.end());
    EXPECT_EQ(by[bw->ticket], DFS_OK);
    EXPECT_EQ(by[aw->ticket], DFS_ERR_LOCKED);  // cancelled
    EXPECT_TRUE(mgr_->query({.client = ClientKey{LockProtocol::nlm, "a"}}).ranges.empty());
}

TEST_F(LockManagerTest, ReleaseOwnerKeepsTheClientsOtherOwners) {
    auto o1 = nfs4Owner("c", "o1");
    auto o2 = nfs4Owner("c", "o2");
    ASSERT_FALSE(lock(o1, rng(0, 10), W)->pending);
    ASSERT_FALSE(lock(o2, rng(10, 10), W)->pending);
    auto w = lock(nlmOwner("b"), rng(0, 5), R, true);
    ASSERT_TRUE(w->pending);
    EXPECT_EQ(mgr_->releaseOwner(o1), 1u);
    EXPECT_EQ(done_.size(), 1u);
    auto left = mgr_->query({.file = kFile});
    ASSERT_EQ(left.ranges.size(), 2u);
}

TEST_F(LockManagerTest, QueryByShareFileAndClient) {
    ASSERT_FALSE(lock(nlmOwner("a"), rng(0, 1), R, false, FileKey{1, 1})->pending);
    ASSERT_FALSE(lock(nlmOwner("a"), rng(0, 1), R, false, FileKey{1, 2})->pending);
    ASSERT_FALSE(lock(smbOwner("s"), rng(0, 1), R, false, FileKey{2, 1})->pending);
    EXPECT_EQ(mgr_->query({.shareId = 1}).ranges.size(), 2u);
    EXPECT_EQ(mgr_->query({.shareId = 2}).ranges.size(), 1u);
    EXPECT_EQ(mgr_->query({.file = FileKey{1, 2}}).ranges.size(), 1u);
    EXPECT_EQ(mgr_->query({.client = ClientKey{LockProtocol::smb, "s"}}).ranges.size(), 1u);
    EXPECT_EQ(mgr_->query({.client = ClientKey{LockProtocol::nlm, "s"}}).ranges.size(), 0u);
}

TEST_F(LockManagerTest, SmbLockBlocksNfsWriteAndNlmLockBlocksSmbIo) {
    auto s = smbOwner("s");
    auto n = nlmOwner("n");
    ASSERT_FALSE(lock(s, rng(0, 10), W)->pending);
    EXPECT_EQ(lockFault(mgr_->checkIo(kFile, n, rng(5, 1), true)), LockFault::conflict);
    EXPECT_EQ(lockFault(mgr_->checkIo(kFile, n, rng(5, 1), false)), LockFault::conflict);
    EXPECT_TRUE(mgr_->checkIo(kFile, s, rng(5, 1), true).ok());  // the lock's own owner
    EXPECT_TRUE(mgr_->checkIo(kFile, n, rng(10, 1), true).ok());
    ASSERT_FALSE(lock(n, rng(100, 10), R)->pending);
    EXPECT_EQ(lockFault(mgr_->checkIo(kFile, s, rng(100, 1), true)), LockFault::conflict);
    EXPECT_TRUE(mgr_->checkIo(kFile, s, rng(100, 1), false).ok());
    // POSIX locks stay advisory between NFS clients.
    EXPECT_TRUE(mgr_->checkIo(kFile, nfs4Owner("v4"), rng(100, 1), true).ok());
    // And an SMB exclusive lock request waits for the NLM lock.
    auto sw = lock(s, rng(105, 1), W, true);
    ASSERT_TRUE(sw->pending);
    ASSERT_TRUE(mgr_->unlock(kFile, n, rng(100, 10)).ok());
    EXPECT_EQ(done_.size(), 1u);
}

TEST_F(LockManagerTest, ShareReservationMatrix) {
    const uint32_t r = kShareRead, w = kShareWrite, d = kShareDelete;
    struct Case {
        uint32_t a1, d1, a2, d2;
        bool conflict;
    } cases[] = {
        {r, 0, r, 0, false},
        {r, 0, w, 0, false},
        {r, w, w, 0, true},    // first denies write, second wants it
        {w, 0, r, w, true},    // second denies write the first has
        {r, r, r, 0, true},
        {r | w, 0, r, r | w, true},
        {r, w, r, w, false},   // both read, both deny write
        {r, d, r | d, 0, true},
        {0, r | w | d, r, 0, false},  // attribute-only opens are not subject to sharing
        {r, r | w | d, 0, r | w | d, false},
    };
    int i = 0;
    for (const auto& c : cases) {
        mgr_ = std::make_unique<LockManager>(cfg_, sched_);
        auto first = mgr_->openShare(ShareRequest{kFile, nfs4Owner("c1"), c.a1, c.d1}, nullptr);
        ASSERT_TRUE(first.ok()) << i;
        auto second = mgr_->openShare(ShareRequest{kFile, smbOwner("c2"), c.a2, c.d2}, nullptr);
        EXPECT_EQ(!second.ok(), c.conflict) << "case " << i;
        if (!second.ok()) {
            EXPECT_EQ(lockFault(second.error()), LockFault::shareDenied);
        }
        EXPECT_EQ(sharesConflict(c.a2, c.d2, c.a1, c.d1), c.conflict) << "symmetric " << i;
        ++i;
    }
}

TEST_F(LockManagerTest, ShareCloseChangeAndSameOwner) {
    auto a = nfs4Owner("c1");
    auto first = mgr_->openShare(ShareRequest{kFile, a, kShareRead, kShareWrite}, nullptr);
    ASSERT_TRUE(first.ok());
    // Share modes conflict even for the same owner (a second open is a second open).
    auto again = mgr_->openShare(ShareRequest{kFile, a, kShareWrite, 0}, nullptr);
    EXPECT_EQ(lockFault(again.error()), LockFault::shareDenied);
    // OPEN_DOWNGRADE of the deny, then the write open fits.
    ASSERT_TRUE(mgr_->changeShare(first->shareId, kShareRead, 0).ok());
    auto w = mgr_->openShare(ShareRequest{kFile, smbOwner("s"), kShareWrite, kShareRead}, nullptr);
    EXPECT_EQ(lockFault(w.error()), LockFault::shareDenied);  // would deny c1's read
    ASSERT_TRUE(mgr_->closeShare(first->shareId).ok());
    EXPECT_TRUE(mgr_->openShare(ShareRequest{kFile, smbOwner("s"), kShareWrite, kShareRead}, nullptr).ok());
    EXPECT_EQ(lockFault(mgr_->closeShare(first->shareId)), LockFault::notLocked);
    EXPECT_EQ(mgr_->query({}).shares.size(), 1u);
}

}  // namespace
}  // namespace dfs::kernel::locks
