// SM_UNMON_ALL: XNFS 11.3.5. Drops every registration of this caller (its address and
// my_id); other callers' registrations stay, and so do the hosts NLM monitors for its own
// locks. Answers the state number.
#include "../../nlm_ops.hpp"
#include "../nsm_xdr.hpp"

namespace dfs::nlm {

Outcome nsmUnmonAll(Call& c) {
    nsm::MyId a;
    if (!nsm::decodeMyId(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.inst().monitor().unregisterAll(callerOf(c, a));
    c.out().i32(c.inst().monitor().state());
    return Outcome::kReplied;
}

}  // namespace dfs::nlm
