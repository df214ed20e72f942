// Settings and lifecycle of an NFSv3 instance (nfs3_instance.hpp): the config keys of
// `[protocol.nfs3]` and the registration of NFS and MOUNT with the kernel's RPC server.
#include "nfs3_instance.hpp"
#include "nfs3_xdr.hpp"

#include <dittofs/cpp/views.hpp>

#include <cstddef>
#include <string>

namespace dfs::nfs3 {
namespace {

std::optional<uint32_t> portValue(const Config& cfg, std::string_view key, uint32_t def, std::string& why) {
    if (!cfg.has(key)) {
        return def;
    }
    auto v = cfg.getUint(key);
    if (!v || *v > 65535) {
        why = std::string(key) + " must be a port number (0..65535, 0 = any free port)";
        return std::nullopt;
    }
    return static_cast<uint32_t>(*v);
}

std::optional<uint32_t> sizeValue(const Config& cfg, std::string_view key, std::string& why) {
    if (!cfg.has(key)) {
        return kMiB;
    }
    auto v = cfg.getUint(key);
    // FSINFO must offer clients at least 1 MiB transfers; 64 MiB bounds one reply buffer.
    if (!v || *v < kMiB || *v > 64 * kMiB) {
        why = std::string(key) + " must be between 1048576 and 67108864 bytes";
        return std::nullopt;
    }
    return static_cast<uint32_t>(*v);
}

}  // namespace

Result<Settings> parseSettings(const Config& cfg, std::string& why) {
    for (const auto& [k, v] : cfg.all()) {
        if (k != "port" && k != "mount_port" && k != "udp" && k != "rtmax" && k != "wtmax" && k != "data_dir") {
            why = "unknown key '" + k + "' (known: port, mount_port, udp, rtmax, wtmax)";
            return makeError(DFS_ERR_INVAL);
        }
    }
    Settings s;
    auto port = portValue(cfg, "port", s.nfsPort, why);
    auto mountPort = portValue(cfg, "mount_port", s.mountPort, why);
    auto rtmax = sizeValue(cfg, "rtmax", why);
    auto wtmax = sizeValue(cfg, "wtmax", why);
    if (!port || !mountPort || !rtmax || !wtmax) {
        return makeError(DFS_ERR_INVAL);
    }
    std::string udp = cfg.get("udp", "true");
    if (udp != "true" && udp != "false") {
        why = "udp must be true or false";
        return makeError(DFS_ERR_INVAL);
    }
    s.nfsPort = *port;
    s.mountPort = *mountPort;
    s.udp = udp == "true";
    s.rtmax = *rtmax;
    s.wtmax = *wtmax;
    return s;
}

Instance::Instance(const dfs_host_api_t* host, Settings settings) : host_(host), settings_(settings) {
    if (host != nullptr && host->vfs != nullptr) {
        vfs_ = copyStruct(host->vfs);
    }
    if (host != nullptr && host->struct_size > offsetof(dfs_host_api_t, rpc) && host->rpc != nullptr) {
        rpc_ = copyStruct(host->rpc);
    }
}

dfs_err_t Instance::start() {
    if (rpc_.register_program == nullptr || rpc_.reply_buffer == nullptr || rpc_.reply_send == nullptr ||
        vfs_.getattr == nullptr) {
        host_.error("event=nfs3_start_failed reason=\"the kernel offers no ONC RPC or VFS table (ABI 1.1 needed)\"");
        return dfs_err_t{DFS_ERR_NOTSUPP, 0};
    }
    auto reg = [&](uint32_t prog, uint32_t vers, uint32_t port, uint64_t drc, const char* name, dfs_rpc_dispatch_fn fn,
                   uint32_t& tcpOut) {
        auto p = makeStruct<dfs_rpc_program_t>();
        p.prog = prog;
        p.vers_low = vers;
        p.vers_high = vers;
        p.tcp_port = port;
        p.udp_port = settings_.udp ? port : DFS_RPC_NO_PORT;
        p.drc_procs = drc;
        p.name = name;
        p.dispatch = fn;
        p.inst = this;
        uint32_t tcp = 0;
        uint32_t udp = 0;
        dfs_err_t e = rpc_.register_program(ctx(), &p, &tcp, &udp);
        if (e.code != DFS_OK) {
            host_.error(std::string("event=nfs3_register_failed program=") + name + " port=" + std::to_string(port) +
                        " status=" + statusName(e.code));
            return e;
        }
        tcpOut = tcp;
        return e;
    };
    dfs_err_t e = reg(kMountProgram, kMountVersion, settings_.mountPort, mountDrcProcs(), "mount", dispatchMount, mountTcp_);
    if (e.code != DFS_OK) {
        return e;
    }
    mountRegistered_ = true;
    e = reg(kNfsProgram, kNfsVersion, settings_.nfsPort, nfsDrcProcs(), "nfs", dispatchNfs, nfsTcp_);
    if (e.code != DFS_OK) {
        stop();
        return e;
    }
    nfsRegistered_ = true;
    host_.info("event=nfs3_started nfs_port=" + std::to_string(nfsTcp_) + " mount_port=" + std::to_string(mountTcp_) +
               " udp=" + (settings_.udp ? "true" : "false") + " rtmax=" + std::to_string(settings_.rtmax) +
               " wtmax=" + std::to_string(settings_.wtmax));
    return kOk;
}

void Instance::stop() {
    if (rpc_.unregister_program == nullptr) {
        return;
    }
    if (nfsRegistered_) {
        rpc_.unregister_program(ctx(), kNfsProgram, kNfsVersion, kNfsVersion);
        nfsRegistered_ = false;
    }
    if (mountRegistered_) {
        rpc_.unregister_program(ctx(), kMountProgram, kMountVersion, kMountVersion);
        mountRegistered_ = false;
    }
}

}  // namespace dfs::nfs3
