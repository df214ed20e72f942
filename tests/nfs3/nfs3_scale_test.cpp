// NFSv3 at scale against a real dittofsd through libnfs: a 64 MiB file through the
// high-level API with matching checksums (64 MiB on the mem stores, and 1 GiB on the
// default sqlite + localfs ones, whose READ data is sent from mappings of the files,
// with reads of every shape and reads racing truncations), a 10,000-entry
// directory listed completely with READDIR and READDIRPLUS, and 16 clients creating,
// writing, renaming and removing concurrently with no error and no lost update.
#include "nfs3_fixture.hpp"

#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
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

// Nfs3OnDefaultStores: localfs lends READ data from mappings of its files (ABI 1.7
// lend), which the kernel sends without copying it.
TEST_F(Nfs3OnDefaultStores, OneGiBFileReadsBackIdentically) { bigFile(server_, uint64_t{1} << 30); }

// Byte o of the files below: never 0, so a zero read where data should be shows.
uint8_t patternAt(uint64_t o) { return static_cast<uint8_t>(o % 251 + 1); }

std::vector<uint8_t> pattern(uint64_t from, size_t n) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) {
        v[i] = patternAt(from + i);
    }
    return v;
}

// What a pread of `count` at `off` returns, as bytes (empty on error, with the error).
std::vector<uint8_t> readAt(nfs_context* nfs, nfsfh* fh, uint64_t off, size_t count, int* got = nullptr) {
    std::vector<uint8_t> buf(count);
    int n = nfs_pread(nfs, fh, off, count, buf.data());
    if (got != nullptr) {
        *got = n;
    }
    buf.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return buf;
}

// True if the server has a file of its block store mapped: READ data was lent.
bool mapsABlockFile(int pid) {
    std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
    std::string line;
    while (std::getline(maps, line)) {
        if (line.find("/data/blocks/") != std::string::npos) {
            return true;
        }
    }
    return false;
}

TEST_F(Nfs3OnDefaultStores, ReadsOfEveryShapeReturnWhatWasWritten) {
    Client c(server_.url("/export", kUid));
    ASSERT_TRUE(c.mounted) << c.error;
    nfsfh* fh = nullptr;
    ASSERT_EQ(nfs_creat(c.nfs, "/shapes", 0644, &fh), 0) << nfs_get_error(c.nfs);
    const uint64_t size = (uint64_t{3} << 20) + 5;
    auto all = pattern(0, size);
    for (uint64_t off = 0; off < size; off += 1 << 20) {
        const auto n = static_cast<uint32_t>(std::min<uint64_t>(1 << 20, size - off));
        ASSERT_EQ(nfs_pwrite(c.nfs, fh, off, n, all.data() + off), static_cast<int>(n)) << nfs_get_error(c.nfs);
    }
    // Counts above and below the lending threshold, odd ones (XDR padding), reads across
    // MiB boundaries and through the end of the file.
    for (size_t count : {size_t{1} << 20, size_t{65537}, size_t{40000}, size_t{32768}, size_t{4097}, size_t{3}}) {
        for (uint64_t off : {uint64_t{0}, uint64_t{1}, (uint64_t{1} << 20) - 7, size - 100, size - 1}) {
            int got = 0;
            auto bytes = readAt(c.nfs, fh, off, count, &got);
            const size_t want = static_cast<size_t>(std::min<uint64_t>(count, size - off));
            ASSERT_EQ(got, static_cast<int>(want)) << "count " << count << " at " << off << ": " << nfs_get_error(c.nfs);
            EXPECT_TRUE(bytes == pattern(off, want)) << "count " << count << " at " << off;
        }
    }
    EXPECT_TRUE(mapsABlockFile(server_.pid())) << "the large reads were sent from a mapping of the file";
    EXPECT_TRUE(readAt(c.nfs, fh, size, 1 << 20).empty()) << "at the end";
    EXPECT_TRUE(readAt(c.nfs, fh, size + 12345, 1 << 20).empty()) << "past the end";

    // Cut short after it was read (and mapped): reads end at the new size; grown again
    // past a hole: the hole reads as zeros, the new bytes as written.
    ASSERT_EQ(nfs_ftruncate(c.nfs, fh, (1 << 20) + 7), 0) << nfs_get_error(c.nfs);
    EXPECT_TRUE(readAt(c.nfs, fh, 0, 2 << 20) == pattern(0, (1 << 20) + 7));
    EXPECT_TRUE(readAt(c.nfs, fh, (1 << 20) + 7, 1 << 20).empty());
    auto tail = pattern(5 << 20, 1000);
    ASSERT_EQ(nfs_pwrite(c.nfs, fh, 5 << 20, tail.size(), tail.data()), 1000);
    auto grown = readAt(c.nfs, fh, 1 << 20, 5 << 20);
    ASSERT_EQ(grown.size(), (4u << 20) + 1000);
    EXPECT_TRUE(std::equal(grown.begin(), grown.begin() + 7, pattern(1 << 20, 7).begin()));
    EXPECT_TRUE(std::all_of(grown.begin() + 7, grown.begin() + (4 << 20), [](uint8_t b) { return b == 0; }));
    EXPECT_TRUE(std::equal(grown.begin() + (4 << 20), grown.end(), tail.begin()));

    // Across the 64 MiB boundary of localfs's mappings: not lent (the store lends within
    // one window), read the usual way.
    const uint64_t edge = uint64_t{64} << 20;
    auto across = pattern(edge - 300, 600);
    ASSERT_EQ(nfs_pwrite(c.nfs, fh, edge - 300, across.size(), across.data()), 600);
    auto back = readAt(c.nfs, fh, edge - (512 << 10), 1 << 20);
    ASSERT_EQ(back.size(), (512u << 10) + 300);
    EXPECT_TRUE(std::all_of(back.begin(), back.end() - 600, [](uint8_t b) { return b == 0; }));
    EXPECT_TRUE(std::equal(back.end() - 600, back.end(), across.begin()));
    nfs_close(c.nfs, fh);

    // A file removed and another written under a new name: each reads its own bytes.
    ASSERT_EQ(nfs_unlink(c.nfs, "/shapes"), 0);
    ASSERT_EQ(nfs_creat(c.nfs, "/other", 0644, &fh), 0);
    auto other = pattern(7, 200000);
    ASSERT_EQ(nfs_pwrite(c.nfs, fh, 0, other.size(), other.data()), 200000);
    EXPECT_TRUE(readAt(c.nfs, fh, 0, 1 << 20) == other);
    nfs_close(c.nfs, fh);
}

// Reads racing truncations of the same file: the data a read sends may be cut off while
// it is being sent (the send from the mapping faults). Every reply still arrives whole
// (libnfs would fail on a broken record), each byte is either what was written there or
// a zero, and the server goes on serving.
TEST_F(Nfs3OnDefaultStores, ReadsRacingTruncationsStayWellFormed) {
    Client writer(server_.url("/export", kUid));
    Client reader(server_.url("/export", kUid));
    ASSERT_TRUE(writer.mounted && reader.mounted) << writer.error << reader.error;
    nfsfh* wf = nullptr;
    ASSERT_EQ(nfs_creat(writer.nfs, "/racy", 0644, &wf), 0);
    nfsfh* rf = nullptr;
    ASSERT_EQ(nfs_open(reader.nfs, "/racy", O_RDONLY, &rf), 0);  // before the writer's thread starts
    const size_t kSize = 4 << 20;
    auto bytes = pattern(0, kSize);
    std::atomic<bool> stop{false};
    std::atomic<int> writeErrors{0};
    std::thread w([&] {
        while (!stop.load()) {
            for (uint64_t off = 0; off < kSize; off += 1 << 20) {
                if (nfs_pwrite(writer.nfs, wf, off, 1 << 20, bytes.data() + off) != (1 << 20)) {
                    ++writeErrors;
                }
            }
            if (nfs_ftruncate(writer.nfs, wf, 0) != 0) {
                ++writeErrors;
            }
        }
    });
    int reads = 0;
    int errors = 0;
    uint64_t wrong = 0;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    while (std::chrono::steady_clock::now() < until) {
        for (uint64_t off = 0; off < kSize; off += 1 << 20) {
            int got = 0;
            auto b = readAt(reader.nfs, rf, off, 1 << 20, &got);
            ++reads;
            if (got < 0) {
                ++errors;
                continue;
            }
            for (size_t i = 0; i < b.size(); ++i) {
                wrong += b[i] != 0 && b[i] != patternAt(off + i) ? 1 : 0;
            }
        }
    }
    stop = true;
    w.join();
    EXPECT_EQ(errors, 0) << nfs_get_error(reader.nfs);
    EXPECT_EQ(wrong, 0u) << "bytes neither written there nor zero";
    EXPECT_EQ(writeErrors.load(), 0) << nfs_get_error(writer.nfs);
    EXPECT_GT(reads, 20);
    nfs_close(reader.nfs, rf);
    nfs_close(writer.nfs, wf);
    nfs_stat_64 st{};
    EXPECT_EQ(nfs_stat64(reader.nfs, "/racy", &st), 0) << "the server still answers";
}

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
