// The sqlite metadata store's on-disk schema and its migrations.
//
// The schema version lives in PRAGMA user_version. migrate() brings a database of any
// older version (0 = empty file) up to kSchemaVersion, one step at a time, and refuses a
// database written by a newer plugin rather than guess at its layout. The caller runs
// it inside a write transaction, so an upgrade happens entirely or not at all.
#pragma once

#include "sqlite_db.hpp"

namespace dfs::sqlite {

inline constexpr int64_t kSchemaVersion = 2;

Status migrate(Connection& conn);

}  // namespace dfs::sqlite
