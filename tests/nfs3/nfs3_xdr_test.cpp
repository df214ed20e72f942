// The NFSv3 XDR codecs (plugins/nfs3/nfs3_xdr.cpp) and the status map, byte by byte
// against RFC 1813.
#include "nfs3_status.hpp"
#include "nfs3_xdr.hpp"

#include <dittofs/cpp/views.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace dfs::nfs3 {
namespace {

class Bytes {
public:
    Bytes& u32(uint32_t v) { return w_.u32(v), *this; }
    Bytes& u64(uint64_t v) { return w_.u64(v), *this; }
    Bytes& str(std::string_view s) { return w_.var(s), *this; }
    dfs_bytes_t view() const { return dfs_bytes_t{buf_.data(), w_.size()}; }
    dfs_bytes_t prefix(size_t n) const { return dfs_bytes_t{buf_.data(), n}; }
    size_t size() const { return w_.size(); }

private:
    std::vector<uint8_t> buf_ = std::vector<uint8_t>(4096);
    xdr::Writer w_{buf_.data(), buf_.size()};
};

TEST(Nfs3XdrTest, SattrMapsEveryFieldAndTimeHow) {
    Bytes b;
    b.str("abcd");                           // fh
    b.u32(1).u32(0755).u32(1).u32(7).u32(0);  // mode, uid, no gid
    b.u32(1).u64(uint64_t{1} << 40);          // size
    b.u32(SET_TO_SERVER_TIME).u32(SET_TO_CLIENT_TIME).u32(99).u32(5);
    b.u32(1).u32(1234).u32(999999999);  // guard
    SetattrArgs a;
    ASSERT_TRUE(decodeSetattrArgs(b.view(), a));
    EXPECT_EQ(a.fh.len, 4u);
    EXPECT_EQ(a.attr.sa.mask, uint32_t{DFS_SET_MODE | DFS_SET_UID | DFS_SET_SIZE | DFS_SET_ATIME_NOW | DFS_SET_MTIME});
    EXPECT_EQ(a.attr.sa.mode, 0755u);
    EXPECT_EQ(a.attr.sa.uid, 7u);
    EXPECT_EQ(a.attr.sa.size, uint64_t{1} << 40);
    EXPECT_EQ(a.attr.sa.mtime.sec, 99);
    EXPECT_EQ(a.attr.sa.mtime.nsec, 5u);
    EXPECT_TRUE(a.attr.valid);
    EXPECT_TRUE(a.guard);
    EXPECT_EQ(a.guardCtime.sec, 1234);
    EXPECT_EQ(a.guardCtime.nsec, 999999999u);
    // Every truncation of valid arguments is garbage.
    for (size_t n = 0; n < b.size(); ++n) {
        SetattrArgs t;
        EXPECT_FALSE(decodeSetattrArgs(b.prefix(n), t)) << n;
    }
}

TEST(Nfs3XdrTest, BadEnumsAndBoolsAreGarbageButBadNanosecondsAreNot) {
    Bytes how;
    how.u32(0).u32(0).u32(0).u32(0).u32(0).u32(3).u32(0).u32(0);
    SetattrArgs a;
    EXPECT_FALSE(decodeSetattrArgs(how.view(), a)) << "time_how 3";
    Bytes boolean;
    boolean.u32(0).u32(2);
    SetattrArgs b;
    EXPECT_FALSE(decodeSetattrArgs(boolean.view(), b)) << "bool 2";
    Bytes nsec;
    nsec.u32(0).u32(0).u32(0).u32(0).u32(0).u32(SET_TO_CLIENT_TIME).u32(1).u32(1000000000).u32(0).u32(0);
    SetattrArgs c;
    ASSERT_TRUE(decodeSetattrArgs(nsec.view(), c));
    EXPECT_FALSE(c.attr.valid);
    Bytes longFh;
    longFh.u32(65);
    FhArgs f;
    EXPECT_FALSE(decodeFhArgs(longFh.view(), f));
    Bytes write;
    write.u32(0).u64(0).u32(1).u32(3).str("x");
    WriteArgs w;
    EXPECT_FALSE(decodeWriteArgs(write.view(), w)) << "stable_how 3";
}

TEST(Nfs3XdrTest, CreateHowAndMknodUnion) {
    Bytes ex;
    ex.u32(0).str("name").u32(EXCLUSIVE).u32(0x01020304).u32(0x05060708);
    CreateArgs c;
    ASSERT_TRUE(decodeCreateArgs(ex.view(), c));
    EXPECT_EQ(c.where.name, "name");
    EXPECT_EQ(c.mode, EXCLUSIVE);
    EXPECT_EQ(c.verf[0], 1);
    EXPECT_EQ(c.verf[7], 8);
    Bytes dev;
    dev.u32(0).str("c").u32(DFS_TYPE_BLK).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(8).u32(1);
    MknodArgs m;
    ASSERT_TRUE(decodeMknodArgs(dev.view(), m));
    EXPECT_EQ(m.type, uint32_t{DFS_TYPE_BLK});
    EXPECT_EQ(m.major, 8u);
    EXPECT_EQ(m.minor, 1u);
    Bytes reg;
    reg.u32(0).str("r").u32(DFS_TYPE_REG);  // default arm: void
    MknodArgs r;
    EXPECT_TRUE(decodeMknodArgs(reg.view(), r));
}

TEST(Nfs3XdrTest, ReaddirArgsAndEntrySizes) {
    Bytes b;
    b.u32(0).u64(77).u64(0x1122334455667788ull).u32(100).u32(200);
    ReaddirArgs a;
    ASSERT_TRUE(decodeReaddirplusArgs(b.view(), a));
    EXPECT_EQ(a.cookie, 77u);
    EXPECT_EQ(a.verf[0], 0x11);
    EXPECT_EQ(a.dircount, 100u);
    EXPECT_EQ(a.count, 200u);
    EXPECT_EQ(entrySize(1), 4u + 8 + 4 + 4 + 8);
    EXPECT_EQ(entryDirInfoSize(5), 8u + 4 + 8 + 8);
    dfs_fh_t fh{};
    fh.len = 24;
    EXPECT_EQ(entryPlusSize(4, true, &fh), entrySize(4) + 4 + 84 + 4 + 4 + 24);
    EXPECT_EQ(entryPlusSize(4, false, nullptr), entrySize(4) + 8);
}

TEST(Nfs3XdrTest, FattrLayoutMatchesTheRfc) {
    auto a = makeStruct<dfs_attr_t>();
    a.type = DFS_TYPE_CHR;
    a.mode = 0104755;
    a.nlink = 2;
    a.uid = 3;
    a.gid = 4;
    a.size = uint64_t{6} << 32;
    a.used = 7;
    a.rdev_major = 8;
    a.rdev_minor = 9;
    a.ino = 10;
    a.atime = dfs_time_t{-5, 1, 0};
    a.mtime = dfs_time_t{int64_t{1} << 33, 2, 0};
    a.ctime = dfs_time_t{12, 999999999, 0};
    std::vector<uint8_t> buf(kPostOpAttrMax);
    xdr::Writer w(buf.data(), buf.size());
    encodePostOpAttr(w, a, 11);
    ASSERT_TRUE(w.ok());
    ASSERT_EQ(w.size(), kPostOpAttrMax);
    xdr::Reader r(buf.data(), buf.size());
    EXPECT_TRUE(r.boolean());
    EXPECT_EQ(r.u32(), 4u);
    EXPECT_EQ(r.u32(), 04755u) << "only permission bits";
    EXPECT_EQ(r.u32(), 2u);
    EXPECT_EQ(r.u32(), 3u);
    EXPECT_EQ(r.u32(), 4u);
    EXPECT_EQ(r.u64(), uint64_t{6} << 32);
    EXPECT_EQ(r.u64(), 7u);
    EXPECT_EQ(r.u32(), 8u);
    EXPECT_EQ(r.u32(), 9u);
    EXPECT_EQ(r.u64(), 11u);
    EXPECT_EQ(r.u64(), 10u);
    EXPECT_EQ(r.u32(), 0u) << "before the epoch clamps to 0";
    EXPECT_EQ(r.u32(), 1u);
    EXPECT_EQ(r.u32(), UINT32_MAX) << "after 2106 clamps";
    EXPECT_EQ(r.u32(), 2u);
    EXPECT_EQ(r.u32(), 12u);
    EXPECT_EQ(r.u32(), 999999999u);
    EXPECT_EQ(r.remaining(), 0u);
    // Absent attributes and wcc.
    xdr::Writer w2(buf.data(), buf.size());
    encodePostOpAttr(w2, makeStruct<dfs_attr_t>(), 1);
    encodeWcc(w2, makeStruct<dfs_wcc_t>(), 1);
    EXPECT_EQ(w2.size(), 12u);
}

TEST(Nfs3StatusTest, EveryVfsCodeHasAnNfsstat3) {
    EXPECT_EQ(toNfsStat3(DFS_OK), NFS3_OK);
    EXPECT_EQ(toNfsStat3(DFS_ERR_STALE), NFS3ERR_STALE);
    EXPECT_EQ(toNfsStat3(DFS_ERR_BADHANDLE), NFS3ERR_BADHANDLE);
    EXPECT_EQ(toNfsStat3(DFS_ERR_DELAY), NFS3ERR_JUKEBOX);
    EXPECT_EQ(toNfsStat3(DFS_ERR_NOT_SYNC), NFS3ERR_NOT_SYNC);
    EXPECT_EQ(toNfsStat3(DFS_ERR_BADCOOKIE), NFS3ERR_BAD_COOKIE);
    EXPECT_EQ(toNfsStat3(DFS_ERR_TOOSMALL), NFS3ERR_TOOSMALL);
    EXPECT_EQ(toNfsStat3(DFS_ERR_NOTSUPP), NFS3ERR_NOTSUPP);
    EXPECT_EQ(toNfsStat3(DFS_ERR_BADNAME), NFS3ERR_INVAL);
    EXPECT_EQ(toNfsStat3ForName(DFS_ERR_BADNAME, "."), NFS3ERR_EXIST);
    EXPECT_EQ(toNfsStat3ForName(DFS_ERR_BADNAME, ".."), NFS3ERR_EXIST);
    EXPECT_EQ(toNfsStat3ForName(DFS_ERR_BADNAME, "a/b"), NFS3ERR_INVAL);
    EXPECT_EQ(toNfsStat3ForLookup(DFS_ERR_BADNAME), NFS3ERR_NOENT);
    EXPECT_EQ(toNfsStat3(12345), NFS3ERR_SERVERFAULT);
    // Every code maps to a value RFC 1813 defines.
    const std::vector<uint32_t> defined = {0, 1, 2, 5, 6, 13, 17, 18, 19, 20, 21, 22, 27, 28, 30, 31, 63, 66, 69, 70,
                                           71, 10001, 10002, 10003, 10004, 10005, 10006, 10007, 10008};
    for (dfs_status_t s = DFS_OK; s <= DFS_ERR_BADNAME; ++s) {
        EXPECT_NE(std::find(defined.begin(), defined.end(), toNfsStat3(s)), defined.end()) << s;
    }
    EXPECT_EQ(toMountStat3(DFS_ERR_ACCES), MNT3ERR_ACCES);
    EXPECT_EQ(toMountStat3(DFS_ERR_NOENT), MNT3ERR_NOENT);
    EXPECT_EQ(toMountStat3(DFS_ERR_IO), MNT3ERR_IO);
}

}  // namespace
}  // namespace dfs::nfs3
