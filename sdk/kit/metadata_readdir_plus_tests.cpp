// DittoFS store conformance kit, metadata stores: listings with attributes (store.h:
// readdir_plus, ABI 1.5). The slot is optional; these tests run through
// MetadataStoreClient::readdirPlus, so a store without it is checked against the default
// (readdir, then getattr), and a store with it must answer exactly what that default
// would: the same entries, cookies and eof as readdir, each with getattr's attributes.
#include "metadata_kit.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

namespace dfs::kit {
namespace {

// The same store without the slot: what the default answers.
MetadataStoreClient withoutSlot(const MetadataStoreClient& m) {
    dfs_metadata_store_ops_t ops = m.ops();
    ops.readdir_plus = nullptr;
    return MetadataStoreClient(&ops, m.instance());
}

void expectSameListing(const std::vector<ListedPlus>& plus, const std::vector<Listed>& plain,
                       const MetadataStoreClient& m) {
    ASSERT_EQ(plus.size(), plain.size());
    for (size_t i = 0; i < plus.size(); ++i) {
        const ListedPlus& p = plus[i];
        SCOPED_TRACE(p.entry.name);
        EXPECT_EQ(p.entry.name, plain[i].name);
        EXPECT_EQ(p.entry.ino, plain[i].ino);
        EXPECT_EQ(p.entry.cookie, plain[i].cookie);
        EXPECT_EQ(p.entry.type, plain[i].type);
        ASSERT_TRUE(p.haveAttr) << "an entry of an unchanging directory came without attributes";
        EXPECT_EQ(p.attr.ino, p.entry.ino);
        expectSameAttr(p.attr, attrOf(m, p.entry.ino), "readdirPlus against getattr");
    }
}

class ReaddirPlusTest : public MetadataStoreTest {
protected:
    // Objects of several kinds with attributes that differ from each other's.
    void fill(uint64_t dir) {
        for (int i = 0; i < 30; ++i) {
            dfs_attr_t f = mkfile(dir, "file" + std::to_string(i), 0600 + static_cast<uint32_t>(i));
            auto sa = setattrOf(DFS_SET_SIZE | DFS_SET_UID | DFS_SET_MTIME);
            sa.size = 1000u * static_cast<uint64_t>(i);
            sa.uid = 1000u + static_cast<uint32_t>(i);
            sa.mtime = at(100 + i);
            EXPECT_TRUE(meta_.setattr(f.ino, sa, at(200 + i)).ok());
        }
        EXPECT_TRUE(meta_.create(dir, "sub", args(DFS_TYPE_DIR, 0750), at(3)).ok());
        auto l = args(DFS_TYPE_LNK, 0777);
        l.symlink_target = toC("file1");
        EXPECT_TRUE(meta_.create(dir, "link", l, at(4)).ok());
        EXPECT_TRUE(meta_.create(dir, "fifo", args(DFS_TYPE_FIFO, 0640), at(5)).ok());
    }
};

TEST_F(ReaddirPlusTest, ReaddirPlusIsReaddirWithGetattr) {
    fill(root_);
    bool eof = false;
    auto plus = listPlusFrom(meta_, root_, 0, SIZE_MAX, &eof);
    EXPECT_TRUE(eof);
    expectSameListing(plus, listFrom(meta_, root_, 0), meta_);
    EXPECT_EQ(plus.size(), 33u);
}

TEST_F(ReaddirPlusTest, TheSlotAnswersWhatTheDefaultAnswers) {
    fill(root_);
    MetadataStoreClient fallback = withoutSlot(meta_);
    bool eofSlot = false;
    bool eofDefault = false;
    auto slot = listPlusFrom(meta_, root_, 0, SIZE_MAX, &eofSlot);
    auto def = listPlusFrom(fallback, root_, 0, SIZE_MAX, &eofDefault);
    EXPECT_EQ(eofSlot, eofDefault);
    ASSERT_EQ(slot.size(), def.size());
    for (size_t i = 0; i < slot.size(); ++i) {
        EXPECT_EQ(slot[i].entry.name, def[i].entry.name);
        EXPECT_EQ(slot[i].entry.cookie, def[i].entry.cookie);
        ASSERT_TRUE(slot[i].haveAttr && def[i].haveAttr);
        expectSameAttr(slot[i].attr, def[i].attr, slot[i].entry.name);
    }
}

TEST_F(ReaddirPlusTest, ReaddirPlusPagesLikeReaddir) {
    fill(root_);
    auto all = listFrom(meta_, root_, 0);
    ASSERT_EQ(all.size(), 33u);

    // Paging through the whole directory gives the whole listing, from any page size.
    for (size_t page : {1u, 7u, 32u}) {
        SCOPED_TRACE("page " + std::to_string(page));
        std::vector<ListedPlus> paged;
        uint64_t cookie = 0;
        for (;;) {
            bool end = false;
            auto part = listPlusFrom(meta_, root_, cookie, page, &end);
            ASSERT_TRUE(!part.empty() || end);
            paged.insert(paged.end(), part.begin(), part.end());
            if (end) {
                break;
            }
            cookie = part.back().entry.cookie;
        }
        expectSameListing(paged, all, meta_);
    }
}

TEST_F(ReaddirPlusTest, ReaddirPlusOfANonDirectory) {
    dfs_attr_t f = mkfile(root_, "f");
    auto any = [](const dfs_dirent_t&, const dfs_attr_t*) { return true; };
    DFS_EXPECT_CODE(meta_.readdirPlus(f.ino, 0, any), DFS_ERR_NOTDIR);
    DFS_EXPECT_CODE(meta_.readdirPlus(0x7a11ab1e5eed, 0, any), DFS_ERR_STALE);
}

TEST_F(ReaddirPlusTest, ReaddirPlusSeesTheLatestAttributes) {
    dfs_attr_t f = mkfile(root_, "f");
    auto sa = setattrOf(DFS_SET_MODE | DFS_SET_SIZE);
    sa.mode = 0640;
    sa.size = 4096;
    DFS_ASSERT_OK(meta_.setattr(f.ino, sa, at(9)));
    DFS_ASSERT_OK(meta_.link(f.ino, root_, "g", at(10)));
    auto plus = listPlusFrom(meta_, root_, 0);
    ASSERT_EQ(plus.size(), 2u);
    for (const ListedPlus& p : plus) {
        SCOPED_TRACE(p.entry.name);
        ASSERT_TRUE(p.haveAttr);
        EXPECT_EQ(p.attr.ino, f.ino) << "both names list the same object";
        EXPECT_EQ(p.attr.mode, 0640u);
        EXPECT_EQ(p.attr.size, 4096u);
        EXPECT_EQ(p.attr.nlink, 2u);
        DFS_EXPECT_TIME(p.attr.ctime, at(10));
    }
}

TEST_F(ReaddirPlusTest, LargeDirectoryListsCompletelyWithResume) {
    constexpr int kEntries = 5000;
    dfs_attr_t d = mkdir(root_, "big");
    for (int i = 0; i < kEntries; ++i) {
        auto r = meta_.create(d.ino, "entry-" + std::to_string(i), args(DFS_TYPE_REG, 0600 + (i % 64)), at(i));
        ASSERT_TRUE(r.ok()) << i << ": " << statusName(r.code());
    }
    std::vector<ListedPlus> all;
    uint64_t cookie = 0;
    for (;;) {
        bool eof = false;
        auto part = listPlusFrom(meta_, d.ino, cookie, 877, &eof);
        ASSERT_TRUE(!part.empty() || eof);
        all.insert(all.end(), part.begin(), part.end());
        if (eof) {
            break;
        }
        cookie = part.back().entry.cookie;
    }
    ASSERT_EQ(all.size(), static_cast<size_t>(kEntries));
    std::map<std::string, const ListedPlus*> byName;
    for (const ListedPlus& p : all) {
        byName[p.entry.name] = &p;
    }
    ASSERT_EQ(byName.size(), static_cast<size_t>(kEntries));
    for (int i = 0; i < kEntries; i += 499) {
        const ListedPlus* p = byName["entry-" + std::to_string(i)];
        ASSERT_NE(p, nullptr);
        ASSERT_TRUE(p->haveAttr);
        EXPECT_EQ(p->attr.mode, 0600u + static_cast<uint32_t>(i % 64));
        DFS_EXPECT_TIME(p->attr.btime, at(i));
    }
}

// Listings with attributes while other threads create, change and remove the entries:
// every listing succeeds, cookies increase, and each entry's attributes are its own
// object's (never another's), with a size some setattr really gave it.
TEST_F(ReaddirPlusTest, ConcurrentChangesNeverMixUpAttributes) {
    dfs_attr_t d = mkdir(root_, "busy");
    constexpr int kFiles = 200;
    for (int i = 0; i < kFiles; ++i) {
        mkfile(d.ino, "f" + std::to_string(i));
    }
    std::atomic<bool> done{false};
    std::atomic<int> problems{0};
    std::string firstProblem;
    std::mutex mu;
    auto problem = [&](const std::string& what) {
        std::lock_guard lock(mu);
        if (problems++ == 0) {
            firstProblem = what;
        }
    };
    auto writer = [&](int t) {
        for (int round = 0; round < 20; ++round) {
            for (int i = t; i < kFiles; i += 2) {
                std::string n = "f" + std::to_string(i);
                if (round % 5 == 4) {
                    if (!meta_.remove(d.ino, n, DFS_REMOVE_NONDIR, now()).ok() ||
                        !meta_.create(d.ino, n, args(DFS_TYPE_REG), now()).ok()) {
                        problem("remove/create " + n);
                    }
                    continue;
                }
                auto ino = meta_.lookup(d.ino, n);
                if (!ino.ok()) {
                    problem("lookup " + n);
                    continue;
                }
                // The size encodes the inode number, so a reader can tell whose it is.
                auto sa = setattrOf(DFS_SET_SIZE);
                sa.size = ino->ino * 1000 + static_cast<uint64_t>(round);
                if (!meta_.setattr(ino->ino, sa, now()).ok()) {
                    problem("setattr " + n);
                }
            }
        }
    };
    auto reader = [&] {
        while (!done.load()) {
            uint64_t cookie = 0;
            for (;;) {
                uint64_t last = cookie;
                size_t taken = 0;
                auto r = meta_.readdirPlus(d.ino, cookie, [&](const dfs_dirent_t& e, const dfs_attr_t* a) {
                    if (taken == 64) {
                        return false;
                    }
                    if (e.cookie <= last) {
                        problem("cookie did not increase");
                    }
                    if (a != nullptr && (a->ino != e.ino || (a->size != 0 && a->size / 1000 != e.ino))) {
                        problem("entry " + std::string(toView(e.name)) + " came with another object's attributes");
                    }
                    last = e.cookie;
                    ++taken;
                    return true;
                });
                if (!r.ok()) {
                    problem(std::string("readdirPlus: ") + statusName(r.code()));
                    return;
                }
                if (*r || taken == 0) {
                    break;
                }
                cookie = last;
            }
            // Room for the writers between listings: a store whose lock favours readers
            // (mem's shared_mutex) would otherwise starve them.
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    };
    std::vector<std::thread> readers;
    for (int i = 0; i < 4; ++i) {
        readers.emplace_back(reader);
    }
    std::thread w0(writer, 0);
    std::thread w1(writer, 1);
    w0.join();
    w1.join();
    done = true;
    for (auto& r : readers) {
        r.join();
    }
    EXPECT_EQ(problems.load(), 0) << firstProblem;
    EXPECT_EQ(listPlusFrom(meta_, d.ino, 0).size(), static_cast<size_t>(kFiles));
}

}  // namespace
}  // namespace dfs::kit
