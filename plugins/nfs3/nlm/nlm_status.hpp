// The one place where the lock manager's and the VFS's {code, errno} refusals become
// NLM statuses (XNFS 14.2 nlm4_stats; 10.2 nlm_stats for versions 1 and 3). Handlers
// never pick wire codes for kernel errors themselves.
#pragma once

#include <dittofs/abi/common.h>

#include <cstdint>

namespace dfs::nlm {

// nlm4_stats for a refusal of lock(), test(), unlock() or cancel_matching().
uint32_t toNlm4Stat(dfs_err_t e);
// The same answer for a version 1/3 client, whose nlm_stats stop at
// DENIED_GRACE_PERIOD: deadlock is DENIED, the rest DENIED_NOLOCKS (as Linux lockd).
uint32_t forVersion(uint32_t nlm4Stat, uint32_t vers);

}  // namespace dfs::nlm
