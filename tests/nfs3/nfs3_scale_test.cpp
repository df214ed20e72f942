// NFSv3 at scale against a real dittofsd through libnfs: a 64 MiB file through the
// high-level API with matching checksums (64 MiB, and 1 GiB), a 10,000-entry
// directory listed completely with READDIR and READDIRPLUS, and 16 clients creating,
// writing, renaming and removing concurrently with no error and no lost update.
#include "nfs3_fixture.hpp"

#include <fcntl.h>

#include <atomic>
#include <cstring>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace dfs::nfs3::itest {
namespace {

// Lists a directory completely, page by page; returns the names.
std::vector<std::string> listAll(Raw& n, const Fh& dir, bool plus, int* calls) {
    std::vector<std::string> names;
    uint64_t cookie = 0;
    char verf[NFS3_COOKIEVERFSIZE] = {};
    bool eof = false;
    while (!eof) {
        ++*calls;
        if (plus) {
            READDIRPLUS3args a{};
            a.dir = dir.view();
            a.cookie = cookie;
            std::memcpy(a.cookieverf, verf, sizeof verf);
            a.dircount = 16384;
            a.maxcount = 65536;
            call<READDIRPLUS3res>(n, rpc_nfs3_readdirplus_async, a, [&](READDIRPLUS3res& r) {
                ASSERT_EQ(r.status, NFS3_OK);
                std::memcpy(verf, r.READDIRPLUS3res_u.resok.cookieverf, sizeof verf);
                for (entryplus3* e = r.READDIRPLUS3res_u.resok.reply.entries; e != nullptr; e = e->nextentry) {
                    names.emplace_back(e->name);
                    cookie = e->cookie;
                    EXPECT_TRUE(e->name_attributes.attributes_follow);
                }
                eof = r.READDIRPLUS3res_u.resok.reply.eof;
            });
        } else {
            READDIR3args a{};
            a.dir = dir.view();
            a.cookie = cookie;
            std::memcpy(a.cookieverf, verf, sizeof verf);
            a.count = 8192;
            call<READDIR3res>(n, rpc_nfs3_readdir_async, a, [&](READDIR3res& r) {
                ASSERT_EQ(r.status, NFS3_OK);
                std::memcpy(verf, r.READDIR3res_u.resok.cookieverf, sizeof verf);
                for (entry3* e = r.READDIR3res_u.resok.reply.entries; e != nullptr; e = e->nextentry) {
                    names.emplace_back(e->name);
                    cookie = e->cookie;
                }
                eof = r.READDIR3res_u.resok.reply.eof;
            });
        }
        if (::testing::Test::HasFatalFailure() || *calls > 100000) {
            break;
        }
    }
    return names;
}

TEST_F(Nfs3Integration, TenThousandEntryDirectoryListedCompletely) {
    Fh root = mountRoot("/export");
    Raw n;
    connectNfs(n);
    MKDIR3args mk{};
    mk.where = dirop(root, "many");
    mk.attributes = modeOnly(0755);
    Fh dir;
    call<MKDIR3res>(n, rpc_nfs3_mkdir_async, mk, [&](MKDIR3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        dir = fhOf(r.MKDIR3res_u.resok.obj.post_op_fh3_u.handle);
    });
    const int kCount = 10000;
    // Pipelined creates: many calls in flight on one connection.
    std::atomic<int> done{0};
    std::atomic<int> failed{0};
    std::vector<std::string> names(kCount);
    std::vector<CREATE3args> args(kCount);
    const int kWindow = 64;
    int sent = 0;
    auto cb = [](rpc_context*, int status, void* data, void* priv) {
        auto* counters = static_cast<std::pair<std::atomic<int>*, std::atomic<int>*>*>(priv);
        if (status != RPC_STATUS_SUCCESS || static_cast<CREATE3res*>(data)->status != NFS3_OK) {
            counters->second->fetch_add(1);
        }
        counters->first->fetch_add(1);
    };
    std::pair<std::atomic<int>*, std::atomic<int>*> counters{&done, &failed};
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (done.load() < kCount && std::chrono::steady_clock::now() < until) {
        while (sent < kCount && sent - done.load() < kWindow) {
            names[sent] = "entry-" + std::to_string(sent);
            args[sent].where = dirop(dir, names[sent].c_str());
            args[sent].how.mode = GUARDED;
            ASSERT_EQ(rpc_nfs3_create_async(n.rpc(), cb, &args[sent], &counters), 0);
            ++sent;
        }
        pollfd pfd{rpc_get_fd(n.rpc()), static_cast<short>(rpc_which_events(n.rpc())), 0};
        poll(&pfd, 1, 100);
        ASSERT_GE(rpc_service(n.rpc(), pfd.revents), 0) << rpc_get_error(n.rpc());
    }
    ASSERT_EQ(done.load(), kCount);
    ASSERT_EQ(failed.load(), 0);
    for (bool plus : {false, true}) {
        int calls = 0;
        std::vector<std::string> listed = listAll(n, dir, plus, &calls);
        std::set<std::string> unique(listed.begin(), listed.end());
        EXPECT_EQ(listed.size(), static_cast<size_t>(kCount + 2)) << (plus ? "READDIRPLUS" : "READDIR");
        EXPECT_EQ(unique.size(), listed.size()) << "no entry twice";
        EXPECT_TRUE(unique.count(".") && unique.count("..") && unique.count("entry-0") && unique.count("entry-9999"));
        EXPECT_GT(calls, 10) << "the listing took several replies";
    }
}

// The high-level libnfs API: what a user's program sees.
struct Client {
    explicit Client(const std::string& url) : nfs(nfs_init_context()) {
        nfs_url* u = nfs_parse_url_dir(nfs, url.c_str());
        if (u == nullptr) {
            error = nfs_get_error(nfs);
            return;
        }
        if (nfs_mount(nfs, u->server, u->path) != 0) {
            error = nfs_get_error(nfs);
        } else {
            mounted = true;
        }
        nfs_destroy_url(u);
    }
    ~Client() {
        if (mounted) {
            nfs_umount(nfs);
        }
        nfs_destroy_context(nfs);
    }
    nfs_context* nfs;
    bool mounted = false;
    std::string error;
};

uint64_t fnv(const uint8_t* p, size_t n, uint64_t h = 1469598103934665603ull) {
    for (size_t i = 0; i < n; ++i) {
        h = (h ^ p[i]) * 1099511628211ull;
    }
    return h;
}

void bigFile(Server& server, uint64_t size) {
    Client c(server.url("/export", kUid));
    ASSERT_TRUE(c.mounted) << c.error;
    EXPECT_GE(nfs_get_readmax(c.nfs), 1u << 20);
    EXPECT_GE(nfs_get_writemax(c.nfs), 1u << 20);
    nfsfh* fh = nullptr;
    ASSERT_EQ(nfs_creat(c.nfs, "/big", 0644, &fh), 0) << nfs_get_error(c.nfs);
    const size_t chunk = 1 << 20;
    std::vector<uint8_t> buf(chunk);
    std::mt19937_64 rng(42);
    uint64_t written = 0;
    for (uint64_t off = 0; off < size; off += chunk) {
        for (size_t i = 0; i < chunk; i += 8) {
            uint64_t v = rng();
            std::memcpy(buf.data() + i, &v, 8);
        }
        written = fnv(buf.data(), chunk, off == 0 ? 1469598103934665603ull : written);
        ASSERT_EQ(nfs_pwrite(c.nfs, fh, off, chunk, buf.data()), static_cast<int>(chunk)) << nfs_get_error(c.nfs);
    }
    ASSERT_EQ(nfs_fsync(c.nfs, fh), 0) << nfs_get_error(c.nfs);
    nfs_close(c.nfs, fh);
    nfs_stat_64 st{};
    ASSERT_EQ(nfs_stat64(c.nfs, "/big", &st), 0);
    EXPECT_EQ(st.nfs_size, size);
    ASSERT_EQ(nfs_open(c.nfs, "/big", O_RDONLY, &fh), 0) << nfs_get_error(c.nfs);
    uint64_t read = 0;
    for (uint64_t off = 0; off < size; off += chunk) {
        int n = nfs_pread(c.nfs, fh, off, chunk, buf.data());
        ASSERT_EQ(n, static_cast<int>(chunk)) << nfs_get_error(c.nfs);
        read = fnv(buf.data(), chunk, off == 0 ? 1469598103934665603ull : read);
    }
    EXPECT_EQ(nfs_pread(c.nfs, fh, size, chunk, buf.data()), 0) << "end of file";
    nfs_close(c.nfs, fh);
    EXPECT_EQ(read, written) << "checksums of what was written and what was read back";
}

TEST_F(Nfs3Integration, SixtyFourMiBFileReadsBackIdentically) { bigFile(server_, uint64_t{64} << 20); }

TEST_F(Nfs3Integration, OneGiBFileReadsBackIdentically) { bigFile(server_, uint64_t{1} << 30); }

TEST_F(Nfs3Integration, SixteenClientsConcurrently) {
    {
        Client setup(server_.url("/export", kUid));
        ASSERT_TRUE(setup.mounted) << setup.error;
        nfsfh* fh = nullptr;
        ASSERT_EQ(nfs_creat(setup.nfs, "/shared", 0666, &fh), 0);
        nfs_close(setup.nfs, fh);
    }
    const int kClients = 16;
    const int kRounds = 40;
    std::atomic<int> errors{0};
    std::vector<std::string> firstError(kClients);
    std::vector<std::thread> threads;
    for (int t = 0; t < kClients; ++t) {
        threads.emplace_back([&, t] {
            auto fail = [&](const std::string& what, nfs_context* nfs) {
                if (errors.fetch_add(1) == 0 || firstError[t].empty()) {
                    firstError[t] = what + ": " + (nfs != nullptr ? nfs_get_error(nfs) : "");
                }
            };
            Client c(server_.url("/export", kUid));
            if (!c.mounted) {
                fail("mount " + c.error, nullptr);
                return;
            }
            std::string dir = "/c" + std::to_string(t);
            if (nfs_mkdir(c.nfs, dir.c_str()) != 0) {
                fail("mkdir", c.nfs);
                return;
            }
            nfsfh* shared = nullptr;
            if (nfs_open(c.nfs, "/shared", O_RDWR, &shared) != 0) {
                fail("open shared", c.nfs);
                return;
            }
            for (int i = 0; i < kRounds; ++i) {
                std::string a = dir + "/tmp" + std::to_string(i);
                std::string b = dir + "/file" + std::to_string(i);
                std::string data = "client " + std::to_string(t) + " round " + std::to_string(i);
                nfsfh* fh = nullptr;
                if (nfs_creat(c.nfs, a.c_str(), 0644, &fh) != 0) {
                    fail("creat " + a, c.nfs);
                    continue;
                }
                if (nfs_pwrite(c.nfs, fh, 0, data.size(), data.data()) != static_cast<int>(data.size())) {
                    fail("write", c.nfs);
                }
                nfs_close(c.nfs, fh);
                if (nfs_rename(c.nfs, a.c_str(), b.c_str()) != 0) {
                    fail("rename", c.nfs);
                }
                // Each client owns one 64-byte slot per round of the shared file.
                std::string slot(64, static_cast<char>('A' + t));
                uint64_t off = (static_cast<uint64_t>(i) * kClients + t) * 64;
                if (nfs_pwrite(c.nfs, shared, off, slot.size(), slot.data()) != 64) {
                    fail("shared write", c.nfs);
                }
                if (i % 2 == 1) {
                    std::string prev = dir + "/file" + std::to_string(i - 1);
                    if (nfs_unlink(c.nfs, prev.c_str()) != 0) {
                        fail("unlink", c.nfs);
                    }
                }
            }
            nfs_close(c.nfs, shared);
            // What is left is exactly the odd rounds, with their own data.
            for (int i = 1; i < kRounds; i += 2) {
                std::string b = dir + "/file" + std::to_string(i);
                std::string want = "client " + std::to_string(t) + " round " + std::to_string(i);
                nfsfh* fh = nullptr;
                std::string got(want.size() + 8, '\0');
                if (nfs_open(c.nfs, b.c_str(), O_RDONLY, &fh) != 0) {
                    fail("open " + b, c.nfs);
                    continue;
                }
                int n = nfs_pread(c.nfs, fh, 0, got.size(), got.data());
                nfs_close(c.nfs, fh);
                if (n != static_cast<int>(want.size()) || got.substr(0, want.size()) != want) {
                    fail("content of " + b, nullptr);
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    std::string all;
    for (const auto& e : firstError) {
        all += e.empty() ? "" : e + "\n";
    }
    EXPECT_EQ(errors.load(), 0) << all;
    Client check(server_.url("/export", kUid));
    ASSERT_TRUE(check.mounted);
    nfsfh* fh = nullptr;
    ASSERT_EQ(nfs_open(check.nfs, "/shared", O_RDONLY, &fh), 0);
    std::vector<char> content(static_cast<size_t>(kRounds) * kClients * 64);
    ASSERT_EQ(nfs_pread(check.nfs, fh, 0, content.size(), content.data()), static_cast<int>(content.size()));
    nfs_close(check.nfs, fh);
    for (size_t slot = 0; slot < content.size() / 64; ++slot) {
        char want = static_cast<char>('A' + slot % kClients);
        ASSERT_EQ(std::string(content.data() + slot * 64, 64), std::string(64, want)) << "slot " << slot << " lost";
    }
}

}  // namespace
}  // namespace dfs::nfs3::itest
