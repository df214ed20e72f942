// SM_UNMON_ALL: XNFS 11.3.5. Stops monitoring every host added by SM_MON; the hosts NLM
// monitors for its own locks stay. Answers the state number.
#include "../../nlm_ops.hpp"
#include "../nsm_xdr.hpp"

namespace dfs::nlm {

Outcome nsmUnmonAll(Call& c) {
    nsm::MyId a;
    if (!nsm::decodeMyId(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.inst().monitor().unmonitorAll();
    c.out().i32(c.inst().monitor().state());
    return Outcome::kReplied;
}

}  // namespace dfs::nlm
