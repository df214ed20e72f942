// DittoFS store conformance kit, metadata stores: what survives closing and reopening the
// store (store.h: "What the store acknowledged survives a crash", cookies valid "after a
// restart", inode numbers "never reused while the store lives"). Clients hold file handles
// (inode + generation) and readdir cookies across a server restart. Skipped for --volatile.
#include "metadata_kit.hpp"

#include <algorithm>
#include <cstring>
#include <set>

namespace dfs::kit {
namespace {

class MetadataPersistenceTest : public MetadataStoreTest {
protected:
    void SetUp() override {
        MetadataStoreTest::SetUp();
        if (!HasFatalFailure() && !IsSkipped() && isVolatile()) {
            GTEST_SKIP() << "volatile store: nothing survives a reopen";
        }
    }
    // Reopens and reads the root again.
    void restart() {
        reopen();
        auto r = meta_.root();
        ASSERT_TRUE(r.ok()) << statusName(r.code());
        EXPECT_EQ(*r, root_) << "the root keeps its inode number";
    }
};

TEST_F(MetadataPersistenceTest, ReopenKeepsTheNamespace) {
    auto da = args(DFS_TYPE_DIR, 0750);
    da.uid = 7;
    da.gid = 8;
    auto d = meta_.create(root_, "dir", da, at(1));
    DFS_ASSERT_OK(d);
    dfs_attr_t f = mkfile(d->attr.ino, "file", 0640);
    auto sa = setattrOf(DFS_SET_SIZE | DFS_SET_MTIME | DFS_SET_ATIME);
    sa.size = 1234;
    sa.mtime = at(-5);
    sa.atime = at(-6);
    DFS_ASSERT_OK(meta_.setattr(f.ino, sa, at(2)));
    auto la = args(DFS_TYPE_LNK, 0777);
    la.symlink_target = toC("dir/file");
    auto l = meta_.create(root_, "link", la, at(3));
    DFS_ASSERT_OK(l);
    auto ca = args(DFS_TYPE_CHR, 0600);
    ca.rdev_major = 1;
    ca.rdev_minor = 3;
    auto c = meta_.create(d->attr.ino, "null", ca, at(4));
    DFS_ASSERT_OK(c);
    bool linked = meta_.link(f.ino, root_, "hard", at(5)).ok();
    bool xattrs = meta_.setxattr(f.ino, "user.k", std::string("v\0w", 3), 0, at(6)).ok();
    mkfile(root_, "gone");
    DFS_ASSERT_OK(meta_.remove(root_, "gone", DFS_REMOVE_NONDIR, at(7)));
    DFS_ASSERT_OK(meta_.rename(root_, "link", d->attr.ino, "link2", at(8)));

    std::vector<uint64_t> inos = {root_, d->attr.ino, f.ino, l->attr.ino, c->attr.ino};
    std::vector<dfs_attr_t> before;
    for (uint64_t ino : inos) {
        before.push_back(attrOf(meta_, ino));
    }
    auto rootList = listFrom(meta_, root_, 0);
    auto dirList = listFrom(meta_, d->attr.ino, 0);
    DFS_ASSERT_OK(meta_.sync());

    restart();
    for (size_t i = 0; i < inos.size(); ++i) {
        expectSameAttr(attrOf(meta_, inos[i]), before[i], "inode " + std::to_string(inos[i]) + " after reopen");
    }
    for (auto [dir, want] : {std::pair{root_, rootList}, std::pair{d->attr.ino, dirList}}) {
        auto got = listFrom(meta_, dir, 0);
        ASSERT_EQ(got.size(), want.size());
        for (size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].name, want[i].name);
            EXPECT_EQ(got[i].ino, want[i].ino);
            EXPECT_EQ(got[i].cookie, want[i].cookie) << "cookies survive a restart";
            EXPECT_EQ(got[i].type, want[i].type);
        }
    }
    DFS_EXPECT_CODE(meta_.lookup(root_, "gone"), DFS_ERR_NOENT);
    DFS_EXPECT_CODE(meta_.lookup(root_, "link"), DFS_ERR_NOENT);
    EXPECT_EQ(inoOf(meta_, d->attr.ino, "link2"), l->attr.ino);
    EXPECT_EQ(inoOf(meta_, d->attr.ino, ".."), root_);
    auto t = meta_.readlink(l->attr.ino);
    DFS_ASSERT_OK(t);
    EXPECT_EQ(*t, "dir/file");
    if (linked) {
        EXPECT_EQ(inoOf(meta_, root_, "hard"), f.ino);
        EXPECT_EQ(attrOf(meta_, f.ino).nlink, 2u);
    }
    if (xattrs) {
        auto v = meta_.getxattr(f.ino, "user.k");
        DFS_ASSERT_OK(v);
        EXPECT_EQ(*v, std::string("v\0w", 3));
    }
}

TEST_F(MetadataPersistenceTest, RemovedObjectsStayRemoved) {
    dfs_attr_t f = mkfile(root_, "f");
    dfs_attr_t d = mkdir(root_, "d");
    DFS_ASSERT_OK(meta_.remove(root_, "f", DFS_REMOVE_NONDIR, at(1)));
    DFS_ASSERT_OK(meta_.remove(root_, "d", DFS_REMOVE_DIR, at(1)));
    restart();
    DFS_EXPECT_CODE(meta_.getattr(f.ino), DFS_ERR_STALE);
    DFS_EXPECT_CODE(meta_.getattr(d.ino), DFS_ERR_STALE);
    EXPECT_TRUE(list(root_).empty());
    EXPECT_EQ(attrOf(meta_, root_).nlink, 2u);
}

TEST_F(MetadataPersistenceTest, ListingInProgressResumesAfterReopen) {
    for (int i = 0; i < 50; ++i) {
        mkfile(root_, "e" + std::to_string(i));
    }
    auto all = listFrom(meta_, root_, 0);
    ASSERT_EQ(all.size(), 50u);
    auto first = listFrom(meta_, root_, 0, 10);
    ASSERT_EQ(first.size(), 10u);
    restart();
    bool eof = false;
    auto rest = listFrom(meta_, root_, first.back().cookie, SIZE_MAX, &eof);
    EXPECT_TRUE(eof);
    ASSERT_EQ(rest.size(), 40u);
    for (size_t i = 0; i < rest.size(); ++i) {
        EXPECT_EQ(rest[i].name, all[10 + i].name);
        EXPECT_EQ(rest[i].cookie, all[10 + i].cookie);
    }
}

TEST_F(MetadataPersistenceTest, InodeNumbersAndCookiesAreNotReusedAfterReopen) {
    std::set<uint64_t> issued{root_};
    dfs_attr_t keep = mkfile(root_, "keep");
    issued.insert(keep.ino);
    uint64_t maxCookie = 0;
    for (int i = 0; i < 5; ++i) {
        dfs_attr_t f = mkfile(root_, "tmp" + std::to_string(i));
        issued.insert(f.ino);
    }
    for (const auto& e : listFrom(meta_, root_, 0)) {
        maxCookie = std::max(maxCookie, e.cookie);
    }
    // Remove the newest objects: a store that derives the next number from the largest
    // one still in use would hand these out again.
    for (int i = 0; i < 5; ++i) {
        DFS_ASSERT_OK(meta_.remove(root_, "tmp" + std::to_string(i), DFS_REMOVE_NONDIR, at(1)));
    }
    restart();
    for (int i = 0; i < 5; ++i) {
        dfs_attr_t f = mkfile(root_, "new" + std::to_string(i));
        EXPECT_EQ(issued.count(f.ino), 0u) << "inode " << f.ino << " reused after reopen";
        issued.insert(f.ino);
    }
    for (const auto& e : listFrom(meta_, root_, 0)) {
        if (e.name != "keep") {
            EXPECT_GT(e.cookie, maxCookie) << e.name << ": cookie reused after reopen";
        }
    }
}

TEST_F(MetadataPersistenceTest, ChangeAttributeKeepsIncreasingAfterReopen) {
    dfs_attr_t f = mkfile(root_, "f");
    auto sa = setattrOf(DFS_SET_MODE);
    sa.mode = 0600;
    auto r = meta_.setattr(f.ino, sa, at(1));
    DFS_ASSERT_OK(r);
    uint64_t fileChange = r->change;
    uint64_t dirChange = attrOf(meta_, root_).change;
    restart();
    EXPECT_EQ(attrOf(meta_, f.ino).change, fileChange);
    sa.mode = 0644;
    r = meta_.setattr(f.ino, sa, at(2));
    DFS_ASSERT_OK(r);
    EXPECT_GT(r->change, fileChange);
    mkfile(root_, "g");
    EXPECT_GT(attrOf(meta_, root_).change, dirChange);
}

TEST_F(MetadataPersistenceTest, ExclusiveCreateVerifierSurvivesReopen) {
    auto a = args(DFS_TYPE_REG, 0600);
    a.how = DFS_CREATE_EXCLUSIVE;
    const uint8_t v[8] = {9, 8, 7, 6, 5, 4, 3, 2};
    std::memcpy(a.verifier, v, 8);
    auto r = meta_.create(root_, "x", a, at(1));
    DFS_ASSERT_OK(r);
    uint8_t got[8] = {};
    if (meta_.getVerifier(r->attr.ino, got).code() == DFS_ERR_NOTSUPP) {
        GTEST_SKIP() << "get_verifier not supported";
    }
    restart();
    std::memset(got, 0, sizeof got);
    DFS_ASSERT_OK(meta_.getVerifier(r->attr.ino, got));
    EXPECT_EQ(std::memcmp(got, v, 8), 0);
    auto again = meta_.create(root_, "x", a, at(2));
    DFS_ASSERT_OK(again);
    EXPECT_TRUE(again->existed) << "a create retransmitted across a restart returns the file";
    EXPECT_EQ(again->attr.ino, r->attr.ino);
}

}  // namespace
}  // namespace dfs::kit
