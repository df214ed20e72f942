// SM_UNMON: XNFS 11.3.4. Stops monitoring `mon_name`; answers the state number.
#include "../../nlm_ops.hpp"
#include "../nsm_xdr.hpp"

namespace dfs::nlm {

Outcome nsmUnmon(Call& c) {
    nsm::MonId a;
    if (!nsm::decodeMonId(c.args(), a)) {
        return Outcome::kGarbage;
    }
    (void)c.inst().monitor().unmonitor(a.monName);
    c.out().i32(c.inst().monitor().state());
    return Outcome::kReplied;
}

}  // namespace dfs::nlm
