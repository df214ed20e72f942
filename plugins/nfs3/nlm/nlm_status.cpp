// {code, errno} -> nlm4_stats (nlm_status.hpp). The lock manager's refusals (locks.h):
//   conflict {LOCKED, EAGAIN}, shares {LOCKED, ETXTBSY}  -> NLM4_DENIED
//   deadlock {LOCKED, EDEADLK}                           -> NLM4_DEADLCK
//   too many waiters {NOSPC, ENOLCK}                     -> NLM4_DENIED_NOLOCKS
//   grace {DELAY, EINPROGRESS}                           -> NLM4_DENIED_GRACE_PERIOD
//   leases being broken {DELAY, EAGAIN}                  -> NLM4_DENIED (SHARE; the
//                                                           client asks again)
//   reclaim after grace {INVAL, ESRCH}                   -> NLM4_DENIED (XNFS: a late
//                                                           reclaim is an ordinary refusal)
//   not locked {NOENT, ENOLCK}                           -> NLM4_GRANTED (unlocking
//                                                           nothing is not an error)
// and the VFS's handle checks: BADHANDLE, STALE -> NLM4_STALE_FH; ROFS -> NLM4_ROFS;
// a range that does not fit in 64 bits (INVAL) -> NLM4_FBIG.
#include "nlm_status.hpp"

#include "nlm_xdr.hpp"

#include <cerrno>

namespace dfs::nlm {

uint32_t toNlm4Stat(dfs_err_t e) {
    switch (e.code) {
    case DFS_OK: return NLM4_GRANTED;
    case DFS_PENDING: return NLM4_BLOCKED;
    case DFS_ERR_LOCKED: return e.sys_errno == EDEADLK ? NLM4_DEADLCK : NLM4_DENIED;
    case DFS_ERR_NOSPC: return NLM4_DENIED_NOLOCKS;
    case DFS_ERR_NOMEM: return NLM4_DENIED_NOLOCKS;
    case DFS_ERR_DELAY:
        return e.sys_errno == EINPROGRESS ? NLM4_DENIED_GRACE_PERIOD
               : e.sys_errno == EAGAIN    ? NLM4_DENIED
                                          : NLM4_DENIED_NOLOCKS;
    case DFS_ERR_INVAL: return e.sys_errno == ESRCH ? NLM4_DENIED : NLM4_FBIG;
    case DFS_ERR_FBIG: return NLM4_FBIG;
    case DFS_ERR_NOENT: return e.sys_errno == ENOLCK ? NLM4_GRANTED : NLM4_STALE_FH;
    case DFS_ERR_BADHANDLE: return NLM4_STALE_FH;
    case DFS_ERR_STALE: return NLM4_STALE_FH;
    case DFS_ERR_ROFS: return NLM4_ROFS;
    case DFS_ERR_ACCES: return NLM4_DENIED;
    case DFS_ERR_PERM: return NLM4_DENIED;
    default: return NLM4_FAILED;
    }
}

uint32_t forVersion(uint32_t nlm4Stat, uint32_t vers) {
    if (vers >= 4 || nlm4Stat <= NLM4_DENIED_GRACE_PERIOD) {
        return nlm4Stat;
    }
    return nlm4Stat == NLM4_DEADLCK ? static_cast<uint32_t>(NLM4_DENIED) : static_cast<uint32_t>(NLM4_DENIED_NOLOCKS);
}

}  // namespace dfs::nlm
