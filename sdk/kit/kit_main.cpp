// DittoFS store conformance kit: loading the plugin, the fixtures and main().
#include "kit.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>

namespace dfs::kit {
namespace {

Options gOptions;

std::string substitute(std::string v, const std::string& dir) {
    const std::string key = "{dir}";
    for (size_t pos = v.find(key); pos != std::string::npos; pos = v.find(key, pos + dir.size())) {
        v.replace(pos, key.size(), dir);
    }
    return v;
}

std::string makeTempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dfskit-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
        return {};
    }
    return std::string(buf.data());
}

}  // namespace

const Options& options() { return gOptions; }

Plugin& Plugin::get() {
    static Plugin p;
    return p;
}

Plugin::Plugin() {
    handle_ = dlopen(gOptions.pluginPath.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) {
        error_ = std::string("dlopen failed: ") + dlerror();
        return;
    }
    auto entry = reinterpret_cast<dfs_plugin_entry_v1_fn>(dlsym(handle_, DFS_PLUGIN_ENTRY_V1_NAME));
    if (entry == nullptr) {
        error_ = "no " DFS_PLUGIN_ENTRY_V1_NAME " symbol";
        return;
    }
    static dfs::FakeHost loadHost("kit-load");
    const dfs_plugin_desc_t* d = entry(loadHost.api());
    if (d == nullptr) {
        error_ = "entry point returned NULL";
        return;
    }
    dfs_plugin_desc_t c = copyStruct(d);
    if (c.abi_major != DFS_ABI_MAJOR || c.abi_minor > DFS_ABI_MINOR) {
        error_ = "plugin ABI " + std::to_string(c.abi_major) + "." + std::to_string(c.abi_minor) +
                 " is not compatible with kit ABI " + std::to_string(DFS_ABI_MAJOR) + "." +
                 std::to_string(DFS_ABI_MINOR);
        return;
    }
    if (c.create == nullptr || c.destroy == nullptr || c.ops == nullptr) {
        error_ = "descriptor lacks create, destroy or ops";
        return;
    }
    desc_ = c;
}

void StoreFixture::SetUp() {
    Plugin& p = Plugin::get();
    ASSERT_TRUE(p.loaded()) << p.loadError();
    dir_ = makeTempDir();
    ASSERT_FALSE(dir_.empty()) << "mkdtemp failed";
    open();
}

void StoreFixture::TearDown() {
    close();
    if (!dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
}

void StoreFixture::open() {
    Plugin& p = Plugin::get();
    std::vector<std::string> storage;
    storage.reserve(options().config.size() * 2);
    std::vector<dfs_kv_t> kvs;
    for (const auto& [k, v] : options().config) {
        storage.push_back(k);
        storage.push_back(substitute(v, dir_));
    }
    for (size_t i = 0; i < storage.size(); i += 2) {
        kvs.push_back(dfs_kv_t{toC(storage[i]), toC(storage[i + 1])});
    }
    dfs_config_t cfg = makeStruct<dfs_config_t>();
    cfg.count = static_cast<uint32_t>(kvs.size());
    cfg.items = kvs.data();
    inst_ = nullptr;
    dfs_err_t e = p.desc().create(host_.api(), &cfg, &inst_);
    ASSERT_EQ(e.code, DFS_OK) << "create failed: " << statusName(e.code) << " errno " << e.sys_errno;
    ASSERT_NE(inst_, nullptr);
    if (p.kind() == DFS_PLUGIN_METADATA_STORE) {
        meta_ = MetadataStoreClient(static_cast<const dfs_metadata_store_ops_t*>(p.desc().ops), inst_);
        ASSERT_TRUE(meta_.hasRequiredSlots()) << "a required metadata slot is NULL";
    } else if (p.kind() == DFS_PLUGIN_BLOCK_STORE) {
        blocks_ = BlockStoreClient(static_cast<const dfs_block_store_ops_t*>(p.desc().ops), inst_);
        ASSERT_TRUE(blocks_.hasRequiredSlots()) << "a required block slot is NULL";
    }
}

void StoreFixture::close() {
    if (inst_ != nullptr) {
        Plugin::get().desc().destroy(inst_);
        inst_ = nullptr;
    }
    meta_ = MetadataStoreClient();
    blocks_ = BlockStoreClient();
}

void StoreFixture::reopen() {
    close();
    open();
}

dfs_time_t StoreFixture::now() const { return host_.api()->now(host_.api()->ctx); }

void MetadataStoreTest::SetUp() {
    if (Plugin::get().loaded() && Plugin::get().kind() != DFS_PLUGIN_METADATA_STORE) {
        GTEST_SKIP() << "not a metadata store";
    }
    StoreFixture::SetUp();
    if (HasFatalFailure()) {
        return;
    }
    auto r = meta_.root();
    ASSERT_TRUE(r.ok()) << statusName(r.code());
    root_ = *r;
}

dfs_create_args_t MetadataStoreTest::args(dfs_ftype_t type, uint32_t mode) const {
    auto a = makeStruct<dfs_create_args_t>();
    a.type = type;
    a.how = DFS_CREATE_GUARDED;
    a.mode = mode;
    a.uid = 1000;
    a.gid = 1000;
    return a;
}

dfs_attr_t MetadataStoreTest::mkfile(uint64_t dir, std::string_view name, uint32_t mode) {
    auto r = meta_.create(dir, name, args(DFS_TYPE_REG, mode), now());
    EXPECT_TRUE(r.ok()) << "create " << name << ": " << statusName(r.code());
    return r.ok() ? r->attr : makeStruct<dfs_attr_t>();
}

dfs_attr_t MetadataStoreTest::mkdir(uint64_t dir, std::string_view name, uint32_t mode) {
    auto r = meta_.create(dir, name, args(DFS_TYPE_DIR, mode), now());
    EXPECT_TRUE(r.ok()) << "mkdir " << name << ": " << statusName(r.code());
    return r.ok() ? r->attr : makeStruct<dfs_attr_t>();
}

std::vector<std::string> MetadataStoreTest::list(uint64_t dir) const {
    std::vector<std::string> names;
    auto r = meta_.readdir(dir, 0, [&](const dfs_dirent_t& e) {
        names.emplace_back(toView(e.name));
        return true;
    });
    EXPECT_TRUE(r.ok()) << statusName(r.code());
    if (r.ok()) {
        EXPECT_TRUE(*r) << "a listing that takes every entry must end with eof";
    }
    return names;
}

void BlockStoreTest::SetUp() {
    if (Plugin::get().loaded() && Plugin::get().kind() != DFS_PLUGIN_BLOCK_STORE) {
        GTEST_SKIP() << "not a block store";
    }
    StoreFixture::SetUp();
}

std::string BlockStoreTest::readAll(uint64_t obj, uint64_t off, uint64_t len) const {
    std::string out(len, '\0');
    auto r = blocks_.read(obj, off, dfs_buf_t{reinterpret_cast<uint8_t*>(out.data()), len});
    EXPECT_TRUE(r.ok()) << statusName(r.code());
    out.resize(r.ok() ? *r : 0);
    return out;
}

void BlockStoreTest::writeStr(uint64_t obj, uint64_t off, std::string_view s, dfs_stable_t st) const {
    auto r = blocks_.write(obj, off, toBytes(s), st);
    EXPECT_TRUE(r.ok()) << statusName(r.code());
}

}  // namespace dfs::kit

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    auto& o = dfs::kit::gOptions;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--plugin" && i + 1 < argc) {
            o.pluginPath = argv[++i];
        } else if (a == "--config" && i + 1 < argc) {
            std::string kv = argv[++i];
            auto eq = kv.find('=');
            if (eq == std::string::npos) {
                std::cerr << "--config wants key=value, got " << kv << "\n";
                return 2;
            }
            o.config.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
        } else if (a == "--volatile") {
            o.isVolatile = true;
        } else {
            std::cerr << "usage: " << argv[0]
                      << " --plugin PATH [--config key=value]... [--volatile] [gtest flags]\n";
            return 2;
        }
    }
    if (o.pluginPath.empty()) {
        std::cerr << "--plugin is required\n";
        return 2;
    }
    return RUN_ALL_TESTS();
}
