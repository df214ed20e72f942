#include "src/handle.hpp"

#include <gtest/gtest.h>

namespace dfs::kernel {
namespace {

TEST(HandleTest, RoundTrips) {
    HandleParts p{7, 0x0102030405060708ull, 0xfedcba9876543210ull};
    dfs_fh_t fh = encodeHandle(p);
    EXPECT_EQ(fh.len, kHandleSize);
    HandleParts q;
    ASSERT_EQ(decodeHandle(&fh, q), DFS_OK);
    EXPECT_EQ(q.shareId, 7u);
    EXPECT_EQ(q.ino, p.ino);
    EXPECT_EQ(q.generation, p.generation);
}

TEST(HandleTest, RejectsMalformedHandles) {
    dfs_fh_t fh = encodeHandle(HandleParts{1, 2, 3});
    HandleParts q;
    dfs_fh_t bad = fh;
    bad.len = 23;
    EXPECT_EQ(decodeHandle(&bad, q), DFS_ERR_BADHANDLE);
    bad = fh;
    bad.len = DFS_FH_MAX + 1;
    EXPECT_EQ(decodeHandle(&bad, q), DFS_ERR_BADHANDLE);
    bad = fh;
    bad.data[0] = 'X';
    EXPECT_EQ(decodeHandle(&bad, q), DFS_ERR_BADHANDLE);
    bad = fh;
    bad.data[1] = 2;
    EXPECT_EQ(decodeHandle(&bad, q), DFS_ERR_BADHANDLE);
    EXPECT_EQ(decodeHandle(nullptr, q), DFS_ERR_BADHANDLE);
    dfs_fh_t zeroShare = encodeHandle(HandleParts{0, 2, 3});
    EXPECT_EQ(decodeHandle(&zeroShare, q), DFS_ERR_BADHANDLE);
}

}  // namespace
}  // namespace dfs::kernel
