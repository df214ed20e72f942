// The `unix` auth plugin: AUTH_NONE and AUTH_SYS (RFC 5531 section 8.2, appendix A).
//
// AUTH_SYS carries what the client says about itself:
//     struct authsys_parms {
//         unsigned int stamp;
//         string machinename<255>;
//         unsigned int uid;
//         unsigned int gid;
//         unsigned int gids<16>;
//     };
// It proves nothing, so shares choose per client network and squash rules what to trust
// (the kernel applies them). A credential that does not decode exactly — short, longer
// than its fields, more than 16 groups, a machine name over 255 bytes — is malformed:
// DFS_ERR_INVAL, which the kernel answers with AUTH_BADCRED.
#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/plugin.hpp>
#include <dittofs/cpp/xdr.hpp>

#include <new>

namespace {

constexpr uint32_t kMaxGroups = 16;      // gids<16>
constexpr uint32_t kMaxMachineName = 255;
constexpr uint32_t kNobody = 65534;

struct Instance {
    dfs::Host host;
    bool allowNone = true;
};

uint32_t flavors(void* inst, dfs_flavor_t* out, uint32_t max) {
    auto* in = static_cast<Instance*>(inst);
    uint32_t n = 0;
    if (n < max) {
        out[n++] = DFS_FLAVOR_SYS;
    }
    if (in->allowNone && n < max) {
        out[n++] = DFS_FLAVOR_NONE;
    }
    return n;
}

dfs_err_t verify(void* inst, dfs_flavor_t flavor, dfs_bytes_t credBody, dfs_bytes_t verfBody, dfs_cred_t* cred) {
    (void)inst;
    (void)verfBody;  // AUTH_SYS and AUTH_NONE verifiers carry nothing to check
    dfs_cred_t c = dfs::copyStruct(cred);
    c.flavor = flavor;
    c.principal = dfs_str_t{nullptr, 0};
    if (flavor == DFS_FLAVOR_NONE) {
        if (credBody.len != 0) {
            return dfs_err_t{DFS_ERR_INVAL, 0};
        }
        c.uid = kNobody;
        c.gid = kNobody;
        c.ngroups = 0;
    } else if (flavor == DFS_FLAVOR_SYS) {
        dfs::xdr::Reader r(credBody);
        r.u32();  // stamp
        r.var(kMaxMachineName);
        c.uid = r.u32();
        c.gid = r.u32();
        uint32_t n = r.u32();
        if (!r.ok() || n > kMaxGroups) {
            return dfs_err_t{DFS_ERR_INVAL, 0};
        }
        c.ngroups = n;
        for (uint32_t i = 0; i < n; ++i) {
            c.groups[i] = r.u32();
        }
        if (!r.ok() || r.remaining() != 0) {
            return dfs_err_t{DFS_ERR_INVAL, 0};
        }
    } else {
        return dfs_err_t{DFS_ERR_ACCES, 0};
    }
    uint32_t size = cred->struct_size == 0 ? static_cast<uint32_t>(sizeof c) : cred->struct_size;
    std::memcpy(cred, &c, size < sizeof c ? size : sizeof c);
    cred->struct_size = size;
    return dfs_err_t{DFS_OK, 0};
}

dfs_err_t create(const dfs_host_api_t* host, const dfs_config_t* config, void** out) {
    dfs::Host h(host);
    dfs::Config cfg(config);
    for (const auto& [k, v] : cfg.all()) {
        if (k != "allow_none" && k != "data_dir") {
            h.error("auth unix: unknown config key '" + k + "'");
            return dfs_err_t{DFS_ERR_INVAL, 0};
        }
    }
    auto* in = new (std::nothrow) Instance{h, cfg.getBool("allow_none", true)};
    if (in == nullptr) {
        return dfs_err_t{DFS_ERR_NOMEM, 0};
    }
    *out = in;
    return dfs_err_t{DFS_OK, 0};
}

void destroy(void* inst) { delete static_cast<Instance*>(inst); }

const dfs_auth_ops_t kOps = [] {
    auto o = dfs::makeStruct<dfs_auth_ops_t>();
    o.flavors = &flavors;
    o.verify = &verify;
    return o;
}();

const dfs_plugin_desc_t kDesc = [] {
    auto d = dfs::makeStruct<dfs_plugin_desc_t>();
    d.abi_major = DFS_ABI_MAJOR;
    d.abi_minor = DFS_ABI_MINOR;
    d.kind = DFS_PLUGIN_AUTH;
    d.name = "unix";
    d.version = "1.0.0";
    d.description = "AUTH_NONE and AUTH_SYS";
    d.create = &create;
    d.destroy = &destroy;
    d.ops = &kOps;
    return d;
}();

}  // namespace

DFS_PLUGIN_INFO(DFS_PLUGIN_AUTH, "unix", "1.0.0");

extern "C" DFS_API_EXPORT const dfs_plugin_desc_t* dfs_plugin_entry_v1(const dfs_host_api_t*) { return &kDesc; }
