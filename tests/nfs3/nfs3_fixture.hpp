// The fixture of the libnfs tests: a started dittofsd, handles kept as bytes, and a typed
// synchronous call over libnfs's raw NFSv3 API.
#pragma once

#include "nfs3_client.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace dfs::nfs3::itest {

inline constexpr int kUid = 1000;
inline constexpr int kOther = 4242;

// Handles as owned bytes; nfs_fh3 views into them.
struct Fh {
    std::string bytes;
    nfs_fh3 view() const {
        nfs_fh3 f{};
        f.data.data_len = static_cast<u_int>(bytes.size());
        f.data.data_val = const_cast<char*>(bytes.data());
        return f;
    }
};
inline Fh fhOf(const nfs_fh3& f) { return Fh{std::string(f.data.data_val, f.data.data_len)}; }

template <typename Res, typename Args>
void call(Raw& r, int (*fn)(rpc_context*, rpc_cb, Args*, void*), Args args, const std::function<void(Res&)>& check) {
    bool ok = r.run([&](rpc_cb cb, void* p) { return fn(r.rpc(), cb, &args, p); },
                    [&](void* d) { check(*static_cast<Res*>(d)); });
    ASSERT_TRUE(ok) << r.lastError();
}

inline diropargs3 dirop(const Fh& dir, const char* name) {
    diropargs3 d{};
    d.dir = dir.view();
    d.name = const_cast<char*>(name);
    return d;
}

inline sattr3 modeOnly(uint32_t mode) {
    sattr3 s{};
    s.mode.set_it = 1;
    s.mode.set_mode3_u.mode = mode;
    return s;
}

class Nfs3Integration : public ::testing::Test {
protected:
    void SetUp() override {
        std::string why;
        ASSERT_TRUE(server_.start(&why)) << why;
    }
    void connectNfs(Raw& r, int uid = kUid) {
        r.setIds(uid, uid);
        ASSERT_TRUE(r.connect(server_.nfsPort(), NFS_PROGRAM, NFS_V3)) << r.lastError();
    }
    Fh mountRoot(const char* path, uint32_t* status = nullptr) {
        Raw m;
        m.setIds(kUid, kUid);
        EXPECT_TRUE(m.connect(server_.mountPort(), MOUNT_PROGRAM, MOUNT_V3)) << m.lastError();
        Fh root;
        bool ok = m.run([&](rpc_cb cb, void* p) { return rpc_mount3_mnt_async(m.rpc(), cb, const_cast<char*>(path), p); },
                        [&](void* d) {
                            auto* res = static_cast<mountres3*>(d);
                            if (status != nullptr) {
                                *status = res->fhs_status;
                            }
                            if (res->fhs_status == MNT3_OK) {
                                auto& fh = res->mountres3_u.mountinfo.fhandle;
                                root.bytes.assign(fh.fhandle3_val, fh.fhandle3_len);
                            }
                        });
        EXPECT_TRUE(ok) << m.lastError();
        return root;
    }
    Fh create(Raw& r, const Fh& dir, const char* name, uint32_t mode = 0644) {
        CREATE3args a{};
        a.where = dirop(dir, name);
        a.how.mode = GUARDED;
        a.how.createhow3_u.obj_attributes = modeOnly(mode);
        Fh out;
        call<CREATE3res>(r, rpc_nfs3_create_async, a, [&](CREATE3res& res) {
            ASSERT_EQ(res.status, NFS3_OK) << name;
            ASSERT_TRUE(res.CREATE3res_u.resok.obj.handle_follows);
            out = fhOf(res.CREATE3res_u.resok.obj.post_op_fh3_u.handle);
        });
        return out;
    }

    Server server_;
};

// The same on the default stores: sqlite metadata, localfs blocks (whose READ data is
// lent from mappings of its files).
class Nfs3OnDefaultStores : public Nfs3Integration {
protected:
    void SetUp() override {
        std::string why;
        ASSERT_TRUE(server_.start(&why, "sq")) << why;
    }
};

}  // namespace dfs::nfs3::itest
