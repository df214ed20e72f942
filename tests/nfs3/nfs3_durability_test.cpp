// What the server acknowledged as stable survives kill -9 (BASE-09), handles survive a
// restart (BASE-04), and the write verifier changes so clients resend unstable data
// (RFC 1813 section 3.3.7). On the default stores: sqlite metadata, localfs blocks.
// Also: the libnfs command-line tools copy files in and out.
#include "nfs3_fixture.hpp"

#include <cstdlib>
#include <fstream>
#include <random>

namespace dfs::nfs3::itest {
namespace {

std::string randomBytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s) {
        c = static_cast<char>(rng());
    }
    return s;
}

class Nfs3Durability : public Nfs3OnDefaultStores {
protected:
    std::string write(Raw& n, const Fh& f, uint64_t off, std::string& data, stable_how how, stable_how* committed) {
        WRITE3args w{};
        w.file = f.view();
        w.offset = off;
        w.count = static_cast<count3>(data.size());
        w.stable = how;
        w.data.data_len = static_cast<u_int>(data.size());
        w.data.data_val = data.data();
        std::string verf;
        call<WRITE3res>(n, rpc_nfs3_write_async, w, [&](WRITE3res& r) {
            ASSERT_EQ(r.status, NFS3_OK);
            EXPECT_EQ(r.WRITE3res_u.resok.count, data.size());
            *committed = r.WRITE3res_u.resok.committed;
            verf.assign(r.WRITE3res_u.resok.verf, 8);
        });
        return verf;
    }

    std::string read(Raw& n, const Fh& f, uint64_t off, uint32_t count) {
        READ3args a{};
        a.file = f.view();
        a.offset = off;
        a.count = count;
        std::string out;
        call<READ3res>(n, rpc_nfs3_read_async, a, [&](READ3res& r) {
            ASSERT_EQ(r.status, NFS3_OK);
            out.assign(r.READ3res_u.resok.data.data_val, r.READ3res_u.resok.data.data_len);
        });
        return out;
    }
};

TEST_F(Nfs3Durability, StableDataAndHandlesSurviveKill9AndTheVerifierChanges) {
    Fh root = mountRoot("/export");
    Fh a;
    Fh b;
    std::string dataA = randomBytes(1 << 20, 1);
    std::string dataB = randomBytes(3 << 20, 2);
    std::string verf;
    {
        Raw n;
        connectNfs(n);
        a = create(n, root, "filesync");
        b = create(n, root, "committed");
        stable_how got = UNSTABLE;
        verf = write(n, a, 0, dataA, FILE_SYNC, &got);
        EXPECT_EQ(got, FILE_SYNC);
        for (size_t off = 0; off < dataB.size(); off += 1 << 20) {
            std::string chunk = dataB.substr(off, 1 << 20);
            EXPECT_EQ(write(n, b, off, chunk, UNSTABLE, &got), verf);
        }
        COMMIT3args cm{};
        cm.file = b.view();
        call<COMMIT3res>(n, rpc_nfs3_commit_async, cm, [&](COMMIT3res& r) {
            ASSERT_EQ(r.status, NFS3_OK);
            EXPECT_EQ(std::string(r.COMMIT3res_u.resok.verf, 8), verf);
        });
    }
    server_.kill9();
    std::string why;
    ASSERT_TRUE(server_.start(&why, "sq")) << why;
    Raw n;
    connectNfs(n);
    // The handles from before the crash still name the files, without a new MOUNT.
    GETATTR3args ga{};
    ga.object = b.view();
    call<GETATTR3res>(n, rpc_nfs3_getattr_async, ga, [&](GETATTR3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        EXPECT_EQ(r.GETATTR3res_u.resok.obj_attributes.size, dataB.size());
    });
    std::string backA;
    for (uint64_t off = 0; off < dataA.size(); off += 1 << 20) {
        backA += read(n, a, off, 1 << 20);
    }
    EXPECT_TRUE(backA == dataA) << "FILE_SYNC data after kill -9";
    std::string backB;
    for (uint64_t off = 0; off < dataB.size(); off += 1 << 20) {
        backB += read(n, b, off, 1 << 20);
    }
    EXPECT_TRUE(backB == dataB) << "committed data after kill -9";
    // A new server instance: a new write verifier.
    std::string one = "x";
    stable_how got = UNSTABLE;
    EXPECT_NE(write(n, a, 0, one, UNSTABLE, &got), verf);
    // A removed file's handle is stale, also across a restart.
    REMOVE3args rm{};
    rm.object = dirop(root, "committed");
    call<REMOVE3res>(n, rpc_nfs3_remove_async, rm, [](REMOVE3res& r) { EXPECT_EQ(r.status, NFS3_OK); });
    server_.stop();
    ASSERT_TRUE(server_.start(&why, "sq")) << why;
    Raw n2;
    connectNfs(n2);
    ga.object = b.view();
    call<GETATTR3res>(n2, rpc_nfs3_getattr_async, ga, [](GETATTR3res& r) { EXPECT_EQ(r.status, NFS3ERR_STALE); });
}

TEST_F(Nfs3Durability, LibnfsToolsCopyFilesInAndOut) {
    char tmpl[] = "/tmp/dfstools-XXXXXX";
    std::filesystem::path d = mkdtemp(tmpl);
    std::string data = randomBytes(5 << 20, 3);
    std::ofstream(d / "in.bin", std::ios::binary) << data;
    auto sh = [](const std::string& cmd) { return std::system(cmd.c_str()); };
    std::string uid = "&uid=1000&gid=1000";
    ASSERT_EQ(sh("nfs-cp " + (d / "in.bin").string() + " '" + server_.url("/export/copied.bin") + uid + "'"), 0);
    ASSERT_EQ(sh("nfs-ls '" + server_.url("/export") + uid + "' > " + (d / "ls.txt").string()), 0);
    EXPECT_NE(slurp(d / "ls.txt").find("copied.bin"), std::string::npos) << slurp(d / "ls.txt");
    EXPECT_NE(slurp(d / "ls.txt").find(std::to_string(data.size())), std::string::npos);
    ASSERT_EQ(sh("nfs-cp '" + server_.url("/export/copied.bin") + uid + "' " + (d / "out.bin").string()), 0);
    EXPECT_TRUE(slurp(d / "out.bin") == data) << "the copy out matches the copy in";
    ASSERT_EQ(sh("nfs-cat '" + server_.url("/export/copied.bin") + uid + "' > " + (d / "cat.bin").string()), 0);
    EXPECT_TRUE(slurp(d / "cat.bin") == data);
    std::filesystem::remove_all(d);
}

}  // namespace
}  // namespace dfs::nfs3::itest
