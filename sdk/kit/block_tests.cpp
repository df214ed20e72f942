// Store conformance kit: block stores, basic I/O (store.h, "Block store").
//
// Reads, writes, sizes, truncation and removal, including the edges a protocol server
// hits in practice: absent objects, reads at and past the end, writes that leave gaps,
// offsets past 4 GiB (32-bit truncation bugs) and sparse objects that must not cost
// their length in memory or disk.
#include "kit.hpp"

#include <string>

namespace dfs::kit {
namespace {

constexpr uint64_t kGiB = 1ull << 30;


bool isZeros(const std::string& s) { return s.find_first_not_of('\0') == std::string::npos; }

}  // namespace

TEST_F(BlockStoreTest, AbsentObjectReadsEmpty) {
    EXPECT_EQ(readAll(7, 0, 100), "");
    EXPECT_EQ(readAll(7, 4096, 100), "");
    auto sz = blocks_.size(7);
    ASSERT_TRUE(sz.ok()) << statusName(sz.code());
    EXPECT_EQ(*sz, 0u);
}

TEST_F(BlockStoreTest, RemoveAbsentIsOk) {
    DFS_ASSERT_OK(blocks_.remove(8));
    DFS_ASSERT_OK(blocks_.remove(8));
}

TEST_F(BlockStoreTest, WriteThenReadBack) {
    writeStr(1, 0, "hello, world");
    EXPECT_EQ(readAll(1, 0, 12), "hello, world");
    EXPECT_EQ(readAll(1, 7, 5), "world");
    auto sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 12u);
}

TEST_F(BlockStoreTest, ReadStopsAtEnd) {
    writeStr(1, 0, "abcdef");
    EXPECT_EQ(readAll(1, 3, 100), "def") << "a read past the end returns the bytes up to it";
    EXPECT_EQ(readAll(1, 6, 10), "") << "a read at the end returns nothing";
    EXPECT_EQ(readAll(1, 1000, 10), "") << "a read past the end returns nothing, not an error";
    EXPECT_EQ(readAll(1, 1ull << 62, 10), "");
}

TEST_F(BlockStoreTest, SingleReadCallReportsCount) {
    // The raw slot, not the client's read loop: *nread must be the count delivered.
    writeStr(1, 0, "0123456789");
    std::string buf(32, 'x');
    auto r = blocks_.read(1, 4, dfs_buf_t{reinterpret_cast<uint8_t*>(buf.data()), buf.size()});
    ASSERT_TRUE(r.ok()) << statusName(r.code());
    EXPECT_EQ(*r, 6u);
    EXPECT_EQ(buf.substr(0, 6), "456789");
}

TEST_F(BlockStoreTest, ZeroLengthIoChangesNothing) {
    writeStr(1, 0, "abc");
    DFS_ASSERT_OK(blocks_.write(1, 100, dfs_bytes_t{nullptr, 0}, DFS_UNSTABLE));
    auto sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 3u) << "a zero-length write does not extend the object";
    auto r = blocks_.read(1, 0, dfs_buf_t{nullptr, 0});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, 0u);
}

TEST_F(BlockStoreTest, OverwriteInTheMiddle) {
    writeStr(1, 0, "aaaaaaaaaa");
    writeStr(1, 3, "BBB");
    EXPECT_EQ(readAll(1, 0, 10), "aaaBBBaaaa");
    auto sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 10u) << "an overwrite inside the object does not change its length";
}

TEST_F(BlockStoreTest, WriteAcrossTheEndExtends) {
    writeStr(1, 0, "abcdef");
    writeStr(1, 4, "XYZW");
    EXPECT_EQ(readAll(1, 0, 100), "abcdXYZW");
}

TEST_F(BlockStoreTest, GapBeforeAWriteReadsAsZeros) {
    writeStr(1, 0, "ab");
    writeStr(1, 100000, "cd");
    auto sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 100002u);
    std::string all = readAll(1, 0, 100002);
    ASSERT_EQ(all.size(), 100002u);
    EXPECT_EQ(all.substr(0, 2), "ab");
    EXPECT_TRUE(isZeros(all.substr(2, 99998))) << "the gap must read as zeros";
    EXPECT_EQ(all.substr(100000), "cd");
}

TEST_F(BlockStoreTest, FirstWriteAtAnOffsetCreates) {
    writeStr(2, 5000, "xyz");
    auto sz = blocks_.size(2);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 5003u);
    std::string all = readAll(2, 0, 5003);
    EXPECT_TRUE(isZeros(all.substr(0, 5000)));
    EXPECT_EQ(all.substr(5000), "xyz");
}

TEST_F(BlockStoreTest, ObjectsAreIndependent) {
    const uint64_t ids[] = {1, 2, 1ull << 40, 0xffffffffull, 0x100000000ull, UINT64_MAX};
    for (uint64_t id : ids) {
        writeStr(id, 0, "object " + std::to_string(id));
    }
    for (uint64_t id : ids) {
        std::string want = "object " + std::to_string(id);
        EXPECT_EQ(readAll(id, 0, 100), want) << "id " << id;
    }
    DFS_ASSERT_OK(blocks_.remove(0xffffffffull));
    EXPECT_EQ(readAll(0xffffffffull, 0, 100), "");
    EXPECT_EQ(readAll(0x100000000ull, 0, 100), "object 4294967296")
        << "ids that differ only above bit 32 must not alias";
}

TEST_F(BlockStoreTest, TruncateDown) {
    std::string data = pattern(300000);
    writeStr(1, 0, data);
    DFS_ASSERT_OK(blocks_.truncate(1, 70001));
    auto sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 70001u);
    EXPECT_EQ(readAll(1, 0, 300000), data.substr(0, 70001));
}

TEST_F(BlockStoreTest, TruncateDownThenUpReadsZeros) {
    std::string data = pattern(300000, 2);
    writeStr(1, 0, data);
    DFS_ASSERT_OK(blocks_.truncate(1, 1000));
    DFS_ASSERT_OK(blocks_.truncate(1, 300000));
    std::string all = readAll(1, 0, 300000);
    ASSERT_EQ(all.size(), 300000u);
    EXPECT_EQ(all.substr(0, 1000), data.substr(0, 1000));
    EXPECT_TRUE(isZeros(all.substr(1000))) << "data cut by a truncate must not come back when the object grows";
}

TEST_F(BlockStoreTest, WriteAfterTruncateDownLeavesZeroGap) {
    writeStr(1, 0, pattern(10000, 3));
    DFS_ASSERT_OK(blocks_.truncate(1, 10));
    writeStr(1, 9000, "end");
    std::string all = readAll(1, 0, 9003);
    ASSERT_EQ(all.size(), 9003u);
    EXPECT_TRUE(isZeros(all.substr(10, 8990))) << "old bytes reappeared in the gap";
}

TEST_F(BlockStoreTest, TruncateUpExtendsWithZeros) {
    writeStr(1, 0, "abc");
    DFS_ASSERT_OK(blocks_.truncate(1, 100000));
    auto sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 100000u);
    std::string all = readAll(1, 0, 100000);
    ASSERT_EQ(all.size(), 100000u);
    EXPECT_EQ(all.substr(0, 3), "abc");
    EXPECT_TRUE(isZeros(all.substr(3)));
}

TEST_F(BlockStoreTest, TruncateCreatesAbsentObject) {
    DFS_ASSERT_OK(blocks_.truncate(3, 4096));
    auto sz = blocks_.size(3);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 4096u);
    EXPECT_EQ(readAll(3, 0, 8192), std::string(4096, '\0'));
}

TEST_F(BlockStoreTest, TruncateToZeroThenWrite) {
    writeStr(1, 0, pattern(5000, 4));
    DFS_ASSERT_OK(blocks_.truncate(1, 0));
    EXPECT_EQ(readAll(1, 0, 100), "");
    writeStr(1, 2, "hi");
    EXPECT_EQ(readAll(1, 0, 100), std::string("\0\0hi", 4));
}

TEST_F(BlockStoreTest, RemoveDeletesTheObject) {
    writeStr(1, 0, pattern(100000, 5));
    writeStr(2, 0, "keep");
    DFS_ASSERT_OK(blocks_.remove(1));
    EXPECT_EQ(readAll(1, 0, 100), "");
    auto sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 0u);
    EXPECT_EQ(readAll(2, 0, 100), "keep") << "remove touched another object";
    // A new object under the same id starts empty.
    writeStr(1, 50, "new");
    std::string all = readAll(1, 0, 100);
    ASSERT_EQ(all.size(), 53u);
    EXPECT_TRUE(isZeros(all.substr(0, 50))) << "a removed object's bytes came back";
    EXPECT_EQ(all.substr(50), "new");
}

TEST_F(BlockStoreTest, WriteAcrossThe4GiBBoundary) {
    // 32-bit offset arithmetic wraps here.
    const uint64_t off = 4 * kGiB - 3;
    writeStr(1, off, "abcdef");
    EXPECT_EQ(readAll(1, off, 6), "abcdef");
    auto sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, off + 6);
    EXPECT_EQ(readAll(1, 0, 16), std::string(16, '\0')) << "a write past 4 GiB landed at its low 32 bits";
    EXPECT_EQ(readAll(1, 3, 8), std::string(8, '\0'));
}

TEST_F(BlockStoreTest, SparseWriteAt5GiB) {
    // Must cost about one block: the test would exhaust memory or disk otherwise.
    const uint64_t off = 5 * kGiB;
    writeStr(1, off, "tail");
    auto sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, off + 4);
    EXPECT_EQ(readAll(1, off, 100), "tail");
    EXPECT_EQ(readAll(1, off - 3, 7), std::string("\0\0\0tail", 7));
    EXPECT_EQ(readAll(1, 0, 4096), std::string(4096, '\0'));
    EXPECT_EQ(readAll(1, 4 * kGiB, 4096), std::string(4096, '\0'));
    EXPECT_EQ(readAll(1, off - 65536, 65536), std::string(65536, '\0'));
    // And it can be overwritten and cut back like any other object.
    writeStr(1, off + 2, "IL!");
    EXPECT_EQ(readAll(1, off, 100), "taIL!");
    DFS_ASSERT_OK(blocks_.truncate(1, off + 1));
    EXPECT_EQ(readAll(1, off, 100), "t");
}

TEST_F(BlockStoreTest, HolesReadAsZeros) {
    std::string a = pattern(5000, 6);
    std::string b = pattern(5000, 7);
    writeStr(1, 0, a);
    writeStr(1, 3 * 1024 * 1024 + 17, b);
    std::string all = readAll(1, 0, 3 * 1024 * 1024 + 17 + 5000);
    ASSERT_EQ(all.size(), 3u * 1024 * 1024 + 17 + 5000);
    EXPECT_EQ(all.substr(0, 5000), a);
    EXPECT_TRUE(isZeros(all.substr(5000, 3 * 1024 * 1024 + 17 - 5000)));
    EXPECT_EQ(all.substr(3 * 1024 * 1024 + 17), b);
}

TEST_F(BlockStoreTest, WritePastTheMaximumSizeFails) {
    writeStr(1, 0, "abc");
    auto s = blocks_.write(1, DFS_MAX_FILE_SIZE - 1, toBytes(std::string_view("xyzw")), DFS_UNSTABLE);
    EXPECT_FALSE(s.ok()) << "a write ending past DFS_MAX_FILE_SIZE must fail";
    s = blocks_.write(1, UINT64_MAX - 1, toBytes(std::string_view("xyzw")), DFS_UNSTABLE);
    EXPECT_FALSE(s.ok()) << "a write whose end overflows 64 bits must fail";
    auto sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 3u) << "a failed write must change nothing";
    EXPECT_EQ(readAll(1, 0, 10), "abc");
}

// ---- Lending (store.h lend, ABI 1.7; optional) ----------------------------------------

namespace {

// `lent` holds the first bytes of `want` (what was written from the lent offset on):
// checked by reading the lent bytes, which is safe here because nothing cuts the object
// short meanwhile.
void expectLentMatches(const ::dfs::LentBytes& lent, const std::string& want) {
    ASSERT_LE(lent.size(), want.size());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(lent.data()), static_cast<size_t>(lent.size())),
              want.substr(0, static_cast<size_t>(lent.size())));
}

// A lend the store refuses as not supported: the test is skipped.
bool refusedAsNotSupported(const Result<::dfs::LentBytes>& l) { return !l.ok() && l.code() == DFS_ERR_NOTSUPP; }

}  // namespace

TEST_F(BlockStoreTest, LentRangesHoldWhatReadReturns) {
    const std::string data = pattern(300000, 21);
    writeStr(21, 0, data);
    auto l = blocks_.lend(21, 1000, 200000);
    if (refusedAsNotSupported(l)) {
        GTEST_SKIP() << "this store does not lend";
    }
    ASSERT_TRUE(l.ok()) << statusName(l.code());
    EXPECT_GT(l->size(), 0u) << "a range inside the object lends something";
    expectLentMatches(*l, data.substr(1000));
    // Through the end: no more than the object holds.
    auto end = blocks_.lend(21, 299000, 5000);
    ASSERT_TRUE(end.ok()) << statusName(end.code());
    EXPECT_LE(end->size(), 1000u);
    EXPECT_GT(end->size(), 0u);
    expectLentMatches(*end, data.substr(299000));
    // At and past the end, and of an absent object: nothing.
    for (auto [obj, off] : {std::pair<uint64_t, uint64_t>{21, 300000}, {21, 1ull << 40}, {22, 0}}) {
        auto none = blocks_.lend(obj, off, 100);
        ASSERT_TRUE(none.ok()) << statusName(none.code());
        EXPECT_EQ(none->size(), 0u) << "object " << obj << " at " << off;
    }
}

TEST_F(BlockStoreTest, LentRangesOutliveTheirObject) {
    const std::string data = pattern(200000, 23);
    writeStr(23, 0, data);
    auto l = blocks_.lend(23, 0, 100000);
    if (refusedAsNotSupported(l)) {
        GTEST_SKIP() << "this store does not lend";
    }
    ASSERT_TRUE(l.ok()) << statusName(l.code());
    DFS_ASSERT_OK(blocks_.remove(23));
    writeStr(24, 0, std::string(200000, 'z'));  // reusing whatever the removal gave back
    expectLentMatches(*l, data);
    auto gone = blocks_.lend(23, 0, 100);
    ASSERT_TRUE(gone.ok()) << statusName(gone.code());
    EXPECT_EQ(gone->size(), 0u) << "a removed object lends nothing";
}

}  // namespace dfs::kit
