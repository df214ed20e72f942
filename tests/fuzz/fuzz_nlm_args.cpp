// Fuzz target: every NLM argument decoder (plugins/nfs3/nlm/nlm_xdr.cpp), for versions 3
// and 4, and every NSM one (nsm/nsm_xdr.cpp), on the same bytes; arguments come straight from clients. A decoder must never
// read out of bounds, and what it accepts must stay within the XNFS limits handlers and
// the waiter list rely on. Accepted locks are re-encoded as GRANTED arguments.
#include "nlm_xdr.hpp"
#include "nsm/nsm_xdr.hpp"

#include <cstddef>
#include <cstdint>

namespace {

void check(bool cond) {
    if (!cond) {
        __builtin_trap();
    }
}

void checkLock(const dfs::nlm::Lock& l, uint32_t vers, size_t size) {
    check(l.callerName.size() <= dfs::nlm::kMaxStrLen && l.callerName.size() <= size);
    check(l.fh.size() <= dfs::nlm::kMaxNetobj && l.oh.size() <= dfs::nlm::kMaxNetobj);
    if (vers < 4) {
        check(l.offset <= UINT32_MAX && l.length <= UINT32_MAX);
    }
    std::string g = dfs::nlm::encodeGrantedArgs(vers, "c", true, l);
    check(g.size() % 4 == 0 && g.size() >= 32);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace dfs::nlm;
    const dfs_bytes_t in{data, size};
    for (uint32_t vers : {3u, 4u}) {
        if (TestArgs a; decodeTestArgs(in, vers, a)) {
            checkLock(a.lock, vers, size);
            check(a.cookie.size() <= kMaxNetobj);
        }
        if (LockArgs a; decodeLockArgs(in, vers, a)) {
            checkLock(a.lock, vers, size);
        }
        if (CancelArgs a; decodeCancelArgs(in, vers, a)) {
            checkLock(a.lock, vers, size);
        }
        if (UnlockArgs a; decodeUnlockArgs(in, vers, a)) {
            checkLock(a.lock, vers, size);
        }
    }
    if (ShareArgs a; decodeShareArgs(in, a)) {
        check(a.cookie.size() <= kMaxNetobj && a.share.callerName.size() <= kMaxStrLen);
        check(a.share.fh.size() <= kMaxNetobj && a.share.oh.size() <= kMaxNetobj);
        check(a.share.mode <= 3 && a.share.access <= 3);
    }
    if (NotifyArgs a; decodeNotifyArgs(in, a)) {
        check(a.name.size() <= kMaxNameLen);
    }
    if (ResArgs a; decodeResArgs(in, a)) {
        check(a.cookie.size() <= kMaxNetobj);
    }
    std::string_view name;
    if (dfs::nsm::decodeSmName(in, name)) {
        check(name.size() <= dfs::nsm::kMaxStrLen);
    }
    if (dfs::nsm::Mon m; dfs::nsm::decodeMon(in, m)) {
        check(m.id.monName.size() <= dfs::nsm::kMaxStrLen && m.id.myId.myName.size() <= dfs::nsm::kMaxStrLen);
        check(m.priv.size() == dfs::nsm::kPrivSize);
    }
    if (dfs::nsm::MonId m; dfs::nsm::decodeMonId(in, m)) {
        check(m.monName.size() <= dfs::nsm::kMaxStrLen);
    }
    if (dfs::nsm::MyId m; dfs::nsm::decodeMyId(in, m)) {
        check(m.myName.size() <= dfs::nsm::kMaxStrLen);
    }
    if (dfs::nsm::StatChange m; dfs::nsm::decodeStatChange(in, m)) {
        check(m.monName.size() <= dfs::nsm::kMaxStrLen);
        check(dfs::nsm::encodeStatChange(m.monName, m.state).size() % 4 == 0);
    }
    return 0;
}
