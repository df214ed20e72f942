// The C tables dfs_host_vfs_t and dfs_host_identity_t over the kernel's Vfs. Every slot
// copies its structs with the append-only rule, and no exception leaves the kernel.
#include "handle.hpp"
#include "host_api.hpp"
#include "identity.hpp"
#include "log.hpp"
#include "vfs.hpp"

#include <dittofs/cpp/views.hpp>

#include <cstring>
#include <vector>

namespace dfs::kernel {
namespace {

template <typename F>
dfs_err_t call(void* ctx, const char* what, F&& fn) noexcept {
    try {
        auto* h = HostContext::from(ctx);
        if (h == nullptr || h->services() == nullptr || h->services()->vfs == nullptr) {
            return dfs_err_t{DFS_ERR_SHUTDOWN, 0};
        }
        Status s = fn(*h->services()->vfs);
        return s.toC();
    } catch (const std::bad_alloc&) {
        return dfs_err_t{DFS_ERR_NOMEM, 0};
    } catch (const std::exception& e) {
        log::error("vfs", "exception", {{"op", what}, {"what", e.what()}});
        return dfs_err_t{DFS_ERR_SERVERFAULT, 0};
    }
}

dfs_cred_t credOf(const dfs_cred_t* c) { return copyStruct(c); }

// The name of the calling service, which shares list in `protocols`.
std::string_view callerName(void* ctx) {
    auto* h = HostContext::from(ctx);
    return h == nullptr ? std::string_view{} : std::string_view(h->who());
}

// `clients` holds the views of the share's networks until the sink has run.
dfs_share_info_t shareInfo(const Share& s, std::vector<dfs_str_t>& clients) {
    auto info = makeStruct<dfs_share_info_t>();
    info.share_id = s.id;
    info.flags = s.cfg.readOnly ? DFS_SHARE_READ_ONLY : 0;
    info.name = toC(s.cfg.name);
    info.path = toC(s.cfg.path);
    clients.clear();
    for (const auto& c : s.cfg.clients) {
        clients.push_back(toC(c));
    }
    info.nclients = static_cast<uint32_t>(clients.size());
    info.clients = clients.empty() ? nullptr : clients.data();
    return info;
}

// Out-structs from older plugins may be smaller than ours: fill a full-size temporary
// and copy back only what the caller's struct_size covers.
template <typename T>
struct Out {
    explicit Out(T* user) : user_(user), tmp_(makeStruct<T>()) {}
    ~Out() {
        if (user_ != nullptr) {
            uint32_t n = user_->struct_size == 0 ? static_cast<uint32_t>(sizeof(T)) : user_->struct_size;
            std::memcpy(user_, &tmp_, n < sizeof(T) ? n : sizeof(T));
            user_->struct_size = n;
        }
    }
    T* get() { return user_ == nullptr ? nullptr : &tmp_; }
    T* user_;
    T tmp_;
};

const dfs_host_vfs_t kVfs = [] {
    auto t = makeStruct<dfs_host_vfs_t>();
    t.share_root = [](void* ctx, const dfs_cred_t* cred, dfs_str_t path, dfs_fh_t* root, dfs_attr_t* attr) {
        Out<dfs_attr_t> a(attr);
        return call(ctx, "share_root",
                    [&](Vfs& v) { return v.shareRoot(credOf(cred), toView(path), root, a.get(), callerName(ctx)); });
    };
    t.share_list = [](void* ctx, dfs_share_sink_fn sink, void* sctx) {
        return call(ctx, "share_list", [&](Vfs& v) {
            auto table = v.shares().snapshot();
            for (const auto& [id, s] : table->byId) {
                if (!s->exportedOver(callerName(ctx))) {
                    continue;
                }
                std::vector<dfs_str_t> clients;
                auto info = shareInfo(*s, clients);
                if (sink != nullptr) {
                    sink(sctx, &info);
                }
            }
            return okStatus();
        });
    };
    t.share_of = [](void* ctx, const dfs_fh_t* fh, dfs_share_sink_fn sink, void* sctx) {
        // Which share a handle names is not a secret and needs no credential (it gives a
        // protocol its fsid); access is checked by the calls that use the handle.
        return call(ctx, "share_of", [&](Vfs& v) -> Status {
            HandleParts hp;
            if (decodeHandle(fh, hp) != DFS_OK) {
                return makeError(DFS_ERR_BADHANDLE);
            }
            SharePtr s = v.shares().byId(hp.shareId);
            if (!s) {
                return makeError(DFS_ERR_STALE);
            }
            std::vector<dfs_str_t> clients;
            auto info = shareInfo(*s, clients);
            if (sink != nullptr) {
                sink(sctx, &info);
            }
            return okStatus();
        });
    };
    t.getattr = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, dfs_attr_t* out) {
        Out<dfs_attr_t> a(out);
        return call(ctx, "getattr", [&](Vfs& v) { return v.getattr(credOf(cred), fh, a.get()); });
    };
    t.setattr = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, const dfs_setattr_t* sa,
                   const dfs_time_t* guard, dfs_wcc_t* wcc) {
        Out<dfs_wcc_t> w(wcc);
        return call(ctx, "setattr", [&](Vfs& v) { return v.setattr(credOf(cred), fh, copyStruct(sa), guard, w.get()); });
    };
    t.lookup = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* dir, dfs_str_t name, dfs_fh_t* out,
                  dfs_attr_t* attr, dfs_attr_t* dirAttr) {
        Out<dfs_attr_t> a(attr);
        Out<dfs_attr_t> d(dirAttr);
        return call(ctx, "lookup",
                    [&](Vfs& v) { return v.lookup(credOf(cred), dir, toView(name), out, a.get(), d.get()); });
    };
    t.access = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, uint32_t want, uint32_t* granted,
                  dfs_attr_t* attr) {
        Out<dfs_attr_t> a(attr);
        return call(ctx, "access", [&](Vfs& v) { return v.access(credOf(cred), fh, want, granted, a.get()); });
    };
    t.create = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* dir, dfs_str_t name,
                  const dfs_create_args_t* args, const dfs_setattr_t* sa, dfs_fh_t* out, dfs_attr_t* attr,
                  dfs_wcc_t* wcc) {
        Out<dfs_attr_t> a(attr);
        Out<dfs_wcc_t> w(wcc);
        return call(ctx, "create", [&](Vfs& v) {
            dfs_setattr_t s = copyStruct(sa);
            return v.create(credOf(cred), dir, toView(name), copyStruct(args), sa != nullptr ? &s : nullptr, out,
                            a.get(), w.get());
        });
    };
    t.link = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, const dfs_fh_t* dir, dfs_str_t name,
                dfs_attr_t* attr, dfs_wcc_t* wcc) {
        Out<dfs_attr_t> a(attr);
        Out<dfs_wcc_t> w(wcc);
        return call(ctx, "link", [&](Vfs& v) { return v.link(credOf(cred), fh, dir, toView(name), a.get(), w.get()); });
    };
    t.remove = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* dir, dfs_str_t name, uint32_t flags,
                  dfs_wcc_t* wcc) {
        Out<dfs_wcc_t> w(wcc);
        return call(ctx, "remove", [&](Vfs& v) { return v.remove(credOf(cred), dir, toView(name), flags, w.get()); });
    };
    t.rename = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* sd, dfs_str_t sn, const dfs_fh_t* dd,
                  dfs_str_t dn, dfs_wcc_t* sw, dfs_wcc_t* dw) {
        Out<dfs_wcc_t> a(sw);
        Out<dfs_wcc_t> b(dw);
        return call(ctx, "rename",
                    [&](Vfs& v) { return v.rename(credOf(cred), sd, toView(sn), dd, toView(dn), a.get(), b.get()); });
    };
    t.readlink = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, dfs_bytes_sink_fn sink, void* sctx,
                    dfs_attr_t* attr) {
        Out<dfs_attr_t> a(attr);
        return call(ctx, "readlink", [&](Vfs& v) {
            std::string target;
            Status s = v.readlink(credOf(cred), fh, target, a.get());
            if (s.ok() && sink != nullptr) {
                sink(sctx, toBytes(target));
            }
            return s;
        });
    };
    t.readdir = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* dir, uint64_t cookie, const uint8_t* vin,
                   uint8_t* vout, uint32_t flags, dfs_vfs_dirent_sink_fn sink, void* sctx, int32_t* eof,
                   dfs_attr_t* dirAttr) {
        Out<dfs_attr_t> a(dirAttr);
        return call(ctx, "readdir", [&](Vfs& v) {
            return v.readdir(
                credOf(cred), dir, cookie, vin, vout, flags,
                [&](const dfs_vfs_dirent_t& e) { return sink == nullptr || sink(sctx, &e) == 0; }, eof, a.get());
        });
    };
    t.read = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, uint64_t off, dfs_buf_t buf, uint64_t* nread,
                int32_t* eof, dfs_attr_t* attr) {
        Out<dfs_attr_t> a(attr);
        return call(ctx, "read", [&](Vfs& v) { return v.read(credOf(cred), fh, off, buf, nread, eof, a.get()); });
    };
    t.read_lend = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, uint64_t off, dfs_buf_t buf,
                     uint64_t* nread, dfs_lent_t* lent, int32_t* eof, dfs_attr_t* attr) {
        Out<dfs_attr_t> a(attr);
        if (lent == nullptr) {
            return dfs_err_t{DFS_ERR_INVAL, 0};
        }
        *lent = dfs_lent_t{};
        return call(ctx, "read_lend", [&](Vfs& v) {
            LentBytes l;
            Status s = v.read(credOf(cred), fh, off, buf, nread, eof, a.get(), &l);
            *lent = l.take();
            return s;
        });
    };
    t.write = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, uint64_t off, dfs_bytes_t data,
                 dfs_stable_t stable, dfs_stable_t* committed, dfs_wcc_t* wcc) {
        Out<dfs_wcc_t> w(wcc);
        return call(ctx, "write",
                    [&](Vfs& v) { return v.write(credOf(cred), fh, off, data, stable, committed, w.get()); });
    };
    t.commit = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, uint64_t off, uint64_t count,
                  dfs_wcc_t* wcc) {
        Out<dfs_wcc_t> w(wcc);
        return call(ctx, "commit", [&](Vfs& v) { return v.commit(credOf(cred), fh, off, count, w.get()); });
    };
    t.statfs = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, dfs_statfs_t* out) {
        Out<dfs_statfs_t> o(out);
        return call(ctx, "statfs", [&](Vfs& v) { return v.statfs(credOf(cred), fh, o.get()); });
    };
    t.write_verifier = [](void* ctx, uint8_t verifier[8]) {
        auto* h = HostContext::from(ctx);
        if (h != nullptr && h->services() != nullptr && h->services()->vfs != nullptr) {
            h->services()->vfs->writeVerifier(verifier);
        }
    };
    t.getxattr = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, dfs_str_t name, dfs_bytes_sink_fn sink,
                    void* sctx) {
        return call(ctx, "getxattr", [&](Vfs& v) -> Status {
            auto r = v.getxattr(credOf(cred), fh, toView(name));
            if (!r.ok()) {
                return r.error();
            }
            if (sink != nullptr) {
                sink(sctx, toBytes(*r));
            }
            return okStatus();
        });
    };
    t.setxattr = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, dfs_str_t name, dfs_bytes_t value,
                    uint32_t flags) {
        return call(ctx, "setxattr",
                    [&](Vfs& v) { return v.setxattr(credOf(cred), fh, toView(name), toStringView(value), flags); });
    };
    t.listxattr = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, dfs_bytes_sink_fn sink, void* sctx) {
        return call(ctx, "listxattr", [&](Vfs& v) -> Status {
            auto r = v.listxattr(credOf(cred), fh);
            if (!r.ok()) {
                return r.error();
            }
            for (const auto& n : *r) {
                if (sink != nullptr) {
                    sink(sctx, toBytes(n));
                }
            }
            return okStatus();
        });
    };
    t.removexattr = [](void* ctx, const dfs_cred_t* cred, const dfs_fh_t* fh, dfs_str_t name) {
        return call(ctx, "removexattr", [&](Vfs& v) { return v.removexattr(credOf(cred), fh, toView(name)); });
    };
    return t;
}();

const dfs_host_identity_t kIdentity = [] {
    auto t = makeStruct<dfs_host_identity_t>();
    t.effective = [](void* ctx, uint32_t shareId, const dfs_cred_t* in, dfs_cred_t* out) {
        return call(ctx, "identity.effective", [&](Vfs& v) -> Status {
            SharePtr s = v.shares().byId(shareId);
            if (!s) {
                return makeError(DFS_ERR_STALE);
            }
            if (in == nullptr || out == nullptr) {
                return makeError(DFS_ERR_INVAL);
            }
            dfs_cred_t e = effectiveCred(s->cfg, copyStruct(in));
            uint32_t n = out->struct_size == 0 ? static_cast<uint32_t>(sizeof e) : out->struct_size;
            std::memcpy(out, &e, n < sizeof e ? n : sizeof e);
            out->struct_size = n;
            return okStatus();
        });
    };
    return t;
}();

}  // namespace

const dfs_host_vfs_t* vfsTable() { return &kVfs; }
const dfs_host_identity_t* identityTable() { return &kIdentity; }

}  // namespace dfs::kernel
