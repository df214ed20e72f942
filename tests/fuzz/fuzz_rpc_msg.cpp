// Fuzz target: the RPC message decoders (kernel/src/rpc/rpc_msg.cpp), which read network
// bytes before any authentication: call headers (the server) and replies to the server's
// own calls (the RPC client), on the same bytes.
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
    dfs::kernel::rpc::ReplyHeader rh;
    if (dfs::kernel::rpc::decodeReply(rec, rh) && !rh.denied) {
        if (rh.results.data() < rec.data() || rh.results.data() + rh.results.size() > rec.data() + rec.size()) {
            __builtin_trap();
        }
    }
    return 0;
}
