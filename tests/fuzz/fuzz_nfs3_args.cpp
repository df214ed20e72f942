// Fuzz target: every NFSv3 and MOUNT v3 argument decoder (plugins/nfs3/nfs3_xdr.cpp) on
// the same bytes; arguments come straight from clients. A decoder must never read out of
// bounds, and what it accepts must stay within the limits handlers rely on.
#include "nfs3_xdr.hpp"

#include <cstddef>
#include <cstdint>

namespace {

void check(bool cond) {
    if (!cond) {
        __builtin_trap();
    }
}

void checkFh(const dfs_fh_t& fh) { check(fh.len <= dfs::nfs3::kFhSize); }

void checkName(const dfs::nfs3::DirOp& d, size_t size) {
    checkFh(d.dir);
    check(d.name.size() <= dfs::nfs3::kNameDecodeMax && d.name.size() <= size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace dfs::nfs3;
    const dfs_bytes_t in{data, size};
    if (FhArgs a; decodeFhArgs(in, a)) {
        checkFh(a.fh);
    }
    if (SetattrArgs a; decodeSetattrArgs(in, a)) {
        checkFh(a.fh);
    }
    if (DirOp a; decodeDirOpArgs(in, a)) {
        checkName(a, size);
    }
    if (AccessArgs a; decodeAccessArgs(in, a)) {
        checkFh(a.fh);
    }
    if (ReadArgs a; decodeReadArgs(in, a)) {
        checkFh(a.fh);
    }
    if (WriteArgs a; decodeWriteArgs(in, a)) {
        checkFh(a.fh);
        check(a.count <= a.data.size() && a.data.size() <= size && a.stable <= DFS_FILE_SYNC);
    }
    if (CreateArgs a; decodeCreateArgs(in, a)) {
        checkName(a.where, size);
        check(a.mode <= EXCLUSIVE);
    }
    if (MkdirArgs a; decodeMkdirArgs(in, a)) {
        checkName(a.where, size);
    }
    if (SymlinkArgs a; decodeSymlinkArgs(in, a)) {
        checkName(a.where, size);
        check(a.target.size() <= kPathDecodeMax);
    }
    if (MknodArgs a; decodeMknodArgs(in, a)) {
        checkName(a.where, size);
    }
    if (RenameArgs a; decodeRenameArgs(in, a)) {
        checkName(a.from, size);
        checkName(a.to, size);
    }
    if (LinkArgs a; decodeLinkArgs(in, a)) {
        checkFh(a.fh);
        checkName(a.link, size);
    }
    if (ReaddirArgs a; decodeReaddirArgs(in, a)) {
        checkFh(a.dir);
    }
    if (ReaddirArgs a; decodeReaddirplusArgs(in, a)) {
        checkFh(a.dir);
    }
    if (CommitArgs a; decodeCommitArgs(in, a)) {
        checkFh(a.fh);
    }
    if (std::string_view p; decodeDirpath(in, p)) {
        check(p.size() <= kMntPathLen);
    }
    return 0;
}
