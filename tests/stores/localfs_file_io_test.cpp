// localfs system-call helpers (plugins/stores/localfs/file_io.hpp): telling the file
// system a root is on, which decides whether a new object's directory is fsynced, and
// writing pieces with pwritev; the checksum of packed records (pack.hpp); write gathering
// (write_gather.hpp).
#include "../../plugins/stores/localfs/file_io.hpp"
#include "../../plugins/stores/localfs/pack.hpp"
#include "../../plugins/stores/localfs/write_gather.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using dfs::localfs::fileSyncCoversNewName;
using dfs::localfs::fileSystemType;
using dfs::localfs::fileSystemTypeIn;

constexpr const char* kMountinfo =
    "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard\n"
    "23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
    "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"
    "40 22 0:35 / /tmp/with\\040space rw - tmpfs tmpfs rw,size=1024k\n"
    "41 22 8:17 / /data rw,relatime - xfs /dev/sdb1 rw,attr2\n";

TEST(LocalFsFileIoTest, TheFileSystemTypeIsTheOneOfTheDevice) {
    EXPECT_EQ(fileSystemTypeIn(kMountinfo, 254, 0), "ext4");
    EXPECT_EQ(fileSystemTypeIn(kMountinfo, 98, 0), "ext3") << "optional fields before the separator";
    EXPECT_EQ(fileSystemTypeIn(kMountinfo, 0, 35), "tmpfs") << "an escaped mount point";
    EXPECT_EQ(fileSystemTypeIn(kMountinfo, 8, 17), "xfs") << "the last line";
    EXPECT_EQ(fileSystemTypeIn(kMountinfo, 8, 1), "") << "no such device";
    EXPECT_EQ(fileSystemTypeIn(kMountinfo, 0, 2), "") << "0:2 is not 0:21";
    EXPECT_EQ(fileSystemTypeIn("", 254, 0), "");
    EXPECT_EQ(fileSystemTypeIn("garbage without fields\n1 2\n", 254, 0), "");
    EXPECT_EQ(fileSystemTypeIn("22 1 254:0 / / rw no-separator ext4\n", 254, 0), "");
}

TEST(LocalFsFileIoTest, TheRunningSystemNamesItsFileSystems) {
    EXPECT_EQ(fileSystemType("/proc"), "proc");
    EXPECT_FALSE(fileSystemType("/").empty());
    EXPECT_EQ(fileSystemType("/no/such/path"), "");
}

TEST(LocalFsFileIoTest, OnlyFileSystemsWhoseFileSyncCoversTheNameSkipTheDirectoryFsync) {
    EXPECT_TRUE(fileSyncCoversNewName("ext4"));
    EXPECT_TRUE(fileSyncCoversNewName("ext3"));
    EXPECT_TRUE(fileSyncCoversNewName("xfs"));
    for (const char* t : {"ext2", "btrfs", "tmpfs", "nfs", "overlay", "fuse.sshfs", ""}) {
        EXPECT_FALSE(fileSyncCoversNewName(t)) << t;
    }
}

// CRC-32C bit by bit, as RFC 3720 (iSCSI) defines it: the reference for the fast paths.
uint32_t crc32cBitwise(const uint8_t* p, size_t len) {
    uint32_t c = ~0u;
    for (size_t i = 0; i < len; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) {
            c = (c & 1) != 0 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        }
    }
    return ~c;
}

TEST(LocalFsPackTest, RecordsAreSummedWithCrc32c) {
    EXPECT_EQ(dfs::localfs::crc32c(0, "123456789", 9), 0xe3069283u);  // the check value
    EXPECT_EQ(dfs::localfs::crc32cPortable(0, "123456789", 9), 0xe3069283u);
    std::vector<uint8_t> data(5000);
    for (size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<uint8_t>(i * 131 + 7);
    }
    // Every length around the eight-byte steps and every alignment, whole and in two parts.
    for (size_t start : {0u, 1u, 3u, 7u}) {
        for (size_t len : {0u, 1u, 7u, 8u, 9u, 15u, 16u, 17u, 4096u, 4990u}) {
            const uint8_t* p = data.data() + start;
            const uint32_t want = crc32cBitwise(p, len);
            EXPECT_EQ(dfs::localfs::crc32c(0, p, len), want) << start << "+" << len;
            EXPECT_EQ(dfs::localfs::crc32cPortable(0, p, len), want) << start << "+" << len;
            const size_t half = len / 2;
            EXPECT_EQ(dfs::localfs::crc32c(dfs::localfs::crc32c(0, p, half), p + half, len - half), want);
        }
    }
}

// Every piece lands after the one before it, also with more pieces than one pwritev
// takes (IOV_MAX), where the rest are written one by one.
TEST(LocalFsFileIoTest, PwritevWritesEveryPieceInOrder) {
    char path[] = "/tmp/dfs-pwritev-XXXXXX";
    const int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    ::unlink(path);
    std::vector<std::string> pieces;
    std::vector<iovec> iov;
    std::string want;
    for (int i = 0; i < IOV_MAX + 5; ++i) {
        pieces.push_back(std::string(static_cast<size_t>(1 + i % 7), static_cast<char>('a' + i % 26)));
    }
    for (auto& p : pieces) {
        iov.push_back({p.data(), p.size()});
        want += p;
    }
    ASSERT_TRUE(dfs::localfs::pwritevFull(fd, iov.data(), static_cast<int>(iov.size()), 100).ok());
    std::string got(want.size(), '\0');
    ASSERT_EQ(::pread(fd, got.data(), got.size(), 100), static_cast<ssize_t>(got.size()));
    EXPECT_EQ(got, want);
    EXPECT_EQ(dfs::localfs::pwritevFull(fd, iov.data(), 1, UINT64_MAX - 1).code(), DFS_ERR_FBIG);
    ::close(fd);
}

// Write gathering: what reaches the file system for each pattern of calls.
class LocalFsWriteGatherTest : public ::testing::Test {
protected:
    using WriteGather = dfs::localfs::WriteGather;
    static constexpr uint64_t kHalf = WriteGather::kHalf;

    struct Call {
        uint64_t offset;
        std::vector<std::pair<const uint8_t*, size_t>> pieces;
        dfs_stable_t stable;
    };

    // One call of the store's write through `g`; records what was written.
    dfs::Status write(WriteGather& g, uint64_t obj, uint64_t offset, const std::vector<uint8_t>& data,
                      dfs_stable_t stable = DFS_UNSTABLE, dfs::Status result = dfs::okStatus()) {
        return g.run(obj, offset, data.data(), data.size(), stable,
                     [&](uint64_t at, const iovec* iov, int count, dfs_stable_t how) {
                         Call c{at, {}, how};
                         for (int i = 0; i < count; ++i) {
                             c.pieces.emplace_back(static_cast<const uint8_t*>(iov[i].iov_base), iov[i].iov_len);
                         }
                         std::lock_guard lock(mu_);
                         calls_.push_back(std::move(c));
                         return result;
                     });
    }

    // A half-block write to block `block` of `obj` that stays in progress (its write
    // blocks) until release() — the neighbour that makes a stream.
    void holdNeighbour(WriteGather& g, uint64_t obj, uint64_t block) {
        neighbour_ = std::async(std::launch::async, [this, &g, obj, block] {
            return g.run(obj, block * WriteGather::kBlock, neighbourData_.data(), neighbourData_.size(), DFS_UNSTABLE,
                         [this](uint64_t, const iovec*, int, dfs_stable_t) {
                             entered_.set_value();
                             released_.get_future().wait();
                             return dfs::okStatus();
                         });
        });
        entered_.get_future().wait();
    }
    void release() {
        released_.set_value();
        EXPECT_TRUE(neighbour_.get().ok());
    }

    std::vector<Call> calls() {
        std::lock_guard lock(mu_);
        return calls_;
    }

    static void waitUntilWaiting(const WriteGather& g, size_t n = 1) {
        const auto giveUp = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (g.waiting() < n) {
            ASSERT_LT(std::chrono::steady_clock::now(), giveUp) << "no half ever waited";
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }

    std::vector<uint8_t> first_ = std::vector<uint8_t>(kHalf, 1);
    std::vector<uint8_t> second_ = std::vector<uint8_t>(kHalf, 2);
    std::mutex mu_;
    std::vector<Call> calls_;
    std::vector<uint8_t> neighbourData_ = std::vector<uint8_t>(kHalf, 9);
    std::promise<void> entered_;
    std::promise<void> released_;
    std::future<dfs::Status> neighbour_;
};

// While block 1 is being written, the halves of block 0 arrive one after the other (in
// either order): one write of the whole block, the lower half first, as stable as the
// stronger of the two.
TEST_F(LocalFsWriteGatherTest, TheHalvesOfABlockInAStreamBecomeOneWrite) {
    for (bool lowerFirst : {true, false}) {
        WriteGather g(std::chrono::seconds(60));
        holdNeighbour(g, 7, 1);
        const uint64_t firstAt = lowerFirst ? 0 : kHalf;
        auto waiting = std::async(std::launch::async, [&] {
            return write(g, 7, firstAt, lowerFirst ? first_ : second_, DFS_UNSTABLE);
        });
        waitUntilWaiting(g);  // the other half comes once the first waits
        EXPECT_TRUE(write(g, 7, kHalf - firstAt, lowerFirst ? second_ : first_, DFS_FILE_SYNC).ok());
        EXPECT_TRUE(waiting.get().ok());
        release();
        const auto c = calls();
        ASSERT_EQ(c.size(), 1u) << "lowerFirst " << lowerFirst;
        EXPECT_EQ(c[0].offset, 0u);
        ASSERT_EQ(c[0].pieces.size(), 2u);
        EXPECT_EQ(c[0].pieces[0].first, first_.data());
        EXPECT_EQ(c[0].pieces[1].first, second_.data());
        EXPECT_EQ(c[0].pieces[0].second + c[0].pieces[1].second, WriteGather::kBlock);
        EXPECT_EQ(c[0].stable, DFS_FILE_SYNC);
        EXPECT_EQ(g.gathered(), 1u);
        calls_.clear();
        entered_ = {};
        released_ = {};
    }
}

// Both calls get the status of the one write.
TEST_F(LocalFsWriteGatherTest, BothHalvesGetTheErrorOfTheirWrite) {
    WriteGather g(std::chrono::seconds(60));
    holdNeighbour(g, 7, 1);
    const dfs::Status failed = dfs::makeError(DFS_ERR_NOSPC, ENOSPC);
    auto waiting = std::async(std::launch::async, [&] { return write(g, 7, 0, first_, DFS_UNSTABLE, failed); });
    waitUntilWaiting(g);
    EXPECT_EQ(write(g, 7, kHalf, second_, DFS_UNSTABLE, failed).code(), DFS_ERR_NOSPC);
    EXPECT_EQ(waiting.get().code(), DFS_ERR_NOSPC);
    release();
    EXPECT_EQ(calls().size(), 1u);
}

// No stream, no wait: a half with no neighbouring block being written goes alone at once
// (well before its wait of a minute), and so do writes that are not exactly a half block.
TEST_F(LocalFsWriteGatherTest, CallsOutsideAStreamAreWrittenAtOnce) {
    WriteGather g(std::chrono::minutes(1));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(write(g, 7, 0, first_).ok());
    EXPECT_TRUE(write(g, 7, 5 * kHalf, second_).ok());
    holdNeighbour(g, 7, 1);
    EXPECT_TRUE(write(g, 7, 10 * kHalf, first_).ok()) << "block 5 is not next to block 1";
    EXPECT_TRUE(write(g, 8, 0, first_).ok()) << "another object";
    const std::vector<uint8_t> small(4096, 3);
    EXPECT_TRUE(write(g, 7, 0, small).ok()) << "not a half block";
    EXPECT_TRUE(write(g, 7, 4096, first_).ok()) << "not aligned";
    release();
    EXPECT_EQ(calls().size(), 6u);
    EXPECT_EQ(g.gathered(), 0u);
    EXPECT_EQ(g.waitedInVain(), 0u);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30)) << "a call waited";
}

// At most kMaxWaiting halves wait at once (each holds a worker of the server): the next
// one, in a stream too, is written at once.
TEST_F(LocalFsWriteGatherTest, OnlyAFewHalvesWaitAtOnce) {
    constexpr uint64_t kBlock = WriteGather::kBlock;
    constexpr size_t kMax = WriteGather::kMaxWaiting;
    WriteGather g(std::chrono::minutes(1));
    holdNeighbour(g, 7, 100);
    // The first halves of blocks 101, 102, ...: each next to one being written.
    std::vector<std::future<dfs::Status>> waiting;
    for (uint64_t b = 101; b < 101 + kMax; ++b) {
        waiting.push_back(std::async(std::launch::async, [this, &g, b] { return write(g, 7, b * kBlock, first_); }));
        waitUntilWaiting(g, waiting.size());
    }
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(write(g, 7, (101 + kMax) * kBlock, first_).ok());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30)) << "one too many waited";
    EXPECT_EQ(g.waiting(), kMax);
    for (uint64_t b = 101; b < 101 + kMax; ++b) {
        EXPECT_TRUE(write(g, 7, b * kBlock + kHalf, second_).ok());
        EXPECT_TRUE(waiting[b - 101].get().ok());
    }
    release();
    EXPECT_EQ(g.gathered(), kMax);
}

// A half whose other half never comes is written alone once its wait is over, and the
// other half, if it comes later, does not wait; a zero wait turns gathering off.
TEST_F(LocalFsWriteGatherTest, AHalfWaitsNoLongerThanItsWait) {
    WriteGather g(std::chrono::milliseconds(30));
    holdNeighbour(g, 7, 1);
    EXPECT_TRUE(write(g, 7, 0, first_).ok());
    EXPECT_EQ(g.waitedInVain(), 1u);
    ASSERT_EQ(calls().size(), 1u);
    EXPECT_EQ(calls()[0].pieces.size(), 1u);

    // Its other half, coming late, does not wait too: it is written alone at once.
    EXPECT_TRUE(write(g, 7, kHalf, second_).ok());
    EXPECT_EQ(g.waitedInVain(), 1u);
    release();

    WriteGather off(std::chrono::microseconds(0));
    EXPECT_TRUE(write(off, 7, 0, first_).ok());
    EXPECT_TRUE(write(off, 7, kHalf, second_).ok());
    EXPECT_EQ(calls().size(), 4u);
    EXPECT_EQ(off.gathered(), 0u);
}

}  // namespace
