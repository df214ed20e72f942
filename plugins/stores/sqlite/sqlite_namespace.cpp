// The sqlite metadata store: the slots that change the namespace or attributes (create,
// link, remove, rename, setattr); see sqlite_metadata.hpp.
//
// Each slot loads the rows it needs, checks everything, then writes; it all runs in one
// IMMEDIATE transaction, so a failure at any point (a check, a full disk) rolls back
// every row the slot touched and the caller sees the namespace unchanged.
#include "sqlite_metadata.hpp"

#include <dittofs/cpp/attr.hpp>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

namespace dfs::sqlite {
namespace {

constexpr uint32_t kMaxLinks = 65000;



}  // namespace

Status SqliteMetadataStore::setattr(uint64_t ino, const dfs_setattr_t& sa, dfs_time_t now, dfs_attr_t& out) {
    return inWriteTxn([&](Connection& c) -> Status {
        auto n = loadInode(c, ino);
        if (!n.ok()) {
            return n.error();
        }
        dfs_attr_t& a = n->attr;
        if (Status s = dfs::applySetattr(a, sa, now); !s.ok()) {
            return s;
        }
        if (Status s = saveInode(c, *n); !s.ok()) {
            return s;
        }
        out = a;
        return okStatus();
    });
}

Status SqliteMetadataStore::create(uint64_t dir, std::string_view name, const dfs_create_args_t& args,
                                   dfs_time_t now, dfs_attr_t& out, bool& existed) {
    return createIn(dir, name, args, now, out, existed, nullptr);
}

Status SqliteMetadataStore::createPlus(uint64_t dir, std::string_view name, const dfs_create_args_t& args,
                                       dfs_time_t now, dfs_attr_t& out, bool& existed, dfs_attr_t& dirOut) {
    return createIn(dir, name, args, now, out, existed, &dirOut);
}

Status SqliteMetadataStore::createIn(uint64_t dir, std::string_view name, const dfs_create_args_t& args,
                                     dfs_time_t now, dfs_attr_t& out, bool& existed, dfs_attr_t* dirOut) {
    existed = false;
    if (!dfs::validType(args.type)) {
        return makeError(DFS_ERR_BADTYPE);
    }
    if (args.how < DFS_CREATE_GUARDED || args.how > DFS_CREATE_EXCLUSIVE) {
        return makeError(DFS_ERR_INVAL);
    }
    std::string_view target = toView(args.symlink_target);
    if (args.type == DFS_TYPE_LNK && target.size() > DFS_PATH_MAX) {
        return makeError(DFS_ERR_NAMETOOLONG);
    }
    return inWriteTxn([&](Connection& c) -> Status {
        auto d = loadDir(c, dir);
        if (!d.ok()) {
            return d.error();
        }
        if (Status s = dfs::checkNewName(name); !s.ok()) {
            return s;
        }
        auto old = findEntry(c, dir, name);
        if (!old.ok()) {
            return old.error();
        }
        if (*old != 0) {
            if (dirOut != nullptr) {
                *dirOut = d->attr;
            }
            return existing(c, *old, args, out, existed);
        }
        if (args.type == DFS_TYPE_DIR && d->attr.nlink >= kMaxLinks) {
            return makeError(DFS_ERR_MLINK);
        }

        Inode n;
        n.attr = makeStruct<dfs_attr_t>();
        dfs_attr_t& a = n.attr;
        a.type = args.type;
        a.mode = args.mode & 07777;
        a.uid = args.uid;
        a.gid = args.gid;
        a.nlink = 1;
        if (args.type == DFS_TYPE_DIR) {
            a.nlink = 2;
            n.parent = dir;
            n.nextCookie = DFS_COOKIE_FIRST;
            d->attr.nlink++;
        } else if (args.type == DFS_TYPE_LNK) {
            a.size = target.size();
        } else if (args.type == DFS_TYPE_CHR || args.type == DFS_TYPE_BLK) {
            a.rdev_major = args.rdev_major;
            a.rdev_minor = args.rdev_minor;
        }
        const uint8_t* verifier = args.how == DFS_CREATE_EXCLUSIVE ? args.verifier : nullptr;
        auto ino = insertInode(c, n, now, target, verifier);
        if (!ino.ok()) {
            return ino.error();
        }
        if (Status s = addEntry(c, *d, name, *ino, now); !s.ok()) {
            return s;
        }
        if (Status s = saveInode(c, *d); !s.ok()) {
            return s;
        }
        out = a;
        if (dirOut != nullptr) {
            *dirOut = d->attr;
        }
        return okStatus();
    });
}

// The name exists: UNCHECKED returns a regular file as it is, EXCLUSIVE returns one
// created with the same verifier (a retransmitted create); anything else is EXIST.
Status SqliteMetadataStore::existing(Connection& c, uint64_t ino, const dfs_create_args_t& args, dfs_attr_t& out,
                                     bool& existed) {
    if (args.type != DFS_TYPE_REG || args.how == DFS_CREATE_GUARDED) {
        return makeError(DFS_ERR_EXIST);
    }
    Stmt st(c, "SELECT " DFS_SQLITE_INODE_COLUMNS ", i.verifier FROM inodes i WHERE i.ino = ?");
    auto r = st.bindU(1, ino).step();
    if (!r.ok()) {
        return r.error();
    }
    if (!*r) {
        return makeError(DFS_ERR_SERVERFAULT);
    }
    Inode n = readInode(st, 0);
    if (n.attr.type != DFS_TYPE_REG) {
        return makeError(DFS_ERR_EXIST);
    }
    if (args.how == DFS_CREATE_EXCLUSIVE) {
        std::string_view v = st.blob(kInodeColumnCount);
        if (!n.hasVerifier || v.size() != 8 || std::memcmp(v.data(), args.verifier, 8) != 0) {
            return makeError(DFS_ERR_EXIST);
        }
    }
    existed = true;
    out = n.attr;
    return okStatus();
}

Status SqliteMetadataStore::link(uint64_t ino, uint64_t dir, std::string_view name, dfs_time_t now,
                                 dfs_attr_t& out) {
    return inWriteTxn([&](Connection& c) -> Status {
        auto n = loadInode(c, ino);
        if (!n.ok()) {
            return n.error();
        }
        auto d = loadDir(c, dir);
        if (!d.ok()) {
            return d.error();
        }
        if (Status s = dfs::checkNewName(name); !s.ok()) {
            return s;
        }
        if (isDir(*n)) {
            return makeError(DFS_ERR_PERM);
        }
        auto old = findEntry(c, dir, name);
        if (!old.ok()) {
            return old.error();
        }
        if (*old != 0) {
            return makeError(DFS_ERR_EXIST);
        }
        if (n->attr.nlink >= kMaxLinks) {
            return makeError(DFS_ERR_MLINK);
        }
        if (Status s = addEntry(c, *d, name, ino, now); !s.ok()) {
            return s;
        }
        n->attr.nlink++;
        stamp(*n, now, false);
        if (Status s = saveInode(c, *d); !s.ok()) {
            return s;
        }
        if (Status s = saveInode(c, *n); !s.ok()) {
            return s;
        }
        out = n->attr;
        return okStatus();
    });
}

Status SqliteMetadataStore::remove(uint64_t dir, std::string_view name, uint32_t flags, dfs_time_t now,
                                   dfs_attr_t& removed) {
    return inWriteTxn([&](Connection& c) -> Status {
        auto d = loadDir(c, dir);
        if (!d.ok()) {
            return d.error();
        }
        if (Status s = dfs::checkNewName(name); !s.ok()) {
            return s;
        }
        auto ino = findEntry(c, dir, name);
        if (!ino.ok()) {
            return ino.error();
        }
        if (*ino == 0) {
            return makeError(DFS_ERR_NOENT);
        }
        auto n = loadInode(c, *ino);
        if (!n.ok()) {
            return n.error();
        }
        if (isDir(*n)) {
            if ((flags & DFS_REMOVE_NONDIR) != 0) {
                return makeError(DFS_ERR_ISDIR);
            }
            auto empty = dirIsEmpty(c, *ino);
            if (!empty.ok()) {
                return empty.error();
            }
            if (!*empty) {
                return makeError(DFS_ERR_NOTEMPTY);
            }
            d->attr.nlink--;
        } else if ((flags & DFS_REMOVE_DIR) != 0) {
            return makeError(DFS_ERR_NOTDIR);
        }
        if (Status s = dropEntry(c, *d, name, now); !s.ok()) {
            return s;
        }
        if (Status s = unlinkInode(c, *n, now); !s.ok()) {
            return s;
        }
        if (Status s = saveInode(c, *d); !s.ok()) {
            return s;
        }
        removed = n->attr;
        return okStatus();
    });
}

Status SqliteMetadataStore::rename(uint64_t srcDir, std::string_view srcName, uint64_t dstDir,
                                   std::string_view dstName, dfs_time_t now, dfs_attr_t& replaced) {
    replaced = makeStruct<dfs_attr_t>();
    return inWriteTxn([&](Connection& c) -> Status {
        auto sd = loadDir(c, srcDir);
        if (!sd.ok()) {
            return sd.error();
        }
        // One row, one in-memory copy: a rename within a directory must not save two
        // diverging copies of it.
        std::optional<Inode> other;
        if (srcDir != dstDir) {
            auto dd = loadDir(c, dstDir);
            if (!dd.ok()) {
                return dd.error();
            }
            other = std::move(*dd);
        }
        Inode& from = *sd;
        Inode& to = other ? *other : from;
        if (Status s = dfs::checkNewName(srcName); !s.ok()) {
            return s;
        }
        if (Status s = dfs::checkNewName(dstName); !s.ok()) {
            return s;
        }
        auto srcIno = findEntry(c, srcDir, srcName);
        if (!srcIno.ok()) {
            return srcIno.error();
        }
        if (*srcIno == 0) {
            return makeError(DFS_ERR_NOENT);
        }
        auto dstIno = findEntry(c, dstDir, dstName);
        if (!dstIno.ok()) {
            return dstIno.error();
        }
        // Two names of one object (or the same name): POSIX rename() does nothing.
        if (*dstIno == *srcIno) {
            return okStatus();
        }
        auto src = loadInode(c, *srcIno);
        if (!src.ok()) {
            return src.error();
        }
        if (isDir(*src)) {
            auto inside = isSelfOrDescendant(c, dstDir, *srcIno);
            if (!inside.ok()) {
                return inside.error();
            }
            if (*inside) {
                return makeError(DFS_ERR_INVAL);
            }
        }
        std::optional<Inode> victim;
        if (*dstIno != 0) {
            auto v = loadInode(c, *dstIno);
            if (!v.ok()) {
                return v.error();
            }
            if (isDir(*src) && !isDir(*v)) {
                return makeError(DFS_ERR_NOTDIR);
            }
            if (!isDir(*src) && isDir(*v)) {
                return makeError(DFS_ERR_ISDIR);
            }
            if (isDir(*v)) {
                auto empty = dirIsEmpty(c, *dstIno);
                if (!empty.ok()) {
                    return empty.error();
                }
                if (!*empty) {
                    return makeError(DFS_ERR_NOTEMPTY);
                }
            }
            victim = std::move(*v);
        }
        if (isDir(*src) && srcDir != dstDir && !victim && to.attr.nlink >= kMaxLinks) {
            return makeError(DFS_ERR_MLINK);
        }

        // Every check passed. The writes below can still fail (I/O, full disk); the
        // transaction then undoes them all.
        if (victim) {
            if (Status s = dropEntry(c, to, dstName, now); !s.ok()) {
                return s;
            }
            if (isDir(*victim)) {
                to.attr.nlink--;
            }
            if (Status s = unlinkInode(c, *victim, now); !s.ok()) {
                return s;
            }
            replaced = victim->attr;
        }
        if (Status s = dropEntry(c, from, srcName, now); !s.ok()) {
            return s;
        }
        if (Status s = addEntry(c, to, dstName, *srcIno, now); !s.ok()) {
            return s;
        }
        if (isDir(*src) && srcDir != dstDir) {
            src->parent = dstDir;
            from.attr.nlink--;
            to.attr.nlink++;
        }
        stamp(*src, now, false);
        if (Status s = saveInode(c, *src); !s.ok()) {
            return s;
        }
        if (Status s = saveInode(c, from); !s.ok()) {
            return s;
        }
        if (srcDir != dstDir) {
            return saveInode(c, to);
        }
        return okStatus();
    });
}

}  // namespace dfs::sqlite
