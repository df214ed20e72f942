// The dispatch table of NLM versions 1, 3 and 4 (XNFS 10.3 and 14.3): for each procedure
// its name, handler, whether it is an asynchronous message (its results go back to the
// client as a *_RES call, XNFS 10.3), the first version that has it, and the largest
// reply it can produce. Procedures with no handler are PROC_UNAVAIL: GRANTED and
// GRANTED_MSG are calls a server makes, not answers (this server is not a lock client).
#include "nlm_ops.hpp"

#include <string>

namespace dfs::nlm {
namespace {

struct ProcEntry {
    const char* name;
    Handler handler;
    bool message;
    uint32_t minVers;
    uint32_t replyBound;
};

const ProcEntry kProcs[kProcCount] = {
    /* 0  NULL        */ {"NULL", nlmNull, false, 1, 4},
    /* 1  TEST        */ {"TEST", nlmTest, false, 1, kTestResMax},
    /* 2  LOCK        */ {"LOCK", nlmLock, false, 1, kResMax},
    /* 3  CANCEL      */ {"CANCEL", nlmCancel, false, 1, kResMax},
    /* 4  UNLOCK      */ {"UNLOCK", nlmUnlock, false, 1, kResMax},
    /* 5  GRANTED     */ {"GRANTED", nullptr, false, 1, 0},
    /* 6  TEST_MSG    */ {"TEST_MSG", nlmTest, true, 1, kTestResMax},
    /* 7  LOCK_MSG    */ {"LOCK_MSG", nlmLock, true, 1, kResMax},
    /* 8  CANCEL_MSG  */ {"CANCEL_MSG", nlmCancel, true, 1, kResMax},
    /* 9  UNLOCK_MSG  */ {"UNLOCK_MSG", nlmUnlock, true, 1, kResMax},
    /* 10 GRANTED_MSG */ {"GRANTED_MSG", nullptr, false, 1, 0},
    /* 11 TEST_RES    */ {"TEST_RES", nlmResult, false, 1, 4},
    /* 12 LOCK_RES    */ {"LOCK_RES", nlmResult, false, 1, 4},
    /* 13 CANCEL_RES  */ {"CANCEL_RES", nlmResult, false, 1, 4},
    /* 14 UNLOCK_RES  */ {"UNLOCK_RES", nlmResult, false, 1, 4},
    /* 15 GRANTED_RES */ {"GRANTED_RES", nlmResult, false, 1, 4},
    /* 16 (unused)    */ {"16", nullptr, false, 1, 0},
    /* 17 (unused)    */ {"17", nullptr, false, 1, 0},
    /* 18 (unused)    */ {"18", nullptr, false, 1, 0},
    /* 19 (unused)    */ {"19", nullptr, false, 1, 0},
    /* 20 SHARE       */ {"SHARE", nlmShare, false, 3, kShareResMax},
    /* 21 UNSHARE     */ {"UNSHARE", nlmUnshare, false, 3, kShareResMax},
    /* 22 NM_LOCK     */ {"NM_LOCK", nlmNmLock, false, 3, kResMax},
    /* 23 FREE_ALL    */ {"FREE_ALL", nlmFreeAll, false, 3, 4},
};

void ignoreResult(void* /*arg*/, dfs_err_t /*status*/, dfs_rpc_accept_stat_t /*accept*/, dfs_bytes_t /*results*/) {}

// The results of a *_MSG procedure, as the matching *_RES call (procedure + 5) to the
// caller's NLM. One attempt: the client re-sends its message if no answer comes.
void sendResults(Instance& self, const dfs_rpc_call_t& rpc, std::string_view results) {
    auto t = makeStruct<dfs_rpc_target_t>();
    std::string addr = rpc.cred == nullptr ? std::string() : std::string(toView(rpc.cred->client_addr));
    t.transport = rpc.transport;
    t.address = toC(addr);
    t.port = 0;
    t.prog = kNlmProgram;
    t.vers = rpc.vers;
    t.proc = rpc.proc + (kProcTestRes - kProcTestMsg);
    t.timeout_ms = self.settings().granted.timeoutMs;
    (void)self.rpc().call(self.ctx(), &t, toBytes(results), ignoreResult, nullptr);
}

}  // namespace

dfs_err_t runCall(Instance& self, const dfs_rpc_call_t* rpc, const char* program, const char* name, Handler handler,
                  bool message, uint32_t replyBound) {
    const Host& host = self.host();
    const dfs_host_rpc_t& kernel = self.rpc();
    Call c(self, *rpc, message);
    Outcome o = Outcome::kSystemErr;
    if (c.begin(replyBound)) {
        o = handler(c);
    }
    if (o == Outcome::kReplied && !c.out().ok()) {
        host.error(std::string("event=") + program + "_reply_overflow op=" + name);
        o = Outcome::kSystemErr;
    }
    if (host.logEnabled(DFS_LOG_DEBUG)) {
        host.debug(std::string("event=") + program + "_call xid=" + std::to_string(rpc->xid) + " vers=" +
                   std::to_string(rpc->vers) + " op=" + name + " client=" + std::string(c.clientAddr()) +
                   " status=" + (o == Outcome::kReplied ? std::to_string(c.status())
                                 : o == Outcome::kGarbage ? "garbage_args"
                                                          : "system_err"));
    }
    switch (o) {
    case Outcome::kReplied:
        if (message) {
            dfs_err_t st = kernel.reply_send(self.ctx(), rpc->reply, DFS_RPC_SUCCESS, 0);
            sendResults(self, *rpc, c.results());
            return st;
        }
        return kernel.reply_send(self.ctx(), rpc->reply, DFS_RPC_SUCCESS, c.out().size());
    case Outcome::kGarbage:
        return kernel.reply_send(self.ctx(), rpc->reply, DFS_RPC_GARBAGE_ARGS, 0);
    case Outcome::kSystemErr:
        return kernel.reply_send(self.ctx(), rpc->reply, DFS_RPC_SYSTEM_ERR, 0);
    }
    return dfs_err_t{DFS_ERR_SERVERFAULT, 0};
}

dfs_err_t dispatchNlm(void* inst, const dfs_rpc_call_t* rpc) {
    auto* self = static_cast<Instance*>(inst);
    return guard(self->host(), "nlm", [&]() -> dfs_err_t {
        if (rpc->proc >= kProcCount || kProcs[rpc->proc].handler == nullptr || rpc->vers < kProcs[rpc->proc].minVers ||
            (rpc->vers == 1 && rpc->proc > kProcGrantedRes) || rpc->vers == 2) {
            return self->rpc().reply_send(self->ctx(), rpc->reply, DFS_RPC_PROC_UNAVAIL, 0);
        }
        const ProcEntry& e = kProcs[rpc->proc];
        return runCall(*self, rpc, "nlm", e.name, e.handler, e.message, e.replyBound);
    });
}

}  // namespace dfs::nlm
