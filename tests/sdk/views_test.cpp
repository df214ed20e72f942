#include <dittofs/cpp/views.hpp>

#include <gtest/gtest.h>

namespace dfs {
namespace {

TEST(ViewsTest, CopyStructZeroFillsWhatAnOlderPeerDidNotSend) {
    dfs_attr_t full = makeStruct<dfs_attr_t>();
    full.type = DFS_TYPE_REG;
    full.ino = 42;
    full.size = 777;
    dfs_attr_t older = full;
    older.struct_size = offsetof(dfs_attr_t, generation);  // knows type and ino only
    dfs_attr_t got = copyStruct(&older);
    EXPECT_EQ(got.struct_size, sizeof(dfs_attr_t));
    EXPECT_EQ(got.ino, 42u);
    EXPECT_EQ(got.size, 0u);
    dfs_attr_t none = copyStruct<dfs_attr_t>(nullptr);
    EXPECT_EQ(none.ino, 0u);
    // A newer peer's bigger struct is cut to what we know.
    dfs_attr_t newer = full;
    newer.struct_size = sizeof(dfs_attr_t) + 64;
    EXPECT_EQ(copyStruct(&newer).size, 777u);
}

TEST(ViewsTest, NameRules) {
    EXPECT_EQ(checkName("a"), DFS_OK);
    EXPECT_EQ(checkName(std::string(255, 'x')), DFS_OK);
    EXPECT_EQ(checkName(std::string(256, 'x')), DFS_ERR_NAMETOOLONG);
    EXPECT_EQ(checkName(""), DFS_ERR_BADNAME);
    EXPECT_EQ(checkName("."), DFS_ERR_BADNAME);
    EXPECT_EQ(checkName(".."), DFS_ERR_BADNAME);
    EXPECT_EQ(checkName("a/b"), DFS_ERR_BADNAME);
    EXPECT_EQ(checkName(std::string_view("a\0b", 3)), DFS_ERR_BADNAME);
    EXPECT_EQ(checkName("..."), DFS_OK);
}

TEST(ViewsTest, ViewsRoundTrip) {
    std::string s = "hello";
    EXPECT_EQ(toView(toC(s)), "hello");
    EXPECT_EQ(toStringView(toBytes(s)), "hello");
    EXPECT_TRUE(toView(dfs_str_t{nullptr, 5}).empty());
}

}  // namespace
}  // namespace dfs
