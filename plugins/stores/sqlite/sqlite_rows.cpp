// The sqlite metadata store's row helpers: loading and saving inodes, directory
// entries and the file counter, inside the calling slot's transaction (see
// sqlite_metadata.hpp).
#include "sqlite_metadata.hpp"

#include <string>

namespace dfs::sqlite {
namespace {

// Bounds the walk up the parents in rename: a longer chain means a corrupt database,
// not a deep tree, and must not hang the writer.
constexpr int kMaxDepth = 1 << 20;

dfs_time_t readTime(const Stmt& st, int col) {
    return dfs_time_t{st.i64(col), st.u32(col + 1), 0};
}

Stmt& bindTime(Stmt& st, int idx, dfs_time_t t) {
    return st.bind(idx, t.sec).bind(idx + 1, static_cast<int64_t>(t.nsec));
}

}  // namespace

Inode readInode(const Stmt& st, int first) {
    Inode n;
    n.attr = makeStruct<dfs_attr_t>();
    dfs_attr_t& a = n.attr;
    int c = first;
    a.ino = st.u64(c++);
    a.generation = st.u64(c++);
    a.type = static_cast<dfs_ftype_t>(st.i64(c++));
    a.mode = st.u32(c++);
    a.nlink = st.u32(c++);
    a.uid = st.u32(c++);
    a.gid = st.u32(c++);
    a.rdev_major = st.u32(c++);
    a.rdev_minor = st.u32(c++);
    a.size = a.used = st.u64(c++);
    a.atime = readTime(st, c);
    a.mtime = readTime(st, c + 2);
    a.ctime = readTime(st, c + 4);
    a.btime = readTime(st, c + 6);
    c += 8;
    a.change = st.u64(c++);
    n.parent = st.u64(c++);
    n.nextCookie = st.u64(c++);
    n.hasVerifier = st.i64(c++) != 0;
    return n;
}

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

}  // namespace dfs::sqlite
