// Byte-range semantics: the POSIX conflict matrix, split/merge/upgrade/downgrade, ranges
// near the 64-bit limit, Windows stacking and exact unlock, POSIX and Windows owners on
// one file.
#include "lock_test_util.hpp"

#include "src/locks/range_lock.hpp"

namespace dfs::kernel::locks {
namespace {

using namespace testing;
constexpr auto R = LockType::read;
constexpr auto W = LockType::write;

struct Expect {
    uint64_t first, last;
    LockType type;
};

void expectLocks(const RangeLockList& l, const LockOwner& o, std::vector<Expect> want) {
    auto got = l.locksOf(o);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].range.first, want[i].first) << i;
        EXPECT_EQ(got[i].range.last, want[i].last) << i;
        EXPECT_EQ(got[i].type, want[i].type) << i;
    }
}

TEST(LockRangeTest, RangeEndsAreOverflowSafe) {
    EXPECT_EQ(rng(0, 0), (ByteRange{0, UINT64_MAX}));
    EXPECT_EQ(rng(10, 0), (ByteRange{10, UINT64_MAX}));
    EXPECT_EQ(rng(10, 5), (ByteRange{10, 14}));
    EXPECT_EQ(rng(UINT64_MAX, 1), (ByteRange{UINT64_MAX, UINT64_MAX}));
    EXPECT_EQ(rng(1, UINT64_MAX), (ByteRange{1, UINT64_MAX}));
    auto bad = makeRange(2, UINT64_MAX);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.code(), DFS_ERR_INVAL);
    EXPECT_EQ(rng(0, 0).length(), 0u);
    EXPECT_EQ(rng(5, 10).length(), 10u);
    EXPECT_TRUE(rng(0, 10).adjacent(rng(10, 5)));
    EXPECT_FALSE(rng(0, 10).adjacent(rng(11, 5)));
    EXPECT_FALSE(rng(UINT64_MAX, 1).adjacent(rng(0, 1)));  // no wrap-around
}

TEST(LockRangeTest, PosixConflictMatrixBetweenOwners) {
    auto a = nlmOwner("a");
    auto b = nlmOwner("b");
    struct Case {
        ByteRange held;
        LockType heldType;
        ByteRange want;
        LockType wantType;
        bool conflict;
    } cases[] = {
        {rng(0, 10), R, rng(0, 10), R, false},    // shared + shared
        {rng(0, 10), R, rng(5, 10), W, true},     // shared + exclusive, overlapping
        {rng(0, 10), W, rng(5, 10), R, true},     // exclusive + shared
        {rng(0, 10), W, rng(0, 10), W, true},     // exclusive + exclusive
        {rng(0, 10), W, rng(10, 10), W, false},   // adjacent
        {rng(0, 10), W, rng(9, 1), R, true},      // last byte
        {rng(0, 0), R, rng(1ull << 40, 1), W, true},  // whole file vs far byte
        {rng(0, 0), R, rng(1ull << 40, 1), R, false},
        {rng(5ull << 30, 4096), W, rng((5ull << 30) + 4095, 1), W, true},  // past 4 GiB
        {rng(5ull << 30, 4096), W, rng((5ull << 30) + 4096, 1), W, false},
        {rng(UINT64_MAX - 9, 10), W, rng(UINT64_MAX, 1), R, true},  // near UINT64_MAX
        {rng(UINT64_MAX - 9, 10), W, rng(UINT64_MAX - 20, 11), R, false},
        {rng(UINT64_MAX, 1), W, rng(0, 0), R, true},
    };
    int i = 0;
    for (const auto& c : cases) {
        RangeLockList l;
        l.grant(kFile, a, c.held, c.heldType);
        EXPECT_EQ(l.findConflict(b, c.want, c.wantType).has_value(), c.conflict) << "case " << i;
        // Symmetric: the other way round gives the same answer.
        RangeLockList m;
        m.grant(kFile, b, c.want, c.wantType);
        EXPECT_EQ(m.findConflict(a, c.held, c.heldType).has_value(), c.conflict) << "case " << i;
        ++i;
    }
}

TEST(LockRangeTest, TestReportsTheConflictingLock) {
    RangeLockList l;
    auto a = nlmOwner("a", 7);
    l.grant(kFile, a, rng(100, 50), W);
    auto c = l.findConflict(nlmOwner("b"), rng(120, 1), R);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->owner, a);
    EXPECT_EQ(c->range.offset(), 100u);
    EXPECT_EQ(c->range.length(), 50u);
    EXPECT_EQ(c->type, W);
}

TEST(LockRangeTest, PosixSameOwnerMergesAdjacentAndOverlapping) {
    RangeLockList l;
    auto a = nlmOwner("a");
    l.grant(kFile, a, rng(0, 10), R);
    l.grant(kFile, a, rng(10, 10), R);  // adjacent
    l.grant(kFile, a, rng(15, 10), R);  // overlapping
    expectLocks(l, a, {{0, 24, R}});
    l.grant(kFile, a, rng(30, 10), R);  // gap: stays apart
    expectLocks(l, a, {{0, 24, R}, {30, 39, R}});
    l.grant(kFile, a, rng(25, 5), R);  // fills the gap: one lock
    expectLocks(l, a, {{0, 39, R}});
    l.grant(kFile, a, rng(40, 10), W);  // adjacent but another type: no merge
    expectLocks(l, a, {{0, 39, R}, {40, 49, W}});
}

TEST(LockRangeTest, PosixSameOwnerUpgradeDowngradeSplits) {
    RangeLockList l;
    auto a = nlmOwner("a");
    l.grant(kFile, a, rng(0, 100), R);
    EXPECT_FALSE(l.findConflict(a, rng(40, 20), W).has_value());  // own locks never conflict
    l.grant(kFile, a, rng(40, 20), W);  // upgrade the middle
    expectLocks(l, a, {{0, 39, R}, {40, 59, W}, {60, 99, R}});
    l.grant(kFile, a, rng(45, 5), R);  // downgrade inside the write lock
    expectLocks(l, a, {{0, 39, R}, {40, 44, W}, {45, 49, R}, {50, 59, W}, {60, 99, R}});
    l.grant(kFile, a, rng(0, 100), R);  // downgrade everything: one lock again
    expectLocks(l, a, {{0, 99, R}});
}

TEST(LockRangeTest, PosixUpgradeBlockedByAnotherReader) {
    RangeLockList l;
    auto a = nlmOwner("a");
    auto b = nlmOwner("b");
    l.grant(kFile, a, rng(0, 10), R);
    l.grant(kFile, b, rng(5, 10), R);
    auto c = l.findConflict(a, rng(0, 10), W);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->owner, b);
    EXPECT_FALSE(l.findConflict(a, rng(0, 5), W).has_value());
}

TEST(LockRangeTest, PosixUnlockOfSubRangeSplits) {
    RangeLockList l;
    auto a = nlmOwner("a");
    l.grant(kFile, a, rng(0, 0), W);  // whole file
    ASSERT_TRUE(l.unlock(a, rng(1ull << 32, 4096)).ok());
    expectLocks(l, a, {{0, (1ull << 32) - 1, W}, {(1ull << 32) + 4096, UINT64_MAX, W}});
    ASSERT_TRUE(l.unlock(a, rng(0, 10)).ok());
    expectLocks(l, a, {{10, (1ull << 32) - 1, W}, {(1ull << 32) + 4096, UINT64_MAX, W}});
    ASSERT_TRUE(l.unlock(a, rng(UINT64_MAX, 1)).ok());
    expectLocks(l, a, {{10, (1ull << 32) - 1, W}, {(1ull << 32) + 4096, UINT64_MAX - 1, W}});
    ASSERT_TRUE(l.unlock(a, rng(500, 0)).ok());  // to EOF
    expectLocks(l, a, {{10, 499, W}});
    EXPECT_TRUE(l.unlock(a, rng(1000, 10)).ok());  // nothing there: not an error
    ASSERT_TRUE(l.unlock(a, rng(0, 0)).ok());
    EXPECT_TRUE(l.empty());
}

TEST(LockRangeTest, UnlockTouchesOnlyTheOwnersLocks) {
    RangeLockList l;
    auto a = nlmOwner("a");
    auto a2 = nlmOwner("a", 2);  // same host, another process
    l.grant(kFile, a, rng(0, 10), R);
    l.grant(kFile, a2, rng(0, 10), R);
    ASSERT_TRUE(l.unlock(a, rng(0, 0)).ok());
    expectLocks(l, a2, {{0, 9, R}});
    EXPECT_TRUE(l.findConflict(a, rng(0, 1), W).has_value());  // another pid is another owner
}

TEST(LockRangeTest, WindowsLocksStackAndUnlockExactly) {
    RangeLockList l;
    auto s = smbOwner("c1");
    l.grant(kFile, s, rng(0, 10), R);
    EXPECT_FALSE(l.findConflict(s, rng(0, 10), R).has_value());  // shared twice: fine
    l.grant(kFile, s, rng(0, 10), R);
    l.grant(kFile, s, rng(10, 10), R);  // adjacent: not merged
    EXPECT_EQ(l.locksOf(s).size(), 3u);
    // Only an exact range unlocks.
    auto bad = l.unlock(s, rng(0, 20));
    EXPECT_EQ(lockFault(bad), LockFault::notLocked);
    EXPECT_EQ(lockFault(l.unlock(s, rng(0, 5))), LockFault::notLocked);
    EXPECT_TRUE(l.unlock(s, rng(0, 10)).ok());
    EXPECT_EQ(l.locksOf(s).size(), 2u);
    EXPECT_TRUE(l.unlock(s, rng(0, 10)).ok());
    EXPECT_TRUE(l.unlock(s, rng(10, 10)).ok());
    EXPECT_TRUE(l.empty());
}

TEST(LockRangeTest, WindowsSameOwnerExclusiveConflicts) {
    RangeLockList l;
    auto s = smbOwner("c1");
    l.grant(kFile, s, rng(0, 10), W);
    EXPECT_TRUE(l.findConflict(s, rng(5, 10), W).has_value());    // own exclusive over own lock
    EXPECT_FALSE(l.findConflict(s, rng(5, 2), R).has_value());    // own shared inside own exclusive
    EXPECT_TRUE(l.findConflict(smbOwner("c1", "fid2"), rng(5, 2), R).has_value());  // another open
    EXPECT_FALSE(l.findConflict(s, rng(10, 10), W).has_value());  // adjacent
    RangeLockList m;
    m.grant(kFile, s, rng(0, 10), R);
    EXPECT_TRUE(m.findConflict(s, rng(0, 10), W).has_value());  // own shared, then exclusive
}

TEST(LockRangeTest, PosixAndWindowsOwnersOnOneFile) {
    RangeLockList l;
    auto n = nlmOwner("nfsclient");
    auto v4 = nfs4Owner("v4client");
    auto s = smbOwner("smbclient");
    l.grant(kFile, n, rng(0, 100), R);
    EXPECT_FALSE(l.findConflict(s, rng(50, 10), R).has_value());  // shared with shared
    EXPECT_TRUE(l.findConflict(s, rng(50, 10), W).has_value());   // SMB exclusive vs NLM read
    l.grant(kFile, s, rng(200, 10), W);
    auto c = l.findConflict(n, rng(205, 1), R);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->owner, s);
    EXPECT_EQ(c->style(), LockStyle::windows);
    EXPECT_TRUE(l.findConflict(v4, rng(0, 0), W).has_value());
    EXPECT_FALSE(l.findConflict(v4, rng(100, 100), W).has_value());
    // The NLM owner's POSIX unlock of a sub-range does not touch the SMB lock.
    ASSERT_TRUE(l.unlock(n, rng(0, 0)).ok());
    EXPECT_EQ(l.locks().size(), 1u);
    EXPECT_EQ(l.locks()[0].owner, s);
}

}  // namespace
}  // namespace dfs::kernel::locks
