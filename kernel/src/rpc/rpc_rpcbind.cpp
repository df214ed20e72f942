#include "rpc_rpcbind.hpp"

#include "rpc_msg.hpp"

#include <dittofs/cpp/xdr.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace dfs::kernel::rpc {
namespace {

constexpr uint32_t kRpcbVers = 4;
constexpr size_t kMaxReply = 4096;

bool writeAll(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            return false;
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

bool readAll(int fd, char* p, size_t n) {
    while (n > 0) {
        ssize_t r = ::recv(fd, p, n, 0);
        if (r <= 0) {
            return false;
        }
        p += r;
        n -= static_cast<size_t>(r);
    }
    return true;
}

// rpcb (RFC 1833 section 2.1): r_prog, r_vers, r_netid, r_addr, r_owner.
std::string rpcbArgs(uint32_t prog, uint32_t vers, const std::string& netid, const std::string& addr) {
    std::vector<uint8_t> b(64 + netid.size() + addr.size());
    xdr::Writer w(b.data(), b.size());
    w.u32(prog);
    w.u32(vers);
    w.var(netid);
    w.var(addr);
    w.var(std::string_view("superuser"));  // rpcbind takes the owner from the socket's credentials
    return std::string(reinterpret_cast<char*>(b.data()), w.size());
}

}  // namespace

bool SystemRpcbind::call(uint32_t proc, const std::string& args, bool* ok) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    timeval tv{static_cast<time_t>(timeoutMs_ / 1000), static_cast<suseconds_t>((timeoutMs_ % 1000) * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path_.size() >= sizeof sa.sun_path) {
        ::close(fd);
        return false;
    }
    std::memcpy(sa.sun_path, path_.data(), path_.size());
    bool done = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
        uint32_t xid = ++xid_;
        std::string rec = encodeCall(xid, kPortmapProgram, kRpcbVers, proc, CallAuth{true}, args);
        uint8_t mark[4];
        encodeRecordMark(mark, static_cast<uint32_t>(rec.size()));
        std::string out(reinterpret_cast<char*>(mark), 4);
        out += rec;
        uint8_t inMark[4];
        if (writeAll(fd, out.data(), out.size()) && readAll(fd, reinterpret_cast<char*>(inMark), 4)) {
            RecordMark m = decodeRecordMark(inMark);
            std::string reply(m.len, '\0');
            ReplyHeader h;
            // One fragment, small: rpcbind's answers to these procedures are a word or none.
            if (m.last && m.len <= kMaxReply && readAll(fd, reply.data(), m.len) &&
                decodeReply(reply, h) && h.xid == xid && !h.denied && h.acceptStat == 0) {
                xdr::Reader r(reinterpret_cast<const uint8_t*>(h.results.data()), h.results.size());
                bool b = proc == kRpcbNull ? true : r.boolean();
                if (r.ok()) {
                    if (ok != nullptr) {
                        *ok = b;
                    }
                    done = true;
                }
            }
        }
    }
    ::close(fd);
    return done;
}

bool SystemRpcbind::ping() { return call(kRpcbNull, {}, nullptr); }

bool SystemRpcbind::set(uint32_t prog, uint32_t vers, const std::string& netid, const std::string& address,
                        uint32_t port) {
    in_addr a4{};
    in6_addr a6{};
    if (::inet_pton(AF_INET, address.c_str(), &a4) != 1 && ::inet_pton(AF_INET6, address.c_str(), &a6) != 1) {
        return false;
    }
    bool ok = false;
    return call(kRpcbSet, rpcbArgs(prog, vers, netid, universalAddress(address, port)), &ok) && ok;
}

bool SystemRpcbind::unset(uint32_t prog, uint32_t vers) {
    bool ok = false;
    return call(kRpcbUnset, rpcbArgs(prog, vers, "", ""), &ok) && ok;
}

}  // namespace dfs::kernel::rpc
