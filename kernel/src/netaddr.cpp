#include "netaddr.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>

namespace dfs::kernel {

bool parseAddress(std::string_view text, std::array<uint8_t, 16>& out) {
    if (text.size() > 64) {
        return false;
    }
    std::string s(text);
    in_addr v4{};
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        out.fill(0);
        out[10] = 0xff;
        out[11] = 0xff;
        std::memcpy(out.data() + 12, &v4, 4);
        return true;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
        std::memcpy(out.data(), &v6, 16);
        return true;
    }
    return false;
}

bool parseNetwork(std::string_view text, Network& out) {
    auto slash = text.find('/');
    std::string_view a = text.substr(0, slash);
    if (!parseAddress(a, out.addr)) {
        return false;
    }
    bool v4 = a.find(':') == std::string_view::npos;
    uint32_t maxBits = v4 ? 32 : 128;
    uint32_t bits = maxBits;
    if (slash != std::string_view::npos) {
        std::string_view p = text.substr(slash + 1);
        auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), bits);
        if (p.empty() || ec != std::errc{} || ptr != p.data() + p.size() || bits > maxBits) {
            return false;
        }
    }
    out.prefix = v4 ? bits + 96 : bits;
    return true;
}

bool networkContains(const Network& net, const std::array<uint8_t, 16>& addr) {
    uint32_t bits = net.prefix;
    for (size_t i = 0; i < 16 && bits > 0; ++i) {
        uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
        if ((net.addr[i] & mask) != (addr[i] & mask)) {
            return false;
        }
        bits = bits >= 8 ? bits - 8 : 0;
    }
    return true;
}

}  // namespace dfs::kernel
