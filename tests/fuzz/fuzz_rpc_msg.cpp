// Fuzz target: the RPC call header decoder (kernel/src/rpc/rpc_msg.cpp), which reads
// network bytes before any authentication.
#include "src/rpc/rpc_msg.hpp"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    dfs::kernel::rpc::CallHeader h;
    std::optional<uint32_t> xid;
    std::string_view rec(reinterpret_cast<const char*>(data), size);
    if (dfs::kernel::rpc::decodeCall(rec, h, xid) == dfs::kernel::rpc::DecodeResult::ok) {
        // Views must stay inside the record.
        const char* end = rec.data() + rec.size();
        if (h.args.data() + h.args.size() > end || h.credBody.size() > 400 || h.verfBody.size() > 400) {
            __builtin_trap();
        }
    }
    return 0;
}
