// The sqlite metadata store: opening the database, the read slots, xattrs, statfs and
// sync (see sqlite_metadata.hpp). The namespace-changing slots are in
// sqlite_namespace.cpp.
//
// Config keys:
//   path         the database file; relative paths are relative to data_dir (required)
//   data_dir     the kernel's data directory (always passed by the kernel)
//   synchronous  normal (default: WAL survives kill -9 of the process) or full (also
//                survives power loss, at one more fsync per call)
//   root_uid, root_gid, root_mode   the root directory's owner and mode on a new database
//                (decimal, or octal with a leading 0)
#include "sqlite_metadata.hpp"

#include <dittofs/cpp/attr.hpp>

#include "sqlite_schema.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <span>

namespace dfs::sqlite {
namespace {

// Read-only connections: one per worker of the server's default pool (16), so readers
// rarely wait for one; each keeps a page cache of its own (SQLite's default, 2 MiB).
constexpr int kReaders = 16;
// The file limit statfs reports: SQLite has no practical one. The same value the
// client default uses, so df looks alike on every store.
constexpr uint64_t kTotalFiles = UINT64_MAX / 2;
// WAL frames (pages) after which the checkpoint thread is woken (SQLite's own default
// for its autocheckpoint), and after which the writer checkpoints itself.
constexpr int kCheckpointFrames = 1000;
constexpr int kInlineCheckpointFrames = 16000;
// The most slots one group commit runs: bounds the wait of the first behind the last.
constexpr size_t kMaxGroup = 64;



}  // namespace

Result<std::unique_ptr<SqliteMetadataStore>> SqliteMetadataStore::open(const Host& host, const Config& config) {
    for (const auto& [key, value] : config.all()) {
        if (key != "path" && key != "data_dir" && key != "synchronous" && key != "root_uid" &&
            key != "root_gid" && key != "root_mode") {
            host.warn("sqlite metadata store: ignoring unknown config key '" + key + "'");
        }
    }
    std::string path = config.get("path");
    if (path.empty()) {
        host.error("sqlite metadata store: config key 'path' is required");
        return makeError(DFS_ERR_INVAL);
    }
    std::string dataDir = config.get("data_dir");
    if (path[0] != '/' && !dataDir.empty()) {
        path = dataDir + "/" + path;
    }
    std::string sync = config.get("synchronous", "normal");
    if (sync != "normal" && sync != "full") {
        host.error("sqlite metadata store: synchronous must be normal or full, not '" + sync + "'");
        return makeError(DFS_ERR_INVAL);
    }

    // A new share's database may sit in a directory nobody created yet.
    std::error_code ec;
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
        std::filesystem::create_directories(parent, ec);
        if (ec) {
            host.error("sqlite metadata store: cannot create " + parent.string() + ": " + ec.message());
            return errnoError(ec.value());
        }
    }

    auto writer = Connection::open(host, path, false);
    if (!writer.ok()) {
        return writer.error();
    }
    Connection& w = **writer;
    // journal_mode answers with the mode it is in: a filesystem without shared memory
    // support can refuse WAL, and the concurrency design depends on it.
    {
        Stmt st(w, "PRAGMA journal_mode = WAL");
        auto r = st.step();
        if (!r.ok()) {
            return r.error();
        }
        if (!*r || st.blob(0) != "wal") {
            host.error("sqlite metadata store: " + path + " cannot use WAL journal mode");
            return makeError(DFS_ERR_IO);
        }
    }
    if (Status s = w.exec(sync == "full" ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"); !s.ok()) {
        return s.error();
    }
    // After a burst of writes the WAL is truncated back to this size at the next
    // checkpoint instead of keeping its high-water mark on disk forever.
    if (Status s = w.exec("PRAGMA journal_size_limit = 67108864"); !s.ok()) {
        return s.error();
    }
    // A group commit's savepoints keep the pages they change in a statement journal:
    // in memory, not in a temporary file.
    if (Status s = w.exec("PRAGMA temp_store = MEMORY"); !s.ok()) {
        return s.error();
    }

    std::unique_ptr<SqliteMetadataStore> store(new SqliteMetadataStore(host, std::move(*writer)));
    store->synchronousFull_ = sync == "full";
    if (Status s = store->initialise(config); !s.ok()) {
        return s.error();
    }
    for (int i = 0; i < kReaders; ++i) {
        auto r = Connection::open(host, path, true);
        if (!r.ok()) {
            return r.error();
        }
        store->readers_.add(std::move(*r));
    }
    auto ckpt = Connection::open(host, path, false);
    if (!ckpt.ok()) {
        return ckpt.error();
    }
    if (Status s = (*ckpt)->exec(sync == "full" ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        !s.ok()) {
        return s.error();
    }
    store->startCheckpointer(std::move(*ckpt));
    host.debug("sqlite metadata store: opened " + path);
    return store;
}

SqliteMetadataStore::~SqliteMetadataStore() {
    if (checkpointThread_.joinable()) {
        {
            std::lock_guard<std::mutex> lock(checkpointMu_);
            checkpointStop_ = true;
        }
        checkpointCv_.notify_all();
        checkpointThread_.join();
    }
    std::lock_guard<std::mutex> lock(writeMutex_);
    sqlite3_wal_hook(writer_->raw(), nullptr, nullptr);
}

void SqliteMetadataStore::startCheckpointer(ConnectionPtr conn) {
    checkpointer_ = std::move(conn);
    checkpointThread_ = std::thread([this] { checkpointLoop(); });
    std::lock_guard<std::mutex> lock(writeMutex_);
    sqlite3_wal_hook(writer_->raw(), &SqliteMetadataStore::walHook, this);
}

// Runs on the writer, inside a commit (under writeMutex_), after each transaction.
int SqliteMetadataStore::walHook(void* self, sqlite3* db, const char* name, int frames) {
    auto* store = static_cast<SqliteMetadataStore*>(self);
    if (frames < store->walMark_) {
        store->walMark_ = 0;  // the WAL started over
    }
    // Each checkpoint costs two fsyncs (WAL, database). When readers keep one from
    // resetting the WAL, `frames` stays high; without the mark every later commit would
    // ask for another. So: one per kCheckpointFrames new frames.
    if (frames - store->walMark_ < kCheckpointFrames) {
        return SQLITE_OK;
    }
    store->walMark_ = frames;
    if (frames >= kInlineCheckpointFrames) {
        // The thread is not keeping up: bound the WAL here, as SQLite's own
        // autocheckpoint would.
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else {
        {
            std::lock_guard<std::mutex> lock(store->checkpointMu_);
            store->checkpointWanted_ = true;
        }
        store->checkpointCv_.notify_one();
    }
    return SQLITE_OK;
}

void SqliteMetadataStore::checkpointLoop() {
    std::unique_lock<std::mutex> lock(checkpointMu_);
    for (;;) {
        checkpointCv_.wait(lock, [this] { return checkpointStop_ || checkpointWanted_; });
        if (checkpointStop_) {
            return;
        }
        checkpointWanted_ = false;
        lock.unlock();
        // PASSIVE: copies what no reader still needs, waits for nobody. Busy means
        // another checkpoint is running (sync()'s fallback when it cannot fsync the WAL
        // alone), which does the same work.
        int rc = sqlite3_wal_checkpoint_v2(checkpointer_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY) {
            (void)checkpointer_->fail("wal_checkpoint", rc);
        }
        lock.lock();
    }
}

Status SqliteMetadataStore::runWrite(WriteWork& w) {
    std::unique_lock<std::mutex> lock(groupMu_);
    queued_.push_back(&w);
    if (grouping_) {
        w.wake.wait(lock, [&] { return w.done || w.lead; });
        if (w.done) {
            return w.result;
        }
    }
    // This caller leads: it runs what is queued (its own work first in line) as one group.
    grouping_ = true;
    WriteWork* group[kMaxGroup];
    const size_t n = std::min(queued_.size(), kMaxGroup);
    std::copy_n(queued_.begin(), n, group);
    queued_.erase(queued_.begin(), queued_.begin() + static_cast<std::ptrdiff_t>(n));
    lock.unlock();
    try {
        commitGroup(group, n);
    } catch (...) {
        // (A slot that throws, e.g. out of memory, must not leave the others waiting.)
        for (size_t i = 0; i < n; ++i) {
            group[i]->result = makeError(DFS_ERR_SERVERFAULT);
        }
    }
    lock.lock();
    for (WriteWork* g : std::span(group, n)) {
        g->done = true;
        if (g != &w) {
            g->wake.notify_one();  // (under the lock: the waiter cannot return and go away first)
        }
    }
    if (queued_.empty()) {
        grouping_ = false;
    } else {
        queued_.front()->lead = true;
        queued_.front()->wake.notify_one();
    }
    return w.result;
}

// Runs slots catching what they throw: the group's other slots still get their answers.
Status SqliteMetadataStore::runSlot(WriteWork& w, Connection& c) {
    try {
        return w.run(w.fn, c);
    } catch (...) {
        return makeError(DFS_ERR_SERVERFAULT);
    }
}

void SqliteMetadataStore::commitGroup(WriteWork* const* group, size_t n) {
    std::lock_guard<std::mutex> lock(writeMutex_);
    Connection& c = *writer_;
    Txn txn(c, Txn::Kind::Write);
    if (!txn.begun().ok()) {
        for (size_t i = 0; i < n; ++i) {
            group[i]->result = txn.begun();
        }
        return;
    }
    if (n == 1) {
        Status s = runSlot(*group[0], c);
        group[0]->result = s.ok() ? txn.commit() : s;
        return;
    }
    for (size_t i = 0; i < n; ++i) {
        WriteWork* g = group[i];
        g->result = Stmt(c, "SAVEPOINT slot").run();
        if (!g->result.ok()) {
            continue;
        }
        Status s = runSlot(*g, c);
        Status end = s.ok() ? Stmt(c, "RELEASE slot").run() : Stmt(c, "ROLLBACK TO slot").run();
        if (!s.ok() && end.ok()) {
            end = Stmt(c, "RELEASE slot").run();
        }
        g->result = s.ok() ? end : s;
        if (!end.ok() || sqlite3_get_autocommit(c.raw()) != 0) {
            // SQLite gave the whole transaction up (an I/O error, a full disk), or the
            // savepoint could not be closed: the group's work so far is gone with it, and
            // the rest is not run.
            Status lost = !end.ok() ? end : !s.ok() ? s : makeError(DFS_ERR_IO);
            for (size_t j = 0; j < n; ++j) {
                if (j != i || g->result.ok()) {
                    group[j]->result = lost;
                }
            }
            return;
        }
    }
    Status committed = txn.commit();
    if (!committed.ok()) {
        for (size_t i = 0; i < n; ++i) {
            if (group[i]->result.ok()) {
                group[i]->result = committed;
            }
        }
    }
}

Status SqliteMetadataStore::initialise(const Config& config) {
    std::random_device rd;
    rng_.seed((static_cast<uint64_t>(rd()) << 32) ^ rd());
    return inWriteTxn([&](Connection& c) -> Status {
        if (Status s = migrate(c); !s.ok()) {
            return s;
        }
        Stmt st(c, "SELECT value FROM meta WHERE key = 'root'");
        auto r = st.step();
        if (!r.ok()) {
            return r.error();
        }
        if (*r) {
            root_ = st.u64(0);
            return okStatus();
        }
        return createRoot(c, config);
    });
}

Status SqliteMetadataStore::createRoot(Connection& c, const Config& config) {
    uint32_t values[3] = {0, 0, 0755};
    const char* keys[3] = {"root_uid", "root_gid", "root_mode"};
    for (int i = 0; i < 3; ++i) {
        if (!config.has(keys[i])) {
            continue;
        }
        auto v = dfs::parseNumber(config.get(keys[i]));
        if (!v || (i == 2 && *v > 07777)) {
            host_.error("sqlite metadata store: bad value '" + config.get(keys[i]) + "' for " + keys[i]);
            return makeError(DFS_ERR_INVAL);
        }
        values[i] = *v;
    }
    Inode n;
    n.attr = makeStruct<dfs_attr_t>();
    n.attr.type = DFS_TYPE_DIR;
    n.attr.mode = values[2];
    n.attr.uid = values[0];
    n.attr.gid = values[1];
    n.attr.nlink = 2;
    n.nextCookie = DFS_COOKIE_FIRST;
    auto ino = insertInode(c, n, host_.now(), {}, nullptr);
    if (!ino.ok()) {
        return ino.error();
    }
    root_ = *ino;
    // The root is its own parent: lookup(root, "..") answers the root.
    if (Status s = Stmt(c, "UPDATE inodes SET parent = ino WHERE ino = ?").bindU(1, root_).run(); !s.ok()) {
        return s;
    }
    return Stmt(c, "INSERT INTO meta(key, value) VALUES ('root', ?)").bindU(1, root_).run();
}

Result<uint64_t> SqliteMetadataStore::root() { return root_; }

Status SqliteMetadataStore::getattr(uint64_t ino, dfs_attr_t& out) {
    return inReadStmt([&](Connection& c) -> Status {
        auto n = loadInode(c, ino);
        if (!n.ok()) {
            return n.error();
        }
        out = n->attr;
        return okStatus();
    });
}

Status SqliteMetadataStore::lookup(uint64_t dir, std::string_view name, dfs_attr_t& out) {
    return inReadTxn([&](Connection& c) -> Status {
        auto d = loadDir(c, dir);
        if (!d.ok()) {
            return d.error();
        }
        if (name == ".") {
            out = d->attr;
            return okStatus();
        }
        if (name == "..") {
            auto p = loadInode(c, d->parent);
            if (!p.ok()) {
                return p.error();
            }
            out = p->attr;
            return okStatus();
        }
        if (name.size() > DFS_NAME_MAX) {
            return makeError(DFS_ERR_NAMETOOLONG);
        }
        Stmt st(c, "SELECT " DFS_SQLITE_INODE_COLUMNS
                   " FROM dirents d JOIN inodes i ON i.ino = d.ino WHERE d.dir = ? AND d.name = ?");
        st.bindU(1, dir).bindBlob(2, name);
        auto r = st.step();
        if (!r.ok()) {
            return r.error();
        }
        if (!*r) {
            return makeError(DFS_ERR_NOENT);
        }
        out = readInode(st, 0).attr;
        return okStatus();
    });
}

Result<std::string> SqliteMetadataStore::readlink(uint64_t ino) {
    std::string target;
    Status s = inReadStmt([&](Connection& c) -> Status {
        Stmt st(c, "SELECT type, target FROM inodes WHERE ino = ?");
        auto r = st.bindU(1, ino).step();
        if (!r.ok()) {
            return r.error();
        }
        if (!*r) {
            return makeError(DFS_ERR_STALE);
        }
        if (st.i64(0) != DFS_TYPE_LNK) {
            return makeError(DFS_ERR_INVAL);
        }
        target.assign(st.blob(1));
        return okStatus();
    });
    if (!s.ok()) {
        return s.error();
    }
    return target;
}

Status SqliteMetadataStore::listEntries(uint64_t dir, uint64_t cookie, bool withAttr,
                                        const std::function<bool(const Stmt&)>& row, bool& eof) {
    eof = false;
    // One read transaction for the whole listing: the sink sees one consistent
    // snapshot, and WAL keeps writers going meanwhile.
    return inReadTxn([&](Connection& c) -> Status {
        auto d = loadDir(c, dir);
        if (!d.ok()) {
            return d.error();
        }
        // Columns 0-2 are the entry's name, cookie and type; with attributes, the inode
        // columns follow from 3 on (readInode).
        Stmt st(c, withAttr ? "SELECT d.name, d.cookie, i.type, " DFS_SQLITE_INODE_COLUMNS
                              " FROM dirents d JOIN inodes i ON i.ino = d.ino"
                              " WHERE d.dir = ? AND d.cookie > ? ORDER BY d.cookie"
                            : "SELECT d.name, d.cookie, i.type, d.ino FROM dirents d JOIN inodes i ON i.ino = d.ino"
                              " WHERE d.dir = ? AND d.cookie > ? ORDER BY d.cookie");
        // Cookies are stored as signed 64-bit; anything past INT64_MAX lists nothing.
        if (cookie > static_cast<uint64_t>(INT64_MAX)) {
            eof = true;
            return okStatus();
        }
        st.bindU(1, dir).bindU(2, cookie);
        for (;;) {
            auto r = st.step();
            if (!r.ok()) {
                return r.error();
            }
            if (!*r) {
                eof = true;
                return okStatus();
            }
            if (!row(st)) {
                return okStatus();
            }
        }
    });
}

namespace {

dfs_dirent_t direntOf(const Stmt& st) {
    auto e = makeStruct<dfs_dirent_t>();
    e.name = toC(st.blob(0));
    e.cookie = st.u64(1);
    e.type = static_cast<dfs_ftype_t>(st.i64(2));
    e.ino = st.u64(3);  // d.ino, or i.ino: the first inode column
    return e;
}

}  // namespace

Status SqliteMetadataStore::readdir(uint64_t dir, uint64_t cookie, const DirentSink& sink, bool& eof) {
    return listEntries(dir, cookie, false, [&](const Stmt& st) { return sink(direntOf(st)); }, eof);
}

Status SqliteMetadataStore::readdirPlus(uint64_t dir, uint64_t cookie, const DirentPlusSink& sink, bool& eof) {
    return listEntries(
        dir, cookie, true, [&](const Stmt& st) { return sink(direntOf(st), readInode(st, 3).attr); }, eof);
}

Result<std::string> SqliteMetadataStore::getxattr(uint64_t ino, std::string_view name) {
    std::string value;
    Status s = inReadTxn([&](Connection& c) -> Status {
        auto n = loadInode(c, ino);
        if (!n.ok()) {
            return n.error();
        }
        if (Status v = dfs::checkXattrName(name); !v.ok()) {
            return v;
        }
        Stmt st(c, "SELECT value FROM xattrs WHERE ino = ? AND name = ?");
        auto r = st.bindU(1, ino).bindBlob(2, name).step();
        if (!r.ok()) {
            return r.error();
        }
        if (!*r) {
            return makeError(DFS_ERR_NOXATTR);
        }
        value.assign(st.blob(0));
        return okStatus();
    });
    if (!s.ok()) {
        return s.error();
    }
    return value;
}

Result<std::vector<std::string>> SqliteMetadataStore::listxattr(uint64_t ino) {
    std::vector<std::string> names;
    Status s = inReadTxn([&](Connection& c) -> Status {
        auto n = loadInode(c, ino);
        if (!n.ok()) {
            return n.error();
        }
        Stmt st(c, "SELECT name FROM xattrs WHERE ino = ?");
        st.bindU(1, ino);
        for (;;) {
            auto r = st.step();
            if (!r.ok()) {
                return r.error();
            }
            if (!*r) {
                return okStatus();
            }
            names.emplace_back(st.blob(0));
        }
    });
    if (!s.ok()) {
        return s.error();
    }
    return names;
}

Status SqliteMetadataStore::setxattr(uint64_t ino, std::string_view name, std::string_view value, uint32_t flags,
                                     dfs_time_t now) {
    if (Status s = dfs::checkSetxattr(name, value, flags); !s.ok()) {
        return s;
    }
    return inWriteTxn([&](Connection& c) -> Status {
        auto n = loadInode(c, ino);
        if (!n.ok()) {
            return n.error();
        }
        Stmt find(c, "SELECT 1 FROM xattrs WHERE ino = ? AND name = ?");
        auto r = find.bindU(1, ino).bindBlob(2, name).step();
        if (!r.ok()) {
            return r.error();
        }
        if (*r && (flags & DFS_XATTR_CREATE) != 0) {
            return makeError(DFS_ERR_EXIST);
        }
        if (!*r && (flags & DFS_XATTR_REPLACE) != 0) {
            return makeError(DFS_ERR_NOXATTR);
        }
        Stmt put(c, "INSERT INTO xattrs(ino, name, value) VALUES (?, ?, ?)"
                    " ON CONFLICT(ino, name) DO UPDATE SET value = excluded.value");
        if (Status s = put.bindU(1, ino).bindBlob(2, name).bindBlob(3, value).run(); !s.ok()) {
            return s;
        }
        stamp(*n, now, false);
        return saveInode(c, *n);
    });
}

Status SqliteMetadataStore::removexattr(uint64_t ino, std::string_view name, dfs_time_t now) {
    return inWriteTxn([&](Connection& c) -> Status {
        auto n = loadInode(c, ino);
        if (!n.ok()) {
            return n.error();
        }
        if (Status s = dfs::checkXattrName(name); !s.ok()) {
            return s;
        }
        Stmt del(c, "DELETE FROM xattrs WHERE ino = ? AND name = ?");
        if (Status s = del.bindU(1, ino).bindBlob(2, name).run(); !s.ok()) {
            return s;
        }
        if (sqlite3_changes(c.raw()) == 0) {
            return makeError(DFS_ERR_NOXATTR);
        }
        stamp(*n, now, false);
        return saveInode(c, *n);
    });
}

Status SqliteMetadataStore::statfs(dfs_statfs_t& out) {
    return inReadStmt([&](Connection& c) -> Status {
        // A counter kept by create/remove: COUNT(*) would scan the whole table.
        Stmt st(c, "SELECT value FROM meta WHERE key = 'files'");
        auto r = st.step();
        if (!r.ok()) {
            return r.error();
        }
        uint64_t used = *r ? st.u64(0) : 0;
        out.total_files = kTotalFiles;
        out.free_files = out.avail_files = kTotalFiles - std::min(used, kTotalFiles);
        return okStatus();
    });
}

Status SqliteMetadataStore::sync() {
    // With synchronous=full every commit was synced already. With normal, commits reach
    // the WAL without an fsync: an fsync of the WAL makes everything acknowledged durable
    // (the frames a checkpoint has since copied out are in the synced database), which is
    // one fsync rather than a checkpoint (copying the WAL, two fsyncs) per NFS COMMIT.
    if (synchronousFull_) {
        return okStatus();
    }
    std::lock_guard<std::mutex> lock(writeMutex_);
    sqlite3_file* wal = nullptr;
    int rc = sqlite3_file_control(writer_->raw(), "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
    if (rc == SQLITE_OK && wal != nullptr && wal->pMethods != nullptr) {
        rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
        if (rc != SQLITE_OK) {
            return writer_->fail("wal sync", rc);
        }
        return okStatus();
    }
    // No WAL file open on the writer: a FULL checkpoint, which waits (busy handler) for
    // readers in the way instead of stopping early.
    rc = sqlite3_wal_checkpoint_v2(writer_->raw(), nullptr, SQLITE_CHECKPOINT_FULL, nullptr, nullptr);
    if (rc != SQLITE_OK) {
        return writer_->fail("wal_checkpoint", rc);
    }
    return okStatus();
}

Status SqliteMetadataStore::getVerifier(uint64_t ino, uint8_t verifier[8]) {
    return inReadStmt([&](Connection& c) -> Status {
        Stmt st(c, "SELECT verifier FROM inodes WHERE ino = ?");
        auto r = st.bindU(1, ino).step();
        if (!r.ok()) {
            return r.error();
        }
        if (!*r) {
            return makeError(DFS_ERR_STALE);
        }
        std::string_view v = st.blob(0);
        if (st.isNull(0) || v.size() != 8) {
            return makeError(DFS_ERR_NOENT);
        }
        std::memcpy(verifier, v.data(), 8);
        return okStatus();
    });
}

}  // namespace dfs::sqlite

using dfs::sqlite::SqliteMetadataStore;

DFS_EXPORT_METADATA_STORE(SqliteMetadataStore, "sqlite", "1.0.0",
                          "SQLite (WAL) metadata store: the embedded default, durable across restarts");
