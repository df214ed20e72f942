// Fuzz target: the TOML config parser and validator (kernel/src/config.cpp). A reload
// must refuse any bad file with a message, never crash the running server.
#include "src/config.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    dfs::kernel::ConfigError err;
    auto c = dfs::kernel::parseConfig(text, "fuzz.toml", err);
    if (!c && err.message.empty()) {
        __builtin_trap();  // a refusal always says why
    }
    return 0;
}
