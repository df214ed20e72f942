// NLM4_TEST_RES .. NLM4_GRANTED_RES: XNFS 14.3.11-15 (10.3.11-15). The asynchronous
// answers of a client; the server sends no *_MSG besides GRANTED_MSG, whose GRANTED_RES
// needs no action (the lock stays granted either way), so they are checked and dropped.
#include "../nlm_ops.hpp"

namespace dfs::nlm {

Outcome nlmResult(Call& c) {
    if (c.rpc().proc == kProcGrantedRes || c.rpc().proc == kProcLockRes || c.rpc().proc == kProcCancelRes ||
        c.rpc().proc == kProcUnlockRes) {
        ResArgs a;
        if (!decodeResArgs(c.args(), a)) {
            return Outcome::kGarbage;
        }
    }
    return Outcome::kReplied;
}

}  // namespace dfs::nlm
