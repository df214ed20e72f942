// The kernel's ONC RPC service (RFC 5531): TCP with record marking and UDP listeners,
// the program/version registry, credential verification through auth plugins, the
// duplicate request cache, and dispatch of calls to protocol plugins on the worker pool.
//
// A call's life: an I/O thread frames a record (TCP: fragments up to max_record) or a
// datagram, decodes the header (rpc_msg.hpp) and posts the call to the worker pool. There
// the flavour's auth plugin verifies the credential, the DRC answers retransmissions of
// non-idempotent procedures, and the registered program's dispatch hook runs. The plugin
// encodes results into a reply buffer with room for the headers in front, so the reply
// goes out without another copy. Bad input gets its RPC error (or, for an unframeable
// stream, a closed connection) and a log line; other clients are unaffected.
#pragma once

#include "rpc_drc.hpp"
#include "rpc_msg.hpp"

#include <dittofs/abi/auth.h>
#include <dittofs/abi/rpc.h>
#include <dittofs/cpp/lent.hpp>
#include <dittofs/cpp/xdr.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace dfs::kernel {
class Runtime;
}

namespace dfs::kernel::rpc {

// Allocates without zero-filling: records and reply buffers are written in full before
// they are read, and zeroing a 1 MiB READ reply first cost as much as sending it.
template <typename T>
struct DefaultInitAllocator : std::allocator<T> {
    template <typename U>
    struct rebind {
        using other = DefaultInitAllocator<U>;
    };
    using std::allocator<T>::allocator;
    template <typename U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(p)) U;
    }
    template <typename U, typename... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};
using Bytes = std::vector<uint8_t, DefaultInitAllocator<uint8_t>>;

struct RpcConfig {
    std::string bind = "0.0.0.0";
    int64_t portmapPort = 111;  // -1: no portmapper listener
    // "builtin": answer portmapper/rpcbind on portmapPort; "system": register every
    // program with the host's rpcbind instead; "auto": builtin, or system when
    // portmapPort is taken and the host's rpcbind answers on rpcbindSocket.
    std::string portmapper = "auto";
    std::string rpcbindSocket = "/run/rpcbind.sock";
    uint32_t maxRecord = 4u << 20;
    uint32_t maxInFlightPerConnection = 64;
    size_t drcEntries = 4096;
    size_t drcBytes = 64u << 20;
    bool operator==(const RpcConfig&) const = default;
};

// One port mapping, as the portmapper reports it.
struct Mapping {
    uint32_t prog;
    uint32_t vers;
    uint32_t protocol;  // 6 tcp, 17 udp
    uint32_t port;
    std::string name;
};

class Listener;
struct PendingCall;
class SystemRpcbind;

class RpcServer {
public:
    RpcServer(Runtime& runtime, RpcConfig cfg);
    ~RpcServer();
    RpcServer(const RpcServer&) = delete;
    RpcServer& operator=(const RpcServer&) = delete;

    // Opens the portmapper's listeners and registers portmapper v2 and rpcbind v3/v4.
    bool start(std::string& error);
    // Closes every listener and connection; calls in flight still reply into the void.
    void stop();
    const RpcConfig& config() const { return cfg_; }

    // Programs (owner: the registering plugin's host context, or nullptr for built-ins).
    dfs_err_t registerProgram(void* owner, const dfs_rpc_program_t& p, uint32_t* tcpPort, uint32_t* udpPort);
    dfs_err_t unregisterProgram(void* owner, uint32_t prog, uint32_t low, uint32_t high);
    // Drops everything `owner` registered and waits (bounded) for its calls in flight.
    void detachOwner(void* owner);

    // Auth flavours served by an auth plugin instance.
    void registerAuth(void* owner, const dfs_auth_ops_t& ops, void* inst);

    // The C table's reply path.
    dfs_buf_t replyBuffer(void* token, uint64_t size);
    dfs_err_t replySend(void* token, dfs_rpc_accept_stat_t stat, uint64_t len);
    dfs_err_t replySendLent(void* token, uint64_t len, LentBytes lent);

    std::vector<Mapping> mappings() const;
    // The local address a call arrived on (numeric), for rpcbind's universal addresses.
    std::string localAddressOf(void* token) const;
    uint32_t portmapPort() const { return portmapPort_; }

    // Entry points for listeners (I/O threads).
    void onRecord(const std::shared_ptr<class Sender>& from, std::shared_ptr<Bytes> record);

private:
    struct Registration {
        dfs_rpc_program_t desc;
        std::string name;
        uint32_t tcpPort = 0;
        uint32_t udpPort = 0;
        void* owner = nullptr;
    };
    struct Auth {
        dfs_auth_ops_t ops;
        void* inst;
        void* owner;
    };

    void execute(const std::shared_ptr<PendingCall>& call);
    void sendRecord(const std::shared_ptr<Sender>& to, const uint8_t* record, size_t len);
    bool ensureListener(bool tcp, uint32_t& port, std::string& error);
    void releaseListenersLocked();
    void finishCall(PendingCall* c);
    // The reply of `c`, once: its header in front of `len` bytes of results, then `lent`
    // padded to 4.
    dfs_err_t sendReply(PendingCall* c, dfs_rpc_accept_stat_t stat, uint64_t len, LentBytes lent);
    bool startBuiltinPortmapper(std::string& error);
    // The host's rpcbind: (un)registers outside mutex_ (they are calls over a socket).
    void systemSet(const Registration& r);
    void systemUnset(const std::vector<std::pair<uint32_t, uint32_t>>& progVers);

    Runtime& runtime_;
    RpcConfig cfg_;
    Drc drc_;
    mutable std::mutex mutex_;
    std::map<std::pair<uint32_t, uint32_t>, std::shared_ptr<Registration>> programs_;  // (prog, vers)
    std::map<uint32_t, Auth> auth_;                                                      // flavour
    std::map<std::pair<bool, uint32_t>, std::shared_ptr<Listener>> listeners_;          // (tcp?, port)
    std::map<void*, uint64_t> inFlight_;
    std::condition_variable drained_;
    uint32_t portmapPort_ = 0;
    bool stopped_ = false;
    std::unique_ptr<SystemRpcbind> system_;  // set by start(), then read-only
};

// One reply record as it goes out: `len` bytes of `buf` from `offset` (with at least 4
// free bytes before it, for a TCP record mark), then the lent bytes if any (sent without
// a copy; zeros where they fault, see dfs_lent_t), then pad() zero bytes (XDR's).
struct OutRecord {
    std::shared_ptr<Bytes> buf;
    size_t offset = 0;
    size_t len = 0;
    std::shared_ptr<LentBytes> lent;
    size_t lentSize() const { return lent ? static_cast<size_t>(lent->size()) : 0; }
    size_t pad() const { return xdr::padded(lentSize()) - lentSize(); }
    size_t size() const { return len + lentSize() + pad(); }
};

// Where a reply goes: a TCP connection or a UDP peer.
class Sender {
public:
    virtual ~Sender() = default;
    virtual void send(OutRecord r) = 0;
    virtual void callDone() {}
    virtual dfs_rpc_transport_t transport() const = 0;
    virtual const std::string& peerAddress() const = 0;  // numeric, no port
    virtual const std::string& localAddress() const = 0;
    virtual uint64_t id() const = 0;
};

}  // namespace dfs::kernel::rpc
