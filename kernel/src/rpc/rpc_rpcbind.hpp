// Registration with the host's own rpcbind, for machines where it owns port 111 (Debian
// runs it for NFS clients). rpcbind accepts SET and UNSET only from local callers, over
// its AF_LOCAL socket, where it reads the caller's credentials (RFC 1833 section 2,
// RPCBPROC_SET / RPCBPROC_UNSET of rpcbind version 4), so that is the transport. Calls
// are synchronous and short (registration happens at start and on reload), bounded by a
// timeout.
#pragma once

#include <cstdint>
#include <string>

namespace dfs::kernel::rpc {

class SystemRpcbind {
public:
    explicit SystemRpcbind(std::string socketPath, uint32_t timeoutMs = 2000)
        : path_(std::move(socketPath)), timeoutMs_(timeoutMs) {}

    // RPCBPROC_NULL: true when an rpcbind answers on the socket.
    bool ping();
    // RPCBPROC_SET of prog/vers on `netid` ("tcp", "udp", "tcp6", "udp6") at the universal
    // address of `address` (numeric) and `port`. False if refused, unreachable, or the
    // address is not numeric.
    bool set(uint32_t prog, uint32_t vers, const std::string& netid, const std::string& address, uint32_t port);
    // RPCBPROC_UNSET of prog/vers on every netid.
    bool unset(uint32_t prog, uint32_t vers);

private:
    // One call; `ok` gets the boolean result. False when no valid reply came.
    bool call(uint32_t proc, const std::string& args, bool* ok);

    std::string path_;
    uint32_t timeoutMs_;
    uint32_t xid_ = 0x44460000;
};

}  // namespace dfs::kernel::rpc
