// Settings and lifecycle of an NLM instance (nlm_instance.hpp).
#include "nlm_instance.hpp"

#include "nlm_xdr.hpp"
#include "nsm/nsm_xdr.hpp"

#include <dittofs/cpp/views.hpp>

#include <unistd.h>

#include <cstddef>
#include <optional>

namespace dfs::nlm {
namespace {

std::optional<uint32_t> numberValue(const Config& cfg, std::string_view key, uint32_t def, uint64_t lo, uint64_t hi,
                                    std::string& why) {
    if (!cfg.has(key)) {
        return def;
    }
    auto v = cfg.getUint(key);
    if (!v || *v < lo || *v > hi) {
        why = std::string(key) + " must be between " + std::to_string(lo) + " and " + std::to_string(hi);
        return std::nullopt;
    }
    return static_cast<uint32_t>(*v);
}

}  // namespace

Result<Settings> parseSettings(const Config& cfg, std::string& why) {
    for (const auto& [k, v] : cfg.all()) {
        if (k != "port" && k != "nsm_port" && k != "nsm_name" && k != "udp" && k != "data_dir" &&
            k != "granted_attempts" && k != "granted_timeout_ms" && k != "granted_retry_ms") {
            why = "unknown key '" + k + "' (known: port, nsm_port, nsm_name, udp, data_dir, granted_attempts, " +
                  "granted_timeout_ms, granted_retry_ms)";
            return makeError(DFS_ERR_INVAL);
        }
    }
    Settings s;
    auto port = numberValue(cfg, "port", s.port, 0, 65535, why);
    auto nsmPort = numberValue(cfg, "nsm_port", s.nsmPort, 0, 65535, why);
    auto attempts = numberValue(cfg, "granted_attempts", s.granted.attempts, 1, 100, why);
    auto timeout = numberValue(cfg, "granted_timeout_ms", s.granted.timeoutMs, 100, 600000, why);
    auto retry = numberValue(cfg, "granted_retry_ms", s.granted.retryDelayMs, 10, 600000, why);
    if (!port || !nsmPort || !attempts || !timeout || !retry) {
        return makeError(DFS_ERR_INVAL);
    }
    std::string udp = cfg.get("udp", "true");
    if (udp != "true" && udp != "false") {
        why = "udp must be true or false";
        return makeError(DFS_ERR_INVAL);
    }
    s.port = *port;
    s.nsmPort = *nsmPort;
    s.nsmName = cfg.get("nsm_name");
    if (s.nsmName.empty()) {
        char name[256] = {};
        s.nsmName = ::gethostname(name, sizeof name - 1) == 0 ? name : "dittofs";
    }
    if (s.nsmName.size() > nsm::kMaxStrLen) {
        why = "nsm_name must be at most 1024 bytes";
        return makeError(DFS_ERR_INVAL);
    }    s.udp = udp == "true";
    s.dataDir = cfg.get("data_dir");
    s.granted.attempts = *attempts;
    s.granted.timeoutMs = *timeout;
    s.granted.retryDelayMs = *retry;
    return s;
}

Instance::Instance(const dfs_host_api_t* host, Settings settings) : host_(host), settings_(std::move(settings)) {
    if (host != nullptr && host->struct_size > offsetof(dfs_host_api_t, rpc) && host->rpc != nullptr) {
        rpc_ = copyStruct(host->rpc);
    }
    if (host != nullptr && host->struct_size > offsetof(dfs_host_api_t, locks) && host->locks != nullptr) {
        locks_ = copyStruct(host->locks);
    }
    waiters_ = std::make_shared<Waiters>(host_, locks_, rpc_, settings_.granted);
    nsm::NotifySettings n{settings_.granted.attempts, settings_.granted.timeoutMs, settings_.granted.retryDelayMs};
    monitor_ = std::make_shared<nsm::Monitor>(host_, rpc_, settings_.dataDir.empty() ? "" : settings_.dataDir + "/nsm",
                                              settings_.nsmName, n);
}

Instance::~Instance() { stop(); }

dfs_err_t Instance::start() {
    if (rpc_.register_program == nullptr || rpc_.reply_buffer == nullptr || rpc_.reply_send == nullptr ||
        rpc_.call == nullptr || locks_.lock == nullptr || locks_.test == nullptr || locks_.unlock == nullptr ||
        locks_.cancel == nullptr || locks_.release_client == nullptr) {
        host_.error("event=nlm_start_failed reason=\"the kernel offers no RPC client or lock manager (ABI 1.4 needed)\"");
        return dfs_err_t{DFS_ERR_NOTSUPP, 0};
    }
    auto p = makeStruct<dfs_rpc_program_t>();
    p.prog = kNlmProgram;
    p.vers_low = kNlmVersLow;
    p.vers_high = kNlmVersHigh;
    p.tcp_port = settings_.port;
    p.udp_port = settings_.udp ? settings_.port : DFS_RPC_NO_PORT;
    p.drc_procs = 0;  // every NLM procedure may be repeated: a lock owner replaces its own locks
    p.name = "nlm";
    p.dispatch = dispatchNlm;
    p.inst = this;
    uint32_t tcp = 0;
    uint32_t udp = 0;
    dfs_err_t e = rpc_.register_program(ctx(), &p, &tcp, &udp);
    if (e.code != DFS_OK) {
        host_.error("event=nlm_register_failed port=" + std::to_string(settings_.port) + " status=" + statusName(e.code));
        return e;
    }
    registered_ = true;

    // NSM: the state and hosts of the previous run first, so a notice can be answered.
    std::string why;
    if (!monitor_->load(why)) {
        host_.error("event=nsm_start_failed reason=\"" + why + "\"");
        stop();
        return dfs_err_t{DFS_ERR_IO, 0};
    }
    if (settings_.dataDir.empty()) {
        host_.warn("event=nsm_not_persisted reason=\"no data_dir: monitored hosts are not kept across restarts\"");
    }
    std::vector<nsm::MonitoredHost> previous = monitor_->hosts();
    auto n = makeStruct<dfs_rpc_program_t>();
    n.prog = nsm::kNsmProgram;
    n.vers_low = nsm::kNsmVersion;
    n.vers_high = nsm::kNsmVersion;
    n.tcp_port = settings_.nsmPort;
    n.udp_port = settings_.udp ? settings_.nsmPort : DFS_RPC_NO_PORT;
    n.drc_procs = 0;
    n.name = "nsm";
    n.dispatch = dispatchNsm;
    n.inst = this;
    uint32_t ntcp = 0;
    uint32_t nudp = 0;
    e = rpc_.register_program(ctx(), &n, &ntcp, &nudp);
    if (e.code != DFS_OK) {
        host_.error("event=nsm_register_failed port=" + std::to_string(settings_.nsmPort) +
                    " status=" + statusName(e.code));
        stop();
        return e;
    }
    nsmRegistered_ = true;
    host_.info("event=nlm_started tcp=" + std::to_string(tcp) + " udp=" + std::to_string(udp) +
               " nsm_tcp=" + std::to_string(ntcp) + " nsm_udp=" + std::to_string(nudp) +
               " nsm_state=" + std::to_string(monitor_->state()) + " notify_hosts=" + std::to_string(previous.size()));
    monitor_->notifyAll(previous);
    return kOk;
}

void Instance::stop() {
    if (registered_ && rpc_.unregister_program != nullptr) {
        rpc_.unregister_program(ctx(), kNlmProgram, kNlmVersLow, kNlmVersHigh);
        registered_ = false;
    }
    if (nsmRegistered_ && rpc_.unregister_program != nullptr) {
        rpc_.unregister_program(ctx(), nsm::kNsmProgram, nsm::kNsmVersion, nsm::kNsmVersion);
        nsmRegistered_ = false;
    }
    waiters_->stop();
    monitor_->stop();
}

}  // namespace dfs::nlm
