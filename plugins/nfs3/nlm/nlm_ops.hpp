// The handlers: one per NLM procedure (ops/<proc>.cpp, XNFS chapters 10 and 14). The
// *_MSG procedures share the handler of their synchronous form; nlm_dispatch.cpp lists
// them with their names and reply sizes.
#pragma once

#include "nlm_call.hpp"
#include "nsm/nsm_xdr.hpp"

namespace dfs::nlm {

using Handler = Outcome (*)(Call&);

Outcome nlmNull(Call& c);
Outcome nlmTest(Call& c);
Outcome nlmLock(Call& c);
Outcome nlmCancel(Call& c);
Outcome nlmUnlock(Call& c);
Outcome nlmShare(Call& c);
Outcome nlmUnshare(Call& c);
Outcome nlmNmLock(Call& c);
Outcome nlmFreeAll(Call& c);
// TEST_RES .. GRANTED_RES: a client's asynchronous answers, acknowledged and dropped.
Outcome nlmResult(Call& c);

// NSM (nsm/ops/<proc>.cpp, XNFS chapter 11).
// The SM_MON caller a my_id names: the call's address and the procedure to call back.
nsm::Registration callerOf(const Call& c, const nsm::MyId& id);
Outcome nsmNull(Call& c);
Outcome nsmStat(Call& c);
Outcome nsmMon(Call& c);
Outcome nsmUnmon(Call& c);
Outcome nsmUnmonAll(Call& c);
Outcome nsmSimuCrash(Call& c);
Outcome nsmNotify(Call& c);

// Runs one call through `handler` and sends its reply (nlm_dispatch.cpp); shared by the
// NLM and NSM dispatchers. `message`: the results go back as a *_RES call.
dfs_err_t runCall(Instance& self, const dfs_rpc_call_t* rpc, const char* program, const char* name, Handler handler,
                  bool message, uint32_t replyBound);
// Releases every lock and waiter of the NLM client `callerName` (FREE_ALL, a reboot).
void releaseClient(Instance& self, std::string_view callerName);

}  // namespace dfs::nlm
