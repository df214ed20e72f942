// DittoFS store conformance kit, metadata stores: the root, lookup, create, names, remove
// and hard links (store.h: root, getattr, lookup, create, link, remove, get_verifier).
#include "metadata_kit.hpp"

#include <optional>

#include <algorithm>
#include <cstring>
#include <set>

namespace dfs::kit {
namespace {

bool rootConfigured() {
    for (const auto& [k, v] : options().config) {
        if (k == "root_uid" || k == "root_gid" || k == "root_mode") {
            return true;
        }
    }
    return false;
}

TEST_F(MetadataStoreTest, RootExistsAndIsAnEmptyDirectory) {
    dfs_attr_t a = attrOf(meta_, root_);
    EXPECT_EQ(a.type, DFS_TYPE_DIR);
    EXPECT_EQ(a.ino, root_);
    EXPECT_NE(a.ino, 0u);
    EXPECT_EQ(a.nlink, 2u);
    if (!rootConfigured()) {
        EXPECT_EQ(a.mode, 0755u);
        EXPECT_EQ(a.uid, 0u);
        EXPECT_EQ(a.gid, 0u);
    }
    EXPECT_TRUE(list(root_).empty());
    auto again = meta_.root();
    DFS_ASSERT_OK(again);
    EXPECT_EQ(*again, root_);
}

TEST_F(MetadataStoreTest, GetattrOfUnknownInodeIsStale) {
    DFS_EXPECT_CODE(meta_.getattr(0), DFS_ERR_STALE);
    DFS_EXPECT_CODE(meta_.getattr(0x7a11ab1e5eed), DFS_ERR_STALE);
    DFS_EXPECT_CODE(meta_.getattr(UINT64_MAX), DFS_ERR_STALE);
}

TEST_F(MetadataStoreTest, LookupDotAndDotDot) {
    auto dot = meta_.lookup(root_, ".");
    DFS_ASSERT_OK(dot);
    EXPECT_EQ(dot->ino, root_);
    auto up = meta_.lookup(root_, "..");
    DFS_ASSERT_OK(up);
    EXPECT_EQ(up->ino, root_) << "the root's parent is the root";
    dfs_attr_t d = mkdir(root_, "d");
    dfs_attr_t e = mkdir(d.ino, "e");
    EXPECT_EQ(inoOf(meta_, d.ino, "."), d.ino);
    EXPECT_EQ(inoOf(meta_, d.ino, ".."), root_);
    EXPECT_EQ(inoOf(meta_, e.ino, ".."), d.ino);
    auto viaDot = meta_.lookup(e.ino, "..");
    DFS_ASSERT_OK(viaDot);
    EXPECT_EQ(viaDot->type, DFS_TYPE_DIR);
    EXPECT_EQ(viaDot->nlink, 3u);
}

TEST_F(MetadataStoreTest, LookupErrors) {
    dfs_attr_t f = mkfile(root_, "f");
    DFS_EXPECT_CODE(meta_.lookup(root_, "missing"), DFS_ERR_NOENT);
    DFS_EXPECT_CODE(meta_.lookup(f.ino, "x"), DFS_ERR_NOTDIR);
    DFS_EXPECT_CODE(meta_.lookup(f.ino, "."), DFS_ERR_NOTDIR);
    DFS_EXPECT_CODE(meta_.lookup(0x7a11ab1e5eed, "x"), DFS_ERR_STALE);
    // Names are compared as bytes: no case folding.
    DFS_EXPECT_CODE(meta_.lookup(root_, "F"), DFS_ERR_NOENT);
}

TEST_F(MetadataStoreTest, CreateRegularFileHasRequestedAttributes) {
    dfs_attr_t dirBefore = attrOf(meta_, root_);
    auto a = args(DFS_TYPE_REG, 0640);
    a.uid = 4242;
    a.gid = 4343;
    auto r = meta_.create(root_, "file", a, at(10));
    DFS_ASSERT_OK(r);
    EXPECT_FALSE(r->existed);
    const dfs_attr_t& f = r->attr;
    EXPECT_EQ(f.type, DFS_TYPE_REG);
    EXPECT_NE(f.ino, 0u);
    EXPECT_NE(f.ino, root_);
    EXPECT_EQ(f.mode, 0640u);
    EXPECT_EQ(f.uid, 4242u);
    EXPECT_EQ(f.gid, 4343u);
    EXPECT_EQ(f.nlink, 1u);
    EXPECT_EQ(f.size, 0u);
    DFS_EXPECT_TIME(f.atime, at(10));
    DFS_EXPECT_TIME(f.mtime, at(10));
    DFS_EXPECT_TIME(f.ctime, at(10));
    DFS_EXPECT_TIME(f.btime, at(10));
    expectSameAttr(attrOf(meta_, f.ino), f, "getattr after create");
    auto l = meta_.lookup(root_, "file");
    DFS_ASSERT_OK(l);
    expectSameAttr(*l, f, "lookup after create");

    dfs_attr_t dir = attrOf(meta_, root_);
    DFS_EXPECT_TIME(dir.mtime, at(10));
    DFS_EXPECT_TIME(dir.ctime, at(10));
    EXPECT_GT(dir.change, dirBefore.change);
    EXPECT_EQ(dir.nlink, 2u) << "a file does not add to its directory's link count";
}

TEST_F(MetadataStoreTest, CreateKeepsOnlyPermissionAndSpecialBits) {
    auto r = meta_.create(root_, "suid", args(DFS_TYPE_REG, 06755), at(1));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->attr.mode, 06755u);
    auto s = meta_.create(root_, "sticky", args(DFS_TYPE_DIR, 01777), at(1));
    DFS_ASSERT_OK(s);
    EXPECT_EQ(s->attr.mode, 01777u);
    auto t = meta_.create(root_, "typebits", args(DFS_TYPE_REG, 0100644), at(1));
    DFS_ASSERT_OK(t);
    EXPECT_EQ(t->attr.mode, 0644u) << "mode is masked with 07777";
}

TEST_F(MetadataStoreTest, CreateDirectoryBumpsParentLinkCount) {
    auto r = meta_.create(root_, "d", args(DFS_TYPE_DIR, 0700), at(5));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->attr.type, DFS_TYPE_DIR);
    EXPECT_EQ(r->attr.nlink, 2u);
    EXPECT_EQ(r->attr.mode, 0700u);
    DFS_EXPECT_TIME(r->attr.btime, at(5));
    EXPECT_EQ(attrOf(meta_, root_).nlink, 3u);
    auto sub = meta_.create(r->attr.ino, "sub", args(DFS_TYPE_DIR), at(6));
    DFS_ASSERT_OK(sub);
    EXPECT_EQ(attrOf(meta_, r->attr.ino).nlink, 3u);
    EXPECT_EQ(attrOf(meta_, root_).nlink, 3u) << "only the direct parent counts";
    mkfile(r->attr.ino, "file");
    EXPECT_EQ(attrOf(meta_, r->attr.ino).nlink, 3u);
    EXPECT_TRUE(list(sub->attr.ino).empty());
}

// create_plus (ABI 1.6, optional): the directory's attributes it returns are what getattr
// answers right after, for a new object of each kind and for an UNCHECKED create that
// found the file; a store without the slot gives none (the client's default).
TEST_F(MetadataStoreTest, CreatePlusGivesTheDirectoryAsGetattrDoes) {
    dfs_attr_t d = mkdir(root_, "d");
    auto unchecked = args(DFS_TYPE_REG, 0644);
    unchecked.how = DFS_CREATE_UNCHECKED;
    int step = 30;
    std::optional<bool> plus;  // (a store answers every create the same way)
    for (const dfs_create_args_t& a : {args(DFS_TYPE_REG), args(DFS_TYPE_DIR), unchecked, unchecked}) {
        auto r = meta_.create(d.ino, a.type == DFS_TYPE_DIR ? "sub" : "f", a, at(step++));
        DFS_ASSERT_OK(r);
        if (!plus) {
            plus = r->haveDir;
        }
        ASSERT_EQ(r->haveDir, *plus);
        if (r->haveDir) {
            expectSameAttr(r->dir, attrOf(meta_, d.ino), "create_plus against getattr of the directory");
        }
    }
    dfs_metadata_store_ops_t ops = meta_.ops();
    ops.create_plus = nullptr;
    auto plain = MetadataStoreClient(&ops, meta_.instance()).create(d.ino, "plain", args(DFS_TYPE_REG), at(40));
    DFS_ASSERT_OK(plain);
    EXPECT_FALSE(plain->haveDir);
    DFS_EXPECT_CODE(meta_.create(d.ino, "f", args(DFS_TYPE_REG), at(41)), DFS_ERR_EXIST);
}

TEST_F(MetadataStoreTest, CreateSymlinkRecordsTarget) {
    auto a = args(DFS_TYPE_LNK, 0777);
    const std::string target = "../some dir/./target";
    a.symlink_target = toC(target);
    auto r = meta_.create(root_, "link", a, at(3));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->attr.type, DFS_TYPE_LNK);
    EXPECT_EQ(r->attr.size, target.size());
    EXPECT_EQ(r->attr.nlink, 1u);
    DFS_EXPECT_TIME(r->attr.mtime, at(3));
    auto t = meta_.readlink(r->attr.ino);
    DFS_ASSERT_OK(t);
    EXPECT_EQ(*t, target);
    EXPECT_EQ(attrOf(meta_, r->attr.ino).size, target.size());
}

TEST_F(MetadataStoreTest, CreateDevicesFifosAndSockets) {
    struct Case {
        const char* name;
        dfs_ftype_t type;
        uint32_t major;
        uint32_t minor;
    };
    const Case cases[] = {{"chr", DFS_TYPE_CHR, 4, 64},
                          {"blk", DFS_TYPE_BLK, 259, 1048575},
                          {"fifo", DFS_TYPE_FIFO, 0, 0},
                          {"sock", DFS_TYPE_SOCK, 0, 0}};
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        auto a = args(c.type, 0620);
        a.rdev_major = c.major;
        a.rdev_minor = c.minor;
        auto r = meta_.create(root_, c.name, a, at(2));
        DFS_ASSERT_OK(r);
        dfs_attr_t got = attrOf(meta_, r->attr.ino);
        EXPECT_EQ(got.type, c.type);
        EXPECT_EQ(got.mode, 0620u);
        EXPECT_EQ(got.nlink, 1u);
        EXPECT_EQ(got.size, 0u);
        EXPECT_EQ(got.rdev_major, c.major);
        EXPECT_EQ(got.rdev_minor, c.minor);
        DFS_EXPECT_CODE(meta_.readlink(r->attr.ino), DFS_ERR_INVAL);
    }
    for (const auto& e : listFrom(meta_, root_, 0)) {
        EXPECT_EQ(e.type, attrOf(meta_, e.ino).type) << e.name;
    }
}

TEST_F(MetadataStoreTest, CreateInWrongPlace) {
    dfs_attr_t f = mkfile(root_, "f");
    DFS_EXPECT_CODE(meta_.create(f.ino, "x", args(DFS_TYPE_REG), at(1)), DFS_ERR_NOTDIR);
    DFS_EXPECT_CODE(meta_.create(0x7a11ab1e5eed, "x", args(DFS_TYPE_REG), at(1)), DFS_ERR_STALE);
}

TEST_F(MetadataStoreTest, CreateGuardedOnExistingNameIsExist) {
    dfs_attr_t f = mkfile(root_, "f", 0600);
    dfs_attr_t d = mkdir(root_, "d");
    DFS_EXPECT_CODE(meta_.create(root_, "f", args(DFS_TYPE_REG, 0644), at(9)), DFS_ERR_EXIST);
    DFS_EXPECT_CODE(meta_.create(root_, "f", args(DFS_TYPE_DIR), at(9)), DFS_ERR_EXIST);
    DFS_EXPECT_CODE(meta_.create(root_, "d", args(DFS_TYPE_DIR), at(9)), DFS_ERR_EXIST);
    expectSameAttr(attrOf(meta_, f.ino), f, "file after failed creates");
    EXPECT_EQ(attrOf(meta_, d.ino).nlink, 2u);
    EXPECT_EQ(attrOf(meta_, root_).nlink, 3u);
    EXPECT_EQ(list(root_).size(), 2u);
}

TEST_F(MetadataStoreTest, CreateUncheckedReturnsExistingRegularFile) {
    dfs_attr_t f = mkfile(root_, "f", 0600);
    auto a = args(DFS_TYPE_REG, 0777);
    a.how = DFS_CREATE_UNCHECKED;
    auto r = meta_.create(root_, "f", a, at(20));
    DFS_ASSERT_OK(r);
    EXPECT_TRUE(r->existed);
    expectSameAttr(r->attr, f, "unchecked create returns the file as it is");
    auto fresh = meta_.create(root_, "g", a, at(21));
    DFS_ASSERT_OK(fresh);
    EXPECT_FALSE(fresh->existed);
    EXPECT_EQ(fresh->attr.mode, 0777u);
    mkdir(root_, "d");
    DFS_EXPECT_CODE(meta_.create(root_, "d", a, at(22)), DFS_ERR_EXIST);
    auto mk = args(DFS_TYPE_DIR);
    mk.how = DFS_CREATE_UNCHECKED;
    DFS_EXPECT_CODE(meta_.create(root_, "f", mk, at(22)), DFS_ERR_EXIST);
}

TEST_F(MetadataStoreTest, CreateExclusiveUsesTheVerifier) {
    auto a = args(DFS_TYPE_REG, 0600);
    a.how = DFS_CREATE_EXCLUSIVE;
    const uint8_t v1[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const uint8_t v2[8] = {1, 2, 3, 4, 5, 6, 7, 9};
    std::memcpy(a.verifier, v1, 8);
    auto r = meta_.create(root_, "x", a, at(30));
    if (r.code() == DFS_ERR_NOTSUPP) {
        GTEST_SKIP() << "exclusive create not supported";
    }
    DFS_ASSERT_OK(r);
    EXPECT_FALSE(r->existed);
    uint8_t got[8] = {};
    auto v = meta_.getVerifier(r->attr.ino, got);
    if (v.code() == DFS_ERR_NOTSUPP) {
        GTEST_SKIP() << "get_verifier not supported (the kernel refuses exclusive creates)";
    }
    DFS_ASSERT_OK(v);
    EXPECT_EQ(std::memcmp(got, v1, 8), 0);

    auto again = meta_.create(root_, "x", a, at(31));
    DFS_ASSERT_OK(again);
    EXPECT_TRUE(again->existed) << "a retransmitted exclusive create returns the file";
    EXPECT_EQ(again->attr.ino, r->attr.ino);
    DFS_EXPECT_TIME(again->attr.ctime, at(30));

    std::memcpy(a.verifier, v2, 8);
    DFS_EXPECT_CODE(meta_.create(root_, "x", a, at(32)), DFS_ERR_EXIST);
    DFS_EXPECT_CODE(meta_.create(root_, "x", args(DFS_TYPE_REG), at(32)), DFS_ERR_EXIST);
    mkfile(root_, "plain");
    DFS_EXPECT_CODE(meta_.create(root_, "plain", a, at(33)), DFS_ERR_EXIST);
}

TEST_F(MetadataStoreTest, GetVerifierErrors) {
    dfs_attr_t f = mkfile(root_, "plain");
    uint8_t got[8] = {};
    auto s = meta_.getVerifier(f.ino, got);
    if (s.code() == DFS_ERR_NOTSUPP) {
        GTEST_SKIP() << "get_verifier not supported";
    }
    DFS_EXPECT_CODE(s, DFS_ERR_NOENT);
    DFS_EXPECT_CODE(meta_.getVerifier(0x7a11ab1e5eed, got), DFS_ERR_STALE);
}

TEST_F(MetadataStoreTest, InvalidNamesAreRefused) {
    dfs_attr_t f = mkfile(root_, "f");
    const std::string bad[] = {"", ".", "..", "a/b", "/", std::string("a\0b", 3)};
    bool canLink = meta_.link(f.ino, root_, "probe", at(1)).code() != DFS_ERR_NOTSUPP;
    for (const std::string& name : bad) {
        SCOPED_TRACE("name '" + name + "'");
        DFS_EXPECT_CODE(meta_.create(root_, name, args(DFS_TYPE_REG), at(1)), DFS_ERR_BADNAME);
        DFS_EXPECT_CODE(meta_.create(root_, name, args(DFS_TYPE_DIR), at(1)), DFS_ERR_BADNAME);
        DFS_EXPECT_CODE(meta_.rename(root_, "f", root_, name, at(1)), DFS_ERR_BADNAME);
        if (canLink) {
            DFS_EXPECT_CODE(meta_.link(f.ino, root_, name, at(1)), DFS_ERR_BADNAME);
        }
    }
    std::vector<std::string> want = {"f"};
    if (canLink) {
        want.push_back("probe");
    }
    auto names = list(root_);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, want);
}

TEST_F(MetadataStoreTest, NameLengthLimit) {
    const std::string longest(DFS_NAME_MAX, 'n');
    const std::string tooLong(DFS_NAME_MAX + 1, 'n');
    DFS_EXPECT_CODE(meta_.create(root_, tooLong, args(DFS_TYPE_REG), at(1)), DFS_ERR_NAMETOOLONG);
    DFS_EXPECT_CODE(meta_.create(root_, tooLong, args(DFS_TYPE_DIR), at(1)), DFS_ERR_NAMETOOLONG);
    dfs_attr_t f = mkfile(root_, longest);
    EXPECT_EQ(inoOf(meta_, root_, longest), f.ino);
    DFS_EXPECT_CODE(meta_.rename(root_, longest, root_, tooLong, at(1)), DFS_ERR_NAMETOOLONG);
    auto l = meta_.link(f.ino, root_, tooLong, at(1));
    if (l.code() != DFS_ERR_NOTSUPP) {
        DFS_EXPECT_CODE(l, DFS_ERR_NAMETOOLONG);
    }
    auto names = list(root_);
    ASSERT_EQ(names.size(), 1u);
    EXPECT_EQ(names[0], longest);
}

TEST_F(MetadataStoreTest, SymlinkTargetLengthLimit) {
    const std::string longest(DFS_PATH_MAX, 't');
    const std::string tooLong(DFS_PATH_MAX + 1, 't');
    auto a = args(DFS_TYPE_LNK, 0777);
    a.symlink_target = toC(tooLong);
    DFS_EXPECT_CODE(meta_.create(root_, "l", a, at(1)), DFS_ERR_NAMETOOLONG);
    DFS_EXPECT_CODE(meta_.lookup(root_, "l"), DFS_ERR_NOENT);
    a.symlink_target = toC(longest);
    auto r = meta_.create(root_, "l", a, at(1));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->attr.size, DFS_PATH_MAX);
    auto t = meta_.readlink(r->attr.ino);
    DFS_ASSERT_OK(t);
    EXPECT_EQ(*t, longest);
}

TEST_F(MetadataStoreTest, RemoveLastLinkDeletesTheObject) {
    dfs_attr_t f = mkfile(root_, "f");
    dfs_attr_t before = attrOf(meta_, root_);
    auto r = meta_.remove(root_, "f", DFS_REMOVE_NONDIR, at(40));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->ino, f.ino);
    EXPECT_EQ(r->type, DFS_TYPE_REG);
    EXPECT_EQ(r->nlink, 0u);
    DFS_EXPECT_CODE(meta_.getattr(f.ino), DFS_ERR_STALE);
    DFS_EXPECT_CODE(meta_.lookup(root_, "f"), DFS_ERR_NOENT);
    DFS_EXPECT_CODE(meta_.remove(root_, "f", DFS_REMOVE_NONDIR, at(41)), DFS_ERR_NOENT);
    dfs_attr_t dir = attrOf(meta_, root_);
    DFS_EXPECT_TIME(dir.mtime, at(40));
    DFS_EXPECT_TIME(dir.ctime, at(40));
    EXPECT_GT(dir.change, before.change);
    EXPECT_TRUE(list(root_).empty());
}

TEST_F(MetadataStoreTest, RemoveOfEveryType) {
    for (dfs_ftype_t t : {DFS_TYPE_LNK, DFS_TYPE_CHR, DFS_TYPE_BLK, DFS_TYPE_FIFO, DFS_TYPE_SOCK}) {
        SCOPED_TRACE(t);
        auto a = args(t);
        a.symlink_target = toC("x");
        auto c = meta_.create(root_, "obj", a, at(1));
        DFS_ASSERT_OK(c);
        auto r = meta_.remove(root_, "obj", DFS_REMOVE_NONDIR, at(2));
        DFS_ASSERT_OK(r);
        EXPECT_EQ(r->nlink, 0u);
        DFS_EXPECT_CODE(meta_.getattr(c->attr.ino), DFS_ERR_STALE);
    }
}

TEST_F(MetadataStoreTest, RemoveFlagsCheckTheType) {
    dfs_attr_t f = mkfile(root_, "f");
    dfs_attr_t d = mkdir(root_, "d");
    dfs_attr_t full = mkdir(root_, "full");
    mkfile(full.ino, "inside");
    DFS_EXPECT_CODE(meta_.remove(root_, "d", DFS_REMOVE_NONDIR, at(1)), DFS_ERR_ISDIR);
    DFS_EXPECT_CODE(meta_.remove(root_, "f", DFS_REMOVE_DIR, at(1)), DFS_ERR_NOTDIR);
    DFS_EXPECT_CODE(meta_.remove(root_, "full", DFS_REMOVE_DIR, at(1)), DFS_ERR_NOTEMPTY);
    DFS_EXPECT_CODE(meta_.remove(root_, "missing", DFS_REMOVE_NONDIR, at(1)), DFS_ERR_NOENT);
    DFS_EXPECT_CODE(meta_.remove(f.ino, "x", DFS_REMOVE_NONDIR, at(1)), DFS_ERR_NOTDIR);
    DFS_EXPECT_CODE(meta_.remove(d.ino, ".", DFS_REMOVE_DIR, at(1)), DFS_ERR_BADNAME);
    DFS_EXPECT_CODE(meta_.remove(d.ino, "..", DFS_REMOVE_DIR, at(1)), DFS_ERR_BADNAME);
    EXPECT_EQ(attrOf(meta_, f.ino).nlink, 1u);
    EXPECT_EQ(attrOf(meta_, d.ino).nlink, 2u);
    EXPECT_EQ(attrOf(meta_, root_).nlink, 4u);
    EXPECT_EQ(list(root_).size(), 3u);
    EXPECT_EQ(list(full.ino).size(), 1u);
}

TEST_F(MetadataStoreTest, RmdirDropsParentLinkCount) {
    dfs_attr_t a = mkdir(root_, "a");
    dfs_attr_t b = mkdir(root_, "b");
    dfs_attr_t c = mkdir(a.ino, "c");
    EXPECT_EQ(attrOf(meta_, root_).nlink, 4u);
    auto r = meta_.remove(a.ino, "c", DFS_REMOVE_DIR, at(50));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->ino, c.ino);
    EXPECT_EQ(r->nlink, 0u);
    DFS_EXPECT_CODE(meta_.getattr(c.ino), DFS_ERR_STALE);
    dfs_attr_t pa = attrOf(meta_, a.ino);
    EXPECT_EQ(pa.nlink, 2u);
    DFS_EXPECT_TIME(pa.mtime, at(50));
    DFS_ASSERT_OK(meta_.remove(root_, "b", DFS_REMOVE_DIR, at(51)));
    DFS_EXPECT_CODE(meta_.getattr(b.ino), DFS_ERR_STALE);
    EXPECT_EQ(attrOf(meta_, root_).nlink, 3u);
    DFS_ASSERT_OK(meta_.remove(root_, "a", DFS_REMOVE_DIR, at(52)));
    EXPECT_EQ(attrOf(meta_, root_).nlink, 2u);
    EXPECT_TRUE(list(root_).empty());
}

TEST_F(MetadataStoreTest, HardLinksCountNames) {
    dfs_attr_t f = mkfile(root_, "f");
    dfs_attr_t d = mkdir(root_, "d");
    auto l = meta_.link(f.ino, root_, "g", at(60));
    if (l.code() == DFS_ERR_NOTSUPP) {
        GTEST_SKIP() << "link not supported";
    }
    DFS_ASSERT_OK(l);
    EXPECT_EQ(l->ino, f.ino);
    EXPECT_EQ(l->nlink, 2u);
    DFS_EXPECT_TIME(l->ctime, at(60));
    EXPECT_GT(l->change, f.change);
    DFS_EXPECT_TIME(attrOf(meta_, root_).mtime, at(60));
    auto l2 = meta_.link(f.ino, d.ino, "h", at(61));
    DFS_ASSERT_OK(l2);
    EXPECT_EQ(l2->nlink, 3u);
    EXPECT_EQ(inoOf(meta_, root_, "g"), f.ino);
    EXPECT_EQ(inoOf(meta_, d.ino, "h"), f.ino);
    EXPECT_EQ(attrOf(meta_, d.ino).nlink, 2u) << "a file link does not change a directory's nlink";

    auto r1 = meta_.remove(root_, "f", DFS_REMOVE_NONDIR, at(62));
    DFS_ASSERT_OK(r1);
    EXPECT_EQ(r1->nlink, 2u);
    DFS_EXPECT_TIME(r1->ctime, at(62));
    EXPECT_EQ(attrOf(meta_, f.ino).nlink, 2u);
    auto r2 = meta_.remove(d.ino, "h", DFS_REMOVE_NONDIR, at(63));
    DFS_ASSERT_OK(r2);
    EXPECT_EQ(r2->nlink, 1u);
    auto r3 = meta_.remove(root_, "g", DFS_REMOVE_NONDIR, at(64));
    DFS_ASSERT_OK(r3);
    EXPECT_EQ(r3->nlink, 0u);
    DFS_EXPECT_CODE(meta_.getattr(f.ino), DFS_ERR_STALE);
}

TEST_F(MetadataStoreTest, LinkErrors) {
    dfs_attr_t f = mkfile(root_, "f");
    dfs_attr_t g = mkfile(root_, "g");
    dfs_attr_t d = mkdir(root_, "d");
    auto l = meta_.link(d.ino, root_, "dlink", at(1));
    if (l.code() == DFS_ERR_NOTSUPP) {
        GTEST_SKIP() << "link not supported";
    }
    DFS_EXPECT_CODE(l, DFS_ERR_PERM);
    DFS_EXPECT_CODE(meta_.link(f.ino, root_, "g", at(1)), DFS_ERR_EXIST);
    DFS_EXPECT_CODE(meta_.link(f.ino, root_, "d", at(1)), DFS_ERR_EXIST);
    DFS_EXPECT_CODE(meta_.link(f.ino, g.ino, "x", at(1)), DFS_ERR_NOTDIR);
    DFS_EXPECT_CODE(meta_.link(0x7a11ab1e5eed, root_, "x", at(1)), DFS_ERR_STALE);
    EXPECT_EQ(attrOf(meta_, f.ino).nlink, 1u);
    EXPECT_EQ(attrOf(meta_, g.ino).nlink, 1u);
    EXPECT_EQ(attrOf(meta_, d.ino).nlink, 2u);
    EXPECT_EQ(inoOf(meta_, root_, "g"), g.ino);
}

TEST_F(MetadataStoreTest, InodeNumbersAreUniqueAndNotReused) {
    std::set<uint64_t> seen{root_};
    for (int i = 0; i < 20; ++i) {
        std::string name = "f" + std::to_string(i);
        dfs_attr_t f = i % 2 == 0 ? mkfile(root_, name) : mkdir(root_, name);
        EXPECT_TRUE(seen.insert(f.ino).second) << "inode " << f.ino << " handed out twice";
        DFS_ASSERT_OK(meta_.remove(root_, name, i % 2 == 0 ? DFS_REMOVE_NONDIR : DFS_REMOVE_DIR, at(1)));
    }
}

}  // namespace
}  // namespace dfs::kit
