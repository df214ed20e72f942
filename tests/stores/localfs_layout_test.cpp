// The localfs block store's on-disk layouts (localfs_store.hpp): a new root records layout
// 2 and puts 256 consecutive objects in one directory; a root written before the layout
// file existed (objects in layout 1, no file) is recognised as layout 1 and its objects
// stay readable and writable where they are; a layout file this version does not know
// refuses the root. The sync_directories key is checked here too.
#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/fake_host.hpp>
#include <dittofs/cpp/store_client.hpp>

#include <gtest/gtest.h>

#include "load_plugin.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#ifndef DITTOFS_LOCALFS_PLUGIN
#error "DITTOFS_LOCALFS_PLUGIN must name the plugin library"
#endif

namespace {

namespace fs = std::filesystem;
using dfs::BlockStoreClient;
using dfs::makeStruct;

const dfs_plugin_desc_t& plugin() {
    static const dfs_plugin_desc_t desc = dfs::test::loadPlugin(DITTOFS_LOCALFS_PLUGIN);
    return desc;
}

class Store {
public:
    explicit Store(const std::string& root, const std::string& syncDirectories = "") {
        std::vector<dfs_kv_t> kvs = {{dfs::toC("root"), dfs::toC(root)}};
        if (!syncDirectories.empty()) {
            kvs.push_back({dfs::toC("sync_directories"), dfs::toC(syncDirectories)});
        }
        auto cfg = makeStruct<dfs_config_t>();
        cfg.count = static_cast<uint32_t>(kvs.size());
        cfg.items = kvs.data();
        if (plugin().create(host_.api(), &cfg, &inst_).code == DFS_OK) {
            client_ = BlockStoreClient(static_cast<const dfs_block_store_ops_t*>(plugin().ops), inst_);
        }
    }
    ~Store() {
        if (inst_ != nullptr) {
            plugin().destroy(inst_);
        }
    }
    bool ok() const { return inst_ != nullptr; }
    const BlockStoreClient* operator->() const { return &client_; }

private:
    dfs::FakeHost host_{"layout"};
    void* inst_ = nullptr;
    BlockStoreClient client_;
};

std::string hex16(uint64_t v) {
    char b[17];
    std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
    return b;
}

std::string readFile(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string readObject(const Store& s, uint64_t obj, size_t len) {
    std::string out(len, '\0');
    auto n = s->read(obj, 0, dfs_buf_t{reinterpret_cast<uint8_t*>(out.data()), len});
    EXPECT_TRUE(n.ok());
    out.resize(n.ok() ? *n : 0);
    return out;
}

void writeObject(const Store& s, uint64_t obj, std::string_view data) {
    dfs::Status st = s->write(obj, 0, dfs::toBytes(data), DFS_FILE_SYNC);
    EXPECT_TRUE(st.ok()) << dfs::statusName(st.code());
}

class LocalFsLayoutTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_NE(plugin().struct_size, 0u) << "cannot load " << DITTOFS_LOCALFS_PLUGIN;
        char tmpl[] = "/tmp/dfs-localfs-layout-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        root_ = dir_ / "blocks";
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path dir_;
    fs::path root_;
};

TEST_F(LocalFsLayoutTest, ANewRootRecordsLayoutTwoAndGroupsConsecutiveObjects) {
    {
        Store s(root_.string());
        ASSERT_TRUE(s.ok());
        for (uint64_t obj = 0x10000; obj < 0x10000 + 300; ++obj) {
            writeObject(s, obj, "object " + std::to_string(obj));
        }
    }
    EXPECT_EQ(readFile(root_ / "layout"), "2\n");
    // 0x10000..0x100ff share one directory, 0x10100.. the next.
    EXPECT_TRUE(fs::exists(root_ / "1" / "00" / hex16(0x10000)));
    EXPECT_TRUE(fs::exists(root_ / "1" / "00" / hex16(0x100ff)));
    EXPECT_TRUE(fs::exists(root_ / "1" / "01" / hex16(0x10100)));
    size_t inFirst = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(root_ / "1" / "00")) {
        ++inFirst;
    }
    EXPECT_EQ(inFirst, 256u);
    Store again(root_.string());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(readObject(again, 0x1012b, 64), "object " + std::to_string(0x1012b));
}

TEST_F(LocalFsLayoutTest, ARootFromBeforeTheLayoutFileKeepsLayoutOne) {
    // Objects as a version without the layout file wrote them: <lowest byte>/<second byte>/.
    const uint64_t objs[] = {0x1, 0x2, 0x1234};
    for (uint64_t obj : objs) {
        char a[3];
        char b[3];
        std::snprintf(a, sizeof a, "%02x", static_cast<unsigned>(obj & 0xff));
        std::snprintf(b, sizeof b, "%02x", static_cast<unsigned>((obj >> 8) & 0xff));
        fs::create_directories(root_ / a / b);
        std::ofstream(root_ / a / b / hex16(obj)) << "legacy " << obj;
    }
    Store s(root_.string());
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(readFile(root_ / "layout"), "1\n");
    for (uint64_t obj : objs) {
        EXPECT_EQ(readObject(s, obj, 64), "legacy " + std::to_string(obj));
    }
    writeObject(s, 0x1235, "new");
    EXPECT_TRUE(fs::exists(root_ / "35" / "12" / hex16(0x1235))) << "a new object follows the root's layout";
    EXPECT_TRUE(s->remove(0x1234).ok());
    EXPECT_FALSE(fs::exists(root_ / "34" / "12" / hex16(0x1234)));
}

// Whether a new object's directory is fsynced (file_io.hpp): either way its objects are
// written and read back; a value the store does not know refuses the root.
TEST_F(LocalFsLayoutTest, SyncDirectoriesTakesAutoOrAlways) {
    for (const char* mode : {"auto", "always"}) {
        Store s((root_ / mode).string(), mode);
        ASSERT_TRUE(s.ok()) << mode;
        writeObject(s, 7, mode);
        EXPECT_EQ(readObject(s, 7, 16), mode);
    }
    Store bad((root_ / "bad").string(), "sometimes");
    EXPECT_FALSE(bad.ok());
}

TEST_F(LocalFsLayoutTest, AnUnknownLayoutIsRefused) {
    fs::create_directories(root_);
    std::ofstream(root_ / "layout") << "9\n";
    Store s(root_.string());
    EXPECT_FALSE(s.ok());
}

}  // namespace
