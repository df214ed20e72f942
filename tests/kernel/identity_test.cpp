#include "src/identity.hpp"

#include <dittofs/cpp/views.hpp>

#include <gtest/gtest.h>

namespace dfs::kernel {
namespace {

dfs_cred_t cred(uint32_t uid, uint32_t gid, std::initializer_list<uint32_t> groups = {}) {
    auto c = makeStruct<dfs_cred_t>();
    c.flavor = DFS_FLAVOR_SYS;
    c.uid = uid;
    c.gid = gid;
    for (auto g : groups) {
        c.groups[c.ngroups++] = g;
    }
    return c;
}

ShareConfig share(Squash s) {
    ShareConfig c;
    c.squash = s;
    c.anonUid = 65534;
    c.anonGid = 65533;
    return c;
}

TEST(IdentityTest, RootSquashMapsRootAndGroupZero) {
    auto e = effectiveCred(share(Squash::root), cred(0, 0, {0, 10}));
    EXPECT_EQ(e.uid, 65534u);
    EXPECT_EQ(e.gid, 65533u);
    EXPECT_EQ(e.groups[0], 65533u);
    EXPECT_EQ(e.groups[1], 10u);
}

TEST(IdentityTest, RootSquashLeavesOthersAlone) {
    auto e = effectiveCred(share(Squash::root), cred(1000, 100, {20}));
    EXPECT_EQ(e.uid, 1000u);
    EXPECT_EQ(e.gid, 100u);
    EXPECT_EQ(e.ngroups, 1u);
}

TEST(IdentityTest, NoSquashKeepsRoot) {
    auto e = effectiveCred(share(Squash::none), cred(0, 0));
    EXPECT_EQ(e.uid, 0u);
    EXPECT_EQ(e.gid, 0u);
}

TEST(IdentityTest, AllSquashMapsEveryone) {
    auto e = effectiveCred(share(Squash::all), cred(1000, 100, {1, 2, 3}));
    EXPECT_EQ(e.uid, 65534u);
    EXPECT_EQ(e.gid, 65533u);
    EXPECT_EQ(e.ngroups, 0u);
}

TEST(IdentityTest, AuthNoneIsAnonymous) {
    auto c = cred(0, 0);
    c.flavor = DFS_FLAVOR_NONE;
    auto e = effectiveCred(share(Squash::none), c);
    EXPECT_EQ(e.uid, 65534u);
}

TEST(IdentityTest, GroupCountIsBounded) {
    auto c = cred(5, 5);
    c.ngroups = 1000;
    auto e = effectiveCred(share(Squash::none), c);
    EXPECT_EQ(e.ngroups, DFS_CRED_MAX_GROUPS);
    EXPECT_FALSE(credInGroup(cred(1, 2, {3}), 4));
    EXPECT_TRUE(credInGroup(cred(1, 2, {3}), 3));
    EXPECT_TRUE(credInGroup(cred(1, 2, {3}), 2));
}

}  // namespace
}  // namespace dfs::kernel
