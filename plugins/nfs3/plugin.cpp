// The NFSv3 protocol plugin's C ABI face: its ELF metadata record, the descriptor and the
// hooks the kernel calls (create, destroy, start, stop). The instance, which registers
// NFS (100003 v3) and MOUNT (100005 v3) with the kernel's ONC RPC server, is in
// nfs3_instance.cpp.
#include "nfs3_instance.hpp"

#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/protocol.hpp>

DFS_EXPORT_PROTOCOL(dfs::nfs3::Instance, dfs::nfs3::parseSettings, "nfs3", "1.0.0",
                    "NFSv3 (RFC 1813) with MOUNT v3")
