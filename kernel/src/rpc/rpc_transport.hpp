// RPC transports: TCP with record marking (RFC 5531 section 11) and UDP datagrams.
//
// TCP: a record is a sequence of fragments, each behind a 4-byte mark (high bit: last
// fragment; low 31 bits: length). A record larger than max_record, or a zero-length
// non-final fragment stream, closes the connection (it cannot be answered: the xid is
// not known yet). A connection stops reading while max-in-flight calls are pending, so
// one client cannot fill the worker queue.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace dfs::kernel {
class Runtime;
}

namespace dfs::kernel::rpc {

class RpcServer;

class Listener {
public:
    virtual ~Listener() = default;
    virtual uint32_t port() const = 0;
    virtual void close() = 0;
};

std::shared_ptr<Listener> makeTcpListener(Runtime& rt, RpcServer& server, const std::string& bind, uint32_t port,
                                          uint32_t maxRecord, uint32_t maxInFlight, std::string& error);
std::shared_ptr<Listener> makeUdpListener(Runtime& rt, RpcServer& server, const std::string& bind, uint32_t port,
                                          uint32_t maxDatagram, std::string& error);

}  // namespace dfs::kernel::rpc
