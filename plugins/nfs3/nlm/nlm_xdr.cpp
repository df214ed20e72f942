// NLM XDR codecs (nlm_xdr.hpp): XNFS 10.2 (v1/v3) and 14.2 (v4).
#include "nlm_xdr.hpp"

#include <vector>

namespace dfs::nlm {
namespace {

uint64_t offsetOf(xdr::Reader& r, uint32_t vers) { return vers >= 4 ? r.u64() : r.u32(); }

// nlm4_lock (14.2) / nlm_lock (10.2): svid is an int32 on the wire; we keep its bits.
void readLock(xdr::Reader& r, uint32_t vers, Lock& l) {
    l.callerName = r.var(kMaxStrLen);
    l.fh = r.var(kMaxNetobj);
    l.oh = r.var(kMaxNetobj);
    l.svid = r.u32();
    l.offset = offsetOf(r, vers);
    l.length = offsetOf(r, vers);
}

// Every argument must be consumed: trailing bytes mean the client speaks something else.
bool done(const xdr::Reader& r) { return r.ok() && r.remaining() == 0; }

void writeOffset(xdr::Writer& w, uint32_t vers, uint64_t v) {
    if (vers >= 4) {
        w.u64(v);
    } else {
        w.u32(v > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(v));
    }
}

}  // namespace

bool decodeTestArgs(dfs_bytes_t in, uint32_t vers, TestArgs& out) {
    xdr::Reader r(in);
    out.cookie = r.var(kMaxNetobj);
    out.exclusive = r.boolean();
    readLock(r, vers, out.lock);
    return done(r);
}

bool decodeLockArgs(dfs_bytes_t in, uint32_t vers, LockArgs& out) {
    xdr::Reader r(in);
    out.cookie = r.var(kMaxNetobj);
    out.block = r.boolean();
    out.exclusive = r.boolean();
    readLock(r, vers, out.lock);
    out.reclaim = r.boolean();
    out.state = r.i32();
    return done(r);
}

bool decodeCancelArgs(dfs_bytes_t in, uint32_t vers, CancelArgs& out) {
    xdr::Reader r(in);
    out.cookie = r.var(kMaxNetobj);
    out.block = r.boolean();
    out.exclusive = r.boolean();
    readLock(r, vers, out.lock);
    return done(r);
}

bool decodeUnlockArgs(dfs_bytes_t in, uint32_t vers, UnlockArgs& out) {
    xdr::Reader r(in);
    out.cookie = r.var(kMaxNetobj);
    readLock(r, vers, out.lock);
    return done(r);
}

bool decodeShareArgs(dfs_bytes_t in, ShareArgs& out) {
    xdr::Reader r(in);
    out.cookie = r.var(kMaxNetobj);
    out.share.callerName = r.var(kMaxStrLen);
    out.share.fh = r.var(kMaxNetobj);
    out.share.oh = r.var(kMaxNetobj);
    out.share.mode = r.u32();
    out.share.access = r.u32();
    out.reclaim = r.boolean();
    // Enumerations outside their values do not decode (RFC 4506 4.3).
    return done(r) && out.share.mode <= 3 && out.share.access <= 3;
}

bool decodeNotifyArgs(dfs_bytes_t in, NotifyArgs& out) {
    xdr::Reader r(in);
    out.name = r.var(kMaxNameLen);
    out.state = r.i32();
    return done(r);
}

bool decodeResArgs(dfs_bytes_t in, ResArgs& out) {
    xdr::Reader r(in);
    out.cookie = r.var(kMaxNetobj);
    out.stat = r.u32();
    return done(r);
}

void encodeRes(xdr::Writer& w, std::string_view cookie, uint32_t stat) {
    w.var(cookie);
    w.u32(stat);
}

void encodeShareRes(xdr::Writer& w, std::string_view cookie, uint32_t stat) {
    w.var(cookie);
    w.u32(stat);
    w.u32(0);
}

void encodeTestRes(xdr::Writer& w, uint32_t vers, std::string_view cookie, uint32_t stat, const Holder& h) {
    w.var(cookie);
    w.u32(stat);
    if (stat == NLM4_DENIED) {
        w.boolean(h.exclusive);
        w.u32(h.svid);
        w.var(h.oh.substr(0, kMaxNetobj));
        writeOffset(w, vers, h.offset);
        if (vers < 4 && h.length == 0) {
            w.u32(0);
        } else if (vers < 4 && (h.offset > UINT32_MAX || h.length > UINT32_MAX - h.offset)) {
            w.u32(0);  // reaches past 4 GiB: "to the end" is the closest 32-bit answer
        } else {
            writeOffset(w, vers, h.length);
        }
    }
}

std::string encodeGrantedArgs(uint32_t vers, std::string_view cookie, bool exclusive, const Lock& lock) {
    std::vector<uint8_t> buf(16 + 4 * kNetobjMax + 16);
    xdr::Writer w(buf.data(), buf.size());
    w.var(cookie);
    w.boolean(exclusive);
    w.var(lock.callerName);
    w.var(lock.fh);
    w.var(lock.oh);
    w.u32(lock.svid);
    writeOffset(w, vers, lock.offset);
    writeOffset(w, vers, lock.length);
    return std::string(reinterpret_cast<const char*>(buf.data()), w.size());
}

}  // namespace dfs::nlm
