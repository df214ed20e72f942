// SM_NULL: XNFS 11.3.1. Nothing in, nothing out.
#include "../../nlm_ops.hpp"

namespace dfs::nlm {

Outcome nsmNull(Call& /*c*/) { return Outcome::kReplied; }

}  // namespace dfs::nlm
