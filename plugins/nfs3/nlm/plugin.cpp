// The NLM protocol plugin's C ABI face: its ELF metadata record, the descriptor and the
// hooks the kernel calls (create, destroy, start, stop). The instance, which registers
// NLM (100021 v1-4) and NSM (100024 v1) with the kernel's ONC RPC server and keeps blocked locks until their
// GRANTED callback, is in nlm_instance.cpp. Enabled by `[protocol.nlm]`.
#include "nlm_instance.hpp"

#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/protocol.hpp>

DFS_EXPORT_PROTOCOL(dfs::nlm::Instance, dfs::nlm::parseSettings, "nlm", "1.0.0",
                    "NLM v1/v3/v4 and NSM v1 (XNFS) over the kernel's lock manager")
