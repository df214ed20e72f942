// The sqlite metadata store's thin layer over the SQLite C API.
//
// Connection owns one sqlite3 handle and its cache of prepared statements; Stmt is a
// scoped use of a cached statement (reset on scope exit, so a cached statement never
// holds a read snapshot open between calls); Txn is one transaction, rolled back unless
// committed, which is how every store slot stays atomic. ConnectionPool hands out the
// read-only connections. Only the metadata store uses this; nothing here throws.
#pragma once

#include <dittofs/cpp/plugin.hpp>
#include <dittofs/cpp/result.hpp>

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dfs::sqlite {

// Maps an SQLite result code to a store status (busy -> DELAY, full -> NOSPC, ...).
Error sqliteError(int rc);

class Connection;
using ConnectionPtr = std::unique_ptr<Connection>;

class Connection {
public:
    // Opens `path`; readOnly connections never take the write lock.
    static Result<ConnectionPtr> open(const Host& host, const std::string& path, bool readOnly);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    sqlite3* raw() const { return db_; }
    const Host& host() const { return host_; }

    // Runs SQL that returns no rows (pragmas, DDL, BEGIN/COMMIT).
    Status exec(const char* sql);

    // The cached prepared statement for `sql`. The cache is keyed by the text itself so
    // callers can pass string literals; statements live as long as the connection. A
    // literal seen before is found by its address, without hashing its text.
    Result<sqlite3_stmt*> prepare(const char* sql);

    // Logs a failed call with the connection's error message and returns its status.
    Error fail(const char* what, int rc) const;

private:
    Connection(const Host& host, sqlite3* db) : host_(host), db_(db) {}

    Host host_;
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> stmts_;
    std::unordered_map<const char*, sqlite3_stmt*> byAddress_;
};

// A cached statement in use: bind, step, read columns; reset when the scope ends.
class Stmt {
public:
    Stmt(Connection& conn, const char* sql);
    ~Stmt();
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    // Set when the statement could not be prepared; every other call then fails.
    bool ok() const { return stmt_ != nullptr; }
    Error error() const { return err_; }

    Stmt& bind(int idx, int64_t v);
    Stmt& bindU(int idx, uint64_t v) { return bind(idx, static_cast<int64_t>(v)); }
    Stmt& bindBlob(int idx, std::string_view v);
    Stmt& bindNull(int idx);

    // SQLITE_ROW -> true, SQLITE_DONE -> false, anything else -> error.
    Result<bool> step();
    // Runs a statement that returns no rows.
    Status run();

    int64_t i64(int col) const { return sqlite3_column_int64(stmt_, col); }
    uint64_t u64(int col) const { return static_cast<uint64_t>(sqlite3_column_int64(stmt_, col)); }
    uint32_t u32(int col) const { return static_cast<uint32_t>(sqlite3_column_int64(stmt_, col)); }
    bool isNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    std::string_view blob(int col) const;

private:
    Connection& conn_;
    sqlite3_stmt* stmt_ = nullptr;
    Error err_{DFS_OK, 0};
    int bindRc_ = SQLITE_OK;
};

// One transaction. Writers begin IMMEDIATE so the write lock is taken up front: a
// DEFERRED transaction that upgrades from read to write can fail with SQLITE_BUSY
// mid-slot, where the busy handler cannot help.
class Txn {
public:
    enum class Kind { Read, Write };
    Txn(Connection& conn, Kind kind);
    ~Txn();
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;

    Status begun() const { return begun_; }
    Status commit();

private:
    Connection& conn_;
    Status begun_;
    bool open_ = false;
};

// Read-only connections, handed out one per read slot. acquire() blocks while all are
// in use; the lease returns the connection on scope exit.
class ConnectionPool {
public:
    class Lease {
    public:
        Lease(ConnectionPool& pool, Connection* conn) : pool_(&pool), conn_(conn) {}
        Lease(Lease&& o) noexcept : pool_(o.pool_), conn_(o.conn_) { o.conn_ = nullptr; }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Lease& operator=(Lease&&) = delete;
        ~Lease() {
            if (conn_ != nullptr) {
                pool_->release(conn_);
            }
        }
        Connection& operator*() const { return *conn_; }

    private:
        ConnectionPool* pool_;
        Connection* conn_;
    };

    void add(ConnectionPtr conn);
    Lease acquire();

private:
    void release(Connection* conn);

    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<ConnectionPtr> all_;
    std::vector<Connection*> free_;
};

}  // namespace dfs::sqlite
