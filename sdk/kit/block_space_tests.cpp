// Store conformance kit: block stores, space management (punch_hole, allocate, seek,
// clone).
//
// These slots are optional: the tests go through BlockStoreClient, which applies the
// defaults of store.h when a slot is NULL or answers DFS_ERR_NOTSUPP, so a minimal store
// passes them too. What differs between stores is only whether holes are tracked: seek
// results are checked against the bytes in every case, and exactly when the store
// reports a hole at all (hole granularity is assumed to be at most 1 MiB).
#include "kit.hpp"

#include <initializer_list>
#include <string>

namespace dfs::kit {
namespace {

constexpr uint64_t kMiB = 1ull << 20;



// Checks seek results of one object against its expected bytes.
class BlockSeekChecker {
public:
    BlockSeekChecker(const BlockStoreClient& blocks, uint64_t obj, const std::string& content)
        : blocks_(blocks), obj_(obj), content_(content) {}

    // Whatever the store's hole tracking, a seek must agree with the bytes: SEEK_DATA
    // skips only zeros, SEEK_HOLE lands on zeros (or the end), NXIO at or past the end.
    void checkAt(uint64_t off) const {
        SCOPED_TRACE("seek from offset " + std::to_string(off));
        const uint64_t size = content_.size();
        auto d = blocks_.seek(obj_, off, DFS_SEEK_DATA);
        auto h = blocks_.seek(obj_, off, DFS_SEEK_HOLE);
        if (off >= size) {
            DFS_EXPECT_CODE(d, DFS_ERR_NXIO);
            DFS_EXPECT_CODE(h, DFS_ERR_NXIO);
            return;
        }
        if (d.ok()) {
            EXPECT_GE(*d, off);
            EXPECT_LT(*d, size);
            if (*d >= off && *d <= size) {
                EXPECT_TRUE(isZeros(std::string_view(content_).substr(off, *d - off)))
                    << "SEEK_DATA skipped data: returned " << *d;
            }
        } else {
            DFS_EXPECT_CODE(d, DFS_ERR_NXIO);
            EXPECT_TRUE(isZeros(std::string_view(content_).substr(off)))
                << "SEEK_DATA said no data follows, but some does";
        }
        ASSERT_TRUE(h.ok()) << "SEEK_HOLE below the end must succeed (the end is a hole): "
                            << statusName(h.code());
        EXPECT_GE(*h, off);
        EXPECT_LE(*h, size);
        if (*h < size && *h >= off) {
            auto next = blocks_.seek(obj_, *h, DFS_SEEK_DATA);
            uint64_t holeEnd = next.ok() ? *next : size;
            EXPECT_GT(holeEnd, *h) << "data starts exactly where SEEK_HOLE said a hole does";
            if (holeEnd > *h && holeEnd <= size) {
                EXPECT_TRUE(isZeros(std::string_view(content_).substr(*h, holeEnd - *h)))
                    << "SEEK_HOLE reported data as a hole: [" << *h << ", " << holeEnd << ")";
            }
        }
    }

    // True when the store reports a hole anywhere before the end.
    bool tracksHoles() const {
        auto h = blocks_.seek(obj_, 0, DFS_SEEK_HOLE);
        return h.ok() && *h < content_.size();
    }

private:
    const BlockStoreClient& blocks_;
    uint64_t obj_;
    const std::string& content_;
};

}  // namespace

TEST_F(BlockStoreTest, PunchHoleReadsZerosAndKeepsLength) {
    std::string data = pattern(256 * 1024, 11);
    writeStr(1, 0, data);
    const uint64_t off = 64 * 1024 + 100;
    const uint64_t len = 70000;
    DFS_ASSERT_OK(blocks_.punchHole(1, off, len));
    auto sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, data.size()) << "punch_hole must not change the length";
    std::string all = readAll(1, 0, data.size());
    ASSERT_EQ(all.size(), data.size());
    EXPECT_EQ(all.substr(0, off), data.substr(0, off));
    EXPECT_TRUE(isZeros(std::string_view(all).substr(off, len)));
    EXPECT_EQ(all.substr(off + len), data.substr(off + len));
}

TEST_F(BlockStoreTest, PunchHoleAtTheEndKeepsLength) {
    std::string data = pattern(100000, 12);
    writeStr(1, 0, data);
    DFS_ASSERT_OK(blocks_.punchHole(1, 90000, 1 * kMiB));
    auto sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 100000u) << "a hole past the end must neither extend nor cut the object";
    std::string all = readAll(1, 0, 200000);
    ASSERT_EQ(all.size(), 100000u);
    EXPECT_EQ(all.substr(0, 90000), data.substr(0, 90000));
    EXPECT_TRUE(isZeros(std::string_view(all).substr(90000)));
    DFS_ASSERT_OK(blocks_.punchHole(1, 5 * kMiB, 4096));
    sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 100000u);
}

TEST_F(BlockStoreTest, PunchHoleOnAbsentObject) {
    DFS_ASSERT_OK(blocks_.punchHole(9, 0, 4096));
    auto sz = blocks_.size(9);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 0u);
}

TEST_F(BlockStoreTest, WriteIntoAPunchedHole) {
    std::string data = pattern(512 * 1024, 13);
    writeStr(1, 0, data);
    DFS_ASSERT_OK(blocks_.punchHole(1, 0, 512 * 1024));
    writeStr(1, 200000, "inside");
    std::string all = readAll(1, 0, data.size());
    ASSERT_EQ(all.size(), data.size());
    EXPECT_TRUE(isZeros(std::string_view(all).substr(0, 200000)));
    EXPECT_EQ(all.substr(200000, 6), "inside");
    EXPECT_TRUE(isZeros(std::string_view(all).substr(200006)));
}

TEST_F(BlockStoreTest, AllocateExtendsAbsentObject) {
    DFS_ASSERT_OK(blocks_.allocate(1, 0, 1 * kMiB));
    auto sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 1 * kMiB);
    std::string all = readAll(1, 0, 2 * kMiB);
    EXPECT_EQ(all.size(), 1 * kMiB);
    EXPECT_TRUE(isZeros(all));
}

TEST_F(BlockStoreTest, AllocateKeepsContent) {
    std::string data = pattern(10000, 14);
    writeStr(1, 0, data);
    DFS_ASSERT_OK(blocks_.allocate(1, 100, 500));
    auto sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 10000u) << "allocating inside the object must not change its length";
    EXPECT_EQ(readAll(1, 0, 10000), data);
    DFS_ASSERT_OK(blocks_.allocate(1, 5000, 100000));
    sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 105000u) << "allocating past the end extends the length";
    std::string all = readAll(1, 0, 105000);
    ASSERT_EQ(all.size(), 105000u);
    EXPECT_EQ(all.substr(0, 10000), data) << "allocate destroyed data";
    EXPECT_TRUE(isZeros(std::string_view(all).substr(10000)));
}

TEST_F(BlockStoreTest, SeekOnAbsentOrEmptyObjectIsNxio) {
    DFS_EXPECT_CODE(blocks_.seek(4, 0, DFS_SEEK_DATA), DFS_ERR_NXIO);
    DFS_EXPECT_CODE(blocks_.seek(4, 0, DFS_SEEK_HOLE), DFS_ERR_NXIO);
    DFS_ASSERT_OK(blocks_.truncate(4, 0));
    DFS_EXPECT_CODE(blocks_.seek(4, 0, DFS_SEEK_DATA), DFS_ERR_NXIO);
    DFS_EXPECT_CODE(blocks_.seek(4, 0, DFS_SEEK_HOLE), DFS_ERR_NXIO);
}

TEST_F(BlockStoreTest, SeekAtOrPastTheEndIsNxio) {
    writeStr(1, 0, pattern(100, 15));
    DFS_EXPECT_CODE(blocks_.seek(1, 100, DFS_SEEK_DATA), DFS_ERR_NXIO);
    DFS_EXPECT_CODE(blocks_.seek(1, 100, DFS_SEEK_HOLE), DFS_ERR_NXIO);
    DFS_EXPECT_CODE(blocks_.seek(1, 101, DFS_SEEK_DATA), DFS_ERR_NXIO);
    DFS_EXPECT_CODE(blocks_.seek(1, 1ull << 40, DFS_SEEK_HOLE), DFS_ERR_NXIO);
    auto d = blocks_.seek(1, 99, DFS_SEEK_DATA);
    ASSERT_TRUE(d.ok()) << statusName(d.code());
    EXPECT_EQ(*d, 99u);
    auto h = blocks_.seek(1, 0, DFS_SEEK_HOLE);
    ASSERT_TRUE(h.ok()) << statusName(h.code());
    EXPECT_EQ(*h, 100u) << "a dense object's only hole is its end";
}

TEST_F(BlockStoreTest, SeekAroundAHoleInTheMiddle) {
    // [0, 1 MiB) data, [1 MiB, 9 MiB) never written, [9 MiB, 10 MiB) data.
    std::string content(10 * kMiB, '\0');
    std::string a = pattern(1 * kMiB, 16);
    std::string b = pattern(1 * kMiB, 17);
    content.replace(0, a.size(), a);
    content.replace(9 * kMiB, b.size(), b);
    writeStr(1, 0, a);
    writeStr(1, 9 * kMiB, b);
    BlockSeekChecker check(blocks_, 1, content);
    for (uint64_t off : std::initializer_list<uint64_t>{0, 1, 4095, 4096, kMiB - 1, kMiB, kMiB + 1, 5 * kMiB, 9 * kMiB - 1,
                         9 * kMiB, 9 * kMiB + 1, 10 * kMiB - 1, 10 * kMiB, 10 * kMiB + 1}) {
        check.checkAt(off);
    }
    auto at = [&](uint64_t off, dfs_seek_what_t what) -> uint64_t {
        auto r = blocks_.seek(1, off, what);
        EXPECT_TRUE(r.ok()) << "seek " << (what == DFS_SEEK_DATA ? "DATA" : "HOLE") << " from " << off << ": "
                            << statusName(r.code());
        return r.ok() ? *r : UINT64_MAX;
    };
    if (check.tracksHoles()) {
        EXPECT_EQ(at(0, DFS_SEEK_HOLE), kMiB);
        EXPECT_EQ(at(5, DFS_SEEK_HOLE), kMiB);
        EXPECT_EQ(at(kMiB, DFS_SEEK_DATA), 9 * kMiB);
        EXPECT_EQ(at(kMiB + 100, DFS_SEEK_DATA), 9 * kMiB);
        EXPECT_EQ(at(kMiB + 100, DFS_SEEK_HOLE), kMiB + 100) << "inside a hole, SEEK_HOLE returns the offset";
        EXPECT_EQ(at(9 * kMiB, DFS_SEEK_HOLE), 10 * kMiB) << "the end counts as a hole";
        EXPECT_EQ(at(9 * kMiB + 5, DFS_SEEK_DATA), 9 * kMiB + 5);
    } else {
        // The default: the whole object is data.
        EXPECT_EQ(at(0, DFS_SEEK_HOLE), 10 * kMiB);
        EXPECT_EQ(at(5 * kMiB, DFS_SEEK_DATA), 5 * kMiB);
    }
}

TEST_F(BlockStoreTest, SeekAfterTruncateUpAndPunch) {
    // A trailing hole made by truncate, and a hole punched into data.
    std::string content(3 * kMiB, '\0');
    std::string a = pattern(2 * kMiB, 18);
    writeStr(1, 0, a);
    DFS_ASSERT_OK(blocks_.truncate(1, 3 * kMiB));
    DFS_ASSERT_OK(blocks_.punchHole(1, 512 * 1024, 512 * 1024));
    content.replace(0, a.size(), a);
    content.replace(512 * 1024, 512 * 1024, std::string(512 * 1024, '\0'));
    EXPECT_EQ(readAll(1, 0, 3 * kMiB), content);
    BlockSeekChecker check(blocks_, 1, content);
    for (uint64_t off : std::initializer_list<uint64_t>{0, 512 * 1024 - 1, 512 * 1024, kMiB - 1, kMiB, 2 * kMiB - 1, 2 * kMiB,
                         2 * kMiB + 1, 3 * kMiB - 1, 3 * kMiB}) {
        check.checkAt(off);
    }
    if (check.tracksHoles()) {
        auto h = blocks_.seek(1, kMiB, DFS_SEEK_HOLE);
        ASSERT_TRUE(h.ok());
        EXPECT_EQ(*h, 2 * kMiB) << "the hole made by extending starts at the old end";
        DFS_EXPECT_CODE(blocks_.seek(1, 2 * kMiB, DFS_SEEK_DATA), DFS_ERR_NXIO);
    }
}

TEST_F(BlockStoreTest, CloneCopiesAndStaysIndependent) {
    std::string data = pattern(200 * 1024, 19);
    writeStr(1, 0, data);
    DFS_ASSERT_OK(blocks_.clone(1, 0, 2, 0, data.size()));
    EXPECT_EQ(readAll(2, 0, data.size() + 10), data);
    // Later writes to either side do not show through.
    writeStr(1, 1000, "SOURCE-CHANGED");
    writeStr(1, data.size(), "grown");
    DFS_ASSERT_OK(blocks_.truncate(1, 5000));
    EXPECT_EQ(readAll(2, 0, data.size() + 10), data) << "the clone followed changes to its source";
    writeStr(2, 0, "DEST");
    EXPECT_EQ(readAll(1, 0, 4), data.substr(0, 4)) << "the source followed changes to its clone";
}

TEST_F(BlockStoreTest, CloneUnalignedRangeIntoExistingObject) {
    std::string src = pattern(300000, 20);
    std::string dst = pattern(300000, 21);
    writeStr(1, 0, src);
    writeStr(2, 0, dst);
    const uint64_t so = 1000;
    const uint64_t dof = 333;
    const uint64_t len = 70000;
    DFS_ASSERT_OK(blocks_.clone(1, so, 2, dof, len));
    std::string want = dst;
    want.replace(dof, len, src.substr(so, len));
    EXPECT_EQ(readAll(2, 0, 400000), want);
    EXPECT_EQ(readAll(1, 0, 400000), src) << "clone changed its source";
}

TEST_F(BlockStoreTest, CloneIntoAbsentObjectAtAnOffset) {
    std::string src = pattern(10000, 22);
    writeStr(1, 0, src);
    DFS_ASSERT_OK(blocks_.clone(1, 0, 3, 4096, src.size()));
    auto sz = blocks_.size(3);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, 4096 + src.size());
    std::string all = readAll(3, 0, 4096 + src.size());
    EXPECT_TRUE(isZeros(std::string_view(all).substr(0, 4096)));
    EXPECT_EQ(all.substr(4096), src);
}

TEST_F(BlockStoreTest, CloneWithinOneObject) {
    std::string data = pattern(128 * 1024, 23);
    writeStr(1, 0, data);
    DFS_ASSERT_OK(blocks_.clone(1, 0, 1, 256 * 1024, 128 * 1024));
    std::string all = readAll(1, 0, 384 * 1024);
    ASSERT_EQ(all.size(), 384u * 1024);
    EXPECT_EQ(all.substr(0, 128 * 1024), data);
    EXPECT_TRUE(isZeros(std::string_view(all).substr(128 * 1024, 128 * 1024)));
    EXPECT_EQ(all.substr(256 * 1024), data);
}

TEST_F(BlockStoreTest, CloneOfASparseObject) {
    const uint64_t far = 16 * kMiB;
    std::string a = pattern(70000, 24);
    std::string b = pattern(70000, 25);
    writeStr(1, 0, a);
    writeStr(1, far, b);
    writeStr(2, 8 * kMiB, "old bytes of the destination");
    DFS_ASSERT_OK(blocks_.clone(1, 0, 2, 0, far + b.size()));
    auto sz = blocks_.size(2);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, far + b.size());
    EXPECT_EQ(readAll(2, 0, a.size()), a);
    EXPECT_EQ(readAll(2, far, b.size() + 10), b);
    EXPECT_TRUE(isZeros(readAll(2, a.size(), far - a.size())))
        << "a hole of the source must replace what the destination held there";
}

}  // namespace dfs::kit
