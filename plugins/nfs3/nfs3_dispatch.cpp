// The dispatch tables of NFSv3 (RFC 1813 section 3) and MOUNT v3 (appendix I): for each
// procedure its name, handler, whether it modifies state, and the largest reply it can
// produce (0: the handler sizes its own, from the arguments: READ, READDIR, DUMP...).
//
// `modifies` marks the procedures the kernel's duplicate request cache must answer from
// its copy when a call is retransmitted, because doing them twice is not harmless: a
// second REMOVE, RMDIR, RENAME or exclusive-less CREATE/MKDIR/SYMLINK/MKNOD/LINK fails
// where the first succeeded (NOENT, EXIST), and a second SETATTR or WRITE may undo a
// change made in between (a truncate, or a later write to the same range; Linux nfsd
// caches both for this reason). COMMIT, READ and the lookups are idempotent and are not
// cached. MOUNT's MNT/UMNT only edit an advisory list and are safe to repeat.
#include "nfs3_ops.hpp"

#include <string>

namespace dfs::nfs3 {
namespace {

struct ProcEntry {
    const char* name;
    Handler handler;
    bool modifies;
    uint32_t replyBound;
};

constexpr uint32_t kStatus = 4;

const ProcEntry kNfsProcs[kNfsProcCount] = {
    /* 0 NULL        */ {"NULL", nfsNull, false, 0 + 4},
    /* 1 GETATTR     */ {"GETATTR", nfsGetattr, false, kStatus + kFattrSize},
    /* 2 SETATTR     */ {"SETATTR", nfsSetattr, true, kStatus + kWccMax},
    /* 3 LOOKUP      */ {"LOOKUP", nfsLookup, false, kStatus + 4 + kFhSize + 2 * kPostOpAttrMax},
    /* 4 ACCESS      */ {"ACCESS", nfsAccess, false, kStatus + kPostOpAttrMax + 4},
    /* 5 READLINK    */ {"READLINK", nfsReadlink, false, kStatus + kPostOpAttrMax + 4 + kPathDecodeMax},
    /* 6 READ        */ {"READ", nfsRead, false, 0},
    /* 7 WRITE       */ {"WRITE", nfsWrite, true, kStatus + kWccMax + 4 + 4 + kWriteVerfSize},
    /* 8 CREATE      */ {"CREATE", nfsCreate, true, kStatus + kPostOpFhMax + kPostOpAttrMax + kWccMax},
    /* 9 MKDIR       */ {"MKDIR", nfsMkdir, true, kStatus + kPostOpFhMax + kPostOpAttrMax + kWccMax},
    /* 10 SYMLINK    */ {"SYMLINK", nfsSymlink, true, kStatus + kPostOpFhMax + kPostOpAttrMax + kWccMax},
    /* 11 MKNOD      */ {"MKNOD", nfsMknod, true, kStatus + kPostOpFhMax + kPostOpAttrMax + kWccMax},
    /* 12 REMOVE     */ {"REMOVE", nfsRemove, true, kStatus + kWccMax},
    /* 13 RMDIR      */ {"RMDIR", nfsRmdir, true, kStatus + kWccMax},
    /* 14 RENAME     */ {"RENAME", nfsRename, true, kStatus + 2 * kWccMax},
    /* 15 LINK       */ {"LINK", nfsLink, true, kStatus + kPostOpAttrMax + kWccMax},
    /* 16 READDIR    */ {"READDIR", nfsReaddir, false, 0},
    /* 17 READDIRPLUS*/ {"READDIRPLUS", nfsReaddirplus, false, 0},
    /* 18 FSSTAT     */ {"FSSTAT", nfsFsstat, false, kStatus + kPostOpAttrMax + 6 * 8 + 4},
    /* 19 FSINFO     */ {"FSINFO", nfsFsinfo, false, kStatus + kPostOpAttrMax + 7 * 4 + 8 + 8 + 4},
    /* 20 PATHCONF   */ {"PATHCONF", nfsPathconf, false, kStatus + kPostOpAttrMax + 6 * 4},
    /* 21 COMMIT     */ {"COMMIT", nfsCommit, false, kStatus + kWccMax + kWriteVerfSize},
};

const ProcEntry kMountProcs[kMountProcCount] = {
    /* 0 NULL    */ {"MNT_NULL", mountNull, false, 4},
    /* 1 MNT     */ {"MNT", mountMnt, false, kStatus + 4 + kFhSize + 4 + 2 * 4},
    /* 2 DUMP    */ {"DUMP", mountDump, false, 0},
    /* 3 UMNT    */ {"UMNT", mountUmnt, false, 4},
    /* 4 UMNTALL */ {"UMNTALL", mountUmntall, false, 4},
    /* 5 EXPORT  */ {"EXPORT", mountExport, false, 0},
};

template <size_t N>
uint64_t drcMask(const ProcEntry (&table)[N]) {
    uint64_t m = 0;
    for (size_t i = 0; i < N; ++i) {
        if (table[i].modifies) {
            m |= uint64_t{1} << i;
        }
    }
    return m;
}

template <size_t N>
dfs_err_t dispatch(const ProcEntry (&table)[N], const char* program, void* inst, const dfs_rpc_call_t* rpc) {
    auto* self = static_cast<Instance*>(inst);
    const Host& host = self->host();
    return guard(host, program, [&]() -> dfs_err_t {
        const dfs_host_rpc_t& kernel = self->rpc();
        if (rpc->proc >= N) {
            return kernel.reply_send(self->ctx(), rpc->reply, DFS_RPC_PROC_UNAVAIL, 0);
        }
        const ProcEntry& e = table[rpc->proc];
        Call c(*self, *rpc);
        Outcome o = Outcome::kSystemErr;
        if (e.replyBound == 0 || c.begin(e.replyBound)) {
            o = e.handler(c);
        }
        if (o == Outcome::kReplied && !c.out().ok()) {
            // A reply bound in the table is too small for what a handler wrote: our bug.
            host.error(std::string("event=nfs3_reply_overflow op=") + e.name);
            o = Outcome::kSystemErr;
        }
        if (host.logEnabled(DFS_LOG_DEBUG)) {
            host.debug(std::string("event=") + program + "_call xid=" + std::to_string(rpc->xid) + " op=" + e.name +
                       " client=" + std::string(c.clientAddr()) +
                       " status=" + (o == Outcome::kReplied ? std::to_string(c.status())
                                     : o == Outcome::kGarbage ? "garbage_args"
                                                              : "system_err"));
        }
        switch (o) {
        case Outcome::kReplied:
            if (!c.lent().empty()) {
                dfs_lent_t lent = c.lent().take();  // the kernel releases it
                return kernel.reply_send_lent(self->ctx(), rpc->reply, c.out().size(), &lent);
            }
            return kernel.reply_send(self->ctx(), rpc->reply, DFS_RPC_SUCCESS, c.out().size());
        case Outcome::kGarbage:
            return kernel.reply_send(self->ctx(), rpc->reply, DFS_RPC_GARBAGE_ARGS, 0);
        case Outcome::kSystemErr:
            return kernel.reply_send(self->ctx(), rpc->reply, DFS_RPC_SYSTEM_ERR, 0);
        }
        return dfs_err_t{DFS_ERR_SERVERFAULT, 0};
    });
}

void shareIdSink(void* ctx, const dfs_share_info_t* share) {
    if (share != nullptr) {
        *static_cast<uint64_t*>(ctx) = share->share_id;
    }
}

}  // namespace

bool Call::begin(size_t size) {
    const dfs_host_rpc_t& kernel = inst_.rpc();
    buf_ = kernel.reply_buffer(inst_.ctx(), rpc_.reply, size);
    if (buf_.ptr == nullptr || buf_.len < size) {
        buf_ = dfs_buf_t{nullptr, 0};
        out_ = xdr::Writer();
        begun_ = false;
        return false;
    }
    out_ = xdr::Writer(buf_);
    begun_ = true;
    return true;
}

// fsid is the share's id. share_of takes no credential, so on a share restricted to some
// clients the VFS cannot place the handle for us and fsid is 0 for every object of that
// share: still one value per share, which is what clients need (docs/CONFORMANCE.md).
uint64_t Call::fsid() {
    if (!haveFsid_ && primary_ != nullptr && inst_.vfs().share_of != nullptr) {
        uint64_t id = 0;
        if (inst_.vfs().share_of(inst_.ctx(), primary_, shareIdSink, &id).code == DFS_OK) {
            fsid_ = id;
        }
        haveFsid_ = true;
    }
    return fsid_;
}

dfs_err_t dispatchNfs(void* inst, const dfs_rpc_call_t* call) { return dispatch(kNfsProcs, "nfs3", inst, call); }
dfs_err_t dispatchMount(void* inst, const dfs_rpc_call_t* call) { return dispatch(kMountProcs, "mount3", inst, call); }
uint64_t nfsDrcProcs() { return drcMask(kNfsProcs); }
uint64_t mountDrcProcs() { return drcMask(kMountProcs); }

}  // namespace dfs::nfs3
