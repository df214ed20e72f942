// NLM v4 (and v3) granting and refusing locks through a real dittofsd: the conflict
// matrix (shared/exclusive, overlapping/adjacent), an owner upgrading and splitting its
// own locks, whole-file locks and offsets past 4 GiB, TEST's holder, version 3 sharing
// the handlers, and malformed arguments answered GARBAGE_ARGS.
#include "nlm_fixture.hpp"

namespace dfs::nlm::itest {
namespace {

const Owner kA{"hostA", "owner-a", 101};
const Owner kB{"hostB", "owner-b", 202};

TEST_F(NlmTest, NullAnswers) {
    EXPECT_TRUE(nlm_->run([&](rpc_cb cb, void* p) { return rpc_nlm4_null_async(nlm_->rpc(), cb, p); }, [](void*) {}));
}

TEST_F(NlmTest, SharedAndExclusiveOverlappingAndAdjacent) {
    std::string f = createFile("matrix");
    EXPECT_EQ(lock(kA, f, {0, 100}, false), NLM4_GRANTED);
    EXPECT_EQ(lock(kB, f, {50, 50}, false), NLM4_GRANTED) << "two read locks share";
    EXPECT_EQ(lock(kB, f, {50, 10}, true), NLM4_DENIED) << "a write lock over another owner's read lock";
    HolderSeen h;
    EXPECT_EQ(test(kB, f, {50, 10}, true, &h), NLM4_DENIED);
    EXPECT_FALSE(h.exclusive);
    EXPECT_EQ(h.svid, kA.svid);
    EXPECT_EQ(h.oh, kA.oh);
    EXPECT_EQ(h.offset, 0u);
    EXPECT_EQ(h.length, 100u);
    EXPECT_EQ(test(kB, f, {50, 10}, false), NLM4_GRANTED) << "TEST of a read lock";
    EXPECT_EQ(lock(kB, f, {100, 10}, true), NLM4_GRANTED) << "adjacent to A's [0,100) is no overlap";
    EXPECT_EQ(lock(kA, f, {110, 10}, true), NLM4_GRANTED) << "adjacent to B's write lock";
    EXPECT_EQ(lock(kA, f, {105, 1}, false), NLM4_DENIED) << "a read lock inside another owner's write lock";
    EXPECT_EQ(test(kA, f, {109, 2}, false, &h), NLM4_DENIED);
    EXPECT_TRUE(h.exclusive);
    EXPECT_EQ(h.svid, kB.svid);
    EXPECT_EQ(h.offset, 100u);
    EXPECT_EQ(h.length, 10u);
    // Same caller and owner handle but another svid is another owner.
    Owner a2{kA.caller, kA.oh, kA.svid + 1};
    EXPECT_EQ(lock(a2, f, {0, 1}, true), NLM4_DENIED);
    // Unlock, then B may write where A read.
    EXPECT_EQ(unlock(kA, f, {0, 100}), NLM4_GRANTED);
    EXPECT_EQ(unlock(kB, f, {50, 50}), NLM4_GRANTED);
    EXPECT_EQ(lock(kB, f, {0, 100}, true), NLM4_GRANTED);
    EXPECT_EQ(unlock(kA, f, {500, 10}), NLM4_GRANTED) << "unlocking nothing is not an error";
}

TEST_F(NlmTest, SameOwnerUpgradeDowngradeAndSplit) {
    std::string f = createFile("split");
    EXPECT_EQ(lock(kA, f, {0, 100}, false), NLM4_GRANTED);
    EXPECT_EQ(lock(kA, f, {40, 20}, true), NLM4_GRANTED) << "upgrade of the middle: A never conflicts with A";
    HolderSeen h;
    EXPECT_EQ(test(kB, f, {0, 10}, false), NLM4_GRANTED);
    EXPECT_EQ(test(kB, f, {70, 10}, false), NLM4_GRANTED);
    EXPECT_EQ(test(kB, f, {45, 1}, false, &h), NLM4_DENIED);
    EXPECT_TRUE(h.exclusive);
    EXPECT_EQ(h.offset, 40u);
    EXPECT_EQ(h.length, 20u);
    EXPECT_EQ(test(kB, f, {10, 1}, true, &h), NLM4_DENIED);
    EXPECT_FALSE(h.exclusive);
    // Unlocking the middle of the write lock splits it.
    EXPECT_EQ(unlock(kA, f, {50, 5}), NLM4_GRANTED);
    EXPECT_EQ(test(kB, f, {52, 1}, true), NLM4_GRANTED);
    EXPECT_EQ(test(kB, f, {56, 1}, false, &h), NLM4_DENIED);
    EXPECT_EQ(h.offset, 55u);
    EXPECT_EQ(h.length, 5u);
    // Downgrade: the write pieces become read locks.
    EXPECT_EQ(lock(kA, f, {40, 20}, false), NLM4_GRANTED);
    EXPECT_EQ(test(kB, f, {45, 1}, false), NLM4_GRANTED);
    // An upgrade over another owner's read lock is refused.
    EXPECT_EQ(lock(kB, f, {0, 10}, false), NLM4_GRANTED);
    EXPECT_EQ(lock(kA, f, {0, 100}, true), NLM4_DENIED);
}

TEST_F(NlmTest, WholeFileAndOffsetsPast4GiB) {
    std::string f = createFile("big");
    EXPECT_EQ(lock(kA, f, {5 * kGiB, 10}, true), NLM4_GRANTED);
    HolderSeen h;
    EXPECT_EQ(test(kB, f, {5 * kGiB + 5, 1}, true, &h), NLM4_DENIED);
    EXPECT_EQ(h.offset, 5 * kGiB);
    EXPECT_EQ(h.length, 10u);
    EXPECT_EQ(test(kB, f, {kGiB, kGiB}, true), NLM4_GRANTED) << "32-bit truncation would collide";
    EXPECT_EQ(lock(kB, f, {0, 0}, false), NLM4_DENIED) << "length 0 reaches past 4 GiB";
    EXPECT_EQ(unlock(kA, f, {5 * kGiB, 10}), NLM4_GRANTED);
    EXPECT_EQ(lock(kB, f, {0, 0}, false), NLM4_GRANTED);
    EXPECT_EQ(test(kA, f, {uint64_t{1} << 63, 1}, true, &h), NLM4_DENIED);
    EXPECT_EQ(h.offset, 0u);
    EXPECT_EQ(h.length, 0u) << "a whole-file lock is reported with length 0";
    EXPECT_EQ(lock(kA, f, {UINT64_MAX, 2}, true), NLM4_FBIG) << "last byte past 2^64";
    EXPECT_EQ(lock(kA, f, {UINT64_MAX, 1}, false), NLM4_GRANTED) << "the last byte of the 64-bit space";
}

TEST_F(NlmTest, BadHandleIsStale) {
    std::string bogus = "definitely not a handle";
    EXPECT_EQ(lock(kA, bogus, {0, 1}, true), NLM4_STALE_FH);
    std::string huge(200, 'x');
    EXPECT_EQ(lock(kA, huge, {0, 1}, true), NLM4_STALE_FH);
    EXPECT_EQ(test(kA, bogus, {0, 1}, true), NLM4_STALE_FH);
}

TEST_F(NlmTest, Version3SharesTheLockTable) {
    std::string f = createFile("v3");
    std::vector<uint8_t> b(512);
    xdr::Writer w(b.data(), b.size());
    w.var("c3");
    w.boolean(false);  // block
    w.boolean(true);   // exclusive
    putLock(w, 3, kA, f, {10, 10});
    w.boolean(false);  // reclaim
    w.u32(1);          // state
    auto r = rawCall(3, 2, bytesOf(b, w));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->acceptStat, 0u);
    ASSERT_GE(r->results.size(), 12u);
    EXPECT_EQ(dfs::testing::be32(r->results, 8), NLM4_GRANTED);
    HolderSeen h;
    EXPECT_EQ(test(kB, f, {0, 0}, false, &h), NLM4_DENIED) << "a v3 lock seen by v4";
    EXPECT_EQ(h.offset, 10u);
    EXPECT_EQ(h.length, 10u);
    // v3 TEST: a 32-bit holder in the reply.
    std::vector<uint8_t> t(512);
    xdr::Writer tw(t.data(), t.size());
    tw.var("c4");
    tw.boolean(false);
    putLock(tw, 3, kB, f, {0, 0});
    r = rawCall(3, 1, bytesOf(t, tw));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->acceptStat, 0u);
    // cookie(4+4) stat exclusive svid oh(4+8) offset len
    ASSERT_EQ(r->results.size(), 8u + 4 + 4 + 4 + 12 + 4 + 4);
    EXPECT_EQ(dfs::testing::be32(r->results, 8), NLM4_DENIED);
    EXPECT_EQ(dfs::testing::be32(r->results, 12), 1u);
    EXPECT_EQ(dfs::testing::be32(r->results, 16), kA.svid);
    EXPECT_EQ(dfs::testing::be32(r->results, 32), 10u);
    EXPECT_EQ(dfs::testing::be32(r->results, 36), 10u);
}

TEST_F(NlmTest, MalformedArgumentsAreGarbage) {
    std::string f = createFile("garbage");
    std::vector<uint8_t> b(4096);
    xdr::Writer w(b.data(), b.size());
    w.var("ck");
    w.boolean(false);
    w.boolean(true);
    putLock(w, 4, kA, f, {0, 1});
    w.boolean(false);
    w.u32(0);
    std::string good = bytesOf(b, w);
    auto r = rawCall(4, 2, good);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 0u) << "the well-formed call is accepted";
    for (size_t cut : {size_t{0}, size_t{4}, good.size() / 2, good.size() - 4}) {
        r = rawCall(4, 2, good.substr(0, cut));
        ASSERT_TRUE(r) << cut;
        EXPECT_EQ(r->acceptStat, 4u) << "truncated at " << cut;
    }
    r = rawCall(4, 2, good + std::string(4, '\0'));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 4u) << "trailing bytes";
    // A bool that is not 0 or 1.
    std::string badBool = good;
    badBool[11] = 7;  // `block`
    r = rawCall(4, 2, badBool);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 4u);
    // caller_name longer than LM_MAXSTRLEN.
    std::vector<uint8_t> l(4096);
    xdr::Writer lw(l.data(), l.size());
    lw.var("ck");
    lw.boolean(false);
    putLock(lw, 4, Owner{std::string(1025, 'n'), "o", 1}, f, {0, 1});
    r = rawCall(4, 1, bytesOf(l, lw));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 4u);
    for (uint32_t proc : {1u, 3u, 4u, 23u}) {
        r = rawCall(4, proc, std::string(2, 'x'));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->acceptStat, 4u) << proc;
    }
    r = rawCall(4, 17, "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 3u) << "an unassigned procedure";
    r = rawCall(1, 23, "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 3u) << "FREE_ALL is not in version 1";
}

}  // namespace
}  // namespace dfs::nlm::itest
