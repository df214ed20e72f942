// The status monitor's state and host list, persisted; SM_NOTIFY at start (monitor.hpp).
#include "monitor.hpp"

#include "nsm_xdr.hpp"

#include <dittofs/cpp/views.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace dfs::nsm {
namespace {

// One caller of SM_MON: its address and the procedure it asked to be called back at.
bool sameCaller(const Registration& a, const Registration& b) {
    return a.callerAddress == b.callerAddress && a.prog == b.prog && a.vers == b.vers && a.proc == b.proc;
}

constexpr const char* kMagic = "dittofs-nsm 1";

// Names come from clients: hex keeps any byte out of the file's syntax.
std::string hex(std::string_view s) {
    static const char* d = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        out += d[c >> 4];
        out += d[c & 15];
    }
    return out;
}

bool unhex(std::string_view s, std::string& out) {
    if (s.size() % 2 != 0) {
        return false;
    }
    auto v = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
    out.clear();
    for (size_t i = 0; i < s.size(); i += 2) {
        int hi = v(s[i]);
        int lo = v(s[i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out += static_cast<char>(hi * 16 + lo);
    }
    return true;
}

bool numericAddress(std::string_view a) {
    return !a.empty() && a.find_first_not_of("0123456789abcdefABCDEF.:") == std::string_view::npos;
}

bool syncPath(const std::string& p, int flags) {
    int fd = ::open(p.c_str(), flags | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

struct Monitor::Ref {
    std::weak_ptr<Monitor> owner;
    std::string name;
    std::string address;
    uint32_t attempt;
};

Monitor::Monitor(const Host& host, const dfs_host_rpc_t& rpc, std::string dir, std::string myName,
                 NotifySettings settings)
    : host_(host), rpc_(rpc), dir_(std::move(dir)), myName_(std::move(myName)), settings_(settings) {}

bool Monitor::load(std::string& why) {
    std::lock_guard<std::mutex> g(mu_);
    int32_t stored = 0;
    if (!dir_.empty()) {
        std::ifstream in(dir_ + "/state");
        if (in) {
            std::string line;
            if (!std::getline(in, line) || line != kMagic) {
                why = "unrecognised NSM state file " + dir_ + "/state";
                return false;
            }
            while (std::getline(in, line)) {
                std::istringstream ls(line);
                std::string kind;
                ls >> kind;
                if (kind == "state") {
                    ls >> stored;
                } else if (kind == "host") {
                    std::string name;
                    std::string addr;
                    int byNlm = 1;
                    ls >> name >> byNlm >> addr;
                    MonitoredHost h;
                    if (unhex(name, h.name)) {
                        h.address = addr == "-" ? std::string() : addr;
                        h.byNlm = byNlm != 0;
                        std::string tag;
                        while (ls >> tag && tag == "reg") {
                            std::string ca;
                            std::string mn;
                            std::string pv;
                            Registration r;
                            ls >> ca >> mn >> r.prog >> r.vers >> r.proc >> pv;
                            if (ls && unhex(ca, r.callerAddress) && unhex(mn, r.myName) && unhex(pv, r.priv)) {
                                h.registrations.push_back(r);
                            }
                        }
                        hosts_[h.name] = h;
                    }
                }
            }
        }
    }
    // Up: the next odd number (XNFS 11.1).
    state_ = stored + ((stored % 2 != 0) ? 2 : 1);
    return saveLocked(why);
}

bool Monitor::saveLocked(std::string& why) {
    if (dir_.empty()) {
        return true;
    }
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    std::string tmp = dir_ + "/state.tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << kMagic << "\nstate " << state_ << "\n";
        for (const auto& [n, h] : hosts_) {
            out << "host " << hex(h.name) << " " << (h.byNlm ? 1 : 0) << " " << (h.address.empty() ? "-" : h.address);
            for (const auto& r : h.registrations) {
                out << " reg " << hex(r.callerAddress) << " " << hex(r.myName) << " " << r.prog << " " << r.vers << " "
                    << r.proc << " " << hex(r.priv);
            }
            out << "\n";
        }
        out.flush();
        if (!out) {
            why = "cannot write " + tmp;
            return false;
        }
    }
    if (!syncPath(tmp, O_RDONLY) || ::rename(tmp.c_str(), (dir_ + "/state").c_str()) != 0 ||
        !syncPath(dir_, O_RDONLY | O_DIRECTORY)) {
        why = "cannot save " + dir_ + "/state: " + std::strerror(errno);
        return false;
    }
    return true;
}

int32_t Monitor::state() {
    std::lock_guard<std::mutex> g(mu_);
    return state_;
}

void Monitor::monitor(std::string_view name, std::string_view address, bool byNlm, const Registration* reg) {
    std::lock_guard<std::mutex> g(mu_);
    auto it = hosts_.find(std::string(name));
    std::string addr = numericAddress(address) ? std::string(address) : std::string();
    if (reg == nullptr && it != hosts_.end() && it->second.address == addr && (it->second.byNlm || !byNlm)) {
        return;  // known already: nothing to write
    }
    MonitoredHost h{std::string(name), addr, byNlm || (it != hosts_.end() && it->second.byNlm), {}};
    if (it != hosts_.end()) {
        h.registrations = it->second.registrations;
        if (h.address.empty()) {
            h.address = it->second.address;
        }
    }
    if (reg != nullptr) {
        // One registration per caller and procedure: a repeated SM_MON replaces its priv.
        std::erase_if(h.registrations, [&](const Registration& r) { return sameCaller(r, *reg); });
        h.registrations.push_back(*reg);
    }
    hosts_[h.name] = h;
    saveOrWarnLocked();
}

bool Monitor::unmonitor(std::string_view name) {
    std::lock_guard<std::mutex> g(mu_);
    bool found = hosts_.erase(std::string(name)) > 0;
    if (found) {
        saveOrWarnLocked();
    }
    return found;
}

void Monitor::saveOrWarnLocked() {
    std::string why;
    if (!saveLocked(why)) {
        host_.warn("event=nsm_save_failed reason=\"" + why + "\"");
    }
}

bool Monitor::dropCallerLocked(std::map<std::string, MonitoredHost>::iterator& it, const Registration& caller) {
    bool changed = std::erase_if(it->second.registrations, [&](const Registration& r) { return sameCaller(r, caller); }) > 0;
    if (!it->second.byNlm && it->second.registrations.empty()) {
        it = hosts_.erase(it);
        return true;
    }
    ++it;
    return changed;
}

void Monitor::unregister(std::string_view name, const Registration& caller) {
    std::lock_guard<std::mutex> g(mu_);
    auto it = hosts_.find(std::string(name));
    if (it != hosts_.end() && dropCallerLocked(it, caller)) {
        saveOrWarnLocked();
    }
}

void Monitor::unregisterAll(const Registration& caller) {
    std::lock_guard<std::mutex> g(mu_);
    bool changed = false;
    for (auto it = hosts_.begin(); it != hosts_.end();) {
        changed = dropCallerLocked(it, caller) || changed;
    }
    if (changed) {
        saveOrWarnLocked();
    }
}

Rebooted Monitor::rebooted(std::string_view name, std::string_view address) {
    std::lock_guard<std::mutex> g(mu_);
    Rebooted out;
    std::vector<std::string>& names = out.names;
    names.push_back(std::string(name));
    // By name; and a host that locked under its numeric address as caller_name is the
    // host at that address. Other hosts at the same address are not touched: several
    // clients may share one behind NAT, or be on one machine.
    for (auto it = hosts_.begin(); it != hosts_.end();) {
        bool match = it->first == name || (!address.empty() && it->first == address);
        if (match) {
            if (it->first != name) {
                names.push_back(it->first);
            }
            out.registrations.insert(out.registrations.end(), it->second.registrations.begin(),
                                     it->second.registrations.end());
            it = hosts_.erase(it);
        } else {
            ++it;
        }
    }
    saveOrWarnLocked();
    return out;
}

void Monitor::callBack(const std::vector<Registration>& regs, std::string_view monName, int32_t state) {
    for (const auto& r : regs) {
        if (!numericAddress(r.callerAddress) || rpc_.call == nullptr) {
            continue;
        }
        std::vector<uint8_t> b(16 + kMaxStrLen + kPrivSize);
        xdr::Writer w(b.data(), b.size());
        w.var(monName.substr(0, kMaxStrLen));
        w.i32(state);
        std::string priv = r.priv;
        priv.resize(kPrivSize, '\0');
        w.fixed(priv);
        auto t = makeStruct<dfs_rpc_target_t>();
        t.transport = DFS_RPC_UDP;
        t.address = toC(r.callerAddress);
        t.port = 0;
        t.prog = r.prog;
        t.vers = r.vers;
        t.proc = r.proc;
        t.timeout_ms = settings_.timeoutMs;
        std::string args(reinterpret_cast<const char*>(b.data()), w.size());
        (void)rpc_.call(host_.raw().ctx, &t, toBytes(args), [](void*, dfs_err_t, dfs_rpc_accept_stat_t, dfs_bytes_t) {},
                        nullptr);
    }
}

std::vector<MonitoredHost> Monitor::simulateCrash() {
    std::lock_guard<std::mutex> g(mu_);
    state_ += 2;
    std::vector<MonitoredHost> out;
    for (const auto& [n, h] : hosts_) {
        out.push_back(h);
    }
    saveOrWarnLocked();
    return out;
}

std::vector<MonitoredHost> Monitor::hosts() {
    std::lock_guard<std::mutex> g(mu_);
    std::vector<MonitoredHost> out;
    for (const auto& [n, h] : hosts_) {
        out.push_back(h);
    }
    return out;
}

void Monitor::notifyAll(const std::vector<MonitoredHost>& hosts) {
    for (const auto& h : hosts) {
        if (h.address.empty()) {
            host_.warn("event=nsm_notify_skipped host=" + h.name + " reason=\"no address recorded\"");
            continue;
        }
        sendNotify(h.name, h.address, 1);
    }
}

void Monitor::sendNotify(const std::string& name, const std::string& address, uint32_t attempt) {
    {
        std::lock_guard<std::mutex> g(mu_);
        if (stopped_) {
            return;
        }
    }
    std::string args = encodeStatChange(myName_, state());
    auto t = makeStruct<dfs_rpc_target_t>();
    t.transport = DFS_RPC_UDP;
    t.address = toC(address);
    t.port = 0;
    t.prog = kNsmProgram;
    t.vers = kNsmVersion;
    t.proc = kProcNotify;
    t.timeout_ms = settings_.timeoutMs;
    auto* r = new Ref{weak_from_this(), name, address, attempt};
    if (rpc_.call == nullptr || rpc_.call(host_.raw().ctx, &t, toBytes(args), &Monitor::onNotifyDone, r).code != DFS_OK) {
        onNotifyDone(r, dfs_err_t{DFS_ERR_IO, 0}, DFS_RPC_SYSTEM_ERR, dfs_bytes_t{nullptr, 0});
    }
}

void Monitor::onNotifyDone(void* arg, dfs_err_t status, dfs_rpc_accept_stat_t accept, dfs_bytes_t /*results*/) {
    auto* r = static_cast<Ref*>(arg);
    auto self = r->owner.lock();
    if (!self) {
        delete r;
        return;
    }
    if (status.code == DFS_OK && accept == DFS_RPC_SUCCESS) {
        self->host_.info("event=nsm_notified host=" + r->name + " address=" + r->address +
                         " attempts=" + std::to_string(r->attempt));
        // Told: it will reclaim, and NLM monitors it again when it does.
        std::lock_guard<std::mutex> g(self->mu_);
        auto it = self->hosts_.find(r->name);
        if (it != self->hosts_.end() && it->second.address == r->address) {
            self->hosts_.erase(it);
            std::string why;
            (void)self->saveLocked(why);
        }
        delete r;
        return;
    }
    bool stopped = false;
    {
        std::lock_guard<std::mutex> g(self->mu_);
        stopped = self->stopped_;
    }
    if (!stopped && r->attempt < self->settings_.attempts && self->host_.raw().timer_start != nullptr) {
        r->attempt++;
        self->host_.raw().timer_start(self->host_.raw().ctx, self->settings_.retryDelayMs, &Monitor::onRetry, r);
        return;
    }
    self->host_.warn("event=nsm_notify_failed host=" + r->name + " address=" + r->address +
                     " attempts=" + std::to_string(r->attempt) + " status=" + statusName(status.code));
    delete r;
}

void Monitor::onRetry(void* arg) {
    auto* r = static_cast<Ref*>(arg);
    if (auto self = r->owner.lock()) {
        self->sendNotify(r->name, r->address, r->attempt);
    }
    delete r;
}

void Monitor::stop() {
    std::lock_guard<std::mutex> g(mu_);
    stopped_ = true;
}

}  // namespace dfs::nsm
