// The kernel's ONC RPC service seen from the wire (RFC 5531, RFC 1833): a dittofsd with
// the unix auth plugin and the C test protocol's RPC program, driven by a raw client
// that can send anything — good calls, every kind of bad one, fragments, garbage.
#include "dittofsd_process.hpp"

#include <dittofs/cpp/xdr.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace dfs::testing {
namespace {

constexpr uint32_t kTestProg = 0x20000099;
constexpr uint32_t kPortmap = 100000;

struct CallSpec {
    uint32_t xid = 1;
    uint32_t rpcvers = 2;
    uint32_t prog = kTestProg;
    uint32_t vers = 1;
    uint32_t proc = 0;
    uint32_t flavor = 1;  // AUTH_SYS
    std::string credBody;
    std::string args;
};

std::string authSys(uint32_t uid, uint32_t gid, uint32_t ngroups = 0) {
    std::vector<uint8_t> b(64 + 4 * ngroups);
    xdr::Writer w(b.data(), b.size());
    w.u32(0);
    w.var("client");
    w.u32(uid);
    w.u32(gid);
    w.u32(ngroups);
    for (uint32_t i = 0; i < ngroups; ++i) {
        w.u32(100 + i);
    }
    return std::string(reinterpret_cast<char*>(b.data()), w.size());
}

std::string encodeCall(const CallSpec& c) {
    std::vector<uint8_t> b(64 + c.credBody.size() + c.args.size());
    xdr::Writer w(b.data(), b.size());
    w.u32(c.xid);
    w.u32(0);
    w.u32(c.rpcvers);
    w.u32(c.prog);
    w.u32(c.vers);
    w.u32(c.proc);
    w.u32(c.flavor);
    w.var(c.credBody);
    w.u32(0);
    w.u32(0);
    w.fixed(c.args);  // already XDR (a multiple of 4 bytes)
    return std::string(reinterpret_cast<char*>(b.data()), w.size());
}

struct Reply {
    uint32_t xid = 0;
    uint32_t replyStat = 99;   // 0 accepted, 1 denied
    uint32_t acceptStat = 99;  // when accepted
    uint32_t rejectStat = 99;  // when denied
    uint32_t authStat = 99;
    uint32_t low = 0;
    uint32_t high = 0;
    std::string results;
};

std::optional<Reply> parseReply(const std::string& rec) {
    xdr::Reader r(reinterpret_cast<const uint8_t*>(rec.data()), rec.size());
    Reply out;
    out.xid = r.u32();
    if (r.u32() != 1) {
        return std::nullopt;
    }
    out.replyStat = r.u32();
    if (out.replyStat == 0) {
        r.u32();
        r.var(400);
        out.acceptStat = r.u32();
        if (out.acceptStat == 2) {
            out.low = r.u32();
            out.high = r.u32();
        }
        out.results = std::string(r.rest());
    } else {
        out.rejectStat = r.u32();
        if (out.rejectStat == 0) {
            out.low = r.u32();
            out.high = r.u32();
        } else {
            out.authStat = r.u32();
        }
    }
    if (!r.ok()) {
        return std::nullopt;
    }
    return out;
}

class Client {
public:
    Client(int port, bool tcp) : tcp_(tcp) {
        fd_ = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
        timeval tv{5, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~Client() { close(fd_); }
    bool connected() const { return connected_; }

    void sendRaw(const std::string& bytes) const { (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }

    // One record, split into fragments of `fragment` bytes (0: one fragment).
    void sendRecord(const std::string& rec, size_t fragment = 0) const {
        if (!tcp_) {
            sendRaw(rec);
            return;
        }
        size_t step = fragment == 0 ? rec.size() : fragment;
        size_t pos = 0;
        do {
            size_t n = std::min(step, rec.size() - pos);
            bool last = pos + n == rec.size();
            uint32_t mark = htonl((last ? 0x80000000u : 0) | static_cast<uint32_t>(n));
            std::string frag(reinterpret_cast<char*>(&mark), 4);
            frag += rec.substr(pos, n);
            sendRaw(frag);
            pos += n;
        } while (pos < rec.size());
    }

    // The next reply record, or nullopt on timeout / close.
    std::optional<std::string> receive() const {
        if (!tcp_) {
            std::string buf(65536, '\0');
            ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
            if (n <= 0) {
                return std::nullopt;
            }
            buf.resize(static_cast<size_t>(n));
            return buf;
        }
        std::string rec;
        for (;;) {
            uint32_t mark = 0;
            if (!readAll(reinterpret_cast<char*>(&mark), 4)) {
                return std::nullopt;
            }
            mark = ntohl(mark);
            std::string frag(mark & 0x7fffffffu, '\0');
            if (!readAll(frag.data(), frag.size())) {
                return std::nullopt;
            }
            rec += frag;
            if ((mark & 0x80000000u) != 0) {
                return rec;
            }
        }
    }

    std::optional<Reply> call(const CallSpec& c, size_t fragment = 0) const {
        sendRecord(encodeCall(c), fragment);
        auto rec = receive();
        return rec ? parseReply(*rec) : std::nullopt;
    }

private:
    bool readAll(char* p, size_t n) const {
        while (n > 0) {
            ssize_t k = ::recv(fd_, p, n, 0);
            if (k <= 0) {
                return false;
            }
            p += k;
            n -= static_cast<size_t>(k);
        }
        return true;
    }
    int fd_ = -1;
    bool tcp_;
    bool connected_ = false;
};

uint32_t be32(const std::string& s, size_t at) {
    return (uint32_t{static_cast<uint8_t>(s[at])} << 24) | (uint32_t{static_cast<uint8_t>(s[at + 1])} << 16) |
           (uint32_t{static_cast<uint8_t>(s[at + 2])} << 8) | static_cast<uint8_t>(s[at + 3]);
}

std::string u32s(std::initializer_list<uint32_t> v) {
    std::string out;
    for (uint32_t x : v) {
        uint32_t b = htonl(x);
        out.append(reinterpret_cast<char*>(&b), 4);
    }
    return out;
}

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

}  // namespace
}  // namespace dfs::testing
