// The duplicate request cache (DRC) for non-idempotent procedures.
//
// A client that retransmits a CREATE or REMOVE whose reply was lost must get the first
// reply again, not a second execution (which would answer EXIST / NOENT). Keyed as the
// Linux server keys it: client address (without port: TCP reconnects change it), xid,
// program, version, procedure and a checksum of the arguments. While the first execution
// runs, a retransmission is dropped (the client will retransmit again). Bounded in
// entries and bytes; least recently inserted goes first.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace dfs::kernel::rpc {

struct DrcKey {
    std::string client;
    uint32_t xid = 0;
    uint32_t prog = 0;
    uint32_t vers = 0;
    uint32_t proc = 0;
    uint64_t checksum = 0;
    bool operator<(const DrcKey& o) const;
};

uint64_t drcChecksum(std::string_view args);

class Drc {
public:
    Drc(size_t maxEntries, size_t maxBytes) : maxEntries_(maxEntries), maxBytes_(maxBytes) {}

    enum class Lookup { miss, inProgress, replay };
    // On a miss the key is marked in progress (the caller executes and then calls
    // complete or abandon). On replay, `reply` receives the cached reply bytes.
    Lookup begin(const DrcKey& key, std::vector<uint8_t>& reply);
    void complete(const DrcKey& key, std::vector<uint8_t> reply);
    void abandon(const DrcKey& key);

    size_t entries() const;

private:
    struct Entry {
        bool done = false;
        std::vector<uint8_t> reply;
        std::list<DrcKey>::iterator order;
    };
    void evictLocked();

    mutable std::mutex mutex_;
    std::map<DrcKey, Entry> map_;
    std::list<DrcKey> order_;
    size_t bytes_ = 0;
    size_t maxEntries_;
    size_t maxBytes_;
};

}  // namespace dfs::kernel::rpc
