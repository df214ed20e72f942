// The sqlite metadata store's schema (see sqlite_schema.hpp).
#include "sqlite_schema.hpp"

#include <string>

namespace dfs::sqlite {
namespace {

// kSteps[v] upgrades a version-v database to version v+1. Append a step (and bump
// kSchemaVersion) for every change; never edit a step that has shipped.
constexpr const char* kSteps[] = {
    // 0 -> 1: the initial layout.
    //  - ino AUTOINCREMENT: numbers are never reused, even after the highest is deleted,
    //    so a stale file handle can never name a new object.
    //  - times are sec + nsec integers, exact round trips of dfs_time_t.
    //  - parent / next_cookie are set for directories only: ".." and the per-directory
    //    cookie counter (cookies stay stable across inserts, removes and restarts).
    //  - names are BLOBs: compared as exact bytes (BINARY), whatever their encoding.
    //  - dirents has no foreign key on `dir`: removing a directory is only possible
    //    when it is empty, which the store checks itself.
    R"sql(
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE inodes (
    ino         INTEGER PRIMARY KEY AUTOINCREMENT,
    generation  INTEGER NOT NULL,
    type        INTEGER NOT NULL,
    mode        INTEGER NOT NULL,
    nlink       INTEGER NOT NULL,
    uid         INTEGER NOT NULL,
    gid         INTEGER NOT NULL,
    rdev_major  INTEGER NOT NULL DEFAULT 0,
    rdev_minor  INTEGER NOT NULL DEFAULT 0,
    size        INTEGER NOT NULL DEFAULT 0,
    atime_sec   INTEGER NOT NULL, atime_nsec INTEGER NOT NULL,
    mtime_sec   INTEGER NOT NULL, mtime_nsec INTEGER NOT NULL,
    ctime_sec   INTEGER NOT NULL, ctime_nsec INTEGER NOT NULL,
    btime_sec   INTEGER NOT NULL, btime_nsec INTEGER NOT NULL,
    change      INTEGER NOT NULL DEFAULT 1,
    target      BLOB,
    verifier    BLOB,
    parent      INTEGER,
    next_cookie INTEGER
);

CREATE TABLE dirents (
    dir    INTEGER NOT NULL,
    name   BLOB NOT NULL,
    ino    INTEGER NOT NULL REFERENCES inodes(ino),
    cookie INTEGER NOT NULL,
    PRIMARY KEY (dir, name)
) WITHOUT ROWID;
CREATE UNIQUE INDEX dirents_by_cookie ON dirents(dir, cookie);
CREATE INDEX dirents_by_ino ON dirents(ino);

CREATE TABLE xattrs (
    ino   INTEGER NOT NULL REFERENCES inodes(ino) ON DELETE CASCADE,
    name  BLOB NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (ino, name)
) WITHOUT ROWID;

INSERT INTO meta(key, value) VALUES ('files', 0);
)sql",
    // 1 -> 2: listings read (dir, cookie, ino) and the name (the key of dirents) from one
    // index, without a lookup of each entry in dirents itself.
    R"sql(
CREATE INDEX dirents_listing ON dirents(dir, cookie, ino);
)sql",
};

static_assert(sizeof kSteps / sizeof kSteps[0] == kSchemaVersion, "one step per schema version");

Result<int64_t> userVersion(Connection& conn) {
    Stmt st(conn, "PRAGMA user_version");
    auto r = st.step();
    if (!r.ok()) {
        return r.error();
    }
    return *r ? st.i64(0) : 0;
}

}  // namespace

Status migrate(Connection& conn) {
    auto v = userVersion(conn);
    if (!v.ok()) {
        return v.error();
    }
    if (*v > kSchemaVersion) {
        conn.host().error("sqlite: database schema version " + std::to_string(*v) +
                          " is newer than this plugin's (" + std::to_string(kSchemaVersion) + ")");
        return makeError(DFS_ERR_INVAL);
    }
    for (int64_t cur = *v; cur < kSchemaVersion; ++cur) {
        if (Status s = conn.exec(kSteps[cur]); !s.ok()) {
            return s;
        }
        // PRAGMA takes no bound parameters; the value is our own integer.
        std::string set = "PRAGMA user_version = " + std::to_string(cur + 1);
        if (Status s = conn.exec(set.c_str()); !s.ok()) {
            return s;
        }
    }
    return okStatus();
}

}  // namespace dfs::sqlite
