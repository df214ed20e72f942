// The NLM protocol plugin's C ABI face: its ELF metadata record, the descriptor and the
// hooks the kernel calls (create, destroy, start, stop). The instance, which registers
// NLM (100021 v1-4) and NSM (100024 v1) with the kernel's ONC RPC server and keeps blocked locks until their
// GRANTED callback, is in nlm_instance.cpp. Enabled by `[protocol.nlm]`.
#include "nlm_instance.hpp"

#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/plugin.hpp>
#include <dittofs/cpp/views.hpp>

#include <string>

DFS_PLUGIN_INFO(DFS_PLUGIN_PROTOCOL, "nlm", "1.0.0");

namespace dfs::nlm {
namespace {

dfs_err_t create(const dfs_host_api_t* host, const dfs_config_t* config, void** instance) {
    Host h(host);
    return guard(h, "nlm.create", [&]() -> dfs_err_t {
        std::string why;
        auto s = parseSettings(Config(config), why);
        if (!s.ok()) {
            h.error("event=nlm_config_refused reason=\"" + why + "\"");
            return s.toC();
        }
        *instance = new Instance(host, *s);
        return kOk;
    });
}

void destroy(void* instance) { delete static_cast<Instance*>(instance); }

dfs_err_t onStart(void* inst) {
    auto* self = static_cast<Instance*>(inst);
    return guard(self->host(), "nlm.start", [&] { return self->start(); });
}

void onStop(void* inst) {
    auto* self = static_cast<Instance*>(inst);
    (void)guard(self->host(), "nlm.stop", [&] {
        self->stop();
        return kOk;
    });
}

const dfs_protocol_ops_t kOps = [] {
    auto o = makeStruct<dfs_protocol_ops_t>();
    o.dfs_on_start = onStart;
    o.dfs_on_stop = onStop;
    return o;
}();

const dfs_plugin_desc_t kDesc = [] {
    auto d = makeStruct<dfs_plugin_desc_t>();
    d.abi_major = DFS_ABI_MAJOR;
    d.abi_minor = DFS_ABI_MINOR;
    d.kind = DFS_PLUGIN_PROTOCOL;
    d.name = "nlm";
    d.version = "1.0.0";
    d.description = "NLM v1/v3/v4 and NSM v1 (XNFS) over the kernel's lock manager";
    d.create = create;
    d.destroy = destroy;
    d.ops = &kOps;
    return d;
}();

}  // namespace
}  // namespace dfs::nlm

extern "C" DFS_API_EXPORT const dfs_plugin_desc_t* dfs_plugin_entry_v1(const dfs_host_api_t* /*host*/) {
    return &dfs::nlm::kDesc;
}
