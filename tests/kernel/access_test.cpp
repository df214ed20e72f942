#include "src/vfs.hpp"

#include <dittofs/cpp/views.hpp>

#include <gtest/gtest.h>

namespace dfs::kernel {
namespace {

dfs_attr_t file(uint32_t mode, uint32_t uid = 10, uint32_t gid = 20, dfs_ftype_t type = DFS_TYPE_REG) {
    auto a = makeStruct<dfs_attr_t>();
    a.type = type;
    a.mode = mode;
    a.uid = uid;
    a.gid = gid;
    return a;
}

dfs_cred_t who(uint32_t uid, uint32_t gid, std::initializer_list<uint32_t> groups = {}) {
    auto c = makeStruct<dfs_cred_t>();
    c.uid = uid;
    c.gid = gid;
    for (auto g : groups) {
        c.groups[c.ngroups++] = g;
    }
    return c;
}

TEST(AccessTest, OwnerGroupOtherClasses) {
    auto a = file(0640);
    EXPECT_TRUE(mayAccess(a, who(10, 99), kMayRead | kMayWrite));
    EXPECT_FALSE(mayAccess(a, who(10, 99), kMayExec));
    EXPECT_TRUE(mayAccess(a, who(11, 20), kMayRead));
    EXPECT_FALSE(mayAccess(a, who(11, 20), kMayWrite));
    EXPECT_TRUE(mayAccess(a, who(11, 5, {20}), kMayRead));
    EXPECT_FALSE(mayAccess(a, who(11, 5), kMayRead));
    // The owner class applies even when it grants less than others.
    EXPECT_FALSE(mayAccess(file(0077), who(10, 20), kMayRead));
}

TEST(AccessTest, RootNeedsAnExecuteBitToExecute) {
    EXPECT_TRUE(mayAccess(file(0000), who(0, 0), kMayRead | kMayWrite));
    EXPECT_FALSE(mayAccess(file(0600), who(0, 0), kMayExec));
    EXPECT_TRUE(mayAccess(file(0001), who(0, 0), kMayExec));
    EXPECT_TRUE(mayAccess(file(0000, 10, 20, DFS_TYPE_DIR), who(0, 0), kMayExec));
}

TEST(AccessTest, StickyDirectoryProtectsOthersEntries) {
    auto dir = file(01777, 0, 0, DFS_TYPE_DIR);
    auto victim = file(0644, 10, 20);
    EXPECT_TRUE(mayDeleteFrom(dir, victim, who(10, 20)));
    EXPECT_FALSE(mayDeleteFrom(dir, victim, who(11, 20)));
    EXPECT_TRUE(mayDeleteFrom(dir, victim, who(0, 0)));
    EXPECT_TRUE(mayDeleteFrom(file(0777, 0, 0, DFS_TYPE_DIR), victim, who(11, 20)));
}

TEST(AccessTest, AccessBitsFollowTypeAndShare) {
    auto d = file(0755, 10, 20, DFS_TYPE_DIR);
    uint32_t all = 0x3f;
    EXPECT_EQ(accessBits(d, who(10, 20), false, all),
              uint32_t{DFS_ACCESS_READ | DFS_ACCESS_LOOKUP | DFS_ACCESS_MODIFY | DFS_ACCESS_EXTEND | DFS_ACCESS_DELETE});
    EXPECT_EQ(accessBits(d, who(10, 20), true, all), uint32_t{DFS_ACCESS_READ | DFS_ACCESS_LOOKUP});
    EXPECT_EQ(accessBits(file(0755), who(11, 21), false, all), uint32_t{DFS_ACCESS_READ | DFS_ACCESS_EXECUTE});
    EXPECT_EQ(accessBits(file(0755), who(11, 21), false, DFS_ACCESS_READ), uint32_t{DFS_ACCESS_READ});
}

}  // namespace
}  // namespace dfs::kernel
