// Client networks for share access lists: "10.0.0.0/8", "192.168.1.7", "::1", "fd00::/8".
// IPv4 addresses are kept as IPv4-mapped IPv6 so one comparison serves both families.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace dfs::kernel {

struct Network {
    std::array<uint8_t, 16> addr{};
    uint32_t prefix = 0;  // in bits of the 128-bit form
};

bool parseAddress(std::string_view text, std::array<uint8_t, 16>& out);
bool parseNetwork(std::string_view text, Network& out);
bool networkContains(const Network& net, const std::array<uint8_t, 16>& addr);

}  // namespace dfs::kernel
