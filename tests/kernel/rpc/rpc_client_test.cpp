// The kernel's RPC client against the kernel's RPC server, in process: UDP and TCP, an
// explicit port and a portmapper lookup, and the failures a callback meets (nobody
// listening, a refused connection, an unknown program).
#include "src/rpc/rpc_client.hpp"
#include "src/rpc/rpc_server.hpp"
#include "src/runtime.hpp"

#include <dittofs/cpp/result.hpp>
#include <dittofs/cpp/views.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <future>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dfs::kernel::rpc {
namespace {

constexpr uint32_t kEchoProg = 0x20000123;

dfs_err_t echo(void* inst, const dfs_rpc_call_t* call) {
    auto* server = static_cast<RpcServer*>(inst);
    dfs_buf_t b = server->replyBuffer(call->reply, call->args.len);
    if (call->args.len > 0) {
        std::memcpy(b.ptr, call->args.ptr, call->args.len);
    }
    return server->replySend(call->reply, DFS_RPC_SUCCESS, call->args.len);
}

uint32_t anyFlavor(void*, dfs_flavor_t* out, uint32_t max) {
    if (max < 2) {
        return 0;
    }
    out[0] = DFS_FLAVOR_SYS;
    out[1] = DFS_FLAVOR_NONE;
    return 2;
}

dfs_err_t acceptAll(void*, dfs_flavor_t f, dfs_bytes_t, dfs_bytes_t, dfs_cred_t* c) {
    c->flavor = f;
    return dfs_err_t{DFS_OK, 0};
}

struct Outcome {
    dfs_err_t status;
    uint32_t accept;
    std::string results;
};

class RpcClientTest : public ::testing::Test {
protected:
    void SetUp() override {
        runtime_.start();
        RpcConfig cfg;
        cfg.bind = "127.0.0.1";
        cfg.portmapPort = 0;
        server_ = std::make_unique<RpcServer>(runtime_, cfg);
        std::string err;
        ASSERT_TRUE(server_->start(err)) << err;
        auto ops = makeStruct<dfs_auth_ops_t>();
        ops.flavors = &anyFlavor;
        ops.verify = &acceptAll;
        server_->registerAuth(&owner_, ops, nullptr);
        auto p = makeStruct<dfs_rpc_program_t>();
        p.prog = kEchoProg;
        p.vers_low = 1;
        p.vers_high = 1;
        p.name = "echo";
        p.dispatch = &echo;
        p.inst = server_.get();
        ASSERT_EQ(server_->registerProgram(&owner_, p, &tcp_, &udp_).code, DFS_OK);
        client_ = std::make_unique<RpcClient>(runtime_, server_->portmapPort());
    }
    void TearDown() override {
        server_->stop();
        runtime_.stop();
    }

    Outcome call(CallTarget t, std::string args = std::string("\0\0\0\x2a", 4)) {
        std::promise<Outcome> p;
        auto f = p.get_future();
        client_->call(t, CallAuth{}, std::move(args),
                      [&p](dfs_err_t st, uint32_t accept, std::string r) { p.set_value({st, accept, std::move(r)}); });
        EXPECT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready);
        return f.get();
    }

    CallTarget target(dfs_rpc_transport_t tr, uint32_t port, uint32_t prog = kEchoProg) const {
        CallTarget t;
        t.transport = tr;
        t.address = "127.0.0.1";
        t.port = port;
        t.prog = prog;
        t.vers = 1;
        t.proc = 1;
        t.timeoutMs = 3000;
        return t;
    }

    Runtime runtime_{2, 2, 256};
    int owner_ = 0;
    std::unique_ptr<RpcServer> server_;
    std::unique_ptr<RpcClient> client_;
    uint32_t tcp_ = 0;
    uint32_t udp_ = 0;
};

TEST_F(RpcClientTest, CallsOverUdpAndTcp) {
    for (auto tr : {DFS_RPC_UDP, DFS_RPC_TCP}) {
        Outcome o = call(target(tr, tr == DFS_RPC_UDP ? udp_ : tcp_));
        EXPECT_EQ(o.status.code, DFS_OK);
        EXPECT_EQ(o.accept, uint32_t{DFS_RPC_SUCCESS});
        EXPECT_EQ(o.results, std::string("\0\0\0\x2a", 4));
    }
}

TEST_F(RpcClientTest, FindsThePortThroughThePortmapper) {
    for (auto tr : {DFS_RPC_UDP, DFS_RPC_TCP}) {
        Outcome o = call(target(tr, 0));
        EXPECT_EQ(o.status.code, DFS_OK) << statusName(o.status.code);
        EXPECT_EQ(o.results, std::string("\0\0\0\x2a", 4));
    }
    Outcome none = call(target(DFS_RPC_UDP, 0, 0x20000999));
    EXPECT_EQ(none.status.code, DFS_ERR_NOENT) << "no such program registered";
}

TEST_F(RpcClientTest, ReportsWhatTheServerAnswered) {
    Outcome o = call(target(DFS_RPC_TCP, tcp_, 0x20000999));
    EXPECT_EQ(o.status.code, DFS_OK);
    EXPECT_EQ(o.accept, uint32_t{DFS_RPC_PROG_UNAVAIL});
}

TEST_F(RpcClientTest, NobodyListeningEndsInTimeOrRefusal) {
    // A port nobody listens on: bind one, note it, close it.
    uint32_t dead = 0;
    {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        dead = ntohs(a.sin_port);
        close(fd);
    }
    CallTarget t = target(DFS_RPC_UDP, dead);
    t.timeoutMs = 1500;
    auto start = std::chrono::steady_clock::now();
    Outcome o = call(t);
    EXPECT_EQ(o.status.code, DFS_ERR_DELAY);
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1400));
    Outcome refused = call(target(DFS_RPC_TCP, dead));
    EXPECT_EQ(refused.status.code, DFS_ERR_IO);
}

}  // namespace
}  // namespace dfs::kernel::rpc
