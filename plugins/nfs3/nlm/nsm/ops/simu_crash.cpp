// SM_SIMU_CRASH: XNFS 11.3.6. Behaves as if this server had crashed and restarted: the
// state number moves on, the NLM locks of every monitored host are released (a crash
// loses them; the hosts reclaim) and every monitored host is sent SM_NOTIFY.
#include "../../nlm_ops.hpp"
#include "../nsm_xdr.hpp"

namespace dfs::nlm {

Outcome nsmSimuCrash(Call& c) {
    auto hosts = c.inst().monitor().simulateCrash();
    for (const auto& h : hosts) {
        releaseClient(c.inst(), h.name);
    }
    c.inst().host().info("event=nsm_simu_crash state=" + std::to_string(c.inst().monitor().state()) +
                         " hosts=" + std::to_string(hosts.size()) + " client=" + std::string(c.clientAddr()));
    c.inst().monitor().notifyAll(hosts);
    return Outcome::kReplied;
}

}  // namespace dfs::nlm
