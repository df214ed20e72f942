#include "lock_store.hpp"

#include "../log.hpp"
#include "../state_db.hpp"

#include <sqlite3.h>

#include <initializer_list>
#include <variant>

namespace dfs::kernel::locks {
namespace {

// SQLite integers are signed 64-bit; offsets and inode numbers use all 64 bits, so they
// are stored bit for bit.
int64_t toDb(uint64_t v) { return static_cast<int64_t>(v); }
uint64_t fromDb(int64_t v) { return static_cast<uint64_t>(v); }

using Param = std::variant<int64_t, std::string>;

Status dbError(sqlite3* db) {
    (void)db;
    return makeError(DFS_ERR_IO, EIO);
}

// Runs one statement with parameters; the caller holds the database mutex.
Status run(sqlite3* db, const char* sql, std::initializer_list<Param> params) {
    if (db == nullptr) {
        return makeError(DFS_ERR_IO, ENXIO);
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
        return dbError(db);
    }
    int i = 1;
    for (const auto& p : params) {
        if (const auto* n = std::get_if<int64_t>(&p)) {
            sqlite3_bind_int64(st, i, *n);
        } else {
            const auto& s = std::get<std::string>(p);
            sqlite3_bind_blob(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
        }
        ++i;
    }
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? okStatus() : dbError(db);
}

std::string blobAt(sqlite3_stmt* st, int col) {
    const void* p = sqlite3_column_blob(st, col);
    int n = sqlite3_column_bytes(st, col);
    return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), static_cast<size_t>(n));
}

bool validProtocol(int64_t p) { return p >= 1 && p <= 3; }

}  // namespace

LockStore::LockStore(StateDb& db) : db_(db) { writer_ = std::thread([this] { writerLoop(); }); }

namespace {
constexpr const char* kCleanKey = "locks.clean_stop";
}

LockStore::~LockStore() {
    {
        std::lock_guard<std::mutex> g(mutex_);
        stop_ = true;
    }
    work_.notify_all();
    writer_.join();
    if (loaded_ && lastStatus_.ok()) {
        (void)db_.put(kCleanKey, "1");
    }
}

Status LockStore::init() {
    std::string err;
    bool ok = db_.exec(
        "CREATE TABLE IF NOT EXISTS lock_clients(protocol INTEGER NOT NULL, client BLOB NOT NULL,"
        " PRIMARY KEY(protocol, client));"
        "CREATE TABLE IF NOT EXISTS lock_ranges(share INTEGER NOT NULL, ino INTEGER NOT NULL,"
        " protocol INTEGER NOT NULL, client BLOB NOT NULL, owner BLOB NOT NULL, pid INTEGER NOT NULL,"
        " first INTEGER NOT NULL, last INTEGER NOT NULL, type INTEGER NOT NULL);"
        "CREATE INDEX IF NOT EXISTS lock_ranges_owner ON lock_ranges(share, ino, protocol, client, owner, pid);"
        "CREATE TABLE IF NOT EXISTS lock_shares(id INTEGER PRIMARY KEY, share INTEGER NOT NULL, ino INTEGER NOT NULL,"
        " protocol INTEGER NOT NULL, client BLOB NOT NULL, owner BLOB NOT NULL, pid INTEGER NOT NULL,"
        " access INTEGER NOT NULL, deny INTEGER NOT NULL);",
        err);
    return ok ? okStatus() : makeError(DFS_ERR_IO, EIO);
}

Result<StoredLockState> LockStore::load() {
    StoredLockState out;
    // No marker: a first start (nothing stored) or a database older than the marker.
    auto clean = db_.get(kCleanKey);
    out.cleanStop = !clean || *clean == "1";
    if (!db_.put(kCleanKey, "0")) {
        return makeError(DFS_ERR_IO, EIO);
    }
    loaded_ = true;
    std::lock_guard<std::mutex> g(db_.mutex());
    sqlite3* db = db_.handle();
    if (db == nullptr) {
        return makeError(DFS_ERR_IO, ENXIO);
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT protocol, client FROM lock_clients;", -1, &st, nullptr) != SQLITE_OK) {
        return makeError(DFS_ERR_IO, EIO);
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t p = sqlite3_column_int64(st, 0);
        if (validProtocol(p)) {
            out.clients.push_back(ClientKey{static_cast<LockProtocol>(p), blobAt(st, 1)});
        }
    }
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db, "SELECT share, ino, protocol, client, owner, pid, first, last, type FROM lock_ranges;",
                           -1, &st, nullptr) != SQLITE_OK) {
        return makeError(DFS_ERR_IO, EIO);
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t p = sqlite3_column_int64(st, 2);
        int64_t t = sqlite3_column_int64(st, 8);
        if (!validProtocol(p) || (t != 1 && t != 2)) {
            continue;
        }
        RangeLock l;
        l.file = FileKey{static_cast<uint32_t>(sqlite3_column_int64(st, 0)), fromDb(sqlite3_column_int64(st, 1))};
        l.owner = LockOwner{static_cast<LockProtocol>(p), blobAt(st, 3), blobAt(st, 4),
                            static_cast<uint32_t>(sqlite3_column_int64(st, 5))};
        l.range = ByteRange{fromDb(sqlite3_column_int64(st, 6)), fromDb(sqlite3_column_int64(st, 7))};
        l.type = static_cast<LockType>(t);
        out.ranges.push_back(std::move(l));
    }
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db, "SELECT id, share, ino, protocol, client, owner, pid, access, deny FROM lock_shares;", -1,
                           &st, nullptr) != SQLITE_OK) {
        return makeError(DFS_ERR_IO, EIO);
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t p = sqlite3_column_int64(st, 3);
        if (!validProtocol(p)) {
            continue;
        }
        ShareRecord s;
        s.id = fromDb(sqlite3_column_int64(st, 0));
        s.file = FileKey{static_cast<uint32_t>(sqlite3_column_int64(st, 1)), fromDb(sqlite3_column_int64(st, 2))};
        s.owner = LockOwner{static_cast<LockProtocol>(p), blobAt(st, 4), blobAt(st, 5),
                            static_cast<uint32_t>(sqlite3_column_int64(st, 6))};
        s.access = static_cast<uint32_t>(sqlite3_column_int64(st, 7));
        s.deny = static_cast<uint32_t>(sqlite3_column_int64(st, 8));
        out.shares.push_back(std::move(s));
    }
    sqlite3_finalize(st);
    return out;
}

Status LockStore::clearLocks() {
    (void)flush();
    std::lock_guard<std::mutex> g(db_.mutex());
    auto s = run(db_.handle(), "DELETE FROM lock_ranges;", {});
    if (!s) {
        return s;
    }
    return run(db_.handle(), "DELETE FROM lock_shares;", {});
}

template <typename F>
uint64_t LockStore::enqueue(F&& change) {
    uint64_t seq = 0;
    {
        std::lock_guard<std::mutex> g(mutex_);
        change(pending_);
        seq = queuedSeq_ + 1;  // committed once the batch now gathering is
    }
    work_.notify_one();
    return seq;
}

Status LockStore::waitFor(uint64_t seq) {
    std::unique_lock<std::mutex> g(mutex_);
    committed_.wait(g, [&] { return committedSeq_ >= seq || (stop_ && pending_.empty()); });
    return lastStatus_;
}

Status LockStore::flush() {
    uint64_t seq = 0;
    {
        std::lock_guard<std::mutex> g(mutex_);
        seq = pending_.empty() ? queuedSeq_ : queuedSeq_ + 1;  // the batch in flight, or the one gathering
    }
    return waitFor(seq);
}

uint64_t LockStore::putClient(const ClientKey& c) {
    return enqueue([&](Batch& b) { b.clients[c] = true; });
}

void LockStore::removeClient(const ClientKey& c) {
    enqueue([&](Batch& b) { b.clients[c] = false; });
}

void LockStore::replaceOwnerLocks(const FileKey& file, const LockOwner& owner, const std::vector<RangeLock>& locks) {
    enqueue([&](Batch& b) { b.owners[{file, owner}] = locks; });
}

void LockStore::putShare(const ShareRecord& r) {
    enqueue([&](Batch& b) { b.shares[r.id] = r; });
}

void LockStore::removeShare(uint64_t id) {
    enqueue([&](Batch& b) { b.shares[id] = std::nullopt; });
}

void LockStore::writerLoop() {
    std::unique_lock<std::mutex> g(mutex_);
    for (;;) {
        work_.wait(g, [&] { return stop_ || !pending_.empty(); });
        if (pending_.empty()) {
            committed_.notify_all();
            return;  // stopping, and nothing left
        }
        Batch b = std::move(pending_);
        pending_ = Batch{};
        uint64_t seq = ++queuedSeq_;
        g.unlock();
        Status st = commit(b);
        if (!st) {
            log::warn("locks", "persist_failed",
                      {{"owners", std::to_string(b.owners.size())}, {"shares", std::to_string(b.shares.size())},
                       {"clients", std::to_string(b.clients.size())}});
        }
        g.lock();
        lastStatus_ = st;
        committedSeq_ = seq;
        committed_.notify_all();
    }
}

// One transaction for the batch: a crash in the middle loses all of it or none.
Status LockStore::commit(const Batch& b) {
    std::lock_guard<std::mutex> g(db_.mutex());
    sqlite3* db = db_.handle();
    if (!run(db, "BEGIN IMMEDIATE;", {})) {
        return makeError(DFS_ERR_IO, EIO);
    }
    Status s = okStatus();
    for (const auto& [c, present] : b.clients) {
        if (!s) {
            break;
        }
        s = present ? run(db, "INSERT OR IGNORE INTO lock_clients(protocol, client) VALUES(?1, ?2);",
                          {int64_t{static_cast<int>(c.protocol)}, c.clientId})
                    : run(db, "DELETE FROM lock_clients WHERE protocol=?1 AND client=?2;",
                          {int64_t{static_cast<int>(c.protocol)}, c.clientId});
    }
    for (const auto& [key, locks] : b.owners) {
        const auto& [file, owner] = key;
        if (!s) {
            break;
        }
        s = run(db,
                "DELETE FROM lock_ranges WHERE share=?1 AND ino=?2 AND protocol=?3 AND client=?4 AND owner=?5"
                " AND pid=?6;",
                {int64_t{file.shareId}, toDb(file.ino), int64_t{static_cast<int>(owner.protocol)}, owner.clientId,
                 owner.ownerId, int64_t{owner.pid}});
        for (const auto& l : locks) {
            if (!s) {
                break;
            }
            s = run(db,
                    "INSERT INTO lock_ranges(share, ino, protocol, client, owner, pid, first, last, type)"
                    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9);",
                    {int64_t{file.shareId}, toDb(file.ino), int64_t{static_cast<int>(owner.protocol)}, owner.clientId,
                     owner.ownerId, int64_t{owner.pid}, toDb(l.range.first), toDb(l.range.last),
                     int64_t{static_cast<int>(l.type)}});
        }
    }
    for (const auto& [id, rec] : b.shares) {
        if (!s) {
            break;
        }
        s = rec ? run(db,
                      "INSERT OR REPLACE INTO lock_shares(id, share, ino, protocol, client, owner, pid, access, deny)"
                      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9);",
                      {toDb(rec->id), int64_t{rec->file.shareId}, toDb(rec->file.ino),
                       int64_t{static_cast<int>(rec->owner.protocol)}, rec->owner.clientId, rec->owner.ownerId,
                       int64_t{rec->owner.pid}, int64_t{rec->access}, int64_t{rec->deny}})
                : run(db, "DELETE FROM lock_shares WHERE id=?1;", {toDb(id)});
    }
    Status end = run(db, s ? "COMMIT;" : "ROLLBACK;", {});
    return s ? end : s;
}

}  // namespace dfs::kernel::locks
