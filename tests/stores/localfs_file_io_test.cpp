// localfs system-call helpers (plugins/stores/localfs/file_io.hpp): telling the file
// system a root is on, which decides whether a new object's directory is fsynced; and the
// checksum of packed records (pack.hpp).
#include "../../plugins/stores/localfs/file_io.hpp"
#include "../../plugins/stores/localfs/pack.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
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

}  // namespace
