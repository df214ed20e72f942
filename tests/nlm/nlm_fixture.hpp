// The fixture of the NLM tests: a dittofsd serving NFSv3 and NLM on loopback with
// ephemeral ports, whose RPC client asks a fake portmapper (FakeNlmClient) where the
// caller's NLM listens; files created over NFSv3; and synchronous NLM v4 calls through
// libnfs's raw API. Raw calls (FREE_ALL, v3, malformed arguments) use tests/kernel's
// raw RPC client.
#pragma once

#include "dittofsd_process.hpp"
#include "fake_nlm_client.hpp"
#include "nfs3_client.hpp"
#include "raw_rpc_client.hpp"

#include <nfsc/libnfs-raw-nlm.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dfs::nlm::itest {

using dfs::nfs3::itest::Raw;

inline constexpr uint64_t kGiB = uint64_t{1} << 30;

// A lock owner: the client host (caller_name), the owner handle and the process.
struct Owner {
    std::string caller;
    std::string oh;
    uint32_t svid;
};

struct Range {
    uint64_t offset;
    uint64_t length;
};

struct HolderSeen {
    bool exclusive = false;
    uint32_t svid = 0;
    std::string oh;
    uint64_t offset = 0;
    uint64_t length = 0;
};

class NlmTest : public ::testing::Test {
protected:
    void SetUp() override {
        server_.writeConfig(server_.serverSection("\"" DFS_TEST_PLUGIN_DIR "\"",
                                                  "bind = \"127.0.0.1\"\nclient_portmap_port = " +
                                                      std::to_string(client_.portmapPort()) + "\n") +
                            "[auth.unix]\n[protocol.nfs3]\nport = 0\nmount_port = 0\n"
                            "[protocol.nlm]\nport = 0\nnsm_port = 0\ngranted_timeout_ms = 1000\n"
                            "granted_retry_ms = 200\ngranted_attempts = 3\nnsm_name = \"dittofs-test\"\n"
                            "data_dir = \"" + (server_.dir() / "nlm").string() + "\"\n" +
                            storesSection() +
                            "[[share]]\nname = \"export\"\npath = \"/export\"\nmetadata = \"m\"\nblocks = \"b\"\n");
        ASSERT_TRUE(server_.start()) << server_.log();
        connectAll();
    }

    // The share's stores: in memory unless a test needs files to outlive a restart.
    virtual std::string storesSection() const {
        return "[metadata.m]\nplugin = \"mem\"\nroot_mode = \"0777\"\n[blocks.b]\nplugin = \"mem\"\n";
    }
    // Files and handles that survive a restart (sqlite + localfs), and a grace period long
    // enough that only the clients can end it.
    static std::string persistentStoresSection() {
        return "[locks]\ngrace_seconds = 120\n"
               "[metadata.m]\nplugin = \"sqlite\"\npath = \"meta.db\"\nroot_mode = \"0777\"\n"
               "[blocks.b]\nplugin = \"localfs\"\nroot = \"blocks\"\n";
    }

    void connectAll() {
        nlmPort_ = server_.port("nlm");
        nsmPort_ = server_.port("nsm");
        ASSERT_GT(nsmPort_, 0) << server_.log();
        ASSERT_GT(nlmPort_, 0) << server_.log();
        root_ = mountRoot();
        ASSERT_FALSE(root_.empty());
        nfs_ = std::make_unique<Raw>();
        nlm_ = std::make_unique<Raw>();
        nfs_->setIds(1000, 1000);
        ASSERT_TRUE(nfs_->connect(server_.port("nfs"), NFS_PROGRAM, NFS_V3)) << nfs_->lastError();
        nlm_->setIds(0, 0);
        ASSERT_TRUE(nlm_->connect(nlmPort_, NLM_PROGRAM, NLM_V4)) << nlm_->lastError();
    }

    std::string mountRoot() {
        Raw m;
        m.setIds(1000, 1000);
        EXPECT_TRUE(m.connect(server_.port("mount"), MOUNT_PROGRAM, MOUNT_V3)) << m.lastError();
        std::string fh;
        EXPECT_TRUE(m.run([&](rpc_cb cb, void* p) { return rpc_mount3_mnt_async(m.rpc(), cb, const_cast<char*>("/export"), p); },
                          [&](void* d) {
                              auto* res = static_cast<mountres3*>(d);
                              if (res->fhs_status == MNT3_OK) {
                                  auto& h = res->mountres3_u.mountinfo.fhandle;
                                  fh.assign(h.fhandle3_val, h.fhandle3_len);
                              }
                          }));
        return fh;
    }

    // A new regular file under the share's root: its NFSv3 handle.
    std::string createFile(const char* name) {
        CREATE3args a{};
        a.where.dir.data.data_len = static_cast<u_int>(root_.size());
        a.where.dir.data.data_val = root_.data();
        a.where.name = const_cast<char*>(name);
        a.how.mode = GUARDED;
        a.how.createhow3_u.obj_attributes.mode.set_it = 1;
        a.how.createhow3_u.obj_attributes.mode.set_mode3_u.mode = 0644;
        std::string fh;
        EXPECT_TRUE(nfs_->run([&](rpc_cb cb, void* p) { return rpc_nfs3_create_async(nfs_->rpc(), cb, &a, p); },
                             [&](void* d) {
                                 auto* r = static_cast<CREATE3res*>(d);
                                 if (r->status == NFS3_OK && r->CREATE3res_u.resok.obj.handle_follows) {
                                     auto& h = r->CREATE3res_u.resok.obj.post_op_fh3_u.handle;
                                     fh.assign(h.data.data_val, h.data.data_len);
                                 }
                             }))
            << nfs_->lastError();
        EXPECT_FALSE(fh.empty()) << name;
        return fh;
    }

    static nlm4_lock lockOf(const Owner& o, std::string& fh, Range r) {
        nlm4_lock l{};
        l.caller_name = const_cast<char*>(o.caller.c_str());
        l.fh.data.data_len = static_cast<u_int>(fh.size());
        l.fh.data.data_val = fh.data();
        l.oh = const_cast<char*>(o.oh.c_str());
        l.svid = o.svid;
        l.l_offset = r.offset;
        l.l_len = r.length;
        return l;
    }

    static nlm_cookie cookieOf(std::string& c) {
        nlm_cookie k{};
        k.data.data_len = static_cast<u_int>(c.size());
        k.data.data_val = c.data();
        return k;
    }

    // NLM4_LOCK: the nlm4_stats answered (or 99 if the call failed).
    uint32_t lock(const Owner& o, std::string& fh, Range r, bool exclusive, bool block = false, Raw* via = nullptr) {
        Raw& n = via != nullptr ? *via : *nlm_;
        NLM4_LOCKargs a{};
        a.cookie = cookieOf(cookie_);
        a.block = block ? 1 : 0;
        a.exclusive = exclusive ? 1 : 0;
        a.lock = lockOf(o, fh, r);
        uint32_t st = 99;
        EXPECT_TRUE(n.run([&](rpc_cb cb, void* p) { return rpc_nlm4_lock_async(n.rpc(), cb, &a, p); },
                          [&](void* d) {
                              auto* res = static_cast<NLM4_LOCKres*>(d);
                              st = res->status;
                              EXPECT_EQ(std::string(res->cookie.data.data_val, res->cookie.data.data_len), cookie_);
                          }))
            << n.lastError();
        return st;
    }

    uint32_t test(const Owner& o, std::string& fh, Range r, bool exclusive, HolderSeen* holder = nullptr) {
        NLM4_TESTargs a{};
        a.cookie = cookieOf(cookie_);
        a.exclusive = exclusive ? 1 : 0;
        a.lock = lockOf(o, fh, r);
        uint32_t st = 99;
        EXPECT_TRUE(nlm_->run([&](rpc_cb cb, void* p) { return rpc_nlm4_test_async(nlm_->rpc(), cb, &a, p); },
                             [&](void* d) {
                                 auto* res = static_cast<NLM4_TESTres*>(d);
                                 st = res->reply.status;
                                 if (st == NLM4_DENIED && holder != nullptr) {
                                     auto& h = res->reply.nlm4_testreply_u.lock.holder;
                                     holder->exclusive = h.exclusive != 0;
                                     holder->svid = h.svid;
                                     holder->oh = h.oh == nullptr ? "" : h.oh;
                                     holder->offset = h.l_offset;
                                     holder->length = h.l_len;
                                 }
                             }))
            << nlm_->lastError();
        return st;
    }

    uint32_t unlock(const Owner& o, std::string& fh, Range r) {
        NLM4_UNLOCKargs a{};
        a.cookie = cookieOf(cookie_);
        a.lock = lockOf(o, fh, r);
        uint32_t st = 99;
        EXPECT_TRUE(nlm_->run([&](rpc_cb cb, void* p) { return rpc_nlm4_unlock_async(nlm_->rpc(), cb, &a, p); },
                             [&](void* d) { st = static_cast<NLM4_UNLOCKres*>(d)->status; }))
            << nlm_->lastError();
        return st;
    }

    uint32_t cancel(const Owner& o, std::string& fh, Range r, bool exclusive) {
        NLM4_CANCargs a{};
        a.cookie = cookieOf(cookie_);
        a.block = 1;
        a.exclusive = exclusive ? 1 : 0;
        a.lock = lockOf(o, fh, r);
        uint32_t st = 99;
        EXPECT_TRUE(nlm_->run([&](rpc_cb cb, void* p) { return rpc_nlm4_cancel_async(nlm_->rpc(), cb, &a, p); },
                             [&](void* d) { st = static_cast<NLM4_CANCres*>(d)->status; }))
            << nlm_->lastError();
        return st;
    }

    // A raw NLM (or NSM) call (any version, any bytes): the parsed reply.
    std::optional<dfs::testing::Reply> rawCall(uint32_t vers, uint32_t proc, const std::string& args,
                                               uint32_t prog = NLM_PROGRAM) {
        dfs::testing::Client c(prog == NLM_PROGRAM ? nlmPort_ : nsmPort_, true);
        dfs::testing::CallSpec s;
        s.prog = prog;
        s.vers = vers;
        s.proc = proc;
        s.xid = ++xid_;
        s.credBody = dfs::testing::authSys(0, 0);
        s.args = args;
        return c.call(s);
    }

    dfs::testing::DittofsdProcess server_{DFS_DITTOFSD};
    FakeNlmClient client_;
    int nlmPort_ = 0;
    int nsmPort_ = 0;
    std::string root_;
    std::unique_ptr<Raw> nfs_;
    std::unique_ptr<Raw> nlm_;
    std::string cookie_ = "ck01";
    uint32_t xid_ = 100;
};

// XDR of an nlm4_lock / nlm_lock (vers < 4: 32-bit offsets) for raw calls.
inline void putLock(xdr::Writer& w, uint32_t vers, const Owner& o, const std::string& fh, Range r) {
    w.var(o.caller);
    w.var(fh);
    w.var(o.oh);
    w.u32(o.svid);
    if (vers >= 4) {
        w.u64(r.offset);
        w.u64(r.length);
    } else {
        w.u32(static_cast<uint32_t>(r.offset));
        w.u32(static_cast<uint32_t>(r.length));
    }
}

inline std::string bytesOf(const std::vector<uint8_t>& b, const xdr::Writer& w) {
    return std::string(reinterpret_cast<const char*>(b.data()), w.size());
}

}  // namespace dfs::nlm::itest
