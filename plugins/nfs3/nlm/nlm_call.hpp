// One NLM call as the handlers see it: the caller, the version (which decides 32- or
// 64-bit offsets and the status set), the arguments and the results being built. For a
// *_MSG procedure the results go back in a *_RES call to the client rather than in the
// reply (XNFS 10.3: the asynchronous procedures), so the buffer is then the call's own.
#pragma once

#include "nlm_instance.hpp"
#include "nlm_status.hpp"
#include "nlm_xdr.hpp"

#include <dittofs/cpp/views.hpp>
#include <dittofs/cpp/xdr.hpp>

#include <vector>

namespace dfs::nlm {

enum class Outcome {
    kReplied,    // results are in out(); the dispatcher sends them
    kGarbage,    // the arguments did not decode: GARBAGE_ARGS
    kSystemErr,  // no reply buffer could be had: SYSTEM_ERR
};

class Call {
public:
    Call(Instance& inst, const dfs_rpc_call_t& rpc, bool message) : inst_(inst), rpc_(rpc), message_(message) {}

    Instance& inst() { return inst_; }
    const dfs_rpc_call_t& rpc() const { return rpc_; }
    const dfs_cred_t* cred() const { return rpc_.cred; }
    dfs_bytes_t args() const { return rpc_.args; }
    uint32_t vers() const { return rpc_.vers; }
    bool message() const { return message_; }
    const dfs_host_locks_t& locks() const { return inst_.locks(); }
    void* ctx() const { return inst_.ctx(); }
    std::string_view clientAddr() const {
        return rpc_.cred == nullptr ? std::string_view{} : toView(rpc_.cred->client_addr);
    }

    // A results buffer of at least `size` bytes: the kernel's reply buffer, or for a
    // message our own. False when the transport cannot carry it.
    bool begin(size_t size) {
        if (message_) {
            own_.assign(size, 0);
            out_ = xdr::Writer(own_.data(), own_.size());
            return true;
        }
        dfs_buf_t b = inst_.rpc().reply_buffer(inst_.ctx(), rpc_.reply, size);
        if (b.ptr == nullptr || b.len < size) {
            return false;
        }
        out_ = xdr::Writer(b);
        return true;
    }
    xdr::Writer& out() { return out_; }
    std::string_view results() const {
        return std::string_view(reinterpret_cast<const char*>(own_.data()), out_.size());
    }

    // The nlm4_stats answered (mapped down for v1/v3 clients), for the reply and the log.
    uint32_t wireStat(uint32_t nlm4Stat) {
        status_ = forVersion(nlm4Stat, rpc_.vers);
        return status_;
    }
    uint32_t status() const { return status_; }

    // The lock manager's view of an NLM lock: false when the handle cannot be one of
    // ours (longer than any VFS handle), which the handler answers NLM4_STALE_FH.
    bool lockArgs(const Lock& l, bool exclusive, uint32_t flags, dfs_fh_t& fh, dfs_lock_args_t& out) const {
        if (!copyHandle(l.fh, fh)) {
            return false;
        }
        out = makeStruct<dfs_lock_args_t>();
        out.flags = flags;
        out.fh = &fh;
        out.owner = ownerOf(l.callerName, l.oh, l.svid);
        out.offset = l.offset;
        out.length = l.length;
        out.type = exclusive ? DFS_LOCK_WRITE : DFS_LOCK_READ;
        return true;
    }

    // The same for a SHARE or UNSHARE: the owner is caller_name and oh (no svid).
    bool shareArgs(const Share& sh, uint32_t flags, dfs_fh_t& fh, dfs_share_args_t& out) const {
        if (!copyHandle(sh.fh, fh)) {
            return false;
        }
        out = makeStruct<dfs_share_args_t>();
        out.flags = flags;
        out.fh = &fh;
        out.owner = ownerOf(sh.callerName, sh.oh, 0);
        out.access = sh.access;  // fsa_R/fsa_W are DFS_SHARE_READ/DFS_SHARE_WRITE
        out.deny = sh.mode;      // fsm_DR/fsm_DW likewise
        return true;
    }

    // What the waiter list keeps of a blocking request.
    BlockedRequest blocked(std::string_view cookie, bool exclusive, const Lock& l) const {
        BlockedRequest b;
        b.vers = rpc_.vers;
        b.transport = rpc_.transport;
        b.viaMsg = message_;
        b.cred = rpc_.cred != nullptr ? *rpc_.cred : makeStruct<dfs_cred_t>();
        b.clientAddr = std::string(clientAddr());
        b.cookie = std::string(cookie);
        b.callerName = std::string(l.callerName);
        b.fh = std::string(l.fh);
        b.oh = std::string(l.oh);
        b.svid = l.svid;
        b.offset = l.offset;
        b.length = l.length;
        b.exclusive = exclusive;
        return b;
    }

private:
    static bool copyHandle(std::string_view wire, dfs_fh_t& fh) {
        if (wire.size() > DFS_FH_MAX) {
            return false;
        }
        fh = dfs_fh_t{};
        fh.len = static_cast<uint32_t>(wire.size());
        std::memcpy(fh.data, wire.data(), wire.size());
        return true;
    }
    static dfs_lock_owner_t ownerOf(std::string_view callerName, std::string_view oh, uint32_t svid) {
        auto o = makeStruct<dfs_lock_owner_t>();
        o.protocol = DFS_LOCK_NLM;
        o.client = toC(callerName);
        o.owner = toBytes(oh);
        o.pid = svid;
        return o;
    }

    Instance& inst_;
    const dfs_rpc_call_t& rpc_;
    bool message_;
    std::vector<uint8_t> own_;
    xdr::Writer out_;
    uint32_t status_ = 0;
};

}  // namespace dfs::nlm
