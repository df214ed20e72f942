// The dispatch table of NSM version 1 (XNFS 11.3): for each procedure its name, handler
// and the largest reply it can produce. The handlers share the NLM instance: the monitor
// list lives beside the lock waiters, and a reboot notice releases NLM locks directly.
#include "../nlm_ops.hpp"
#include "nsm_xdr.hpp"

namespace dfs::nlm {
namespace {

struct ProcEntry {
    const char* name;
    Handler handler;
    uint32_t replyBound;
};

const ProcEntry kProcs[nsm::kProcCount] = {
    /* 0 SM_NULL       */ {"SM_NULL", nsmNull, 4},
    /* 1 SM_STAT       */ {"SM_STAT", nsmStat, 8},
    /* 2 SM_MON        */ {"SM_MON", nsmMon, 8},
    /* 3 SM_UNMON      */ {"SM_UNMON", nsmUnmon, 4},
    /* 4 SM_UNMON_ALL  */ {"SM_UNMON_ALL", nsmUnmonAll, 4},
    /* 5 SM_SIMU_CRASH */ {"SM_SIMU_CRASH", nsmSimuCrash, 4},
    /* 6 SM_NOTIFY     */ {"SM_NOTIFY", nsmNotify, 4},
};

}  // namespace

dfs_err_t dispatchNsm(void* inst, const dfs_rpc_call_t* rpc) {
    auto* self = static_cast<Instance*>(inst);
    return guard(self->host(), "nsm", [&]() -> dfs_err_t {
        if (rpc->proc >= nsm::kProcCount) {
            return self->rpc().reply_send(self->ctx(), rpc->reply, DFS_RPC_PROC_UNAVAIL, 0);
        }
        const ProcEntry& e = kProcs[rpc->proc];
        return runCall(*self, rpc, "nsm", e.name, e.handler, false, e.replyBound);
    });
}

}  // namespace dfs::nlm
