// The C table dfs_host_rpc_t over the kernel's RpcServer; `ctx` is the calling plugin's
// HostContext, which also identifies the owner of its registrations.
#include "../host_api.hpp"
#include "rpc_client.hpp"
#include "rpc_server.hpp"

#include <dittofs/cpp/views.hpp>

namespace dfs::kernel {
namespace {

rpc::RpcServer* serverOf(void* ctx) {
    auto* h = HostContext::from(ctx);
    return h != nullptr && h->services() != nullptr ? h->services()->rpc : nullptr;
}

const dfs_host_rpc_t kRpc = [] {
    auto t = makeStruct<dfs_host_rpc_t>();
    t.register_program = [](void* ctx, const dfs_rpc_program_t* p, uint32_t* tcp, uint32_t* udp) {
        auto* s = serverOf(ctx);
        if (s == nullptr) {
            return dfs_err_t{DFS_ERR_SHUTDOWN, 0};
        }
        if (p == nullptr) {
            return dfs_err_t{DFS_ERR_INVAL, 0};
        }
        return s->registerProgram(ctx, copyStruct(p), tcp, udp);
    };
    t.unregister_program = [](void* ctx, uint32_t prog, uint32_t low, uint32_t high) {
        auto* s = serverOf(ctx);
        return s == nullptr ? dfs_err_t{DFS_ERR_SHUTDOWN, 0} : s->unregisterProgram(ctx, prog, low, high);
    };
    t.reply_buffer = [](void* ctx, void* reply, uint64_t size) {
        auto* s = serverOf(ctx);
        return s == nullptr ? dfs_buf_t{nullptr, 0} : s->replyBuffer(reply, size);
    };
    t.reply_send = [](void* ctx, void* reply, dfs_rpc_accept_stat_t stat, uint64_t len) {
        auto* s = serverOf(ctx);
        return s == nullptr ? dfs_err_t{DFS_ERR_SHUTDOWN, 0} : s->replySend(reply, stat, len);
    };
    t.reply_send_lent = [](void* ctx, void* reply, uint64_t len, const dfs_lent_t* lent) {
        LentBytes owned(lent == nullptr ? dfs_lent_t{} : *lent);  // released on every path
        auto* s = serverOf(ctx);
        return s == nullptr ? dfs_err_t{DFS_ERR_SHUTDOWN, 0} : s->replySendLent(reply, len, std::move(owned));
    };
    t.call = [](void* ctx, const dfs_rpc_target_t* target, dfs_bytes_t args, dfs_rpc_done_fn done, void* arg) {
        auto* h = HostContext::from(ctx);
        rpc::RpcClient* client = h != nullptr && h->services() != nullptr ? h->services()->rpcClient : nullptr;
        if (client == nullptr) {
            return dfs_err_t{DFS_ERR_SHUTDOWN, 0};
        }
        if (target == nullptr || done == nullptr) {
            return dfs_err_t{DFS_ERR_INVAL, 0};
        }
        auto t = copyStruct(target);
        rpc::CallTarget ct;
        ct.transport = t.transport == DFS_RPC_TCP ? DFS_RPC_TCP : DFS_RPC_UDP;
        ct.address = std::string(toView(t.address));
        ct.port = t.port;
        ct.prog = t.prog;
        ct.vers = t.vers;
        ct.proc = t.proc;
        ct.timeoutMs = t.timeout_ms == 0 ? 10000 : t.timeout_ms;
        client->call(ct, rpc::CallAuth{}, std::string(toStringView(args)),
                     [done, arg](dfs_err_t st, uint32_t accept, std::string results) {
                         done(arg, st, static_cast<dfs_rpc_accept_stat_t>(accept), toBytes(results));
                     });
        return dfs_err_t{DFS_OK, 0};
    };
    return t;
}();

}  // namespace

const dfs_host_rpc_t* rpcTable() { return &kRpc; }

}  // namespace dfs::kernel
