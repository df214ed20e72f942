// SM_MON: XNFS 11.3.3. Starts monitoring `mon_name` (kept in the persisted list, so it
// hears SM_NOTIFY after this server restarts; its address is the mon_name when that is
// numeric) and registers `my_id`: when the host's reboot notice comes, the caller's
// procedure my_prog/my_vers/my_proc is called at the caller's address with sm_status
// {mon_name, state, priv}.
#include "../../nlm_ops.hpp"
#include "../nsm_xdr.hpp"

namespace dfs::nlm {

nsm::Registration callerOf(const Call& c, const nsm::MyId& id) {
    nsm::Registration reg;
    reg.callerAddress = std::string(c.clientAddr());
    reg.myName = std::string(id.myName);
    reg.prog = id.prog;
    reg.vers = id.vers;
    reg.proc = id.proc;
    return reg;
}

Outcome nsmMon(Call& c) {
    nsm::Mon a;
    if (!nsm::decodeMon(c.args(), a)) {
        return Outcome::kGarbage;
    }
    nsm::Registration reg = callerOf(c, a.id.myId);
    reg.priv = std::string(a.priv);
    c.inst().monitor().monitor(a.id.monName, a.id.monName, false, &reg);
    c.out().u32(nsm::kStatSucc);
    c.out().i32(c.inst().monitor().state());
    return Outcome::kReplied;
}

}  // namespace dfs::nlm
