#include "rpc_client.hpp"

#include "../log.hpp"
#include "../runtime.hpp"
#include "rpc_msg.hpp"

#include <dittofs/cpp/xdr.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <ctime>
#include <memory>
#include <vector>

namespace dfs::kernel::rpc {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

constexpr size_t kMaxReply = 1u << 20;

// One call in flight; owns its socket and deadline, delivers `done` once.
struct Exchange : std::enable_shared_from_this<Exchange> {
    Exchange(Runtime& rt, CallTarget t, std::string rec, uint32_t xid, CallDone d)
        : runtime(rt),
          target(std::move(t)),
          record(std::move(rec)),
          xid(xid),
          done(std::move(d)),
          strand(asio::make_strand(rt.io())),
          deadline(strand),
          resend(strand),
          udpSocket(strand),
          tcpSocket(strand) {}

    void finish(dfs_err_t st, uint32_t accept, std::string results) {
        if (finished.exchange(true)) {
            return;
        }
        boost::system::error_code ec;
        deadline.cancel();
        resend.cancel();
        udpSocket.close(ec);
        tcpSocket.close(ec);
        auto cb = std::move(done);
        auto task = [cb = std::move(cb), st, accept, results = std::move(results)]() mutable { cb(st, accept, std::move(results)); };
        if (runtime.workers().post(task) != WorkerPool::PostResult::ok) {
            log::warn("rpc_client", "completion_dropped", {{"prog", std::to_string(target.prog)}});
        }
    }

    void start() {
        boost::system::error_code ec;
        auto addr = asio::ip::make_address(target.address, ec);
        if (ec) {
            return finish(dfs_err_t{DFS_ERR_INVAL, 0}, 0, {});
        }
        deadline.expires_after(std::chrono::milliseconds(target.timeoutMs));
        deadline.async_wait([self = shared_from_this()](boost::system::error_code e) {
            if (!e) {
                self->finish(dfs_err_t{DFS_ERR_DELAY, 0}, 0, {});
            }
        });
        if (target.transport == DFS_RPC_TCP) {
            startTcp(tcp::endpoint(addr, static_cast<uint16_t>(target.port)));
        } else {
            startUdp(udp::endpoint(addr, static_cast<uint16_t>(target.port)));
        }
    }

    // UDP: send, then resend with backoff until a matching reply or the deadline.
    void startUdp(udp::endpoint ep) {
        boost::system::error_code ec;
        udpSocket.open(ep.protocol(), ec);
        if (ec) {
            return finish(dfs_err_t{DFS_ERR_IO, ec.value()}, 0, {});
        }
        peer = ep;
        buffer.resize(kMaxReply);
        receiveUdp();
        sendUdp(std::chrono::milliseconds(1000));
    }

    void sendUdp(std::chrono::milliseconds next) {
        if (finished) {
            return;
        }
        udpSocket.async_send_to(asio::buffer(record), peer, [](boost::system::error_code, size_t) {});
        resend.expires_after(next);
        resend.async_wait([self = shared_from_this(), next](boost::system::error_code e) {
            if (!e) {
                self->sendUdp(std::min(next * 2, std::chrono::milliseconds(4000)));
            }
        });
    }

    void receiveUdp() {
        udpSocket.async_receive_from(asio::buffer(buffer), from, [self = shared_from_this()](boost::system::error_code e, size_t n) {
            if (self->finished) {
                return;
            }
            if (e) {
                if (e == asio::error::connection_refused) {
                    // An ICMP refusal: nobody listens there yet; keep resending until the deadline.
                    self->receiveUdp();
                    return;
                }
                return self->finish(dfs_err_t{DFS_ERR_IO, e.value()}, 0, {});
            }
            self->onRecord(std::string_view(reinterpret_cast<const char*>(self->buffer.data()), n), true);
        });
    }

    void startTcp(tcp::endpoint ep) {
        tcpSocket.async_connect(ep, [self = shared_from_this()](boost::system::error_code e) {
            if (e) {
                return self->finish(dfs_err_t{DFS_ERR_IO, e.value()}, 0, {});
            }
            // (mark is free until the reply's first mark is read into it.)
            encodeRecordMark(self->mark, static_cast<uint32_t>(self->record.size()));
            const std::array<asio::const_buffer, 2> out{asio::buffer(self->mark), asio::buffer(self->record)};
            asio::async_write(self->tcpSocket, out, [self](boost::system::error_code e2, size_t) {
                if (e2) {
                    return self->finish(dfs_err_t{DFS_ERR_IO, e2.value()}, 0, {});
                }
                self->readMark();
            });
        });
    }

    void readMark() {
        asio::async_read(tcpSocket, asio::buffer(mark, 4), [self = shared_from_this()](boost::system::error_code e, size_t) {
            if (e) {
                return self->finish(dfs_err_t{DFS_ERR_IO, e.value()}, 0, {});
            }
            const RecordMark m = decodeRecordMark(self->mark);
            const size_t at = self->reply.size();
            if (at + m.len > kMaxReply) {
                return self->finish(dfs_err_t{DFS_ERR_IO, 0}, 0, {});
            }
            self->reply.resize(at + m.len);
            asio::async_read(self->tcpSocket, asio::buffer(self->reply.data() + at, m.len),
                             [self, last = m.last](boost::system::error_code e2, size_t) {
                                 if (e2) {
                                     return self->finish(dfs_err_t{DFS_ERR_IO, e2.value()}, 0, {});
                                 }
                                 if (!last) {
                                     return self->readMark();
                                 }
                                 self->onRecord(self->reply, false);
                             });
        });
    }

    void onRecord(std::string_view rec, bool udp) {
        ReplyHeader h;
        if (!decodeReply(rec, h) || h.xid != xid) {
            if (udp) {
                receiveUdp();  // a stray datagram: keep waiting for ours
                return;
            }
            return finish(dfs_err_t{DFS_ERR_IO, 0}, 0, {});
        }
        if (h.denied) {
            return finish(dfs_err_t{DFS_ERR_ACCES, 0}, 0, {});
        }
        finish(dfs_err_t{DFS_OK, 0}, h.acceptStat, std::string(h.results));
    }

    Runtime& runtime;
    CallTarget target;
    std::string record;
    uint32_t xid;
    CallDone done;
    std::atomic<bool> finished{false};
    // Every handler of this exchange runs on its strand: no two touch the sockets at once.
    asio::strand<asio::io_context::executor_type> strand;
    asio::steady_timer deadline;
    asio::steady_timer resend;
    udp::socket udpSocket;
    tcp::socket tcpSocket;
    udp::endpoint peer;
    udp::endpoint from;
    std::vector<uint8_t> buffer;
    uint8_t mark[4] = {};
    std::string reply;
};

}  // namespace

RpcClient::RpcClient(Runtime& runtime, uint32_t portmapPort)
    : runtime_(runtime), portmapPort_(portmapPort), nextXid_(static_cast<uint32_t>(std::time(nullptr)) * 2654435761u) {}

void RpcClient::send(const CallTarget& target, const CallAuth& auth, std::string args, CallDone done) {
    uint32_t xid = nextXid_++;
    auto ex = std::make_shared<Exchange>(runtime_, target, encodeCall(xid, target.prog, target.vers, target.proc, auth, args), xid, std::move(done));
    ex->start();
}

void RpcClient::call(const CallTarget& target, const CallAuth& auth, std::string args, CallDone done) {
    if (target.port != 0) {
        return send(target, auth, std::move(args), std::move(done));
    }
    // Ask the host's portmapper where the program listens, then call it.
    CallTarget pm = target;
    pm.transport = DFS_RPC_UDP;
    pm.port = portmapPort_;
    pm.prog = kPortmapProgram;
    pm.vers = 2;
    pm.proc = kPmapGetport;
    pm.timeoutMs = std::min<uint32_t>(target.timeoutMs, 5000);
    uint8_t q[16];
    xdr::Writer w(q, sizeof q);
    w.u32(target.prog);
    w.u32(target.vers);
    w.u32(target.transport == DFS_RPC_TCP ? kIpProtoTcp : kIpProtoUdp);
    w.u32(0);
    std::string query(reinterpret_cast<char*>(q), w.size());
    send(pm, CallAuth{false}, std::move(query),
         [this, target, auth, args = std::move(args), done = std::move(done)](dfs_err_t st, uint32_t accept,
                                                                              std::string results) mutable {
             xdr::Reader r(reinterpret_cast<const uint8_t*>(results.data()), results.size());
             uint32_t port = r.u32();
             if (st.code != DFS_OK || accept != DFS_RPC_SUCCESS || !r.ok() || port == 0 || port > 65535) {
                 log::debug("rpc_client", "portmap_lookup_failed",
                            {{"host", target.address}, {"prog", std::to_string(target.prog)}});
                 return done(st.code != DFS_OK ? st : dfs_err_t{DFS_ERR_NOENT, 0}, 0, {});
             }
             CallTarget t = target;
             t.port = port;
             send(t, auth, std::move(args), std::move(done));
         });
}

}  // namespace dfs::kernel::rpc
