// Runs the NFSv3 plugin's dispatchers in process, over the kernel's real VFS and the mem
// stores, with a fake ONC RPC table standing in for the kernel's RPC server: a test
// encodes a procedure's arguments, calls the dispatcher as the kernel would, and decodes
// the reply. Everything but the sockets and the RPC header.
#pragma once

#include "nfs3_instance.hpp"
#include "nfs3_xdr.hpp"
#include "src/host_api.hpp"
#include "src/plugin_loader.hpp"
#include "src/shares.hpp"
#include "src/vfs.hpp"

#include <dittofs/cpp/views.hpp>
#include <dittofs/cpp/xdr.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace dfs::nfs3::test {

inline dfs_cred_t user(uint32_t uid, uint32_t gid, const char* addr = "127.0.0.1") {
    auto c = makeStruct<dfs_cred_t>();
    c.flavor = DFS_FLAVOR_SYS;
    c.uid = uid;
    c.gid = gid;
    c.client_addr = toC(addr);
    return c;
}

// Encodes arguments.
class Args {
public:
    Args() : buf_(1 << 20), w_(buf_.data(), buf_.size()) {}
    Args& u32(uint32_t v) { return w_.u32(v), *this; }
    Args& u64(uint64_t v) { return w_.u64(v), *this; }
    Args& fh(const dfs_fh_t& f) { return w_.var(f.data, f.len), *this; }
    Args& str(std::string_view s) { return w_.var(s), *this; }
    Args& fixed(const void* p, size_t n) { return w_.fixed(p, n), *this; }
    Args& dirop(const dfs_fh_t& d, std::string_view name) { return fh(d).str(name); }
    // sattr3 with only a mode (or nothing).
    Args& sattrMode(int64_t mode = -1) {
        if (mode >= 0) {
            u32(1).u32(static_cast<uint32_t>(mode));
        } else {
            u32(0);
        }
        return u32(0).u32(0).u32(0).u32(DONT_CHANGE).u32(DONT_CHANGE);
    }
    dfs_bytes_t bytes() const { return dfs_bytes_t{buf_.data(), w_.size()}; }

private:
    std::vector<uint8_t> buf_;
    xdr::Writer w_;
};

struct Reply {
    dfs_rpc_accept_stat_t stat = -1;
    std::vector<uint8_t> body;
    xdr::Reader reader() const { return xdr::Reader(body.data(), body.size()); }
};

// Decodes the common result pieces.
struct Attr {
    bool present = false;
    uint32_t type = 0, mode = 0, nlink = 0, uid = 0, gid = 0;
    uint64_t size = 0, used = 0, fsid = 0, fileid = 0;
    uint32_t major = 0, minor = 0;
    dfs_time_t atime{}, mtime{}, ctime{};
};

inline Attr fattr(xdr::Reader& r) {
    Attr a;
    a.present = true;
    a.type = r.u32();
    a.mode = r.u32();
    a.nlink = r.u32();
    a.uid = r.u32();
    a.gid = r.u32();
    a.size = r.u64();
    a.used = r.u64();
    a.major = r.u32();
    a.minor = r.u32();
    a.fsid = r.u64();
    a.fileid = r.u64();
    for (dfs_time_t* t : {&a.atime, &a.mtime, &a.ctime}) {
        t->sec = r.u32();
        t->nsec = r.u32();
    }
    return a;
}

inline Attr postOpAttr(xdr::Reader& r) { return r.boolean() ? fattr(r) : Attr{}; }

struct Wcc {
    bool before = false;
    uint64_t beforeSize = 0;
    dfs_time_t beforeMtime{}, beforeCtime{};
    Attr after;
};

inline Wcc wcc(xdr::Reader& r) {
    Wcc w;
    w.before = r.boolean();
    if (w.before) {
        w.beforeSize = r.u64();
        w.beforeMtime.sec = r.u32();
        w.beforeMtime.nsec = r.u32();
        w.beforeCtime.sec = r.u32();
        w.beforeCtime.nsec = r.u32();
    }
    w.after = postOpAttr(r);
    return w;
}

inline dfs_fh_t fh(xdr::Reader& r) {
    dfs_fh_t f{};
    decodeFh(r, f);
    return f;
}

class Nfs3Harness : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    Reply call(uint32_t prog, uint32_t proc, dfs_bytes_t args, const dfs_cred_t& cred,
               dfs_rpc_transport_t transport = DFS_RPC_TCP);
    Reply nfs(uint32_t proc, const Args& a) { return call(kNfsProgram, proc, a.bytes(), alice_); }
    Reply nfsAs(const dfs_cred_t& who, uint32_t proc, const Args& a) { return call(kNfsProgram, proc, a.bytes(), who); }
    Reply mount(uint32_t proc, const Args& a, const dfs_cred_t& who) { return call(kMountProgram, proc, a.bytes(), who); }

    // Helpers over the procedures, asserting success.
    dfs_fh_t create(const dfs_fh_t& dir, std::string_view name, uint32_t mode = 0644);
    dfs_fh_t mkdir(const dfs_fh_t& dir, std::string_view name, uint32_t mode = 0755);
    uint32_t status(const Reply& r) const;
    Attr getattr(const dfs_fh_t& f);

    kernel::HostServices services_;
    kernel::PluginRegistry plugins_{&services_};
    kernel::ShareRegistry shares_{plugins_, nullptr, &services_, "/tmp"};
    kernel::Vfs vfs_{shares_};
    std::unique_ptr<kernel::HostContext> hostCtx_;
    dfs_host_api_t api_{};
    dfs_host_rpc_t rpc_{};
    std::unique_ptr<Instance> inst_;
    dfs_cred_t alice_ = user(1000, 1000);
    dfs_cred_t bob_ = user(1001, 1001);
    dfs_cred_t root_ = user(0, 0);
    dfs_fh_t rw_{}, ro_{};
    uint32_t rwId_ = 0;
};

}  // namespace dfs::nfs3::test
