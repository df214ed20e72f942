// DittoFS SDK C++ layer: exporting a protocol plugin.
//
// A protocol plugin written in C++ has an instance class and a config parser:
//     Result<Settings> parseSettings(const dfs::Config&, std::string& why);
//     class Instance {
//       public:
//         Instance(const dfs_host_api_t* host, Settings settings);
//         const dfs::Host& host() const;
//         dfs_err_t start();  // register RPC programs / stream services
//         void stop();        // stop taking new work
//     };
// and exports it with one line in one source file:
//     DFS_EXPORT_PROTOCOL(Instance, parseSettings, "nfs3", "1.0.0", "what it is");
// which emits the ELF metadata record, the entry point, the descriptor and the
// dfs_protocol_ops_t, every hook inside dfs::guard().
#pragma once

#include <dittofs/cpp/plugin.hpp>

#include <string>

namespace dfs::detail {

template <typename Instance, auto Parse>
struct ProtocolExport {
    static dfs_err_t create(const dfs_host_api_t* host, const dfs_config_t* config, void** out) {
        Host h(host);
        return guard(h, "create", [&]() -> dfs_err_t {
            std::string why;
            auto s = Parse(Config(config), why);
            if (!s.ok()) {
                h.error("event=config_refused reason=\"" + why + "\"");
                return s.toC();
            }
            *out = new Instance(host, *s);
            return kOk;
        });
    }
    static void destroy(void* p) { delete static_cast<Instance*>(p); }
    static dfs_err_t start(void* p) {
        auto* self = static_cast<Instance*>(p);
        return guard(self->host(), "start", [&] { return self->start(); });
    }
    static void stop(void* p) {
        auto* self = static_cast<Instance*>(p);
        (void)guard(self->host(), "stop", [&] {
            self->stop();
            return kOk;
        });
    }
    static const dfs_plugin_desc_t* descriptor(const char* name, const char* version, const char* description) {
        static const dfs_protocol_ops_t ops = [] {
            auto o = makeStruct<dfs_protocol_ops_t>();
            o.dfs_on_start = &start;
            o.dfs_on_stop = &stop;
            return o;
        }();
        static const dfs_plugin_desc_t desc = [&] {
            auto d = makeStruct<dfs_plugin_desc_t>();
            d.abi_major = DFS_ABI_MAJOR;
            d.abi_minor = DFS_ABI_MINOR;
            d.kind = DFS_PLUGIN_PROTOCOL;
            d.name = name;
            d.version = version;
            d.description = description;
            d.create = &create;
            d.destroy = &destroy;
            d.ops = &ops;
            return d;
        }();
        return &desc;
    }
};

}  // namespace dfs::detail

#define DFS_EXPORT_PROTOCOL(Instance, parse, name, version, description)                            \
    DFS_PLUGIN_INFO(DFS_PLUGIN_PROTOCOL, name, version);                                             \
    extern "C" DFS_API_EXPORT const dfs_plugin_desc_t* dfs_plugin_entry_v1(const dfs_host_api_t*) { \
        return ::dfs::detail::ProtocolExport<Instance, &parse>::descriptor(name, version, description); \
    }
