// Fuzz target: the plugin ELF metadata reader (kernel/src/elf_info.cpp), which reads
// files from plugin directories before any check has passed.
#include "src/elf_info.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto r = dfs::kernel::parsePluginInfo(std::span<const uint8_t>(data, size));
    if (r.ok && (r.info.name[sizeof r.info.name - 1] != '\0' || r.info.version[sizeof r.info.version - 1] != '\0')) {
        __builtin_trap();  // strings must always come out terminated
    }
    return 0;
}
