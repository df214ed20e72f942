// Registration with the host's rpcbind ([rpc] portmapper = "system", or "auto" when the
// portmapper port is taken): a dittofsd with the C test protocol's program (two
// versions, TCP and UDP) against a fake rpcbind on a private AF_LOCAL socket that records
// every RPCBPROC_SET / UNSET (RFC 1833 section 2), and against Debian's real rpcbind.
#include "dittofsd_process.hpp"
#include "raw_rpc_client.hpp"

#include "src/rpc/rpc_msg.hpp"

#include <dittofs/cpp/xdr.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dfs::testing {
namespace {

struct RpcbCall {
    uint32_t proc = 0;
    uint32_t prog = 0;
    uint32_t vers = 0;
    std::string netid;
    std::string addr;
};

// An rpcbind that answers NULL, SET and UNSET (true) on a unix socket and remembers them.
class FakeRpcbind {
public:
    FakeRpcbind() {
        char tmpl[] = "/tmp/dfsrpcb-XXXXXX";
        dir_ = mkdtemp(tmpl);
        path_ = dir_ + "/rpcbind.sock";
        fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::strncpy(sa.sun_path, path_.c_str(), sizeof sa.sun_path - 1);
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
        EXPECT_EQ(::listen(fd_, 16), 0);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeRpcbind() {
        stop_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
        std::filesystem::remove_all(dir_);
    }
    const std::string& path() const { return path_; }
    std::vector<RpcbCall> calls() {
        std::lock_guard<std::mutex> g(mu_);
        return calls_;
    }
    // How many calls of procedure `proc` named program `prog`.
    size_t count(uint32_t proc, uint32_t prog) {
        std::lock_guard<std::mutex> g(mu_);
        return static_cast<size_t>(
            std::count_if(calls_.begin(), calls_.end(), [&](const RpcbCall& c) { return c.proc == proc && c.prog == prog; }));
    }

private:
    void serve() {
        while (!stop_) {
            int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) {
                return;
            }
            uint8_t mark[4];
            if (::recv(c, mark, 4, MSG_WAITALL) == 4) {
                std::string rec(kernel::rpc::decodeRecordMark(mark).len, '\0');
                if (::recv(c, rec.data(), rec.size(), MSG_WAITALL) == static_cast<ssize_t>(rec.size())) {
                    answer(c, rec);
                }
            }
            ::close(c);
        }
    }
    void answer(int c, const std::string& rec) {
        kernel::rpc::CallHeader h;
        std::optional<uint32_t> xid;
        if (kernel::rpc::decodeCall(rec, h, xid) != kernel::rpc::DecodeResult::ok) {
            return;
        }
        RpcbCall call;
        call.proc = h.proc;
        if (h.proc != 0) {
            xdr::Reader r(reinterpret_cast<const uint8_t*>(h.args.data()), h.args.size());
            call.prog = r.u32();
            call.vers = r.u32();
            call.netid = std::string(r.var(64));
            call.addr = std::string(r.var(128));
        }
        {
            std::lock_guard<std::mutex> g(mu_);
            calls_.push_back(call);
        }
        uint8_t hdr[kernel::rpc::kMaxReplyHeader];
        size_t n = kernel::rpc::encodeAccepted(hdr, h.xid, 0);
        std::string reply(reinterpret_cast<char*>(hdr), n);
        if (h.proc != 0) {
            reply += std::string("\0\0\0\1", 4);  // true
        }
        uint8_t out[4];
        kernel::rpc::encodeRecordMark(out, static_cast<uint32_t>(reply.size()));
        (void)::send(c, out, 4, MSG_NOSIGNAL);
        (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
    }

    std::string dir_;
    std::string path_;
    int fd_ = -1;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    std::mutex mu_;
    std::vector<RpcbCall> calls_;
};

std::string uaddr(const std::string& host, int port) {
    return host + "." + std::to_string((port >> 8) & 0xff) + "." + std::to_string(port & 0xff);
}

class RpcbindTest : public ::testing::Test {
protected:
    std::string config(const std::string& rpcExtra) const {
        return server_.serverSection("\"" DFS_TEST_PLUGIN_DIR "\", \"" DFS_TEST_FIXTURE_DIR "\"",
                                     "bind = \"127.0.0.1\"\n" + rpcExtra) +
               "[auth.unix]\n[protocol.testproto]\nrpc_port = 0\n";
    }

    DittofsdProcess server_{DFS_DITTOFSD};
};

TEST_F(RpcbindTest, SystemModeRegistersEveryVersionAndTransportAndUnregistersAtStop) {
    FakeRpcbind rpcb;
    server_.writeConfig(config("portmapper = \"system\"\nrpcbind_socket = \"" + rpcb.path() + "\"\n"));
    ASSERT_TRUE(server_.start()) << server_.log();
    int tcp = server_.port("testproto");
    int udp = server_.port("testproto", "udp");
    ASSERT_GT(tcp, 0);
    EXPECT_EQ(server_.port("portmapper"), -1) << "no built-in portmapper in system mode";
    std::vector<std::string> sets;
    for (const auto& c : rpcb.calls()) {
        if (c.proc == kernel::rpc::kRpcbSet && c.prog == kTestProg) {
            sets.push_back(std::to_string(c.vers) + " " + c.netid + " " + c.addr);
        }
    }
    EXPECT_EQ(sets, (std::vector<std::string>{"1 tcp " + uaddr("127.0.0.1", tcp), "1 udp " + uaddr("127.0.0.1", udp),
                                              "2 tcp " + uaddr("127.0.0.1", tcp), "2 udp " + uaddr("127.0.0.1", udp)}));
    EXPECT_EQ(rpcb.count(kernel::rpc::kRpcbUnset, kTestProg), 2u)
        << "each version cleared first (a registration left by a crashed run)";
    EXPECT_EQ(server_.stop(), 0);
    EXPECT_EQ(rpcb.count(kernel::rpc::kRpcbUnset, kTestProg), 4u) << "both versions unregistered at stop";
}

TEST_F(RpcbindTest, SystemModeWithoutAnRpcbindRefusesToStart) {
    server_.writeConfig(config("portmapper = \"system\"\nrpcbind_socket = \"" + (server_.dir() / "none.sock").string() +
                               "\"\n"));
    EXPECT_FALSE(server_.start(5));
    EXPECT_NE(server_.stop(), 0);
    EXPECT_NE(server_.log().find("no rpcbind answers at"), std::string::npos) << server_.log();
}

TEST_F(RpcbindTest, AutoModeUsesTheHostsRpcbindWhenThePortIsTaken) {
    FakeRpcbind rpcb;
    // Somebody else holds the portmapper port.
    int holder = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(holder, 1), 0);
    ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&a), &len), 0);
    int taken = ntohs(a.sin_port);
    std::string cfg = config("rpcbind_socket = \"" + rpcb.path() + "\"\n");
    cfg.replace(cfg.find("portmap_port = 0"), 16, "portmap_port = " + std::to_string(taken));
    server_.writeConfig(cfg);
    ASSERT_TRUE(server_.start()) << server_.log();
    EXPECT_NE(server_.log().find("event=portmapper mode=system"), std::string::npos) << server_.log();
    EXPECT_EQ(rpcb.count(kernel::rpc::kRpcbSet, kTestProg), 4u);
    EXPECT_EQ(server_.stop(), 0);
    // The same with "builtin": the taken port is an error.
    cfg.insert(cfg.find("rpcbind_socket"), "portmapper = \"builtin\"\n");
    server_.writeConfig(cfg);
    EXPECT_FALSE(server_.start(5));
    EXPECT_NE(server_.stop(), 0);
    ::close(holder);
}

// Debian's rpcbind (package rpcbind, installed by scripts/deps.sh test) takes SET and
// UNSET over its socket from root: what a client's GETPORT on port 111 then answers.
TEST_F(RpcbindTest, TheRealRpcbindServesOurPortsToClients) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to register with rpcbind";
    }
    // A running rpcbind accepts connections on its socket (a file left by one that
    // stopped does not).
    auto answers = [] {
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::strncpy(sa.sun_path, "/run/rpcbind.sock", sizeof sa.sun_path - 1);
        bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
        ::close(fd);
        return ok;
    };
    pid_t started = -1;
    if (!answers()) {
        ASSERT_EQ(::access("/usr/sbin/rpcbind", X_OK), 0) << "rpcbind is not installed (scripts/deps.sh test)";
        started = fork();
        if (started == 0) {
            execl("/usr/sbin/rpcbind", "rpcbind", "-f", static_cast<char*>(nullptr));
            _exit(127);
        }
        for (int i = 0; i < 100 && !answers(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    auto getport = [](uint32_t proto) -> int {
        std::vector<uint8_t> b(16);
        xdr::Writer w(b.data(), b.size());
        w.u32(kTestProg);
        w.u32(2);
        w.u32(proto);
        w.u32(0);
        Client c(111, true);
        CallSpec s;
        s.prog = kernel::rpc::kPortmapProgram;
        s.vers = 2;
        s.proc = kernel::rpc::kPmapGetport;
        s.xid = 7;
        s.flavor = 0;  // AUTH_NONE
        s.args = std::string(reinterpret_cast<char*>(b.data()), w.size());
        auto r = c.call(s);
        return r && r->acceptStat == 0 && r->results.size() == 4 ? static_cast<int>(be32(r->results, 0)) : -1;
    };
    server_.writeConfig(config("portmapper = \"system\"\n"));
    bool up = server_.start();
    int tcp = server_.port("testproto");
    int udp = server_.port("testproto", "udp");
    int seenTcp = getport(kernel::rpc::kIpProtoTcp);
    int seenUdp = getport(kernel::rpc::kIpProtoUdp);
    int stopped = server_.stop();
    int afterStop = getport(kernel::rpc::kIpProtoTcp);
    if (started > 0) {
        ::kill(started, SIGTERM);
        waitpid(started, nullptr, 0);
    }
    ASSERT_TRUE(up) << server_.log();
    EXPECT_EQ(server_.log().find("rpcbind_set_failed"), std::string::npos) << server_.log();
    EXPECT_EQ(seenTcp, tcp);
    EXPECT_EQ(seenUdp, udp);
    EXPECT_EQ(stopped, 0);
    EXPECT_EQ(afterStop, 0) << "unregistered at stop";
}

}  // namespace
}  // namespace dfs::testing
