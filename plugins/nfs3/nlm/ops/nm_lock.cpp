// NLM4_NM_LOCK: XNFS 14.3.19 (10.3.13). LOCK for a client the server does not monitor
// with NSM (DOS/Windows clients): never blocks, so it never needs a GRANTED callback.
#include "../nlm_ops.hpp"

namespace dfs::nlm {

Outcome lockCommon(Call& c, const LockArgs& a);

Outcome nlmNmLock(Call& c) {
    LockArgs a;
    if (!decodeLockArgs(c.args(), c.vers(), a)) {
        return Outcome::kGarbage;
    }
    a.block = false;
    return lockCommon(c, a);
}

}  // namespace dfs::nlm
