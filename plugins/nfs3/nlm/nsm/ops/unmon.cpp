// SM_UNMON: XNFS 11.3.4. Drops this caller's registration (its address and my_id) for
// `mon_name`: other callers' registrations stay, and so does the host while NLM holds
// state for it (its SM_NOTIFY after a restart). Answers the state number.
#include "../../nlm_ops.hpp"
#include "../nsm_xdr.hpp"

namespace dfs::nlm {

Outcome nsmUnmon(Call& c) {
    nsm::MonId a;
    if (!nsm::decodeMonId(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.inst().monitor().unregister(a.monName, callerOf(c, a.myId));
    c.out().i32(c.inst().monitor().state());
    return Outcome::kReplied;
}

}  // namespace dfs::nlm
