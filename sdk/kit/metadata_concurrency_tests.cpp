// DittoFS store conformance kit, metadata stores: calls from many threads at once (store.h:
// "Each call is atomic ... Slots may be called from many threads at once"). The kernel's
// worker pool calls a share's store from every worker; afterwards the namespace must be
// exactly what the calls' results say.
#include "metadata_kit.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

namespace dfs::kit {
namespace {

constexpr int kThreads = 8;
constexpr int kFilesPerThread = 200;

// Failures seen on worker threads, reported from the test thread.
class Problems {
public:
    void add(std::string what) {
        std::lock_guard lock(mu_);
        if (list_.size() < 20) {
            list_.push_back(std::move(what));
        }
        count_++;
    }
    void check(dfs_status_t got, const std::string& what) {
        if (got != DFS_OK) {
            add(what + ": " + statusName(got));
        }
    }
    void report() const {
        for (const auto& p : list_) {
            ADD_FAILURE() << p;
        }
        EXPECT_EQ(count_, 0u) << "failures on worker threads";
    }

private:
    std::mutex mu_;
    std::vector<std::string> list_;
    size_t count_ = 0;
};

// Releases every thread at once, so the calls really overlap instead of running one
// thread after another while the next is still starting.
class StartGate {
public:
    explicit StartGate(int n) : waiting_(n) {}
    void arriveAndWait() {
        waiting_.fetch_sub(1);
        while (waiting_.load() > 0) {
            std::this_thread::yield();
        }
    }

private:
    std::atomic<int> waiting_;
};

std::vector<std::string> sortedNames(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

TEST_F(MetadataStoreTest, ManyThreadsCreateRenameAndRemove) {
    dfs_attr_t shared = mkdir(root_, "shared");
    std::vector<uint64_t> own(kThreads);
    for (int t = 0; t < kThreads; ++t) {
        own[t] = mkdir(root_, "own" + std::to_string(t)).ino;
    }
    Problems problems;
    std::vector<std::vector<std::string>> wantOwn(kThreads);
    std::vector<std::vector<std::string>> wantShared(kThreads);
    std::vector<int> subdirsOwn(kThreads, 0);
    std::vector<int> subdirsShared(kThreads, 0);
    std::atomic<bool> done{false};

    StartGate gate(kThreads);
    auto worker = [&](int t) {
        gate.arriveAndWait();
        const std::string p = "t" + std::to_string(t) + "-";
        const uint64_t mine = own[t];
        for (int j = 0; j < kFilesPerThread; ++j) {
            const std::string n = std::to_string(j);
            auto c = meta_.create(mine, "f" + n, args(DFS_TYPE_REG), now());
            problems.check(c.code(), "create f" + n);
            switch (j % 5) {
            case 0:  // moved to the shared directory
                problems.check(meta_.rename(mine, "f" + n, shared.ino, p + "f" + n, now()).code(),
                               "rename to shared");
                wantShared[t].push_back(p + "f" + n);
                break;
            case 1: {  // created in the shared directory, moved home
                problems.check(meta_.create(shared.ino, p + "s" + n, args(DFS_TYPE_REG), now()).code(),
                               "create in shared");
                problems.check(meta_.rename(shared.ino, p + "s" + n, mine, "s" + n, now()).code(),
                               "rename from shared");
                wantOwn[t].push_back("f" + n);
                wantOwn[t].push_back("s" + n);
                break;
            }
            case 2:  // removed again
                problems.check(meta_.remove(mine, "f" + n, DFS_REMOVE_NONDIR, now()).code(), "remove");
                break;
            case 3: {  // a directory moved to the shared directory, every other one removed there
                problems.check(meta_.create(mine, "d" + n, args(DFS_TYPE_DIR), now()).code(), "mkdir");
                problems.check(meta_.rename(mine, "d" + n, shared.ino, p + "d" + n, now()).code(),
                               "rename dir to shared");
                wantOwn[t].push_back("f" + n);
                if (j % 2 == 0) {
                    problems.check(meta_.remove(shared.ino, p + "d" + n, DFS_REMOVE_DIR, now()).code(),
                                   "rmdir in shared");
                } else {
                    wantShared[t].push_back(p + "d" + n);
                    subdirsShared[t]++;
                }
                break;
            }
            default:  // replaced by a rename over it
                problems.check(meta_.create(mine, "r" + n, args(DFS_TYPE_REG), now()).code(), "create r");
                problems.check(meta_.rename(mine, "r" + n, mine, "f" + n, now()).code(), "rename over");
                wantOwn[t].push_back("f" + n);
                break;
            }
        }
    };
    // A reader pages through the shared directory the whole time: every page must succeed
    // and no listing may repeat a name.
    auto reader = [&] {
        while (!done.load()) {
            std::set<std::string> names;
            uint64_t cookie = 0;
            for (;;) {
                std::vector<std::string> page;
                uint64_t last = cookie;
                auto r = meta_.readdir(shared.ino, cookie, [&](const dfs_dirent_t& e) {
                    if (page.size() >= 50) {
                        return false;
                    }
                    if (e.cookie <= last) {
                        problems.add("readdir cookie did not increase");
                    }
                    last = e.cookie;
                    page.emplace_back(toView(e.name));
                    return true;
                });
                if (!r.ok()) {
                    problems.add(std::string("readdir: ") + statusName(r.code()));
                    return;
                }
                for (auto& n : page) {
                    if (!names.insert(n).second) {
                        problems.add("readdir repeated " + n);
                    }
                }
                if (*r || page.empty()) {
                    break;
                }
                cookie = last;
            }
        }
    };
    std::vector<std::thread> threads;
    std::thread readerThread(reader);
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back(worker, t);
    }
    for (auto& th : threads) {
        th.join();
    }
    done = true;
    readerThread.join();
    problems.report();

    std::vector<std::string> allShared;
    int sharedSubdirs = 0;
    for (int t = 0; t < kThreads; ++t) {
        SCOPED_TRACE("thread " + std::to_string(t));
        EXPECT_EQ(sortedNames(list(own[t])), sortedNames(wantOwn[t]));
        EXPECT_EQ(attrOf(meta_, own[t]).nlink, 2u) << "every subdirectory moved out";
        allShared.insert(allShared.end(), wantShared[t].begin(), wantShared[t].end());
        sharedSubdirs += subdirsShared[t];
    }
    auto listed = listPaged(meta_, shared.ino, 100);
    std::vector<std::string> sharedNames;
    for (const Listed& e : listed) {
        sharedNames.push_back(e.name);
        dfs_attr_t a = attrOf(meta_, e.ino);
        EXPECT_EQ(a.type, e.type) << e.name;
        EXPECT_EQ(a.nlink, e.type == DFS_TYPE_DIR ? 2u : 1u) << e.name;
        if (e.type == DFS_TYPE_DIR) {
            EXPECT_EQ(inoOf(meta_, e.ino, ".."), shared.ino) << e.name;
        }
    }
    EXPECT_EQ(sortedNames(sharedNames), sortedNames(allShared));
    EXPECT_EQ(attrOf(meta_, shared.ino).nlink, 2u + static_cast<uint32_t>(sharedSubdirs));
    EXPECT_EQ(attrOf(meta_, root_).nlink, 2u + 1u + kThreads);
}

TEST_F(MetadataStoreTest, ConcurrentGuardedCreatesOfOneNameHaveOneWinner) {
    constexpr int kNames = 400;
    dfs_attr_t d = mkdir(root_, "race");
    std::vector<std::atomic<int>> wins(kNames);
    std::vector<std::atomic<uint64_t>> winner(kNames);
    Problems problems;
    StartGate gate(kThreads);
    auto worker = [&](int t) {
        gate.arriveAndWait();
        for (int i = 0; i < kNames; ++i) {
            int n = (i + (t % 2) * 7) % kNames;  // half the threads a little ahead
            auto r = meta_.create(d.ino, "n" + std::to_string(n), args(n % 2 == 0 ? DFS_TYPE_REG : DFS_TYPE_DIR),
                                  now());
            if (r.ok()) {
                wins[n]++;
                winner[n] = r->attr.ino;
            } else if (r.code() != DFS_ERR_EXIST) {
                problems.add(std::string("create: ") + statusName(r.code()));
            }
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back(worker, t);
    }
    for (auto& th : threads) {
        th.join();
    }
    problems.report();
    for (int n = 0; n < kNames; ++n) {
        EXPECT_EQ(wins[n].load(), 1) << "n" << n;
        EXPECT_EQ(inoOf(meta_, d.ino, "n" + std::to_string(n)), winner[n].load());
    }
    EXPECT_EQ(list(d.ino).size(), static_cast<size_t>(kNames));
    EXPECT_EQ(attrOf(meta_, d.ino).nlink, 2u + kNames / 2);
}

// Two threads move two directories into each other: one move of each crossing pair must
// fail with INVAL, never both succeed (that would detach a loop from the tree).
TEST_F(MetadataStoreTest, CrossingDirectoryRenamesNeverMakeALoop) {
    dfs_attr_t a = mkdir(root_, "a");
    dfs_attr_t b = mkdir(root_, "b");
    Problems problems;
    StartGate gate(2);
    auto mover = [&](const std::string& name, uint64_t into) {
        gate.arriveAndWait();
        for (int i = 0; i < 300; ++i) {
            auto r = meta_.rename(root_, name, into, name, now());
            if (r.code() == DFS_ERR_INVAL) {
                continue;
            }
            problems.check(r.code(), "move " + name + " in");
            problems.check(meta_.rename(into, name, root_, name, now()).code(), "move " + name + " back");
        }
    };
    std::thread t1(mover, "a", b.ino);
    std::thread t2(mover, "b", a.ino);
    t1.join();
    t2.join();
    problems.report();
    EXPECT_EQ(sortedNames(list(root_)), (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(list(a.ino).empty());
    EXPECT_TRUE(list(b.ino).empty());
    EXPECT_EQ(inoOf(meta_, a.ino, ".."), root_);
    EXPECT_EQ(inoOf(meta_, b.ino, ".."), root_);
    EXPECT_EQ(attrOf(meta_, root_).nlink, 4u);
    EXPECT_EQ(attrOf(meta_, a.ino).nlink, 2u);
    EXPECT_EQ(attrOf(meta_, b.ino).nlink, 2u);
}

}  // namespace
}  // namespace dfs::kit
