// Store conformance kit: block stores, durability and capacity (stable writes, flush,
// close/reopen, statfs).
//
// A crash cannot be simulated in-process, so durability is checked as far as the kit
// can: stable writes and flush succeed, and everything acknowledged is there after the
// instance is destroyed and created again on the same directory (skipped for volatile
// stores, which keep nothing by design).
#include "kit.hpp"

#include <string>

namespace dfs::kit {
namespace {

constexpr uint64_t kGiB = 1ull << 30;



}  // namespace

TEST_F(BlockStoreTest, StableWritesReadBack) {
    writeStr(1, 0, "data-sync", DFS_DATA_SYNC);
    writeStr(2, 0, "file-sync", DFS_FILE_SYNC);
    writeStr(1, 9, "+more", DFS_FILE_SYNC);
    EXPECT_EQ(readAll(1, 0, 100), "data-sync+more");
    EXPECT_EQ(readAll(2, 0, 100), "file-sync");
}

TEST_F(BlockStoreTest, FlushAfterUnstableWrites) {
    std::string data = pattern(200000, 41);
    writeStr(1, 0, data, DFS_UNSTABLE);
    DFS_ASSERT_OK(blocks_.flush(1));
    DFS_ASSERT_OK(blocks_.flush(1));  // twice is fine
    DFS_ASSERT_OK(blocks_.flush(77));  // an absent object is not an error
    EXPECT_EQ(readAll(1, 0, data.size()), data);
    auto sz = blocks_.size(77);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 0u) << "flush must not create an object";
}

TEST_F(BlockStoreTest, StableWriteSurvivesReopen) {
    if (isVolatile()) {
        GTEST_SKIP() << "volatile store";
    }
    writeStr(1, 0, "durable", DFS_FILE_SYNC);
    writeStr(2, 0, "also durable", DFS_DATA_SYNC);
    reopen();
    ASSERT_FALSE(HasFatalFailure());
    EXPECT_EQ(readAll(1, 0, 100), "durable");
    EXPECT_EQ(readAll(2, 0, 100), "also durable");
}

TEST_F(BlockStoreTest, EverythingSurvivesReopen) {
    if (isVolatile()) {
        GTEST_SKIP() << "volatile store";
    }
    std::string big = pattern(3 * 1024 * 1024 + 5, 42);
    writeStr(1, 0, big);
    writeStr(2, 5 * kGiB, "far");
    writeStr(3, 0, pattern(100000, 43));
    DFS_ASSERT_OK(blocks_.truncate(3, 1000));
    DFS_ASSERT_OK(blocks_.truncate(3, 50000));
    writeStr(4, 0, pattern(300000, 44));
    DFS_ASSERT_OK(blocks_.punchHole(4, 100000, 100000));
    writeStr(5, 0, "removed");
    DFS_ASSERT_OK(blocks_.remove(5));
    DFS_ASSERT_OK(blocks_.allocate(6, 0, 12345));
    for (uint64_t obj : {1, 2, 3, 4, 6}) {
        DFS_ASSERT_OK(blocks_.flush(obj));
    }

    reopen();
    ASSERT_FALSE(HasFatalFailure());

    EXPECT_TRUE(readAll(1, 0, big.size() + 10) == big) << "object 1 changed across reopen";
    auto sz = blocks_.size(2);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 5 * kGiB + 3);
    EXPECT_EQ(readAll(2, 5 * kGiB - 2, 10), std::string("\0\0far", 5));
    std::string three = readAll(3, 0, 100000);
    ASSERT_EQ(three.size(), 50000u) << "a truncate was lost";
    EXPECT_EQ(three.substr(0, 1000), pattern(100000, 43).substr(0, 1000));
    EXPECT_TRUE(isZeros(std::string_view(three).substr(1000)));
    std::string four = readAll(4, 0, 300000);
    std::string want4 = pattern(300000, 44);
    want4.replace(100000, 100000, std::string(100000, '\0'));
    EXPECT_TRUE(four == want4) << "a punched hole was lost";
    EXPECT_EQ(readAll(5, 0, 100), "") << "a removed object came back";
    sz = blocks_.size(6);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 12345u) << "an allocation was lost";
}

TEST_F(BlockStoreTest, UnstableWritesSurviveAnOrderlyReopen) {
    // Destroying an instance is an orderly shutdown: what was acknowledged stays, even
    // without a flush (store.h: only a crash may lose unstable writes).
    if (isVolatile()) {
        GTEST_SKIP() << "volatile store";
    }
    for (uint64_t obj = 1; obj <= 50; ++obj) {
        writeStr(obj, obj * 1000, "object " + std::to_string(obj));
    }
    reopen();
    ASSERT_FALSE(HasFatalFailure());
    for (uint64_t obj = 1; obj <= 50; ++obj) {
        EXPECT_EQ(readAll(obj, obj * 1000, 100), "object " + std::to_string(obj));
    }
}

TEST_F(BlockStoreTest, StatfsIsConsistent) {
    dfs_statfs_t s = blocks_.statfs();
    if (s.total_bytes == 0 && s.free_bytes == 0 && s.avail_bytes == 0) {
        GTEST_SKIP() << "the store does not report byte counts (statfs slot absent)";
    }
    EXPECT_GT(s.total_bytes, 0u);
    EXPECT_LE(s.free_bytes, s.total_bytes);
    EXPECT_LE(s.avail_bytes, s.total_bytes);
    writeStr(1, 0, pattern(1024 * 1024, 45), DFS_FILE_SYNC);
    dfs_statfs_t after = blocks_.statfs();
    EXPECT_GT(after.total_bytes, 0u) << "statfs stopped answering after a write";
    EXPECT_LE(after.free_bytes, after.total_bytes);
}

}  // namespace dfs::kit
