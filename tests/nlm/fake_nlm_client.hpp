// The client side an NLM server calls back, for tests: a fake portmapper (UDP, answers
// GETPORT for NLM with the port of the listener below) and an NLM listener (TCP and UDP)
// that records every call it gets (GRANTED, GRANTED_MSG, *_RES, SM_NOTIFY) and answers
// GRANTED calls with a chosen nlm4_stats, the others with no results. Runs on its own thread; everything on 127.0.0.1.
#pragma once

#include <dittofs/cpp/xdr.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dfs::nlm::itest {

struct ReceivedCall {
    uint32_t prog = 0;
    uint32_t vers = 0;
    uint32_t proc = 0;
    bool tcp = false;
    std::string args;
};

class FakeNlmClient {
public:
    FakeNlmClient() {
        pm_ = bindSocket(SOCK_DGRAM, pmPort_);
        udp_ = bindSocket(SOCK_DGRAM, udpPort_);
        tcp_ = bindSocket(SOCK_STREAM, tcpPort_);
        listen(tcp_, 16);
        thread_ = std::thread([this] { loop(); });
    }
    ~FakeNlmClient() {
        stop_ = true;
        thread_.join();
        for (int fd : conns_) {
            close(fd);
        }
        close(pm_);
        close(udp_);
        close(tcp_);
    }
    FakeNlmClient(const FakeNlmClient&) = delete;
    FakeNlmClient& operator=(const FakeNlmClient&) = delete;

    int portmapPort() const { return pmPort_; }
    // What GRANTED calls are answered with (nlm4_stats).
    void setGrantedAnswer(uint32_t stat) { answer_ = stat; }
    // Do not answer at all (the server must retry, then give up).
    void setSilent(bool s) { silent_ = s; }

    // Waits for the n-th NLM call of `proc` (1-based) and returns it.
    bool waitFor(uint32_t proc, size_t n, ReceivedCall* out, int ms = 10000) {
        return waitForProg(100021, proc, n, out, ms);
    }
    bool waitForProg(uint32_t prog, uint32_t proc, size_t n, ReceivedCall* out, int ms = 10000) {
        std::unique_lock<std::mutex> g(mu_);
        return cv_.wait_for(g, std::chrono::milliseconds(ms), [&] {
            size_t seen = 0;
            for (const auto& c : calls_) {
                if (c.proc == proc && c.prog == prog && ++seen == n) {
                    if (out != nullptr) {
                        *out = c;
                    }
                    return true;
                }
            }
            return false;
        });
    }
    size_t count(uint32_t prog, uint32_t proc) {
        std::lock_guard<std::mutex> g(mu_);
        size_t n = 0;
        for (const auto& c : calls_) {
            n += (c.prog == prog && c.proc == proc) ? 1 : 0;
        }
        return n;
    }
    std::vector<ReceivedCall> calls() {
        std::lock_guard<std::mutex> g(mu_);
        return calls_;
    }

private:
    static int bindSocket(int type, int& port) {
        int fd = socket(AF_INET, type, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
        return fd;
    }

    // Parses a call and builds the reply record (empty: no reply).
    std::string handle(const std::string& rec, bool tcp) {
        xdr::Reader r(reinterpret_cast<const uint8_t*>(rec.data()), rec.size());
        uint32_t xid = r.u32();
        uint32_t mtype = r.u32();
        r.u32();  // rpcvers
        ReceivedCall c;
        c.prog = r.u32();
        c.vers = r.u32();
        c.proc = r.u32();
        c.tcp = tcp;
        r.u32();
        r.var(400);
        r.u32();
        r.var(400);
        c.args = std::string(r.rest());
        if (!r.ok() || mtype != 0) {
            return {};
        }
        std::vector<uint8_t> out(2048);
        xdr::Writer w(out.data(), out.size());
        w.u32(xid);
        w.u32(1);
        w.u32(0);
        w.u32(0);
        w.u32(0);
        w.u32(0);  // SUCCESS
        if (c.prog == 100000 && c.proc == 3) {
            xdr::Reader q(reinterpret_cast<const uint8_t*>(c.args.data()), c.args.size());
            uint32_t prog = q.u32();
            q.u32();
            uint32_t prot = q.u32();
            w.u32(prog == 100021 || prog == 100024 ? static_cast<uint32_t>(prot == 6 ? tcpPort_ : udpPort_) : 0u);
        } else if (c.prog == 100021 && c.proc == 5) {
            xdr::Reader q(reinterpret_cast<const uint8_t*>(c.args.data()), c.args.size());
            std::string_view cookie = q.var(1024);
            w.var(cookie);
            w.u32(answer_.load());
        }
        bool silent = silent_.load() && c.prog != 100000;
        {
            std::lock_guard<std::mutex> g(mu_);
            calls_.push_back(c);
        }
        cv_.notify_all();
        if (silent) {
            return {};
        }
        return std::string(reinterpret_cast<char*>(out.data()), w.size());
    }

    void serveDatagram(int fd) {
        std::string buf(65536, '\0');
        sockaddr_in from{};
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n <= 0) {
            return;
        }
        buf.resize(static_cast<size_t>(n));
        std::string rep = handle(buf, false);
        if (!rep.empty()) {
            sendto(fd, rep.data(), rep.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
    }

    // One record per read is enough for the server's small calls.
    bool serveStream(int fd) {
        uint8_t hdr[4];
        if (recv(fd, hdr, 4, MSG_WAITALL) != 4) {
            return false;
        }
        uint32_t n = ((uint32_t{hdr[0]} << 24) | (uint32_t{hdr[1]} << 16) | (uint32_t{hdr[2]} << 8) | hdr[3]) &
                     0x7fffffffu;
        std::string rec(n, '\0');
        if (n > 0 && recv(fd, rec.data(), n, MSG_WAITALL) != static_cast<ssize_t>(n)) {
            return false;
        }
        std::string rep = handle(rec, true);
        if (!rep.empty()) {
            uint32_t mark = htonl(0x80000000u | static_cast<uint32_t>(rep.size()));
            std::string frame(reinterpret_cast<char*>(&mark), 4);
            frame += rep;
            (void)send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
        }
        return true;
    }

    void loop() {
        while (!stop_) {
            std::vector<pollfd> fds{{pm_, POLLIN, 0}, {udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
            for (int c : conns_) {
                fds.push_back({c, POLLIN, 0});
            }
            if (poll(fds.data(), fds.size(), 50) <= 0) {
                continue;
            }
            if ((fds[0].revents & POLLIN) != 0) {
                serveDatagram(pm_);
            }
            if ((fds[1].revents & POLLIN) != 0) {
                serveDatagram(udp_);
            }
            if ((fds[2].revents & POLLIN) != 0) {
                int c = accept(tcp_, nullptr, nullptr);
                if (c >= 0) {
                    conns_.push_back(c);
                }
            }
            for (size_t i = 3; i < fds.size(); ++i) {
                if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !serveStream(fds[i].fd)) {
                    close(fds[i].fd);
                    std::erase(conns_, fds[i].fd);
                }
            }
        }
    }

    int pm_ = -1;
    int udp_ = -1;
    int tcp_ = -1;
    int pmPort_ = 0;
    int udpPort_ = 0;
    int tcpPort_ = 0;
    std::vector<int> conns_;
    std::atomic<bool> stop_{false};
    std::atomic<uint32_t> answer_{0};
    std::atomic<bool> silent_{false};
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<ReceivedCall> calls_;
    std::thread thread_;
};

}  // namespace dfs::nlm::itest
