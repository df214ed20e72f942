// The sqlite metadata store's layer over the SQLite C API (see sqlite_db.hpp).
#include "sqlite_db.hpp"

#include <cstring>
#include <string>

namespace dfs::sqlite {
namespace {

// How long a connection waits for a lock another process (or a checkpoint) holds
// before the slot gives up with DFS_ERR_DELAY, which clients retry.
constexpr int kBusyTimeoutMs = 10000;

}  // namespace

Error sqliteError(int rc) {
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return makeError(DFS_ERR_DELAY);
    case SQLITE_FULL:
        return makeError(DFS_ERR_NOSPC, ENOSPC);
    case SQLITE_NOMEM:
        return makeError(DFS_ERR_NOMEM, ENOMEM);
    case SQLITE_READONLY:
        return makeError(DFS_ERR_ROFS, EROFS);
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
        return makeError(DFS_ERR_IO, EIO);
    default:
        return makeError(DFS_ERR_SERVERFAULT);
    }
}

Result<ConnectionPtr> Connection::open(const Host& host, const std::string& path, bool readOnly) {
    // NOMUTEX: every connection is used by one thread at a time (the writer mutex or a
    // pool lease), so SQLite's own per-connection mutex would only cost.
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    flags |= readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        host.error("sqlite: cannot open " + path + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
        sqlite3_close_v2(db);
        return sqliteError(rc);
    }
    ConnectionPtr conn(new Connection(host, db));
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    if (Status s = conn->exec("PRAGMA foreign_keys = ON"); !s.ok()) {
        return s.error();
    }
    return conn;
}

Connection::~Connection() {
    for (auto& [sql, stmt] : stmts_) {
        sqlite3_finalize(stmt);
    }
    sqlite3_close_v2(db_);
}

Status Connection::exec(const char* sql) {
    char* msg = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &msg);
    if (rc != SQLITE_OK) {
        host_.error(std::string("sqlite: ") + sql + ": " + (msg != nullptr ? msg : sqlite3_errstr(rc)));
        sqlite3_free(msg);
        return sqliteError(rc);
    }
    return okStatus();
}

Result<sqlite3_stmt*> Connection::prepare(const char* sql) {
    // (The text is compared too: an address may be reused for other text by a caller
    // that does not pass a literal.)
    if (auto a = byAddress_.find(sql); a != byAddress_.end() && std::strcmp(sqlite3_sql(a->second), sql) == 0) {
        return a->second;
    }
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) {
        byAddress_[sql] = it->second;
        return it->second;
    }
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        return fail(sql, rc);
    }
    stmts_.emplace(sql, stmt);
    byAddress_[sql] = stmt;
    return stmt;
}

Error Connection::fail(const char* what, int rc) const {
    Error e = sqliteError(rc);
    // Busy is an expected outcome under contention from another process; everything
    // else means the database or the code is wrong and deserves a log line.
    if (e.code != DFS_ERR_DELAY) {
        host_.error(std::string("sqlite: ") + what + ": " + sqlite3_errmsg(db_));
    }
    return e;
}

Stmt::Stmt(Connection& conn, const char* sql) : conn_(conn) {
    auto r = conn.prepare(sql);
    if (r.ok()) {
        stmt_ = *r;
    } else {
        err_ = r.error();
    }
}

Stmt::~Stmt() {
    if (stmt_ != nullptr) {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
}

Stmt& Stmt::bind(int idx, int64_t v) {
    if (stmt_ != nullptr && bindRc_ == SQLITE_OK) {
        bindRc_ = sqlite3_bind_int64(stmt_, idx, v);
    }
    return *this;
}

Stmt& Stmt::bindBlob(int idx, std::string_view v) {
    if (stmt_ != nullptr && bindRc_ == SQLITE_OK) {
        // A zero-length blob, not NULL: "" must stay distinct from "absent".
        bindRc_ = v.empty() ? sqlite3_bind_zeroblob(stmt_, idx, 0)
                            : sqlite3_bind_blob64(stmt_, idx, v.data(), v.size(), SQLITE_STATIC);
    }
    return *this;
}

Stmt& Stmt::bindNull(int idx) {
    if (stmt_ != nullptr && bindRc_ == SQLITE_OK) {
        bindRc_ = sqlite3_bind_null(stmt_, idx);
    }
    return *this;
}

Result<bool> Stmt::step() {
    if (stmt_ == nullptr) {
        return err_;
    }
    if (bindRc_ != SQLITE_OK) {
        return conn_.fail("bind", bindRc_);
    }
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    return conn_.fail(sqlite3_sql(stmt_), rc);
}

Status Stmt::run() {
    auto r = step();
    if (!r.ok()) {
        return r.error();
    }
    return okStatus();
}

std::string_view Stmt::blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    if (p == nullptr || n <= 0) {
        return {};
    }
    return std::string_view(static_cast<const char*>(p), static_cast<size_t>(n));
}

// BEGIN/COMMIT/ROLLBACK go through the statement cache too: they run on every slot.
Txn::Txn(Connection& conn, Kind kind) : conn_(conn) {
    begun_ = Stmt(conn, kind == Kind::Write ? "BEGIN IMMEDIATE" : "BEGIN").run();
    open_ = begun_.ok();
}

Txn::~Txn() {
    if (open_) {
        // Any failure inside the slot lands here: undo all of it.
        if (!Stmt(conn_, "ROLLBACK").run().ok()) {
            (void)conn_.exec("ROLLBACK");
        }
    }
}

Status Txn::commit() {
    Status s = Stmt(conn_, "COMMIT").run();
    if (s.ok()) {
        open_ = false;
    }
    return s;
}

void ConnectionPool::add(ConnectionPtr conn) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(conn.get());
    all_.push_back(std::move(conn));
}

ConnectionPool::Lease ConnectionPool::acquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    available_.wait(lock, [this] { return !free_.empty(); });
    Connection* c = free_.back();
    free_.pop_back();
    return Lease(*this, c);
}

void ConnectionPool::release(Connection* conn) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        free_.push_back(conn);
    }
    available_.notify_one();
}

}  // namespace dfs::sqlite
