// NFSPROC3_FSINFO: RFC 1813 section 3.3.19. Transfer sizes come from the instance's
// rtmax/wtmax (1 MiB at least, so clients use large transfers); times are kept to the
// nanosecond; hard links and symlinks work; every object of a share has the same
// properties; SETATTR may set times.
#include "../nfs3_ops.hpp"

namespace dfs::nfs3 {
namespace {
constexpr uint32_t kPreferredMultiple = 4096;
constexpr uint32_t kDirPref = 64 * 1024;
}  // namespace

Outcome nfsFsinfo(Call& c) {
    FhArgs a;
    if (!decodeFhArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    if (c.putObjectStatus(a.fh)) {
        const Settings& s = c.settings();
        xdr::Writer& w = c.out();
        w.u32(s.rtmax);  // rtmax
        w.u32(s.rtmax);  // rtpref
        w.u32(kPreferredMultiple);
        w.u32(s.wtmax);  // wtmax
        w.u32(s.wtmax);  // wtpref
        w.u32(kPreferredMultiple);
        w.u32(kDirPref);
        w.u64(DFS_MAX_FILE_SIZE);
        w.u32(0);  // time_delta: 1 ns
        w.u32(1);
        w.u32(FSF3_LINK | FSF3_SYMLINK | FSF3_HOMOGENEOUS | FSF3_CANSETTIME);
    }
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3
