// The built-in portmapper: program 100000, version 2 (RFC 1833 section 3, "Port Mapper
// Program Protocol") and rpcbind versions 3 and 4 (RFC 1833 section 2), answered from
// the kernel's own registry. Registrations come only through the host API; SET and UNSET
// from the network are refused (answer false), and CALLIT/INDIRECT are not offered
// (PROC_UNAVAIL): they turn the server into a traffic reflector.
#pragma once

#include "rpc_msg.hpp"

#include <dittofs/abi/rpc.h>

namespace dfs::kernel::rpc {


// inst: the RpcServer.
dfs_err_t portmapDispatch(void* inst, const dfs_rpc_call_t* call);

}  // namespace dfs::kernel::rpc
