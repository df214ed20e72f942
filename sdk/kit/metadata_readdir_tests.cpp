// DittoFS store conformance kit, metadata stores: directory listings (store.h: readdir and
// "Directory listing"). Protocol plugins page through a directory with cookies across many
// requests while other clients change it; these tests are that client.
#include "metadata_kit.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace dfs::kit {
namespace {

TEST_F(MetadataStoreTest, ReaddirListsEveryEntryButNotDots) {
    dfs_attr_t f = mkfile(root_, "file");
    dfs_attr_t d = mkdir(root_, "dir");
    auto a = args(DFS_TYPE_LNK, 0777);
    a.symlink_target = toC("file");
    auto l = meta_.create(root_, "link", a, at(1));
    DFS_ASSERT_OK(l);
    bool eof = false;
    auto all = listFrom(meta_, root_, 0, SIZE_MAX, &eof);
    EXPECT_TRUE(eof);
    std::map<std::string, Listed> byName;
    for (const Listed& e : all) {
        EXPECT_NE(e.name, ".");
        EXPECT_NE(e.name, "..");
        EXPECT_TRUE(byName.emplace(e.name, e).second) << "listed twice: " << e.name;
    }
    ASSERT_EQ(byName.size(), 3u);
    EXPECT_EQ(byName["file"].ino, f.ino);
    EXPECT_EQ(byName["file"].type, DFS_TYPE_REG);
    EXPECT_EQ(byName["dir"].ino, d.ino);
    EXPECT_EQ(byName["dir"].type, DFS_TYPE_DIR);
    EXPECT_EQ(byName["link"].ino, l->attr.ino);
    EXPECT_EQ(byName["link"].type, DFS_TYPE_LNK);
}

TEST_F(MetadataStoreTest, ReaddirOfAnEmptyDirectoryEndsAtOnce) {
    dfs_attr_t d = mkdir(root_, "d");
    bool eof = false;
    EXPECT_TRUE(listFrom(meta_, d.ino, 0, SIZE_MAX, &eof).empty());
    EXPECT_TRUE(eof);
    eof = false;
    for (bool plus : {false, true}) {
        eof = false;
        EXPECT_TRUE(listFrom(meta_, d.ino, 0, 0, &eof, plus).empty());
        EXPECT_TRUE(eof) << "nothing to refuse: the listing is complete" << (plus ? " (readdirPlus)" : "");
    }
}

TEST_F(MetadataStoreTest, ReaddirCookiesStartAtFirstAndIncrease) {
    for (int i = 0; i < 40; ++i) {
        mkfile(root_, "e" + std::to_string(i));
    }
    auto all = listFrom(meta_, root_, 0);
    ASSERT_EQ(all.size(), 40u);
    uint64_t prev = 0;
    for (const Listed& e : all) {
        EXPECT_GE(e.cookie, DFS_COOKIE_FIRST) << e.name;
        EXPECT_GT(e.cookie, prev) << e.name << ": cookies must increase along a listing";
        prev = e.cookie;
    }
    bool eof = false;
    EXPECT_TRUE(listFrom(meta_, root_, all.back().cookie, SIZE_MAX, &eof).empty());
    EXPECT_TRUE(eof);
}

TEST_F(MetadataStoreTest, ReaddirResumesAfterAnyCookie) {
    for (int i = 0; i < 25; ++i) {
        mkfile(root_, "e" + std::to_string(i));
    }
    auto all = listFrom(meta_, root_, 0);
    ASSERT_EQ(all.size(), 25u);
    for (size_t i = 0; i < all.size(); ++i) {
        SCOPED_TRACE(all[i].name);
        auto rest = listFrom(meta_, root_, all[i].cookie);
        ASSERT_EQ(rest.size(), all.size() - i - 1);
        for (size_t j = 0; j < rest.size(); ++j) {
            EXPECT_EQ(rest[j].name, all[i + 1 + j].name);
            EXPECT_EQ(rest[j].cookie, all[i + 1 + j].cookie);
            EXPECT_EQ(rest[j].ino, all[i + 1 + j].ino);
        }
    }
}

// For readdir and readdirPlus alike.
TEST_F(MetadataStoreTest, ReaddirStopsWhereTheSinkRefuses) {
    for (int i = 0; i < 10; ++i) {
        mkfile(root_, "e" + std::to_string(i));
    }
    auto all = listFrom(meta_, root_, 0);
    ASSERT_EQ(all.size(), 10u);

    for (bool plus : {false, true}) {
        SCOPED_TRACE(plus ? "readdirPlus" : "readdir");
        std::vector<std::string> offered;
        auto take = [&](const dfs_dirent_t& e) {
            offered.emplace_back(toView(e.name));
            return offered.size() <= 3;  // takes three, refuses the fourth
        };
        auto r = plus ? meta_.readdirPlus(root_, 0, [&](const dfs_dirent_t& e, const dfs_attr_t*) { return take(e); })
                      : meta_.readdir(root_, 0, take);
        DFS_ASSERT_OK(r);
        EXPECT_FALSE(*r) << "eof must be 0 when the sink refused an entry";
        ASSERT_EQ(offered.size(), 4u) << "the store must stop at the first refusal";
        EXPECT_EQ(offered[3], all[3].name);

        bool eof = true;
        auto next = listFrom(meta_, root_, all[2].cookie, 1, &eof, plus);
        ASSERT_EQ(next.size(), 1u);
        EXPECT_EQ(next[0].name, all[3].name) << "the refused entry comes first next time";
        EXPECT_FALSE(eof);

        eof = true;
        EXPECT_TRUE(listFrom(meta_, root_, 0, 0, &eof, plus).empty());
        EXPECT_FALSE(eof) << "refusing the very first entry is not the end";

        eof = false;
        auto last = listFrom(meta_, root_, all[8].cookie, 1, &eof, plus);
        ASSERT_EQ(last.size(), 1u);
        EXPECT_TRUE(eof) << "the last entry was delivered: eof";
    }
}

// A cookie stays valid while entries are added and removed: nothing that existed throughout
// is skipped or repeated, nothing removed before it was reached shows up, and everything
// added later does (it gets a larger cookie than any before).
TEST_F(MetadataStoreTest, ReaddirCookiesSurviveChangesInBetween) {
    for (int i = 0; i < 100; ++i) {
        mkfile(root_, "old" + std::to_string(i));
    }
    auto first = listFrom(meta_, root_, 0, 30);
    ASSERT_EQ(first.size(), 30u);
    std::set<std::string> seen;
    for (const auto& e : first) {
        seen.insert(e.name);
    }
    std::set<std::string> all;
    for (const auto& e : listFrom(meta_, root_, 0)) {
        all.insert(e.name);
    }
    std::set<std::string> removedAhead;
    std::set<std::string> removedBehind;
    int n = 0;
    for (const std::string& name : all) {
        if (++n % 7 != 0) {
            continue;
        }
        DFS_ASSERT_OK(meta_.remove(root_, name, DFS_REMOVE_NONDIR, at(n)));
        (seen.count(name) != 0 ? removedBehind : removedAhead).insert(name);
    }
    // The cookie the listing resumes from may belong to a removed entry.
    if (removedBehind.count(first.back().name) == 0) {
        DFS_ASSERT_OK(meta_.remove(root_, first.back().name, DFS_REMOVE_NONDIR, at(200)));
        removedBehind.insert(first.back().name);
    }
    std::set<std::string> added;
    for (int i = 0; i < 20; ++i) {
        std::string name = "new" + std::to_string(i);
        mkfile(root_, name);
        added.insert(name);
    }
    // A name removed ahead of the listing and created again is a new entry.
    ASSERT_FALSE(removedAhead.empty());
    const std::string again = *removedAhead.begin();
    mkfile(root_, again);
    added.insert(again);

    std::multiset<std::string> continued;
    uint64_t cookie = first.back().cookie;
    for (;;) {
        bool eof = false;
        auto part = listFrom(meta_, root_, cookie, 13, &eof);
        for (const auto& e : part) {
            EXPECT_GT(e.cookie, cookie);
            continued.insert(e.name);
        }
        if (eof) {
            break;
        }
        ASSERT_FALSE(part.empty());
        cookie = part.back().cookie;
    }
    std::multiset<std::string> want(added.begin(), added.end());
    for (const std::string& name : all) {
        if (seen.count(name) == 0 && removedAhead.count(name) == 0) {
            want.insert(name);  // existed throughout and not yet listed
        }
    }
    EXPECT_EQ(continued, want);
    for (const std::string& name : all) {
        if (seen.count(name) != 0) {
            EXPECT_EQ(continued.count(name), 0u) << name << " was listed twice";
        }
    }
}

TEST_F(MetadataStoreTest, ReaddirOfANonDirectory) {
    dfs_attr_t f = mkfile(root_, "f");
    DFS_EXPECT_CODE(meta_.readdir(f.ino, 0, [](const dfs_dirent_t&) { return true; }), DFS_ERR_NOTDIR);
    DFS_EXPECT_CODE(meta_.readdir(0x7a11ab1e5eed, 0, [](const dfs_dirent_t&) { return true; }), DFS_ERR_STALE);
}

TEST_F(MetadataStoreTest, LargeDirectoryListsCompletelyWithResume) {
    constexpr int kEntries = 10000;
    dfs_attr_t d = mkdir(root_, "big");
    for (int i = 0; i < kEntries; ++i) {
        auto r = meta_.create(d.ino, "entry-" + std::to_string(i), args(DFS_TYPE_REG), at(1));
        ASSERT_TRUE(r.ok()) << i << ": " << statusName(r.code());
    }
    auto all = listPaged(meta_, d.ino, 333);
    ASSERT_EQ(all.size(), static_cast<size_t>(kEntries));
    std::set<std::string> names;
    uint64_t prev = 0;
    for (const Listed& e : all) {
        names.insert(e.name);
        EXPECT_GT(e.cookie, prev);
        prev = e.cookie;
    }
    EXPECT_EQ(names.size(), static_cast<size_t>(kEntries));
    for (int i = 0; i < kEntries; i += 997) {
        EXPECT_EQ(names.count("entry-" + std::to_string(i)), 1u);
    }
    EXPECT_EQ(attrOf(meta_, d.ino).nlink, 2u);
}

}  // namespace
}  // namespace dfs::kit
