// The sqlite metadata store: DittoFS's embedded default metadata store.
//
// One SQLite database file in WAL mode holds a share's inodes, directory entries,
// symlink targets and xattrs. The kernel's VFS calls it through the metadata-store
// table (<dittofs/abi/store.h>) after its own permission and lock checks; each slot is
// one SQLite transaction, so each call is atomic and, once it returns, survives a crash
// of the process (synchronous=normal) or of the machine (synchronous=full).
//
// Concurrency: one writer connection behind writeMutex_, plus a small pool of read-only
// connections for getattr, lookup, readdir, readlink and the xattr reads. SQLite allows
// one writer at a time anyway, so serialising writers in-process costs nothing and
// replaces SQLite's sleep-and-retry busy handler with a blocking mutex. Writes are
// committed in groups: slots that arrive while a transaction is being written queue up,
// and the next transaction runs them all, each in a savepoint of its own (a slot that
// fails undoes only its own changes), with one commit; every caller returns after the
// commit that holds its work, so each slot is still atomic and durable on return, and
// concurrent writers share the WAL pages they touch (the directory's, the counters') and
// the commit (with synchronous=full, its fsync) instead of each writing its own. WAL lets the
// readers run alongside the writer and each other, which is where a file server's load is (lookups
// and getattrs outnumber mutations by far). A read transaction starts after every
// write already acknowledged, so readers never see older state than a caller was told.
//
// The code is split by concept: sqlite_metadata.cpp (opening, reads, xattrs, statfs,
// sync), sqlite_namespace.cpp (create, link, remove, rename, setattr), sqlite_rows.cpp
// (the row helpers they share), sqlite_schema.cpp and sqlite_db.cpp (SQLite itself).
#pragma once

#include "sqlite_db.hpp"

#include <dittofs/cpp/store.hpp>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace dfs::sqlite {

// One inode row: the attributes plus the columns only the store needs.
struct Inode {
    dfs_attr_t attr;
    uint64_t parent = 0;      // directories: the inode ".." names
    uint64_t nextCookie = 0;  // directories: the cookie the next entry gets
    bool hasVerifier = false;
};

inline bool isDir(const Inode& n) { return n.attr.type == DFS_TYPE_DIR; }

class SqliteMetadataStore : public MetadataStore {
public:
    static Result<std::unique_ptr<SqliteMetadataStore>> open(const Host& host, const Config& config);

    Result<uint64_t> root() override;
    Status getattr(uint64_t ino, dfs_attr_t& out) override;
    Status setattr(uint64_t ino, const dfs_setattr_t& sa, dfs_time_t now, dfs_attr_t& out) override;
    Status lookup(uint64_t dir, std::string_view name, dfs_attr_t& out) override;
    Status create(uint64_t dir, std::string_view name, const dfs_create_args_t& args, dfs_time_t now,
                  dfs_attr_t& out, bool& existed) override;
    Status createPlus(uint64_t dir, std::string_view name, const dfs_create_args_t& args, dfs_time_t now,
                      dfs_attr_t& out, bool& existed, dfs_attr_t& dirOut) override;
    Status link(uint64_t ino, uint64_t dir, std::string_view name, dfs_time_t now, dfs_attr_t& out) override;
    Status remove(uint64_t dir, std::string_view name, uint32_t flags, dfs_time_t now,
                  dfs_attr_t& removed) override;
    Status rename(uint64_t srcDir, std::string_view srcName, uint64_t dstDir, std::string_view dstName,
                  dfs_time_t now, dfs_attr_t& replaced) override;
    Result<std::string> readlink(uint64_t ino) override;
    Status readdir(uint64_t dir, uint64_t cookie, const DirentSink& sink, bool& eof) override;
    Status readdirPlus(uint64_t dir, uint64_t cookie, const DirentPlusSink& sink, bool& eof) override;
    Result<std::string> getxattr(uint64_t ino, std::string_view name) override;
    Status setxattr(uint64_t ino, std::string_view name, std::string_view value, uint32_t flags,
                    dfs_time_t now) override;
    Result<std::vector<std::string>> listxattr(uint64_t ino) override;
    Status removexattr(uint64_t ino, std::string_view name, dfs_time_t now) override;
    Status statfs(dfs_statfs_t& out) override;
    Status sync() override;
    Status getVerifier(uint64_t ino, uint8_t verifier[8]) override;

    ~SqliteMetadataStore() override;

private:
    SqliteMetadataStore(const Host& host, ConnectionPtr writer) : host_(host), writer_(std::move(writer)) {}

    // Checkpoints run on a thread of their own, on a connection of their own, rather
    // than inside the commit that crossed the WAL's threshold: the writer (and so every
    // metadata change) does not wait for a checkpoint's fsyncs. The writer's WAL hook
    // wakes the thread; far past the threshold the writer checkpoints itself.
    void startCheckpointer(ConnectionPtr conn);
    static int walHook(void* self, sqlite3* db, const char* name, int frames);
    void checkpointLoop();

    // Runs fn(Connection&) -> Status inside one transaction on the writer / a reader.
    template <typename F>
    Status inWriteTxn(F&& fn);
    // One slot's work waiting for a group commit (inWriteTxn): it runs on the leader's
    // thread, while its caller waits.
    struct WriteWork {
        Status (*run)(void* fn, Connection& c) = nullptr;
        void* fn = nullptr;
        Status result;
        bool done = false;  // result is final
        bool lead = false;  // this caller runs the next group
        std::condition_variable wake;
    };
    Status runWrite(WriteWork& w);
    void commitGroup(WriteWork* const* group, size_t n);
    static Status runSlot(WriteWork& w, Connection& c);
    template <typename F>
    Status inReadTxn(F&& fn);
    // For a slot that reads with one statement: that statement is its own read
    // transaction (SQLite's autocommit), which spares the BEGIN and COMMIT steps.
    template <typename F>
    Status inReadStmt(F&& fn);

    // readdir and readdirPlus: calls row() for each entry after `cookie` until it
    // returns false, in one read transaction; withAttr adds the inode columns.
    Status listEntries(uint64_t dir, uint64_t cookie, bool withAttr, const std::function<bool(const Stmt&)>& row,
                       bool& eof);

    // create and createPlus (dirOut: the directory's attributes afterwards, or null).
    Status createIn(uint64_t dir, std::string_view name, const dfs_create_args_t& args, dfs_time_t now,
                    dfs_attr_t& out, bool& existed, dfs_attr_t* dirOut);

    // Creates the schema and the root on a new database, upgrades an old one.
    Status initialise(const Config& config);
    Status createRoot(Connection& c, const Config& config);

    // Row helpers shared by the slots; all run inside the caller's transaction.
    static Result<Inode> loadInode(Connection& c, uint64_t ino);
    static Result<Inode> loadDir(Connection& c, uint64_t ino);
    static Status saveInode(Connection& c, const Inode& n);
    // The inode `name` in `dir` names, or 0 when there is none.
    static Result<uint64_t> findEntry(Connection& c, uint64_t dir, std::string_view name);
    // Inserts an entry with the directory's next cookie and stamps the directory.
    static Status addEntry(Connection& c, Inode& dir, std::string_view name, uint64_t ino, dfs_time_t now);
    static Status dropEntry(Connection& c, Inode& dir, std::string_view name, dfs_time_t now);
    static Result<bool> dirIsEmpty(Connection& c, uint64_t dir);
    // Drops one link of `n` (a directory loses both of its own); deletes it at zero.
    static Status unlinkInode(Connection& c, Inode& n, dfs_time_t now);
    static Status addFiles(Connection& c, int64_t delta);
    // create() on a name that exists: returns the object or DFS_ERR_EXIST per args.how.
    static Status existing(Connection& c, uint64_t ino, const dfs_create_args_t& args, dfs_attr_t& out,
                           bool& existed);
    // Inserts a new object (n carries type, mode, owner, rdev, size, nlink and, for a
    // directory, parent and next cookie); sets n.attr.ino and the other fields.
    Result<uint64_t> insertInode(Connection& c, Inode& n, dfs_time_t now, std::string_view target,
                                 const uint8_t* verifier);
    // True when `dir` is `ancestor` or lies below it (walks the parents to the root).
    Result<bool> isSelfOrDescendant(Connection& c, uint64_t dir, uint64_t ancestor) const;
    static void stamp(Inode& n, dfs_time_t now, bool modified);

    Host host_;
    uint64_t root_ = 0;
    std::mt19937_64 rng_;  // generations; used under writeMutex_ only
    std::mutex writeMutex_;
    ConnectionPtr writer_;
    bool synchronousFull_ = false;  // every commit is synced (synchronous = full)
    // Group commit: the slots waiting for the next group, and whether a group is being
    // run (or its next leader chosen).
    std::mutex groupMu_;
    std::vector<WriteWork*> queued_;
    bool grouping_ = false;
    ConnectionPool readers_;
    ConnectionPtr checkpointer_;
    std::thread checkpointThread_;
    std::mutex checkpointMu_;
    std::condition_variable checkpointCv_;
    bool checkpointWanted_ = false;
    bool checkpointStop_ = false;
    // The WAL size (frames) at the last checkpoint asked for, under writeMutex_: the next
    // is asked for only after kCheckpointFrames more, even when readers kept the last one
    // from resetting the WAL.
    int walMark_ = 0;
};

// The columns loadInode() and lookup read, in the order readInode() expects.
#define DFS_SQLITE_INODE_COLUMNS                                                                  \
    "i.ino, i.generation, i.type, i.mode, i.nlink, i.uid, i.gid, i.rdev_major, i.rdev_minor, "   \
    "i.size, i.atime_sec, i.atime_nsec, i.mtime_sec, i.mtime_nsec, i.ctime_sec, i.ctime_nsec, "   \
    "i.btime_sec, i.btime_nsec, i.change, i.parent, i.next_cookie, i.verifier IS NOT NULL"

inline constexpr int kInodeColumnCount = 22;

Inode readInode(const Stmt& st, int first);

template <typename F>
Status SqliteMetadataStore::inWriteTxn(F&& fn) {
    using Fn = std::remove_reference_t<F>;
    WriteWork w;
    w.fn = const_cast<void*>(static_cast<const void*>(std::addressof(fn)));
    w.run = [](void* f, Connection& c) -> Status { return (*static_cast<Fn*>(f))(c); };
    return runWrite(w);
}

template <typename F>
Status SqliteMetadataStore::inReadTxn(F&& fn) {
    auto lease = readers_.acquire();
    Txn txn(*lease, Txn::Kind::Read);
    if (!txn.begun().ok()) {
        return txn.begun();
    }
    if (Status s = fn(*lease); !s.ok()) {
        return s;
    }
    return txn.commit();
}

template <typename F>
Status SqliteMetadataStore::inReadStmt(F&& fn) {
    auto lease = readers_.acquire();
    return fn(*lease);
}

}  // namespace dfs::sqlite
