#include <dittofs/cpp/result.hpp>

#include <gtest/gtest.h>

#include <string>

namespace dfs {
namespace {

Result<int> half(int v) {
    if (v % 2 != 0) {
        return makeError(DFS_ERR_INVAL);
    }
    return v / 2;
}

TEST(ResultTest, CarriesValueOrError) {
    auto a = half(8);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(*a, 4);
    EXPECT_EQ(a.code(), DFS_OK);
    auto b = half(3);
    EXPECT_FALSE(b.ok());
    EXPECT_EQ(b.code(), DFS_ERR_INVAL);
    EXPECT_EQ(b.toC().code, DFS_ERR_INVAL);
}

TEST(ResultTest, StatusConvertsFromTheCError) {
    Status s = dfs_err_t{DFS_ERR_NOENT, ENOENT};
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.error().sysErrno, ENOENT);
    EXPECT_TRUE(Status(kOk).ok());
}

TEST(ResultTest, ErrnoMapping) {
    EXPECT_EQ(errnoError(ENOENT).code, DFS_ERR_NOENT);
    EXPECT_EQ(errnoError(ENOSPC).code, DFS_ERR_NOSPC);
    EXPECT_EQ(errnoError(ENOTEMPTY).code, DFS_ERR_NOTEMPTY);
    EXPECT_EQ(errnoError(EBADF).code, DFS_ERR_IO);
    EXPECT_EQ(errnoError(EBADF).sysErrno, EBADF);
}

TEST(ResultTest, EveryStatusHasAName) {
    for (dfs_status_t c = DFS_OK; c <= DFS_ERR_BADNAME; ++c) {
        EXPECT_STRNE(statusName(c), "UNKNOWN") << c;
    }
    EXPECT_STREQ(statusName(9999), "UNKNOWN");
}

}  // namespace
}  // namespace dfs
