#include "plugin_loader.hpp"

#include "host_api.hpp"
#include "log.hpp"

#include <dittofs/cpp/views.hpp>

#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>

namespace dfs::kernel {

struct LoadedLibrary::Impl {
    boost::dll::shared_library lib;
};

LoadedLibrary::~LoadedLibrary() = default;

const char* kindName(dfs_plugin_kind_t kind) {
    switch (kind) {
    case DFS_PLUGIN_PROTOCOL: return "protocol";
    case DFS_PLUGIN_AUTH: return "auth";
    case DFS_PLUGIN_METADATA_STORE: return "metadata_store";
    case DFS_PLUGIN_BLOCK_STORE: return "block_store";
    default: return "unknown";
    }
}

std::string abiRefusal(uint16_t major, uint16_t minor) {
    std::string have = std::to_string(DFS_ABI_MAJOR) + "." + std::to_string(DFS_ABI_MINOR);
    std::string want = std::to_string(major) + "." + std::to_string(minor);
    if (major != DFS_ABI_MAJOR) {
        return "built for ABI " + want + ", kernel has ABI " + have + " (major versions differ)";
    }
    if (minor > DFS_ABI_MINOR) {
        return "built for ABI " + want + ", newer than the kernel's ABI " + have + " (upgrade the server)";
    }
    return {};
}

std::vector<PluginCandidate> scanPluginDirs(const std::vector<std::string>& dirs) {
    namespace fs = std::filesystem;
    std::vector<PluginCandidate> out;
    std::map<std::pair<int32_t, std::string>, std::string> seen;
    std::set<std::string> seenPaths;
    for (const auto& d : dirs) {
        std::error_code ec;
        if (!fs::is_directory(d, ec)) {
            continue;
        }
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(d, ec)) {
            if (e.path().extension() == ".so" && e.is_regular_file(ec)) {
                files.push_back(e.path());
            }
        }
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            std::string canon = fs::weakly_canonical(f, ec).string();
            if (!seenPaths.insert(canon).second) {
                continue;
            }
            PluginCandidate c;
            c.path = f.string();
            ElfInfoResult r = readPluginInfo(c.path);
            if (!r.ok) {
                c.status = "refused: " + r.error;
                out.push_back(c);
                continue;
            }
            c.info = r.info;
            std::string why = abiRefusal(r.info.abi_major, r.info.abi_minor);
            if (why.empty() && std::strcmp(kindName(r.info.kind), "unknown") == 0) {
                why = "unknown plugin kind " + std::to_string(r.info.kind);
            }
            auto key = std::make_pair(r.info.kind, std::string(r.info.name));
            if (why.empty()) {
                auto it = seen.find(key);
                if (it != seen.end()) {
                    why = "duplicate of " + it->second;
                } else {
                    seen[key] = c.path;
                }
            }
            c.ok = why.empty();
            c.status = c.ok ? "ok" : "refused: " + why;
            out.push_back(c);
        }
    }
    return out;
}

PluginRegistry::PluginRegistry(HostServices* services) : services_(services) {}
PluginRegistry::~PluginRegistry() = default;

void PluginRegistry::setDirs(std::vector<std::string> dirs) {
    dirs_ = std::move(dirs);
    scanned_ = scanPluginDirs(dirs_);
}

LoadedLibraryPtr PluginRegistry::get(dfs_plugin_kind_t kind, const std::string& name, std::string& error) {
    for (const auto& c : scanned_) {
        if (c.info.kind != kind || name != c.info.name) {
            continue;
        }
        if (!c.ok) {
            if (c.status.find("duplicate of") != std::string::npos) {
                continue;
            }
            error = std::string(kindName(kind)) + " plugin '" + name + "' at " + c.path + " " + c.status;
            return nullptr;
        }
        return loadFile(c.path, error);
    }
    error = std::string("no ") + kindName(kind) + " plugin named '" + name + "' in the plugin directories";
    return nullptr;
}

LoadedLibraryPtr PluginRegistry::loadFile(const std::string& path, std::string& error) {
    std::lock_guard<std::mutex> g(mutex_);
    if (auto it = byPath_.find(path); it != byPath_.end()) {
        return it->second;
    }
    ElfInfoResult r = readPluginInfo(path);
    if (!r.ok) {
        error = path + ": refused: " + r.error;
        return nullptr;
    }
    if (std::string why = abiRefusal(r.info.abi_major, r.info.abi_minor); !why.empty()) {
        error = path + ": refused: " + why;
        return nullptr;
    }
    LoadedLibraryPtr lib(new LoadedLibrary());
    lib->impl_ = std::make_unique<LoadedLibrary::Impl>();
    try {
        lib->impl_->lib.load(boost::dll::fs::path(path),
                             boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        error = path + ": cannot load: " + e.what();
        return nullptr;
    }
    if (!lib->impl_->lib.has(DFS_PLUGIN_ENTRY_V1_NAME)) {
        error = path + ": refused: no " DFS_PLUGIN_ENTRY_V1_NAME " entry point";
        return nullptr;
    }
    auto entry = lib->impl_->lib.get<const dfs_plugin_desc_t*(const dfs_host_api_t*)>(DFS_PLUGIN_ENTRY_V1_NAME);
    lib->name_ = r.info.name;
    lib->path_ = path;
    lib->host_ = std::make_unique<HostContext>(std::string(r.info.name), r.info.kind, services_);
    const dfs_plugin_desc_t* d = entry(lib->host_->api());
    if (d == nullptr) {
        error = path + ": refused: the entry point declined to load";
        return nullptr;
    }
    lib->desc_ = copyStruct(d);
    const auto& desc = lib->desc_;
    if (desc.abi_major != r.info.abi_major || desc.abi_minor != r.info.abi_minor || desc.kind != r.info.kind ||
        desc.name == nullptr || std::strcmp(desc.name, r.info.name) != 0) {
        error = path + ": refused: descriptor does not match its " DFS_PLUGIN_INFO_SECTION " record";
        return nullptr;
    }
    if (desc.create == nullptr || desc.destroy == nullptr || desc.ops == nullptr) {
        error = path + ": refused: descriptor lacks create, destroy or ops";
        return nullptr;
    }
    log::info("loader", "plugin_loaded",
              {{"kind", kindName(desc.kind)},
               {"name", desc.name},
               {"version", desc.version != nullptr ? desc.version : ""},
               {"abi", std::to_string(desc.abi_major) + "." + std::to_string(desc.abi_minor)},
               {"path", path}});
    byPath_[path] = lib;
    return lib;
}

}  // namespace dfs::kernel
