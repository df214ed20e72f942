// One RPC call as the NFSv3 and MOUNT handlers see it: the caller's credential, the
// arguments, the reply being built in the kernel's reply buffer, and the fsid that every
// fattr3 of the reply carries. Handlers decode, call the VFS, encode, and return an
// Outcome; the dispatcher (nfs3_dispatch.cpp) sends the reply and logs.
#pragma once

#include "nfs3_instance.hpp"
#include "nfs3_status.hpp"
#include "nfs3_xdr.hpp"

#include <dittofs/cpp/lent.hpp>
#include <dittofs/cpp/views.hpp>
#include <dittofs/cpp/xdr.hpp>

namespace dfs::nfs3 {

enum class Outcome {
    kReplied,    // results are in out(); the dispatcher sends them
    kGarbage,    // the arguments did not decode: GARBAGE_ARGS
    kSystemErr,  // no reply buffer could be had: SYSTEM_ERR
};

inline dfs_attr_t noAttr() { return makeStruct<dfs_attr_t>(); }
inline dfs_wcc_t noWcc() { return makeStruct<dfs_wcc_t>(); }

class Call {
public:
    Call(Instance& inst, const dfs_rpc_call_t& rpc) : inst_(inst), rpc_(rpc) {}

    Instance& inst() { return inst_; }
    const Settings& settings() const { return inst_.settings(); }
    const dfs_rpc_call_t& rpc() const { return rpc_; }
    const dfs_cred_t* cred() const { return rpc_.cred; }
    dfs_bytes_t args() const { return rpc_.args; }
    const dfs_host_vfs_t& vfs() const { return inst_.vfs(); }
    void* ctx() const { return inst_.ctx(); }
    std::string_view clientAddr() const {
        return rpc_.cred == nullptr ? std::string_view{} : toView(rpc_.cred->client_addr);
    }

    // Gets a reply buffer of at least `size` bytes from the kernel and starts writing at
    // its beginning (again, if called twice). False when the transport cannot carry it.
    bool begin(size_t size);
    bool begun() const { return begun_; }
    xdr::Writer& out() { return out_; }
    // Starts over in the buffer already obtained (an error after a partial encode).
    void restart() { out_ = xdr::Writer(buf_); }

    // The handle whose share gives fsid for the reply's attributes; every object of one
    // call is on one share (cross-share LINK and RENAME fail with XDEV).
    void setPrimary(const dfs_fh_t* fh) { primary_ = fh; }
    uint64_t fsid();

    // The nfsstat3/mountstat3 answered, for the debug log.
    void putStatus(uint32_t st) {
        status_ = st;
        out_.u32(st);
    }
    uint32_t status() const { return status_; }

    void putAttr(const dfs_attr_t& a) { encodePostOpAttr(out_, a, fsid()); }
    // The opening of FSINFO and PATHCONF results: the object's status and post-op
    // attributes. True when the object was found (the caller writes the rest).
    bool putObjectStatus(const dfs_fh_t& fh) {
        setPrimary(&fh);
        dfs_attr_t attr = noAttr();
        dfs_err_t e = vfs().getattr(ctx(), cred(), &fh, &attr);
        putStatus(toNfsStat3(e.code));
        putAttr(attr);
        return e.code == DFS_OK;
    }
    void putWcc(const dfs_wcc_t& w) { encodeWcc(out_, w, fsid()); }

    // Lent results (READ data): the kernel can send bytes a store lends after out(), and
    // the VFS can lend them (ABI 1.7, TCP only: a datagram is small enough to copy).
    bool canLend() const {
        return rpc_.transport == DFS_RPC_TCP && vfs().read_lend != nullptr && inst_.rpc().reply_send_lent != nullptr;
    }
    // The reply is out() followed by `data` (padded to 4 by the kernel).
    void lend(LentBytes data) { lent_ = std::move(data); }
    LentBytes& lent() { return lent_; }

private:
    Instance& inst_;
    const dfs_rpc_call_t& rpc_;
    dfs_buf_t buf_{};
    xdr::Writer out_;
    bool begun_ = false;
    const dfs_fh_t* primary_ = nullptr;
    bool haveFsid_ = false;
    uint64_t fsid_ = 0;
    uint32_t status_ = 0;
    LentBytes lent_;  // released with the call unless sent
};

}  // namespace dfs::nfs3
