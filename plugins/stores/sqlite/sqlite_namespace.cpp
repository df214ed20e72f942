// The sqlite metadata store: the slots that change the namespace or attributes (create,
// link, remove, rename, setattr) and the row helpers they share (see
// sqlite_metadata.hpp).
//
// Each slot loads the rows it needs, checks everything, then writes; it all runs in one
// IMMEDIATE transaction, so a failure at any point (a check, a full disk) rolls back
// every row the slot touched and the caller sees the namespace unchanged.
#include "sqlite_metadata.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

namespace dfs::sqlite {
namespace {

constexpr uint32_t kMaxLinks = 65000;
// Bounds the walk up the parents in rename: a longer chain means a corrupt database,
// not a deep tree, and must not hang the writer.
constexpr int kMaxDepth = 1 << 20;

bool validType(dfs_ftype_t t) {
    switch (t) {
    case DFS_TYPE_REG:
    case DFS_TYPE_DIR:
    case DFS_TYPE_BLK:
    case DFS_TYPE_CHR:
    case DFS_TYPE_LNK:
    case DFS_TYPE_SOCK:
    case DFS_TYPE_FIFO:
        return true;
    default:
        return false;
    }
}

// A name a create, link, remove or rename may use; "." and ".." are never entries.
Status checkNewName(std::string_view name) {
    dfs_status_t c = checkName(name);
    return c == DFS_OK ? okStatus() : Status(makeError(c));
}

bool isDir(const Inode& n) { return n.attr.type == DFS_TYPE_DIR; }

Stmt& bindTime(Stmt& st, int idx, dfs_time_t t) {
    return st.bind(idx, t.sec).bind(idx + 1, static_cast<int64_t>(t.nsec));
}

}  // namespace

// ---- Row helpers --------------------------------------------------------------------

Result<Inode> SqliteMetadataStore::loadInode(Connection& c, uint64_t ino) {
    Stmt st(c, "SELECT " DFS_SQLITE_INODE_COLUMNS " FROM inodes i WHERE i.ino = ?");
    auto r = st.bindU(1, ino).step();
    if (!r.ok()) {
        return r.error();
    }
    if (!*r) {
        return makeError(DFS_ERR_STALE);
    }
    return readInode(st, 0);
}

Result<Inode> SqliteMetadataStore::loadDir(Connection& c, uint64_t ino) {
    auto n = loadInode(c, ino);
    if (n.ok() && !isDir(*n)) {
        return makeError(DFS_ERR_NOTDIR);
    }
    return n;
}

Status SqliteMetadataStore::saveInode(Connection& c, const Inode& n) {
    const dfs_attr_t& a = n.attr;
    Stmt st(c, "UPDATE inodes SET mode = ?1, nlink = ?2, uid = ?3, gid = ?4, size = ?5,"
               " atime_sec = ?6, atime_nsec = ?7, mtime_sec = ?8, mtime_nsec = ?9,"
               " ctime_sec = ?10, ctime_nsec = ?11, btime_sec = ?12, btime_nsec = ?13,"
               " change = ?14, parent = ?15, next_cookie = ?16 WHERE ino = ?17");
    st.bind(1, a.mode).bind(2, a.nlink).bind(3, a.uid).bind(4, a.gid).bindU(5, a.size);
    bindTime(st, 6, a.atime);
    bindTime(st, 8, a.mtime);
    bindTime(st, 10, a.ctime);
    bindTime(st, 12, a.btime);
    st.bindU(14, a.change);
    if (isDir(n)) {
        st.bindU(15, n.parent).bindU(16, n.nextCookie);
    } else {
        st.bindNull(15).bindNull(16);
    }
    st.bindU(17, a.ino);
    return st.run();
}

Result<uint64_t> SqliteMetadataStore::insertInode(Connection& c, Inode& n, dfs_time_t now, std::string_view target,
                                                  const uint8_t* verifier) {
    dfs_attr_t& a = n.attr;
    // Never 0, so a file handle with generation 0 never matches by accident.
    do {
        a.generation = rng_();
    } while (a.generation == 0);
    a.atime = a.mtime = a.ctime = a.btime = now;
    a.change = 1;
    a.used = a.size;
    Stmt st(c, "INSERT INTO inodes(generation, type, mode, nlink, uid, gid, rdev_major, rdev_minor, size,"
               " atime_sec, atime_nsec, mtime_sec, mtime_nsec, ctime_sec, ctime_nsec, btime_sec, btime_nsec,"
               " change, target, verifier, parent, next_cookie)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10, ?11, ?10, ?11, ?10, ?11,"
               " 1, ?12, ?13, ?14, ?15)");
    st.bindU(1, a.generation).bind(2, a.type).bind(3, a.mode).bind(4, a.nlink).bind(5, a.uid).bind(6, a.gid);
    st.bind(7, a.rdev_major).bind(8, a.rdev_minor).bindU(9, a.size);
    // ?10/?11 are `now` for all four times.
    st.bind(10, now.sec).bind(11, static_cast<int64_t>(now.nsec));
    if (a.type == DFS_TYPE_LNK) {
        st.bindBlob(12, target);
    } else {
        st.bindNull(12);
    }
    if (verifier != nullptr) {
        st.bindBlob(13, std::string_view(reinterpret_cast<const char*>(verifier), 8));
    } else {
        st.bindNull(13);
    }
    if (isDir(n)) {
        st.bindU(14, n.parent).bindU(15, n.nextCookie);
    } else {
        st.bindNull(14).bindNull(15);
    }
    if (Status s = st.run(); !s.ok()) {
        return s.error();
    }
    a.ino = static_cast<uint64_t>(sqlite3_last_insert_rowid(c.raw()));
    n.hasVerifier = verifier != nullptr;
    if (Status s = addFiles(c, 1); !s.ok()) {
        return s.error();
    }
    return a.ino;
}

Result<uint64_t> SqliteMetadataStore::findEntry(Connection& c, uint64_t dir, std::string_view name) {
    Stmt st(c, "SELECT ino FROM dirents WHERE dir = ? AND name = ?");
    auto r = st.bindU(1, dir).bindBlob(2, name).step();
    if (!r.ok()) {
        return r.error();
    }
    return *r ? st.u64(0) : 0;
}

Status SqliteMetadataStore::addEntry(Connection& c, Inode& dir, std::string_view name, uint64_t ino,
                                     dfs_time_t now) {
    // Every insert takes the next cookie, larger than any this directory ever handed out,
    // even for a name that existed before: a listing resumed at an old cookie never
    // skips or repeats an entry.
    Stmt st(c, "INSERT INTO dirents(dir, name, ino, cookie) VALUES (?, ?, ?, ?)");
    if (Status s = st.bindU(1, dir.attr.ino).bindBlob(2, name).bindU(3, ino).bindU(4, dir.nextCookie).run();
        !s.ok()) {
        return s;
    }
    dir.nextCookie++;
    stamp(dir, now, true);
    return okStatus();
}

Status SqliteMetadataStore::dropEntry(Connection& c, Inode& dir, std::string_view name, dfs_time_t now) {
    Stmt st(c, "DELETE FROM dirents WHERE dir = ? AND name = ?");
    if (Status s = st.bindU(1, dir.attr.ino).bindBlob(2, name).run(); !s.ok()) {
        return s;
    }
    stamp(dir, now, true);
    return okStatus();
}

Result<bool> SqliteMetadataStore::dirIsEmpty(Connection& c, uint64_t dir) {
    Stmt st(c, "SELECT 1 FROM dirents WHERE dir = ? LIMIT 1");
    auto r = st.bindU(1, dir).step();
    if (!r.ok()) {
        return r.error();
    }
    return !*r;
}

Status SqliteMetadataStore::unlinkInode(Connection& c, Inode& n, dfs_time_t now) {
    // A directory's own two links ("." and its name) go together; the parent's link
    // from ".." is the caller's to drop.
    n.attr.nlink = isDir(n) ? 0 : n.attr.nlink - 1;
    stamp(n, now, false);
    if (n.attr.nlink > 0) {
        return saveInode(c, n);
    }
    // The last name is gone: so is the object (its xattrs cascade).
    if (Status s = Stmt(c, "DELETE FROM inodes WHERE ino = ?").bindU(1, n.attr.ino).run(); !s.ok()) {
        return s;
    }
    return addFiles(c, -1);
}

Status SqliteMetadataStore::addFiles(Connection& c, int64_t delta) {
    return Stmt(c, "UPDATE meta SET value = value + ? WHERE key = 'files'").bind(1, delta).run();
}

void SqliteMetadataStore::stamp(Inode& n, dfs_time_t now, bool modified) {
    n.attr.ctime = now;
    if (modified) {
        n.attr.mtime = now;
    }
    n.attr.change++;
}

Result<bool> SqliteMetadataStore::isSelfOrDescendant(Connection& c, uint64_t dir, uint64_t ancestor) const {
    uint64_t x = dir;
    for (int depth = 0; depth < kMaxDepth; ++depth) {
        if (x == ancestor) {
            return true;
        }
        if (x == root_) {
            return false;
        }
        Stmt st(c, "SELECT parent FROM inodes WHERE ino = ?");
        auto r = st.bindU(1, x).step();
        if (!r.ok()) {
            return r.error();
        }
        if (!*r || st.isNull(0)) {
            break;
        }
        x = st.u64(0);
    }
    host_.error("sqlite metadata store: broken parent chain above inode " + std::to_string(dir));
    return makeError(DFS_ERR_IO);
}

// ---- Slots ----------------------------------------------------------------------------

Status SqliteMetadataStore::setattr(uint64_t ino, const dfs_setattr_t& sa, dfs_time_t now, dfs_attr_t& out) {
    const uint32_t m = sa.mask;
    // The kernel resolves the *_NOW forms; one reaching a store is a kernel bug.
    if ((m & (DFS_SET_ATIME_NOW | DFS_SET_MTIME_NOW)) != 0) {
        return makeError(DFS_ERR_INVAL);
    }
    return inWriteTxn([&](Connection& c) -> Status {
        auto n = loadInode(c, ino);
        if (!n.ok()) {
            return n.error();
        }
        dfs_attr_t& a = n->attr;
        uint64_t size = a.size;
        if ((m & (DFS_SET_SIZE | DFS_SET_SIZE_GROW)) != 0) {
            if (a.type != DFS_TYPE_REG) {
                return makeError(DFS_ERR_INVAL);
            }
            if (sa.size > DFS_MAX_FILE_SIZE) {
                return makeError(DFS_ERR_FBIG);
            }
            size = (m & DFS_SET_SIZE) != 0 ? sa.size : size;
            size = (m & DFS_SET_SIZE_GROW) != 0 ? std::max(size, sa.size) : size;
        }
        if ((m & DFS_SET_MODE) != 0) {
            a.mode = sa.mode & 07777;
        }
        if ((m & DFS_SET_UID) != 0) {
            a.uid = sa.uid;
        }
        if ((m & DFS_SET_GID) != 0) {
            a.gid = sa.gid;
        }
        if (size != a.size) {
            a.size = a.used = size;
            a.mtime = now;  // POSIX truncate(): a size change is a modification
        }
        if ((m & DFS_SET_ATIME) != 0) {
            a.atime = sa.atime;
        }
        if ((m & DFS_SET_MTIME) != 0) {
            a.mtime = sa.mtime;
        }
        if ((m & DFS_SET_BTIME) != 0) {
            a.btime = sa.btime;
        }
        a.ctime = (m & DFS_SET_CTIME) != 0 ? sa.ctime : now;
        a.change++;
        if (Status s = saveInode(c, *n); !s.ok()) {
            return s;
        }
        out = a;
        return okStatus();
    });
}

Status SqliteMetadataStore::create(uint64_t dir, std::string_view name, const dfs_create_args_t& args,
                                   dfs_time_t now, dfs_attr_t& out, bool& existed) {
    existed = false;
    if (!validType(args.type)) {
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
        if (Status s = checkNewName(name); !s.ok()) {
            return s;
        }
        auto old = findEntry(c, dir, name);
        if (!old.ok()) {
            return old.error();
        }
        if (*old != 0) {
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
        if (Status s = checkNewName(name); !s.ok()) {
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
        if (Status s = checkNewName(name); !s.ok()) {
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
        auto ddLoaded = srcDir == dstDir ? Result<Inode>(makeError(DFS_ERR_SERVERFAULT)) : loadDir(c, dstDir);
        if (srcDir != dstDir && !ddLoaded.ok()) {
            return ddLoaded.error();
        }
        // One row, one in-memory copy: a rename within a directory must not save two
        // diverging copies of it.
        Inode& from = *sd;
        Inode& to = srcDir == dstDir ? *sd : *ddLoaded;
        if (Status s = checkNewName(srcName); !s.ok()) {
            return s;
        }
        if (Status s = checkNewName(dstName); !s.ok()) {
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
