// The kernel's ONC RPC service seen from the wire (RFC 5531, RFC 1833): a dittofsd with
// the unix auth plugin and the C test protocol's RPC program, driven by a raw client
// that can send anything — good calls, every kind of bad one, fragments, garbage.
#include "dittofsd_process.hpp"
#include "raw_rpc_client.hpp"

#include <dittofs/cpp/xdr.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace dfs::testing {
namespace {

class RpcTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        server_ = new DittofsdProcess(DFS_DITTOFSD);
        server_->writeConfig(server_->serverSection("\"" DFS_TEST_PLUGIN_DIR "\", \"" DFS_TEST_FIXTURE_DIR "\"",
                                                    "max_record = 1048576\n") +
                             "[auth.unix]\n[protocol.testproto]\nrpc_port = 0\n");
        ASSERT_TRUE(server_->start()) << server_->log();
        port_ = server_->port("testproto");
        udpPort_ = server_->port("testproto", "udp");
        pmap_ = server_->port("portmapper");
        ASSERT_GT(port_, 0) << server_->log();
        ASSERT_GT(udpPort_, 0);
        ASSERT_GT(pmap_, 0);
    }
    static void TearDownTestSuite() {
        EXPECT_EQ(server_->stop(), 0);
        // Every call ended, refused ones too: the stop did not wait for a call that was
        // counted in and never out.
        EXPECT_EQ(server_->log().find("calls_still_running"), std::string::npos) << server_->log();
        delete server_;
    }
    static CallSpec call(uint32_t proc, uint32_t xid) {
        CallSpec c;
        c.proc = proc;
        c.xid = xid;
        c.credBody = authSys(1000, 1000, 2);
        return c;
    }
    static inline DittofsdProcess* server_ = nullptr;
    static inline int port_ = 0;
    static inline int udpPort_ = 0;
    static inline int pmap_ = 0;
};

TEST_F(RpcTest, NullAndEchoOverTcpAndUdp) {
    for (bool tcp : {true, false}) {
        Client c(tcp ? port_ : udpPort_, tcp);
        ASSERT_TRUE(c.connected());
        auto r = c.call(call(0, 7));
        ASSERT_TRUE(r) << (tcp ? "tcp" : "udp");
        EXPECT_EQ(r->xid, 7u);
        EXPECT_EQ(r->replyStat, 0u);
        EXPECT_EQ(r->acceptStat, 0u);
        CallSpec e = call(1, 8);
        e.args = u32s({1, 2, 3});
        r = c.call(e);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->results, e.args);
    }
}

TEST_F(RpcTest, MultiFragmentRecordsAreReassembled) {
    Client c(port_, true);
    CallSpec e = call(1, 9);
    for (uint32_t i = 0; i < 1000; ++i) {
        e.args += u32s({i});
    }
    auto r = c.call(e, 7);  // 7-byte fragments: marks land mid-word
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 0u);
    EXPECT_EQ(r->results, e.args);
}

TEST_F(RpcTest, CredentialsAreVerifiedByTheAuthPlugin) {
    Client c(port_, true);
    auto r = c.call(call(4, 10));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->results.size(), 12u);
    EXPECT_EQ(be32(r->results, 0), 1000u);
    EXPECT_EQ(be32(r->results, 4), 1000u);
    EXPECT_EQ(be32(r->results, 8), 2u);
    // AUTH_NONE
    CallSpec none = call(4, 11);
    none.flavor = 0;
    none.credBody.clear();
    r = c.call(none);
    ASSERT_TRUE(r);
    EXPECT_EQ(be32(r->results, 0), 65534u);
    // 17 groups: malformed (gids<16>) -> AUTH_ERROR / AUTH_BADCRED
    CallSpec bad = call(4, 12);
    bad.credBody = authSys(1, 1, 17);
    r = c.call(bad);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->replyStat, 1u);
    EXPECT_EQ(r->rejectStat, 1u);
    EXPECT_EQ(r->authStat, 1u);
    // Trailing bytes after the credential's fields
    bad.credBody = authSys(1, 1) + u32s({0});
    r = c.call(bad);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->authStat, 1u);
    // A flavour nobody serves
    bad = call(0, 13);
    bad.flavor = 77;
    r = c.call(bad);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->replyStat, 1u);
    EXPECT_EQ(r->authStat, 1u);
}

TEST_F(RpcTest, EveryRpcErrorOfRfc5531) {
    Client c(port_, true);
    CallSpec s = call(0, 20);
    s.prog = 0x20000777;
    auto r = c.call(s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 1u) << "PROG_UNAVAIL";
    s = call(0, 21);
    s.vers = 9;
    r = c.call(s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 2u) << "PROG_MISMATCH";
    EXPECT_EQ(r->low, 1u);
    EXPECT_EQ(r->high, 2u);
    r = c.call(call(99, 22));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 3u) << "PROC_UNAVAIL";
    r = c.call(call(3, 23));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 5u) << "SYSTEM_ERR when a plugin fails without replying";
    r = c.call(call(5, 24));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 5u) << "SYSTEM_ERR for a reply no record can carry";
    s = call(0, 25);
    s.rpcvers = 3;
    r = c.call(s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->replyStat, 1u);
    EXPECT_EQ(r->rejectStat, 0u) << "RPC_MISMATCH";
    EXPECT_EQ(r->low, 2u);
    // A header cut inside the credential: GARBAGE_ARGS for that xid.
    std::string cut = encodeCall(call(0, 26)).substr(0, 30);
    c.sendRecord(cut);
    auto rec = c.receive();
    ASSERT_TRUE(rec);
    r = parseReply(*rec);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->xid, 26u);
    EXPECT_EQ(r->acceptStat, 4u) << "GARBAGE_ARGS";
    // The connection is still good.
    r = c.call(call(0, 27));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 0u);
}

TEST_F(RpcTest, APluginAnswersLaterWithWhatItsOwnCallBrought) {
    // RELAY: the plugin calls ECHO through the kernel's RPC client and replies when that
    // call completes (DFS_PENDING), on another thread.
    Client c(port_, true);
    CallSpec s = call(6, 90);
    s.args = u32s({static_cast<uint32_t>(udpPort_)});
    auto r = c.call(s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 0u);
    EXPECT_EQ(r->results, u32s({7}));
}

TEST_F(RpcTest, RetransmissionsAreAnsweredFromTheCache) {
    Client c(port_, true);
    auto first = c.call(call(2, 500));
    ASSERT_TRUE(first);
    auto again = c.call(call(2, 500));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->results, first->results) << "same xid: the cached reply, not a second execution";
    Client other(port_, true);  // a reconnect has another port: still the same client
    auto third = other.call(call(2, 500));
    ASSERT_TRUE(third);
    EXPECT_EQ(third->results, first->results);
    auto next = c.call(call(2, 501));
    ASSERT_TRUE(next);
    EXPECT_EQ(be32(next->results, 0), be32(first->results, 0) + 1);
}

TEST_F(RpcTest, OversizedAndGarbageStreamsCloseOnlyTheirConnection) {
    Client bystander(port_, true);
    ASSERT_TRUE(bystander.call(call(0, 40)));
    {
        Client big(port_, true);
        big.sendRaw(u32s({0x80000000u | (8u << 20)}));  // an 8 MiB record, over max_record
        EXPECT_FALSE(big.receive()) << "the connection is closed";
    }
    {
        Client junk(port_, true);
        junk.sendRaw(std::string(4096, '\xff'));
        EXPECT_FALSE(junk.receive());
    }
    {
        Client udp(udpPort_, false);
        udp.sendRaw("garbage!");
        udp.sendRaw(std::string(3, '\0'));
    }
    auto r = bystander.call(call(0, 41));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 0u);
    EXPECT_NE(server_->log().find("event=record_too_large"), std::string::npos);
}

TEST_F(RpcTest, PortmapperAndRpcbindKnowEveryProgram) {
    Client c(pmap_, true);
    CallSpec g = call(3, 60);  // PMAPPROC_GETPORT
    g.prog = kPortmap;
    g.vers = 2;
    g.args = u32s({kTestProg, 2, 6, 0});
    auto r = c.call(g);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->results.size(), 4u);
    EXPECT_EQ(be32(r->results, 0), static_cast<uint32_t>(port_));
    g.args = u32s({kTestProg, 2, 17, 0});
    r = c.call(g);
    ASSERT_TRUE(r);
    EXPECT_EQ(be32(r->results, 0), static_cast<uint32_t>(udpPort_));
    g.args = u32s({0x20000777, 1, 6, 0});
    r = c.call(g);
    ASSERT_TRUE(r);
    EXPECT_EQ(be32(r->results, 0), 0u) << "unknown program: port 0";
    CallSpec d = call(4, 61);  // PMAPPROC_DUMP
    d.prog = kPortmap;
    d.vers = 2;
    r = c.call(d);
    ASSERT_TRUE(r);
    EXPECT_GE(r->results.size(), 4u * 5 * 4);
    CallSpec set = call(1, 62);  // PMAPPROC_SET from the network: refused
    set.prog = kPortmap;
    set.vers = 2;
    set.args = u32s({123456, 1, 6, 999});
    r = c.call(set);
    ASSERT_TRUE(r);
    EXPECT_EQ(be32(r->results, 0), 0u);
    // rpcbind v3 GETADDR: a universal address "127.0.0.1.p1.p2"
    CallSpec ga = call(3, 63);
    ga.prog = kPortmap;
    ga.vers = 3;
    std::vector<uint8_t> b(128);
    xdr::Writer w(b.data(), b.size());
    w.u32(kTestProg);
    w.u32(1);
    w.var("tcp");
    w.var("");
    w.var("");
    ga.args.assign(reinterpret_cast<char*>(b.data()), w.size());
    r = c.call(ga);
    ASSERT_TRUE(r);
    xdr::Reader rr(reinterpret_cast<const uint8_t*>(r->results.data()), r->results.size());
    std::string uaddr(rr.var(64));
    EXPECT_EQ(uaddr, "127.0.0.1." + std::to_string(port_ >> 8) + "." + std::to_string(port_ & 0xff));
    CallSpec callit = call(5, 64);  // CALLIT: not offered
    callit.prog = kPortmap;
    callit.vers = 2;
    r = c.call(callit);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 3u);
}

TEST_F(RpcTest, ManyClientsAtOnce) {
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 16; ++t) {
        threads.emplace_back([t, &ok] {
            Client c(t % 2 == 0 ? port_ : udpPort_, t % 2 == 0);
            for (uint32_t i = 0; i < 200; ++i) {
                CallSpec e = call(1, 10000 + static_cast<uint32_t>(t) * 1000 + i);
                e.args = u32s({static_cast<uint32_t>(t), i});
                auto r = c.call(e);
                if (r && r->xid == e.xid && r->results == e.args) {
                    ++ok;
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(ok.load(), 16 * 200);
}

// A client that sends calls with large replies and never reads them fills its socket;
// the workers answering it must not all stay stuck on that connection: another client is
// still answered, and the server stops cleanly afterwards (tear-down checks the exit).
TEST_F(RpcTest, AClientThatStopsReadingLargeRepliesHoldsNoWorker) {
    Client stalled(port_, true);
    ASSERT_TRUE(stalled.connected());
    CallSpec big = call(1, 50000);
    big.args.assign(256 * 1024, 'x');  // echoed: a 256 KiB reply
    for (uint32_t i = 0; i < 48; ++i) {  // 12 MiB of replies, more than the socket buffers
        big.xid = 50000 + i;
        stalled.sendRecord(encodeCall(big));
    }
    Client other(port_, true);
    for (uint32_t i = 0; i < 20; ++i) {
        auto r = other.call(call(0, 60000 + i));
        ASSERT_TRUE(r) << "call " << i << " of another client was not answered";
        EXPECT_EQ(r->xid, 60000 + i);
    }
}

// A client that sends calls and never reads the replies: the server stops reading from it
// once a bounded amount of replies waits, instead of queueing them without limit.
TEST_F(RpcTest, RepliesAClientDoesNotReadAreBounded) {
    Client flood(port_, true);
    ASSERT_TRUE(flood.connected());
    const int fd = flood.fd();
    CallSpec echo = call(1, 70000);
    echo.args.assign(32 * 1024, 'y');  // a 32 KiB reply each: below the large-reply size
    std::string rec = encodeCall(echo);
    uint32_t mark = htonl(0x80000000u | static_cast<uint32_t>(rec.size()));
    rec.insert(0, reinterpret_cast<const char*>(&mark), 4);
    constexpr uint64_t kLimit = uint64_t{256} << 20;
    uint64_t sent = 0;
    bool closedByServer = false;  // bounding is pausing reading, not dropping the client
    while (sent < kLimit) {
        ssize_t n = ::send(fd, rec.data(), rec.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n == static_cast<ssize_t>(rec.size())) {
            sent += rec.size();
            continue;
        }
        if (n > 0) {  // finish the record, however long it takes
            sent += static_cast<uint64_t>(n);
            size_t off = static_cast<size_t>(n);
            pollfd p{fd, POLLOUT, 0};
            while (off < rec.size() && ::poll(&p, 1, 3000) > 0) {
                ssize_t m = ::send(fd, rec.data() + off, rec.size() - off, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (m > 0) {
                    off += static_cast<size_t>(m);
                    sent += static_cast<uint64_t>(m);
                } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                    closedByServer = true;
                    break;
                }
            }
            if (off < rec.size()) {
                break;
            }
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            closedByServer = true;
            break;
        }
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, 2000) <= 0) {
            break;  // the server stopped reading
        }
    }
    EXPECT_FALSE(closedByServer) << "the server closed a client that only read slowly";
    EXPECT_LT(sent, uint64_t{96} << 20) << "the server kept reading calls whose replies nobody reads";
    // It still serves others.
    Client other(port_, true);
    auto r = other.call(call(0, 70001));
    ASSERT_TRUE(r);
}

// Lent bytes (reply_send_lent): the LENT procedure answers n, then n bytes lent from a
// mapping of a file that holds byte i = i % 251 and is cut to `keep` bytes before the
// reply goes out. The bytes up to the cut arrive as they were, the rest as zeros (the
// send faults there: a zero-filled, whole record, not a dead connection or a crash), the
// record is padded to 4 bytes, and every lent range is released once sent.
std::string lentCall(uint32_t n, uint32_t keep) { return u32s({n, keep}); }

void expectLentReply(const std::optional<Reply>& r, uint32_t n, uint32_t keep, const char* where) {
    ASSERT_TRUE(r) << where;
    ASSERT_EQ(r->acceptStat, 0u) << where;
    ASSERT_EQ(r->results.size(), 4 + ((n + 3) & ~3u)) << where;
    EXPECT_EQ(be32(r->results, 0), n) << where;
    uint32_t wrong = 0;
    for (uint32_t i = 0; i < ((n + 3) & ~3u); ++i) {
        const auto want = static_cast<uint8_t>(i < keep && i < n ? i % 251 : 0);
        wrong += static_cast<uint8_t>(r->results[4 + i]) != want ? 1 : 0;
    }
    EXPECT_EQ(wrong, 0u) << where << ": n=" << n << " keep=" << keep;
}

// How many lent ranges the test protocol has not had released; nullopt when it did not
// answer.
std::optional<uint32_t> lentOutstanding(int port) {
    Client c(port, true);
    CallSpec q;
    q.proc = 8;
    q.xid = 99999;
    q.credBody = authSys(1000, 1000, 2);
    auto r = c.call(q);
    if (!r || r->results.size() != 4) {
        return std::nullopt;
    }
    return be32(r->results, 0);
}

bool lentAllReleased(int port) {
    for (int i = 0; i < 100; ++i) {
        if (lentOutstanding(port) == 0u) {
            return true;
        }
        usleep(20000);
    }
    return false;
}

TEST_F(RpcTest, LentBytesAreSentWithZerosWhereTheyFault) {
    Client c(port_, true);
    struct Case {
        uint32_t n;
        uint32_t keep;
    };
    // Whole; cut mid-page; cut at 0; odd lengths (padding). (Records are at most 1 MiB.)
    for (Case k : {Case{100001, 100001}, Case{1000001, 300100}, Case{70000, 0}, Case{4099, 4098},
                   Case{1000003, 4096}}) {
        CallSpec l = call(7, 80000 + k.n % 1000);
        l.args = lentCall(k.n, k.keep);
        expectLentReply(c.call(l), k.n, k.keep, "tcp");
    }
    // The connection is still good for other calls.
    auto r = c.call(call(0, 80999));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 0u);
    // A datagram: the whole reply again as zeros past the cut.
    Client u(udpPort_, false);
    CallSpec l = call(7, 81000);
    l.args = lentCall(20003, 5000);
    expectLentReply(u.call(l), 20003, 5000, "udp");
    EXPECT_TRUE(lentAllReleased(port_));
}

TEST_F(RpcTest, LentBytesOfAClientThatLeftAreReleased) {
    {
        Client gone(port_, true);
        ASSERT_TRUE(gone.connected());
        for (uint32_t i = 0; i < 32; ++i) {  // 32 MB of replies it never reads
            CallSpec l = call(7, 82000 + i);
            l.args = lentCall(1000000, 1000000);
            gone.sendRecord(encodeCall(l));
        }
        // Held while the replies wait for a client that does not read them.
        uint32_t held = 0;
        for (int i = 0; i < 100 && held == 0; ++i) {
            usleep(10000);
            auto n = lentOutstanding(port_);
            ASSERT_TRUE(n) << "the count of lent ranges was not answered";
            held = *n;
        }
        EXPECT_GT(held, 0u) << "the replies were lent";
    }
    EXPECT_TRUE(lentAllReleased(port_)) << lentOutstanding(port_).value_or(UINT32_MAX) << " lent ranges still held";
}

}  // namespace
}  // namespace dfs::testing
