#include "rpc_drc.hpp"

#include <cstring>

#include <tuple>

namespace dfs::kernel::rpc {

bool DrcKey::operator<(const DrcKey& o) const {
    return std::tie(xid, proc, prog, vers, checksum, client) < std::tie(o.xid, o.proc, o.prog, o.vers, o.checksum, o.client);
}

uint64_t drcChecksum(std::string_view args) {
    // FNV-1a style over the arguments, eight bytes a step (bounded: the first 4 KiB and
    // the length tell apart two calls that share an xid; a retransmission repeats them
    // exactly). Every WRITE pays it, so it must cost well under a microsecond.
    uint64_t h = 1469598103934665603ull;
    size_t n = args.size() < 4096 ? args.size() : 4096;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        std::memcpy(&w, args.data() + i, 8);
        h = (h ^ w) * 1099511628211ull;
        h ^= h >> 29;
    }
    for (; i < n; ++i) {
        h = (h ^ static_cast<uint8_t>(args[i])) * 1099511628211ull;
    }
    return h ^ args.size();
}

Drc::Lookup Drc::begin(const DrcKey& key, std::vector<uint8_t>& reply) {
    std::lock_guard<std::mutex> g(mutex_);
    auto it = map_.find(key);
    if (it != map_.end()) {
        if (!it->second.done) {
            return Lookup::inProgress;
        }
        reply = it->second.reply;
        return Lookup::replay;
    }
    order_.push_back(key);
    Entry e;
    e.order = std::prev(order_.end());
    map_.emplace(key, std::move(e));
    evictLocked();
    return Lookup::miss;
}

void Drc::complete(const DrcKey& key, std::vector<uint8_t> reply) {
    std::lock_guard<std::mutex> g(mutex_);
    auto it = map_.find(key);
    if (it == map_.end()) {
        return;  // evicted meanwhile
    }
    bytes_ += reply.size();
    it->second.reply = std::move(reply);
    it->second.done = true;
    evictLocked();
}

void Drc::abandon(const DrcKey& key) {
    std::lock_guard<std::mutex> g(mutex_);
    auto it = map_.find(key);
    if (it != map_.end()) {
        bytes_ -= it->second.reply.size();
        order_.erase(it->second.order);
        map_.erase(it);
    }
}

size_t Drc::entries() const {
    std::lock_guard<std::mutex> g(mutex_);
    return map_.size();
}

void Drc::evictLocked() {
    while ((map_.size() > maxEntries_ || bytes_ > maxBytes_) && !order_.empty()) {
        auto it = map_.find(order_.front());
        if (it != map_.end()) {
            if (!it->second.done && map_.size() <= maxEntries_) {
                break;  // never drop a call that is still running for bytes alone
            }
            bytes_ -= it->second.reply.size();
            map_.erase(it);
        }
        order_.pop_front();
    }
}

}  // namespace dfs::kernel::rpc
