// NLM4_FREE_ALL: XNFS 14.3.20 (10.3.14). The client `name` has restarted: every lock it
// held and every request it had queued is released, which grants (and calls back) the
// waiters they held up. No results.
#include "../nlm_ops.hpp"

namespace dfs::nlm {

void releaseClient(Instance& self, std::string_view callerName) {
    dfs_err_t e = self.locks().release_client(self.ctx(), DFS_LOCK_NLM, toC(callerName));
    self.waiters().forgetClient(callerName);
    if (e.code != DFS_OK && e.code != DFS_ERR_NOENT) {
        self.host().warn("event=nlm_release_failed caller=" + std::string(callerName) + " status=" +
                         statusName(e.code));
    }
}

Outcome nlmFreeAll(Call& c) {
    NotifyArgs a;
    if (!decodeNotifyArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    releaseClient(c.inst(), a.name);
    c.inst().monitor().unmonitor(a.name);
    c.inst().host().info("event=nlm_free_all caller=" + std::string(a.name) + " client=" + std::string(c.clientAddr()));
    return Outcome::kReplied;
}

}  // namespace dfs::nlm
