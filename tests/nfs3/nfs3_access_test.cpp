// Export access lists (BASE-02): MOUNT refuses a client outside a share's networks, and
// every NFS call checks again, so a handle learnt from an allowed address is useless from
// a refused one. On loopback: 127.0.0.1 is allowed, 127.0.0.2 is not.
#include "dittofsd_process.hpp"
#include "raw_rpc_client.hpp"

#include <gtest/gtest.h>

#include <map>

namespace dfs::testing {
namespace {

constexpr uint32_t kMountProg = 100005;
constexpr uint32_t kNfsProg = 100003;
constexpr uint32_t kMnt3ErrAcces = 13;
constexpr uint32_t kNfs3ErrAcces = 13;

std::string pathArg(const std::string& p) {
    std::vector<uint8_t> b(16 + p.size());
    xdr::Writer w(b.data(), b.size());
    w.var(p);
    return std::string(reinterpret_cast<char*>(b.data()), w.size());
}

class Nfs3AccessTest : public ::testing::Test {
protected:
    void SetUp() override {
        server_.writeConfig(server_.serverSection("\"" DFS_TEST_PLUGIN_DIR "\"") +
                            "[auth.unix]\n[protocol.nfs3]\nport = 0\nmount_port = 0\n"
                            "[metadata.m]\nplugin = \"mem\"\nroot_mode = \"0777\"\n[blocks.b]\nplugin = \"mem\"\n"
                            "[[share]]\nname = \"local\"\npath = \"/local\"\nmetadata = \"m\"\nblocks = \"b\"\n"
                            "clients = [\"127.0.0.1/32\"]\n"
                            "[[share]]\nname = \"open\"\npath = \"/open\"\nmetadata = \"m\"\nblocks = \"b\"\n");
        ASSERT_TRUE(server_.start()) << server_.log();
        mount_ = server_.port("mount");
        nfs_ = server_.port("nfs");
        ASSERT_GT(mount_, 0) << server_.log();
        ASSERT_GT(nfs_, 0);
    }

    // MNT from `from`: the status and, when OK, the handle.
    std::pair<uint32_t, std::string> mnt(const char* from, const std::string& path) {
        Client c(mount_, true, from);
        CallSpec s;
        s.prog = kMountProg;
        s.vers = 3;
        s.proc = 1;
        s.xid = 77;
        s.credBody = authSys(1000, 1000);
        s.args = pathArg(path);
        auto r = c.call(s);
        EXPECT_TRUE(r);
        if (!r) {
            return {999, {}};
        }
        xdr::Reader res(reinterpret_cast<const uint8_t*>(r->results.data()), r->results.size());
        uint32_t st = res.u32();
        std::string fh = st == 0 ? std::string(res.var(64)) : std::string();
        return {st, fh};
    }

    uint32_t getattr(const char* from, const std::string& fh) {
        Client c(nfs_, true, from);
        CallSpec s;
        s.prog = kNfsProg;
        s.vers = 3;
        s.proc = 1;
        s.xid = 78;
        s.credBody = authSys(1000, 1000);
        s.args = pathArg(fh);  // nfs_fh3 is opaque<64>: the same encoding
        auto r = c.call(s);
        EXPECT_TRUE(r);
        return r ? be32(r->results, 0) : 999;
    }

    DittofsdProcess server_{DFS_DITTOFSD};
    int mount_ = 0;
    int nfs_ = 0;
};

TEST_F(Nfs3AccessTest, MountAndEveryCallCheckTheClientsNetwork) {
    auto [ok, fh] = mnt("127.0.0.1", "/local");
    ASSERT_EQ(ok, 0u);
    ASSERT_FALSE(fh.empty());
    EXPECT_EQ(getattr("127.0.0.1", fh), 0u);
    auto [refused, none] = mnt("127.0.0.2", "/local");
    EXPECT_EQ(refused, kMnt3ErrAcces) << "MNT3ERR_ACCES for a client outside the share's networks";
    EXPECT_EQ(getattr("127.0.0.2", fh), kNfs3ErrAcces) << "a handle learnt elsewhere is useless";
    auto [open, openFh] = mnt("127.0.0.2", "/open");
    EXPECT_EQ(open, 0u) << "a share without a list is open to everyone";
    EXPECT_EQ(getattr("127.0.0.2", openFh), 0u);
    EXPECT_NE(server_.log().find("event=client_refused share=local client=127.0.0.2"), std::string::npos);
}

TEST_F(Nfs3AccessTest, ExportListsEachShareWithItsNetworks) {
    Client c(mount_, true);
    CallSpec s;
    s.prog = kMountProg;
    s.vers = 3;
    s.proc = 5;  // MOUNTPROC3_EXPORT
    s.credBody = authSys(1000, 1000);
    auto r = c.call(s);
    ASSERT_TRUE(r);
    xdr::Reader res(reinterpret_cast<const uint8_t*>(r->results.data()), r->results.size());
    std::map<std::string, std::vector<std::string>> exports;
    while (res.ok() && res.boolean()) {
        std::string path(res.var(1024));
        auto& groups = exports[path];
        while (res.ok() && res.boolean()) {
            groups.emplace_back(res.var(255));
        }
    }
    ASSERT_TRUE(res.ok());
    EXPECT_EQ(exports["/local"], std::vector<std::string>{"127.0.0.1/32"});
    EXPECT_TRUE(exports.count("/open") == 1 && exports["/open"].empty());
}

}  // namespace
}  // namespace dfs::testing
