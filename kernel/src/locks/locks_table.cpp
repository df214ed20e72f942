// The C table dfs_host_locks_t over the kernel's LockManager. A handle is resolved like
// any VFS call (its share, the client's network), then named to the manager by share id
// and inode, so every protocol's locks on one file meet in one place.
#include "../host_api.hpp"
#include "../log.hpp"
#include "../vfs.hpp"
#include "lock_manager.hpp"

#include <dittofs/cpp/views.hpp>

#include <cerrno>
#include <cstring>

namespace dfs::kernel {
namespace {

using locks::LockManager;

LockManager* managerOf(void* ctx) {
    auto* h = HostContext::from(ctx);
    return h != nullptr && h->services() != nullptr ? h->services()->locks : nullptr;
}

Vfs* vfsOf(void* ctx) {
    auto* h = HostContext::from(ctx);
    return h != nullptr && h->services() != nullptr ? h->services()->vfs : nullptr;
}

locks::LockOwner ownerOf(const dfs_lock_owner_t& o) {
    locks::LockOwner out;
    out.protocol = o.protocol == DFS_LOCK_SMB    ? locks::LockProtocol::smb
                   : o.protocol == DFS_LOCK_NFS4 ? locks::LockProtocol::nfs4
                                                 : locks::LockProtocol::nlm;
    out.clientId = std::string(toView(o.client));
    out.ownerId = std::string(toStringView(o.owner));
    out.pid = o.pid;
    return out;
}

dfs_lock_protocol_t protocolOf(locks::LockProtocol p) {
    return p == locks::LockProtocol::smb ? DFS_LOCK_SMB : p == locks::LockProtocol::nfs4 ? DFS_LOCK_NFS4 : DFS_LOCK_NLM;
}

struct Parsed {
    locks::FileKey file;
    locks::LockOwner owner;
    locks::ByteRange range;
    locks::LockType type = locks::LockType::read;
    uint32_t flags = 0;
};

// The file a handle names, checked like any VFS call (share, client network).
Result<locks::FileKey> fileOf(void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh) {
    Vfs* vfs = vfsOf(ctx);
    if (vfs == nullptr || managerOf(ctx) == nullptr) {
        return makeError(DFS_ERR_SHUTDOWN);
    }
    auto r = vfs->resolve(copyStruct(cred), fh);
    if (!r.ok()) {
        return r.error();
    }
    return locks::FileKey{r->share->id, r->ino};
}

// Resolves and converts a request; the error is what the plugin gets back.
Result<Parsed> parse(void* ctx, const dfs_cred_t* cred, const dfs_lock_args_t* in) {
    if (in == nullptr) {
        return makeError(DFS_ERR_INVAL);
    }
    dfs_lock_args_t a = copyStruct(in);
    auto file = fileOf(ctx, cred, a.fh);
    if (!file.ok()) {
        return file.error();
    }
    auto range = locks::makeRange(a.offset, a.length);
    if (!range.ok()) {
        return range.error();
    }
    if (a.type != DFS_LOCK_READ && a.type != DFS_LOCK_WRITE) {
        return makeError(DFS_ERR_INVAL);
    }
    Parsed p;
    p.file = *file;
    p.owner = ownerOf(copyStruct(&a.owner));
    p.range = *range;
    p.type = a.type == DFS_LOCK_WRITE ? locks::LockType::write : locks::LockType::read;
    p.flags = a.flags;
    return p;
}

// A share reservation request; the share bits are the kernel's kShare* bits.
Result<locks::ShareRequest> parseShare(void* ctx, const dfs_cred_t* cred, const dfs_share_args_t* in) {
    static_assert(uint32_t{DFS_SHARE_READ} == locks::kShareRead && uint32_t{DFS_SHARE_WRITE} == locks::kShareWrite &&
                  uint32_t{DFS_SHARE_DELETE} == locks::kShareDelete);
    if (in == nullptr) {
        return makeError(DFS_ERR_INVAL);
    }
    dfs_share_args_t a = copyStruct(in);
    auto file = fileOf(ctx, cred, a.fh);
    if (!file.ok()) {
        return file.error();
    }
    locks::ShareRequest req;
    req.file = *file;
    req.owner = ownerOf(copyStruct(&a.owner));
    req.access = a.access;
    req.deny = a.deny;
    req.block = (a.flags & DFS_LOCK_BLOCK) != 0;
    req.reclaim = (a.flags & DFS_LOCK_RECLAIM) != 0;
    return req;
}

const dfs_host_locks_t kLocks = [] {
    auto t = makeStruct<dfs_host_locks_t>();
    t.lock = [](void* ctx, const dfs_cred_t* cred, const dfs_lock_args_t* args, dfs_lock_done_fn done, void* arg,
                uint64_t* ticket) {
        auto p = parse(ctx, cred, args);
        if (!p.ok()) {
            return p.toC();
        }
        locks::LockRequest req;
        req.file = p->file;
        req.owner = p->owner;
        req.range = p->range;
        req.type = p->type;
        req.block = (p->flags & DFS_LOCK_BLOCK) != 0;
        req.reclaim = (p->flags & DFS_LOCK_RECLAIM) != 0;
        auto r = managerOf(ctx)->lock(req, [done, arg](uint64_t tk, Status st) {
            if (done != nullptr) {
                done(arg, tk, st.toC());
            }
        });
        if (!r.ok()) {
            return r.toC();
        }
        if (ticket != nullptr) {
            *ticket = r->ticket;
        }
        return r->pending ? dfs_err_t{DFS_PENDING, 0} : dfs_err_t{DFS_OK, 0};
    };
    t.test = [](void* ctx, const dfs_cred_t* cred, const dfs_lock_args_t* args, dfs_lock_conflict_t* conflict) {
        auto p = parse(ctx, cred, args);
        if (!p.ok()) {
            return p.toC();
        }
        auto r = managerOf(ctx)->test(p->file, p->owner, p->range, p->type);
        if (!r.ok()) {
            return r.toC();
        }
        if (!r->has_value()) {
            return dfs_err_t{DFS_OK, 0};
        }
        if (conflict != nullptr) {
            // The owner's views point into the manager's copy, alive for this call only.
            static thread_local locks::RangeLock held;
            held = **r;
            uint32_t size = conflict->struct_size == 0 ? static_cast<uint32_t>(sizeof *conflict) : conflict->struct_size;
            auto c = makeStruct<dfs_lock_conflict_t>();
            c.type = held.type == locks::LockType::write ? DFS_LOCK_WRITE : DFS_LOCK_READ;
            c.offset = held.range.offset();
            c.length = held.range.length();
            c.owner = makeStruct<dfs_lock_owner_t>();
            c.owner.protocol = protocolOf(held.owner.protocol);
            c.owner.client = toC(held.owner.clientId);
            c.owner.owner = toBytes(held.owner.ownerId);
            c.owner.pid = held.owner.pid;
            std::memcpy(conflict, &c, size < sizeof c ? size : sizeof c);
            conflict->struct_size = size;
        }
        return dfs_err_t{DFS_ERR_LOCKED, EAGAIN};
    };
    t.unlock = [](void* ctx, const dfs_cred_t* cred, const dfs_lock_args_t* args) {
        auto p = parse(ctx, cred, args);
        return p.ok() ? managerOf(ctx)->unlock(p->file, p->owner, p->range).toC() : p.toC();
    };
    t.cancel = [](void* ctx, uint64_t ticket) {
        LockManager* m = managerOf(ctx);
        return m == nullptr ? dfs_err_t{DFS_ERR_SHUTDOWN, 0} : m->cancel(ticket).toC();
    };
    t.cancel_matching = [](void* ctx, const dfs_cred_t* cred, const dfs_lock_args_t* args) {
        auto p = parse(ctx, cred, args);
        return p.ok() ? managerOf(ctx)->cancelMatching(p->file, p->owner, p->range, p->type).toC() : p.toC();
    };
    t.release_client = [](void* ctx, dfs_lock_protocol_t protocol, dfs_str_t client) {
        LockManager* m = managerOf(ctx);
        if (m == nullptr) {
            return dfs_err_t{DFS_ERR_SHUTDOWN, 0};
        }
        dfs_lock_owner_t o = makeStruct<dfs_lock_owner_t>();
        o.protocol = protocol;
        o.client = client;
        size_t n = m->releaseClient(locks::clientOf(ownerOf(o)));
        log::info("locks", "client_released", {{"client", std::string(toView(client))}, {"locks", std::to_string(n)}});
        return dfs_err_t{DFS_OK, 0};
    };
    t.in_grace = [](void* ctx) -> int32_t {
        LockManager* m = managerOf(ctx);
        return m != nullptr && m->inGrace() ? 1 : 0;
    };
    t.share_open = [](void* ctx, const dfs_cred_t* cred, const dfs_share_args_t* args, dfs_share_done_fn done,
                      void* arg, uint64_t* ticket, uint64_t* shareId) {
        auto req = parseShare(ctx, cred, args);
        if (!req.ok()) {
            return req.toC();
        }
        auto r = managerOf(ctx)->openShare(*req, [done, arg](uint64_t tk, Result<uint64_t> id) {
            if (done != nullptr) {
                done(arg, tk, id.toC(), id.ok() ? *id : 0);
            }
        });
        if (!r.ok()) {
            return r.toC();
        }
        if (ticket != nullptr) {
            *ticket = r->ticket;
        }
        if (shareId != nullptr) {
            *shareId = r->shareId;
        }
        return r->pending ? dfs_err_t{DFS_PENDING, 0} : dfs_err_t{DFS_OK, 0};
    };
    t.share_change = [](void* ctx, uint64_t shareId, uint32_t access, uint32_t deny) {
        LockManager* m = managerOf(ctx);
        return m == nullptr ? dfs_err_t{DFS_ERR_SHUTDOWN, 0} : m->changeShare(shareId, access, deny).toC();
    };
    t.share_close = [](void* ctx, uint64_t shareId) {
        LockManager* m = managerOf(ctx);
        return m == nullptr ? dfs_err_t{DFS_ERR_SHUTDOWN, 0} : m->closeShare(shareId).toC();
    };
    t.share_close_matching = [](void* ctx, const dfs_cred_t* cred, const dfs_share_args_t* args) {
        auto req = parseShare(ctx, cred, args);
        return req.ok() ? managerOf(ctx)->closeShareMatching(req->file, req->owner, req->access, req->deny).toC()
                        : req.toC();
    };
    return t;
}();

}  // namespace

const dfs_host_locks_t* locksTable() { return &kLocks; }

}  // namespace dfs::kernel
