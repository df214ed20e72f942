// DittoFS store conformance kit, metadata stores: rename (store.h: rename), POSIX rename(2)
// semantics: replace a file or an empty directory, never create a loop, keep ".." and the
// link counts of both parents right.
#include "metadata_kit.hpp"

#include <algorithm>

namespace dfs::kit {
namespace {

std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

TEST_F(MetadataStoreTest, RenameWithinADirectory) {
    dfs_attr_t f = mkfile(root_, "old");
    dfs_attr_t before = attrOf(meta_, root_);
    auto r = meta_.rename(root_, "old", root_, "new", at(70));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->ino, 0u) << "nothing was replaced";
    DFS_EXPECT_CODE(meta_.lookup(root_, "old"), DFS_ERR_NOENT);
    EXPECT_EQ(inoOf(meta_, root_, "new"), f.ino);
    EXPECT_EQ(list(root_), std::vector<std::string>{"new"});
    dfs_attr_t moved = attrOf(meta_, f.ino);
    EXPECT_EQ(moved.nlink, 1u);
    EXPECT_EQ(moved.generation, f.generation);
    dfs_attr_t dir = attrOf(meta_, root_);
    DFS_EXPECT_TIME(dir.mtime, at(70));
    DFS_EXPECT_TIME(dir.ctime, at(70));
    EXPECT_GT(dir.change, before.change);
}

TEST_F(MetadataStoreTest, RenameAcrossDirectories) {
    dfs_attr_t a = mkdir(root_, "a");
    dfs_attr_t b = mkdir(root_, "b");
    dfs_attr_t f = mkfile(a.ino, "f");
    dfs_attr_t aBefore = attrOf(meta_, a.ino);
    dfs_attr_t bBefore = attrOf(meta_, b.ino);
    auto r = meta_.rename(a.ino, "f", b.ino, "g", at(71));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->ino, 0u);
    EXPECT_TRUE(list(a.ino).empty());
    EXPECT_EQ(list(b.ino), std::vector<std::string>{"g"});
    EXPECT_EQ(inoOf(meta_, b.ino, "g"), f.ino);
    dfs_attr_t aa = attrOf(meta_, a.ino);
    dfs_attr_t ba = attrOf(meta_, b.ino);
    DFS_EXPECT_TIME(aa.mtime, at(71));
    DFS_EXPECT_TIME(ba.mtime, at(71));
    EXPECT_GT(aa.change, aBefore.change);
    EXPECT_GT(ba.change, bBefore.change);
    EXPECT_EQ(aa.nlink, 2u);
    EXPECT_EQ(ba.nlink, 2u);
}

TEST_F(MetadataStoreTest, RenameOverAFileReplacesIt) {
    dfs_attr_t src = mkfile(root_, "src");
    dfs_attr_t dst = mkfile(root_, "dst");
    auto r = meta_.rename(root_, "src", root_, "dst", at(72));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->ino, dst.ino);
    EXPECT_EQ(r->type, DFS_TYPE_REG);
    EXPECT_EQ(r->nlink, 0u) << "the replaced file had one name: it is gone";
    DFS_EXPECT_CODE(meta_.getattr(dst.ino), DFS_ERR_STALE);
    EXPECT_EQ(inoOf(meta_, root_, "dst"), src.ino);
    EXPECT_EQ(list(root_), std::vector<std::string>{"dst"});
}

TEST_F(MetadataStoreTest, RenameOverAFileWithAnotherNameKeepsIt) {
    dfs_attr_t src = mkfile(root_, "src");
    dfs_attr_t dst = mkfile(root_, "dst");
    if (meta_.link(dst.ino, root_, "other", at(1)).code() == DFS_ERR_NOTSUPP) {
        GTEST_SKIP() << "link not supported";
    }
    auto r = meta_.rename(root_, "src", root_, "dst", at(73));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->ino, dst.ino);
    EXPECT_EQ(r->nlink, 1u);
    DFS_EXPECT_TIME(r->ctime, at(73));
    dfs_attr_t still = attrOf(meta_, dst.ino);
    EXPECT_EQ(still.nlink, 1u);
    EXPECT_EQ(inoOf(meta_, root_, "other"), dst.ino);
    EXPECT_EQ(inoOf(meta_, root_, "dst"), src.ino);
}

TEST_F(MetadataStoreTest, RenameDirectoryOverAnEmptyDirectory) {
    dfs_attr_t a = mkdir(root_, "a");
    dfs_attr_t p = mkdir(root_, "p");
    dfs_attr_t empty = mkdir(p.ino, "empty");
    mkfile(a.ino, "keep");
    EXPECT_EQ(attrOf(meta_, root_).nlink, 4u);
    auto r = meta_.rename(root_, "a", p.ino, "empty", at(74));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->ino, empty.ino);
    EXPECT_EQ(r->type, DFS_TYPE_DIR);
    EXPECT_EQ(r->nlink, 0u);
    DFS_EXPECT_CODE(meta_.getattr(empty.ino), DFS_ERR_STALE);
    EXPECT_EQ(inoOf(meta_, p.ino, "empty"), a.ino);
    EXPECT_EQ(inoOf(meta_, a.ino, ".."), p.ino);
    EXPECT_EQ(list(a.ino), std::vector<std::string>{"keep"});
    EXPECT_EQ(attrOf(meta_, root_).nlink, 3u) << "root lost subdirectory a";
    EXPECT_EQ(attrOf(meta_, p.ino).nlink, 3u) << "p lost 'empty' and gained a";
    EXPECT_EQ(attrOf(meta_, a.ino).nlink, 2u);
}

TEST_F(MetadataStoreTest, RenameTypeMismatchesAndNonEmptyTargets) {
    dfs_attr_t f = mkfile(root_, "f");
    dfs_attr_t d = mkdir(root_, "d");
    dfs_attr_t full = mkdir(root_, "full");
    mkfile(full.ino, "x");
    DFS_EXPECT_CODE(meta_.rename(root_, "f", root_, "d", at(75)), DFS_ERR_ISDIR);
    DFS_EXPECT_CODE(meta_.rename(root_, "d", root_, "f", at(75)), DFS_ERR_NOTDIR);
    DFS_EXPECT_CODE(meta_.rename(root_, "d", root_, "full", at(75)), DFS_ERR_NOTEMPTY);
    DFS_EXPECT_CODE(meta_.rename(root_, "missing", root_, "y", at(75)), DFS_ERR_NOENT);
    DFS_EXPECT_CODE(meta_.rename(f.ino, "x", root_, "y", at(75)), DFS_ERR_NOTDIR);
    DFS_EXPECT_CODE(meta_.rename(root_, "f", f.ino, "y", at(75)), DFS_ERR_NOTDIR);
    DFS_EXPECT_CODE(meta_.rename(root_, ".", root_, "y", at(75)), DFS_ERR_BADNAME);
    DFS_EXPECT_CODE(meta_.rename(d.ino, "..", root_, "y", at(75)), DFS_ERR_BADNAME);
    // Nothing changed.
    EXPECT_EQ(sorted(list(root_)), (std::vector<std::string>{"d", "f", "full"}));
    EXPECT_EQ(inoOf(meta_, root_, "f"), f.ino);
    EXPECT_EQ(inoOf(meta_, root_, "d"), d.ino);
    EXPECT_EQ(attrOf(meta_, root_).nlink, 4u);
    EXPECT_EQ(attrOf(meta_, full.ino).nlink, 2u);
    EXPECT_NE(attrOf(meta_, root_).mtime.sec, at(75).sec);
}

TEST_F(MetadataStoreTest, RenameDirectoryIntoItselfOrItsSubtreeIsInval) {
    dfs_attr_t a = mkdir(root_, "a");
    dfs_attr_t b = mkdir(a.ino, "b");
    dfs_attr_t c = mkdir(b.ino, "c");
    DFS_EXPECT_CODE(meta_.rename(root_, "a", a.ino, "x", at(76)), DFS_ERR_INVAL);
    DFS_EXPECT_CODE(meta_.rename(root_, "a", b.ino, "x", at(76)), DFS_ERR_INVAL);
    DFS_EXPECT_CODE(meta_.rename(root_, "a", c.ino, "x", at(76)), DFS_ERR_INVAL);
    DFS_EXPECT_CODE(meta_.rename(a.ino, "b", c.ino, "x", at(76)), DFS_ERR_INVAL);
    EXPECT_EQ(inoOf(meta_, root_, "a"), a.ino);
    EXPECT_EQ(inoOf(meta_, a.ino, "b"), b.ino);
    EXPECT_EQ(inoOf(meta_, b.ino, "c"), c.ino);
    EXPECT_TRUE(list(c.ino).empty());
    EXPECT_EQ(inoOf(meta_, c.ino, ".."), b.ino);
    // Moving a directory up out of its parent is fine.
    DFS_ASSERT_OK(meta_.rename(b.ino, "c", root_, "c", at(77)));
    EXPECT_EQ(inoOf(meta_, c.ino, ".."), root_);
}

TEST_F(MetadataStoreTest, RenameOntoAnotherNameOfTheSameObjectDoesNothing) {
    dfs_attr_t f = mkfile(root_, "f");
    auto same = meta_.rename(root_, "f", root_, "f", at(78));
    DFS_ASSERT_OK(same);
    EXPECT_EQ(inoOf(meta_, root_, "f"), f.ino);
    if (meta_.link(f.ino, root_, "g", at(79)).code() == DFS_ERR_NOTSUPP) {
        GTEST_SKIP() << "link not supported";
    }
    dfs_attr_t before = attrOf(meta_, f.ino);
    auto r = meta_.rename(root_, "f", root_, "g", at(80));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(r->ino, 0u) << "nothing was replaced";
    EXPECT_EQ(inoOf(meta_, root_, "f"), f.ino);
    EXPECT_EQ(inoOf(meta_, root_, "g"), f.ino);
    dfs_attr_t after = attrOf(meta_, f.ino);
    EXPECT_EQ(after.nlink, 2u);
    expectSameAttr(after, before, "a no-op rename changes nothing");
    EXPECT_EQ(sorted(list(root_)), (std::vector<std::string>{"f", "g"}));
}

TEST_F(MetadataStoreTest, RenamedDirectoryPointsToItsNewParent) {
    dfs_attr_t a = mkdir(root_, "a");
    dfs_attr_t b = mkdir(root_, "b");
    dfs_attr_t c = mkdir(a.ino, "c");
    mkfile(c.ino, "inside");
    EXPECT_EQ(attrOf(meta_, a.ino).nlink, 3u);
    auto r = meta_.rename(a.ino, "c", b.ino, "c2", at(81));
    DFS_ASSERT_OK(r);
    EXPECT_EQ(inoOf(meta_, c.ino, ".."), b.ino);
    EXPECT_EQ(attrOf(meta_, a.ino).nlink, 2u);
    EXPECT_EQ(attrOf(meta_, b.ino).nlink, 3u);
    EXPECT_EQ(attrOf(meta_, root_).nlink, 4u);
    dfs_attr_t moved = attrOf(meta_, c.ino);
    EXPECT_EQ(moved.nlink, 2u);
    DFS_EXPECT_TIME(moved.ctime, at(81)) << "a moved directory's \"..\" changed";
    EXPECT_EQ(list(c.ino), std::vector<std::string>{"inside"});
    // The old parent can now be removed; the new one cannot.
    DFS_EXPECT_CODE(meta_.remove(root_, "b", DFS_REMOVE_DIR, at(82)), DFS_ERR_NOTEMPTY);
    DFS_ASSERT_OK(meta_.remove(root_, "a", DFS_REMOVE_DIR, at(82)));
    EXPECT_EQ(attrOf(meta_, root_).nlink, 3u);
}

TEST_F(MetadataStoreTest, RenamedEntryGetsANewLargerCookie) {
    dfs_attr_t a = mkdir(root_, "a");
    dfs_attr_t b = mkdir(root_, "b");
    for (int i = 0; i < 5; ++i) {
        mkfile(b.ino, "b" + std::to_string(i));
    }
    mkfile(a.ino, "moving");
    auto before = listFrom(meta_, b.ino, 0);
    ASSERT_EQ(before.size(), 5u);
    DFS_ASSERT_OK(meta_.rename(a.ino, "moving", b.ino, "moved", at(83)));
    auto after = listFrom(meta_, b.ino, before.back().cookie);
    ASSERT_EQ(after.size(), 1u) << "a listing resumed after the last old entry sees the new one";
    EXPECT_EQ(after[0].name, "moved");
    EXPECT_GT(after[0].cookie, before.back().cookie);
}

}  // namespace
}  // namespace dfs::kit
