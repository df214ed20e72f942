// The lock manager through the C table a protocol plugin sees (dfs_host_locks_t): handles
// resolved like VFS calls, owners and ranges converted, conflicts reported with their
// owner, blocking requests completed through the callback, refusals as {code, errno}.
#include "src/host_api.hpp"
#include "src/locks/lock_manager.hpp"
#include "src/plugin_loader.hpp"
#include "src/shares.hpp"
#include "src/vfs.hpp"
#include "../share_config.hpp"

#include <dittofs/cpp/views.hpp>

#include <gtest/gtest.h>

#include <cerrno>

namespace dfs::kernel {
namespace {

struct Done {
    int calls = 0;
    uint64_t ticket = 0;
    dfs_err_t status{DFS_ERR_IO, 0};
};

void onDone(void* arg, uint64_t ticket, dfs_err_t st) {
    auto* d = static_cast<Done*>(arg);
    ++d->calls;
    d->ticket = ticket;
    d->status = st;
}

class LocksTableTest : public ::testing::Test {
protected:
    void SetUp() override {
        plugins_.setDirs({DFS_TEST_PLUGIN_DIR});
        Config c = oneShareConfig("mem", {{"root_mode", "0777"}}, {"127.0.0.0/8"});
        std::string err;
        ASSERT_TRUE(shares_.apply(c, err)) << err;
        services_.vfs = &vfs_;
        services_.locks = &manager_;
        ASSERT_TRUE(manager_.start().ok());
        cred_ = makeStruct<dfs_cred_t>();
        cred_.flavor = DFS_FLAVOR_SYS;
        cred_.uid = 1000;
        cred_.gid = 1000;
        cred_.client_addr = toC("127.0.0.1");
        dfs_fh_t root{};
        ASSERT_TRUE(vfs_.shareRoot(cred_, "/s", &root, nullptr).ok());
        auto a = makeStruct<dfs_create_args_t>();
        a.type = DFS_TYPE_REG;
        a.mode = 0644;
        ASSERT_TRUE(vfs_.create(cred_, &root, "f", a, nullptr, &file_, nullptr, nullptr).ok());
        api_ = host_.api();
        t_ = api_->locks;
        ASSERT_NE(t_, nullptr);
    }

    dfs_lock_args_t args(const char* client, const char* owner, uint64_t off, uint64_t len, dfs_lock_type_t type,
                         uint32_t flags = 0) {
        auto a = makeStruct<dfs_lock_args_t>();
        a.fh = &file_;
        a.owner = makeStruct<dfs_lock_owner_t>();
        a.owner.protocol = DFS_LOCK_NLM;
        a.owner.client = toC(client);
        a.owner.owner = toBytes(std::string_view(owner));
        a.owner.pid = 7;
        a.offset = off;
        a.length = len;
        a.type = type;
        a.flags = flags;
        return a;
    }

    dfs_share_args_t share(const char* client, const char* owner, uint32_t access, uint32_t deny,
                           uint32_t flags = 0) {
        auto a = makeStruct<dfs_share_args_t>();
        a.fh = &file_;
        a.owner = makeStruct<dfs_lock_owner_t>();
        a.owner.protocol = DFS_LOCK_NLM;
        a.owner.client = toC(client);
        a.owner.owner = toBytes(std::string_view(owner));
        a.access = access;
        a.deny = deny;
        a.flags = flags;
        return a;
    }

    HostServices services_;
    PluginRegistry plugins_{&services_};
    ShareRegistry shares_{plugins_, nullptr, &services_, "/tmp"};
    Vfs vfs_{shares_};
    locks::ManualScheduler sched_;
    locks::LockManager manager_{locks::LockManagerConfig{}, sched_, nullptr};
    HostContext host_{"nlm", DFS_PLUGIN_PROTOCOL, &services_};
    const dfs_host_api_t* api_ = nullptr;
    const dfs_host_locks_t* t_ = nullptr;
    dfs_cred_t cred_{};
    dfs_fh_t file_{};
};

TEST_F(LocksTableTest, ConflictsAreReportedWithTheirOwner) {
    auto a = args("hostA", "ownerA", 100, 50, DFS_LOCK_WRITE);
    ASSERT_EQ(t_->lock(api_->ctx, &cred_, &a, onDone, nullptr, nullptr).code, DFS_OK);
    auto b = args("hostB", "ownerB", 120, 10, DFS_LOCK_READ);
    dfs_err_t e = t_->lock(api_->ctx, &cred_, &b, onDone, nullptr, nullptr);
    EXPECT_EQ(e.code, DFS_ERR_LOCKED);
    EXPECT_EQ(e.sys_errno, EAGAIN);
    auto c = makeStruct<dfs_lock_conflict_t>();
    e = t_->test(api_->ctx, &cred_, &b, &c);
    EXPECT_EQ(e.code, DFS_ERR_LOCKED);
    EXPECT_EQ(c.type, DFS_LOCK_WRITE);
    EXPECT_EQ(c.offset, 100u);
    EXPECT_EQ(c.length, 50u);
    EXPECT_EQ(toView(c.owner.client), "hostA");
    EXPECT_EQ(toStringView(c.owner.owner), "ownerA");
    auto free = args("hostB", "ownerB", 150, 10, DFS_LOCK_READ);
    EXPECT_EQ(t_->test(api_->ctx, &cred_, &free, nullptr).code, DFS_OK) << "adjacent, not overlapping";
}

TEST_F(LocksTableTest, ABlockedLockIsGrantedThroughTheCallback) {
    auto a = args("hostA", "ownerA", 0, 0, DFS_LOCK_WRITE);
    ASSERT_EQ(t_->lock(api_->ctx, &cred_, &a, onDone, nullptr, nullptr).code, DFS_OK);
    Done done;
    uint64_t ticket = 0;
    auto b = args("hostB", "ownerB", 10, 10, DFS_LOCK_WRITE, DFS_LOCK_BLOCK);
    ASSERT_EQ(t_->lock(api_->ctx, &cred_, &b, onDone, &done, &ticket).code, DFS_PENDING);
    EXPECT_NE(ticket, 0u);
    EXPECT_EQ(done.calls, 0);
    ASSERT_EQ(t_->unlock(api_->ctx, &cred_, &a).code, DFS_OK);
    EXPECT_EQ(done.calls, 1);
    EXPECT_EQ(done.ticket, ticket);
    EXPECT_EQ(done.status.code, DFS_OK);
    // A second blocked request, cancelled: its callback never runs.
    Done other;
    auto c = args("hostC", "ownerC", 15, 1, DFS_LOCK_READ, DFS_LOCK_BLOCK);
    ASSERT_EQ(t_->lock(api_->ctx, &cred_, &c, onDone, &other, &ticket).code, DFS_PENDING);
    EXPECT_EQ(t_->cancel(api_->ctx, ticket).code, DFS_OK);
    ASSERT_EQ(t_->release_client(api_->ctx, DFS_LOCK_NLM, toC("hostB")).code, DFS_OK);
    EXPECT_EQ(other.calls, 0);
    EXPECT_EQ(t_->in_grace(api_->ctx), 0);
}

TEST_F(LocksTableTest, BadHandlesRangesAndAddressesAreRefused) {
    auto a = args("hostA", "ownerA", 0, 10, DFS_LOCK_WRITE);
    dfs_fh_t junk{};
    junk.len = 3;
    a.fh = &junk;
    EXPECT_EQ(t_->lock(api_->ctx, &cred_, &a, onDone, nullptr, nullptr).code, DFS_ERR_BADHANDLE);
    a = args("hostA", "ownerA", UINT64_MAX - 5, 100, DFS_LOCK_WRITE);
    EXPECT_EQ(t_->lock(api_->ctx, &cred_, &a, onDone, nullptr, nullptr).code, DFS_ERR_INVAL) << "range past 2^64";
    a = args("hostA", "ownerA", 0, 10, 9);
    EXPECT_EQ(t_->lock(api_->ctx, &cred_, &a, onDone, nullptr, nullptr).code, DFS_ERR_INVAL) << "bad lock type";
    auto outsider = cred_;
    outsider.client_addr = toC("192.0.2.9");
    a = args("hostA", "ownerA", 0, 10, DFS_LOCK_WRITE);
    EXPECT_EQ(t_->lock(api_->ctx, &outsider, &a, onDone, nullptr, nullptr).code, DFS_ERR_ACCES);
}

TEST_F(LocksTableTest, ShareReservationsDenyWhatTheyDeny) {
    uint64_t id1 = 0;
    auto reader = share("hostA", "oh1", DFS_SHARE_READ, DFS_SHARE_WRITE);
    ASSERT_EQ(t_->share_open(api_->ctx, &cred_, &reader, nullptr, nullptr, nullptr, &id1).code, DFS_OK);
    EXPECT_NE(id1, 0u);
    // hostB wants to write: hostA denies writers.
    uint64_t id2 = 0;
    auto writer = share("hostB", "oh2", DFS_SHARE_WRITE, 0);
    dfs_err_t e = t_->share_open(api_->ctx, &cred_, &writer, nullptr, nullptr, nullptr, &id2);
    EXPECT_EQ(e.code, DFS_ERR_LOCKED);
    EXPECT_EQ(e.sys_errno, ETXTBSY);
    // A second reader that denies nothing is fine; one that denies reading is not.
    auto reader2 = share("hostB", "oh2", DFS_SHARE_READ, 0);
    ASSERT_EQ(t_->share_open(api_->ctx, &cred_, &reader2, nullptr, nullptr, nullptr, &id2).code, DFS_OK);
    auto denyRead = share("hostC", "oh3", DFS_SHARE_READ, DFS_SHARE_READ);
    EXPECT_EQ(t_->share_open(api_->ctx, &cred_, &denyRead, nullptr, nullptr, nullptr, nullptr).code, DFS_ERR_LOCKED);
    // Bits outside read/write/delete are refused.
    auto bad = share("hostC", "oh3", 8, 0);
    EXPECT_EQ(t_->share_open(api_->ctx, &cred_, &bad, nullptr, nullptr, nullptr, nullptr).code, DFS_ERR_INVAL);
    // UNSHARE by name: the bits must match; then the writer gets in.
    auto wrongBits = share("hostA", "oh1", DFS_SHARE_READ, 0);
    e = t_->share_close_matching(api_->ctx, &cred_, &wrongBits);
    EXPECT_EQ(e.code, DFS_ERR_NOENT);
    EXPECT_EQ(e.sys_errno, ENOLCK);
    ASSERT_EQ(t_->share_close_matching(api_->ctx, &cred_, &reader).code, DFS_OK);
    EXPECT_EQ(t_->share_close_matching(api_->ctx, &cred_, &reader).code, DFS_ERR_NOENT) << "already gone";
    uint64_t id3 = 0;
    ASSERT_EQ(t_->share_open(api_->ctx, &cred_, &writer, nullptr, nullptr, nullptr, &id3).code, DFS_OK);
    // Changing bits by id: hostB's reader may not start denying writers while one writes.
    EXPECT_EQ(t_->share_change(api_->ctx, id2, DFS_SHARE_READ, DFS_SHARE_WRITE).code, DFS_ERR_LOCKED);
    EXPECT_EQ(t_->share_close(api_->ctx, id3).code, DFS_OK);
    EXPECT_EQ(t_->share_change(api_->ctx, id2, DFS_SHARE_READ, DFS_SHARE_WRITE).code, DFS_OK);
    EXPECT_EQ(t_->share_close(api_->ctx, id3).code, DFS_ERR_NOENT);
    // FREE_ALL of a client drops its reservations too.
    ASSERT_EQ(t_->release_client(api_->ctx, DFS_LOCK_NLM, toC("hostB")).code, DFS_OK);
    ASSERT_EQ(t_->share_open(api_->ctx, &cred_, &writer, nullptr, nullptr, nullptr, &id3).code, DFS_OK);
}

struct ShareDone {
    int calls = 0;
    dfs_err_t status{DFS_ERR_IO, 0};
    uint64_t id = 0;
};

void onShareDone(void* arg, uint64_t /*ticket*/, dfs_err_t st, uint64_t id) {
    auto* d = static_cast<ShareDone*>(arg);
    ++d->calls;
    d->status = st;
    d->id = id;
}

TEST_F(LocksTableTest, ShareOpenWaitsForLeaseBreaksOnlyWhenAskedTo) {
    auto file = vfs_.resolve(cred_, &file_);
    ASSERT_TRUE(file.ok());
    locks::LeaseRequest lr;
    lr.file = locks::FileKey{file->share->id, file->ino};
    lr.owner.protocol = locks::LockProtocol::smb;
    lr.owner.clientId = "smbclient";
    lr.key = "lease";
    lr.level = locks::kLeaseRead | locks::kLeaseWrite;
    int breaks = 0;
    lr.onBreak = [&](const locks::LeaseBreak&) { ++breaks; };
    auto lease = manager_.grantLease(lr);
    ASSERT_TRUE(lease.ok());
    // Without DFS_LOCK_BLOCK: the break starts and the caller is told to ask again.
    auto w = share("hostA", "oh", DFS_SHARE_WRITE, 0);
    dfs_err_t e = t_->share_open(api_->ctx, &cred_, &w, onShareDone, nullptr, nullptr, nullptr);
    EXPECT_EQ(e.code, DFS_ERR_DELAY);
    EXPECT_EQ(e.sys_errno, EAGAIN);
    EXPECT_EQ(breaks, 1);
    // With it: pending until the holder acknowledges, then the completion has the id.
    ShareDone done;
    uint64_t ticket = 0;
    w.flags = DFS_LOCK_BLOCK;
    ASSERT_EQ(t_->share_open(api_->ctx, &cred_, &w, onShareDone, &done, &ticket, nullptr).code, DFS_PENDING);
    EXPECT_NE(ticket, 0u);
    EXPECT_EQ(done.calls, 0);
    ASSERT_TRUE(manager_.ackBreak(lease->id, locks::kLeaseNone).ok());
    EXPECT_EQ(done.calls, 1);
    EXPECT_EQ(done.status.code, DFS_OK);
    EXPECT_NE(done.id, 0u);
    EXPECT_EQ(t_->share_close(api_->ctx, done.id).code, DFS_OK);
}

}  // namespace
}  // namespace dfs::kernel
