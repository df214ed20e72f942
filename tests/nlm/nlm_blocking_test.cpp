// Blocking NLM locks through a real dittofsd: a blocked LOCK is answered NLM4_BLOCKED and
// granted by an NLM4_GRANTED callback (found through the client's portmapper) when the
// holder unlocks; CANCEL stops it; a two-owner deadlock is refused with NLM4_DEADLCK;
// FREE_ALL releases a client's locks and wakes the waiters; a client that refuses or
// never answers the callback gets the lock released.
#include "nlm_fixture.hpp"

#include <thread>

namespace dfs::nlm::itest {
namespace {

const Owner kA{"hostA", "owner-a", 101};
const Owner kB{"hostB", "owner-b", 202};
const Owner kC{"hostC", "owner-c", 303};

// The nlm4_testargs of a GRANTED call.
struct GrantedArgs {
    std::string cookie;
    bool exclusive = false;
    std::string caller;
    std::string fh;
    std::string oh;
    uint32_t svid = 0;
    uint64_t offset = 0;
    uint64_t length = 0;
};

bool parseGranted(const std::string& args, GrantedArgs& g) {
    xdr::Reader r(reinterpret_cast<const uint8_t*>(args.data()), args.size());
    g.cookie = std::string(r.var(1024));
    g.exclusive = r.boolean();
    g.caller = std::string(r.var(1024));
    g.fh = std::string(r.var(1024));
    g.oh = std::string(r.var(1024));
    g.svid = r.u32();
    g.offset = r.u64();
    g.length = r.u64();
    return r.ok() && r.remaining() == 0;
}

TEST_F(NlmTest, BlockedLockIsGrantedByCallbackWhenTheHolderUnlocks) {
    std::string f = createFile("blocked");
    ASSERT_EQ(lock(kA, f, {0, 10}, true), NLM4_GRANTED);
    cookie_ = "blocked-cookie";
    ASSERT_EQ(lock(kB, f, {0, 10}, true, true), NLM4_BLOCKED);
    EXPECT_EQ(lock(kB, f, {0, 10}, true, true), NLM4_BLOCKED) << "a re-sent blocked request";
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(client_.count(100021, 5), 0u) << "no callback while A holds the lock";
    cookie_ = "ck01";
    ASSERT_EQ(unlock(kA, f, {0, 10}), NLM4_GRANTED);
    ReceivedCall call;
    ASSERT_TRUE(client_.waitFor(5, 1, &call)) << server_.log();
    EXPECT_EQ(call.vers, 4u);
    EXPECT_TRUE(call.tcp) << "the callback uses the transport of the request";
    GrantedArgs g;
    ASSERT_TRUE(parseGranted(call.args, g));
    EXPECT_EQ(g.cookie, "blocked-cookie");
    EXPECT_TRUE(g.exclusive);
    EXPECT_EQ(g.caller, kB.caller);
    EXPECT_EQ(g.fh, f);
    EXPECT_EQ(g.oh, kB.oh);
    EXPECT_EQ(g.svid, kB.svid);
    EXPECT_EQ(g.offset, 0u);
    EXPECT_EQ(g.length, 10u);
    EXPECT_EQ(client_.count(100000, 3), 1u) << "the client's portmapper was asked where NLM listens";
    HolderSeen h;
    EXPECT_EQ(test(kA, f, {0, 1}, true, &h), NLM4_DENIED) << "B holds the lock now";
    EXPECT_EQ(h.svid, kB.svid);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_EQ(client_.count(100021, 5), 1u) << "one callback, answered once, no retries";
}

TEST_F(NlmTest, UnlockOfABlockedRangeDropsTheRequest) {
    std::string f = createFile("unlockblocked");
    ASSERT_EQ(lock(kA, f, {0, 10}, true), NLM4_GRANTED);
    ASSERT_EQ(lock(kB, f, {0, 10}, true, true), NLM4_BLOCKED);
    // B's process gave up: its client sends UNLOCK, not CANCEL.
    ASSERT_EQ(unlock(kB, f, {0, 10}), NLM4_GRANTED);
    ASSERT_EQ(unlock(kA, f, {0, 10}), NLM4_GRANTED);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_EQ(client_.count(100021, 5), 0u) << "no GRANTED for a request the client dropped";
    EXPECT_EQ(lock(kC, f, {0, 10}, true), NLM4_GRANTED) << "nobody holds the range";
}

TEST_F(NlmTest, CancelStopsABlockedLock) {
    std::string f = createFile("cancel");
    ASSERT_EQ(lock(kA, f, {0, 10}, true), NLM4_GRANTED);
    ASSERT_EQ(lock(kB, f, {0, 10}, true, true), NLM4_BLOCKED);
    EXPECT_EQ(cancel(kB, f, {0, 10}, true), NLM4_GRANTED);
    EXPECT_EQ(cancel(kB, f, {0, 10}, true), NLM4_DENIED) << "nothing left to cancel";
    ASSERT_EQ(unlock(kA, f, {0, 10}), NLM4_GRANTED);
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    EXPECT_EQ(client_.count(100021, 5), 0u) << "no GRANTED for a cancelled request";
    EXPECT_EQ(test(kC, f, {0, 10}, true), NLM4_GRANTED) << "B does not hold it";
}

TEST_F(NlmTest, DeadlockBetweenTwoOwnersIsRefused) {
    std::string f = createFile("deadlock");
    ASSERT_EQ(lock(kA, f, {0, 10}, true), NLM4_GRANTED);
    ASSERT_EQ(lock(kB, f, {20, 10}, true), NLM4_GRANTED);
    ASSERT_EQ(lock(kA, f, {20, 10}, true, true), NLM4_BLOCKED) << "A waits for B";
    EXPECT_EQ(lock(kB, f, {0, 10}, true, true), NLM4_DEADLCK) << "B waiting for A would close the cycle";
    // B gives up its lock: A's wait ends with a callback.
    ASSERT_EQ(unlock(kB, f, {20, 10}), NLM4_GRANTED);
    ReceivedCall call;
    ASSERT_TRUE(client_.waitFor(5, 1, &call));
    GrantedArgs g;
    ASSERT_TRUE(parseGranted(call.args, g));
    EXPECT_EQ(g.caller, kA.caller);
    EXPECT_EQ(g.offset, 20u);
}

TEST_F(NlmTest, FreeAllReleasesAndWakesWaiters) {
    std::string f = createFile("freeall");
    ASSERT_EQ(lock(kA, f, {0, 10}, true), NLM4_GRANTED);
    ASSERT_EQ(lock(kA, f, {100, 10}, false), NLM4_GRANTED);
    ASSERT_EQ(lock(kB, f, {0, 10}, true, true), NLM4_BLOCKED);
    // NLM4_FREE_ALL (nlm4_notify: name, state) for hostA.
    std::vector<uint8_t> b(64);
    xdr::Writer w(b.data(), b.size());
    w.var(kA.caller);
    w.u32(3);
    auto r = rawCall(4, 23, bytesOf(b, w));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 0u);
    EXPECT_TRUE(r->results.empty());
    ReceivedCall call;
    ASSERT_TRUE(client_.waitFor(5, 1, &call)) << server_.log();
    GrantedArgs g;
    ASSERT_TRUE(parseGranted(call.args, g));
    EXPECT_EQ(g.caller, kB.caller);
    HolderSeen h;
    EXPECT_EQ(test(kC, f, {0, 10}, false, &h), NLM4_DENIED);
    EXPECT_EQ(h.svid, kB.svid);
    EXPECT_EQ(test(kC, f, {100, 10}, true), NLM4_GRANTED) << "A's read lock is gone too";
}

TEST_F(NlmTest, RefusedCallbackReleasesTheLock) {
    client_.setGrantedAnswer(NLM4_DENIED);  // the client no longer wants it
    std::string f = createFile("refused");
    ASSERT_EQ(lock(kA, f, {0, 10}, true), NLM4_GRANTED);
    ASSERT_EQ(lock(kB, f, {0, 10}, true, true), NLM4_BLOCKED);
    ASSERT_EQ(unlock(kA, f, {0, 10}), NLM4_GRANTED);
    ASSERT_TRUE(client_.waitFor(5, 1, nullptr));
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    uint32_t st = NLM4_DENIED;
    while (st != NLM4_GRANTED && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        st = test(kC, f, {0, 10}, true);
    }
    EXPECT_EQ(st, NLM4_GRANTED) << "the refused grant was given back";
}

TEST_F(NlmTest, UnansweredCallbackIsRetriedThenReleased) {
    client_.setSilent(true);
    std::string f = createFile("silent");
    ASSERT_EQ(lock(kA, f, {0, 10}, true), NLM4_GRANTED);
    ASSERT_EQ(lock(kB, f, {0, 10}, true, true), NLM4_BLOCKED);
    ASSERT_EQ(unlock(kA, f, {0, 10}), NLM4_GRANTED);
    // granted_attempts = 3 in the fixture: three calls, then the lock goes back.
    ASSERT_TRUE(client_.waitFor(5, 3, nullptr, 20000)) << server_.log();
    ASSERT_TRUE(server_.waitFor("event=nlm_granted_failed", 1, 10)) << server_.log();
    EXPECT_EQ(test(kC, f, {0, 10}, true), NLM4_GRANTED);
}

TEST_F(NlmTest, MessageFormsAnswerWithResCallsAndGrantedMsg) {
    std::string f = createFile("messages");
    ASSERT_EQ(lock(kA, f, {0, 10}, true), NLM4_GRANTED);
    // TEST_MSG: the reply is empty, the nlm4_testres comes back as TEST_RES.
    std::vector<uint8_t> t(512);
    xdr::Writer tw(t.data(), t.size());
    tw.var("m1");
    tw.boolean(true);
    putLock(tw, 4, kB, f, {0, 1});
    auto r = rawCall(4, 6, bytesOf(t, tw));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 0u);
    EXPECT_TRUE(r->results.empty());
    ReceivedCall call;
    ASSERT_TRUE(client_.waitFor(11, 1, &call)) << server_.log();
    xdr::Reader tr(reinterpret_cast<const uint8_t*>(call.args.data()), call.args.size());
    EXPECT_EQ(tr.var(1024), "m1");
    EXPECT_EQ(tr.u32(), NLM4_DENIED);
    EXPECT_EQ(tr.u32(), 1u) << "exclusive holder";
    EXPECT_EQ(tr.u32(), kA.svid);
    // LOCK_MSG, blocking: LOCK_RES says BLOCKED, the grant comes as GRANTED_MSG.
    std::vector<uint8_t> l(512);
    xdr::Writer lw(l.data(), l.size());
    lw.var("m2");
    lw.boolean(true);
    lw.boolean(true);
    putLock(lw, 4, kB, f, {0, 10});
    lw.boolean(false);
    lw.u32(1);
    r = rawCall(4, 7, bytesOf(l, lw));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 0u);
    ASSERT_TRUE(client_.waitFor(12, 1, &call)) << server_.log();
    xdr::Reader lr(reinterpret_cast<const uint8_t*>(call.args.data()), call.args.size());
    EXPECT_EQ(lr.var(1024), "m2");
    EXPECT_EQ(lr.u32(), NLM4_BLOCKED);
    ASSERT_EQ(unlock(kA, f, {0, 10}), NLM4_GRANTED);
    ASSERT_TRUE(client_.waitFor(10, 1, &call)) << server_.log();
    GrantedArgs g;
    ASSERT_TRUE(parseGranted(call.args, g));
    EXPECT_EQ(g.cookie, "m2");
    EXPECT_EQ(g.caller, kB.caller);
    EXPECT_EQ(client_.count(100021, 5), 0u) << "GRANTED_MSG instead of GRANTED";
    // GRANTED_RES from the client is accepted.
    std::vector<uint8_t> gr(64);
    xdr::Writer gw(gr.data(), gr.size());
    gw.var("m2");
    gw.u32(NLM4_GRANTED);
    r = rawCall(4, 15, bytesOf(gr, gw));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 0u);
    HolderSeen h;
    EXPECT_EQ(test(kC, f, {0, 1}, false, &h), NLM4_DENIED);
    EXPECT_EQ(h.svid, kB.svid);
}

}  // namespace
}  // namespace dfs::nlm::itest
