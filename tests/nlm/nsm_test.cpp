// NSM through a real dittofsd: SM_STAT/SM_MON/SM_UNMON/SM_UNMON_ALL answer the state
// number (odd while up, advanced at each start and persisted under data_dir); a client's
// SM_NOTIFY releases its NLM locks and wakes the waiters; a restart sends SM_NOTIFY to
// every host that held locks, and SM_SIMU_CRASH behaves as a restart.
#include "nlm_fixture.hpp"

#include <filesystem>
#include <thread>

namespace dfs::nlm::itest {
namespace {

constexpr uint32_t kNsm = 100024;
const Owner kA{"hostA", "owner-a", 101};
const Owner kB{"hostB", "owner-b", 202};
const Owner kC{"hostC", "owner-c", 303};

std::string smName(const std::string& name) {
    std::vector<uint8_t> b(64 + name.size());
    xdr::Writer w(b.data(), b.size());
    w.var(name);
    return bytesOf(b, w);
}

std::string statChange(const std::string& name, int32_t state) {
    std::vector<uint8_t> b(64 + name.size());
    xdr::Writer w(b.data(), b.size());
    w.var(name);
    w.i32(state);
    return bytesOf(b, w);
}

// my_id: the local lock manager to call back (Linux lockd: NLM procedure 16; another
// caller's callback with another procedure).
void myId(xdr::Writer& w, uint32_t proc = 16) {
    w.var("localhost");
    w.u32(100021);
    w.u32(4);
    w.u32(proc);
}

class NsmTest : public NlmTest {
protected:
    // NSM's state file: the state number and the monitored hosts.
    std::string stateFile() { return dfs::testing::slurp(server_.dir() / "nlm" / "nsm" / "state"); }

    // SM_STAT: {res, state}.
    std::pair<uint32_t, int32_t> smStat() {
        auto r = rawCall(1, 1, smName("hostA"), kNsm);
        EXPECT_TRUE(r);
        if (!r || r->results.size() != 8) {
            return {99, -1};
        }
        return {dfs::testing::be32(r->results, 0), static_cast<int32_t>(dfs::testing::be32(r->results, 4))};
    }
};

TEST_F(NsmTest, StatMonUnmonAnswerTheStateNumber) {
    auto [res, state] = smStat();
    EXPECT_EQ(res, 0u);
    EXPECT_EQ(state, 1) << "first start: the first odd number";
    std::vector<uint8_t> b(256);
    xdr::Writer w(b.data(), b.size());
    w.var("127.0.0.1");
    myId(w);
    w.fixed(std::string(16, 'p'));
    auto r = rawCall(1, 2, bytesOf(b, w), kNsm);  // SM_MON
    ASSERT_TRUE(r);
    ASSERT_EQ(r->acceptStat, 0u);
    ASSERT_EQ(r->results.size(), 8u);
    EXPECT_EQ(dfs::testing::be32(r->results, 0), 0u);
    EXPECT_EQ(dfs::testing::be32(r->results, 4), 1u);
    std::string file = stateFile();
    EXPECT_NE(file.find("state 1"), std::string::npos) << file;
    EXPECT_NE(file.find("127.0.0.1"), std::string::npos) << "SM_MON is persisted: " << file;
    std::vector<uint8_t> u(256);
    xdr::Writer uw(u.data(), u.size());
    uw.var("127.0.0.1");
    myId(uw);
    r = rawCall(1, 3, bytesOf(u, uw), kNsm);  // SM_UNMON
    ASSERT_TRUE(r);
    ASSERT_EQ(r->results.size(), 4u);
    EXPECT_EQ(dfs::testing::be32(r->results, 0), 1u);
    file = stateFile();
    EXPECT_EQ(file.find("127.0.0.1"), std::string::npos) << file;
    std::vector<uint8_t> a(256);
    xdr::Writer aw(a.data(), a.size());
    myId(aw);
    r = rawCall(1, 4, bytesOf(a, aw), kNsm);  // SM_UNMON_ALL
    ASSERT_TRUE(r);
    EXPECT_EQ(r->results.size(), 4u);
    // Malformed arguments.
    for (uint32_t proc : {1u, 2u, 3u, 4u, 6u}) {
        r = rawCall(1, proc, std::string(4, '\xff'), kNsm);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->acceptStat, 4u) << proc;
    }
    r = rawCall(1, 7, "", kNsm);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 3u);
}

TEST_F(NsmTest, UnmonDropsOnlyTheCallersRegistrations) {
    // SM_MON args for `name` with my_id proc `proc` (16 or 17: two callers' callbacks).
    auto mon = [](const std::string& name, uint32_t proc, bool withPriv) {
        std::vector<uint8_t> b(256);
        xdr::Writer w(b.data(), b.size());
        w.var(name);
        myId(w, proc);
        if (withPriv) {
            w.fixed(std::string(16, 'p'));
        }
        return bytesOf(b, w);
    };
    // Names are kept hex-encoded in the state file.
    auto hex = [](const std::string& n) {
        std::string out;
        for (unsigned char ch : n) {
            const char* d = "0123456789abcdef";
            out += d[ch >> 4];
            out += d[ch & 15];
        }
        return "host " + out + " ";
    };
    for (const char* h : {"monx", "mony"}) {
        ASSERT_TRUE(rawCall(1, 2, mon(h, 16, true), kNsm));  // SM_MON by caller 16
    }
    ASSERT_TRUE(rawCall(1, 2, mon("monx", 17, true), kNsm));  // and by caller 17
    std::string f = createFile("held");
    ASSERT_EQ(lock(kA, f, {0, 1}, true), NLM4_GRANTED);  // NLM monitors hostA itself
    ASSERT_NE(stateFile().find(hex("hostA")), std::string::npos) << stateFile();
    // SM_UNMON of monx by caller 16: caller 17 still wants it.
    auto r = rawCall(1, 3, mon("monx", 16, false), kNsm);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 0u);
    EXPECT_NE(stateFile().find(hex("monx")), std::string::npos) << stateFile();
    {
        // Its line keeps caller 17's registration (prog vers proc) and lost caller 16's.
        const std::string all = stateFile();
        const size_t at = all.find(hex("monx"));
        ASSERT_NE(at, std::string::npos);
        const std::string line = all.substr(at, all.find('\n', at) - at);
        EXPECT_EQ(line.find(" 100021 4 16 "), std::string::npos) << line;
        EXPECT_NE(line.find(" 100021 4 17 "), std::string::npos) << line;
    }
    // SM_UNMON of hostA by anyone: NLM still holds state for it.
    ASSERT_TRUE(rawCall(1, 3, mon("hostA", 16, false), kNsm));
    EXPECT_NE(stateFile().find(hex("hostA")), std::string::npos) << stateFile();
    // SM_UNMON_ALL by caller 16: mony (only 16's) goes; monx (17's) and hostA (NLM's) stay.
    std::vector<uint8_t> a(64);
    xdr::Writer aw(a.data(), a.size());
    myId(aw);
    r = rawCall(1, 4, bytesOf(a, aw), kNsm);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 0u);
    std::string after = stateFile();
    EXPECT_EQ(after.find(hex("mony")), std::string::npos) << after;
    EXPECT_NE(after.find(hex("monx")), std::string::npos) << after;
    EXPECT_NE(after.find(hex("hostA")), std::string::npos) << after;
}

TEST_F(NsmTest, RebootNoticeReleasesTheClientsLocks) {
    std::string f = createFile("notify");
    ASSERT_EQ(lock(kA, f, {0, 10}, true), NLM4_GRANTED);
    ASSERT_EQ(lock(kA, f, {50, 10}, true), NLM4_GRANTED);
    ASSERT_EQ(lock(kB, f, {0, 10}, true, true), NLM4_BLOCKED);
    std::string file = stateFile();
    EXPECT_NE(file.find("686f737441"), std::string::npos) << "hostA is monitored: " << file;
    auto r = rawCall(1, 6, statChange(kA.caller, 8), kNsm);  // SM_NOTIFY
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 0u);
    ReceivedCall call;
    ASSERT_TRUE(client_.waitFor(5, 1, &call)) << server_.log();
    HolderSeen h;
    EXPECT_EQ(test(kC, f, {0, 10}, false, &h), NLM4_DENIED);
    EXPECT_EQ(h.svid, kB.svid) << "the waiter got the lock";
    EXPECT_EQ(test(kC, f, {50, 10}, true), NLM4_GRANTED) << "hostA's other lock is gone";
    file = stateFile();
    EXPECT_EQ(file.find("686f737441"), std::string::npos) << "hostA is forgotten: " << file;
}

TEST_F(NsmTest, MonRegistrationIsCalledBackOnTheHostsRebootNotice) {
    std::vector<uint8_t> b(256);
    xdr::Writer w(b.data(), b.size());
    w.var("hostZ");
    myId(w);  // prog 100021, vers 4, proc 16
    w.fixed(std::string("0123456789abcdef"));
    auto r = rawCall(1, 2, bytesOf(b, w), kNsm);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->acceptStat, 0u);
    std::string file = stateFile();
    EXPECT_NE(file.find(" reg "), std::string::npos) << "the registration is persisted: " << file;
    r = rawCall(1, 6, statChange("hostZ", 9), kNsm);
    ASSERT_TRUE(r);
    ReceivedCall call;
    ASSERT_TRUE(client_.waitFor(16, 1, &call)) << server_.log();
    EXPECT_EQ(call.vers, 4u);
    xdr::Reader rd(reinterpret_cast<const uint8_t*>(call.args.data()), call.args.size());
    EXPECT_EQ(rd.var(1024), "hostZ");
    EXPECT_EQ(rd.i32(), 9);
    EXPECT_EQ(rd.fixed(16), "0123456789abcdef");
    EXPECT_TRUE(rd.ok() && rd.remaining() == 0);
    // Forgotten once told: a second notice calls nobody.
    r = rawCall(1, 6, statChange("hostZ", 11), kNsm);
    ASSERT_TRUE(r);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_EQ(client_.count(100021, 16), 1u);
}

TEST_F(NsmTest, ANoticeUnderAnotherNameReleasesOnlyTheHostThatLockedByAddress) {
    std::string f = createFile("byaddress");
    const Owner byAddr{"127.0.0.1", "owner-ip", 404};
    ASSERT_EQ(lock(byAddr, f, {0, 10}, true), NLM4_GRANTED);
    ASSERT_EQ(lock(kB, f, {20, 10}, true), NLM4_GRANTED);  // another client, same address
    auto r = rawCall(1, 6, statChange("client.example", 7), kNsm);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 0u);
    EXPECT_EQ(test(kC, f, {0, 10}, true), NLM4_GRANTED) << "the host that locked as 127.0.0.1 rebooted";
    EXPECT_EQ(test(kC, f, {20, 10}, true), NLM4_DENIED) << "hostB, also on 127.0.0.1, keeps its lock";
}

TEST_F(NsmTest, RestartNotifiesEveryMonitoredHostAndAdvancesTheState) {
    std::string f = createFile("restart");
    ASSERT_EQ(lock(kA, f, {0, 10}, true), NLM4_GRANTED);
    ASSERT_EQ(server_.stop(), 0);
    nlm_.reset();
    nfs_.reset();
    ASSERT_TRUE(server_.start()) << server_.log();
    connectAll();
    ReceivedCall call;
    ASSERT_TRUE(client_.waitForProg(kNsm, 6, 1, &call)) << server_.log();
    EXPECT_FALSE(call.tcp) << "SM_NOTIFY goes over UDP";
    xdr::Reader rd(reinterpret_cast<const uint8_t*>(call.args.data()), call.args.size());
    EXPECT_EQ(rd.var(1024), "dittofs-test");
    EXPECT_EQ(rd.i32(), 3) << "the next odd number";
    EXPECT_EQ(smStat().second, 3);
    ASSERT_TRUE(server_.waitFor("event=nsm_notified host=hostA", 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::string file = stateFile();
    EXPECT_EQ(file.find("686f737441"), std::string::npos) << "notified hosts leave the list: " << file;
    EXPECT_EQ(client_.count(kNsm, 6), 1u);
}

TEST_F(NsmTest, UnansweredNoticesAreRetriedAndBounded) {
    std::string f = createFile("silent");
    ASSERT_EQ(lock(kA, f, {0, 10}, true), NLM4_GRANTED);
    ASSERT_EQ(lock(kB, f, {20, 10}, true), NLM4_GRANTED);
    client_.setSilent(true);
    ASSERT_EQ(server_.stop(), 0);
    nlm_.reset();
    nfs_.reset();
    ASSERT_TRUE(server_.start()) << server_.log();
    // Both hosts are told at once, each three times (granted_attempts), then given up.
    ASSERT_TRUE(client_.waitForProg(kNsm, 6, 6, nullptr, 20000)) << server_.log();
    ASSERT_TRUE(server_.waitFor("event=nsm_notify_failed", 2, 10)) << server_.log();
    // Then no more: a UDP datagram may have been retransmitted within an attempt.
    size_t sent = client_.count(kNsm, 6);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(client_.count(kNsm, 6), sent);
    EXPECT_GE(sent, 6u);
    EXPECT_LE(sent, 12u);
}

TEST_F(NsmTest, SimulatedCrashReleasesAndNotifies) {
    std::string f = createFile("crash");
    ASSERT_EQ(lock(kA, f, {0, 10}, true), NLM4_GRANTED);
    auto r = rawCall(1, 5, "", kNsm);  // SM_SIMU_CRASH
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 0u);
    EXPECT_EQ(smStat().second, 3);
    ASSERT_TRUE(client_.waitForProg(kNsm, 6, 1, nullptr)) << server_.log();
    EXPECT_EQ(test(kB, f, {0, 10}, true), NLM4_GRANTED) << "the crash released hostA's lock";
}

}  // namespace
}  // namespace dfs::nlm::itest

namespace dfs::nlm::itest {
namespace {

class NlmGraceTest : public NlmTest {
protected:
    std::string storesSection() const override { return persistentStoresSection(); }
};

TEST_F(NlmGraceTest, AfterARestartOnlyReclaimsUntilEveryClientIsDone) {
    std::string f = createFile("grace");
    ASSERT_EQ(lock(kA, f, {0, 10}, true), NLM4_GRANTED);
    ASSERT_EQ(lock(kB, f, {100, 10}, false), NLM4_GRANTED);
    ASSERT_EQ(server_.stop(), 0);
    nlm_.reset();
    nfs_.reset();
    ASSERT_TRUE(server_.start()) << server_.log();
    connectAll();
    // Both hosts are told of the restart.
    ASSERT_TRUE(client_.waitForProg(100024, 6, 2, nullptr)) << server_.log();
    EXPECT_EQ(lock(kC, f, {200, 10}, true), NLM4_DENIED_GRACE_PERIOD) << "a new lock waits for the reclaims";
    EXPECT_EQ(test(kC, f, {200, 10}, true), NLM4_DENIED_GRACE_PERIOD);
    // hostA reclaims (LOCK with reclaim set, through a raw call: libnfs sets it 0).
    std::vector<uint8_t> b(512);
    xdr::Writer w(b.data(), b.size());
    w.var("rc");
    w.boolean(false);
    w.boolean(true);
    putLock(w, 4, kA, f, {0, 10});
    w.boolean(true);  // reclaim
    w.u32(3);
    auto r = rawCall(4, 2, bytesOf(b, w));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->acceptStat, 0u);
    EXPECT_EQ(dfs::testing::be32(r->results, 8), NLM4_GRANTED) << "a reclaim during grace";
    EXPECT_EQ(lock(kC, f, {200, 10}, true), NLM4_DENIED_GRACE_PERIOD) << "hostB has not reclaimed yet";
    // hostB's own reboot notice: it gives up its locks, so grace ends.
    r = rawCall(1, 6, statChange(kB.caller, 5), 100024);
    ASSERT_TRUE(r);
    EXPECT_EQ(lock(kC, f, {200, 10}, true), NLM4_GRANTED) << "grace over";
    EXPECT_EQ(lock(kC, f, {100, 10}, true), NLM4_GRANTED) << "hostB's old lock was not reclaimed";
    HolderSeen h;
    EXPECT_EQ(test(kC, f, {0, 10}, false, &h), NLM4_DENIED) << "hostA's reclaimed lock holds";
    EXPECT_EQ(h.svid, kA.svid);
}

}  // namespace
}  // namespace dfs::nlm::itest
