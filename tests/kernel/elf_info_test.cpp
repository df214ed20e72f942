#include "src/elf_info.hpp"
#include "src/plugin_loader.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>
#include <vector>

namespace dfs::kernel {
namespace {

std::vector<uint8_t> readFile(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

const std::string kMemMeta = std::string(DFS_TEST_PLUGIN_DIR) + "/dittofs_store_mem_metadata.so";

TEST(ElfInfoTest, ReadsTheRecordOfARealPlugin) {
    auto r = readPluginInfo(kMemMeta);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_STREQ(r.info.name, "mem");
    EXPECT_EQ(r.info.kind, DFS_PLUGIN_METADATA_STORE);
    EXPECT_EQ(r.info.abi_major, DFS_ABI_MAJOR);
    EXPECT_EQ(r.info.abi_minor, DFS_ABI_MINOR);
}

TEST(ElfInfoTest, RefusesWhatIsNotAPlugin) {
    std::vector<uint8_t> junk(100, 0x41);
    EXPECT_FALSE(parsePluginInfo(junk).ok);
    EXPECT_FALSE(parsePluginInfo({}).ok);
    auto r = readPluginInfo("/proc/self/exe");
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("not a DittoFS plugin"), std::string::npos) << r.error;
    EXPECT_FALSE(readPluginInfo("/nonexistent/plugin.so").ok);
}

TEST(ElfInfoTest, TruncatedAndCorruptedFilesNeverCrash) {
    auto bytes = readFile(kMemMeta);
    ASSERT_GT(bytes.size(), 1000u);
    for (size_t cut : {size_t{4}, size_t{63}, size_t{64}, bytes.size() / 2, bytes.size() - 1}) {
        std::vector<uint8_t> t(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
        (void)parsePluginInfo(t);  // must return, ok or not
    }
    std::mt19937 rng(42);
    for (int i = 0; i < 200; ++i) {
        auto m = bytes;
        for (int k = 0; k < 16; ++k) {
            m[rng() % m.size()] = static_cast<uint8_t>(rng());
        }
        // Corrupt the header fields the parser trusts most.
        m[rng() % 64] = static_cast<uint8_t>(rng());
        (void)parsePluginInfo(m);
    }
}

TEST(AbiCheckTest, NamesBothVersions) {
    EXPECT_EQ(abiRefusal(DFS_ABI_MAJOR, DFS_ABI_MINOR), "");
    std::string newer = abiRefusal(DFS_ABI_MAJOR, DFS_ABI_MINOR + 1);
    EXPECT_NE(newer.find("newer"), std::string::npos);
    EXPECT_NE(newer.find(std::to_string(DFS_ABI_MAJOR) + "." + std::to_string(DFS_ABI_MINOR + 1)), std::string::npos);
    std::string other = abiRefusal(DFS_ABI_MAJOR + 1, 0);
    EXPECT_NE(other.find("major"), std::string::npos);
}

}  // namespace
}  // namespace dfs::kernel
