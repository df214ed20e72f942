// The VFS's attribute cache (kernel/src/meta_cache.hpp) over a scripted metadata store:
// store calls of several threads interleaved at chosen points, and a store that fails,
// to check what the cache may answer afterwards.
#include "src/meta_cache.hpp"

#include <dittofs/cpp/views.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace dfs::kernel {
namespace {

// One regular file (ino 7) whose attributes the test changes through the cache. Hooks
// run inside the store's calls, where a real store would be between reading and
// answering.
struct ScriptedStore {
    std::mutex mu;
    dfs_attr_t file = [] {
        auto a = makeStruct<dfs_attr_t>();
        a.type = DFS_TYPE_REG;
        a.ino = 7;
        a.mode = 0644;
        a.nlink = 1;
        a.change = 1;
        return a;
    }();
    dfs_err_t failGrow = dfs_err_t{DFS_OK, 0};  // answer for setattrs that grow the size
    std::function<void()> beforeSetattr;        // before the change is applied
    std::function<void()> afterGetattrRead;     // after the attributes were read
    // Directory 1 lists ino 7 (the file), 9 and 10, with cookies 1, 2, 3; the other two
    // objects' sizes are 900 and 1000.
    int readdirCalls = 0;
    std::vector<uint64_t> readdirPlusFrom;  // the cookie of each readdir_plus call

    static dfs_attr_t other(uint64_t ino) {
        auto a = makeStruct<dfs_attr_t>();
        a.type = DFS_TYPE_REG;
        a.ino = ino;
        a.nlink = 1;
        a.change = 1;
        a.size = ino * 100;
        return a;
    }
    // Lists from `cookie` until the sink refuses; `attr` gives each entry's attributes.
    template <typename Deliver>
    static int32_t list(uint64_t cookie, Deliver&& deliver) {
        static const char* names[] = {"f", "g", "h"};
        const uint64_t inos[] = {7, 9, 10};
        for (uint64_t c = cookie; c < 3; ++c) {
            auto e = makeStruct<dfs_dirent_t>();
            e.type = DFS_TYPE_REG;
            e.ino = inos[c];
            e.cookie = c + 1;
            e.name = dfs_str_t{names[c], 1};
            if (!deliver(e)) {
                return 0;
            }
        }
        return 1;
    }

    static ScriptedStore& of(void* inst) { return *static_cast<ScriptedStore*>(inst); }

    static dfs_metadata_store_ops_t ops() {
        auto o = makeStruct<dfs_metadata_store_ops_t>();
        o.getattr = [](void* inst, uint64_t ino, dfs_attr_t* out) -> dfs_err_t {
            ScriptedStore& s = of(inst);
            if (ino != 7) {
                return dfs_err_t{DFS_ERR_STALE, 0};
            }
            dfs_attr_t a;
            {
                std::lock_guard<std::mutex> g(s.mu);
                a = s.file;
            }
            if (auto hook = std::exchange(s.afterGetattrRead, nullptr)) {
                hook();
            }
            *out = a;
            return dfs_err_t{DFS_OK, 0};
        };
        o.setattr = [](void* inst, uint64_t, const dfs_setattr_t* sa, dfs_time_t, dfs_attr_t* out) -> dfs_err_t {
            ScriptedStore& s = of(inst);
            if (auto hook = std::exchange(s.beforeSetattr, nullptr)) {
                hook();
            }
            std::lock_guard<std::mutex> g(s.mu);
            if (s.failGrow.code != DFS_OK && (sa->mask & DFS_SET_SIZE_GROW) != 0) {
                return s.failGrow;
            }
            if ((sa->mask & DFS_SET_MODE) != 0) {
                s.file.mode = sa->mode;
            }
            if ((sa->mask & DFS_SET_SIZE) != 0) {
                s.file.size = sa->size;
            }
            if ((sa->mask & DFS_SET_SIZE_GROW) != 0) {
                s.file.size = std::max(s.file.size, sa->size);
            }
            ++s.file.change;
            *out = s.file;
            return dfs_err_t{DFS_OK, 0};
        };
        o.lookup = [](void* inst, uint64_t, dfs_str_t, dfs_attr_t* out) -> dfs_err_t {
            ScriptedStore& s = of(inst);
            std::lock_guard<std::mutex> g(s.mu);
            *out = s.file;
            return dfs_err_t{DFS_OK, 0};
        };
        o.readdir = [](void* inst, uint64_t, uint64_t cookie, dfs_dirent_sink_fn sink, void* ctx,
                       int32_t* eof) -> dfs_err_t {
            ++of(inst).readdirCalls;
            *eof = list(cookie, [&](const dfs_dirent_t& e) { return sink(ctx, &e) == 0; });
            return dfs_err_t{DFS_OK, 0};
        };
        o.readdir_plus = [](void* inst, uint64_t, uint64_t cookie, dfs_dirent_plus_sink_fn sink, void* ctx,
                            int32_t* eof) -> dfs_err_t {
            ScriptedStore& s = of(inst);
            s.readdirPlusFrom.push_back(cookie);
            *eof = list(cookie, [&](const dfs_dirent_t& e) {
                dfs_attr_t a = other(e.ino);
                if (e.ino == 7) {
                    std::lock_guard<std::mutex> g(s.mu);
                    a = s.file;
                }
                return sink(ctx, &e, &a) == 0;
            });
            return dfs_err_t{DFS_OK, 0};
        };
        o.setxattr = [](void* inst, uint64_t, dfs_str_t, dfs_bytes_t, uint32_t, dfs_time_t) -> dfs_err_t {
            ScriptedStore& s = of(inst);
            std::lock_guard<std::mutex> g(s.mu);
            ++s.file.change;
            return dfs_err_t{DFS_OK, 0};
        };
        return o;
    }
};

class MetaCacheTest : public ::testing::Test {
protected:
    void SetUp() override { cache_.attach(MetadataStoreClient(&ops_, &store_)); }

    dfs_attr_t cached() {
        auto a = cache_.getattr(7);
        EXPECT_TRUE(a.ok());
        return a.ok() ? *a : dfs_attr_t{};
    }
    static dfs_setattr_t modeTo(uint32_t mode) {
        auto sa = makeStruct<dfs_setattr_t>();
        sa.mask = DFS_SET_MODE;
        sa.mode = mode;
        return sa;
    }
    static dfs_setattr_t sizeTo(uint64_t size) {
        auto sa = makeStruct<dfs_setattr_t>();
        sa.mask = DFS_SET_SIZE;
        sa.size = size;
        return sa;
    }

    ScriptedStore store_;
    dfs_metadata_store_ops_t ops_ = ScriptedStore::ops();
    CachedMetadata cache_;
};

// A setattr began; meanwhile another change (an xattr) marked the file stale and a
// GETATTR began reading the store before the setattr committed, and finishes after the
// setattr's answer: the GETATTR's older attributes must not become the cached ones.
TEST_F(MetaCacheTest, AReadBegunBeforeAnAcknowledgedChangeIsNotCachedAfterIt) {
    EXPECT_EQ(cached().mode, 0644u);
    std::mutex m;
    std::condition_variable cv;
    bool readDone = false;
    bool release = false;
    std::thread reader;
    store_.beforeSetattr = [&] {
        ASSERT_TRUE(cache_.setxattr(7, "user.x", "1", 0, dfs_time_t{}).ok());
        store_.afterGetattrRead = [&] {
            std::unique_lock<std::mutex> l(m);
            readDone = true;
            cv.notify_all();
            cv.wait(l, [&] { return release; });
        };
        reader = std::thread([&] { (void)cache_.getattr(7); });
        std::unique_lock<std::mutex> l(m);
        if (!cv.wait_for(l, std::chrono::seconds(10), [&] { return readDone; })) {
            ADD_FAILURE() << "the getattr never went to the store";
        }
    };
    auto a = cache_.setattr(7, modeTo(0600), dfs_time_t{});
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->mode, 0600u);
    {
        std::lock_guard<std::mutex> l(m);
        release = true;
    }
    cv.notify_all();
    reader.join();
    EXPECT_EQ(cached().mode, 0600u) << "the acknowledged setattr was lost to an older read";
}

// An UNSTABLE size the store refuses to take stays pending and visible, and a setattr of
// the file fails rather than run ahead of it (a truncate would otherwise be undone by the
// pending grow at the next COMMIT).
TEST_F(MetaCacheTest, APendingSizeTheStoreRefusesStaysAndHoldsBackSetattr) {
    EXPECT_EQ(cached().size, 0u);
    dfs_attr_t after{};
    ASSERT_TRUE(cache_.noteWrite(7, 4096, dfs_time_t{100, 0, 0}, &after));
    EXPECT_EQ(after.size, 4096u);
    store_.failGrow = dfs_err_t{DFS_ERR_IO, 5};
    EXPECT_EQ(cache_.sync().code(), DFS_ERR_IO);
    EXPECT_EQ(cached().size, 4096u) << "still pending, still seen";
    const dfs_setattr_t truncate = sizeTo(0);
    EXPECT_EQ(cache_.setattr(7, truncate, dfs_time_t{}).code(), DFS_ERR_IO);
    store_.failGrow = dfs_err_t{DFS_OK, 0};
    ASSERT_TRUE(cache_.setattr(7, truncate, dfs_time_t{}).ok());
    ASSERT_TRUE(cache_.sync().ok());
    EXPECT_EQ(store_.file.size, 0u) << "the truncate came after the pending size";
    EXPECT_EQ(cached().size, 0u);
}

// While a flush writes a pending size, a lookup (which reads the store, which has not got
// it yet) still carries it.
TEST_F(MetaCacheTest, AFlushInProgressKeepsThePendingSizeVisible) {
    EXPECT_EQ(cached().size, 0u);
    ASSERT_TRUE(cache_.noteWrite(7, 8192, dfs_time_t{100, 0, 0}, nullptr));
    uint64_t seenDuringFlush = 0;
    store_.beforeSetattr = [&] {
        auto a = cache_.lookup(1, "f");
        ASSERT_TRUE(a.ok());
        seenDuringFlush = a->size;
    };
    ASSERT_TRUE(cache_.sync().ok());
    EXPECT_EQ(seenDuringFlush, 8192u);
    EXPECT_EQ(cached().size, 8192u);
}

// A listing with attributes takes those the cache holds (the file's pending size, which
// the store has not got) and, from the first object it lacks, asks the store's
// readdir_plus for the rest, whose attributes it then keeps: the next listing needs the
// store's plain listing only. Every entry comes once, in order.
TEST_F(MetaCacheTest, AListingTakesTheCachedAttributesAndTheStoresForTheRest) {
    EXPECT_EQ(cached().size, 0u);
    ASSERT_TRUE(cache_.noteWrite(7, 4096, dfs_time_t{100, 0, 0}, nullptr));
    auto listAll = [&] {
        std::vector<std::pair<uint64_t, uint64_t>> seen;  // ino, size
        auto eof = cache_.readdirPlus(1, 0, [&](const dfs_dirent_t& e, const dfs_attr_t* a) {
            EXPECT_NE(a, nullptr);
            EXPECT_EQ(a != nullptr ? a->ino : 0, e.ino);
            seen.emplace_back(e.ino, a != nullptr ? a->size : 0);
            return true;
        });
        EXPECT_TRUE(eof.ok() && *eof);
        return seen;
    };
    const std::vector<std::pair<uint64_t, uint64_t>> want = {{7, 4096}, {9, 900}, {10, 1000}};
    EXPECT_EQ(listAll(), want);
    EXPECT_EQ(store_.readdirPlusFrom, std::vector<uint64_t>{1}) << "from the entry after the cached file";
    EXPECT_EQ(listAll(), want);
    EXPECT_EQ(store_.readdirPlusFrom.size(), 1u) << "every object cached: names only";
    EXPECT_EQ(store_.readdirCalls, 2);
    // The file marked stale (an xattr moved its ctime): the whole listing from the store,
    // the pending size still merged in.
    ASSERT_TRUE(cache_.setxattr(7, "user.x", "1", 0, dfs_time_t{}).ok());
    EXPECT_EQ(listAll(), want);
    EXPECT_EQ(store_.readdirPlusFrom, (std::vector<uint64_t>{1, 0}));
    // A reply that fills up stops the listing where the sink refused.
    int taken = 0;
    auto eof = cache_.readdirPlus(1, 1, [&](const dfs_dirent_t& e, const dfs_attr_t*) {
        EXPECT_EQ(e.ino, 9u);
        return ++taken < 1;
    });
    ASSERT_TRUE(eof.ok());
    EXPECT_FALSE(*eof);
    EXPECT_EQ(store_.readdirPlusFrom.size(), 2u) << "every object cached again: names only";
}

}  // namespace
}  // namespace dfs::kernel
