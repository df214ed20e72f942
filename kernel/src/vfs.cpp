// VFS namespace operations: resolve, attributes, lookup, create, link, remove, rename.
// Data, listings and xattrs are in vfs_io.cpp.
#include "vfs.hpp"

#include "handle.hpp"
#include "identity.hpp"
#include "log.hpp"

#include <dittofs/cpp/views.hpp>

#include <ctime>

namespace dfs::kernel {
namespace {

Error err(dfs_status_t c) { return makeError(c); }

void fillBefore(dfs_wcc_t* w, const dfs_attr_t& a) {
    if (w != nullptr) {
        w->have_before = 1;
        w->before = a;
    }
}

void fillAfter(dfs_wcc_t* w, const CachedMetadata& m, uint64_t ino) {
    if (w == nullptr) {
        return;
    }
    auto a = m.getattr(ino);
    w->have_after = a.ok() ? 1 : 0;
    if (a.ok()) {
        w->after = *a;
    }
}

bool sameShare(const Resolved& a, const Resolved& b) { return a.share->id == b.share->id; }

// What every change to a directory needs: a directory, on a writable share, that the
// caller may write and search.
Status checkDirChange(const Resolved& d) {
    if (d.attr.type != DFS_TYPE_DIR) {
        return err(DFS_ERR_NOTDIR);
    }
    if (d.share->cfg.readOnly) {
        return err(DFS_ERR_ROFS);
    }
    if (!mayAccess(d.attr, d.cred, kMayWrite | kMayExec)) {
        return err(DFS_ERR_ACCES);
    }
    return okStatus();
}

}  // namespace

dfs_time_t Vfs::now() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return dfs_time_t{static_cast<int64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec), 0};
}

dfs_fh_t Vfs::handleFor(const Share& s, const dfs_attr_t& a) {
    return encodeHandle(HandleParts{s.id, a.ino, a.generation});
}

void Vfs::setWriteVerifier(uint64_t bootCount) {
    // Boot counter plus the start time: distinct across restarts even if the state
    // database is replaced.
    uint64_t v = (bootCount << 32) ^ static_cast<uint64_t>(now().sec);
    for (int i = 0; i < 8; ++i) {
        verifier_[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
    }
}

void Vfs::writeVerifier(uint8_t out[8]) const {
    for (int i = 0; i < 8; ++i) {
        out[i] = verifier_[i];
    }
}

Result<Resolved> Vfs::resolve(const dfs_cred_t& cred, const dfs_fh_t* fh) const {
    HandleParts hp;
    if (decodeHandle(fh, hp) != DFS_OK) {
        return err(DFS_ERR_BADHANDLE);
    }
    Resolved r;
    r.share = shares_.byId(hp.shareId);
    if (!r.share) {
        return err(DFS_ERR_STALE);
    }
    if (!r.share->allows(toView(cred.client_addr))) {
        log::warn("vfs", "client_refused", {{"share", r.share->cfg.name}, {"client", std::string(toView(cred.client_addr))}});
        return err(DFS_ERR_ACCES);
    }
    auto a = r.share->meta->meta().getattr(hp.ino);
    if (!a.ok()) {
        return err(a.code() == DFS_ERR_NOENT ? DFS_ERR_STALE : a.code());
    }
    if (a->generation != hp.generation) {
        return err(DFS_ERR_STALE);
    }
    r.ino = hp.ino;
    r.attr = *a;
    r.cred = effectiveCred(r.share->cfg, cred);
    return r;
}

Status Vfs::shareRoot(const dfs_cred_t& cred, std::string_view pathOrName, dfs_fh_t* root, dfs_attr_t* attr,
                      std::string_view protocol) {
    SharePtr s = shares_.find(pathOrName);
    if (!s || !s->exportedOver(protocol)) {
        return err(DFS_ERR_NOENT);
    }
    if (!s->allows(toView(cred.client_addr))) {
        log::warn("vfs", "client_refused", {{"share", s->cfg.name}, {"client", std::string(toView(cred.client_addr))}});
        return err(DFS_ERR_ACCES);
    }
    auto a = s->meta->meta().getattr(s->rootIno);
    if (!a.ok()) {
        return a.error();
    }
    if (root != nullptr) {
        *root = handleFor(*s, *a);
    }
    if (attr != nullptr) {
        *attr = *a;
    }
    return okStatus();
}

Status Vfs::getattr(const dfs_cred_t& cred, const dfs_fh_t* fh, dfs_attr_t* out) {
    auto r = resolve(cred, fh);
    if (!r.ok()) {
        return r.error();
    }
    if (out != nullptr) {
        *out = r->attr;
    }
    return okStatus();
}

Status Vfs::applySetattr(const Resolved& r, const dfs_setattr_t& in, dfs_attr_t* after) {
    const dfs_attr_t& a = r.attr;
    const dfs_cred_t& c = r.cred;
    bool owner = c.uid == 0 || c.uid == a.uid;
    dfs_setattr_t sa = in;
    sa.mask &= ~(DFS_SET_CTIME | DFS_SET_SIZE_GROW);  // the server owns ctime
    dfs_time_t t = now();
    if ((sa.mask & DFS_SET_MODE) != 0) {
        if (!owner) {
            return err(DFS_ERR_PERM);
        }
        sa.mode &= 07777;
        // A non-member may not set the group id bit (POSIX chmod).
        if (c.uid != 0 && (sa.mode & 02000) != 0 && !credInGroup(c, a.gid)) {
            sa.mode &= ~02000u;
        }
    }
    if ((sa.mask & DFS_SET_UID) != 0 && sa.uid != a.uid && c.uid != 0) {
        return err(DFS_ERR_PERM);
    }
    if ((sa.mask & DFS_SET_GID) != 0 && sa.gid != a.gid && (c.uid != 0 && (c.uid != a.uid || !credInGroup(c, sa.gid)))) {
        return err(DFS_ERR_PERM);
    }
    bool chown = ((sa.mask & DFS_SET_UID) != 0 && sa.uid != a.uid) || ((sa.mask & DFS_SET_GID) != 0 && sa.gid != a.gid);
    if (chown && a.type == DFS_TYPE_REG && (a.mode & 06000) != 0 && (sa.mask & DFS_SET_MODE) == 0) {
        // Changing the owner of a set-id file clears the set-id bits (as Linux does).
        sa.mask |= DFS_SET_MODE;
        sa.mode = a.mode & ~06000u;
    }
    if ((sa.mask & (DFS_SET_ATIME_NOW | DFS_SET_MTIME_NOW)) != 0) {
        if (!owner && !mayAccess(a, c, kMayWrite)) {
            return err(DFS_ERR_ACCES);
        }
        if ((sa.mask & DFS_SET_ATIME_NOW) != 0) {
            sa.mask = (sa.mask & ~DFS_SET_ATIME_NOW) | DFS_SET_ATIME;
            sa.atime = t;
        }
        if ((sa.mask & DFS_SET_MTIME_NOW) != 0) {
            sa.mask = (sa.mask & ~DFS_SET_MTIME_NOW) | DFS_SET_MTIME;
            sa.mtime = t;
        }
    }
    if ((sa.mask & (DFS_SET_ATIME | DFS_SET_MTIME | DFS_SET_BTIME)) != 0 && (in.mask & (DFS_SET_ATIME_NOW | DFS_SET_MTIME_NOW)) == 0 &&
        !owner) {
        return err(DFS_ERR_PERM);
    }
    if ((sa.mask & DFS_SET_SIZE) != 0) {
        if (a.type == DFS_TYPE_DIR) {
            return err(DFS_ERR_ISDIR);
        }
        if (a.type != DFS_TYPE_REG) {
            return err(DFS_ERR_INVAL);
        }
        if (!mayAccessData(a, c, kMayWrite)) {
            return err(DFS_ERR_ACCES);
        }
        if (sa.size > DFS_MAX_FILE_SIZE) {
            return err(DFS_ERR_FBIG);
        }
        if (sa.size != a.size) {
            Status s = r.share->blocks->blocks().truncate(r.ino, sa.size);
            if (!s.ok()) {
                return s;
            }
            // A size change is a data change: mtime moves unless the caller set it.
            if ((sa.mask & DFS_SET_MTIME) == 0) {
                sa.mask |= DFS_SET_MTIME;
                sa.mtime = t;
            }
        }
    }
    if (sa.mask == 0) {
        if (after != nullptr) {
            *after = a;
        }
        return okStatus();
    }
    auto res = r.share->meta->meta().setattr(r.ino, sa, t);
    if (!res.ok()) {
        return res.error();
    }
    if (after != nullptr) {
        *after = *res;
    }
    return okStatus();
}

Status Vfs::setattr(const dfs_cred_t& cred, const dfs_fh_t* fh, const dfs_setattr_t& sa, const dfs_time_t* guard,
                    dfs_wcc_t* wcc) {
    auto r = resolve(cred, fh);
    if (!r.ok()) {
        return r.error();
    }
    fillBefore(wcc, r->attr);
    // Refusals still report the attributes after (unchanged), as wcc_data wants.
    auto refuse = [&](dfs_status_t c) {
        if (wcc != nullptr) {
            wcc->have_after = 1;
            wcc->after = r->attr;
        }
        return err(c);
    };
    if (r->share->cfg.readOnly) {
        return refuse(DFS_ERR_ROFS);
    }
    if (guard != nullptr && !(guard->sec == r->attr.ctime.sec && guard->nsec == r->attr.ctime.nsec)) {
        return refuse(DFS_ERR_NOT_SYNC);
    }
    dfs_attr_t after{};
    Status s = applySetattr(*r, sa, &after);
    if (wcc != nullptr) {
        if (s.ok()) {
            wcc->have_after = 1;
            wcc->after = after;
        } else {
            fillAfter(wcc, r->share->meta->meta(), r->ino);
        }
    }
    return s;
}

Status Vfs::lookup(const dfs_cred_t& cred, const dfs_fh_t* dir, std::string_view name, dfs_fh_t* out,
                   dfs_attr_t* attr, dfs_attr_t* dirAttr) {
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
    if (name.size() > DFS_NAME_MAX) {
        return err(DFS_ERR_NAMETOOLONG);
    }
    if (!mayAccess(d->attr, d->cred, kMayExec)) {
        return err(DFS_ERR_ACCES);
    }
    // ".." of a share's root is the root itself: a client never walks out of its share.
    auto a = d->share->meta->meta().lookup(d->ino, name);
    if (!a.ok()) {
        return a.error();
    }
    if (out != nullptr) {
        *out = handleFor(*d->share, *a);
    }
    if (attr != nullptr) {
        *attr = *a;
    }
    return okStatus();
}

Status Vfs::access(const dfs_cred_t& cred, const dfs_fh_t* fh, uint32_t want, uint32_t* granted, dfs_attr_t* attr) {
    auto r = resolve(cred, fh);
    if (!r.ok()) {
        return r.error();
    }
    if (attr != nullptr) {
        *attr = r->attr;
    }
    if (granted != nullptr) {
        *granted = accessBits(r->attr, r->cred, r->share->cfg.readOnly, want);
    }
    return okStatus();
}

Status Vfs::create(const dfs_cred_t& cred, const dfs_fh_t* dir, std::string_view name, const dfs_create_args_t& in,
                   const dfs_setattr_t* sa, dfs_fh_t* out, dfs_attr_t* attr, dfs_wcc_t* dirWcc) {
    auto d = resolve(cred, dir);
    if (!d.ok()) {
        return d.error();
    }
    fillBefore(dirWcc, d->attr);
    const auto& meta = d->share->meta->meta();
    auto finish = [&](Status s) {
        fillAfter(dirWcc, meta, d->ino);
        return s;
    };
    if (Status s = checkDirChange(*d); !s.ok()) {
        return finish(s);
    }
    if (dfs_status_t c = checkName(name); c != DFS_OK) {
        return finish(err(c));
    }
    if (in.type == DFS_TYPE_LNK && in.symlink_target.len > DFS_PATH_MAX) {
        return finish(err(DFS_ERR_NAMETOOLONG));
    }
    if ((in.type == DFS_TYPE_CHR || in.type == DFS_TYPE_BLK) && d->cred.uid != 0) {
        return finish(err(DFS_ERR_PERM));  // mknod of a device needs privilege (POSIX)
    }
    dfs_create_args_t args = in;
    args.uid = d->cred.uid;
    args.gid = d->cred.gid;
    args.mode &= 07777;
    // BSD group semantics under a set-group-id directory; subdirectories inherit it.
    if ((d->attr.mode & 02000) != 0) {
        args.gid = d->attr.gid;
        if (args.type == DFS_TYPE_DIR) {
            args.mode |= 02000;
        }
    }
    if (args.type == DFS_TYPE_LNK) {
        args.mode = 0777;
    }
    auto c = meta.create(d->ino, name, args, now());
    if (!c.ok()) {
        return finish(c.error());
    }
    dfs_attr_t result = c->attr;
    Resolved obj{d->share, result.ino, result, d->cred};
    if (sa != nullptr) {
        dfs_setattr_t rest = *sa;
        rest.mask &= ~DFS_SET_MODE;
        if (!c->existed) {
            // The creator owns the new object; an explicit owner in the request is applied
            // with the caller's rights (root only).
            if ((rest.mask & DFS_SET_UID) != 0 && rest.uid == result.uid) {
                rest.mask &= ~DFS_SET_UID;
            }
            if ((rest.mask & DFS_SET_GID) != 0 && rest.gid == result.gid) {
                rest.mask &= ~DFS_SET_GID;
            }
            // open(O_CREAT|O_TRUNC) sends size 0 with the create: a new object has it.
            if ((rest.mask & DFS_SET_SIZE) != 0 && rest.size == result.size) {
                rest.mask &= ~DFS_SET_SIZE;
            }
        } else {
            rest.mask &= DFS_SET_SIZE;  // UNCHECKED over an existing file: only truncation
        }
        if (rest.mask != 0) {
            Status s = applySetattr(obj, rest, &result);
            if (!s.ok()) {
                return finish(s);
            }
        }
    }
    if (out != nullptr) {
        *out = handleFor(*d->share, result);
    }
    if (attr != nullptr) {
        *attr = result;
    }
    return finish(okStatus());
}

Status Vfs::link(const dfs_cred_t& cred, const dfs_fh_t* fh, const dfs_fh_t* dir, std::string_view name,
                 dfs_attr_t* attr, dfs_wcc_t* dirWcc) {
    auto f = resolve(cred, fh);
    if (!f.ok()) {
        return f.error();
    }
    auto d = resolve(cred, dir);
    if (!d.ok()) {
        return d.error();
    }
    fillBefore(dirWcc, d->attr);
    const auto& meta = d->share->meta->meta();
    auto finish = [&](Status s) {
        fillAfter(dirWcc, meta, d->ino);
        if (attr != nullptr) {
            auto a = f->share->meta->meta().getattr(f->ino);
            if (a.ok()) {
                *attr = *a;
            }
        }
        return s;
    };
    if (!sameShare(*f, *d) || f->share->meta != d->share->meta) {
        return finish(err(DFS_ERR_XDEV));
    }
    if (Status s = checkDirChange(*d); !s.ok()) {
        return finish(s);
    }
    if (dfs_status_t c = checkName(name); c != DFS_OK) {
        return finish(err(c));
    }
    auto r = meta.link(f->ino, d->ino, name, now());
    return finish(r.ok() ? okStatus() : Status(r.error()));
}

void Vfs::freeIfGone(const Share& s, const dfs_attr_t& a) {
    if (a.ino != 0 && a.nlink == 0 && a.type == DFS_TYPE_REG) {
        Status st = s.blocks->blocks().remove(a.ino);
        if (!st.ok()) {
            log::warn("vfs", "block_remove_failed",
                      {{"share", s.cfg.name}, {"ino", std::to_string(a.ino)}, {"status", statusName(st.code())}});
        }
    }
}

Status Vfs::remove(const dfs_cred_t& cred, const dfs_fh_t* dir, std::string_view name, uint32_t flags,
                   dfs_wcc_t* dirWcc) {
    auto d = resolve(cred, dir);
    if (!d.ok()) {
        return d.error();
    }
    fillBefore(dirWcc, d->attr);
    const auto& meta = d->share->meta->meta();
    auto finish = [&](Status s) {
        fillAfter(dirWcc, meta, d->ino);
        return s;
    };
    if (Status s = checkDirChange(*d); !s.ok()) {
        return finish(s);
    }
    if (name == "." || name == "..") {
        return finish(err((flags & DFS_REMOVE_DIR) != 0 ? DFS_ERR_INVAL : DFS_ERR_ISDIR));
    }
    auto victim = meta.lookup(d->ino, name);
    if (!victim.ok()) {
        return finish(victim.error());
    }
    if (!mayDeleteFrom(d->attr, *victim, d->cred)) {
        return finish(err(DFS_ERR_ACCES));
    }
    auto r = meta.remove(d->ino, name, flags, now());
    if (!r.ok()) {
        return finish(r.error());
    }
    freeIfGone(*d->share, *r);
    return finish(okStatus());
}

Status Vfs::rename(const dfs_cred_t& cred, const dfs_fh_t* srcDir, std::string_view srcName, const dfs_fh_t* dstDir,
                   std::string_view dstName, dfs_wcc_t* srcWcc, dfs_wcc_t* dstWcc) {
    auto s = resolve(cred, srcDir);
    if (!s.ok()) {
        return s.error();
    }
    auto d = resolve(cred, dstDir);
    if (!d.ok()) {
        return d.error();
    }
    fillBefore(srcWcc, s->attr);
    fillBefore(dstWcc, d->attr);
    const auto& meta = s->share->meta->meta();
    auto finish = [&](Status st) {
        fillAfter(srcWcc, meta, s->ino);
        fillAfter(dstWcc, d->share->meta->meta(), d->ino);
        return st;
    };
    if (!sameShare(*s, *d)) {
        return finish(err(DFS_ERR_XDEV));
    }
    for (const Resolved* x : {&*s, &*d}) {
        if (Status st = checkDirChange(*x); !st.ok()) {
            return finish(st);
        }
    }
    if (srcName == "." || srcName == ".." || dstName == "." || dstName == "..") {
        return finish(err(DFS_ERR_INVAL));
    }
    if (dfs_status_t c = checkName(dstName); c != DFS_OK) {
        return finish(err(c));
    }
    auto victim = meta.lookup(s->ino, srcName);
    if (!victim.ok()) {
        return finish(victim.error());
    }
    if (!mayDeleteFrom(s->attr, *victim, s->cred)) {
        return finish(err(DFS_ERR_ACCES));
    }
    if (auto target = meta.lookup(d->ino, dstName); target.ok() && !mayDeleteFrom(d->attr, *target, d->cred)) {
        return finish(err(DFS_ERR_ACCES));
    }
    // Moving a directory rewrites its "..": that needs write permission on it.
    if (victim->type == DFS_TYPE_DIR && s->ino != d->ino && !mayAccess(*victim, s->cred, kMayWrite)) {
        return finish(err(DFS_ERR_ACCES));
    }
    auto r = meta.rename(s->ino, srcName, d->ino, dstName, now());
    if (!r.ok()) {
        return finish(r.error());
    }
    freeIfGone(*s->share, *r);
    return finish(okStatus());
}

}  // namespace dfs::kernel
