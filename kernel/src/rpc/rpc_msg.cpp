#include "rpc_msg.hpp"

#include <dittofs/abi/rpc.h>
#include <dittofs/cpp/xdr.hpp>

#include <ctime>
#include <vector>

namespace dfs::kernel::rpc {

DecodeResult decodeCall(std::string_view record, CallHeader& out, std::optional<uint32_t>& xid) {
    xdr::Reader r(reinterpret_cast<const uint8_t*>(record.data()), record.size());
    out.xid = r.u32();
    if (!r.ok()) {
        return DecodeResult::notACall;
    }
    xid = out.xid;
    if (r.u32() != kCall || !r.ok()) {
        return DecodeResult::notACall;
    }
    out.rpcvers = r.u32();
    out.prog = r.u32();
    out.vers = r.u32();
    out.proc = r.u32();
    out.credFlavor = r.u32();
    out.credBody = r.var(kMaxAuthBody);
    out.verfFlavor = r.u32();
    out.verfBody = r.var(kMaxAuthBody);
    if (!r.ok()) {
        return DecodeResult::badHeader;
    }
    out.args = r.rest();
    return DecodeResult::ok;
}

std::string encodeCall(uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc, const CallAuth& a,
                       std::string_view args) {
    std::vector<uint8_t> b(128 + a.machine.size() + args.size());
    xdr::Writer w(b.data(), b.size());
    w.u32(xid);
    w.u32(kCall);
    w.u32(kRpcVersion);
    w.u32(prog);
    w.u32(vers);
    w.u32(proc);
    if (a.sys) {
        std::vector<uint8_t> cb(32 + a.machine.size());
        xdr::Writer c(cb.data(), cb.size());
        c.u32(static_cast<uint32_t>(std::time(nullptr)));
        c.var(a.machine);
        c.u32(a.uid);
        c.u32(a.gid);
        c.u32(0);
        w.u32(DFS_FLAVOR_SYS);
        w.var(cb.data(), c.size());
    } else {
        w.u32(DFS_FLAVOR_NONE);
        w.u32(0);
    }
    w.u32(DFS_FLAVOR_NONE);
    w.u32(0);
    w.fixed(args);
    return std::string(reinterpret_cast<char*>(b.data()), w.size());
}

std::string universalAddress(std::string_view host, uint32_t port) {
    return std::string(host) + "." + std::to_string((port >> 8) & 0xff) + "." + std::to_string(port & 0xff);
}

bool decodeReply(std::string_view record, ReplyHeader& out) {
    xdr::Reader r(reinterpret_cast<const uint8_t*>(record.data()), record.size());
    out.xid = r.u32();
    if (r.u32() != kReply || !r.ok()) {
        return false;
    }
    uint32_t stat = r.u32();
    if (stat != kMsgAccepted && stat != kMsgDenied) {
        return false;
    }
    out.denied = stat == kMsgDenied;
    if (out.denied) {
        return r.ok();
    }
    r.u32();  // verifier flavour
    r.var(kMaxAuthBody);
    out.acceptStat = r.u32();
    out.results = r.rest();
    return r.ok();
}

namespace {

size_t acceptedPrefix(xdr::Writer& w, uint32_t xid) {
    w.u32(xid);
    w.u32(kReply);
    w.u32(kMsgAccepted);
    w.u32(0);  // verifier: AUTH_NONE
    w.u32(0);  // empty body
    return w.size();
}

}  // namespace

size_t encodeAccepted(uint8_t* out, uint32_t xid, uint32_t acceptStat, uint32_t low, uint32_t high) {
    xdr::Writer w(out, kMaxReplyHeader);
    acceptedPrefix(w, xid);
    w.u32(acceptStat);
    if (acceptStat == DFS_RPC_PROG_MISMATCH) {
        w.u32(low);
        w.u32(high);
    }
    return w.size();
}

size_t encodeRpcMismatch(uint8_t* out, uint32_t xid) {
    xdr::Writer w(out, kMaxReplyHeader);
    w.u32(xid);
    w.u32(kReply);
    w.u32(kMsgDenied);
    w.u32(kRpcMismatch);
    w.u32(kRpcVersion);
    w.u32(kRpcVersion);
    return w.size();
}

size_t encodeAuthError(uint8_t* out, uint32_t xid, AuthStat why) {
    xdr::Writer w(out, kMaxReplyHeader);
    w.u32(xid);
    w.u32(kReply);
    w.u32(kMsgDenied);
    w.u32(kAuthError);
    w.u32(why);
    return w.size();
}

}  // namespace dfs::kernel::rpc
