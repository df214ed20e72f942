// DittoFS store conformance kit, metadata stores: setattr, the change attribute, readlink,
// extended attributes and statfs (store.h: setattr, readlink, *xattr, statfs).
#include "metadata_kit.hpp"

#include <string>

namespace dfs::kit {
namespace {

TEST_F(MetadataStoreTest, SetattrAppliesEachField) {
    dfs_attr_t f = mkfile(root_, "f", 0644);
    auto sa = setattrOf(0);
    sa.mode = 04711;
    sa.uid = 501;
    sa.gid = 502;
    sa.size = 12345;
    sa.atime = at(-100);
    sa.mtime = at(-200);
    sa.btime = at(-300);
    sa.ctime = at(-400);
    uint64_t change = f.change;
    int step = 100;
    for (uint32_t bit : {DFS_SET_MODE, DFS_SET_UID, DFS_SET_GID, DFS_SET_SIZE, DFS_SET_ATIME, DFS_SET_MTIME,
                         DFS_SET_BTIME}) {
        SCOPED_TRACE(bit);
        dfs_attr_t before = attrOf(meta_, f.ino);
        sa.mask = bit;
        auto r = meta_.setattr(f.ino, sa, at(++step));
        DFS_ASSERT_OK(r);
        expectSameAttr(attrOf(meta_, f.ino), *r, "setattr's out matches getattr");
        DFS_EXPECT_TIME(r->ctime, at(step));
        EXPECT_GT(r->change, change);
        change = r->change;
        EXPECT_EQ(r->mode, bit == DFS_SET_MODE ? 04711u : before.mode);
        EXPECT_EQ(r->uid, bit == DFS_SET_UID ? 501u : before.uid);
        EXPECT_EQ(r->gid, bit == DFS_SET_GID ? 502u : before.gid);
        EXPECT_EQ(r->size, bit == DFS_SET_SIZE ? 12345u : before.size);
        DFS_EXPECT_TIME(r->atime, bit == DFS_SET_ATIME ? at(-100) : before.atime);
        DFS_EXPECT_TIME(r->btime, bit == DFS_SET_BTIME ? at(-300) : before.btime);
        if (bit == DFS_SET_MTIME) {
            DFS_EXPECT_TIME(r->mtime, at(-200));
        } else if (bit == DFS_SET_SIZE) {
            DFS_EXPECT_TIME(r->mtime, at(step)) << "a size change is a modification (POSIX truncate)";
        } else {
            DFS_EXPECT_TIME(r->mtime, before.mtime);
        }
        EXPECT_EQ(r->type, DFS_TYPE_REG);
        EXPECT_EQ(r->nlink, 1u);
    }
    sa.mask = DFS_SET_CTIME | DFS_SET_MODE;
    sa.mode = 0600;
    auto r = meta_.setattr(f.ino, sa, at(200));
    DFS_ASSERT_OK(r);
    DFS_EXPECT_TIME(r->ctime, at(-400)) << "an explicit ctime wins over now";
    EXPECT_EQ(r->mode, 0600u);
    EXPECT_GT(r->change, change);
}

TEST_F(MetadataStoreTest, SetattrOfSeveralFieldsAtOnce) {
    dfs_attr_t d = mkdir(root_, "d", 0755);
    auto sa = setattrOf(DFS_SET_MODE | DFS_SET_UID | DFS_SET_GID | DFS_SET_ATIME | DFS_SET_MTIME);
    sa.mode = 0100700;  // type bits are not part of mode: masked with 07777
    sa.uid = 7;
    sa.gid = 8;
    sa.atime = at(-1);
    sa.mtime = at(-2);
    auto r = meta_.setattr(d.ino, sa, at(90));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->type, DFS_TYPE_DIR);
    EXPECT_EQ(r->mode, 0700u);
    EXPECT_EQ(r->uid, 7u);
    EXPECT_EQ(r->gid, 8u);
    EXPECT_EQ(r->nlink, 2u);
    DFS_EXPECT_TIME(r->atime, at(-1));
    DFS_EXPECT_TIME(r->mtime, at(-2));
    DFS_EXPECT_TIME(r->ctime, at(90));
    expectSameAttr(attrOf(meta_, d.ino), *r, "getattr after setattr");
}

TEST_F(MetadataStoreTest, SetattrSizeOnlyOnRegularFiles) {
    dfs_attr_t d = mkdir(root_, "d");
    auto a = args(DFS_TYPE_LNK, 0777);
    a.symlink_target = toC("target");
    auto l = meta_.create(root_, "l", a, at(1));
    DFS_ASSERT_OK(l);
    for (uint32_t bit : {DFS_SET_SIZE, DFS_SET_SIZE_GROW}) {
        auto sa = setattrOf(bit | DFS_SET_MODE);
        sa.size = 10;
        sa.mode = 0700;
        DFS_EXPECT_CODE(meta_.setattr(d.ino, sa, at(2)), DFS_ERR_INVAL);
        DFS_EXPECT_CODE(meta_.setattr(l->attr.ino, sa, at(2)), DFS_ERR_INVAL);
    }
    dfs_attr_t da = attrOf(meta_, d.ino);
    EXPECT_EQ(da.mode, 0755u) << "a refused setattr changes nothing";
    EXPECT_EQ(attrOf(meta_, l->attr.ino).size, 6u);
    EXPECT_NE(da.ctime.sec, at(2).sec);
}

TEST_F(MetadataStoreTest, SetattrSizeGrowOnlyGrows) {
    dfs_attr_t f = mkfile(root_, "f");
    auto sa = setattrOf(DFS_SET_SIZE_GROW);
    sa.size = 100;
    auto r = meta_.setattr(f.ino, sa, at(1));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->size, 100u);
    sa.size = 50;
    r = meta_.setattr(f.ino, sa, at(2));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->size, 100u);
    sa.size = 4096;
    r = meta_.setattr(f.ino, sa, at(3));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->size, 4096u);
    auto shrink = setattrOf(DFS_SET_SIZE);
    shrink.size = 10;
    r = meta_.setattr(f.ino, shrink, at(4));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->size, 10u);
    EXPECT_EQ(attrOf(meta_, f.ino).size, 10u);
}

TEST_F(MetadataStoreTest, SetattrLimitsAndErrors) {
    dfs_attr_t f = mkfile(root_, "f");
    auto sa = setattrOf(DFS_SET_SIZE);
    sa.size = DFS_MAX_FILE_SIZE;
    auto r = meta_.setattr(f.ino, sa, at(1));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->size, DFS_MAX_FILE_SIZE);
    sa.size = DFS_MAX_FILE_SIZE + 1;
    DFS_EXPECT_CODE(meta_.setattr(f.ino, sa, at(2)), DFS_ERR_FBIG);
    EXPECT_EQ(attrOf(meta_, f.ino).size, DFS_MAX_FILE_SIZE);
    DFS_EXPECT_CODE(meta_.setattr(0x7a11ab1e5eed, setattrOf(DFS_SET_MODE), at(3)), DFS_ERR_STALE);
}

// NFSv4 clients cache on `change`: every modification must move it forward.
TEST_F(MetadataStoreTest, ChangeAttributeIncreasesOnEveryModification) {
    dfs_attr_t d = mkdir(root_, "d");
    dfs_attr_t other = mkdir(root_, "other");
    uint64_t fileIno = 0;
    uint64_t fileChange = 0;
    uint64_t dirChange = attrOf(meta_, d.ino).change;
    uint64_t otherChange = attrOf(meta_, other.ino).change;
    // fileChanged: 1 must increase, 0 must not, -1 either (a rename may touch the
    // moved object's ctime).
    auto step = [&](const char* what, int fileChanged, bool dirChanged, bool otherChanged) {
        SCOPED_TRACE(what);
        if (fileIno != 0) {
            uint64_t c = attrOf(meta_, fileIno).change;
            if (fileChanged == 1) {
                EXPECT_GT(c, fileChange) << "file change attribute";
            } else if (fileChanged == 0) {
                EXPECT_EQ(c, fileChange) << "file change attribute";
            } else {
                EXPECT_GE(c, fileChange) << "file change attribute";
            }
            fileChange = c;
        }
        uint64_t c = attrOf(meta_, d.ino).change;
        if (dirChanged) {
            EXPECT_GT(c, dirChange) << "directory change attribute";
        } else {
            EXPECT_EQ(c, dirChange) << "directory change attribute";
        }
        dirChange = c;
        c = attrOf(meta_, other.ino).change;
        if (otherChanged) {
            EXPECT_GT(c, otherChange);
        }
        otherChange = c;
    };
    fileIno = mkfile(d.ino, "f").ino;
    fileChange = attrOf(meta_, fileIno).change;
    step("create", 0, true, false);
    DFS_ASSERT_OK(meta_.setattr(fileIno, setattrOf(DFS_SET_MODE), at(1)));
    step("setattr mode", 1, false, false);
    auto grow = setattrOf(DFS_SET_SIZE_GROW);
    grow.size = 10;
    DFS_ASSERT_OK(meta_.setattr(fileIno, grow, at(2)));
    step("setattr size", 1, false, false);
    bool canLink = meta_.link(fileIno, d.ino, "g", at(3)).ok();
    if (canLink) {
        step("link", 1, true, false);
        DFS_ASSERT_OK(meta_.remove(d.ino, "g", DFS_REMOVE_NONDIR, at(4)));
        step("unlink one of two names", 1, true, false);
    }
    if (meta_.setxattr(fileIno, "user.k", "v", 0, at(5)).ok()) {
        step("setxattr", 1, false, false);
        DFS_ASSERT_OK(meta_.removexattr(fileIno, "user.k", at(6)));
        step("removexattr", 1, false, false);
    }
    DFS_ASSERT_OK(meta_.rename(d.ino, "f", d.ino, "f2", at(7)));
    step("rename within the directory", -1, true, false);
    DFS_ASSERT_OK(meta_.rename(d.ino, "f2", other.ino, "f", at(8)));
    step("rename out of the directory", -1, true, true);
    DFS_ASSERT_OK(meta_.rename(other.ino, "f", d.ino, "f", at(9)));
    step("rename into the directory", -1, true, true);
    mkdir(d.ino, "sub");
    step("mkdir inside", 0, true, false);
    DFS_ASSERT_OK(meta_.remove(d.ino, "sub", DFS_REMOVE_DIR, at(10)));
    step("rmdir inside", 0, true, false);
    DFS_ASSERT_OK(meta_.remove(d.ino, "f", DFS_REMOVE_NONDIR, at(11)));
    fileIno = 0;
    step("remove", 0, true, false);
    EXPECT_EQ(attrOf(meta_, d.ino).nlink, 2u);
}

TEST_F(MetadataStoreTest, ReadlinkErrors) {
    dfs_attr_t f = mkfile(root_, "f");
    DFS_EXPECT_CODE(meta_.readlink(f.ino), DFS_ERR_INVAL);
    DFS_EXPECT_CODE(meta_.readlink(root_), DFS_ERR_INVAL);
    DFS_EXPECT_CODE(meta_.readlink(0x7a11ab1e5eed), DFS_ERR_STALE);
}

class MetadataXattrTest : public MetadataStoreTest {
protected:
    void SetUp() override {
        MetadataStoreTest::SetUp();
        if (HasFatalFailure() || IsSkipped()) {
            return;
        }
        file_ = mkfile(root_, "f");
        Status s = meta_.setxattr(file_.ino, "user.probe", "1", 0, now());
        if (s.code() == DFS_ERR_NOTSUPP) {
            GTEST_SKIP() << "extended attributes not supported";
        }
        ASSERT_EQ(s.code(), DFS_OK) << statusName(s.code());
        ASSERT_EQ(meta_.removexattr(file_.ino, "user.probe", now()).code(), DFS_OK);
    }
    std::vector<std::string> names(uint64_t ino) const {
        auto r = meta_.listxattr(ino);
        EXPECT_TRUE(r.ok()) << statusName(r.code());
        return r.ok() ? *r : std::vector<std::string>{};
    }
    dfs_attr_t file_{};
};

TEST_F(MetadataXattrTest, SetGetListRemove) {
    EXPECT_TRUE(names(file_.ino).empty());
    const std::string binary("\0\x01\xff value", 9);
    DFS_ASSERT_OK(meta_.setxattr(file_.ino, "user.a", "alpha", 0, at(1)));
    DFS_ASSERT_OK(meta_.setxattr(file_.ino, "user.b", binary, 0, at(2)));
    DFS_ASSERT_OK(meta_.setxattr(file_.ino, "user.empty", "", 0, at(3)));
    auto a = meta_.getxattr(file_.ino, "user.a");
    DFS_ASSERT_OK(a);
    EXPECT_EQ(*a, "alpha");
    auto b = meta_.getxattr(file_.ino, "user.b");
    DFS_ASSERT_OK(b);
    EXPECT_EQ(*b, binary);
    auto e = meta_.getxattr(file_.ino, "user.empty");
    DFS_ASSERT_OK(e);
    EXPECT_EQ(*e, "");
    EXPECT_EQ(names(file_.ino), (std::vector<std::string>{"user.a", "user.b", "user.empty"}));
    dfs_attr_t attr = attrOf(meta_, file_.ino);
    DFS_EXPECT_TIME(attr.ctime, at(3)) << "setxattr changes ctime";

    DFS_ASSERT_OK(meta_.setxattr(file_.ino, "user.a", "replaced", 0, at(4)));
    auto a2 = meta_.getxattr(file_.ino, "user.a");
    DFS_ASSERT_OK(a2);
    EXPECT_EQ(*a2, "replaced");

    DFS_ASSERT_OK(meta_.removexattr(file_.ino, "user.b", at(5)));
    DFS_EXPECT_TIME(attrOf(meta_, file_.ino).ctime, at(5)) << "removexattr changes ctime";
    DFS_EXPECT_CODE(meta_.getxattr(file_.ino, "user.b"), DFS_ERR_NOXATTR);
    EXPECT_EQ(names(file_.ino), (std::vector<std::string>{"user.a", "user.empty"}));
    DFS_EXPECT_CODE(meta_.removexattr(file_.ino, "user.b", at(6)), DFS_ERR_NOXATTR);
    DFS_EXPECT_CODE(meta_.getxattr(file_.ino, "user.never"), DFS_ERR_NOXATTR);
}

TEST_F(MetadataXattrTest, CreateAndReplaceFlags) {
    DFS_EXPECT_CODE(meta_.setxattr(file_.ino, "user.k", "v", DFS_XATTR_REPLACE, at(1)), DFS_ERR_NOXATTR);
    DFS_EXPECT_CODE(meta_.getxattr(file_.ino, "user.k"), DFS_ERR_NOXATTR);
    DFS_ASSERT_OK(meta_.setxattr(file_.ino, "user.k", "v1", DFS_XATTR_CREATE, at(2)));
    DFS_EXPECT_CODE(meta_.setxattr(file_.ino, "user.k", "v2", DFS_XATTR_CREATE, at(3)), DFS_ERR_EXIST);
    auto v = meta_.getxattr(file_.ino, "user.k");
    DFS_ASSERT_OK(v);
    EXPECT_EQ(*v, "v1");
    DFS_ASSERT_OK(meta_.setxattr(file_.ino, "user.k", "v3", DFS_XATTR_REPLACE, at(4)));
    v = meta_.getxattr(file_.ino, "user.k");
    DFS_ASSERT_OK(v);
    EXPECT_EQ(*v, "v3");
}

TEST_F(MetadataXattrTest, LimitsAndOtherObjectTypes) {
    const std::string longest(DFS_XATTR_NAME_MAX, 'x');
    const std::string tooLong(DFS_XATTR_NAME_MAX + 1, 'x');
    const std::string biggest(DFS_XATTR_VALUE_MAX, 'v');
    DFS_ASSERT_OK(meta_.setxattr(file_.ino, longest, biggest, 0, at(1)));
    auto v = meta_.getxattr(file_.ino, longest);
    DFS_ASSERT_OK(v);
    EXPECT_EQ(*v, biggest);
    DFS_EXPECT_CODE(meta_.setxattr(file_.ino, tooLong, "v", 0, at(2)), DFS_ERR_NAMETOOLONG);
    DFS_EXPECT_CODE(meta_.setxattr(file_.ino, "user.big", biggest + "v", 0, at(2)), DFS_ERR_FBIG);
    DFS_EXPECT_CODE(meta_.setxattr(file_.ino, "", "v", 0, at(2)), DFS_ERR_INVAL);
    EXPECT_EQ(names(file_.ino), std::vector<std::string>{longest});

    dfs_attr_t d = mkdir(root_, "d");
    auto a = args(DFS_TYPE_LNK, 0777);
    a.symlink_target = toC("t");
    auto l = meta_.create(root_, "l", a, at(3));
    DFS_ASSERT_OK(l);
    DFS_ASSERT_OK(meta_.setxattr(d.ino, "user.dir", "d", 0, at(4)));
    DFS_ASSERT_OK(meta_.setxattr(l->attr.ino, "trusted.lnk", "l", 0, at(4)));
    EXPECT_EQ(names(d.ino), std::vector<std::string>{"user.dir"});
    EXPECT_EQ(names(l->attr.ino), std::vector<std::string>{"trusted.lnk"});
    EXPECT_EQ(names(file_.ino), std::vector<std::string>{longest}) << "xattrs belong to one object";

    DFS_EXPECT_CODE(meta_.setxattr(0x7a11ab1e5eed, "user.k", "v", 0, at(5)), DFS_ERR_STALE);
    DFS_EXPECT_CODE(meta_.getxattr(0x7a11ab1e5eed, "user.k"), DFS_ERR_STALE);
    DFS_EXPECT_CODE(meta_.listxattr(0x7a11ab1e5eed), DFS_ERR_STALE);
    DFS_EXPECT_CODE(meta_.removexattr(0x7a11ab1e5eed, "user.k", at(5)), DFS_ERR_STALE);
}

TEST_F(MetadataXattrTest, XattrsFollowTheInodeNotTheName) {
    DFS_ASSERT_OK(meta_.setxattr(file_.ino, "user.k", "v", 0, at(1)));
    DFS_ASSERT_OK(meta_.rename(root_, "f", root_, "g", at(2)));
    auto v = meta_.getxattr(file_.ino, "user.k");
    DFS_ASSERT_OK(v);
    EXPECT_EQ(*v, "v");
    DFS_ASSERT_OK(meta_.remove(root_, "g", DFS_REMOVE_NONDIR, at(3)));
    dfs_attr_t fresh = mkfile(root_, "g");
    EXPECT_TRUE(names(fresh.ino).empty()) << "a new file starts without xattrs";
}

TEST_F(MetadataStoreTest, StatfsCountsFiles) {
    if (meta_.ops().statfs == nullptr) {
        GTEST_SKIP() << "statfs not implemented (unlimited files)";
    }
    auto first = makeStruct<dfs_statfs_t>();
    dfs_err_t e = meta_.ops().statfs(meta_.instance(), &first);
    if (e.code == DFS_ERR_NOTSUPP) {
        GTEST_SKIP() << "statfs not supported";
    }
    ASSERT_EQ(e.code, DFS_OK) << statusName(e.code);
    auto used = [&] {
        dfs_statfs_t s = meta_.statfs();
        EXPECT_LE(s.free_files, s.total_files);
        EXPECT_LE(s.avail_files, s.free_files);
        return s.total_files - s.free_files;
    };
    uint64_t base = used();
    EXPECT_GE(base, 1u) << "the root directory is a file";
    dfs_attr_t f = mkfile(root_, "f");
    EXPECT_EQ(used(), base + 1);
    mkdir(root_, "d");
    EXPECT_EQ(used(), base + 2);
    if (meta_.link(f.ino, root_, "g", at(1)).ok()) {
        EXPECT_EQ(used(), base + 2) << "a hard link is not a new file";
        DFS_ASSERT_OK(meta_.remove(root_, "g", DFS_REMOVE_NONDIR, at(2)));
    }
    DFS_ASSERT_OK(meta_.remove(root_, "f", DFS_REMOVE_NONDIR, at(3)));
    DFS_ASSERT_OK(meta_.remove(root_, "d", DFS_REMOVE_DIR, at(3)));
    EXPECT_EQ(used(), base);
}

}  // namespace
}  // namespace dfs::kit
