// DittoFS store conformance kit: the fixture every kit test uses.
//
// The kit is one GoogleTest program, dittofs_store_kit, that loads a store plugin with
// dlopen (exactly as the kernel will: entry point, ABI check, create with a config) and
// checks it against every rule of <dittofs/abi/store.h>. Vendors run the same program on
// their plugins (dittofs_add_store_kit_test in the SDK's CMake package).
//
//   dittofs_store_kit --plugin ./libmystore.so [--config key=value]... [--volatile]
//
// In config values "{dir}" becomes a fresh directory for each test; reopen() destroys the
// instance and creates a new one on the same directory, to check persistence.
// --volatile marks a store that keeps nothing across reopen (the mem stores).
#pragma once

#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/fake_host.hpp>
#include <dittofs/cpp/result.hpp>
#include <dittofs/cpp/store_client.hpp>
#include <dittofs/cpp/views.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dfs::kit {

struct Options {
    std::string pluginPath;
    std::vector<std::pair<std::string, std::string>> config;  // values may hold {dir}
    bool isVolatile = false;
};

const Options& options();

// The loaded plugin library (loaded once for the whole run).
class Plugin {
public:
    static Plugin& get();
    bool loaded() const { return desc_.struct_size != 0; }
    const std::string& loadError() const { return error_; }
    const dfs_plugin_desc_t& desc() const { return desc_; }
    dfs_plugin_kind_t kind() const { return desc_.kind; }

private:
    Plugin();
    void* handle_ = nullptr;
    dfs_plugin_desc_t desc_{};
    std::string error_;
};

// One store instance on a fresh directory.
class StoreFixture : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    // Destroys the instance and creates a new one with the same config and directory.
    void reopen();
    void close();
    bool isVolatile() const { return options().isVolatile; }
    const std::string& dir() const { return dir_; }

    dfs_time_t now() const;

    dfs::FakeHost host_{"kit"};
    void* inst_ = nullptr;
    std::string dir_;
    MetadataStoreClient meta_;
    BlockStoreClient blocks_;

private:
    void open();
};

// Fixtures per kind: tests of the other kind are skipped.
class MetadataStoreTest : public StoreFixture {
protected:
    void SetUp() override;
    uint64_t root_ = 0;

    // Helpers: create and fail the test on error.
    dfs_attr_t mkfile(uint64_t dir, std::string_view name, uint32_t mode = 0644);
    dfs_attr_t mkdir(uint64_t dir, std::string_view name, uint32_t mode = 0755);
    dfs_create_args_t args(dfs_ftype_t type, uint32_t mode = 0644) const;
    std::vector<std::string> list(uint64_t dir) const;
};

class BlockStoreTest : public StoreFixture {
protected:
    void SetUp() override;
    std::string readAll(uint64_t obj, uint64_t off, uint64_t len) const;
    void writeStr(uint64_t obj, uint64_t off, std::string_view s, dfs_stable_t st = DFS_UNSTABLE) const;
};

// Bytes that differ at every offset (and between seeds), so a misplaced copy shows.
inline std::string pattern(size_t len, uint32_t seed = 1) {
    std::string s(len, '\0');
    uint32_t x = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < len; ++i) {
        x = x * 1103515245u + 12345u;
        s[i] = static_cast<char>((x >> 16) & 0xff);
    }
    return s;
}

inline bool isZeros(std::string_view s) { return s.find_first_not_of('\0') == std::string_view::npos; }

}  // namespace dfs::kit

// Asserts a dfs status / Result code with a readable message.
#define DFS_EXPECT_CODE(expr, want)                                                               \
    do {                                                                                          \
        auto dfs_kit_code_ = (expr).code();                                                       \
        EXPECT_EQ(dfs_kit_code_, (want)) << "got " << ::dfs::statusName(dfs_kit_code_) << ", want " \
                                         << ::dfs::statusName(want);                              \
    } while (0)
#define DFS_ASSERT_OK(expr)                                                                       \
    do {                                                                                          \
        auto dfs_kit_code_ = (expr).code();                                                       \
        ASSERT_EQ(dfs_kit_code_, DFS_OK) << #expr << " failed: " << ::dfs::statusName(dfs_kit_code_); \
    } while (0)
