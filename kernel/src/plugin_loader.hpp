// Finds plugin libraries, checks their ABI before running any of their code, and loads
// the compatible ones with Boost.DLL (RTLD_LOCAL, RTLD_NOW).
//
// Discovery reads each *.so's ".dittofs_plugin" ELF record (elf_info.hpp). A library is
// refused — with a message naming both versions — when its ABI major differs from the
// kernel's or its minor is newer. Loading then calls dfs_plugin_entry_v1 and checks the
// descriptor against the record. Libraries are never unloaded while the server runs:
// objects they created may still be referenced (a retired library stays mapped).
#pragma once

#include "elf_info.hpp"

#include <dittofs/abi/dittofs.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace dfs::kernel {

class HostServices;
class HostContext;

const char* kindName(dfs_plugin_kind_t kind);
// Empty when a plugin built for `info`'s ABI may load into this kernel.
std::string abiRefusal(uint16_t major, uint16_t minor);

struct PluginCandidate {
    std::string path;
    dfs_plugin_info_t info{};
    bool ok = false;
    std::string status;  // "ok" or "refused: <reason>"
};

// Every *.so in the directories (sorted by name within each directory, directories in
// order). Later libraries with a kind and name already seen are refused as duplicates.
std::vector<PluginCandidate> scanPluginDirs(const std::vector<std::string>& dirs);

class LoadedLibrary;
using LoadedLibraryPtr = std::shared_ptr<LoadedLibrary>;

class LoadedLibrary {
public:
    ~LoadedLibrary();
    const dfs_plugin_desc_t& desc() const { return desc_; }
    const std::string& path() const { return path_; }
    const std::string& name() const { return name_; }
    dfs_plugin_kind_t kind() const { return desc_.kind; }
    // A table of the kind-specific ops, copied with the append-only rule.
    const void* ops() const { return desc_.ops; }

private:
    friend class PluginRegistry;
    LoadedLibrary() = default;
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::unique_ptr<HostContext> host_;
    dfs_plugin_desc_t desc_{};
    std::string path_;
    std::string name_;
};

class PluginRegistry {
public:
    explicit PluginRegistry(HostServices* services);
    ~PluginRegistry();

    // Sets the directories and scans them once; get() looks plugins up in that scan, so a
    // start or reload reads each library's record once, not once per store or service.
    void setDirs(std::vector<std::string> dirs);
    const std::vector<std::string>& dirs() const { return dirs_; }
    const std::vector<PluginCandidate>& scan() const { return scanned_; }

    // The loaded library of that kind and name (loading it on first use); nullptr with
    // `error` set when none is found or it is refused.
    LoadedLibraryPtr get(dfs_plugin_kind_t kind, const std::string& name, std::string& error);
    // Loads one file directly (tests, upgrades).
    LoadedLibraryPtr loadFile(const std::string& path, std::string& error);

private:
    HostServices* services_;
    std::vector<std::string> dirs_;
    std::vector<PluginCandidate> scanned_;
    std::mutex mutex_;
    std::map<std::string, LoadedLibraryPtr> byPath_;
};

}  // namespace dfs::kernel
