// SM_NOTIFY: XNFS 11.3.7. A client host rebooted (`mon_name`, its new state): every NLM
// lock and queued request it held under that name (or under the numeric address the
// notice came from, if it locked with that as its caller_name) is released, which wakes
// the waiters they held up, and every SM_MON registration for it is called back with
// sm_status. No results.
#include "../../nlm_ops.hpp"
#include "../nsm_xdr.hpp"

namespace dfs::nlm {

Outcome nsmNotify(Call& c) {
    nsm::StatChange a;
    if (!nsm::decodeStatChange(c.args(), a)) {
        return Outcome::kGarbage;
    }
    auto r = c.inst().monitor().rebooted(a.monName, c.clientAddr());
    for (const auto& n : r.names) {
        releaseClient(c.inst(), n);
    }
    // Whoever asked with SM_MON hears of it too (their my_id procedure, sm_status).
    c.inst().monitor().callBack(r.registrations, a.monName, a.state);
    c.inst().host().info("event=nsm_reboot_notice host=" + std::string(a.monName) + " state=" +
                         std::to_string(a.state) + " client=" + std::string(c.clientAddr()) +
                         " released=" + std::to_string(r.names.size()));
    return Outcome::kReplied;
}

}  // namespace dfs::nlm
