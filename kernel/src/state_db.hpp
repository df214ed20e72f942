// The kernel's small durable state database (SQLite, WAL, synchronous=FULL): share ids,
// the boot counter behind the write verifier, and — for the services built on it (lock
// manager, NSM, NFSv4 client records) — their own tables. One per data directory.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

struct sqlite3;

namespace dfs::kernel {

class StateDb {
public:
    StateDb() = default;
    ~StateDb();
    StateDb(const StateDb&) = delete;
    StateDb& operator=(const StateDb&) = delete;

    // Creates or opens <path>; false with `error` set on failure.
    bool open(const std::string& path, std::string& error);
    void close();
    bool isOpen() const { return db_ != nullptr; }

    // The id a share name has had since it was first configured (never reused).
    std::optional<uint32_t> shareId(const std::string& name);
    // Increments and returns the boot counter (1 on the first start).
    std::optional<uint64_t> bumpBootCount();

    std::optional<std::string> get(const std::string& key);
    bool put(const std::string& key, const std::string& value);

    // Runs SQL for services that keep their own tables; false on error.
    bool exec(const std::string& sql, std::string& error);
    // The raw handle, for services with prepared statements; lock mutex() around use.
    sqlite3* handle() { return db_; }
    std::mutex& mutex() { return mutex_; }

private:
    std::mutex mutex_;
    sqlite3* db_ = nullptr;
};

}  // namespace dfs::kernel
