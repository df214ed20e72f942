#include "state_db.hpp"

#include "log.hpp"

#include <sqlite3.h>

namespace dfs::kernel {
namespace {

constexpr int kSchemaVersion = 1;

bool execLocked(sqlite3* db, const char* sql, std::string& error) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
        error = msg != nullptr ? msg : "sqlite error";
        sqlite3_free(msg);
        return false;
    }
    return true;
}

}  // namespace

StateDb::~StateDb() { close(); }

bool StateDb::open(const std::string& path, std::string& error) {
    std::lock_guard<std::mutex> g(mutex_);
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
        error = path + ": " + (db_ != nullptr ? sqlite3_errmsg(db_) : "cannot open");
        sqlite3_close(db_);
        db_ = nullptr;
        return false;
    }
    sqlite3_busy_timeout(db_, 5000);
    const char* schema =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=FULL;"
        "CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
        "CREATE TABLE IF NOT EXISTS shares(name TEXT PRIMARY KEY, id INTEGER NOT NULL UNIQUE);";
    if (!execLocked(db_, schema, error)) {
        error = path + ": " + error;
        sqlite3_close(db_);
        db_ = nullptr;
        return false;
    }
    std::string v = "PRAGMA user_version=" + std::to_string(kSchemaVersion) + ";";
    execLocked(db_, v.c_str(), error);
    return true;
}

void StateDb::close() {
    std::lock_guard<std::mutex> g(mutex_);
    if (db_ != nullptr) {
        sqlite3_close(db_);
        db_ = nullptr;
    }
}

std::optional<uint32_t> StateDb::shareId(const std::string& name) {
    std::lock_guard<std::mutex> g(mutex_);
    if (db_ == nullptr) {
        return std::nullopt;
    }
    std::string err;
    if (!execLocked(db_, "BEGIN IMMEDIATE;", err)) {
        return std::nullopt;
    }
    std::optional<uint32_t> out;
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db_, "SELECT id FROM shares WHERE name=?1;", -1, &st, nullptr);
    sqlite3_bind_text(st, 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        out = static_cast<uint32_t>(sqlite3_column_int64(st, 0));
    }
    sqlite3_finalize(st);
    if (!out) {
        sqlite3_prepare_v2(db_, "INSERT INTO shares(name, id) VALUES(?1, (SELECT COALESCE(MAX(id), 0) + 1 FROM shares));",
                           -1, &st, nullptr);
        sqlite3_bind_text(st, 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_DONE) {
            sqlite3_finalize(st);
            sqlite3_prepare_v2(db_, "SELECT id FROM shares WHERE name=?1;", -1, &st, nullptr);
            sqlite3_bind_text(st, 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
            if (sqlite3_step(st) == SQLITE_ROW) {
                out = static_cast<uint32_t>(sqlite3_column_int64(st, 0));
            }
        }
        sqlite3_finalize(st);
    }
    if (!execLocked(db_, out ? "COMMIT;" : "ROLLBACK;", err)) {
        return std::nullopt;
    }
    return out;
}

std::optional<std::string> StateDb::get(const std::string& key) {
    std::lock_guard<std::mutex> g(mutex_);
    if (db_ == nullptr) {
        return std::nullopt;
    }
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db_, "SELECT value FROM kv WHERE key=?1;", -1, &st, nullptr);
    sqlite3_bind_text(st, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    std::optional<std::string> out;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const void* p = sqlite3_column_blob(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        out = std::string(static_cast<const char*>(p), static_cast<size_t>(n));
    }
    sqlite3_finalize(st);
    return out;
}

bool StateDb::put(const std::string& key, const std::string& value) {
    std::lock_guard<std::mutex> g(mutex_);
    if (db_ == nullptr) {
        return false;
    }
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db_, "INSERT INTO kv(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value=?2;", -1,
                       &st, nullptr);
    sqlite3_bind_text(st, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 2, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    bool ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok;
}

std::optional<uint64_t> StateDb::bumpBootCount() {
    auto cur = get("boot_count");
    uint64_t n = 0;
    if (cur) {
        n = std::strtoull(cur->c_str(), nullptr, 10);
    }
    ++n;
    if (!put("boot_count", std::to_string(n))) {
        return std::nullopt;
    }
    return n;
}

bool StateDb::exec(const std::string& sql, std::string& error) {
    std::lock_guard<std::mutex> g(mutex_);
    if (db_ == nullptr) {
        error = "state database is not open";
        return false;
    }
    return execLocked(db_, sql.c_str(), error);
}

}  // namespace dfs::kernel
