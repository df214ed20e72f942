#include "rpc_server.hpp"

#include "../log.hpp"
#include "../runtime.hpp"
#include "rpc_portmap.hpp"
#include "rpc_rpcbind.hpp"
#include "rpc_transport.hpp"

#include <dittofs/cpp/result.hpp>
#include <dittofs/cpp/views.hpp>

#include <chrono>
#include <cstring>

namespace dfs::kernel::rpc {

// Room in front of a reply's results: a TCP record mark and the largest reply header.
inline constexpr size_t kHeadroom = 4 + kMaxReplyHeader;

struct PendingCall {
    RpcServer* server = nullptr;
    std::shared_ptr<Sender> from;
    std::shared_ptr<Bytes> record;  // keeps args alive
    CallHeader header;
    dfs_cred_t cred{};
    std::string clientAddr;
    dfs_rpc_call_t call{};
    std::shared_ptr<Bytes> reply;
    std::atomic<bool> replied{false};  // exactly one reply: the first exchange(true) wins
    bool useDrc = false;
    DrcKey drcKey;
    void* owner = nullptr;
    std::shared_ptr<PendingCall> self;  // alive until reply_send
};

RpcServer::RpcServer(Runtime& runtime, RpcConfig cfg)
    : runtime_(runtime), cfg_(std::move(cfg)), drc_(cfg_.drcEntries, cfg_.drcBytes) {}

RpcServer::~RpcServer() { stop(); }

bool RpcServer::start(std::string& error) {
    const bool system = cfg_.portmapper == "system";
    if (!system && startBuiltinPortmapper(error)) {
        return true;
    }
    if (cfg_.portmapper == "builtin") {
        return false;
    }
    // "system", or "auto" with the port taken: if the host's rpcbind answers (it is what
    // holds the port, for auto), register with it.
    auto sys = std::make_unique<SystemRpcbind>(cfg_.rpcbindSocket);
    if (!sys->ping()) {
        if (system) {
            error = "portmapper = \"system\", but no rpcbind answers at " + cfg_.rpcbindSocket;
        }
        return false;
    }
    if (system) {
        log::info("rpc", "portmapper", {{"mode", "system"}, {"socket", cfg_.rpcbindSocket}});
    } else {
        log::info("rpc", "portmapper",
                  {{"mode", "system"}, {"socket", cfg_.rpcbindSocket}, {"reason", "port_in_use"},
                   {"port", std::to_string(cfg_.portmapPort)}});
    }
    system_ = std::move(sys);
    error.clear();
    return true;
}

bool RpcServer::startBuiltinPortmapper(std::string& error) {
    if (cfg_.portmapPort < 0) {
        return true;
    }
    uint32_t tcp = static_cast<uint32_t>(cfg_.portmapPort);
    uint32_t udp = tcp;
    auto p = makeStruct<dfs_rpc_program_t>();
    p.prog = kPortmapProgram;
    p.vers_low = 2;
    p.vers_high = 4;
    p.tcp_port = tcp;
    p.udp_port = udp;
    p.name = "portmapper";
    p.dispatch = &portmapDispatch;
    p.inst = this;
    dfs_err_t e = registerProgram(nullptr, p, &tcp, &udp);
    if (e.code != DFS_OK) {
        error = "cannot listen for the portmapper on port " + std::to_string(cfg_.portmapPort) + ": " +
                std::strerror(e.sys_errno != 0 ? e.sys_errno : EADDRINUSE);
        return false;
    }
    portmapPort_ = tcp;
    return true;
}

void RpcServer::systemSet(const Registration& r) {
    if (system_ == nullptr) {
        return;
    }
    bool v6 = cfg_.bind.find(':') != std::string::npos;
    for (uint32_t v = r.desc.vers_low; v <= r.desc.vers_high; ++v) {
        // A registration left by a previous run, or another server's (the host's rpc.statd
        // for NSM, a kernel nfsd): ours replaces it, and the log says so.
        if (system_->unset(r.desc.prog, v)) {
            log::warn("rpc", "rpcbind_replaced", {{"name", r.name}, {"prog", std::to_string(r.desc.prog)},
                                                  {"vers", std::to_string(v)}});
        }
        for (bool tcp : {true, false}) {
            uint32_t port = tcp ? r.tcpPort : r.udpPort;
            if (port == 0 || port == DFS_RPC_NO_PORT) {
                continue;
            }
            std::string netid = std::string(tcp ? "tcp" : "udp") + (v6 ? "6" : "");
            if (!system_->set(r.desc.prog, v, netid, cfg_.bind, port)) {
                log::warn("rpc", "rpcbind_set_failed",
                          {{"name", r.name}, {"prog", std::to_string(r.desc.prog)}, {"vers", std::to_string(v)},
                           {"netid", netid}, {"port", std::to_string(port)}, {"socket", cfg_.rpcbindSocket}});
            }
        }
        if (v == UINT32_MAX) {
            break;
        }
    }
}

void RpcServer::systemUnset(const std::vector<std::pair<uint32_t, uint32_t>>& progVers) {
    if (system_ == nullptr) {
        return;
    }
    for (const auto& [prog, vers] : progVers) {
        (void)system_->unset(prog, vers);
    }
}

void RpcServer::stop() {
    std::map<std::pair<bool, uint32_t>, std::shared_ptr<Listener>> ls;
    std::vector<std::pair<uint32_t, uint32_t>> removed;
    {
        std::lock_guard<std::mutex> g(mutex_);
        if (stopped_) {
            return;
        }
        stopped_ = true;
        ls.swap(listeners_);
        for (const auto& [k, r] : programs_) {
            removed.push_back(k);
        }
        programs_.clear();
    }
    for (auto& [k, l] : ls) {
        l->close();
    }
    systemUnset(removed);
}

bool RpcServer::ensureListener(bool tcp, uint32_t& port, std::string& error) {
    if (port == DFS_RPC_NO_PORT) {
        return true;
    }
    if (port != 0) {
        if (listeners_.count({tcp, port}) != 0) {
            return true;
        }
    }
    auto l = tcp ? makeTcpListener(runtime_, *this, cfg_.bind, port, cfg_.maxRecord, cfg_.maxInFlightPerConnection, error)
                 : makeUdpListener(runtime_, *this, cfg_.bind, port, cfg_.maxRecord, error);
    if (!l) {
        return false;
    }
    port = l->port();
    listeners_[{tcp, port}] = l;
    log::info("rpc", "listening", {{"transport", tcp ? "tcp" : "udp"}, {"bind", cfg_.bind}, {"port", std::to_string(port)}});
    return true;
}

dfs_err_t RpcServer::registerProgram(void* owner, const dfs_rpc_program_t& in, uint32_t* tcpPort, uint32_t* udpPort) {
    if (in.dispatch == nullptr || in.vers_low > in.vers_high) {
        return dfs_err_t{DFS_ERR_INVAL, 0};
    }
    std::unique_lock<std::mutex> g(mutex_);
    if (stopped_) {
        return dfs_err_t{DFS_ERR_SHUTDOWN, 0};
    }
    for (uint32_t v = in.vers_low; v <= in.vers_high; ++v) {
        auto it = programs_.find({in.prog, v});
        if (it != programs_.end() && it->second->owner != owner) {
            return dfs_err_t{DFS_ERR_EXIST, 0};
        }
    }
    auto reg = std::make_shared<Registration>();
    reg->desc = in;
    reg->name = in.name != nullptr ? in.name : std::to_string(in.prog);
    reg->owner = owner;
    reg->tcpPort = in.tcp_port;
    reg->udpPort = in.udp_port;
    std::string error;
    // The built-in portmapper's port taken is not an error yet in "auto" mode: start()
    // then turns to the host's rpcbind, and says so.
    bool quiet = owner == nullptr && in.prog == kPortmapProgram && cfg_.portmapper == "auto";
    auto listenFailed = [&] {
        if (quiet) {
            log::info("rpc", "portmapper_port_taken", {{"error", error}});
        } else {
            log::error("rpc", "listen_failed", {{"program", reg->name}, {"error", error}});
        }
        return dfs_err_t{DFS_ERR_IO, EADDRINUSE};
    };
    if (!ensureListener(true, reg->tcpPort, error)) {
        return listenFailed();
    }
    // UDP on the same port number as TCP when the program asked for an ephemeral one.
    if (reg->udpPort == 0 && in.tcp_port == 0 && reg->tcpPort != DFS_RPC_NO_PORT) {
        reg->udpPort = reg->tcpPort;
        if (!ensureListener(false, reg->udpPort, error)) {
            reg->udpPort = 0;  // that number is taken for UDP: any free one
        }
    }
    if (listeners_.count({false, reg->udpPort}) == 0 && !ensureListener(false, reg->udpPort, error)) {
        return listenFailed();
    }
    for (uint32_t v = in.vers_low; v <= in.vers_high; ++v) {
        programs_[{in.prog, v}] = reg;
    }
    if (tcpPort != nullptr) {
        *tcpPort = reg->tcpPort;
    }
    if (udpPort != nullptr) {
        *udpPort = reg->udpPort;
    }
    log::info("rpc", "rpc_registered",
              {{"name", reg->name},
               {"prog", std::to_string(in.prog)},
               {"vers", std::to_string(in.vers_low) + "-" + std::to_string(in.vers_high)},
               {"tcp", reg->tcpPort == DFS_RPC_NO_PORT ? "none" : std::to_string(reg->tcpPort)},
               {"udp", reg->udpPort == DFS_RPC_NO_PORT ? "none" : std::to_string(reg->udpPort)}});
    g.unlock();
    systemSet(*reg);
    return dfs_err_t{DFS_OK, 0};
}

void RpcServer::releaseListenersLocked() {
    for (auto it = listeners_.begin(); it != listeners_.end();) {
        bool used = false;
        for (const auto& [k, r] : programs_) {
            used = used || (it->first.first ? r->tcpPort : r->udpPort) == it->first.second;
        }
        if (!used) {
            it->second->close();
            log::info("rpc", "listener_closed",
                      {{"transport", it->first.first ? "tcp" : "udp"}, {"port", std::to_string(it->first.second)}});
            it = listeners_.erase(it);
        } else {
            ++it;
        }
    }
}

dfs_err_t RpcServer::unregisterProgram(void* owner, uint32_t prog, uint32_t low, uint32_t high) {
    std::vector<std::pair<uint32_t, uint32_t>> removed;
    {
        std::lock_guard<std::mutex> g(mutex_);
        for (uint32_t v = low; v <= high && v >= low; ++v) {
            auto it = programs_.find({prog, v});
            if (it != programs_.end() && it->second->owner == owner) {
                programs_.erase(it);
                removed.emplace_back(prog, v);
            }
            if (v == UINT32_MAX) {
                break;
            }
        }
        if (!removed.empty()) {
            log::info("rpc", "rpc_unregistered", {{"prog", std::to_string(prog)}});
            releaseListenersLocked();
        }
    }
    systemUnset(removed);
    return dfs_err_t{!removed.empty() ? DFS_OK : DFS_ERR_NOENT, 0};
}

void RpcServer::detachOwner(void* owner) {
    std::unique_lock<std::mutex> lk(mutex_);
    std::vector<std::pair<uint32_t, uint32_t>> removed;
    for (auto it = programs_.begin(); it != programs_.end();) {
        if (it->second->owner == owner) {
            removed.push_back(it->first);
            it = programs_.erase(it);
        } else {
            ++it;
        }
    }
    for (auto it = auth_.begin(); it != auth_.end();) {
        it = it->second.owner == owner ? auth_.erase(it) : std::next(it);
    }
    releaseListenersLocked();
    lk.unlock();
    systemUnset(removed);
    lk.lock();
    bool ok = drained_.wait_for(lk, std::chrono::seconds(30), [&] { return inFlight_[owner] == 0; });
    if (!ok) {
        log::warn("rpc", "calls_still_running", {{"count", std::to_string(inFlight_[owner])}});
    }
    inFlight_.erase(owner);
}

void RpcServer::registerAuth(void* owner, const dfs_auth_ops_t& ops, void* inst) {
    std::vector<dfs_flavor_t> flavors(16);
    uint32_t n = ops.flavors(inst, flavors.data(), static_cast<uint32_t>(flavors.size()));
    std::lock_guard<std::mutex> g(mutex_);
    for (uint32_t i = 0; i < n && i < flavors.size(); ++i) {
        auth_[static_cast<uint32_t>(flavors[i])] = Auth{ops, inst, owner};
        log::info("rpc", "auth_flavor", {{"flavor", std::to_string(flavors[i])}});
    }
}

std::vector<Mapping> RpcServer::mappings() const {
    std::lock_guard<std::mutex> g(mutex_);
    std::vector<Mapping> out;
    for (const auto& [key, r] : programs_) {
        if (r->tcpPort != DFS_RPC_NO_PORT) {
            out.push_back(Mapping{key.first, key.second, kIpProtoTcp, r->tcpPort, r->name});
        }
        if (r->udpPort != DFS_RPC_NO_PORT) {
            out.push_back(Mapping{key.first, key.second, kIpProtoUdp, r->udpPort, r->name});
        }
    }
    return out;
}

std::string RpcServer::localAddressOf(void* token) const {
    auto* c = static_cast<PendingCall*>(token);
    return c == nullptr ? std::string() : c->from->localAddress();
}

void RpcServer::sendRecord(const std::shared_ptr<Sender>& to, const uint8_t* record, size_t len) {
    OutRecord r;
    r.buf = std::make_shared<Bytes>(4 + len);
    std::memcpy(r.buf->data() + 4, record, len);
    r.offset = 4;
    r.len = len;
    to->send(std::move(r));
}

void RpcServer::onRecord(const std::shared_ptr<Sender>& from, std::shared_ptr<Bytes> record) {
    auto call = std::make_shared<PendingCall>();
    call->server = this;
    call->from = from;
    call->record = std::move(record);
    std::optional<uint32_t> xid;
    std::string_view bytes(reinterpret_cast<const char*>(call->record->data()), call->record->size());
    DecodeResult d = decodeCall(bytes, call->header, xid);
    if (d == DecodeResult::notACall) {
        log::debug("rpc", "dropped", {{"client", from->peerAddress()}, {"why", "not a call"}});
        from->callDone();
        return;
    }
    uint8_t hdr[kMaxReplyHeader];
    if (d == DecodeResult::badHeader) {
        log::warn("rpc", "garbage_header", {{"client", from->peerAddress()}, {"xid", std::to_string(*xid)}});
        sendRecord(from, hdr, encodeAccepted(hdr, *xid, DFS_RPC_GARBAGE_ARGS));
        from->callDone();
        return;
    }
    if (call->header.rpcvers != kRpcVersion) {
        sendRecord(from, hdr, encodeRpcMismatch(hdr, call->header.xid));
        from->callDone();
        return;
    }
    auto task = [this, call] { execute(call); };
    if (runtime_.workers().post(task) != WorkerPool::PostResult::ok) {
        log::warn("rpc", "overloaded", {{"client", from->peerAddress()}, {"xid", std::to_string(call->header.xid)}});
        sendRecord(from, hdr, encodeAccepted(hdr, call->header.xid, DFS_RPC_SYSTEM_ERR));
        from->callDone();
    }
}

void RpcServer::execute(const std::shared_ptr<PendingCall>& call) {
    const CallHeader& h = call->header;
    const auto& from = call->from;
    uint8_t hdr[kMaxReplyHeader];  // error replies only
    auto fail = [&](size_t n) {
        sendRecord(from, hdr, n);
        from->callDone();
    };
    // 1. The credential, through the auth plugin of its flavour.
    Auth auth{};
    bool haveAuth = false;
    std::shared_ptr<Registration> reg;
    uint32_t low = UINT32_MAX;
    uint32_t high = 0;
    {
        std::lock_guard<std::mutex> g(mutex_);
        if (auto it = auth_.find(h.credFlavor); it != auth_.end()) {
            auth = it->second;
            haveAuth = true;
        }
        if (auto it = programs_.find({h.prog, h.vers}); it != programs_.end()) {
            reg = it->second;
        } else {
            for (const auto& [k, r] : programs_) {
                if (k.first == h.prog) {
                    low = std::min(low, k.second);
                    high = std::max(high, k.second);
                }
            }
        }
        if (reg) {
            ++inFlight_[reg->owner];
            call->owner = reg->owner;  // (finishCall counts it down under this owner)
        }
    }
    call->cred = makeStruct<dfs_cred_t>();
    call->clientAddr = from->peerAddress();
    if (!haveAuth) {
        // The portmapper answers everyone, even before an auth plugin is configured.
        if (!(h.prog == kPortmapProgram && (h.credFlavor == DFS_FLAVOR_NONE || h.credFlavor == DFS_FLAVOR_SYS))) {
            log::warn("rpc", "auth_rejected", {{"client", call->clientAddr}, {"flavor", std::to_string(h.credFlavor)}});
            if (reg) {
                finishCall(call.get());
            }
            return fail(encodeAuthError(hdr, h.xid, kAuthBadCred));
        }
        call->cred.flavor = static_cast<dfs_flavor_t>(h.credFlavor);
        call->cred.uid = call->cred.gid = 65534;
    } else {
        dfs_err_t e = auth.ops.verify(auth.inst, static_cast<dfs_flavor_t>(h.credFlavor), toBytes(h.credBody),
                                      toBytes(h.verfBody), &call->cred);
        if (e.code != DFS_OK) {
            log::warn("rpc", "auth_rejected", {{"client", call->clientAddr}, {"flavor", std::to_string(h.credFlavor)},
                                               {"status", statusName(e.code)}});
            if (reg) {
                finishCall(call.get());
            }
            return fail(encodeAuthError(hdr, h.xid, e.code == DFS_ERR_INVAL ? kAuthBadCred : kAuthRejectedCred));
        }
    }
    call->cred.client_addr = toC(call->clientAddr);
    // 2. The program and version.
    if (!reg) {
        if (low > high) {
            return fail(encodeAccepted(hdr, h.xid, DFS_RPC_PROG_UNAVAIL));
        }
        return fail(encodeAccepted(hdr, h.xid, DFS_RPC_PROG_MISMATCH, low, high));
    }
    // 3. Retransmissions of non-idempotent procedures.
    if (h.proc < 64 && (reg->desc.drc_procs & (uint64_t{1} << h.proc)) != 0) {
        call->drcKey = DrcKey{call->clientAddr, h.xid, h.prog, h.vers, h.proc, drcChecksum(h.args)};
        std::vector<uint8_t> cached;
        switch (drc_.begin(call->drcKey, cached)) {
        case Drc::Lookup::inProgress:
            log::debug("rpc", "drc_in_progress", {{"client", call->clientAddr}, {"xid", std::to_string(h.xid)}});
            finishCall(call.get());
            from->callDone();
            return;
        case Drc::Lookup::replay: {
            log::debug("rpc", "drc_replay", {{"client", call->clientAddr}, {"xid", std::to_string(h.xid)}});
            sendRecord(from, cached.data(), cached.size());
            finishCall(call.get());
            from->callDone();
            return;
        }
        case Drc::Lookup::miss:
            call->useDrc = true;
            break;
        }
    }
    // 4. The plugin.
    call->call = makeStruct<dfs_rpc_call_t>();
    call->call.xid = h.xid;
    call->call.prog = h.prog;
    call->call.vers = h.vers;
    call->call.proc = h.proc;
    call->call.transport = from->transport();
    call->call.cred = &call->cred;
    call->call.args = toBytes(h.args);
    call->call.conn_id = from->id();
    call->call.reply = call.get();
    call->self = call;
    dfs_err_t e{DFS_ERR_SERVERFAULT, 0};
    try {
        e = reg->desc.dispatch(reg->desc.inst, &call->call);
    } catch (...) {
        log::error("rpc", "dispatch_exception", {{"program", reg->name}});
    }
    if (e.code != DFS_OK && e.code != DFS_PENDING && !call->replied.exchange(true)) {
        // The plugin gave up without answering: SYSTEM_ERR, never silence.
        log::warn("rpc", "no_reply", {{"program", reg->name}, {"proc", std::to_string(h.proc)},
                                      {"status", statusName(e.code)}});
        if (call->useDrc) {
            drc_.abandon(call->drcKey);
        }
        sendRecord(from, hdr, encodeAccepted(hdr, h.xid, DFS_RPC_SYSTEM_ERR));
        from->callDone();
        auto keep = std::move(call->self);
        finishCall(call.get());
    }
}

void RpcServer::finishCall(PendingCall* c) {
    std::lock_guard<std::mutex> g(mutex_);
    if (--inFlight_[c->owner] == 0) {
        drained_.notify_all();
    }
}

dfs_buf_t RpcServer::replyBuffer(void* token, uint64_t size) {
    auto* c = static_cast<PendingCall*>(token);
    if (c == nullptr || size > cfg_.maxRecord - kHeadroom) {
        return dfs_buf_t{nullptr, 0};
    }
    c->reply = std::make_shared<Bytes>(kHeadroom + size);
    return dfs_buf_t{c->reply->data() + kHeadroom, size};
}

dfs_err_t RpcServer::replySend(void* token, dfs_rpc_accept_stat_t stat, uint64_t len) {
    return sendReply(static_cast<PendingCall*>(token), stat, len, LentBytes{});
}

dfs_err_t RpcServer::replySendLent(void* token, uint64_t len, LentBytes lent) {
    return sendReply(static_cast<PendingCall*>(token), DFS_RPC_SUCCESS, len, std::move(lent));
}

dfs_err_t RpcServer::sendReply(PendingCall* c, dfs_rpc_accept_stat_t stat, uint64_t len, LentBytes lent) {
    if (c == nullptr) {
        return dfs_err_t{DFS_ERR_INVAL, 0};
    }
    if (c->replied.exchange(true)) {
        return dfs_err_t{DFS_ERR_INVAL, 0};  // a second reply to one call
    }
    std::shared_ptr<PendingCall> keep = std::move(c->self);
    if (!c->reply) {
        c->reply = std::make_shared<Bytes>(kHeadroom);  // no results (NULL)
    }
    if (stat == DFS_RPC_SUCCESS && (len > c->reply->size() - kHeadroom ||
                                    len + xdr::padded(lent.size()) > cfg_.maxRecord - kHeadroom)) {
        stat = DFS_RPC_SYSTEM_ERR;  // results larger than the buffer it asked for, or than a record
    }
    if (stat != DFS_RPC_SUCCESS) {
        len = 0;
        lent.reset();
    }
    uint8_t hdr[kMaxReplyHeader];
    size_t hl = encodeAccepted(hdr, c->header.xid, static_cast<uint32_t>(stat));
    size_t start = kHeadroom - hl;
    std::memcpy(c->reply->data() + start, hdr, hl);
    OutRecord out;
    out.buf = c->reply;
    out.offset = start;
    out.len = hl + len;
    if (c->useDrc) {
        if (lent.empty()) {
            drc_.complete(c->drcKey, std::vector<uint8_t>(c->reply->begin() + static_cast<std::ptrdiff_t>(start),
                                                          c->reply->begin() + static_cast<std::ptrdiff_t>(start + out.len)));
        } else {
            drc_.abandon(c->drcKey);  // lent bytes are never read here (common.h): not kept
        }
    }
    if (!lent.empty()) {
        out.lent = std::make_shared<LentBytes>(std::move(lent));
    }
    c->from->send(std::move(out));
    c->from->callDone();
    finishCall(c);
    return dfs_err_t{DFS_OK, 0};
}

}  // namespace dfs::kernel::rpc
