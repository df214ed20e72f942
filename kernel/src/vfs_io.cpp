// VFS data operations: readlink, readdir, read, write, commit, statfs, xattrs.
#include "vfs.hpp"

#include "log.hpp"

#include <dittofs/cpp/attr.hpp>
#include <dittofs/cpp/views.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace dfs::kernel {
namespace {

Error err(dfs_status_t c) { return makeError(c); }

// The listing verifier: cookies of a store are stable for the life of a directory
// (store.h), so the verifier only has to change if the directory is replaced.
void dirVerifier(const dfs_attr_t& dir, uint8_t out[8]) {
    uint64_t v = dir.generation ^ (dir.ino * 0x9e3779b97f4a7c15ull);
    for (int i = 0; i < 8; ++i) {
        out[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
    }
}

Status dataTypeCheck(const dfs_attr_t& a) {
    if (a.type == DFS_TYPE_DIR) {
        return err(DFS_ERR_ISDIR);
    }
    if (a.type != DFS_TYPE_REG) {
        return err(DFS_ERR_INVAL);
    }
    return okStatus();
}

}  // namespace

Status Vfs::readlink(const dfs_cred_t& cred, const dfs_fh_t* fh, std::string& target, dfs_attr_t* attr) {
    auto r = resolve(cred, fh);
    if (!r.ok()) {
        return r.error();
    }
    if (attr != nullptr) {
        *attr = r->attr;
    }
    if (r->attr.type != DFS_TYPE_LNK) {
        return err(DFS_ERR_INVAL);
    }
    auto t = r->share->meta->meta().readlink(r->ino);
    if (!t.ok()) {
        return t.error();
    }
    target = std::move(*t);
    return okStatus();
}

Status Vfs::readdir(const dfs_cred_t& cred, const dfs_fh_t* dir, uint64_t cookie, const uint8_t* verfIn,
                    uint8_t* verfOut, uint32_t flags, const VfsDirentSink& sink, int32_t* eof, dfs_attr_t* dirAttr) {
    auto d = resolve(cred, dir);
    if (!d.ok()) {
        return d.error();
    }
    if (dirAttr != nullptr) {
        *dirAttr = d->attr;
    }
    if (d->attr.type != DFS_TYPE_DIR) {
        return err(DFS_ERR_NOTDIR);
    }
    if (!mayAccess(d->attr, d->cred, kMayRead)) {
        return err(DFS_ERR_ACCES);
    }
    uint8_t verf[8];
    dirVerifier(d->attr, verf);
    if (verfOut != nullptr) {
        std::memcpy(verfOut, verf, 8);
    }
    if (cookie != 0 && verfIn != nullptr) {
        static const uint8_t zero[8] = {};
        if (std::memcmp(verfIn, zero, 8) != 0 && std::memcmp(verfIn, verf, 8) != 0) {
            return err(DFS_ERR_BADCOOKIE);
        }
    }
    const auto& meta = d->share->meta->meta();
    bool plus = (flags & DFS_READDIR_PLUS) != 0;
    // Entries are taken from the store in batches and handed on after the store's call
    // has returned: the protocol's sink may call back into the VFS, and a store call
    // from inside a store's listing could wait for a resource the listing holds (one of
    // sqlite's readers). With DFS_READDIR_PLUS the store delivers each entry with its
    // attributes (readdir_plus, or the client's readdir + getattr default).
    struct Entry {
        dfs_dirent_t entry;
        size_t nameAt;
        bool haveAttr;
        dfs_attr_t attr;
    };
    // Each entry read from the store and not delivered is read again by the next call,
    // so a call asks first for about as many as the last call that filled its reply
    // delivered, then for more in batches of at most kMaxBatch. The guess is shared by
    // every client and share (clients mostly ask for replies of one size); a client whose
    // replies differ costs a second store call or a few entries read twice.
    constexpr size_t kMinBatch = 16;
    constexpr size_t kMaxBatch = 1024;
    std::atomic<uint32_t>& learnt = listingBatch_[plus ? 1 : 0];
    size_t want = std::clamp<size_t>(learnt.load(std::memory_order_relaxed), kMinBatch, kMaxBatch);
    size_t delivered = 0;
    std::vector<Entry> batch;
    std::string names;  // the batch's names, back to back
    batch.reserve(want);
    uint64_t from = cookie;
    for (;;) {
        batch.clear();
        names.clear();
        auto take = [&](const dfs_dirent_t& e, const dfs_attr_t* a) {
            if (batch.size() == want) {
                return false;
            }
            std::string_view n = toView(e.name);
            batch.push_back(Entry{copyStruct(&e), names.size(), a != nullptr, copyStruct(a)});
            names.append(n);
            return true;
        };
        auto r = plus ? meta.readdirPlus(d->ino, from, take)
                      : meta.readdir(d->ino, from, [&](const dfs_dirent_t& e) { return take(e, nullptr); });
        if (!r.ok()) {
            return r.error();
        }
        for (Entry& e : batch) {
            auto ve = makeStruct<dfs_vfs_dirent_t>();
            ve.entry = e.entry;
            ve.entry.name = dfs_str_t{names.data() + e.nameAt, e.entry.name.len};
            dfs_fh_t fh{};
            if (e.haveAttr) {
                fh = handleFor(*d->share, e.attr);
                ve.attr = &e.attr;
                ve.fh = &fh;
            }
            if (!sink(ve)) {
                // The reply is full: the next call of this kind likely takes as many.
                learnt.store(static_cast<uint32_t>(delivered + delivered / 16 + 2), std::memory_order_relaxed);
                if (eof != nullptr) {
                    *eof = 0;
                }
                return okStatus();
            }
            ++delivered;
        }
        if (*r || batch.empty()) {
            if (eof != nullptr) {
                *eof = 1;  // (an empty batch that is not the end would otherwise loop forever)
            }
            return okStatus();
        }
        from = batch.back().entry.cookie;
        want = kMaxBatch;
    }
}

namespace {

// The bytes a store lent, released through the store and then letting go of the store:
// a reconfiguration that drops the store (and its library) waits for the reply in flight.
LentBytes keepStoreWhileLent(LentBytes lent, StoreInstancePtr store) {
    struct Kept {
        StoreInstancePtr store;  // declared first: destroyed after `bytes` is released
        LentBytes bytes;
    };
    const uint8_t* p = lent.data();
    const uint64_t n = lent.size();
    auto* k = new Kept{std::move(store), std::move(lent)};
    return LentBytes(dfs_lent_t{p, n, [](void* a) { delete static_cast<Kept*>(a); }, k});
}

}  // namespace

Status Vfs::read(const dfs_cred_t& cred, const dfs_fh_t* fh, uint64_t offset, dfs_buf_t buf, uint64_t* nread,
                 int32_t* eof, dfs_attr_t* attr, LentBytes* lent) {
    if (lent != nullptr) {
        lent->reset();
    }
    auto r = resolve(cred, fh);
    if (!r.ok()) {
        return r.error();
    }
    if (attr != nullptr) {
        *attr = r->attr;
    }
    if (Status s = dataTypeCheck(r->attr); !s.ok()) {
        return s;
    }
    // Reading needs read permission (the owner always has it: mayAccessData); execute is
    // enough too, as nfsd allows, since a client must read a file to execute it.
    if (!mayAccessData(r->attr, r->cred, kMayRead) && !mayAccess(r->attr, r->cred, kMayExec)) {
        return err(DFS_ERR_ACCES);
    }
    const uint64_t size = r->attr.size;
    const uint64_t want = offset >= size ? 0 : std::min<uint64_t>(buf.len, size - offset);
    const BlockStoreClient& blocks = r->share->blocks->blocks();
    // Below kLendMin, copying the data costs less than lending it (a file's size check,
    // perhaps a new mapping, a piece of its own in the reply).
    constexpr uint64_t kLendMin = 32 * 1024;
    if (want >= kLendMin && lent != nullptr) {
        auto l = blocks.lend(r->ino, offset, want);
        if (!l.ok() && l.code() != DFS_ERR_NOTSUPP) {
            return l.error();
        }
        // Not lent (DFS_ERR_NOTSUPP), or short: the store holds less than the size covers
        // (a hole up to the end, zeros below) or lends no further. Both are read instead.
        if (l.ok() && l->size() == want) {
            *lent = keepStoreWhileLent(std::move(*l), r->share->blocks);
        }
    }
    if (want > 0 && (lent == nullptr || lent->empty())) {
        auto n = blocks.read(r->ino, offset, dfs_buf_t{buf.ptr, want});
        if (!n.ok()) {
            return n.error();
        }
        // Bytes the size covers but the block store does not hold are a hole: zeros.
        if (*n < want) {
            std::memset(buf.ptr + *n, 0, want - *n);
        }
    }
    if (nread != nullptr) {
        *nread = want;
    }
    if (eof != nullptr) {
        *eof = offset + want >= size ? 1 : 0;
    }
    return okStatus();
}

Status Vfs::write(const dfs_cred_t& cred, const dfs_fh_t* fh, uint64_t offset, dfs_bytes_t data, dfs_stable_t stable,
                  dfs_stable_t* committed, dfs_wcc_t* wcc) {
    auto r = resolve(cred, fh);
    if (!r.ok()) {
        return r.error();
    }
    if (wcc != nullptr) {
        wcc->have_before = 1;
        wcc->before = r->attr;
    }
    const auto& meta = r->share->meta->meta();
    auto finish = [&](Status s, const dfs_attr_t* after) {
        if (wcc != nullptr) {
            if (after != nullptr) {
                wcc->have_after = 1;
                wcc->after = *after;
            } else {
                auto a = meta.getattr(r->ino);
                wcc->have_after = a.ok() ? 1 : 0;
                if (a.ok()) {
                    wcc->after = *a;
                }
            }
        }
        return s;
    };
    if (r->share->cfg.readOnly) {
        return finish(err(DFS_ERR_ROFS), nullptr);
    }
    if (Status s = dataTypeCheck(r->attr); !s.ok()) {
        return finish(s, nullptr);
    }
    if (!mayAccessData(r->attr, r->cred, kMayWrite)) {
        return finish(err(DFS_ERR_ACCES), nullptr);
    }
    if (offset > DFS_MAX_FILE_SIZE || data.len > DFS_MAX_FILE_SIZE - offset) {
        return finish(err(DFS_ERR_FBIG), nullptr);
    }
    dfs_stable_t how = stable == DFS_UNSTABLE ? DFS_UNSTABLE : DFS_FILE_SYNC;
    if (data.len > 0) {
        // A stable write needs the bytes (and the object's length) durable from the block
        // store, not the attributes of its object: the file's attributes are the metadata
        // store's, which the size/mtime update below commits. So DATA_SYNC (fdatasync on
        // localfs), and the reply still says FILE_SYNC.
        dfs_stable_t blockHow = how == DFS_UNSTABLE ? DFS_UNSTABLE : DFS_DATA_SYNC;
        Status s = r->share->blocks->blocks().write(r->ino, offset, data, blockHow);
        if (!s.ok()) {
            return finish(s, nullptr);
        }
    }
    auto sa = makeStruct<dfs_setattr_t>();
    dfs_time_t t = now();
    sa.mask = DFS_SET_SIZE_GROW | DFS_SET_MTIME;
    sa.size = offset + data.len;
    sa.mtime = t;
    // A write by someone other than root clears the set-id bits (POSIX write()).
    bool clearSetId = (r->attr.mode & 06000) != 0 && r->cred.uid != 0;
    if (clearSetId) {
        sa.mask |= DFS_SET_MODE;
        sa.mode = r->attr.mode & ~06000u;
    }
    // UNSTABLE: the new size and mtime stay in the VFS's attribute cache until COMMIT or
    // the next call that reads or changes the object in the store (meta_cache.hpp); until
    // COMMIT returns, NFS lets the server lose the data and its size together.
    if (how == DFS_UNSTABLE && !clearSetId) {
        dfs_attr_t noted{};
        if (meta.noteWrite(r->ino, sa.size, t, &noted)) {
            if (committed != nullptr) {
                *committed = DFS_UNSTABLE;
            }
            return finish(okStatus(), &noted);
        }
    }
    auto after = meta.setattr(r->ino, sa, t);
    if (!after.ok()) {
        return finish(after.error(), nullptr);
    }
    // The size/mtime update above is a committed store transaction: it survives a crash
    // of the server as soon as the call returns (store.h). Surviving power loss too is the
    // store's own setting (sqlite `synchronous = "full"`), not a checkpoint per write.
    if (committed != nullptr) {
        *committed = how;
    }
    return finish(okStatus(), &*after);
}

Status Vfs::commit(const dfs_cred_t& cred, const dfs_fh_t* fh, uint64_t, uint64_t, dfs_wcc_t* wcc) {
    auto r = resolve(cred, fh);
    if (!r.ok()) {
        return r.error();
    }
    if (wcc != nullptr) {
        wcc->have_before = 1;
        wcc->before = r->attr;
        wcc->have_after = 1;
        wcc->after = r->attr;
    }
    if (Status s = dataTypeCheck(r->attr); !s.ok()) {
        return s;
    }
    // Ranges are not tracked: a commit makes the whole object durable, which also covers
    // any range asked for.
    Status s = r->share->blocks->blocks().flush(r->ino);
    if (!s.ok()) {
        return s;
    }
    return r->share->meta->meta().sync();
}

Status Vfs::statfs(const dfs_cred_t& cred, const dfs_fh_t* fh, dfs_statfs_t* out) {
    auto r = resolve(cred, fh);
    if (!r.ok()) {
        return r.error();
    }
    dfs_statfs_t files = r->share->meta->meta().statfs();
    dfs_statfs_t bytes = r->share->blocks->blocks().statfs();
    if (out != nullptr) {
        *out = makeStruct<dfs_statfs_t>();
        out->total_bytes = bytes.total_bytes;
        out->free_bytes = bytes.free_bytes;
        out->avail_bytes = r->share->cfg.readOnly ? 0 : bytes.avail_bytes;
        out->total_files = files.total_files;
        out->free_files = files.free_files;
        out->avail_files = r->share->cfg.readOnly ? 0 : files.avail_files;
    }
    return okStatus();
}

Result<std::string> Vfs::getxattr(const dfs_cred_t& cred, const dfs_fh_t* fh, std::string_view name) {
    auto r = resolve(cred, fh);
    if (!r.ok()) {
        return r.error();
    }
    if (!mayAccess(r->attr, r->cred, kMayRead)) {
        return err(DFS_ERR_ACCES);
    }
    return r->share->meta->meta().getxattr(r->ino, name);
}

Status Vfs::setxattr(const dfs_cred_t& cred, const dfs_fh_t* fh, std::string_view name, std::string_view value,
                     uint32_t flags) {
    auto r = resolve(cred, fh);
    if (!r.ok()) {
        return r.error();
    }
    if (r->share->cfg.readOnly) {
        return err(DFS_ERR_ROFS);
    }
    if (Status s = checkSetxattr(name, value, flags); !s.ok()) {
        return s;
    }
    if (!mayAccess(r->attr, r->cred, kMayWrite)) {
        return err(DFS_ERR_ACCES);
    }
    return r->share->meta->meta().setxattr(r->ino, name, value, flags, now());
}

Result<std::vector<std::string>> Vfs::listxattr(const dfs_cred_t& cred, const dfs_fh_t* fh) {
    auto r = resolve(cred, fh);
    if (!r.ok()) {
        return r.error();
    }
    if (!mayAccess(r->attr, r->cred, kMayRead)) {
        return err(DFS_ERR_ACCES);
    }
    return r->share->meta->meta().listxattr(r->ino);
}

Status Vfs::removexattr(const dfs_cred_t& cred, const dfs_fh_t* fh, std::string_view name) {
    auto r = resolve(cred, fh);
    if (!r.ok()) {
        return r.error();
    }
    if (r->share->cfg.readOnly) {
        return err(DFS_ERR_ROFS);
    }
    if (!mayAccess(r->attr, r->cred, kMayWrite)) {
        return err(DFS_ERR_ACCES);
    }
    return r->share->meta->meta().removexattr(r->ino, name, now());
}

}  // namespace dfs::kernel
