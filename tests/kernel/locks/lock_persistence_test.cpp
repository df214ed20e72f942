// Locks and client records through a real state database: written behind and committed
// in batches (a client's first record before its lock is granted), reloaded after a
// restart, the grace period (reclaims only, early end, timeout) and the records left.
#include "lock_test_util.hpp"

#include "src/state_db.hpp"

#include <filesystem>
#include <unistd.h>

namespace dfs::kernel::locks {
namespace {

using namespace testing;
constexpr auto R = LockType::read;
constexpr auto W = LockType::write;

class LockPersistTest : public ::testing::Test {
protected:
    std::filesystem::path dir_;
    ManualScheduler sched_;
    LockManagerConfig cfg_;

    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("dfs-locks-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        cfg_.graceMs = 90000;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // One server run: its own database handle, store and manager.
    struct Run {
        StateDb db;
        std::unique_ptr<LockStore> store;
        std::unique_ptr<LockManager> mgr;
    };
    std::unique_ptr<Run> boot() {
        auto r = std::make_unique<Run>();
        std::string err;
        EXPECT_TRUE(r->db.open((dir_ / "state.db").string(), err)) << err;
        r->store = std::make_unique<LockStore>(r->db);
        r->mgr = std::make_unique<LockManager>(cfg_, sched_, r->store.get());
        EXPECT_TRUE(r->mgr->start().ok());
        return r;
    }
    static LockRequest reclaim(LockRequest q) {
        q.reclaim = true;
        return q;
    }
};

TEST_F(LockPersistTest, LocksSurviveARestartAndAreReclaimedInGrace) {
    auto a = nlmOwner("hostA", 10);
    auto b = nfs4Owner("clientB");
    FileKey big{3, 1ull << 63};  // inode numbers use all 64 bits
    {
        auto run = boot();
        EXPECT_FALSE(run->mgr->inGrace());  // nothing to reclaim on a first start
        ASSERT_TRUE(run->mgr->lock(req(a, rng(0, 100), W), nullptr).ok());
        ASSERT_TRUE(run->mgr->lock(req(a, rng(UINT64_MAX - 5, 0), R, false, big), nullptr).ok());
        ASSERT_TRUE(run->mgr->lock(req(b, rng(200, 10), R), nullptr).ok());
        ASSERT_TRUE(run->mgr->unlock(kFile, a, rng(50, 10)).ok());  // split: persisted as two
        ASSERT_TRUE(run->mgr->openShare(ShareRequest{kFile, b, kShareRead, kShareWrite}, nullptr).ok());
        ASSERT_TRUE(run->store->flush().ok());
        auto stored = run->store->load();
        ASSERT_TRUE(stored.ok());
        EXPECT_EQ(stored->ranges.size(), 4u);
        EXPECT_EQ(stored->shares.size(), 1u);
        EXPECT_EQ(stored->clients.size(), 2u);
    }
    auto run = boot();
    ASSERT_TRUE(run->mgr->inGrace());
    EXPECT_TRUE(run->mgr->query({}).ranges.empty());  // nothing is held until reclaimed
    // New locks, TEST and new opens are refused; reclaims go.
    auto fresh = run->mgr->lock(req(nlmOwner("newcomer"), rng(1000, 1), W), nullptr);
    EXPECT_EQ(lockFault(fresh.error()), LockFault::grace);
    EXPECT_EQ(fresh.code(), DFS_ERR_DELAY);
    EXPECT_EQ(lockFault(run->mgr->test(kFile, a, rng(0, 1), R).error()), LockFault::grace);
    EXPECT_EQ(lockFault(run->mgr->openShare(ShareRequest{kFile, a, kShareRead, 0}, nullptr).error()),
              LockFault::grace);
    ASSERT_TRUE(run->mgr->lock(reclaim(req(a, rng(0, 50), W)), nullptr).ok());
    ASSERT_TRUE(run->mgr->lock(reclaim(req(a, rng(60, 40), W)), nullptr).ok());
    ASSERT_TRUE(run->mgr->lock(reclaim(req(a, rng(UINT64_MAX - 5, 0), R, false, big)), nullptr).ok());
    // A reclaim that conflicts with one already reclaimed is refused like any lock.
    EXPECT_EQ(lockFault(run->mgr->lock(reclaim(req(b, rng(0, 10), R)), nullptr).error()), LockFault::conflict);
    EXPECT_TRUE(run->mgr->inGrace());  // clientB has not reclaimed yet
    ASSERT_TRUE(run->mgr->lock(reclaim(req(b, rng(200, 10), R)), nullptr).ok());
    EXPECT_TRUE(run->mgr->inGrace());  // its share reservation is still out
    ShareRequest sr{kFile, b, kShareRead, kShareWrite, true};
    ASSERT_TRUE(run->mgr->openShare(sr, nullptr).ok());
    EXPECT_FALSE(run->mgr->inGrace());  // everyone has reclaimed everything: early end
    EXPECT_EQ(sched_.pendingTimers(), 0u);
    // After grace: reclaims are refused, new locks go.
    EXPECT_EQ(lockFault(run->mgr->lock(reclaim(req(a, rng(500, 1), W)), nullptr).error()), LockFault::noGrace);
    EXPECT_TRUE(run->mgr->lock(req(nlmOwner("newcomer"), rng(1000, 1), W), nullptr).ok());
    auto snap = run->mgr->query({});
    EXPECT_EQ(snap.ranges.size(), 5u);
    EXPECT_EQ(snap.shares.size(), 1u);
}

TEST_F(LockPersistTest, GraceEndsOnReclaimCompleteOrTimeout) {
    {
        auto run = boot();
        ASSERT_TRUE(run->mgr->lock(req(nlmOwner("a"), rng(0, 1), W), nullptr).ok());
        ASSERT_TRUE(run->mgr->lock(req(nfs4Owner("b"), rng(5, 1), W), nullptr).ok());
    }
    {
        auto run = boot();
        ASSERT_TRUE(run->mgr->inGrace());
        run->mgr->reclaimComplete(ClientKey{LockProtocol::nfs4, "b"});  // RECLAIM_COMPLETE
        EXPECT_TRUE(run->mgr->inGrace());
        // a's host rebooted too (SM_NOTIFY): nothing of it is left to wait for.
        run->mgr->releaseClient(ClientKey{LockProtocol::nlm, "a"});
        EXPECT_FALSE(run->mgr->inGrace());
    }
    {
        auto run = boot();
        EXPECT_FALSE(run->mgr->inGrace());  // nobody reclaimed: the old records are gone
        auto stored = run->store->load();
        EXPECT_TRUE(stored->clients.empty());
        ASSERT_TRUE(run->mgr->lock(req(nlmOwner("a"), rng(0, 1), W), nullptr).ok());
    }
    auto run = boot();
    ASSERT_TRUE(run->mgr->inGrace());
    sched_.advance(cfg_.graceMs - 1);
    EXPECT_TRUE(run->mgr->inGrace());
    sched_.advance(1);
    EXPECT_FALSE(run->mgr->inGrace());  // a never came back
    EXPECT_TRUE(run->mgr->lock(req(nlmOwner("z"), rng(0, 1), W), nullptr).ok());
}

TEST_F(LockPersistTest, ReleasesAreWrittenBehindAndClientsBeforeTheirFirstGrant) {
    auto run = boot();
    auto a = nlmOwner("a");
    ASSERT_TRUE(run->mgr->lock(req(a, rng(0, 10), W), nullptr).ok());
    // The client's record is committed before its first lock is granted, without a flush.
    ASSERT_EQ(run->store->load()->clients.size(), 1u);
    auto sh = run->mgr->openShare(ShareRequest{kFile, a, kShareRead, 0}, nullptr);
    ASSERT_TRUE(sh.ok());
    ASSERT_TRUE(run->store->flush().ok());
    ASSERT_EQ(run->store->load()->ranges.size(), 1u);
    ASSERT_TRUE(run->mgr->unlock(kFile, a, rng(0, 0)).ok());
    ASSERT_TRUE(run->mgr->closeShare(sh->shareId).ok());
    ASSERT_TRUE(run->store->flush().ok());
    auto stored = run->store->load();
    EXPECT_TRUE(stored->ranges.empty());
    EXPECT_TRUE(stored->shares.empty());
    ASSERT_TRUE(run->mgr->lock(req(a, rng(0, 10), W), nullptr).ok());
    run->mgr->releaseClient(ClientKey{LockProtocol::nlm, "a"});
    ASSERT_TRUE(run->store->flush().ok());
    stored = run->store->load();
    EXPECT_TRUE(stored->ranges.empty());
    EXPECT_TRUE(stored->clients.empty());
}

TEST_F(LockPersistTest, AfterACrashEveryClientOnRecordGetsTheWholeGracePeriod) {
    auto a = nlmOwner("a");
    {
        auto run = boot();
        ASSERT_TRUE(run->mgr->lock(req(a, rng(0, 10), W), nullptr).ok());
    }
    {
        // What a crash leaves: the client's record (committed before its grant) but not
        // the last batch of lock changes, and no clean-stop mark.
        StateDb db;
        std::string err;
        ASSERT_TRUE(db.open((dir_ / "state.db").string(), err)) << err;
        ASSERT_TRUE(db.exec("DELETE FROM lock_ranges;", err)) << err;
        ASSERT_TRUE(db.put("locks.clean_stop", "0"));
    }
    auto run = boot();
    EXPECT_TRUE(run->mgr->inGrace()) << "no lock on record, but a client that may hold one";
    EXPECT_EQ(lockFault(run->mgr->lock(req(nlmOwner("b"), rng(0, 1), W), nullptr).error()), LockFault::grace);
    ASSERT_TRUE(run->mgr->lock(reclaim(req(a, rng(0, 10), W)), nullptr).ok()) << "the lost lock is reclaimed";
    run->mgr->reclaimComplete(ClientKey{LockProtocol::nlm, "a"});
    EXPECT_TRUE(run->mgr->inGrace()) << "no early end after a crash";
    sched_.advance(cfg_.graceMs);
    EXPECT_FALSE(run->mgr->inGrace());
    run.reset();
    // That run stopped cleanly: the next start with the reclaimed lock ends grace early.
    run = boot();
    ASSERT_TRUE(run->mgr->inGrace());
    ASSERT_TRUE(run->mgr->lock(reclaim(req(a, rng(0, 10), W)), nullptr).ok());
    EXPECT_FALSE(run->mgr->inGrace());
}

TEST_F(LockPersistTest, ManyChangesCoalesceAndTheLastStateIsStored) {
    auto a = nlmOwner("a");
    {
        auto run = boot();
        // 2,000 lock/unlock pairs and a final lock: whatever the batching, the database
        // ends with exactly the final state, even though the store is closed right away.
        for (int i = 0; i < 2000; ++i) {
            ASSERT_TRUE(run->mgr->lock(req(a, rng(uint64_t(i) * 10, 5), W), nullptr).ok());
            ASSERT_TRUE(run->mgr->unlock(kFile, a, rng(uint64_t(i) * 10, 5)).ok());
        }
        ASSERT_TRUE(run->mgr->lock(req(a, rng(7, 3), R), nullptr).ok());
    }  // the store commits what is queued before it closes
    StateDb db;
    std::string err;
    ASSERT_TRUE(db.open((dir_ / "state.db").string(), err)) << err;
    LockStore store(db);
    auto stored = store.load();
    ASSERT_TRUE(stored.ok());
    ASSERT_EQ(stored->ranges.size(), 1u);
    EXPECT_EQ(stored->ranges[0].range.first, 7u);
    EXPECT_EQ(stored->ranges[0].range.last, 9u);
    EXPECT_EQ(stored->ranges[0].type, R);
}

}  // namespace
}  // namespace dfs::kernel::locks
