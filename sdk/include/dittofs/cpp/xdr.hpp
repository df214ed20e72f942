// DittoFS SDK C++ layer: XDR (RFC 4506) decoding and encoding.
//
// Used by the kernel for RPC headers and the portmapper, and by protocol plugins for
// their arguments and results. The reader is bounds-checked and sticky: after the first
// malformed or over-long item every later read fails and ok() is false, so a decoder can
// read a whole structure and check once (then answer GARBAGE_ARGS). The writer encodes
// into a caller-provided buffer (the RPC reply buffer) and likewise reports overflow once.
#pragma once

#include <dittofs/abi/common.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace dfs::xdr {

// The size of n bytes of opaque data with their padding (to a multiple of 4).
constexpr size_t padded(size_t n) { return (n + 3) & ~size_t{3}; }

class Reader {
public:
    Reader() = default;
    Reader(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}
    explicit Reader(dfs_bytes_t b) : p_(b.ptr), end_(b.ptr + b.len) {}

    bool ok() const { return ok_; }
    size_t remaining() const { return ok_ ? static_cast<size_t>(end_ - p_) : 0; }
    const uint8_t* position() const { return p_; }
    void fail() { ok_ = false; }

    uint32_t u32() {
        if (!need(4)) {
            return 0;
        }
        uint32_t v = (uint32_t{p_[0]} << 24) | (uint32_t{p_[1]} << 16) | (uint32_t{p_[2]} << 8) | p_[3];
        p_ += 4;
        return v;
    }
    int32_t i32() { return static_cast<int32_t>(u32()); }
    uint64_t u64() {
        uint64_t hi = u32();
        return (hi << 32) | u32();
    }
    int64_t i64() { return static_cast<int64_t>(u64()); }
    // XDR bool: only 0 and 1 are valid.
    bool boolean() {
        uint32_t v = u32();
        if (v > 1) {
            fail();
        }
        return v == 1;
    }
    // Fixed-length opaque of n bytes (padded to 4).
    std::string_view fixed(size_t n) {
        const size_t padded = xdr::padded(n);
        if (!need(padded)) {
            return {};
        }
        std::string_view v(reinterpret_cast<const char*>(p_), n);
        p_ += padded;
        return v;
    }
    // Variable-length opaque or string with a maximum length (the <max> of the .x file).
    std::string_view var(uint32_t max) {
        uint32_t n = u32();
        if (!ok_ || n > max) {
            fail();
            return {};
        }
        return fixed(n);
    }
    // The rest of the buffer, unparsed (e.g. WRITE data after its length is checked).
    std::string_view rest() {
        if (!ok_) {
            return {};
        }
        std::string_view v(reinterpret_cast<const char*>(p_), static_cast<size_t>(end_ - p_));
        p_ = end_;
        return v;
    }

private:
    bool need(size_t n) {
        if (!ok_ || static_cast<size_t>(end_ - p_) < n) {
            ok_ = false;
            return false;
        }
        return true;
    }
    const uint8_t* p_ = nullptr;
    const uint8_t* end_ = nullptr;
    bool ok_ = true;
};

class Writer {
public:
    Writer() = default;
    Writer(uint8_t* p, size_t cap) : begin_(p), p_(p), end_(p + cap) {}
    explicit Writer(dfs_buf_t b) : begin_(b.ptr), p_(b.ptr), end_(b.ptr + b.len) {}

    bool ok() const { return ok_; }
    size_t size() const { return static_cast<size_t>(p_ - begin_); }
    size_t room() const { return static_cast<size_t>(end_ - p_); }
    uint8_t* position() { return p_; }

    void u32(uint32_t v) {
        if (!need(4)) {
            return;
        }
        p_[0] = static_cast<uint8_t>(v >> 24);
        p_[1] = static_cast<uint8_t>(v >> 16);
        p_[2] = static_cast<uint8_t>(v >> 8);
        p_[3] = static_cast<uint8_t>(v);
        p_ += 4;
    }
    void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
    void u64(uint64_t v) {
        u32(static_cast<uint32_t>(v >> 32));
        u32(static_cast<uint32_t>(v));
    }
    void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
    void boolean(bool b) { u32(b ? 1 : 0); }
    void fixed(const void* data, size_t n) {
        const size_t padded = xdr::padded(n);
        if (!need(padded)) {
            return;
        }
        if (n > 0) {
            std::memcpy(p_, data, n);
        }
        std::memset(p_ + n, 0, padded - n);
        p_ += padded;
    }
    void fixed(std::string_view s) { fixed(s.data(), s.size()); }
    void var(const void* data, size_t n) {
        if (n > UINT32_MAX) {
            ok_ = false;
            return;
        }
        u32(static_cast<uint32_t>(n));
        fixed(data, n);
    }
    void var(std::string_view s) { var(s.data(), s.size()); }
    // Reserves n bytes (plus padding) to be filled in place, e.g. READ data read straight
    // from the store: returns where to write, or nullptr on overflow.
    uint8_t* reserveOpaque(size_t n) {
        const size_t padded = xdr::padded(n);
        if (!need(padded)) {
            return nullptr;
        }
        uint8_t* at = p_;
        std::memset(p_ + n, 0, padded - n);
        p_ += padded;
        return at;
    }
    // Gives back the unused tail of the last reserveOpaque (a short read).
    void shrinkOpaque(uint8_t* at, size_t reserved, size_t used) {
        size_t r = (reserved + 3) & ~size_t{3};
        size_t u = (used + 3) & ~size_t{3};
        if (at + r != p_ || used > reserved) {
            ok_ = false;
            return;
        }
        std::memset(at + used, 0, u - used);
        p_ = at + u;
    }

private:
    bool need(size_t n) {
        if (!ok_ || static_cast<size_t>(end_ - p_) < n) {
            ok_ = false;
            return false;
        }
        return true;
    }
    uint8_t* begin_ = nullptr;
    uint8_t* p_ = nullptr;
    uint8_t* end_ = nullptr;
    bool ok_ = true;
};

}  // namespace dfs::xdr
