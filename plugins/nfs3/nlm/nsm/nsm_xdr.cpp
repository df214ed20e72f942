// NSM XDR codecs (nsm_xdr.hpp): XNFS 11.2.
#include "nsm_xdr.hpp"

#include <vector>

namespace dfs::nsm {
namespace {

void readMyId(xdr::Reader& r, MyId& m) {
    m.myName = r.var(kMaxStrLen);
    m.prog = r.u32();
    m.vers = r.u32();
    m.proc = r.u32();
}

bool done(const xdr::Reader& r) { return r.ok() && r.remaining() == 0; }

}  // namespace

bool decodeSmName(dfs_bytes_t in, std::string_view& name) {
    xdr::Reader r(in);
    name = r.var(kMaxStrLen);
    return done(r);
}

bool decodeMon(dfs_bytes_t in, Mon& out) {
    xdr::Reader r(in);
    out.id.monName = r.var(kMaxStrLen);
    readMyId(r, out.id.myId);
    out.priv = r.fixed(kPrivSize);
    return done(r);
}

bool decodeMonId(dfs_bytes_t in, MonId& out) {
    xdr::Reader r(in);
    out.monName = r.var(kMaxStrLen);
    readMyId(r, out.myId);
    return done(r);
}

bool decodeMyId(dfs_bytes_t in, MyId& out) {
    xdr::Reader r(in);
    readMyId(r, out);
    return done(r);
}

bool decodeStatChange(dfs_bytes_t in, StatChange& out) {
    xdr::Reader r(in);
    out.monName = r.var(kMaxStrLen);
    out.state = r.i32();
    return done(r);
}

std::string encodeStatChange(std::string_view monName, int32_t state) {
    std::vector<uint8_t> b(8 + kMaxStrLen + 4);
    xdr::Writer w(b.data(), b.size());
    w.var(monName.substr(0, kMaxStrLen));
    w.i32(state);
    return std::string(reinterpret_cast<const char*>(b.data()), w.size());
}

}  // namespace dfs::nsm
