#include "rpc_portmap.hpp"

#include "rpc_msg.hpp"

#include "rpc_server.hpp"

#include <dittofs/cpp/xdr.hpp>

#include <ctime>
#include <functional>

namespace dfs::kernel::rpc {
namespace {

struct Reply {
    RpcServer& server;
    const dfs_rpc_call_t* call;
    dfs_err_t send(const std::function<void(xdr::Writer&)>& encode, size_t max) {
        dfs_buf_t b = server.replyBuffer(call->reply, max);
        xdr::Writer w(b);
        encode(w);
        if (!w.ok()) {
            return server.replySend(call->reply, DFS_RPC_SYSTEM_ERR, 0);
        }
        return server.replySend(call->reply, DFS_RPC_SUCCESS, w.size());
    }
    dfs_err_t status(dfs_rpc_accept_stat_t s) { return server.replySend(call->reply, s, 0); }
};

// rpcb: prog, vers, netid<>, addr<>, owner<>.
struct Rpcb {
    uint32_t prog = 0;
    uint32_t vers = 0;
    std::string_view netid;
};

bool decodeRpcb(xdr::Reader& r, Rpcb& out) {
    out.prog = r.u32();
    out.vers = r.u32();
    out.netid = r.var(255);
    r.var(255);  // addr
    r.var(255);  // owner
    return r.ok() && r.remaining() == 0;
}

dfs_err_t version2(Reply& rep, xdr::Reader& args) {
    switch (rep.call->proc) {
    case kPmapNull:
        return rep.send([](xdr::Writer&) {}, 0);
    case kPmapSet:
    case kPmapUnset: {
        for (int i = 0; i < 4; ++i) {
            args.u32();
        }
        if (!args.ok() || args.remaining() != 0) {
            return rep.status(DFS_RPC_GARBAGE_ARGS);
        }
        return rep.send([](xdr::Writer& w) { w.boolean(false); }, 4);
    }
    case kPmapGetport: {
        uint32_t prog = args.u32();
        uint32_t vers = args.u32();
        uint32_t prot = args.u32();
        args.u32();
        if (!args.ok() || args.remaining() != 0) {
            return rep.status(DFS_RPC_GARBAGE_ARGS);
        }
        uint32_t port = 0;
        for (const auto& m : rep.server.mappings()) {
            if (m.prog == prog && m.vers == vers && m.protocol == prot) {
                port = m.port;
            }
        }
        return rep.send([&](xdr::Writer& w) { w.u32(port); }, 4);
    }
    case kPmapDump: {
        if (args.remaining() != 0) {
            return rep.status(DFS_RPC_GARBAGE_ARGS);
        }
        auto maps = rep.server.mappings();
        return rep.send(
            [&](xdr::Writer& w) {
                for (const auto& m : maps) {
                    w.boolean(true);
                    w.u32(m.prog);
                    w.u32(m.vers);
                    w.u32(m.protocol);
                    w.u32(m.port);
                }
                w.boolean(false);
            },
            4 + maps.size() * 20);
    }
    default:
        return rep.status(DFS_RPC_PROC_UNAVAIL);
    }
}

dfs_err_t version34(Reply& rep, xdr::Reader& args) {
    const std::string local = rep.server.localAddressOf(rep.call->reply);
    switch (rep.call->proc) {
    case kRpcbNull:
        return rep.send([](xdr::Writer&) {}, 0);
    case kRpcbSet:
    case kRpcbUnset: {
        Rpcb b;
        if (!decodeRpcb(args, b)) {
            return rep.status(DFS_RPC_GARBAGE_ARGS);
        }
        return rep.send([](xdr::Writer& w) { w.boolean(false); }, 4);
    }
    case kRpcbGetaddr:
    case kRpcbGetversaddr: {
        Rpcb b;
        if (!decodeRpcb(args, b)) {
            return rep.status(DFS_RPC_GARBAGE_ARGS);
        }
        uint32_t proto = b.netid == "udp" || b.netid == "udp6" ? kIpProtoUdp : kIpProtoTcp;
        std::string addr;
        for (const auto& m : rep.server.mappings()) {
            bool versOk = m.vers == b.vers || (rep.call->proc == kRpcbGetaddr && addr.empty());
            if (m.prog == b.prog && m.protocol == proto && versOk) {
                addr = universalAddress(local, m.port);
                if (m.vers == b.vers) {
                    break;
                }
            }
        }
        return rep.send([&](xdr::Writer& w) { w.var(addr); }, 8 + addr.size());
    }
    case kRpcbDump: {
        if (args.remaining() != 0) {
            return rep.status(DFS_RPC_GARBAGE_ARGS);
        }
        auto maps = rep.server.mappings();
        size_t max = 4;
        for (const auto& m : maps) {
            max += 4 + 8 + 3 * 4 + 8 + 64 + m.name.size() + 8;
        }
        return rep.send(
            [&](xdr::Writer& w) {
                for (const auto& m : maps) {
                    w.boolean(true);
                    w.u32(m.prog);
                    w.u32(m.vers);
                    w.var(m.protocol == kIpProtoUdp ? "udp" : "tcp");
                    w.var(universalAddress(local, m.port));
                    w.var(std::string_view("dittofs"));
                }
                w.boolean(false);
            },
            max);
    }
    case kRpcbGettime:
        return rep.send([](xdr::Writer& w) { w.u32(static_cast<uint32_t>(std::time(nullptr))); }, 4);
    default:
        return rep.status(DFS_RPC_PROC_UNAVAIL);
    }
}

}  // namespace

dfs_err_t portmapDispatch(void* inst, const dfs_rpc_call_t* call) {
    Reply rep{*static_cast<RpcServer*>(inst), call};
    xdr::Reader args(call->args);
    return call->vers == 2 ? version2(rep, args) : version34(rep, args);
}

}  // namespace dfs::kernel::rpc
