// DittoFS SDK C++ layer: calling a store through its C table.
//
// The kernel's VFS and the store conformance kit both drive stores through these
// clients. They normalise the table (the append-only copy rule) and implement the
// documented defaults of optional slots (store.h) — a slot that is NULL or answers
// DFS_ERR_NOTSUPP gets the default — so every store, old or new, C or C++, behaves alike
// to its callers.
#pragma once

#include <dittofs/cpp/lent.hpp>
#include <dittofs/cpp/result.hpp>
#include <dittofs/cpp/views.hpp>
#include <dittofs/abi/store.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace dfs {

class MetadataStoreClient {
public:
    MetadataStoreClient() = default;
    MetadataStoreClient(const dfs_metadata_store_ops_t* ops, void* inst) : ops_(copyStruct(ops)), inst_(inst) {}

    void* instance() const { return inst_; }
    const dfs_metadata_store_ops_t& ops() const { return ops_; }
    bool hasRequiredSlots() const {
        return ops_.root && ops_.getattr && ops_.setattr && ops_.lookup && ops_.create && ops_.remove &&
               ops_.rename && ops_.readlink && ops_.readdir;
    }

    Result<uint64_t> root() const {
        uint64_t ino = 0;
        Status s = ops_.root(inst_, &ino);
        if (!s.ok()) {
            return s.error();
        }
        return ino;
    }
    Result<dfs_attr_t> getattr(uint64_t ino) const {
        auto a = makeStruct<dfs_attr_t>();
        Status s = ops_.getattr(inst_, ino, &a);
        return s.ok() ? Result<dfs_attr_t>(a) : Result<dfs_attr_t>(s.error());
    }
    Result<dfs_attr_t> setattr(uint64_t ino, const dfs_setattr_t& sa, dfs_time_t now) const {
        auto a = makeStruct<dfs_attr_t>();
        Status s = ops_.setattr(inst_, ino, &sa, now, &a);
        return s.ok() ? Result<dfs_attr_t>(a) : Result<dfs_attr_t>(s.error());
    }
    Result<dfs_attr_t> lookup(uint64_t dir, std::string_view name) const {
        auto a = makeStruct<dfs_attr_t>();
        Status s = ops_.lookup(inst_, dir, toC(name), &a);
        return s.ok() ? Result<dfs_attr_t>(a) : Result<dfs_attr_t>(s.error());
    }
    struct Created {
        dfs_attr_t attr;
        bool existed;
        // The directory's attributes after the call, when the store gave them
        // (create_plus, ABI 1.6).
        bool haveDir;
        dfs_attr_t dir;
    };
    Result<Created> create(uint64_t dir, std::string_view name, const dfs_create_args_t& args, dfs_time_t now) const {
        Created c{makeStruct<dfs_attr_t>(), false, false, makeStruct<dfs_attr_t>()};
        int32_t existed = 0;
        Status s = makeError(DFS_ERR_NOTSUPP);
        if (ops_.create_plus != nullptr) {
            s = ops_.create_plus(inst_, dir, toC(name), &args, now, &c.attr, &existed, &c.dir);
            c.haveDir = s.ok();
        }
        if (s.code() == DFS_ERR_NOTSUPP) {
            s = ops_.create(inst_, dir, toC(name), &args, now, &c.attr, &existed);
        }
        if (!s.ok()) {
            return s.error();
        }
        c.existed = existed != 0;
        return c;
    }
    Result<dfs_attr_t> link(uint64_t ino, uint64_t dir, std::string_view name, dfs_time_t now) const {
        if (ops_.link == nullptr) {
            return makeError(DFS_ERR_NOTSUPP);
        }
        auto a = makeStruct<dfs_attr_t>();
        Status s = ops_.link(inst_, ino, dir, toC(name), now, &a);
        return s.ok() ? Result<dfs_attr_t>(a) : Result<dfs_attr_t>(s.error());
    }
    Result<dfs_attr_t> remove(uint64_t dir, std::string_view name, uint32_t flags, dfs_time_t now) const {
        auto a = makeStruct<dfs_attr_t>();
        Status s = ops_.remove(inst_, dir, toC(name), flags, now, &a);
        return s.ok() ? Result<dfs_attr_t>(a) : Result<dfs_attr_t>(s.error());
    }
    // The replaced object's attributes (ino 0 when nothing was replaced).
    Result<dfs_attr_t> rename(uint64_t sd, std::string_view sn, uint64_t dd, std::string_view dn,
                              dfs_time_t now) const {
        auto a = makeStruct<dfs_attr_t>();
        Status s = ops_.rename(inst_, sd, toC(sn), dd, toC(dn), now, &a);
        return s.ok() ? Result<dfs_attr_t>(a) : Result<dfs_attr_t>(s.error());
    }
    Result<std::string> readlink(uint64_t ino) const {
        std::string out;
        Status s = ops_.readlink(inst_, ino, &appendSink, &out);
        return s.ok() ? Result<std::string>(std::move(out)) : Result<std::string>(s.error());
    }
    // sink returns false to stop (entry not taken). Returns eof.
    Result<bool> readdir(uint64_t dir, uint64_t cookie, const std::function<bool(const dfs_dirent_t&)>& sink) const {
        int32_t eof = 0;
        auto tramp = [](void* c, const dfs_dirent_t* e) -> int32_t {
            return (*static_cast<const std::function<bool(const dfs_dirent_t&)>*>(c))(*e) ? 0 : 1;
        };
        Status s = ops_.readdir(inst_, dir, cookie, tramp,
                                const_cast<void*>(static_cast<const void*>(&sink)), &eof);
        if (!s.ok()) {
            return s.error();
        }
        return eof != 0;
    }
    // readdir with each entry's attributes (store.h, readdir_plus). `attr` is NULL only
    // under the default, for an entry whose object was gone by the time its attributes
    // were read. sink returns false to stop (entry not taken). Returns eof.
    using DirentPlusSink = std::function<bool(const dfs_dirent_t&, const dfs_attr_t*)>;
    Result<bool> readdirPlus(uint64_t dir, uint64_t cookie, const DirentPlusSink& sink) const {
        if (ops_.readdir_plus != nullptr) {
            int32_t eof = 0;
            struct Ctx {
                const DirentPlusSink* sink;
                bool delivered;
            } ctx{&sink, false};
            auto tramp = [](void* c, const dfs_dirent_t* e, const dfs_attr_t* a) -> int32_t {
                auto* x = static_cast<Ctx*>(c);
                x->delivered = true;
                return (*x->sink)(*e, a) ? 0 : 1;
            };
            Status s = ops_.readdir_plus(inst_, dir, cookie, tramp, &ctx, &eof);
            if (s.ok()) {
                return eof != 0;
            }
            if (s.code() != DFS_ERR_NOTSUPP || ctx.delivered) {
                return s.error();
            }
        }
        // Default: entries from readdir() in batches, then each one's attributes with
        // getattr() once the listing call has returned (a readdir sink must not call
        // back into the store).
        constexpr size_t kBatch = 256;
        struct Item {
            dfs_dirent_t entry;
            std::string name;
        };
        std::vector<Item> batch;
        batch.reserve(kBatch);
        uint64_t from = cookie;
        for (;;) {
            batch.clear();
            auto r = readdir(dir, from, [&](const dfs_dirent_t& e) {
                if (batch.size() == kBatch) {
                    return false;
                }
                batch.push_back(Item{copyStruct(&e), std::string(toView(e.name))});
                return true;
            });
            if (!r.ok()) {
                return r.error();
            }
            for (Item& item : batch) {
                item.entry.name = toC(item.name);
                auto a = getattr(item.entry.ino);
                if (!sink(item.entry, a.ok() ? &*a : nullptr)) {
                    return false;
                }
            }
            if (*r || batch.empty()) {
                return true;  // (an empty batch that is not the end would loop forever)
            }
            from = batch.back().entry.cookie;
        }
    }
    Result<std::string> getxattr(uint64_t ino, std::string_view name) const {
        if (ops_.getxattr == nullptr) {
            return makeError(DFS_ERR_NOTSUPP);
        }
        std::string out;
        Status s = ops_.getxattr(inst_, ino, toC(name), &appendSink, &out);
        return s.ok() ? Result<std::string>(std::move(out)) : Result<std::string>(s.error());
    }
    Status setxattr(uint64_t ino, std::string_view name, std::string_view value, uint32_t flags,
                    dfs_time_t now) const {
        if (ops_.setxattr == nullptr) {
            return makeError(DFS_ERR_NOTSUPP);
        }
        return ops_.setxattr(inst_, ino, toC(name), toBytes(value), flags, now);
    }
    Result<std::vector<std::string>> listxattr(uint64_t ino) const {
        if (ops_.listxattr == nullptr) {
            return makeError(DFS_ERR_NOTSUPP);
        }
        std::vector<std::string> names;
        auto sink = [](void* c, dfs_bytes_t b) {
            static_cast<std::vector<std::string>*>(c)->emplace_back(toStringView(b));
        };
        Status s = ops_.listxattr(inst_, ino, sink, &names);
        if (!s.ok()) {
            return s.error();
        }
        std::sort(names.begin(), names.end());
        return names;
    }
    Status removexattr(uint64_t ino, std::string_view name, dfs_time_t now) const {
        if (ops_.removexattr == nullptr) {
            return makeError(DFS_ERR_NOTSUPP);
        }
        return ops_.removexattr(inst_, ino, toC(name), now);
    }
    // Default: unlimited files (all counts UINT64_MAX / 2).
    dfs_statfs_t statfs() const {
        auto out = makeStruct<dfs_statfs_t>();
        if (ops_.statfs != nullptr && Status(ops_.statfs(inst_, &out)).ok()) {
            return out;
        }
        out = makeStruct<dfs_statfs_t>();
        out.total_files = out.free_files = out.avail_files = UINT64_MAX / 2;
        return out;
    }
    Status sync() const {
        if (ops_.sync == nullptr) {
            return okStatus();
        }
        Status s = ops_.sync(inst_);
        return s.code() == DFS_ERR_NOTSUPP ? okStatus() : s;
    }
    Status getVerifier(uint64_t ino, uint8_t v[8]) const {
        if (ops_.get_verifier == nullptr) {
            return makeError(DFS_ERR_NOTSUPP);
        }
        return ops_.get_verifier(inst_, ino, v);
    }

private:
    dfs_metadata_store_ops_t ops_{};
    void* inst_ = nullptr;
};

class BlockStoreClient {
public:
    BlockStoreClient() = default;
    BlockStoreClient(const dfs_block_store_ops_t* ops, void* inst) : ops_(copyStruct(ops)), inst_(inst) {}

    void* instance() const { return inst_; }
    bool hasRequiredSlots() const {
        return ops_.read && ops_.write && ops_.truncate && ops_.size && ops_.remove;
    }

    // Fills as much of buf as the object holds from offset; returns the byte count.
    Result<uint64_t> read(uint64_t obj, uint64_t off, dfs_buf_t buf) const {
        uint64_t total = 0;
        // A store may return short reads before the end; keep reading until 0.
        while (total < buf.len) {
            uint64_t n = 0;
            Status s = ops_.read(inst_, obj, off + total, dfs_buf_t{buf.ptr + total, buf.len - total}, &n);
            if (!s.ok()) {
                return s.error();
            }
            if (n == 0) {
                break;
            }
            total += n;
        }
        return total;
    }
    // Lends [off, off+len) (store.h lend); DFS_ERR_NOTSUPP when the store does not lend
    // it. What is lent is never more than asked for.
    Result<LentBytes> lend(uint64_t obj, uint64_t off, uint64_t len) const {
        if (ops_.lend == nullptr) {
            return makeError(DFS_ERR_NOTSUPP);
        }
        dfs_lent_t l{};
        Status s = ops_.lend(inst_, obj, off, len, &l);
        if (!s.ok()) {
            return s.error();
        }
        LentBytes out(l);
        if (out.size() > len || (out.size() > 0 && out.data() == nullptr)) {
            return makeError(DFS_ERR_IO);  // a store's bug: released by `out`
        }
        return out;
    }
    Status write(uint64_t obj, uint64_t off, dfs_bytes_t data, dfs_stable_t stable) const {
        return ops_.write(inst_, obj, off, data, stable);
    }
    Status truncate(uint64_t obj, uint64_t size) const { return ops_.truncate(inst_, obj, size); }
    Result<uint64_t> size(uint64_t obj) const {
        uint64_t sz = 0;
        Status s = ops_.size(inst_, obj, &sz);
        if (!s.ok()) {
            return s.error();
        }
        return sz;
    }
    Status flush(uint64_t obj) const {
        if (ops_.flush == nullptr) {
            return okStatus();
        }
        Status s = ops_.flush(inst_, obj);
        return s.code() == DFS_ERR_NOTSUPP ? okStatus() : s;
    }
    Status remove(uint64_t obj) const { return ops_.remove(inst_, obj); }

    Status punchHole(uint64_t obj, uint64_t off, uint64_t len) const {
        if (ops_.punch_hole != nullptr) {
            Status s = ops_.punch_hole(inst_, obj, off, len);
            if (s.code() != DFS_ERR_NOTSUPP) {
                return s;
            }
        }
        // Default: write zeros over the part of the range inside the object.
        auto sz = size(obj);
        if (!sz.ok()) {
            return sz.error();
        }
        if (off >= *sz) {
            return okStatus();
        }
        uint64_t end = std::min(*sz, len > *sz - off ? *sz : off + len);
        std::vector<uint8_t> zeros(std::min<uint64_t>(end - off, 1u << 20), 0);
        for (uint64_t pos = off; pos < end;) {
            uint64_t n = std::min<uint64_t>(zeros.size(), end - pos);
            Status s = write(obj, pos, dfs_bytes_t{zeros.data(), n}, DFS_UNSTABLE);
            if (!s.ok()) {
                return s;
            }
            pos += n;
        }
        return okStatus();
    }
    Status allocate(uint64_t obj, uint64_t off, uint64_t len) const {
        if (ops_.allocate != nullptr) {
            Status s = ops_.allocate(inst_, obj, off, len);
            if (s.code() != DFS_ERR_NOTSUPP) {
                return s;
            }
        }
        auto sz = size(obj);
        if (!sz.ok()) {
            return sz.error();
        }
        if (off + len > *sz) {
            return truncate(obj, off + len);
        }
        return okStatus();
    }
    Result<uint64_t> seek(uint64_t obj, uint64_t off, dfs_seek_what_t what) const {
        if (ops_.seek != nullptr) {
            uint64_t res = 0;
            Status s = ops_.seek(inst_, obj, off, what, &res);
            if (s.ok()) {
                return res;
            }
            if (s.code() != DFS_ERR_NOTSUPP) {
                return s.error();
            }
        }
        // Default: the whole object is data, its end is the only hole.
        auto sz = size(obj);
        if (!sz.ok()) {
            return sz.error();
        }
        if (off >= *sz) {
            return makeError(DFS_ERR_NXIO);
        }
        return what == DFS_SEEK_DATA ? off : *sz;
    }
    Status clone(uint64_t src, uint64_t srcOff, uint64_t dst, uint64_t dstOff, uint64_t len) const {
        if (ops_.clone != nullptr) {
            Status s = ops_.clone(inst_, src, srcOff, dst, dstOff, len);
            if (s.code() != DFS_ERR_NOTSUPP) {
                return s;
            }
        }
        // Default: copy through a bounded buffer.
        std::vector<uint8_t> buf(std::min<uint64_t>(len, 1u << 20));
        for (uint64_t done = 0; done < len;) {
            uint64_t want = std::min<uint64_t>(buf.size(), len - done);
            auto n = read(src, srcOff + done, dfs_buf_t{buf.data(), want});
            if (!n.ok()) {
                return n.error();
            }
            if (*n < want) {
                std::fill(buf.begin() + static_cast<std::ptrdiff_t>(*n), buf.begin() + static_cast<std::ptrdiff_t>(want), 0);
            }
            Status s = write(dst, dstOff + done, dfs_bytes_t{buf.data(), want}, DFS_UNSTABLE);
            if (!s.ok()) {
                return s;
            }
            done += want;
        }
        return okStatus();
    }
    dfs_statfs_t statfs() const {
        auto out = makeStruct<dfs_statfs_t>();
        if (ops_.statfs != nullptr && Status(ops_.statfs(inst_, &out)).ok()) {
            return out;
        }
        return makeStruct<dfs_statfs_t>();
    }

private:
    dfs_block_store_ops_t ops_{};
    void* inst_ = nullptr;
};

}  // namespace dfs
