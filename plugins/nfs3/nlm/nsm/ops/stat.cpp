// SM_STAT: XNFS 11.3.2. Whether this monitor can monitor `mon_name` (always: it calls
// hosts by address), and its state number.
#include "../../nlm_ops.hpp"
#include "../nsm_xdr.hpp"

namespace dfs::nlm {

Outcome nsmStat(Call& c) {
    std::string_view name;
    if (!nsm::decodeSmName(c.args(), name)) {
        return Outcome::kGarbage;
    }
    c.out().u32(nsm::kStatSucc);
    c.out().i32(c.inst().monitor().state());
    return Outcome::kReplied;
}

}  // namespace dfs::nlm
