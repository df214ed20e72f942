// ONC RPC version 2 messages (RFC 5531 section 9): decoding a call header and encoding
// reply headers for the server; decoding the reply to one of the server's own calls for
// the RPC client. Bounds-checked, with a fuzz target (tests/fuzz/fuzz_rpc_msg.cpp): every
// byte here comes from the network before any authentication.
#pragma once

#include <dittofs/abi/common.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dfs::kernel::rpc {

inline constexpr uint32_t kRpcVersion = 2;
inline constexpr uint32_t kMaxAuthBody = 400;  // opaque_auth body<400>, RFC 5531 section 8.2

enum MsgType : uint32_t { kCall = 0, kReply = 1 };
enum ReplyStat : uint32_t { kMsgAccepted = 0, kMsgDenied = 1 };
enum RejectStat : uint32_t { kRpcMismatch = 0, kAuthError = 1 };
enum AuthStat : uint32_t {
    kAuthOk = 0,
    kAuthBadCred = 1,
    kAuthRejectedCred = 2,
    kAuthBadVerf = 3,
    kAuthRejectedVerf = 4,
    kAuthTooWeak = 5
};

struct CallHeader {
    uint32_t xid = 0;
    uint32_t rpcvers = 0;
    uint32_t prog = 0;
    uint32_t vers = 0;
    uint32_t proc = 0;
    uint32_t credFlavor = 0;
    std::string_view credBody;
    uint32_t verfFlavor = 0;
    std::string_view verfBody;
    std::string_view args;  // the rest of the record
};

enum class DecodeResult {
    ok,
    notACall,   // a reply or garbage: drop it
    badHeader,  // xid readable but the header is malformed: answer GARBAGE_ARGS
};

// `xid` is set whenever the first word could be read (for an error reply).
DecodeResult decodeCall(std::string_view record, CallHeader& out, std::optional<uint32_t>& xid);

// AUTH_SYS identity the server presents in its own calls (uid/gid 0 unless set), or
// AUTH_NONE.
struct CallAuth {
    bool sys = true;
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::string machine = "dittofs";
};

// A call message with `args` (already XDR) as its body, for the server's own calls.
std::string encodeCall(uint32_t xid, uint32_t prog, uint32_t vers, uint32_t proc, const CallAuth& auth,
                       std::string_view args);

// The portmapper / rpcbind program (RFC 1833): the built-in one answers it, the RPC
// client asks it (GETPORT), the host's rpcbind is registered with (SET/UNSET).
inline constexpr uint32_t kPortmapProgram = 100000;
enum : uint32_t { kIpProtoTcp = 6, kIpProtoUdp = 17 };
// Portmapper v2 procedures (RFC 1833 section 3.2).
enum : uint32_t { kPmapNull = 0, kPmapSet = 1, kPmapUnset = 2, kPmapGetport = 3, kPmapDump = 4, kPmapCallit = 5 };
// rpcbind v3/v4 procedures (RFC 1833 section 2.2).
enum : uint32_t {
    kRpcbNull = 0,
    kRpcbSet = 1,
    kRpcbUnset = 2,
    kRpcbGetaddr = 3,
    kRpcbDump = 4,
    kRpcbGettime = 6,
    kRpcbGetversaddr = 9
};

// RFC 1833 section 2.1 universal address of a TCP/UDP endpoint: "h1.h2.h3.h4.p1.p2" for
// IPv4, the address text followed by ".p1.p2" for IPv6. `host` is numeric.
std::string universalAddress(std::string_view host, uint32_t port);

// A reply to a call this server made (NLM GRANTED, NSM SM_NOTIFY, a portmapper GETPORT).
struct ReplyHeader {
    uint32_t xid = 0;
    bool denied = false;      // MSG_DENIED (RPC_MISMATCH or AUTH_ERROR)
    uint32_t acceptStat = 0;  // when accepted
    std::string_view results; // when accepted: the rest of the record
};

// False if `record` is not a reply (too short, a call, a malformed accepted header).
bool decodeReply(std::string_view record, ReplyHeader& out);

// Reply headers, written into `out` (at least kMaxReplyHeader bytes); returns the length.
inline constexpr size_t kMaxReplyHeader = 32;
// MSG_ACCEPTED with an AUTH_NONE verifier and the accept_stat; for PROG_MISMATCH the
// version range follows.
size_t encodeAccepted(uint8_t* out, uint32_t xid, uint32_t acceptStat, uint32_t low = 0, uint32_t high = 0);
size_t encodeRpcMismatch(uint8_t* out, uint32_t xid);
size_t encodeAuthError(uint8_t* out, uint32_t xid, AuthStat why);

// TCP record marking (RFC 5531 section 11): a fragment's 4-byte header, the length with
// the top bit set on the last fragment of a record. Records are sent whole, as one
// (last) fragment; received ones may come in several.
struct RecordMark {
    uint32_t len;
    bool last;
};
inline void encodeRecordMark(uint8_t out[4], uint32_t len) {
    const uint32_t m = 0x80000000u | (len & 0x7fffffffu);
    out[0] = static_cast<uint8_t>(m >> 24);
    out[1] = static_cast<uint8_t>(m >> 16);
    out[2] = static_cast<uint8_t>(m >> 8);
    out[3] = static_cast<uint8_t>(m);
}
inline RecordMark decodeRecordMark(const uint8_t in[4]) {
    uint32_t m = (uint32_t{in[0]} << 24) | (uint32_t{in[1]} << 16) | (uint32_t{in[2]} << 8) | in[3];
    return RecordMark{m & 0x7fffffffu, (m & 0x80000000u) != 0};
}

}  // namespace dfs::kernel::rpc
