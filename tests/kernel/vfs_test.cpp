// The VFS over the real mem store plugins: permissions, squash, read-only shares,
// handles, data consistency between the metadata and block stores.
#include "src/host_api.hpp"
#include "src/plugin_loader.hpp"
#include "src/shares.hpp"
#include "src/vfs.hpp"
#include "share_config.hpp"

#include <dittofs/cpp/views.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <thread>

namespace dfs::kernel {
namespace {

dfs_cred_t user(uint32_t uid, uint32_t gid, const char* addr = "127.0.0.1") {
    auto c = makeStruct<dfs_cred_t>();
    c.flavor = DFS_FLAVOR_SYS;
    c.uid = uid;
    c.gid = gid;
    c.client_addr = toC(addr);
    return c;
}

class VfsTest : public ::testing::Test {
protected:
    void SetUp() override {
        plugins_.setDirs({DFS_TEST_PLUGIN_DIR});
        Config c;
        for (const char* n : {"a", "b"}) {
            c.metadata[n] = StoreConfig{n, DFS_PLUGIN_METADATA_STORE, "mem", {{"root_mode", "0777"}}};
            c.blocks[n] = StoreConfig{n, DFS_PLUGIN_BLOCK_STORE, "mem", {}};
        }
        ShareConfig rw;
        rw.name = "rw";
        rw.path = "/rw";
        rw.metadata = "a";
        rw.blocks = "a";
        rw.squash = Squash::root;
        rw.clients = {"127.0.0.0/8"};
        ShareConfig ro = rw;
        ro.name = "ro";
        ro.path = "/ro";
        ro.readOnly = true;
        ShareConfig other = rw;
        other.name = "other";
        other.path = "/other";
        other.metadata = "b";
        other.blocks = "b";
        other.squash = Squash::none;
        other.protocols = {"smb"};
        c.shares = {rw, ro, other};
        std::string err;
        ASSERT_TRUE(shares_.apply(c, err)) << err;
        ASSERT_TRUE(vfs_.shareRoot(alice_, "/rw", &rw_, nullptr).ok());
        ASSERT_TRUE(vfs_.shareRoot(alice_, "ro", &ro_, nullptr).ok());
        ASSERT_TRUE(vfs_.shareRoot(alice_, "/other", &other_, nullptr).ok());
    }

    dfs_fh_t create(const dfs_cred_t& who, const dfs_fh_t& dir, const char* name, dfs_ftype_t type, uint32_t mode,
                    Status* status = nullptr) {
        auto a = makeStruct<dfs_create_args_t>();
        a.type = type;
        a.mode = mode;
        a.how = DFS_CREATE_GUARDED;
        dfs_fh_t out{};
        Status s = vfs_.create(who, &dir, name, a, nullptr, &out, nullptr, nullptr);
        if (status != nullptr) {
            *status = s;
        } else {
            EXPECT_TRUE(s.ok()) << name << ": " << statusName(s.code());
        }
        return out;
    }

    Status write(const dfs_cred_t& who, const dfs_fh_t& fh, uint64_t off, std::string_view data) {
        dfs_stable_t committed = DFS_UNSTABLE;
        return vfs_.write(who, &fh, off, toBytes(data), DFS_FILE_SYNC, &committed, nullptr);
    }

    std::string read(const dfs_cred_t& who, const dfs_fh_t& fh, uint64_t off, uint64_t len, int32_t* eof = nullptr) {
        std::string buf(len, 'x');
        uint64_t n = 0;
        Status s = vfs_.read(who, &fh, off, dfs_buf_t{reinterpret_cast<uint8_t*>(buf.data()), len}, &n, eof, nullptr);
        EXPECT_TRUE(s.ok()) << statusName(s.code());
        buf.resize(n);
        return buf;
    }

    HostServices services_;
    PluginRegistry plugins_{&services_};
    ShareRegistry shares_{plugins_, nullptr, &services_, "/tmp"};
    Vfs vfs_{shares_};
    dfs_cred_t alice_ = user(1000, 1000);
    dfs_cred_t bob_ = user(1001, 1001);
    dfs_cred_t root_ = user(0, 0);
    dfs_fh_t rw_{}, ro_{}, other_{};
};

TEST_F(VfsTest, CreateWriteReadWithHolesAndEof) {
    dfs_fh_t f = create(alice_, rw_, "f", DFS_TYPE_REG, 0644);
    ASSERT_TRUE(write(alice_, f, 10, "hello").ok());
    dfs_attr_t a{};
    ASSERT_TRUE(vfs_.getattr(alice_, &f, &a).ok());
    EXPECT_EQ(a.size, 15u);
    EXPECT_EQ(a.uid, 1000u);
    EXPECT_EQ(a.gid, 1000u);
    int32_t eof = 0;
    std::string got = read(alice_, f, 0, 100, &eof);
    EXPECT_EQ(got, std::string(10, '\0') + "hello");
    EXPECT_EQ(eof, 1);
    EXPECT_EQ(read(alice_, f, 11, 2, &eof), "el");
    EXPECT_EQ(eof, 0);
    EXPECT_EQ(read(alice_, f, 100, 10, &eof), "");
    EXPECT_EQ(eof, 1);
}

// The VFS caches attributes (meta_cache.hpp): each change must show in the next GETATTR,
// including the changes a call makes to objects other than the one it names.
TEST_F(VfsTest, AttributesAreFreshAfterEveryKindOfChange) {
    auto attr = [&](const dfs_fh_t& fh) {
        dfs_attr_t a{};
        EXPECT_TRUE(vfs_.getattr(alice_, &fh, &a).ok());
        return a;
    };
    dfs_fh_t d = create(alice_, rw_, "cache", DFS_TYPE_DIR, 0755);
    dfs_fh_t f = create(alice_, d, "f", DFS_TYPE_REG, 0644);
    dfs_attr_t dir0 = attr(d);
    dfs_attr_t f0 = attr(f);
    ASSERT_TRUE(write(alice_, f, 0, "0123456789").ok());
    EXPECT_EQ(attr(f).size, 10u) << "write";
    EXPECT_GT(attr(f).change, f0.change);
    auto sa = makeStruct<dfs_setattr_t>();
    sa.mask = DFS_SET_MODE;
    sa.mode = 0600;
    ASSERT_TRUE(vfs_.setattr(alice_, &f, sa, nullptr, nullptr).ok());
    EXPECT_EQ(attr(f).mode, 0600u) << "setattr";
    // link: the file's nlink and the directory's times change, neither is the handle named.
    ASSERT_TRUE(vfs_.link(alice_, &f, &d, "g", nullptr, nullptr).ok());
    EXPECT_EQ(attr(f).nlink, 2u) << "link";
    EXPECT_GT(attr(d).change, dir0.change) << "link: the directory";
    // remove of one name: the file's nlink drops.
    ASSERT_TRUE(vfs_.remove(alice_, &d, "g", DFS_REMOVE_NONDIR, nullptr).ok());
    EXPECT_EQ(attr(f).nlink, 1u) << "remove";
    // rename over another file: the replaced one is gone, its handle stale.
    dfs_fh_t h = create(alice_, d, "h", DFS_TYPE_REG, 0644);
    EXPECT_EQ(attr(h).nlink, 1u);
    ASSERT_TRUE(vfs_.rename(alice_, &d, "f", &d, "h", nullptr, nullptr).ok());
    dfs_attr_t gone{};
    EXPECT_EQ(vfs_.getattr(alice_, &h, &gone).code(), DFS_ERR_STALE) << "rename replaced it";
    EXPECT_EQ(attr(f).nlink, 1u);
    // xattrs stamp ctime and change.
    dfs_attr_t before = attr(f);
    ASSERT_TRUE(vfs_.setxattr(alice_, &f, "user.k", "v", 0).ok());
    EXPECT_GT(attr(f).change, before.change) << "setxattr";
    // remove of the last name: the handle goes stale.
    ASSERT_TRUE(vfs_.remove(alice_, &d, "h", DFS_REMOVE_NONDIR, nullptr).ok());
    EXPECT_EQ(vfs_.getattr(alice_, &f, &gone).code(), DFS_ERR_STALE) << "remove of the last name";
    // A subdirectory counts in its parent's nlink, created and removed; creating a file
    // changes the directory it is made in.
    dfs_attr_t d1 = attr(d);
    dfs_fh_t sub = create(alice_, d, "sub", DFS_TYPE_DIR, 0755);
    EXPECT_EQ(attr(d).nlink, d1.nlink + 1) << "mkdir";
    dfs_attr_t s0 = attr(sub);
    create(alice_, sub, "inner", DFS_TYPE_REG, 0644);
    EXPECT_GT(attr(sub).change, s0.change) << "create in it";
    ASSERT_TRUE(vfs_.remove(alice_, &sub, "inner", DFS_REMOVE_NONDIR, nullptr).ok());
    ASSERT_TRUE(vfs_.remove(alice_, &d, "sub", DFS_REMOVE_DIR, nullptr).ok());
    EXPECT_EQ(attr(d).nlink, d1.nlink) << "rmdir";
    EXPECT_EQ(vfs_.getattr(alice_, &sub, &gone).code(), DFS_ERR_STALE) << "rmdir: the directory is gone";
}

// An UNSTABLE WRITE's size and mtime wait in the attribute cache (meta_cache.hpp): every
// reader through the VFS sees them at once, the store gets them at COMMIT or before
// anything reads or changes the object there.
TEST_F(VfsTest, UnstableWriteAttributesReachTheStoreByCommit) {
    dfs_fh_t f = create(alice_, rw_, "pending", DFS_TYPE_REG, 0644);
    auto r = vfs_.resolve(alice_, &f);
    ASSERT_TRUE(r.ok());
    const MetadataStoreClient& store = r->share->meta->meta().client();
    // What the store holds, bypassing the cache.
    auto storedSize = [&](uint64_t ino) {
        auto s = store.getattr(ino);
        EXPECT_TRUE(s.ok());
        return s.ok() ? s->size : ~uint64_t{0};
    };
    dfs_stable_t committed = DFS_FILE_SYNC;
    dfs_wcc_t wcc{};
    ASSERT_TRUE(vfs_.write(alice_, &f, 100, toBytes(std::string_view("abc")), DFS_UNSTABLE, &committed, &wcc).ok());
    EXPECT_EQ(committed, DFS_UNSTABLE);
    ASSERT_TRUE(wcc.have_after);
    EXPECT_EQ(wcc.after.size, 103u);
    dfs_attr_t a{};
    ASSERT_TRUE(vfs_.getattr(alice_, &f, &a).ok());
    EXPECT_EQ(a.size, 103u) << "GETATTR sees the write at once";
    EXPECT_EQ(read(alice_, f, 100, 10), "abc");
    const uint64_t ino = a.ino;
    EXPECT_EQ(storedSize(ino), 0u) << "not in the store before COMMIT";
    ASSERT_TRUE(vfs_.commit(alice_, &f, 0, 0, nullptr).ok());
    EXPECT_EQ(storedSize(ino), 103u) << "COMMIT writes it";
    // A lookup and a listing read the store: they carry the pending size, which stays
    // pending.
    ASSERT_TRUE(vfs_.write(alice_, &f, 200, toBytes(std::string_view("x")), DFS_UNSTABLE, &committed, nullptr).ok());
    dfs_attr_t looked{};
    ASSERT_TRUE(vfs_.lookup(alice_, &rw_, "pending", nullptr, &looked, nullptr).ok());
    EXPECT_EQ(looked.size, 201u);
    uint64_t listed = 0;
    ASSERT_TRUE(vfs_.readdir(alice_, &rw_, 0, nullptr, nullptr, DFS_READDIR_PLUS,
                             [&](const dfs_vfs_dirent_t& e) {
                                 if (toView(e.entry.name) == "pending" && e.attr != nullptr) {
                                     listed = e.attr->size;
                                 }
                                 return true;
                             },
                             nullptr, nullptr)
                    .ok());
    EXPECT_EQ(listed, 201u);
    EXPECT_EQ(storedSize(ino), 103u) << "still pending";
    // Creating, linking and removing other names changes nothing of it.
    dfs_fh_t other = create(alice_, rw_, "pending-other", DFS_TYPE_REG, 0644);
    ASSERT_TRUE(vfs_.link(alice_, &f, &rw_, "pending-link", nullptr, nullptr).ok());
    ASSERT_TRUE(vfs_.remove(alice_, &rw_, "pending-other", DFS_REMOVE_NONDIR, nullptr).ok());
    ASSERT_TRUE(vfs_.getattr(alice_, &f, &a).ok());
    EXPECT_EQ(a.size, 201u);
    EXPECT_EQ(a.nlink, 2u) << "the link is seen";
    EXPECT_EQ(vfs_.getattr(alice_, &other, &a).code(), DFS_ERR_STALE);
    ASSERT_TRUE(vfs_.remove(alice_, &rw_, "pending-link", DFS_REMOVE_NONDIR, nullptr).ok());
    // A truncate after pending writes is not undone by them.
    ASSERT_TRUE(vfs_.write(alice_, &f, 300, toBytes(std::string_view("y")), DFS_UNSTABLE, &committed, nullptr).ok());
    auto sa = makeStruct<dfs_setattr_t>();
    sa.mask = DFS_SET_SIZE;
    sa.size = 10;
    ASSERT_TRUE(vfs_.setattr(alice_, &f, sa, nullptr, nullptr).ok());
    ASSERT_TRUE(vfs_.commit(alice_, &f, 0, 0, nullptr).ok());
    ASSERT_TRUE(vfs_.getattr(alice_, &f, &a).ok());
    EXPECT_EQ(a.size, 10u);
    EXPECT_EQ(storedSize(ino), 10u);
    // A file removed with a size still pending takes it along: COMMIT has nothing to fail on.
    dfs_fh_t gone = create(alice_, rw_, "pending-gone", DFS_TYPE_REG, 0644);
    dfs_attr_t goneAttr{};
    ASSERT_TRUE(vfs_.getattr(alice_, &gone, &goneAttr).ok());
    ASSERT_TRUE(vfs_.write(alice_, &gone, 0, toBytes(std::string_view("z")), DFS_UNSTABLE, &committed, nullptr).ok());
    EXPECT_EQ(committed, DFS_UNSTABLE);
    EXPECT_EQ(storedSize(goneAttr.ino), 0u) << "the size is pending, not in the store";
    ASSERT_TRUE(vfs_.remove(alice_, &rw_, "pending-gone", DFS_REMOVE_NONDIR, nullptr).ok());
    EXPECT_TRUE(vfs_.commit(alice_, &f, 0, 0, nullptr).ok());
}

TEST_F(VfsTest, TruncateUpReadsZerosAndDownDropsData) {
    dfs_fh_t f = create(alice_, rw_, "t", DFS_TYPE_REG, 0644);
    ASSERT_TRUE(write(alice_, f, 0, "abcdef").ok());
    auto sa = makeStruct<dfs_setattr_t>();
    sa.mask = DFS_SET_SIZE;
    sa.size = 3;
    ASSERT_TRUE(vfs_.setattr(alice_, &f, sa, nullptr, nullptr).ok());
    sa.size = 6;
    ASSERT_TRUE(vfs_.setattr(alice_, &f, sa, nullptr, nullptr).ok());
    EXPECT_EQ(read(alice_, f, 0, 6), std::string("abc") + std::string(3, '\0'));
}

TEST_F(VfsTest, ModeBitsAreEnforced) {
    dfs_fh_t f = create(alice_, rw_, "private", DFS_TYPE_REG, 0600);
    ASSERT_TRUE(write(alice_, f, 0, "secret").ok());
    EXPECT_EQ(write(bob_, f, 0, "x").code(), DFS_ERR_ACCES);
    uint64_t n = 0;
    char buf[8];
    EXPECT_EQ(vfs_.read(bob_, &f, 0, dfs_buf_t{reinterpret_cast<uint8_t*>(buf), 8}, &n, nullptr, nullptr).code(),
              DFS_ERR_ACCES);
    // Only the owner changes the mode; only root gives a file away.
    auto sa = makeStruct<dfs_setattr_t>();
    sa.mask = DFS_SET_MODE;
    sa.mode = 0644;
    EXPECT_EQ(vfs_.setattr(bob_, &f, sa, nullptr, nullptr).code(), DFS_ERR_PERM);
    EXPECT_TRUE(vfs_.setattr(alice_, &f, sa, nullptr, nullptr).ok());
    EXPECT_EQ(read(bob_, f, 0, 6), "secret");
    sa.mask = DFS_SET_UID;
    sa.uid = 1001;
    EXPECT_EQ(vfs_.setattr(alice_, &f, sa, nullptr, nullptr).code(), DFS_ERR_PERM);
    // A directory without write permission refuses new names.
    dfs_fh_t d = create(alice_, rw_, "closed", DFS_TYPE_DIR, 0755);
    Status s;
    create(bob_, d, "intruder", DFS_TYPE_REG, 0644, &s);
    EXPECT_EQ(s.code(), DFS_ERR_ACCES);
}

TEST_F(VfsTest, RootIsSquashedWhereTheShareSaysSo) {
    // On "rw" (root_squash) root becomes nobody and cannot write alice's 0644 file.
    dfs_fh_t f = create(alice_, rw_, "owned", DFS_TYPE_REG, 0644);
    EXPECT_EQ(write(root_, f, 0, "x").code(), DFS_ERR_ACCES);
    dfs_fh_t made = create(root_, rw_, "byroot", DFS_TYPE_REG, 0644);
    dfs_attr_t a{};
    ASSERT_TRUE(vfs_.getattr(root_, &made, &a).ok());
    EXPECT_EQ(a.uid, 65534u);
    // On "other" (no squash) root writes anything.
    dfs_fh_t g = create(alice_, other_, "owned", DFS_TYPE_REG, 0600);
    EXPECT_TRUE(write(root_, g, 0, "x").ok());
}

TEST_F(VfsTest, ReadOnlyShareRefusesEveryChange) {
    Status s;
    create(alice_, ro_, "nope", DFS_TYPE_REG, 0644, &s);
    EXPECT_EQ(s.code(), DFS_ERR_ROFS);
    EXPECT_EQ(vfs_.remove(alice_, &ro_, "x", DFS_REMOVE_NONDIR, nullptr).code(), DFS_ERR_ROFS);
    auto sa = makeStruct<dfs_setattr_t>();
    sa.mask = DFS_SET_MODE;
    sa.mode = 0700;
    EXPECT_EQ(vfs_.setattr(alice_, &ro_, sa, nullptr, nullptr).code(), DFS_ERR_ROFS);
    uint32_t granted = 0;
    ASSERT_TRUE(vfs_.access(alice_, &ro_, 0x3f, &granted, nullptr).ok());
    EXPECT_EQ(granted & (DFS_ACCESS_MODIFY | DFS_ACCESS_EXTEND | DFS_ACCESS_DELETE), 0u);
}

TEST_F(VfsTest, HandlesGoStaleAndRefuseForeignAddresses) {
    dfs_fh_t f = create(alice_, rw_, "gone", DFS_TYPE_REG, 0644);
    ASSERT_TRUE(write(alice_, f, 0, "data").ok());
    ASSERT_TRUE(vfs_.remove(alice_, &rw_, "gone", DFS_REMOVE_NONDIR, nullptr).ok());
    dfs_attr_t a{};
    EXPECT_EQ(vfs_.getattr(alice_, &f, &a).code(), DFS_ERR_STALE);
    dfs_fh_t junk{};
    junk.len = 5;
    EXPECT_EQ(vfs_.getattr(alice_, &junk, &a).code(), DFS_ERR_BADHANDLE);
    // A handle learnt elsewhere is useless from an address the share refuses.
    dfs_cred_t outsider = user(1000, 1000, "192.0.2.1");
    EXPECT_EQ(vfs_.getattr(outsider, &rw_, &a).code(), DFS_ERR_ACCES);
    EXPECT_EQ(vfs_.shareRoot(outsider, "/rw", nullptr, nullptr).code(), DFS_ERR_ACCES);
    EXPECT_EQ(vfs_.shareRoot(alice_, "/nope", nullptr, nullptr).code(), DFS_ERR_NOENT);
}

TEST_F(VfsTest, ASharesProtocolListHidesItFromOtherProtocols) {
    EXPECT_EQ(vfs_.shareRoot(alice_, "/other", nullptr, nullptr, "nfs3").code(), DFS_ERR_NOENT);
    EXPECT_TRUE(vfs_.shareRoot(alice_, "/other", nullptr, nullptr, "smb").ok());
    EXPECT_TRUE(vfs_.shareRoot(alice_, "/rw", nullptr, nullptr, "nfs3").ok()) << "no list: every protocol";
}

TEST_F(VfsTest, GuardedSetattrAndWcc) {
    dfs_fh_t f = create(alice_, rw_, "g", DFS_TYPE_REG, 0644);
    dfs_attr_t a{};
    ASSERT_TRUE(vfs_.getattr(alice_, &f, &a).ok());
    auto sa = makeStruct<dfs_setattr_t>();
    sa.mask = DFS_SET_MODE;
    sa.mode = 0600;
    dfs_time_t wrong = a.ctime;
    wrong.sec -= 1;
    auto refused = makeStruct<dfs_wcc_t>();
    EXPECT_EQ(vfs_.setattr(alice_, &f, sa, &wrong, &refused).code(), DFS_ERR_NOT_SYNC);
    EXPECT_EQ(refused.have_after, 1) << "a refusal still reports the (unchanged) attributes";
    EXPECT_EQ(refused.after.mode, 0644u);
    auto wcc = makeStruct<dfs_wcc_t>();
    ASSERT_TRUE(vfs_.setattr(alice_, &f, sa, &a.ctime, &wcc).ok());
    EXPECT_EQ(wcc.have_before, 1);
    EXPECT_EQ(wcc.have_after, 1);
    EXPECT_EQ(wcc.before.mode, 0644u);
    EXPECT_EQ(wcc.after.mode, 0600u);
    EXPECT_GT(wcc.after.change, wcc.before.change);
}

TEST_F(VfsTest, StickyDirectoryAndCrossShareRules) {
    dfs_fh_t tmp = create(root_, other_, "tmp", DFS_TYPE_DIR, 01777);
    create(alice_, tmp, "mine", DFS_TYPE_REG, 0644);
    EXPECT_EQ(vfs_.remove(bob_, &tmp, "mine", DFS_REMOVE_NONDIR, nullptr).code(), DFS_ERR_ACCES);
    EXPECT_EQ(vfs_.rename(bob_, &tmp, "mine", &tmp, "stolen", nullptr, nullptr).code(), DFS_ERR_ACCES);
    EXPECT_TRUE(vfs_.remove(alice_, &tmp, "mine", DFS_REMOVE_NONDIR, nullptr).ok());
    dfs_fh_t f = create(alice_, rw_, "x", DFS_TYPE_REG, 0644);
    EXPECT_EQ(vfs_.rename(alice_, &rw_, "x", &other_, "x", nullptr, nullptr).code(), DFS_ERR_XDEV);
    EXPECT_EQ(vfs_.link(alice_, &f, &other_, "x", nullptr, nullptr).code(), DFS_ERR_XDEV);
}

TEST_F(VfsTest, ReaddirPlusGivesUsableHandles) {
    dfs_fh_t d = create(alice_, rw_, "dir", DFS_TYPE_DIR, 0755);
    for (int i = 0; i < 50; ++i) {
        create(alice_, d, ("f" + std::to_string(i)).c_str(), DFS_TYPE_REG, 0644);
    }
    int seen = 0;
    uint64_t cookie = 0;
    uint8_t verf[8] = {};
    int32_t eof = 0;
    while (eof == 0) {
        int batch = 0;
        Status s = vfs_.readdir(
            alice_, &d, cookie, verf, verf, DFS_READDIR_PLUS,
            [&](const dfs_vfs_dirent_t& e) {
                if (batch == 7) {
                    return false;
                }
                EXPECT_NE(e.fh, nullptr);
                EXPECT_NE(e.attr, nullptr);
                dfs_attr_t a{};
                EXPECT_TRUE(vfs_.getattr(alice_, e.fh, &a).ok());
                EXPECT_EQ(a.ino, e.entry.ino);
                cookie = e.entry.cookie;
                ++batch;
                ++seen;
                return true;
            },
            &eof, nullptr);
        ASSERT_TRUE(s.ok()) << statusName(s.code());
    }
    EXPECT_EQ(seen, 50);
    uint8_t bad[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    EXPECT_EQ(vfs_.readdir(alice_, &d, cookie, bad, nullptr, 0, [](const dfs_vfs_dirent_t&) { return true; }, &eof,
                           nullptr)
                  .code(),
              DFS_ERR_BADCOOKIE);
}

TEST_F(VfsTest, TheCTableAdaptsEveryCall) {
    HostContext host("testproto", DFS_PLUGIN_PROTOCOL, &services_);
    services_.vfs = &vfs_;
    const dfs_host_api_t* api = host.api();
    ASSERT_NE(api->vfs, nullptr);
    const dfs_host_vfs_t* v = api->vfs;
    dfs_fh_t root{};
    auto attr = makeStruct<dfs_attr_t>();
    ASSERT_EQ(v->share_root(api->ctx, &alice_, toC("/rw"), &root, &attr).code, DFS_OK);
    EXPECT_EQ(attr.type, DFS_TYPE_DIR);
    auto args = makeStruct<dfs_create_args_t>();
    args.type = DFS_TYPE_LNK;
    args.symlink_target = toC("target/path");
    dfs_fh_t link{};
    ASSERT_EQ(v->create(api->ctx, &alice_, &root, toC("ln"), &args, nullptr, &link, nullptr, nullptr).code, DFS_OK);
    std::string target;
    ASSERT_EQ(v->readlink(api->ctx, &alice_, &link, &appendSink, &target, nullptr).code, DFS_OK);
    EXPECT_EQ(target, "target/path");
    // An older plugin's smaller attr struct is written only as far as it reaches.
    struct {
        dfs_attr_t a;
        uint32_t canary;
    } small{};
    small.a.struct_size = offsetof(dfs_attr_t, size);
    small.canary = 0xdeadbeef;
    small.a.size = 12345;
    ASSERT_EQ(v->getattr(api->ctx, &alice_, &link, &small.a).code, DFS_OK);
    EXPECT_EQ(small.a.type, DFS_TYPE_LNK);
    EXPECT_EQ(small.a.size, 12345u);  // beyond the caller's struct_size: untouched
    EXPECT_EQ(small.canary, 0xdeadbeefu);
    // The share of a handle, even for a share with a client list, needs no credential.
    std::string shareName;
    auto nameSink = [](void* c, const dfs_share_info_t* i) { *static_cast<std::string*>(c) = std::string(toView(i->name)); };
    ASSERT_EQ(v->share_of(api->ctx, &link, nameSink, &shareName).code, DFS_OK);
    EXPECT_EQ(shareName, "rw");
    uint8_t v1[8];
    v->write_verifier(api->ctx, v1);
    services_.vfs = nullptr;
    EXPECT_EQ(v->getattr(api->ctx, &alice_, &link, &attr).code, DFS_ERR_SHUTDOWN);
}

}  // namespace
}  // namespace dfs::kernel

namespace dfs::kernel {
namespace {

// A VFS over one share on the sqlite metadata store (which has readdir_plus and
// create_plus) and mem blocks.
struct SqliteVfs {
    SqliteVfs() : dir(mkdtemp(tmpl)), plugins(&services), shares(plugins, nullptr, &services, dir), vfs(shares) {
        plugins.setDirs({DFS_TEST_PLUGIN_DIR});
        Config c = oneShareConfig("sqlite", {{"path", "meta.db"}, {"root_mode", "0777"}});
        std::string err;
        EXPECT_TRUE(shares.apply(c, err)) << err;
        EXPECT_TRUE(vfs.shareRoot(who, "/s", &root, nullptr).ok());
    }
    ~SqliteVfs() {
        shares.clear();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    char tmpl[32] = "/tmp/dfsvfs-XXXXXX";
    std::string dir;
    HostServices services;
    PluginRegistry plugins;
    ShareRegistry shares;
    Vfs vfs;
    dfs_cred_t who = user(1000, 1000);
    dfs_fh_t root{};
};

// Creates from many threads in one directory: each create's answer about the directory
// (create_plus) updates the cached copy, and the copy the VFS ends with is the store's.
TEST(VfsSqliteTest, ConcurrentCreatesLeaveTheDirectoryFresh) {
    SqliteVfs t;
    ASSERT_FALSE(::testing::Test::HasFailure());
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int k = 0; k < 8; ++k) {
        threads.emplace_back([&, k] {
            for (int i = 0; i < 60; ++i) {
                auto a = makeStruct<dfs_create_args_t>();
                a.type = i % 10 == 9 ? DFS_TYPE_DIR : DFS_TYPE_REG;
                a.mode = 0755;
                dfs_wcc_t wcc{};
                if (!t.vfs.create(t.who, &t.root, "c" + std::to_string(k) + "-" + std::to_string(i), a, nullptr,
                                  nullptr, nullptr, &wcc)
                         .ok() ||
                    !wcc.have_after || wcc.after.change <= wcc.before.change) {
                    ++failures;
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(failures.load(), 0);
    dfs_attr_t cached{};
    ASSERT_TRUE(t.vfs.getattr(t.who, &t.root, &cached).ok());
    auto r = t.vfs.resolve(t.who, &t.root);
    ASSERT_TRUE(r.ok());
    auto stored = r->share->meta->meta().client().getattr(cached.ino);
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(cached.change, stored->change);
    EXPECT_EQ(cached.nlink, stored->nlink);
    EXPECT_EQ(cached.nlink, 2u + 8u * 6u) << "a subdirectory counts in its parent's nlink";
    EXPECT_EQ(cached.mtime.sec, stored->mtime.sec);
    EXPECT_EQ(cached.mtime.nsec, stored->mtime.nsec);
}

// READDIRPLUS fetches each entry's attributes; that must not happen inside the store's
// listing call, or listings running at once can hold every reader of a store and wait for
// one more (a deadlock seen with sqlite's four readers and four workers). More listings
// run at once than sqlite has readers (16), so a nested store call would still hang.
TEST(VfsReaddirPlusTest, ManyListingsAtOnceOnSqliteFinish) {
    SqliteVfs t;
    ASSERT_FALSE(::testing::Test::HasFailure());
    Vfs& vfs = t.vfs;
    const dfs_cred_t& who = t.who;
    dfs_fh_t& root = t.root;
    for (int i = 0; i < 600; ++i) {
        auto a = makeStruct<dfs_create_args_t>();
        a.type = DFS_TYPE_REG;
        a.mode = 0644;
        ASSERT_TRUE(vfs.create(who, &root, "f" + std::to_string(i), a, nullptr, nullptr, nullptr, nullptr).ok());
    }
    auto listAll = [&] {
        int total = 0;
        for (int round = 0; round < 5; ++round) {
            int32_t eof = 0;
            uint64_t cookie = 0;
            int n = 0;
            while (eof == 0) {
                Status st = vfs.readdir(
                    who, &root, cookie, nullptr, nullptr, DFS_READDIR_PLUS,
                    [&](const dfs_vfs_dirent_t& e) {
                        cookie = e.entry.cookie;
                        ++n;
                        return e.attr != nullptr;
                    },
                    &eof, nullptr);
                if (!st.ok()) {
                    return -1;
                }
            }
            total += n;
        }
        return total;
    };
    std::vector<std::future<int>> runs;
    for (int k = 0; k < 32; ++k) {
        runs.push_back(std::async(std::launch::async, listAll));
    }
    for (auto& r : runs) {
        if (r.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
            ADD_FAILURE() << "concurrent READDIRPLUS listings did not finish: deadlock";
            std::_Exit(1);  // the stuck threads cannot be joined
        }
        EXPECT_EQ(r.get(), 5 * 600);
    }
}

}  // namespace
}  // namespace dfs::kernel
