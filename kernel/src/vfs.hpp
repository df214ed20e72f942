// The VFS: how protocol plugins reach files (dfs_host_vfs_t, host.h).
//
// Each call resolves the handle to its share and object (BADHANDLE / STALE), checks the
// caller's address against the share, applies the share's squash rules, checks
// permissions from mode bits (access.cpp), refuses changes on read-only shares, then
// drives the share's metadata and block stores and keeps them consistent (sizes, times,
// freed objects). Results are in dfs_status_t; protocol plugins map them to the wire.
#pragma once

#include "shares.hpp"

#include <atomic>
#include <dittofs/abi/host.h>
#include <dittofs/cpp/lent.hpp>
#include <dittofs/cpp/result.hpp>

#include <functional>
#include <string>
#include <vector>

namespace dfs::kernel {

// The parts of a resolved handle a call needs.
struct Resolved {
    SharePtr share;
    uint64_t ino = 0;
    dfs_attr_t attr{};
    dfs_cred_t cred{};  // after squash
};

// Permission checks from mode bits (access.cpp).
enum : uint32_t { kMayRead = 4, kMayWrite = 2, kMayExec = 1 };
bool mayAccess(const dfs_attr_t& a, const dfs_cred_t& c, uint32_t mask);
// READ, WRITE and truncation of a file's data: as mayAccess, except that the owner always
// may (Linux nfsd's owner override). The client checked the mode when the file was
// opened, so a file created 0444 and then written (git objects, `cp -p` of a read-only
// file) or written after fchmod(fd, 0) keeps working; ACCESS still reports the mode.
bool mayAccessData(const dfs_attr_t& a, const dfs_cred_t& c, uint32_t mask);
// Sticky directories: only the owner of the entry or of the directory, or root, may
// remove or rename it.
bool mayDeleteFrom(const dfs_attr_t& dir, const dfs_attr_t& victim, const dfs_cred_t& c);
// NFSv3 ACCESS bits granted (DFS_ACCESS_*).
uint32_t accessBits(const dfs_attr_t& a, const dfs_cred_t& c, bool readOnlyShare, uint32_t want);

using VfsDirentSink = std::function<bool(const dfs_vfs_dirent_t&)>;

class Vfs {
public:
    explicit Vfs(ShareRegistry& shares) : shares_(shares) {}

    // 8 bytes that differ at every server start (boot counter from the state database).
    void setWriteVerifier(uint64_t bootCount);
    void writeVerifier(uint8_t out[8]) const;

    // `protocol` (the calling service's name, or empty): a share that protocol does not
    // export is answered as absent.
    Status shareRoot(const dfs_cred_t& cred, std::string_view pathOrName, dfs_fh_t* root, dfs_attr_t* attr,
                     std::string_view protocol = {});
    Status getattr(const dfs_cred_t& cred, const dfs_fh_t* fh, dfs_attr_t* out);
    Status setattr(const dfs_cred_t& cred, const dfs_fh_t* fh, const dfs_setattr_t& sa, const dfs_time_t* guard,
                   dfs_wcc_t* wcc);
    Status lookup(const dfs_cred_t& cred, const dfs_fh_t* dir, std::string_view name, dfs_fh_t* out,
                  dfs_attr_t* attr, dfs_attr_t* dirAttr);
    Status access(const dfs_cred_t& cred, const dfs_fh_t* fh, uint32_t want, uint32_t* granted, dfs_attr_t* attr);
    Status create(const dfs_cred_t& cred, const dfs_fh_t* dir, std::string_view name, const dfs_create_args_t& args,
                  const dfs_setattr_t* sa, dfs_fh_t* out, dfs_attr_t* attr, dfs_wcc_t* dirWcc);
    Status link(const dfs_cred_t& cred, const dfs_fh_t* fh, const dfs_fh_t* dir, std::string_view name,
                dfs_attr_t* attr, dfs_wcc_t* dirWcc);
    Status remove(const dfs_cred_t& cred, const dfs_fh_t* dir, std::string_view name, uint32_t flags,
                  dfs_wcc_t* dirWcc);
    Status rename(const dfs_cred_t& cred, const dfs_fh_t* srcDir, std::string_view srcName, const dfs_fh_t* dstDir,
                  std::string_view dstName, dfs_wcc_t* srcWcc, dfs_wcc_t* dstWcc);
    Status readlink(const dfs_cred_t& cred, const dfs_fh_t* fh, std::string& target, dfs_attr_t* attr);
    Status readdir(const dfs_cred_t& cred, const dfs_fh_t* dir, uint64_t cookie, const uint8_t* verfIn,
                   uint8_t* verfOut, uint32_t flags, const VfsDirentSink& sink, int32_t* eof, dfs_attr_t* dirAttr);
    // With `lent`, the block store lends the bytes where it can instead (host.h
    // read_lend): then *lent holds them and `buf` is untouched.
    Status read(const dfs_cred_t& cred, const dfs_fh_t* fh, uint64_t offset, dfs_buf_t buf, uint64_t* nread,
                int32_t* eof, dfs_attr_t* attr, LentBytes* lent = nullptr);
    Status write(const dfs_cred_t& cred, const dfs_fh_t* fh, uint64_t offset, dfs_bytes_t data, dfs_stable_t stable,
                 dfs_stable_t* committed, dfs_wcc_t* wcc);
    Status commit(const dfs_cred_t& cred, const dfs_fh_t* fh, uint64_t offset, uint64_t count, dfs_wcc_t* wcc);
    Status statfs(const dfs_cred_t& cred, const dfs_fh_t* fh, dfs_statfs_t* out);
    Result<std::string> getxattr(const dfs_cred_t& cred, const dfs_fh_t* fh, std::string_view name);
    Status setxattr(const dfs_cred_t& cred, const dfs_fh_t* fh, std::string_view name, std::string_view value,
                    uint32_t flags);
    Result<std::vector<std::string>> listxattr(const dfs_cred_t& cred, const dfs_fh_t* fh);
    Status removexattr(const dfs_cred_t& cred, const dfs_fh_t* fh, std::string_view name);

    ShareRegistry& shares() { return shares_; }

    // Exposed for the C table and tests.
    Result<Resolved> resolve(const dfs_cred_t& cred, const dfs_fh_t* fh) const;
    static dfs_time_t now();
    static dfs_fh_t handleFor(const Share& s, const dfs_attr_t& a);

private:
    Status applySetattr(const Resolved& r, const dfs_setattr_t& sa, dfs_attr_t* after);
    void freeIfGone(const Share& s, const dfs_attr_t& a);

    ShareRegistry& shares_;
    uint8_t verifier_[8] = {};
    // How many entries the store is asked for first in a listing call: what the last
    // listing call that filled its reply took, plus a margin (readdir); [1] with
    // attributes (DFS_READDIR_PLUS), [0] without.
    std::atomic<uint32_t> listingBatch_[2] = {256, 256};
};

}  // namespace dfs::kernel
