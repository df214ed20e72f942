// DittoFS store conformance kit: helpers shared by the metadata-store tests
// (metadata_*_tests.cpp).
//
// Tests stamp fixed, distinct times (at(n)) instead of the clock, so they can assert the
// exact time a store recorded for each step, which is what a client sees in its attributes.
#pragma once

#include "kit.hpp"

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace dfs::kit {

// A fixed time n seconds after an arbitrary epoch, with nanoseconds so that a store that
// drops them is caught.
inline dfs_time_t at(int64_t n) { return dfs_time_t{1'700'000'000 + n, 123'456'789u, 0}; }

inline ::testing::AssertionResult sameTime(const char* aExpr, const char* bExpr, const dfs_time_t& a,
                                           const dfs_time_t& b) {
    if (a.sec == b.sec && a.nsec == b.nsec) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << aExpr << " is " << a.sec << "." << a.nsec << ", " << bExpr
                                         << " is " << b.sec << "." << b.nsec;
}
#define DFS_EXPECT_TIME(a, b) EXPECT_PRED_FORMAT2(::dfs::kit::sameTime, a, b)

// One listed entry, copied out of the sink.
struct Listed {
    std::string name;
    uint64_t ino = 0;
    uint64_t cookie = 0;
    dfs_ftype_t type = DFS_TYPE_NONE;
};

// One entry listed with readdirPlus, and its attributes when it came with them.
struct ListedPlus {
    Listed entry;
    bool haveAttr = false;
    dfs_attr_t attr{};
};

// Entries after `cookie` from readdirPlus, taking at most `max` of them (the sink refuses
// the next one). *eof receives the store's eof flag.
inline std::vector<ListedPlus> listPlusFrom(const MetadataStoreClient& m, uint64_t dir, uint64_t cookie,
                                            size_t max = SIZE_MAX, bool* eof = nullptr) {
    std::vector<ListedPlus> out;
    auto r = m.readdirPlus(dir, cookie, [&](const dfs_dirent_t& e, const dfs_attr_t* a) {
        if (out.size() >= max) {
            return false;
        }
        ListedPlus l;
        l.entry = Listed{std::string(toView(e.name)), e.ino, e.cookie, e.type};
        l.haveAttr = a != nullptr;
        if (a != nullptr) {
            l.attr = *a;
        }
        out.push_back(std::move(l));
        return true;
    });
    EXPECT_TRUE(r.ok()) << "readdirPlus: " << statusName(r.code());
    if (eof != nullptr) {
        *eof = r.ok() && *r;
    }
    return out;
}

// The same from readdir, or (plus) from readdirPlus without the attributes: the listing
// rules are the same for both slots.
inline std::vector<Listed> listFrom(const MetadataStoreClient& m, uint64_t dir, uint64_t cookie,
                                    size_t max = SIZE_MAX, bool* eof = nullptr, bool plus = false) {
    std::vector<Listed> out;
    if (plus) {
        for (ListedPlus& l : listPlusFrom(m, dir, cookie, max, eof)) {
            out.push_back(std::move(l.entry));
        }
        return out;
    }
    auto r = m.readdir(dir, cookie, [&](const dfs_dirent_t& e) {
        if (out.size() >= max) {
            return false;
        }
        out.push_back(Listed{std::string(toView(e.name)), e.ino, e.cookie, e.type});
        return true;
    });
    EXPECT_TRUE(r.ok()) << "readdir: " << statusName(r.code());
    if (eof != nullptr) {
        *eof = r.ok() && *r;
    }
    return out;
}

// The whole directory, resuming after every `page` entries as a protocol plugin would.
inline std::vector<Listed> listPaged(const MetadataStoreClient& m, uint64_t dir, size_t page) {
    std::vector<Listed> all;
    uint64_t cookie = 0;
    for (;;) {
        bool eof = false;
        auto part = listFrom(m, dir, cookie, page, &eof);
        if (part.empty() && !eof) {
            ADD_FAILURE() << "readdir delivered nothing and no eof after cookie " << cookie;
            return all;
        }
        all.insert(all.end(), part.begin(), part.end());
        if (eof) {
            return all;
        }
        cookie = part.back().cookie;
    }
}

inline dfs_attr_t attrOf(const MetadataStoreClient& m, uint64_t ino) {
    auto r = m.getattr(ino);
    EXPECT_TRUE(r.ok()) << "getattr " << ino << ": " << statusName(r.code());
    return r.ok() ? *r : makeStruct<dfs_attr_t>();
}

inline uint64_t inoOf(const MetadataStoreClient& m, uint64_t dir, std::string_view name) {
    auto r = m.lookup(dir, name);
    EXPECT_TRUE(r.ok()) << "lookup " << name << ": " << statusName(r.code());
    return r.ok() ? r->ino : 0;
}

inline dfs_setattr_t setattrOf(uint32_t mask) {
    auto sa = makeStruct<dfs_setattr_t>();
    sa.mask = mask;
    return sa;
}

// Every field a client can observe, for before/after comparisons.
inline void expectSameAttr(const dfs_attr_t& a, const dfs_attr_t& b, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.ino, b.ino);
    EXPECT_EQ(a.generation, b.generation);
    EXPECT_EQ(a.mode, b.mode);
    EXPECT_EQ(a.nlink, b.nlink);
    EXPECT_EQ(a.uid, b.uid);
    EXPECT_EQ(a.gid, b.gid);
    EXPECT_EQ(a.rdev_major, b.rdev_major);
    EXPECT_EQ(a.rdev_minor, b.rdev_minor);
    EXPECT_EQ(a.size, b.size);
    EXPECT_EQ(a.change, b.change);
    DFS_EXPECT_TIME(a.atime, b.atime);
    DFS_EXPECT_TIME(a.mtime, b.mtime);
    DFS_EXPECT_TIME(a.ctime, b.ctime);
    DFS_EXPECT_TIME(a.btime, b.btime);
}

}  // namespace dfs::kit
