// NLM SHARE and UNSHARE (XNFS 14.3.17-18, 10.3.11-12): DOS-style share reservations on a
// whole file, through a real dittofsd. libnfs has no client call for them, so they go
// through the raw RPC client; the conflicts are the kernel lock manager's, the same ones
// an NFSv4 OPEN or an SMB share mode meets.
#include "nlm_fixture.hpp"

namespace dfs::nlm::itest {
namespace {

// fsh4_mode (what is denied to others) and fsh4_access (what the opener does).
enum : uint32_t { kDenyNone = 0, kDenyRead = 1, kDenyWrite = 2, kDenyBoth = 3 };
enum : uint32_t { kAccessNone = 0, kAccessRead = 1, kAccessWrite = 2, kAccessBoth = 3 };

struct ShareOwner {
    std::string caller;
    std::string oh;
};

const ShareOwner kA{"hostA", "owner-a"};
const ShareOwner kB{"hostB", "owner-b"};

class NlmShareTest : public NlmTest {
protected:
    static std::string shareArgs(const ShareOwner& o, const std::string& fh, uint32_t mode, uint32_t access,
                                 bool reclaim = false, const std::string& cookie = "sc01") {
        std::vector<uint8_t> b(2048);
        xdr::Writer w(b.data(), b.size());
        w.var(cookie);
        w.var(o.caller);
        w.var(fh);
        w.var(o.oh);
        w.u32(mode);
        w.u32(access);
        w.boolean(reclaim);
        return bytesOf(b, w);
    }

    // The nlm4_stats of a SHARE (proc 20) or UNSHARE (21), after checking the reply's
    // shape (cookie echoed, sequence present); 99 if the call failed.
    uint32_t shareCall(uint32_t proc, const ShareOwner& o, const std::string& fh, uint32_t mode, uint32_t access,
                       uint32_t vers = 4) {
        auto r = rawCall(vers, proc, shareArgs(o, fh, mode, access));
        if (!r || r->acceptStat != 0) {
            ADD_FAILURE() << "call failed, accept_stat " << (r ? r->acceptStat : 99);
            return 99;
        }
        // cookie "sc01" (4 + 4), stat, sequence
        EXPECT_EQ(r->results.size(), 16u);
        if (r->results.size() < 16) {
            return 99;
        }
        EXPECT_EQ(r->results.substr(4, 4), "sc01");
        return dfs::testing::be32(r->results, 8);
    }
    uint32_t share(const ShareOwner& o, const std::string& fh, uint32_t mode, uint32_t access, uint32_t vers = 4) {
        return shareCall(20, o, fh, mode, access, vers);
    }
    uint32_t unshare(const ShareOwner& o, const std::string& fh, uint32_t mode, uint32_t access, uint32_t vers = 4) {
        return shareCall(21, o, fh, mode, access, vers);
    }
};

TEST_F(NlmShareTest, DenyModesRefuseWhatTheyDeny) {
    std::string f = createFile("shared");
    EXPECT_EQ(share(kA, f, kDenyWrite, kAccessRead), NLM4_GRANTED);
    EXPECT_EQ(share(kB, f, kDenyNone, kAccessWrite), NLM4_DENIED) << "A denies writers";
    EXPECT_EQ(share(kB, f, kDenyNone, kAccessRead), NLM4_GRANTED) << "readers are welcome";
    EXPECT_EQ(share(kB, f, kDenyRead, kAccessRead), NLM4_DENIED) << "A already reads";
    EXPECT_EQ(share(kA, f, kDenyNone, kAccessWrite), NLM4_DENIED) << "A's own reservation denies writing too";
    EXPECT_EQ(share(kB, f, kDenyBoth, kAccessRead), NLM4_DENIED) << "denying readers while A reads";
    // A reservation without access takes part in no conflict (as SMB attribute-only opens).
    EXPECT_EQ(share(kB, f, kDenyBoth, kAccessNone), NLM4_GRANTED);
    EXPECT_EQ(unshare(kB, f, kDenyBoth, kAccessNone), NLM4_GRANTED);
    // UNSHARE names the reservation by its bits; unsharing one that is not held is fine.
    EXPECT_EQ(unshare(kA, f, kDenyNone, kAccessRead), NLM4_GRANTED);
    EXPECT_EQ(share(kB, f, kDenyNone, kAccessWrite), NLM4_DENIED) << "the wrong bits ended nothing";
    EXPECT_EQ(unshare(kA, f, kDenyWrite, kAccessRead), NLM4_GRANTED);
    EXPECT_EQ(share(kB, f, kDenyNone, kAccessWrite), NLM4_GRANTED) << "A's reservation is gone";
    // Another file is not affected.
    std::string g = createFile("other");
    EXPECT_EQ(share(kA, g, kDenyBoth, kAccessBoth), NLM4_GRANTED);
}

TEST_F(NlmShareTest, Version3AndVersion4SeeEachOther) {
    std::string f = createFile("v3share");
    EXPECT_EQ(share(kA, f, kDenyBoth, kAccessBoth, 3), NLM4_GRANTED);
    EXPECT_EQ(share(kB, f, kDenyNone, kAccessRead, 4), NLM4_DENIED);
    EXPECT_EQ(unshare(kA, f, kDenyBoth, kAccessBoth, 4), NLM4_GRANTED);
    EXPECT_EQ(share(kB, f, kDenyNone, kAccessRead, 3), NLM4_GRANTED);
    auto r = rawCall(1, 20, shareArgs(kA, f, kDenyNone, kAccessRead));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->acceptStat, 3u) << "SHARE is not in version 1";
}

TEST_F(NlmShareTest, FreeAllDropsAClientsReservations) {
    std::string f = createFile("freeall");
    ASSERT_EQ(share(kA, f, kDenyWrite, kAccessRead), NLM4_GRANTED);
    ASSERT_EQ(share(kB, f, kDenyNone, kAccessWrite), NLM4_DENIED);
    std::vector<uint8_t> b(256);
    xdr::Writer w(b.data(), b.size());
    w.var(kA.caller);
    w.u32(3);  // the new state
    auto r = rawCall(4, 23, bytesOf(b, w));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->acceptStat, 0u);
    EXPECT_EQ(share(kB, f, kDenyNone, kAccessWrite), NLM4_GRANTED);
}

TEST_F(NlmShareTest, BadHandlesAndMalformedArguments) {
    std::string f = createFile("badshare");
    EXPECT_EQ(share(kA, std::string(200, 'x'), kDenyNone, kAccessRead), NLM4_STALE_FH) << "longer than any handle";
    EXPECT_EQ(share(kA, std::string(16, 'x'), kDenyNone, kAccessRead), NLM4_STALE_FH);
    std::string good = shareArgs(kA, f, kDenyNone, kAccessRead);
    for (size_t cut : {size_t{0}, size_t{8}, good.size() - 4}) {
        auto r = rawCall(4, 20, good.substr(0, cut));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->acceptStat, 4u) << "truncated at " << cut;
    }
    for (uint32_t proc : {20u, 21u}) {
        auto r = rawCall(4, proc, shareArgs(kA, f, 4, kAccessRead));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->acceptStat, 4u) << "fsh4_mode 4 is not a mode";
        r = rawCall(4, proc, shareArgs(kA, f, kDenyNone, 9));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->acceptStat, 4u) << "fsh4_access 9 is not an access";
        r = rawCall(4, proc, good + std::string(4, '\0'));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->acceptStat, 4u) << "trailing bytes";
    }
    EXPECT_EQ(share(kA, f, kDenyNone, kAccessRead), NLM4_GRANTED) << "the server is still serving";
}

// Reservations survive a restart in the state database and are reclaimed in grace.
class NlmShareGraceTest : public NlmShareTest {
protected:
    std::string storesSection() const override { return persistentStoresSection(); }
};

TEST_F(NlmShareGraceTest, ReservationsAreReclaimedAfterARestart) {
    std::string f = createFile("graceshare");
    ASSERT_EQ(share(kA, f, kDenyWrite, kAccessRead), NLM4_GRANTED);
    ASSERT_EQ(server_.stop(), 0);
    nlm_.reset();
    nfs_.reset();
    ASSERT_TRUE(server_.start()) << server_.log();
    connectAll();
    EXPECT_EQ(share(kB, f, kDenyNone, kAccessRead), NLM4_DENIED_GRACE_PERIOD) << "only reclaims in grace";
    auto r = rawCall(4, 20, shareArgs(kA, f, kDenyWrite, kAccessRead, true));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->acceptStat, 0u);
    EXPECT_EQ(dfs::testing::be32(r->results, 8), NLM4_GRANTED) << "hostA reclaims its reservation";
    // hostA was the only client: its reclaim ends grace, and its reservation holds.
    EXPECT_EQ(share(kB, f, kDenyNone, kAccessWrite), NLM4_DENIED);
    EXPECT_EQ(share(kB, f, kDenyNone, kAccessRead), NLM4_GRANTED);
}

}  // namespace
}  // namespace dfs::nlm::itest
