// Every NFSv3 and MOUNT v3 procedure through the plugin's dispatchers, in process, over
// the kernel's VFS and the mem stores (nfs3_harness.hpp): results, attributes and the
// error codes of RFC 1813 a client would see.
#include "nfs3_harness.hpp"

#include <map>
#include <set>

namespace dfs::nfs3::test {
namespace {

using Harness = Nfs3Harness;

TEST_F(Harness, RegistersBothProgramsWithTheNonIdempotentProceduresInTheDrc) {
    uint64_t want = 0;
    for (uint32_t p : {NFSPROC3_SETATTR, NFSPROC3_WRITE, NFSPROC3_CREATE, NFSPROC3_MKDIR, NFSPROC3_SYMLINK,
                       NFSPROC3_MKNOD, NFSPROC3_REMOVE, NFSPROC3_RMDIR, NFSPROC3_RENAME, NFSPROC3_LINK}) {
        want |= uint64_t{1} << p;
    }
    EXPECT_EQ(nfsDrcProcs(), want);
    EXPECT_EQ(mountDrcProcs(), 0u);
    EXPECT_NE(inst_->nfsTcpPort(), 0u);
    EXPECT_NE(inst_->mountTcpPort(), 0u);
}

TEST_F(Harness, NullUnknownProcedureAndGarbage) {
    Args none;
    Reply r = nfs(NFSPROC3_NULL, none);
    EXPECT_EQ(r.stat, DFS_RPC_SUCCESS);
    EXPECT_EQ(r.body.size(), 0u);
    EXPECT_EQ(nfs(22, none).stat, DFS_RPC_PROC_UNAVAIL);
    EXPECT_EQ(mount(6, none, alice_).stat, DFS_RPC_PROC_UNAVAIL);
    EXPECT_EQ(mount(MOUNTPROC3_NULL, none, alice_).stat, DFS_RPC_SUCCESS);
    for (uint32_t p = 1; p < kNfsProcCount; ++p) {
        EXPECT_EQ(nfs(p, none).stat, DFS_RPC_GARBAGE_ARGS) << p;
    }
    for (uint32_t p : {MOUNTPROC3_MNT, MOUNTPROC3_UMNT}) {
        EXPECT_EQ(mount(p, none, alice_).stat, DFS_RPC_GARBAGE_ARGS) << p;
    }
    // An over-long handle is not XDR for nfs_fh3.
    Args big;
    big.u32(65);
    for (int i = 0; i < 17; ++i) {
        big.u32(0);
    }
    EXPECT_EQ(nfs(NFSPROC3_GETATTR, big).stat, DFS_RPC_GARBAGE_ARGS);
}

TEST_F(Harness, MountDumpExportUmnt) {
    Args none;
    Reply r = mount(MOUNTPROC3_EXPORT, none, alice_);
    auto rd = r.reader();
    std::set<std::string> exports;
    std::map<std::string, std::vector<std::string>> groups;
    while (rd.boolean()) {
        std::string path(rd.var(1024));
        exports.insert(path);
        while (rd.ok() && rd.boolean()) {
            groups[path].emplace_back(rd.var(255));
        }
    }
    EXPECT_TRUE(rd.ok());
    EXPECT_EQ(exports, (std::set<std::string>{"/rw", "/ro", "/locked"}));
    EXPECT_EQ(groups.count("/rw"), 0u) << "no list: everyone";
    EXPECT_EQ(groups["/locked"].size(), 1u) << "the share's client networks are its groups";

    Args m;
    m.str("/rw");
    r = mount(MOUNTPROC3_MNT, m, bob_);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), MNT3_OK);
    dfs_fh_t root = fh(rd);
    EXPECT_EQ(root.len, rw_.len);
    EXPECT_EQ(rd.u32(), 2u);
    EXPECT_EQ(rd.u32(), 1u);  // AUTH_SYS
    EXPECT_EQ(rd.u32(), 0u);  // AUTH_NONE
    Args nope;
    nope.str("/nope");
    EXPECT_EQ(mount(MOUNTPROC3_MNT, nope, alice_).reader().u32(), MNT3ERR_NOENT);
    Args locked;
    locked.str("/locked");
    EXPECT_EQ(mount(MOUNTPROC3_MNT, locked, alice_).reader().u32(), MNT3ERR_ACCES);

    r = mount(MOUNTPROC3_DUMP, none, alice_);
    rd = r.reader();
    std::set<std::string> dump;
    while (rd.boolean()) {
        std::string host(rd.var(255));
        dump.insert(host + ":" + std::string(rd.var(1024)));
    }
    EXPECT_EQ(dump, (std::set<std::string>{"127.0.0.1:/rw", "127.0.0.1:/ro"}));
    EXPECT_EQ(mount(MOUNTPROC3_UMNT, m, alice_).stat, DFS_RPC_SUCCESS);
    EXPECT_EQ(mount(MOUNTPROC3_DUMP, none, alice_).body.size(), 4u + 4 + 12 + 4 + 4 + 4);
    EXPECT_EQ(mount(MOUNTPROC3_UMNTALL, none, alice_).stat, DFS_RPC_SUCCESS);
    EXPECT_EQ(mount(MOUNTPROC3_DUMP, none, alice_).body.size(), 4u);
}

TEST_F(Harness, GetattrReportsTheShareAsFsidAndTheInodeAsFileid) {
    Attr a = getattr(rw_);
    EXPECT_EQ(a.type, static_cast<uint32_t>(DFS_TYPE_DIR));
    EXPECT_EQ(a.mode, 0777u);
    EXPECT_EQ(a.fsid, rwId_);
    EXPECT_NE(a.fileid, 0u);
    Args bad;
    bad.u32(3).u32(0);
    EXPECT_EQ(status(nfs(NFSPROC3_GETATTR, bad)), NFS3ERR_BADHANDLE);
}

TEST_F(Harness, CreateModesAndExclusiveVerifier) {
    dfs_fh_t f = create(rw_, "f", 0640);
    EXPECT_EQ(getattr(f).mode, 0640u);
    EXPECT_EQ(getattr(f).uid, 1000u);
    Args again;
    again.dirop(rw_, "f").u32(GUARDED).sattrMode(0600);
    Reply r = nfs(NFSPROC3_CREATE, again);
    auto rd = r.reader();
    EXPECT_EQ(rd.u32(), NFS3ERR_EXIST);
    Wcc w = wcc(rd);
    EXPECT_TRUE(w.before);
    EXPECT_TRUE(w.after.present) << "wcc_data on errors too";
    Args unchecked;
    unchecked.dirop(rw_, "f").u32(UNCHECKED).sattrMode(0600);
    EXPECT_EQ(status(nfs(NFSPROC3_CREATE, unchecked)), NFS3_OK);
    for (const char* dot : {".", ".."}) {
        Args d;
        d.dirop(rw_, dot).u32(GUARDED).sattrMode(0600);
        EXPECT_EQ(status(nfs(NFSPROC3_CREATE, d)), NFS3ERR_EXIST) << dot;
    }
    Args longName;
    longName.dirop(rw_, std::string(300, 'x')).u32(GUARDED).sattrMode(0600);
    EXPECT_EQ(status(nfs(NFSPROC3_CREATE, longName)), NFS3ERR_NAMETOOLONG);

    const uint8_t v1[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const uint8_t v2[8] = {8, 7, 6, 5, 4, 3, 2, 1};
    Args ex;
    ex.dirop(rw_, "x").u32(EXCLUSIVE).fixed(v1, 8);
    r = nfs(NFSPROC3_CREATE, ex);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    ASSERT_TRUE(rd.boolean());
    dfs_fh_t x1 = fh(rd);
    r = nfs(NFSPROC3_CREATE, ex);  // a retransmission finds its own file
    rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    ASSERT_TRUE(rd.boolean());
    dfs_fh_t x2 = fh(rd);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(x1.data), x1.len),
              std::string(reinterpret_cast<char*>(x2.data), x2.len));
    Args other;
    other.dirop(rw_, "x").u32(EXCLUSIVE).fixed(v2, 8);
    EXPECT_EQ(status(nfs(NFSPROC3_CREATE, other)), NFS3ERR_EXIST);
    Args badMode;
    badMode.dirop(rw_, "y").u32(3);
    EXPECT_EQ(nfs(NFSPROC3_CREATE, badMode).stat, DFS_RPC_GARBAGE_ARGS);
}

TEST_F(Harness, WriteReadCommitPastFourGiB) {
    dfs_fh_t f = create(rw_, "big");
    const uint64_t off = (uint64_t{5} << 30) + 3;
    std::string data = "hello, large offset";
    Args w;
    w.fh(f).u64(off).u32(static_cast<uint32_t>(data.size())).u32(DFS_UNSTABLE).str(data);
    Reply r = nfs(NFSPROC3_WRITE, w);
    auto rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    Wcc wc = wcc(rd);
    EXPECT_TRUE(wc.before);
    EXPECT_EQ(wc.beforeSize, 0u);
    EXPECT_EQ(wc.after.size, off + data.size());
    EXPECT_EQ(rd.u32(), data.size());
    EXPECT_GE(rd.u32(), static_cast<uint32_t>(DFS_UNSTABLE));
    std::string verf(rd.fixed(8));

    Args rdArgs;
    rdArgs.fh(f).u64(off - 3).u32(100);
    r = nfs(NFSPROC3_READ, rdArgs);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    EXPECT_EQ(postOpAttr(rd).size, off + data.size());
    EXPECT_EQ(rd.u32(), data.size() + 3);
    EXPECT_TRUE(rd.boolean());
    EXPECT_EQ(rd.var(1000), std::string(3, '\0') + data);
    EXPECT_TRUE(rd.ok());
    EXPECT_EQ(rd.remaining(), 0u);

    Args c;
    c.fh(f).u64(0).u32(0);
    r = nfs(NFSPROC3_COMMIT, c);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    wcc(rd);
    EXPECT_EQ(std::string(rd.fixed(8)), verf);

    // A read in the middle is not at eof; over UDP it is capped, not refused.
    Args mid;
    mid.fh(f).u64(0).u32(2u << 20);
    r = call(kNfsProgram, NFSPROC3_READ, mid.bytes(), alice_, DFS_RPC_UDP);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    postOpAttr(rd);
    EXPECT_EQ(rd.u32(), 32u * 1024);
    EXPECT_FALSE(rd.boolean());
    // A directory cannot be read or written.
    Args dir;
    dir.fh(rw_).u64(0).u32(10);
    EXPECT_EQ(status(nfs(NFSPROC3_READ, dir)), NFS3ERR_ISDIR);
    // count larger than the data sent: garbage.
    Args shortData;
    shortData.fh(f).u64(0).u32(10).u32(DFS_FILE_SYNC).str("abc");
    EXPECT_EQ(nfs(NFSPROC3_WRITE, shortData).stat, DFS_RPC_GARBAGE_ARGS);
}

TEST_F(Harness, SetattrGuardAndTimes) {
    dfs_fh_t f = create(rw_, "g");
    Attr before = getattr(f);
    Args stale;
    stale.fh(f).u32(1).u32(0600).u32(0).u32(0).u32(0).u32(DONT_CHANGE).u32(DONT_CHANGE);
    stale.u32(1).u32(static_cast<uint32_t>(before.ctime.sec) - 10).u32(0);
    Reply r = nfs(NFSPROC3_SETATTR, stale);
    auto rd = r.reader();
    EXPECT_EQ(rd.u32(), NFS3ERR_NOT_SYNC);
    Wcc w = wcc(rd);
    EXPECT_TRUE(w.before);
    EXPECT_EQ(w.after.mode, 0644u);

    Args ok;
    ok.fh(f).u32(1).u32(0600).u32(0).u32(0).u32(1).u64(42).u32(SET_TO_CLIENT_TIME).u32(1000).u32(5);
    ok.u32(SET_TO_SERVER_TIME);
    ok.u32(1).u32(static_cast<uint32_t>(before.ctime.sec)).u32(before.ctime.nsec);
    r = nfs(NFSPROC3_SETATTR, ok);
    rd = r.reader();
    EXPECT_EQ(rd.u32(), NFS3_OK);
    w = wcc(rd);
    EXPECT_EQ(w.after.mode, 0600u);
    EXPECT_EQ(w.after.size, 42u);
    EXPECT_EQ(w.after.atime.sec, 1000);
    EXPECT_EQ(w.after.atime.nsec, 5u);
    EXPECT_GE(w.after.mtime.sec, before.mtime.sec);

    Args badTime;
    badTime.fh(f).u32(0).u32(0).u32(0).u32(0).u32(SET_TO_CLIENT_TIME).u32(1).u32(1000000000).u32(DONT_CHANGE).u32(0);
    EXPECT_EQ(status(nfs(NFSPROC3_SETATTR, badTime)), NFS3ERR_INVAL);
    Args notOwner;
    notOwner.fh(f).u32(1).u32(0777).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0);
    EXPECT_EQ(status(nfsAs(bob_, NFSPROC3_SETATTR, notOwner)), NFS3ERR_PERM);
}

TEST_F(Harness, TheOwnerWritesAndReadsItsOwnFileWhateverTheMode) {
    // A client creates a file 0444 and then writes it (git objects, cp -p): the mode was
    // checked at open() on the client, and the server lets the owner write, as nfsd does.
    dfs_fh_t f = create(rw_, "readonly", 0444);
    Args w;
    w.fh(f).u64(0).u32(5).u32(DFS_FILE_SYNC).str("hello");
    EXPECT_EQ(status(nfs(NFSPROC3_WRITE, w)), NFS3_OK);
    EXPECT_EQ(status(nfsAs(bob_, NFSPROC3_WRITE, w)), NFS3ERR_ACCES) << "not for anyone else";
    // Truncation likewise (SETATTR size: mode unchanged, size 2).
    Args trunc;
    trunc.fh(f).u32(0).u32(0).u32(0).u32(1).u64(2).u32(DONT_CHANGE).u32(DONT_CHANGE).u32(0);
    EXPECT_EQ(status(nfsAs(bob_, NFSPROC3_SETATTR, trunc)), NFS3ERR_ACCES);
    EXPECT_EQ(status(nfs(NFSPROC3_SETATTR, trunc)), NFS3_OK);
    EXPECT_EQ(getattr(f).size, 2u);
    // After chmod 000 (fchmod on an open file), the owner still reads.
    Args chmod0;
    chmod0.fh(f).u32(1).u32(0).u32(0).u32(0).u32(0).u32(DONT_CHANGE).u32(DONT_CHANGE).u32(0);
    ASSERT_EQ(status(nfs(NFSPROC3_SETATTR, chmod0)), NFS3_OK);
    Args rd;
    rd.fh(f).u64(0).u32(10);
    EXPECT_EQ(status(nfs(NFSPROC3_READ, rd)), NFS3_OK);
    EXPECT_EQ(status(nfsAs(bob_, NFSPROC3_READ, rd)), NFS3ERR_ACCES);
    // ACCESS still tells the truth about the mode, so the client's own checks hold.
    Args acc;
    acc.fh(f).u32(0x3f);
    Reply r = nfs(NFSPROC3_ACCESS, acc);
    auto ar = r.reader();
    ASSERT_EQ(ar.u32(), NFS3_OK);
    postOpAttr(ar);
    EXPECT_EQ(ar.u32() & (DFS_ACCESS_READ | DFS_ACCESS_MODIFY | DFS_ACCESS_EXTEND), 0u);
}

TEST_F(Harness, LookupAccessRemoveAndStaleHandles) {
    dfs_fh_t d = mkdir(rw_, "d", 0700);
    dfs_fh_t f = create(d, "f", 0600);
    Args l;
    l.dirop(d, "f");
    Reply r = nfs(NFSPROC3_LOOKUP, l);
    auto rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    dfs_fh_t found = fh(rd);
    EXPECT_EQ(found.len, f.len);
    EXPECT_EQ(postOpAttr(rd).type, static_cast<uint32_t>(DFS_TYPE_REG));
    EXPECT_EQ(postOpAttr(rd).type, static_cast<uint32_t>(DFS_TYPE_DIR));
    Args dotdot;
    dotdot.dirop(d, "..");
    r = nfs(NFSPROC3_LOOKUP, dotdot);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    fh(rd);
    EXPECT_EQ(postOpAttr(rd).fileid, getattr(rw_).fileid);
    Args rootUp;
    rootUp.dirop(rw_, "..");
    r = nfs(NFSPROC3_LOOKUP, rootUp);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    fh(rd);
    EXPECT_EQ(postOpAttr(rd).fileid, getattr(rw_).fileid) << "never above the share";
    Args missing;
    missing.dirop(d, "nope");
    r = nfs(NFSPROC3_LOOKUP, missing);
    rd = r.reader();
    EXPECT_EQ(rd.u32(), NFS3ERR_NOENT);
    EXPECT_TRUE(postOpAttr(rd).present);
    EXPECT_EQ(status(nfsAs(bob_, NFSPROC3_LOOKUP, l)), NFS3ERR_ACCES);
    Args notDir;
    notDir.dirop(f, "x");
    EXPECT_EQ(status(nfs(NFSPROC3_LOOKUP, notDir)), NFS3ERR_NOTDIR);

    Args acc;
    acc.fh(f).u32(0x3f);
    r = nfs(NFSPROC3_ACCESS, acc);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    postOpAttr(rd);
    EXPECT_EQ(rd.u32(), uint32_t{DFS_ACCESS_READ | DFS_ACCESS_MODIFY | DFS_ACCESS_EXTEND});
    r = nfsAs(bob_, NFSPROC3_ACCESS, acc);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    postOpAttr(rd);
    EXPECT_EQ(rd.u32(), 0u);

    Args rm;
    rm.dirop(d, "f");
    EXPECT_EQ(status(nfsAs(bob_, NFSPROC3_REMOVE, rm)), NFS3ERR_ACCES);
    r = nfs(NFSPROC3_REMOVE, rm);
    rd = r.reader();
    EXPECT_EQ(rd.u32(), NFS3_OK);
    Wcc w = wcc(rd);
    EXPECT_TRUE(w.before && w.after.present);
    EXPECT_EQ(status(nfs(NFSPROC3_REMOVE, rm)), NFS3ERR_NOENT);
    Args ga;
    ga.fh(f);
    EXPECT_EQ(status(nfs(NFSPROC3_GETATTR, ga)), NFS3ERR_STALE);
    Args rmDir;
    rmDir.dirop(rw_, "d");
    EXPECT_EQ(status(nfs(NFSPROC3_REMOVE, rmDir)), NFS3ERR_ISDIR);
}

TEST_F(Harness, MkdirRmdirNotEmptyAndReadOnlyShare) {
    dfs_fh_t d = mkdir(rw_, "d");
    create(d, "f");
    Args again;
    again.dirop(rw_, "d").sattrMode(0755);
    EXPECT_EQ(status(nfs(NFSPROC3_MKDIR, again)), NFS3ERR_EXIST);
    Args rd;
    rd.dirop(rw_, "d");
    EXPECT_EQ(status(nfs(NFSPROC3_RMDIR, rd)), NFS3ERR_NOTEMPTY);
    Args rmf;
    rmf.dirop(d, "f");
    EXPECT_EQ(status(nfs(NFSPROC3_RMDIR, rmf)), NFS3ERR_NOTDIR);
    EXPECT_EQ(status(nfs(NFSPROC3_REMOVE, rmf)), NFS3_OK);
    Args dot;
    dot.dirop(d, ".");
    EXPECT_EQ(status(nfs(NFSPROC3_RMDIR, dot)), NFS3ERR_INVAL);
    EXPECT_EQ(status(nfs(NFSPROC3_RMDIR, rd)), NFS3_OK);

    Args ro;
    ro.dirop(ro_, "x").u32(GUARDED).sattrMode(0644);
    Reply r = nfs(NFSPROC3_CREATE, ro);
    auto rr = r.reader();
    EXPECT_EQ(rr.u32(), NFS3ERR_ROFS);
    EXPECT_TRUE(wcc(rr).after.present);
    Args roDir;
    roDir.dirop(ro_, "x").sattrMode(0755);
    EXPECT_EQ(status(nfs(NFSPROC3_MKDIR, roDir)), NFS3ERR_ROFS);
    Args roAttr;
    roAttr.fh(ro_).u32(1).u32(0700).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0);
    EXPECT_EQ(status(nfs(NFSPROC3_SETATTR, roAttr)), NFS3ERR_ROFS);
}

TEST_F(Harness, SymlinkReadlinkMknodLinkRename) {
    Args s;
    s.dirop(rw_, "ln").sattrMode().str("some/where");
    Reply r = nfs(NFSPROC3_SYMLINK, s);
    auto rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    ASSERT_TRUE(rd.boolean());
    dfs_fh_t ln = fh(rd);
    EXPECT_EQ(postOpAttr(rd).type, static_cast<uint32_t>(DFS_TYPE_LNK));
    Args rl;
    rl.fh(ln);
    r = nfs(NFSPROC3_READLINK, rl);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    postOpAttr(rd);
    EXPECT_EQ(rd.var(4096), "some/where");
    dfs_fh_t f = create(rw_, "f");
    Args rlf;
    rlf.fh(f);
    EXPECT_EQ(status(nfs(NFSPROC3_READLINK, rlf)), NFS3ERR_INVAL);

    Args fifo;
    fifo.dirop(rw_, "p").u32(DFS_TYPE_FIFO).sattrMode(0600);
    r = nfs(NFSPROC3_MKNOD, fifo);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    ASSERT_TRUE(rd.boolean());
    fh(rd);
    EXPECT_EQ(postOpAttr(rd).type, static_cast<uint32_t>(DFS_TYPE_FIFO));
    Args chr;
    chr.dirop(rw_, "c").u32(DFS_TYPE_CHR).sattrMode(0600).u32(4).u32(64);
    EXPECT_EQ(status(nfs(NFSPROC3_MKNOD, chr)), NFS3ERR_PERM) << "devices need root";
    r = nfsAs(root_, NFSPROC3_MKNOD, chr);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    ASSERT_TRUE(rd.boolean());
    fh(rd);
    Attr ca = postOpAttr(rd);
    EXPECT_EQ(ca.type, static_cast<uint32_t>(DFS_TYPE_CHR));
    EXPECT_EQ(ca.major, 4u);
    EXPECT_EQ(ca.minor, 64u);
    for (uint32_t t : {uint32_t{DFS_TYPE_REG}, uint32_t{DFS_TYPE_DIR}, uint32_t{DFS_TYPE_LNK}, 0u, 99u}) {
        Args bad;
        bad.dirop(rw_, "b").u32(t);
        r = nfs(NFSPROC3_MKNOD, bad);
        rd = r.reader();
        EXPECT_EQ(rd.u32(), NFS3ERR_BADTYPE) << t;
        EXPECT_TRUE(wcc(rd).after.present);
    }

    Args lk;
    lk.fh(f).dirop(rw_, "f2");
    r = nfs(NFSPROC3_LINK, lk);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    EXPECT_EQ(postOpAttr(rd).nlink, 2u);
    EXPECT_TRUE(wcc(rd).before);
    EXPECT_EQ(status(nfs(NFSPROC3_LINK, lk)), NFS3ERR_EXIST);
    Args lkRo;
    lkRo.fh(f).dirop(ro_, "f2");
    EXPECT_EQ(status(nfs(NFSPROC3_LINK, lkRo)), NFS3ERR_XDEV);

    Args mv;
    mv.dirop(rw_, "f2").dirop(rw_, "f3");
    r = nfs(NFSPROC3_RENAME, mv);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    EXPECT_TRUE(wcc(rd).after.present);
    EXPECT_TRUE(wcc(rd).after.present);
    EXPECT_EQ(status(nfs(NFSPROC3_RENAME, mv)), NFS3ERR_NOENT);
    dfs_fh_t d = mkdir(rw_, "d");
    create(d, "inner");
    Args overDir;
    overDir.dirop(rw_, "f3").dirop(rw_, "d");
    EXPECT_EQ(status(nfs(NFSPROC3_RENAME, overDir)), NFS3ERR_ISDIR);
    Args xdev;
    xdev.dirop(rw_, "f3").dirop(ro_, "f3");
    EXPECT_EQ(status(nfs(NFSPROC3_RENAME, xdev)), NFS3ERR_XDEV);
}

// Reads a whole directory with READDIR or READDIRPLUS in replies of `count` bytes.
struct Listed {
    std::vector<std::string> names;
    std::set<uint64_t> cookies;
    int calls = 0;
    int withAttrs = 0;
};

TEST_F(Harness, ReaddirPagesHonourCountAndSynthesizeDotEntries) {
    dfs_fh_t d = mkdir(rw_, "big");
    const int n = 300;
    for (int i = 0; i < n; ++i) {
        create(d, "file-with-a-longish-name-" + std::to_string(i));
    }
    Attr dirA = getattr(d);
    Attr rootA = getattr(rw_);
    for (bool plus : {false, true}) {
        Listed l;
        uint64_t cookie = 0;
        std::string verf(8, '\0');
        const uint32_t count = plus ? 4096 : 1024;
        for (bool eof = false; !eof;) {
            Args a;
            a.fh(d).u64(cookie).fixed(verf.data(), 8);
            if (plus) {
                a.u32(1024);
            }
            a.u32(count);
            Reply r = nfs(plus ? NFSPROC3_READDIRPLUS : NFSPROC3_READDIR, a);
            ASSERT_LE(r.body.size(), count);
            auto rd = r.reader();
            ASSERT_EQ(rd.u32(), NFS3_OK);
            EXPECT_EQ(postOpAttr(rd).fileid, dirA.fileid);
            verf = std::string(rd.fixed(8));
            int inReply = 0;
            while (rd.boolean()) {
                uint64_t fileid = rd.u64();
                std::string name(rd.var(255));
                cookie = rd.u64();
                if (name == ".") {
                    EXPECT_EQ(cookie, 1u);
                    EXPECT_EQ(fileid, dirA.fileid);
                } else if (name == "..") {
                    EXPECT_EQ(cookie, 2u);
                    EXPECT_EQ(fileid, rootA.fileid);
                } else {
                    EXPECT_GE(cookie, uint64_t{DFS_COOKIE_FIRST});
                }
                if (plus) {
                    Attr at = postOpAttr(rd);
                    l.withAttrs += at.present && at.fileid == fileid ? 1 : 0;
                    if (rd.boolean()) {
                        fh(rd);
                    }
                }
                l.names.push_back(name);
                l.cookies.insert(cookie);
                ++inReply;
            }
            eof = rd.boolean();
            ASSERT_TRUE(rd.ok());
            ASSERT_GT(inReply, 0);
            ++l.calls;
        }
        EXPECT_EQ(l.names.size(), static_cast<size_t>(n + 2)) << plus;
        EXPECT_EQ(l.cookies.size(), static_cast<size_t>(n + 2));
        EXPECT_EQ(l.names[0], ".");
        EXPECT_EQ(l.names[1], "..");
        EXPECT_GT(l.calls, 3);
        if (plus) {
            EXPECT_EQ(l.withAttrs, n + 2);
        }
    }
    // Cookies the server never gave, a verifier from elsewhere, and a count too small.
    Args bad;
    bad.fh(d).u64(5).u64(0).u32(4096);
    EXPECT_EQ(status(nfs(NFSPROC3_READDIR, bad)), NFS3ERR_BAD_COOKIE);
    Args wrongVerf;
    wrongVerf.fh(d).u64(2).u64(0x1234).u32(4096);
    EXPECT_EQ(status(nfs(NFSPROC3_READDIR, wrongVerf)), NFS3ERR_BAD_COOKIE);
    Args tiny;
    tiny.fh(d).u64(0).u64(0).u32(100);
    EXPECT_EQ(status(nfs(NFSPROC3_READDIR, tiny)), NFS3ERR_TOOSMALL);
    Args tinyDir;
    tinyDir.fh(d).u64(0).u64(0).u32(8).u32(65536);
    EXPECT_EQ(status(nfs(NFSPROC3_READDIRPLUS, tinyDir)), NFS3ERR_TOOSMALL);
    dfs_fh_t f = create(rw_, "plain");
    Args notDir;
    notDir.fh(f).u64(0).u64(0).u32(4096);
    EXPECT_EQ(status(nfs(NFSPROC3_READDIR, notDir)), NFS3ERR_NOTDIR);
}

TEST_F(Harness, FsstatFsinfoPathconf) {
    Args a;
    a.fh(rw_);
    Reply r = nfs(NFSPROC3_FSSTAT, a);
    auto rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    EXPECT_TRUE(postOpAttr(rd).present);
    uint64_t tbytes = rd.u64();
    uint64_t fbytes = rd.u64();
    EXPECT_GE(tbytes, fbytes);
    rd.u64();
    rd.u64();
    rd.u64();
    rd.u64();
    EXPECT_EQ(rd.u32(), 0u);
    EXPECT_TRUE(rd.ok());

    r = nfs(NFSPROC3_FSINFO, a);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    postOpAttr(rd);
    EXPECT_GE(rd.u32(), 1u << 20);  // rtmax
    EXPECT_GE(rd.u32(), 1u << 20);  // rtpref
    rd.u32();
    EXPECT_GE(rd.u32(), 1u << 20);  // wtmax
    EXPECT_GE(rd.u32(), 1u << 20);  // wtpref
    rd.u32();
    rd.u32();
    EXPECT_EQ(rd.u64(), DFS_MAX_FILE_SIZE);
    EXPECT_EQ(rd.u32(), 0u);
    EXPECT_EQ(rd.u32(), 1u);
    EXPECT_EQ(rd.u32(), uint32_t{FSF3_LINK | FSF3_SYMLINK | FSF3_HOMOGENEOUS | FSF3_CANSETTIME});
    EXPECT_EQ(rd.remaining(), 0u);

    r = nfs(NFSPROC3_PATHCONF, a);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), NFS3_OK);
    postOpAttr(rd);
    rd.u32();
    EXPECT_EQ(rd.u32(), 255u);
    EXPECT_TRUE(rd.boolean());
    EXPECT_TRUE(rd.boolean());
    EXPECT_FALSE(rd.boolean());
    EXPECT_TRUE(rd.boolean());
    EXPECT_EQ(rd.remaining(), 0u);
}

}  // namespace
}  // namespace dfs::nfs3::test
