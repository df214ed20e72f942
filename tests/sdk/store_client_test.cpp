// The defaults BlockStoreClient supplies for optional slots, over a store that
// implements only the required ones (as a minimal vendor store would).
#include <dittofs/cpp/fake_host.hpp>
#include <dittofs/cpp/store.hpp>
#include <dittofs/cpp/store_client.hpp>

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>

namespace dfs {
namespace {

class MinimalStore : public BlockStore {
public:
    static Result<std::unique_ptr<MinimalStore>> open(const Host&, const Config&) {
        return std::make_unique<MinimalStore>();
    }
    Result<uint64_t> read(uint64_t obj, uint64_t off, dfs_buf_t buf) override {
        auto& d = objs_[obj];
        if (off >= d.size()) {
            return uint64_t{0};
        }
        uint64_t n = std::min<uint64_t>(buf.len, d.size() - off);
        std::memcpy(buf.ptr, d.data() + off, n);
        return n;
    }
    Status write(uint64_t obj, uint64_t off, dfs_bytes_t data, dfs_stable_t) override {
        auto& d = objs_[obj];
        if (d.size() < off + data.len) {
            d.resize(off + data.len, '\0');
        }
        std::memcpy(d.data() + off, data.ptr, data.len);
        return okStatus();
    }
    Status truncate(uint64_t obj, uint64_t size) override {
        objs_[obj].resize(size, '\0');
        return okStatus();
    }
    Result<uint64_t> size(uint64_t obj) override { return uint64_t{objs_[obj].size()}; }
    Status remove(uint64_t obj) override {
        objs_.erase(obj);
        return okStatus();
    }

private:
    std::map<uint64_t, std::string> objs_;
};

class StoreClientTest : public ::testing::Test {
protected:
    void SetUp() override {
        const dfs_plugin_desc_t* d = detail::descriptor<BlockStore, MinimalStore>(
            DFS_PLUGIN_BLOCK_STORE, "minimal", "1", "test", detail::blockOps());
        desc_ = d;
        auto cfg = makeStruct<dfs_config_t>();
        ASSERT_EQ(d->create(host_.api(), &cfg, &inst_).code, DFS_OK);
        client_ = BlockStoreClient(static_cast<const dfs_block_store_ops_t*>(d->ops), inst_);
    }
    void TearDown() override { desc_->destroy(inst_); }
    std::string readAll(uint64_t obj) {
        auto sz = client_.size(obj);
        std::string s(*sz, 'x');
        auto n = client_.read(obj, 0, dfs_buf_t{reinterpret_cast<uint8_t*>(s.data()), s.size()});
        EXPECT_TRUE(n.ok());
        return s;
    }
    FakeHost host_;
    const dfs_plugin_desc_t* desc_ = nullptr;
    void* inst_ = nullptr;
    BlockStoreClient client_;
};

TEST_F(StoreClientTest, DefaultPunchHoleWritesZerosInsideTheObject) {
    ASSERT_TRUE(client_.write(1, 0, toBytes(std::string_view("abcdefgh")), DFS_UNSTABLE).ok());
    ASSERT_TRUE(client_.punchHole(1, 2, 100).ok());
    EXPECT_EQ(readAll(1), std::string("ab") + std::string(6, '\0'));
    ASSERT_TRUE(client_.punchHole(1, 50, 10).ok());
    EXPECT_EQ(*client_.size(1), 8u);
}

TEST_F(StoreClientTest, DefaultAllocateSeekAndClone) {
    ASSERT_TRUE(client_.write(1, 0, toBytes(std::string_view("abc")), DFS_UNSTABLE).ok());
    ASSERT_TRUE(client_.allocate(1, 0, 10).ok());
    EXPECT_EQ(*client_.size(1), 10u);
    EXPECT_EQ(*client_.seek(1, 4, DFS_SEEK_DATA), 4u);
    EXPECT_EQ(*client_.seek(1, 4, DFS_SEEK_HOLE), 10u);
    EXPECT_EQ(client_.seek(1, 10, DFS_SEEK_DATA).code(), DFS_ERR_NXIO);
    ASSERT_TRUE(client_.clone(1, 1, 2, 5, 2).ok());
    EXPECT_EQ(readAll(2), std::string(5, '\0') + "bc");
    EXPECT_TRUE(client_.flush(1).ok());
    EXPECT_EQ(client_.statfs().total_bytes, 0u);
}

}  // namespace
}  // namespace dfs
