// A raw ONC RPC client for tests: builds any call (also malformed ones), sends it over
// TCP (with chosen fragmenting) or UDP, optionally from a chosen local address (e.g.
// 127.0.0.2, to test client network rules on loopback), and parses replies.
#pragma once

#include <dittofs/cpp/xdr.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace dfs::testing {

inline constexpr uint32_t kTestProg = 0x20000099;
inline constexpr uint32_t kPortmap = 100000;

struct CallSpec {
    uint32_t xid = 1;
    uint32_t rpcvers = 2;
    uint32_t prog = kTestProg;
    uint32_t vers = 1;
    uint32_t proc = 0;
    uint32_t flavor = 1;  // AUTH_SYS
    std::string credBody;
    std::string args;
};

inline std::string authSys(uint32_t uid, uint32_t gid, uint32_t ngroups = 0) {
    std::vector<uint8_t> b(64 + 4 * ngroups);
    xdr::Writer w(b.data(), b.size());
    w.u32(0);
    w.var("client");
    w.u32(uid);
    w.u32(gid);
    w.u32(ngroups);
    for (uint32_t i = 0; i < ngroups; ++i) {
        w.u32(100 + i);
    }
    return std::string(reinterpret_cast<char*>(b.data()), w.size());
}

inline std::string encodeCall(const CallSpec& c) {
    std::vector<uint8_t> b(64 + c.credBody.size() + c.args.size());
    xdr::Writer w(b.data(), b.size());
    w.u32(c.xid);
    w.u32(0);
    w.u32(c.rpcvers);
    w.u32(c.prog);
    w.u32(c.vers);
    w.u32(c.proc);
    w.u32(c.flavor);
    w.var(c.credBody);
    w.u32(0);
    w.u32(0);
    w.fixed(c.args);  // already XDR (a multiple of 4 bytes)
    return std::string(reinterpret_cast<char*>(b.data()), w.size());
}

struct Reply {
    uint32_t xid = 0;
    uint32_t replyStat = 99;   // 0 accepted, 1 denied
    uint32_t acceptStat = 99;  // when accepted
    uint32_t rejectStat = 99;  // when denied
    uint32_t authStat = 99;
    uint32_t low = 0;
    uint32_t high = 0;
    std::string results;
};

inline std::optional<Reply> parseReply(const std::string& rec) {
    xdr::Reader r(reinterpret_cast<const uint8_t*>(rec.data()), rec.size());
    Reply out;
    out.xid = r.u32();
    if (r.u32() != 1) {
        return std::nullopt;
    }
    out.replyStat = r.u32();
    if (out.replyStat == 0) {
        r.u32();
        r.var(400);
        out.acceptStat = r.u32();
        if (out.acceptStat == 2) {
            out.low = r.u32();
            out.high = r.u32();
        }
        out.results = std::string(r.rest());
    } else {
        out.rejectStat = r.u32();
        if (out.rejectStat == 0) {
            out.low = r.u32();
            out.high = r.u32();
        } else {
            out.authStat = r.u32();
        }
    }
    if (!r.ok()) {
        return std::nullopt;
    }
    return out;
}

class Client {
public:
    // `from`: a local address to bind first (empty: any).
    Client(int port, bool tcp, const char* from = nullptr) : tcp_(tcp) {
        fd_ = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
        timeval tv{5, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (from != nullptr) {
            sockaddr_in l{};
            l.sin_family = AF_INET;
            inet_pton(AF_INET, from, &l.sin_addr);
            (void)bind(fd_, reinterpret_cast<sockaddr*>(&l), sizeof l);
        }
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~Client() { close(fd_); }
    bool connected() const { return connected_; }
    int fd() const { return fd_; }

    void sendRaw(const std::string& bytes) const { (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }

    // One record, split into fragments of `fragment` bytes (0: one fragment).
    void sendRecord(const std::string& rec, size_t fragment = 0) const {
        if (!tcp_) {
            sendRaw(rec);
            return;
        }
        size_t step = fragment == 0 ? rec.size() : fragment;
        size_t pos = 0;
        do {
            size_t n = std::min(step, rec.size() - pos);
            bool last = pos + n == rec.size();
            uint32_t mark = htonl((last ? 0x80000000u : 0) | static_cast<uint32_t>(n));
            std::string frag(reinterpret_cast<char*>(&mark), 4);
            frag += rec.substr(pos, n);
            sendRaw(frag);
            pos += n;
        } while (pos < rec.size());
    }

    // The next reply record, or nullopt on timeout / close.
    std::optional<std::string> receive() const {
        if (!tcp_) {
            std::string buf(65536, '\0');
            ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
            if (n <= 0) {
                return std::nullopt;
            }
            buf.resize(static_cast<size_t>(n));
            return buf;
        }
        std::string rec;
        for (;;) {
            uint32_t mark = 0;
            if (!readAll(reinterpret_cast<char*>(&mark), 4)) {
                return std::nullopt;
            }
            mark = ntohl(mark);
            std::string frag(mark & 0x7fffffffu, '\0');
            if (!readAll(frag.data(), frag.size())) {
                return std::nullopt;
            }
            rec += frag;
            if ((mark & 0x80000000u) != 0) {
                return rec;
            }
        }
    }

    std::optional<Reply> call(const CallSpec& c, size_t fragment = 0) const {
        sendRecord(encodeCall(c), fragment);
        auto rec = receive();
        return rec ? parseReply(*rec) : std::nullopt;
    }

private:
    bool readAll(char* p, size_t n) const {
        while (n > 0) {
            ssize_t k = ::recv(fd_, p, n, 0);
            if (k <= 0) {
                return false;
            }
            p += k;
            n -= static_cast<size_t>(k);
        }
        return true;
    }
    int fd_ = -1;
    bool tcp_;
    bool connected_ = false;
};

inline uint32_t be32(const std::string& s, size_t at) {
    return (uint32_t{static_cast<uint8_t>(s[at])} << 24) | (uint32_t{static_cast<uint8_t>(s[at + 1])} << 16) |
           (uint32_t{static_cast<uint8_t>(s[at + 2])} << 8) | static_cast<uint8_t>(s[at + 3]);
}

inline std::string u32s(std::initializer_list<uint32_t> v) {
    std::string out;
    for (uint32_t x : v) {
        uint32_t b = htonl(x);
        out.append(reinterpret_cast<char*>(&b), 4);
    }
    return out;
}

}  // namespace dfs::testing
