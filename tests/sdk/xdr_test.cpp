#include <dittofs/cpp/xdr.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace dfs::xdr {
namespace {

TEST(XdrTest, RoundTripsEveryType) {
    std::vector<uint8_t> buf(64);
    Writer w(buf.data(), buf.size());
    w.u32(0xdeadbeef);
    w.i32(-2);
    w.u64(0x0102030405060708ull);
    w.boolean(true);
    w.var("abcde");
    w.fixed("xy");
    ASSERT_TRUE(w.ok());
    EXPECT_EQ(w.size(), 4u + 4 + 8 + 4 + (4 + 8) + 4);
    Reader r(buf.data(), w.size());
    EXPECT_EQ(r.u32(), 0xdeadbeefu);
    EXPECT_EQ(r.i32(), -2);
    EXPECT_EQ(r.u64(), 0x0102030405060708ull);
    EXPECT_TRUE(r.boolean());
    EXPECT_EQ(r.var(16), "abcde");
    EXPECT_EQ(r.fixed(2), "xy");
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.remaining(), 0u);
    // Big-endian on the wire (RFC 4506 section 4.1).
    EXPECT_EQ(buf[0], 0xde);
    EXPECT_EQ(buf[3], 0xef);
    // Padding bytes are zero.
    EXPECT_EQ(buf[20 + 4 + 5], 0);
}

TEST(XdrTest, ReaderFailsAndStaysFailed) {
    uint8_t two[] = {0, 0, 0, 9, 'a', 'b'};
    Reader r(two, sizeof two);
    EXPECT_EQ(r.var(100), "");  // claims 9 bytes, has 2
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.u32(), 0u);
    EXPECT_FALSE(r.ok());
    uint8_t big[] = {0, 0, 1, 0};
    Reader r2(big, sizeof big);
    r2.var(255);  // 256 > max
    EXPECT_FALSE(r2.ok());
    uint8_t badBool[] = {0, 0, 0, 2};
    Reader r3(badBool, sizeof badBool);
    r3.boolean();
    EXPECT_FALSE(r3.ok());
    Reader r4(nullptr, 0);
    r4.u64();
    EXPECT_FALSE(r4.ok());
}

TEST(XdrTest, WriterReportsOverflowAndReservesInPlace) {
    std::vector<uint8_t> buf(12);
    Writer w(buf.data(), buf.size());
    uint8_t* at = w.reserveOpaque(7);
    ASSERT_NE(at, nullptr);
    std::memcpy(at, "abc", 3);
    w.shrinkOpaque(at, 7, 3);
    EXPECT_TRUE(w.ok());
    EXPECT_EQ(w.size(), 4u);
    w.u64(1);
    EXPECT_TRUE(w.ok());
    w.u32(1);  // 4 + 8 + 4 > 12
    EXPECT_FALSE(w.ok());
}

}  // namespace
}  // namespace dfs::xdr
