// The kernel's ONC RPC client, for calls the server makes to its clients: NLM GRANTED
// callbacks, NSM SM_NOTIFY at restart, and later NFSv4.0 callbacks (RFC 5531).
//
// One call at a time per request, asynchronous: UDP with retransmission (1 s, doubling,
// within the call's timeout) or TCP (connect, one record out, one record back). A port of
// 0 is first looked up with the target host's portmapper (GETPORT, RFC 1833 section 3.2).
// The completion runs exactly once on the worker pool: DFS_OK with the accept_stat and
// the results, DFS_ERR_DELAY when the time ran out, DFS_ERR_IO when the peer refused or
// answered something that is not a reply to this call.
#pragma once

#include "rpc_msg.hpp"

#include <dittofs/abi/common.h>
#include <dittofs/abi/host.h>
#include <dittofs/abi/rpc.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace dfs::kernel {
class Runtime;
}

namespace dfs::kernel::rpc {

struct CallTarget {
    dfs_rpc_transport_t transport = DFS_RPC_UDP;
    std::string address;  // numeric IPv4 or IPv6
    uint32_t port = 0;    // 0: ask the host's portmapper
    uint32_t prog = 0;
    uint32_t vers = 0;
    uint32_t proc = 0;
    uint32_t timeoutMs = 10000;
};


using CallDone = std::function<void(dfs_err_t status, uint32_t acceptStat, std::string results)>;

class RpcClient {
public:
    // `portmapPort`: where target hosts' portmappers listen (111; tests use another).
    RpcClient(Runtime& runtime, uint32_t portmapPort = 111);

    void call(const CallTarget& target, const CallAuth& auth, std::string args, CallDone done);

    uint32_t portmapPort() const { return portmapPort_; }

private:
    void send(const CallTarget& target, const CallAuth& auth, std::string args, CallDone done);

    Runtime& runtime_;
    uint32_t portmapPort_;
    std::atomic<uint32_t> nextXid_;
};

}  // namespace dfs::kernel::rpc
