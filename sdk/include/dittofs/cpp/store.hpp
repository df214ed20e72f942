// DittoFS SDK C++ layer: base classes for store plugins and the macros that export them.
//
// A store plugin derives from MetadataStore or BlockStore, implements the pure virtual
// methods (and any optional ones it supports), gives the class a static factory
//     static dfs::Result<std::unique_ptr<MyStore>> open(const dfs::Host&, const dfs::Config&);
// and exports it with one line in one source file:
//     DFS_EXPORT_METADATA_STORE(MyStore, "mystore", "1.0.0", "what it is");
// The macro emits the ELF metadata record, the entry point and the C vtable; every call
// runs inside dfs::guard(), so no exception crosses the boundary. The semantics of each
// method are those of the slot of the same name in <dittofs/abi/store.h>.
#pragma once

#include <dittofs/cpp/lent.hpp>
#include <dittofs/cpp/plugin.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dfs {

// Receives listing entries; return false when the entry was not taken (stop).
using DirentSink = std::function<bool(const dfs_dirent_t&)>;
// Receives listing entries with their attributes (readdirPlus); same rule.
using DirentPlusSink = std::function<bool(const dfs_dirent_t&, const dfs_attr_t&)>;

class MetadataStore {
public:
    virtual ~MetadataStore() = default;

    virtual Result<uint64_t> root() = 0;
    virtual Status getattr(uint64_t ino, dfs_attr_t& out) = 0;
    virtual Status setattr(uint64_t ino, const dfs_setattr_t& sa, dfs_time_t now, dfs_attr_t& out) = 0;
    virtual Status lookup(uint64_t dir, std::string_view name, dfs_attr_t& out) = 0;
    virtual Status create(uint64_t dir, std::string_view name, const dfs_create_args_t& args,
                          dfs_time_t now, dfs_attr_t& out, bool& existed) = 0;
    virtual Status remove(uint64_t dir, std::string_view name, uint32_t flags, dfs_time_t now,
                          dfs_attr_t& removed) = 0;
    virtual Status rename(uint64_t srcDir, std::string_view srcName, uint64_t dstDir,
                          std::string_view dstName, dfs_time_t now, dfs_attr_t& replaced) = 0;
    virtual Result<std::string> readlink(uint64_t ino) = 0;
    virtual Status readdir(uint64_t dir, uint64_t cookie, const DirentSink& sink, bool& eof) = 0;

    virtual Status link(uint64_t, uint64_t, std::string_view, dfs_time_t, dfs_attr_t&) {
        return makeError(DFS_ERR_NOTSUPP);
    }
    virtual Result<std::string> getxattr(uint64_t, std::string_view) { return makeError(DFS_ERR_NOTSUPP); }
    virtual Status setxattr(uint64_t, std::string_view, std::string_view, uint32_t, dfs_time_t) {
        return makeError(DFS_ERR_NOTSUPP);
    }
    virtual Result<std::vector<std::string>> listxattr(uint64_t) { return makeError(DFS_ERR_NOTSUPP); }
    virtual Status removexattr(uint64_t, std::string_view, dfs_time_t) { return makeError(DFS_ERR_NOTSUPP); }
    virtual Status statfs(dfs_statfs_t&) { return makeError(DFS_ERR_NOTSUPP); }
    virtual Status sync() { return okStatus(); }
    virtual Status getVerifier(uint64_t, uint8_t[8]) { return makeError(DFS_ERR_NOTSUPP); }
    // Optional (ABI 1.5): a store that can read entries and their attributes together
    // overrides it; DFS_ERR_NOTSUPP selects the default (readdir, then getattr).
    virtual Status readdirPlus(uint64_t, uint64_t, const DirentPlusSink&, bool&) {
        return makeError(DFS_ERR_NOTSUPP);
    }
    // Optional (ABI 1.6): create() that also gives the directory's attributes after it
    // (dirOut); DFS_ERR_NOTSUPP selects the default (create, the kernel reads the
    // directory when it needs it).
    virtual Status createPlus(uint64_t, std::string_view, const dfs_create_args_t&, dfs_time_t, dfs_attr_t&, bool&,
                              dfs_attr_t&) {
        return makeError(DFS_ERR_NOTSUPP);
    }
};

class BlockStore {
public:
    virtual ~BlockStore() = default;

    virtual Result<uint64_t> read(uint64_t obj, uint64_t offset, dfs_buf_t buf) = 0;
    virtual Status write(uint64_t obj, uint64_t offset, dfs_bytes_t data, dfs_stable_t stable) = 0;
    virtual Status truncate(uint64_t obj, uint64_t size) = 0;
    virtual Result<uint64_t> size(uint64_t obj) = 0;
    virtual Status remove(uint64_t obj) = 0;

    // Optional: returning DFS_ERR_NOTSUPP selects the documented default.
    virtual Status flush(uint64_t) { return makeError(DFS_ERR_NOTSUPP); }
    virtual Status punchHole(uint64_t, uint64_t, uint64_t) { return makeError(DFS_ERR_NOTSUPP); }
    virtual Status allocate(uint64_t, uint64_t, uint64_t) { return makeError(DFS_ERR_NOTSUPP); }
    virtual Result<uint64_t> seek(uint64_t, uint64_t, dfs_seek_what_t) { return makeError(DFS_ERR_NOTSUPP); }
    virtual Status clone(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) { return makeError(DFS_ERR_NOTSUPP); }
    virtual Status statfs(dfs_statfs_t&) { return makeError(DFS_ERR_NOTSUPP); }
    // Lends [offset, offset+len) without a copy (store.h lend).
    virtual Result<LentBytes> lend(uint64_t, uint64_t, uint64_t) { return makeError(DFS_ERR_NOTSUPP); }
};

namespace detail {

template <typename Base>
struct Instance {
    Host host;
    std::unique_ptr<Base> impl;
};

template <typename Base>
inline Instance<Base>* inst(void* p) {
    return static_cast<Instance<Base>*>(p);
}

template <typename Base, typename Impl>
dfs_err_t createInstance(const dfs_host_api_t* host, const dfs_config_t* config, void** out) {
    Host h(host);
    if (out == nullptr) {
        return dfs_err_t{DFS_ERR_INVAL, 0};
    }
    *out = nullptr;
    return guard(h, "create", [&]() -> Status {
        Config cfg(config);
        auto r = Impl::open(h, cfg);
        if (!r.ok()) {
            return r.error();
        }
        auto* i = new Instance<Base>{h, std::move(r.value())};
        *out = i;
        return okStatus();
    });
}

template <typename Base>
void destroyInstance(void* p) {
    delete inst<Base>(p);
}

using MI = Instance<MetadataStore>;
using BI = Instance<BlockStore>;

inline MI* mi(void* p) { return inst<MetadataStore>(p); }
inline BI* bi(void* p) { return inst<BlockStore>(p); }

// The create and create_plus slots: `call` runs the store's method on copies of the
// arguments and results, which go out only on success (existed always).
template <typename Call>
dfs_err_t createSlot(void* p, const char* what, const dfs_create_args_t* args, dfs_attr_t* out, int32_t* existed,
                     dfs_attr_t* dirOut, Call&& call) {
    return guard(mi(p)->host, what, [&] {
        dfs_create_args_t c = copyStruct(args);
        dfs_attr_t a = makeStruct<dfs_attr_t>();
        dfs_attr_t d = makeStruct<dfs_attr_t>();
        bool ex = false;
        Status s = call(c, a, ex, d);
        if (s.ok()) {
            if (out != nullptr) {
                *out = a;
            }
            if (dirOut != nullptr) {
                *dirOut = d;
            }
        }
        if (existed != nullptr) {
            *existed = ex ? 1 : 0;
        }
        return s;
    });
}

struct DirentCtx {
    dfs_dirent_sink_fn fn;
    void* ctx;
};

inline const dfs_metadata_store_ops_t* metadataOps() {
    static const dfs_metadata_store_ops_t ops = [] {
        auto o = makeStruct<dfs_metadata_store_ops_t>();
        o.root = [](void* p, uint64_t* ino) {
            return guard(mi(p)->host, "root", [&]() -> Status {
                auto r = mi(p)->impl->root();
                if (r.ok() && ino != nullptr) {
                    *ino = *r;
                }
                return r.ok() ? okStatus() : Status(r.error());
            });
        };
        o.getattr = [](void* p, uint64_t ino, dfs_attr_t* out) {
            return guard(mi(p)->host, "getattr", [&] {
                dfs_attr_t a = makeStruct<dfs_attr_t>();
                auto s = mi(p)->impl->getattr(ino, a);
                if (s.ok() && out != nullptr) {
                    *out = a;
                }
                return s;
            });
        };
        o.setattr = [](void* p, uint64_t ino, const dfs_setattr_t* sa, dfs_time_t now, dfs_attr_t* out) {
            return guard(mi(p)->host, "setattr", [&] {
                dfs_setattr_t s = copyStruct(sa);
                dfs_attr_t a = makeStruct<dfs_attr_t>();
                auto st = mi(p)->impl->setattr(ino, s, now, a);
                if (st.ok() && out != nullptr) {
                    *out = a;
                }
                return st;
            });
        };
        o.lookup = [](void* p, uint64_t dir, dfs_str_t name, dfs_attr_t* out) {
            return guard(mi(p)->host, "lookup", [&] {
                dfs_attr_t a = makeStruct<dfs_attr_t>();
                auto s = mi(p)->impl->lookup(dir, toView(name), a);
                if (s.ok() && out != nullptr) {
                    *out = a;
                }
                return s;
            });
        };
        o.create = [](void* p, uint64_t dir, dfs_str_t name, const dfs_create_args_t* args, dfs_time_t now,
                      dfs_attr_t* out, int32_t* existed) {
            return createSlot(p, "create", args, out, existed, nullptr,
                              [&](dfs_create_args_t& c, dfs_attr_t& a, bool& ex, dfs_attr_t&) {
                                  return mi(p)->impl->create(dir, toView(name), c, now, a, ex);
                              });
        };
        o.create_plus = [](void* p, uint64_t dir, dfs_str_t name, const dfs_create_args_t* args, dfs_time_t now,
                           dfs_attr_t* out, int32_t* existed, dfs_attr_t* dirOut) {
            return createSlot(p, "create_plus", args, out, existed, dirOut,
                              [&](dfs_create_args_t& c, dfs_attr_t& a, bool& ex, dfs_attr_t& d) {
                                  return mi(p)->impl->createPlus(dir, toView(name), c, now, a, ex, d);
                              });
        };
        o.link = [](void* p, uint64_t ino, uint64_t dir, dfs_str_t name, dfs_time_t now, dfs_attr_t* out) {
            return guard(mi(p)->host, "link", [&] {
                dfs_attr_t a = makeStruct<dfs_attr_t>();
                auto s = mi(p)->impl->link(ino, dir, toView(name), now, a);
                if (s.ok() && out != nullptr) {
                    *out = a;
                }
                return s;
            });
        };
        o.remove = [](void* p, uint64_t dir, dfs_str_t name, uint32_t flags, dfs_time_t now, dfs_attr_t* removed) {
            return guard(mi(p)->host, "remove", [&] {
                dfs_attr_t a = makeStruct<dfs_attr_t>();
                auto s = mi(p)->impl->remove(dir, toView(name), flags, now, a);
                if (s.ok() && removed != nullptr) {
                    *removed = a;
                }
                return s;
            });
        };
        o.rename = [](void* p, uint64_t sd, dfs_str_t sn, uint64_t dd, dfs_str_t dn, dfs_time_t now,
                      dfs_attr_t* replaced) {
            return guard(mi(p)->host, "rename", [&] {
                dfs_attr_t a = makeStruct<dfs_attr_t>();
                auto s = mi(p)->impl->rename(sd, toView(sn), dd, toView(dn), now, a);
                if (s.ok() && replaced != nullptr) {
                    *replaced = a;
                }
                return s;
            });
        };
        o.readlink = [](void* p, uint64_t ino, dfs_bytes_sink_fn sink, void* sctx) {
            return guard(mi(p)->host, "readlink", [&]() -> Status {
                auto r = mi(p)->impl->readlink(ino);
                if (!r.ok()) {
                    return r.error();
                }
                if (sink != nullptr) {
                    sink(sctx, toBytes(*r));
                }
                return okStatus();
            });
        };
        o.readdir = [](void* p, uint64_t dir, uint64_t cookie, dfs_dirent_sink_fn sink, void* sctx,
                       int32_t* eof) {
            return guard(mi(p)->host, "readdir", [&] {
                bool e = false;
                auto s = mi(p)->impl->readdir(
                    dir, cookie, [&](const dfs_dirent_t& d) { return sink == nullptr || sink(sctx, &d) == 0; }, e);
                if (eof != nullptr) {
                    *eof = e ? 1 : 0;
                }
                return s;
            });
        };
        o.getxattr = [](void* p, uint64_t ino, dfs_str_t name, dfs_bytes_sink_fn sink, void* sctx) {
            return guard(mi(p)->host, "getxattr", [&]() -> Status {
                auto r = mi(p)->impl->getxattr(ino, toView(name));
                if (!r.ok()) {
                    return r.error();
                }
                if (sink != nullptr) {
                    sink(sctx, toBytes(*r));
                }
                return okStatus();
            });
        };
        o.setxattr = [](void* p, uint64_t ino, dfs_str_t name, dfs_bytes_t value, uint32_t flags, dfs_time_t now) {
            return guard(mi(p)->host, "setxattr",
                         [&] { return mi(p)->impl->setxattr(ino, toView(name), toStringView(value), flags, now); });
        };
        o.listxattr = [](void* p, uint64_t ino, dfs_bytes_sink_fn sink, void* sctx) {
            return guard(mi(p)->host, "listxattr", [&]() -> Status {
                auto r = mi(p)->impl->listxattr(ino);
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
        o.removexattr = [](void* p, uint64_t ino, dfs_str_t name, dfs_time_t now) {
            return guard(mi(p)->host, "removexattr", [&] { return mi(p)->impl->removexattr(ino, toView(name), now); });
        };
        o.statfs = [](void* p, dfs_statfs_t* out) {
            return guard(mi(p)->host, "statfs", [&] {
                dfs_statfs_t s = makeStruct<dfs_statfs_t>();
                auto st = mi(p)->impl->statfs(s);
                if (st.ok() && out != nullptr) {
                    *out = s;
                }
                return st;
            });
        };
        o.sync = [](void* p) { return guard(mi(p)->host, "sync", [&] { return mi(p)->impl->sync(); }); };
        o.get_verifier = [](void* p, uint64_t ino, uint8_t v[8]) {
            return guard(mi(p)->host, "get_verifier", [&] { return mi(p)->impl->getVerifier(ino, v); });
        };
        o.readdir_plus = [](void* p, uint64_t dir, uint64_t cookie, dfs_dirent_plus_sink_fn sink, void* sctx,
                            int32_t* eof) {
            return guard(mi(p)->host, "readdir_plus", [&] {
                bool e = false;
                auto s = mi(p)->impl->readdirPlus(
                    dir, cookie,
                    [&](const dfs_dirent_t& d, const dfs_attr_t& a) { return sink == nullptr || sink(sctx, &d, &a) == 0; },
                    e);
                if (eof != nullptr) {
                    *eof = e ? 1 : 0;
                }
                return s;
            });
        };
        return o;
    }();
    return &ops;
}

inline const dfs_block_store_ops_t* blockOps() {
    static const dfs_block_store_ops_t ops = [] {
        auto o = makeStruct<dfs_block_store_ops_t>();
        o.read = [](void* p, uint64_t obj, uint64_t off, dfs_buf_t buf, uint64_t* nread) {
            return guard(bi(p)->host, "read", [&]() -> Status {
                auto r = bi(p)->impl->read(obj, off, buf);
                if (!r.ok()) {
                    return r.error();
                }
                if (nread != nullptr) {
                    *nread = *r;
                }
                return okStatus();
            });
        };
        o.write = [](void* p, uint64_t obj, uint64_t off, dfs_bytes_t data, dfs_stable_t stable) {
            return guard(bi(p)->host, "write", [&] { return bi(p)->impl->write(obj, off, data, stable); });
        };
        o.truncate = [](void* p, uint64_t obj, uint64_t size) {
            return guard(bi(p)->host, "truncate", [&] { return bi(p)->impl->truncate(obj, size); });
        };
        o.size = [](void* p, uint64_t obj, uint64_t* size) {
            return guard(bi(p)->host, "size", [&]() -> Status {
                auto r = bi(p)->impl->size(obj);
                if (!r.ok()) {
                    return r.error();
                }
                if (size != nullptr) {
                    *size = *r;
                }
                return okStatus();
            });
        };
        o.flush = [](void* p, uint64_t obj) {
            return guard(bi(p)->host, "flush", [&] { return bi(p)->impl->flush(obj); });
        };
        o.remove = [](void* p, uint64_t obj) {
            return guard(bi(p)->host, "remove", [&] { return bi(p)->impl->remove(obj); });
        };
        o.punch_hole = [](void* p, uint64_t obj, uint64_t off, uint64_t len) {
            return guard(bi(p)->host, "punch_hole", [&] { return bi(p)->impl->punchHole(obj, off, len); });
        };
        o.allocate = [](void* p, uint64_t obj, uint64_t off, uint64_t len) {
            return guard(bi(p)->host, "allocate", [&] { return bi(p)->impl->allocate(obj, off, len); });
        };
        o.seek = [](void* p, uint64_t obj, uint64_t off, dfs_seek_what_t what, uint64_t* result) {
            return guard(bi(p)->host, "seek", [&]() -> Status {
                auto r = bi(p)->impl->seek(obj, off, what);
                if (!r.ok()) {
                    return r.error();
                }
                if (result != nullptr) {
                    *result = *r;
                }
                return okStatus();
            });
        };
        o.clone = [](void* p, uint64_t src, uint64_t so, uint64_t dst, uint64_t dof, uint64_t len) {
            return guard(bi(p)->host, "clone", [&] { return bi(p)->impl->clone(src, so, dst, dof, len); });
        };
        o.statfs = [](void* p, dfs_statfs_t* out) {
            return guard(bi(p)->host, "statfs", [&] {
                dfs_statfs_t s = makeStruct<dfs_statfs_t>();
                auto st = bi(p)->impl->statfs(s);
                if (st.ok() && out != nullptr) {
                    *out = s;
                }
                return st;
            });
        };
        o.lend = [](void* p, uint64_t obj, uint64_t off, uint64_t len, dfs_lent_t* out) {
            return guard(bi(p)->host, "lend", [&]() -> Status {
                if (out == nullptr) {
                    return makeError(DFS_ERR_INVAL);
                }
                auto r = bi(p)->impl->lend(obj, off, len);
                if (!r.ok()) {
                    return r.error();
                }
                *out = r->take();
                return okStatus();
            });
        };
        return o;
    }();
    return &ops;
}

template <typename Base, typename Impl>
const dfs_plugin_desc_t* descriptor(dfs_plugin_kind_t kind, const char* name, const char* version,
                                    const char* description, const void* ops) {
    static const dfs_plugin_desc_t d = [&] {
        auto x = makeStruct<dfs_plugin_desc_t>();
        x.abi_major = DFS_ABI_MAJOR;
        x.abi_minor = DFS_ABI_MINOR;
        x.kind = kind;
        x.name = name;
        x.version = version;
        x.description = description;
        x.create = &createInstance<Base, Impl>;
        x.destroy = &destroyInstance<Base>;
        x.ops = ops;
        return x;
    }();
    return &d;
}

}  // namespace detail
}  // namespace dfs

#define DFS_EXPORT_METADATA_STORE(Impl, name, version, description)                                 \
    DFS_PLUGIN_INFO(DFS_PLUGIN_METADATA_STORE, name, version);                                       \
    extern "C" DFS_API_EXPORT const dfs_plugin_desc_t* dfs_plugin_entry_v1(const dfs_host_api_t*) { \
        return ::dfs::detail::descriptor<::dfs::MetadataStore, Impl>(                               \
            DFS_PLUGIN_METADATA_STORE, name, version, description, ::dfs::detail::metadataOps());   \
    }

#define DFS_EXPORT_BLOCK_STORE(Impl, name, version, description)                                    \
    DFS_PLUGIN_INFO(DFS_PLUGIN_BLOCK_STORE, name, version);                                          \
    extern "C" DFS_API_EXPORT const dfs_plugin_desc_t* dfs_plugin_entry_v1(const dfs_host_api_t*) { \
        return ::dfs::detail::descriptor<::dfs::BlockStore, Impl>(DFS_PLUGIN_BLOCK_STORE, name,     \
                                                                  version, description,             \
                                                                  ::dfs::detail::blockOps());       \
    }
