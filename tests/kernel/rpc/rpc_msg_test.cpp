#include "src/rpc/rpc_drc.hpp"
#include "src/rpc/rpc_msg.hpp"

#include <dittofs/cpp/xdr.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace dfs::kernel::rpc {
namespace {

std::string call(uint32_t xid, uint32_t credLen, std::string_view args) {
    std::vector<uint8_t> b(64 + credLen + args.size());
    xdr::Writer w(b.data(), b.size());
    w.u32(xid);
    w.u32(kCall);
    w.u32(2);
    w.u32(100003);
    w.u32(3);
    w.u32(1);
    w.u32(1);
    w.var(std::string(credLen, 'c'));
    w.u32(0);
    w.u32(0);
    w.fixed(args);
    return std::string(reinterpret_cast<char*>(b.data()), w.size());
}

TEST(RpcMsgTest, DecodesACall) {
    CallHeader h;
    std::optional<uint32_t> xid;
    const std::string rec = call(42, 8, "argsargs");  // the header's views point into it
    ASSERT_EQ(decodeCall(rec, h, xid), DecodeResult::ok);
    EXPECT_EQ(h.xid, 42u);
    EXPECT_EQ(h.prog, 100003u);
    EXPECT_EQ(h.vers, 3u);
    EXPECT_EQ(h.proc, 1u);
    EXPECT_EQ(h.credFlavor, 1u);
    EXPECT_EQ(h.credBody.size(), 8u);
    EXPECT_EQ(h.args, "argsargs");
}

TEST(RpcMsgTest, RefusesMalformedHeaders) {
    CallHeader h;
    std::optional<uint32_t> xid;
    EXPECT_EQ(decodeCall("", h, xid), DecodeResult::notACall);
    EXPECT_FALSE(xid);
    std::string c = call(7, 8, "");
    c[7] = 1;  // a REPLY, not a CALL
    EXPECT_EQ(decodeCall(c, h, xid), DecodeResult::notACall);
    EXPECT_EQ(decodeCall(call(7, 8, "").substr(0, 30), h, xid), DecodeResult::badHeader);
    EXPECT_EQ(xid.value_or(0), 7u);
    EXPECT_EQ(decodeCall(call(8, 401, ""), h, xid), DecodeResult::badHeader) << "opaque_auth body<400>";
}

TEST(RpcMsgTest, EncodesReplies) {
    uint8_t b[kMaxReplyHeader];
    size_t n = encodeAccepted(b, 5, 2, 3, 4);
    xdr::Reader r(b, n);
    EXPECT_EQ(r.u32(), 5u);
    EXPECT_EQ(r.u32(), 1u);  // REPLY
    EXPECT_EQ(r.u32(), 0u);  // MSG_ACCEPTED
    EXPECT_EQ(r.u32(), 0u);  // verf AUTH_NONE
    EXPECT_EQ(r.u32(), 0u);
    EXPECT_EQ(r.u32(), 2u);  // PROG_MISMATCH
    EXPECT_EQ(r.u32(), 3u);
    EXPECT_EQ(r.u32(), 4u);
    EXPECT_TRUE(r.ok());
    n = encodeAuthError(b, 6, kAuthTooWeak);
    xdr::Reader a(b, n);
    a.u32();
    a.u32();
    EXPECT_EQ(a.u32(), 1u);  // MSG_DENIED
    EXPECT_EQ(a.u32(), 1u);  // AUTH_ERROR
    EXPECT_EQ(a.u32(), 5u);
}

TEST(DrcTest, ReplaysCompletedCallsAndDropsRunningOnes) {
    Drc d(2, 1 << 20);
    DrcKey k{"10.0.0.1", 1, 100003, 3, 8, drcChecksum("args")};
    std::vector<uint8_t> out;
    EXPECT_EQ(d.begin(k, out), Drc::Lookup::miss);
    EXPECT_EQ(d.begin(k, out), Drc::Lookup::inProgress);
    d.complete(k, {1, 2, 3});
    EXPECT_EQ(d.begin(k, out), Drc::Lookup::replay);
    EXPECT_EQ(out, (std::vector<uint8_t>{1, 2, 3}));
    DrcKey other = k;
    other.checksum = drcChecksum("other");
    EXPECT_EQ(d.begin(other, out), Drc::Lookup::miss) << "same xid, other arguments: a new call";
    d.complete(other, {4});
    DrcKey third = k;
    third.xid = 2;
    EXPECT_EQ(d.begin(third, out), Drc::Lookup::miss);
    EXPECT_EQ(d.entries(), 2u) << "bounded";
    EXPECT_EQ(d.begin(k, out), Drc::Lookup::miss) << "the oldest was evicted";
    d.abandon(k);
    EXPECT_EQ(d.begin(k, out), Drc::Lookup::miss);
}

TEST(RpcMsgTest, DecodesRepliesToOurOwnCalls) {
    uint8_t hdr[kMaxReplyHeader];
    size_t n = encodeAccepted(hdr, 77, 0);
    std::string ok(reinterpret_cast<char*>(hdr), n);
    ok += std::string("\0\0\0\x07", 4);  // results: one word
    ReplyHeader h;
    ASSERT_TRUE(decodeReply(ok, h));
    EXPECT_EQ(h.xid, 77u);
    EXPECT_FALSE(h.denied);
    EXPECT_EQ(h.acceptStat, 0u);
    EXPECT_EQ(h.results, std::string_view("\0\0\0\x07", 4));
    n = encodeAuthError(hdr, 78, kAuthTooWeak);
    ASSERT_TRUE(decodeReply(std::string(reinterpret_cast<char*>(hdr), n), h));
    EXPECT_TRUE(h.denied);
    EXPECT_EQ(h.xid, 78u);
    EXPECT_FALSE(decodeReply(call(79, 0, ""), h)) << "a call is not a reply";
    for (size_t cut : {size_t{0}, size_t{4}, size_t{10}, size_t{19}}) {
        EXPECT_FALSE(decodeReply(ok.substr(0, cut), h)) << "truncated at " << cut;
    }
    std::string badStat = ok;
    badStat[11] = 5;  // reply_stat 5
    EXPECT_FALSE(decodeReply(badStat, h));
    std::string longVerf = ok;
    longVerf[19] = 0x7f;  // verifier body longer than the record
    EXPECT_FALSE(decodeReply(longVerf, h));
}

}  // namespace
}  // namespace dfs::kernel::rpc
