// NLM4_NULL / NLM_NULL: XNFS 14.3.1 (10.3.1). Nothing in, nothing out.
#include "../nlm_ops.hpp"

namespace dfs::nlm {

Outcome nlmNull(Call& /*c*/) { return Outcome::kReplied; }

}  // namespace dfs::nlm
