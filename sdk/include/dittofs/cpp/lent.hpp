// DittoFS SDK C++ layer: ownership of lent bytes (dfs_lent_t, abi/common.h).
#pragma once

#include <dittofs/abi/common.h>

#include <cstdint>
#include <utility>

namespace dfs {

// Holds a dfs_lent_t and releases it exactly once: when destroyed, reset, or replaced,
// unless it was handed on with take(). Move-only.
class LentBytes {
public:
    LentBytes() = default;
    explicit LentBytes(const dfs_lent_t& l) : l_(l) {}
    LentBytes(LentBytes&& o) noexcept : l_(o.take()) {}
    LentBytes& operator=(LentBytes&& o) noexcept {
        if (this != &o) {
            reset();
            l_ = o.take();
        }
        return *this;
    }
    LentBytes(const LentBytes&) = delete;
    LentBytes& operator=(const LentBytes&) = delete;
    ~LentBytes() { reset(); }

    // The bytes: to be handed to the operating system only, never read here (common.h).
    const uint8_t* data() const { return l_.ptr; }
    uint64_t size() const { return l_.len; }
    bool empty() const { return l_.len == 0; }

    // Gives up ownership: the caller releases what it gets.
    dfs_lent_t take() { return std::exchange(l_, dfs_lent_t{}); }
    void reset() {
        dfs_lent_t l = take();
        if (l.release != nullptr) {
            l.release(l.release_arg);
        }
    }

private:
    dfs_lent_t l_{};
};

}  // namespace dfs
