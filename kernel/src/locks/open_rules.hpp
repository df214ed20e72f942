// The rules for opens, in one place: share reservations (NFSv4 share_access/share_deny,
// NLM SHARE, SMB share modes) and which lease levels (SMB leases and oplocks, NFSv4
// delegations) an access by another client breaks. Pure functions; the lock manager
// applies them under its mutex.
#pragma once

#include "lock_types.hpp"

namespace dfs::kernel::locks {

// Access and deny bits of an open. NFSv4: OPEN4_SHARE_ACCESS_READ/WRITE and
// OPEN4_SHARE_DENY_READ/WRITE (RFC 7530 16.16). NLM SHARE: fsh_access / fsh_mode.
// SMB: access from DesiredAccess (FILE_READ_DATA/EXECUTE -> read, FILE_WRITE_DATA/
// APPEND_DATA -> write, DELETE -> delete); deny is the complement of ShareAccess.
enum : uint32_t { kShareRead = 1, kShareWrite = 2, kShareDelete = 4, kShareAll = 7 };

// Two opens conflict when one denies what the other accesses. An open with no data
// access (SMB attribute-only opens) is not subject to sharing in either direction, as
// MS-FSA 2.1.5.1.2 has it.
inline bool sharesConflict(uint32_t accessA, uint32_t denyA, uint32_t accessB, uint32_t denyB) {
    if (accessA == 0 || accessB == 0) {
        return false;
    }
    return (accessA & denyB) != 0 || (accessB & denyA) != 0;
}

// Lease levels. SMB lease states (MS-SMB2 2.2.13.2.8) are R, RH, RW, RWH; oplocks map to
// them (level II = R, exclusive = RW, batch = RWH). NFSv4 delegations: read = R,
// write = RW; a delegation is never partly downgraded, only recalled.
enum : uint32_t { kLeaseNone = 0, kLeaseRead = 1, kLeaseHandle = 2, kLeaseWrite = 4 };

// What another client is doing to the file.
enum class AccessKind : uint8_t {
    openRead,   // open without write access
    openWrite,  // open with write access
    write,      // WRITE, or SETATTR of the size
    readLock,
    writeLock,
    rename,     // the file renamed, or a rename over it
    remove,
};

// The level a lease held by `holder` at `level` must be broken to before another
// client's access of `kind` may go on; equal to `level` when no break is needed.
uint32_t leaseBreakTarget(uint32_t level, LockProtocol holder, AccessKind kind);

// True if the level is one a lease may hold (no H or W without R).
inline bool validLeaseLevel(uint32_t level) {
    return level == kLeaseNone || ((level & kLeaseRead) != 0 && (level & ~uint32_t{7}) == 0);
}

}  // namespace dfs::kernel::locks
