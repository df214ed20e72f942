// SM_MON: XNFS 11.3.3. Starts monitoring `mon_name` (kept in the persisted list, so it
// hears SM_NOTIFY after this server restarts). The host's address is the mon_name when
// that is numeric; the my_id callback of a reboot notice is not made (see
// docs/LOCKING.md: NLM in this process is the only local lock manager).
#include "../../nlm_ops.hpp"
#include "../nsm_xdr.hpp"

namespace dfs::nlm {

Outcome nsmMon(Call& c) {
    nsm::Mon a;
    if (!nsm::decodeMon(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.inst().monitor().monitor(a.id.monName, a.id.monName, false);
    c.out().u32(nsm::kStatSucc);
    c.out().i32(c.inst().monitor().state());
    return Outcome::kReplied;
}

}  // namespace dfs::nlm
