// Loads a store plugin the way the kernel does (dlopen, the v1 entry point) for the
// store tests that drive one plugin directly; the descriptor lives as long as the test.
#pragma once

#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/fake_host.hpp>
#include <dittofs/cpp/views.hpp>

#include <dlfcn.h>

namespace dfs::test {

// A zeroed descriptor (struct_size 0) when the library or its entry cannot be loaded.
inline dfs_plugin_desc_t loadPlugin(const char* path) {
    dfs_plugin_desc_t d{};
    void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
        return d;
    }
    auto entry = reinterpret_cast<dfs_plugin_entry_v1_fn>(dlsym(h, DFS_PLUGIN_ENTRY_V1_NAME));
    static dfs::FakeHost loadHost("plugin-load");
    if (entry != nullptr && entry(loadHost.api()) != nullptr) {
        d = dfs::copyStruct(entry(loadHost.api()));
    }
    return d;
}

}  // namespace dfs::test
