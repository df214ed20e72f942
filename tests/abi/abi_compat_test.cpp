#include "layout_fields.h"

#include "src/host_api.hpp"
#include "src/plugin_loader.hpp"

#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/store_client.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>

extern "C" const dfs_layout_entry_t* dfs_layout_v10(unsigned long* count);
extern "C" const long dfs_constants_v10[];

namespace dfs::kernel {
namespace {

#define DFS_CURRENT_ENTRY(s, f) {#s "." #f, offsetof(s, f), sizeof(((s*)nullptr)->f)},
const dfs_layout_entry_t kCurrent[] = {DFS_V10_LAYOUT(DFS_CURRENT_ENTRY)};

TEST(AbiLayoutTest, EveryV10FieldKeepsItsOffsetAndSize) {
    unsigned long n = 0;
    const dfs_layout_entry_t* old = dfs_layout_v10(&n);
    ASSERT_EQ(n, sizeof kCurrent / sizeof kCurrent[0]);
    for (unsigned long i = 0; i < n; ++i) {
        EXPECT_STREQ(old[i].name, kCurrent[i].name);
        EXPECT_EQ(old[i].offset, kCurrent[i].offset) << old[i].name << " moved";
        EXPECT_EQ(old[i].size, kCurrent[i].size) << old[i].name << " changed size";
    }
}

TEST(AbiLayoutTest, V10ConstantsAreUnchanged) {
    const long now[] = {DFS_ABI_MAJOR, DFS_ERR_BADNAME, DFS_TYPE_FIFO, DFS_SET_MTIME_NOW,
                        DFS_PLUGIN_BLOCK_STORE, DFS_FH_MAX, DFS_CRED_MAX_GROUPS, DFS_COOKIE_FIRST};
    for (size_t i = 0; i < sizeof now / sizeof now[0]; ++i) {
        EXPECT_EQ(dfs_constants_v10[i], now[i]) << "constant #" << i;
    }
}

class AbiPluginTest : public ::testing::Test {
protected:
    void SetUp() override { registry_.setDirs({DFS_ABI_PLUGIN_DIR}); }
    HostServices services_;
    PluginRegistry registry_{&services_};
};

TEST_F(AbiPluginTest, DiscoveryReportsEachVerdict) {
    std::map<std::string, std::string> status;
    for (const auto& c : registry_.scan()) {
        status[c.info.name] = c.status;
    }
    EXPECT_EQ(status["cblocks"], "ok");
    // The test plugins claim the kernel's minor plus one, and another major.
    const std::string kernel = std::to_string(DFS_ABI_MAJOR) + "." + std::to_string(DFS_ABI_MINOR);
    const std::string next = std::to_string(DFS_ABI_MAJOR) + "." + std::to_string(DFS_ABI_MINOR + 1);
    EXPECT_NE(status["cblocks_next"].find("refused: built for ABI " + next + ", newer than the kernel's ABI " + kernel),
              std::string::npos)
        << status["cblocks_next"];
    EXPECT_NE(status["cblocks_v2"].find("refused: built for ABI 2.0, kernel has ABI " + kernel +
                                        " (major versions differ)"),
              std::string::npos)
        << status["cblocks_v2"];
}

TEST_F(AbiPluginTest, AV10PluginLoadsAndServes) {
    std::string err;
    auto lib = registry_.get(DFS_PLUGIN_BLOCK_STORE, "cblocks", err);
    ASSERT_TRUE(lib) << err;
    EXPECT_EQ(lib->desc().abi_major, 1);
    EXPECT_EQ(lib->desc().abi_minor, 0);
    HostContext host("store:abi", DFS_PLUGIN_BLOCK_STORE, &services_);
    void* inst = nullptr;
    auto cfg = makeStruct<dfs_config_t>();
    ASSERT_EQ(lib->desc().create(host.api(), &cfg, &inst).code, DFS_OK);
    BlockStoreClient c(static_cast<const dfs_block_store_ops_t*>(lib->ops()), inst);
    ASSERT_TRUE(c.hasRequiredSlots());
    std::string data = "written through a v1.0 plugin";
    ASSERT_TRUE(c.write(9, 3, toBytes(data), DFS_FILE_SYNC).ok());
    // Optional slots it left NULL get the SDK defaults.
    ASSERT_TRUE(c.punchHole(9, 3, 7).ok());
    ASSERT_TRUE(c.flush(9).ok());
    auto pos = c.seek(9, 0, DFS_SEEK_HOLE);
    ASSERT_TRUE(pos.ok());
    EXPECT_EQ(*pos, 3 + data.size());
    std::string back(3 + data.size(), 'x');
    auto n = c.read(9, 0, dfs_buf_t{reinterpret_cast<uint8_t*>(back.data()), back.size()});
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, back.size());
    EXPECT_EQ(back, std::string(10, '\0') + data.substr(7));
    lib->desc().destroy(inst);
}

TEST_F(AbiPluginTest, NewerMinorAndOtherMajorAreRefusedBeforeLoading) {
    std::string err;
    EXPECT_FALSE(registry_.get(DFS_PLUGIN_BLOCK_STORE, "cblocks_next", err));
    EXPECT_NE(err.find("newer than the kernel's ABI " + std::to_string(DFS_ABI_MAJOR) + "." +
                       std::to_string(DFS_ABI_MINOR)),
              std::string::npos)
        << err;
    err.clear();
    EXPECT_FALSE(registry_.get(DFS_PLUGIN_BLOCK_STORE, "cblocks_v2", err));
    EXPECT_NE(err.find("major versions differ"), std::string::npos) << err;
    err.clear();
    EXPECT_FALSE(registry_.loadFile(std::string(DFS_ABI_PLUGIN_DIR) + "/abi_other_major_store.so", err));
    EXPECT_NE(err.find("refused"), std::string::npos) << err;
}

}  // namespace
}  // namespace dfs::kernel
