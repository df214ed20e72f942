#include "rpc_transport.hpp"

#include "../log.hpp"
#include "../runtime.hpp"
#include "rpc_server.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cerrno>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <vector>

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

namespace dfs::kernel::rpc {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

std::atomic<uint64_t> gNextId{1};
constexpr uint32_t kMaxFragments = 4096;
// What one read of a connection asks for.
constexpr size_t kReadChunk = 64 * 1024;
// How long a worker waits, a few times at most, for room in the socket to finish a reply
// itself before the rest goes to the connection's I/O thread.
constexpr int kSendWaits = 8;
constexpr int kSendWaitMs = 2;
// Replies per sendmsg, and sendmsg rounds a worker makes for the queue before the rest
// goes to the connection's I/O thread.
constexpr size_t kMaxIov = 64;
constexpr int kWriteRounds = 4;
// Bytes a worker's round gathers at most (a round takes at least one reply whole): a few
// large READ replies per round, so a worker is not kept writing others' replies for long.
constexpr size_t kRoundBytes = size_t{2} << 20;
// Replies from this size on wait for the connection's writer instead of queueing behind
// it, for kLargeReplyWait at most.
constexpr size_t kLargeReply = 64 * 1024;
constexpr std::chrono::milliseconds kLargeReplyWait{100};
// Queued reply bytes past which finished calls keep counting against the in-flight bound.
constexpr size_t kMaxQueuedBytes = size_t{16} << 20;

bool bindAddress(const std::string& bind, asio::ip::address& out, std::string& error) {
    boost::system::error_code ec;
    out = asio::ip::make_address(bind, ec);
    if (ec) {
        error = "bad bind address '" + bind + "'";
        return false;
    }
    return true;
}

std::string addressString(const asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
    }
    return a.to_string();
}

class TcpConnection : public Sender, public std::enable_shared_from_this<TcpConnection> {
public:
    TcpConnection(tcp::socket s, RpcServer& server, uint32_t maxRecord, uint32_t maxInFlight)
        : socket_(std::move(s)),
          strand_(asio::make_strand(socket_.get_executor())),
          server_(server),
          maxRecord_(maxRecord),
          maxInFlight_(maxInFlight),
          id_(gNextId++) {
        boost::system::error_code ec;
        auto re = socket_.remote_endpoint(ec);
        if (!ec) {
            peer_ = addressString(re.address());
        }
        auto le = socket_.local_endpoint(ec);
        if (!ec) {
            local_ = addressString(le.address());
        }
        socket_.set_option(tcp::no_delay(true), ec);
    }

    void start() {
        asio::dispatch(strand_, [self = shared_from_this()] { self->readMore(); });
    }

    // Replies from now on are dropped and workers waiting to send are released at once;
    // the socket itself is closed on the strand.
    void close() {
        {
            std::lock_guard<std::mutex> g(writeMutex_);
            markClosedLocked();
        }
        asio::post(strand_, [self = shared_from_this()] { self->closeSocket(); });
    }

    // Replies go out in the order they are queued. A worker queues its reply; when no one
    // is writing the queue already, it writes the queue itself (non-blocking sends with
    // the mutex released, several replies per sendmsg), so a small reply costs no hand-off
    // to an I/O thread and waits for no other worker's send: whoever writes takes the
    // replies queued meanwhile along. (Large replies are the exception, below.) What the
    // socket does not take at once goes to the strand (writeNext).
    void send(std::shared_ptr<Bytes> buf, size_t offset, size_t len) override {
        encodeRecordMark(buf->data() + offset - 4, static_cast<uint32_t>(len));
        std::unique_lock<std::mutex> g(writeMutex_);
        if (closed_) {
            return;
        }
        if (len >= kLargeReply) {
            // A large reply (READ data) waits for the writer to finish and sends itself:
            // workers that produce large replies faster than the socket drains them are
            // held back here, as the client's reading paces them. A client that stopped
            // reading does not hold the worker: after kLargeReplyWait the reply is queued.
            idle_.wait_for(g, kLargeReplyWait, [this] { return !writing_ || closed_; });
            if (closed_) {
                return;
            }
        }
        queue_.push_back(Out{std::move(buf), offset - 4, len + 4});
        queuedBytes_.fetch_add(len + 4, std::memory_order_relaxed);
        if (writing_) {
            return;  // the writer takes it along
        }
        writing_ = true;
        writeQueue(g);
    }

    // Off the strand: only a call that brings the connection back under its in-flight
    // bound while reading is paused needs the strand (see endFragment for the other half).
    // A call whose reply waits in a queue past kMaxQueuedBytes (the client is not reading
    // what it asked for) stays counted until the queue drains, so reading pauses at the
    // in-flight bound instead of queueing replies without limit.
    void callDone() override {
        if (queuedBytes_.load(std::memory_order_relaxed) > kMaxQueuedBytes) {
            std::lock_guard<std::mutex> g(writeMutex_);
            if (!closed_ && queuedBytes_.load(std::memory_order_relaxed) > kMaxQueuedBytes) {
                ++deferredDone_;
                return;
            }
        }
        finishCalls(1);
    }

    void finishCalls(uint32_t n) {
        uint32_t left = inFlight_.fetch_sub(n) - n;
        if (left < maxInFlight_ && paused_.load()) {
            asio::post(strand_, [self = shared_from_this()] { self->resume(); });
        }
    }

    dfs_rpc_transport_t transport() const override { return DFS_RPC_TCP; }
    const std::string& peerAddress() const override { return peer_; }
    const std::string& localAddress() const override { return local_; }
    uint64_t id() const override { return id_; }

private:
    struct Out {
        std::shared_ptr<Bytes> buf;
        size_t offset = 0;
        size_t len = 0;
    };

    // Reading (on the strand): bytes arrive in rbuf_, a chunk per read, and are cut into
    // records there, so one read delivers every small call the client has sent (two
    // reads per call, mark then body, would cost a system call and a completion each).
    // The rest of a fragment larger than what is buffered is read straight into its
    // record, so a large WRITE is not copied twice.
    void readMore() {
        if (rpos_ > 0) {
            std::memmove(rbuf_.data(), rbuf_.data() + rpos_, rlen_);
            rpos_ = 0;
        }
        socket_.async_read_some(asio::buffer(rbuf_.data() + rlen_, rbuf_.size() - rlen_),
                                asio::bind_executor(strand_, [self = shared_from_this()](boost::system::error_code ec,
                                                                                        size_t n) {
                                    if (ec) {
                                        return;  // closed by the peer or by us
                                    }
                                    self->rlen_ += n;
                                    self->parse();
                                }));
    }

    // Cuts the buffered bytes into fragments and records; reads more when they run out,
    // except while paused (what is buffered waits for resume()).
    void parse() {
        for (;;) {
            if (fragLeft_ == 0) {
                if (rlen_ < 4) {
                    break;
                }
                RecordMark m = decodeRecordMark(rbuf_.data() + rpos_);
                rpos_ += 4;
                rlen_ -= 4;
                if (!startFragment(m.len, m.last)) {
                    return;
                }
                if (fragLeft_ == 0 && !endFragment()) {
                    return;  // an empty fragment
                }
                continue;
            }
            const size_t take = std::min<size_t>(rlen_, fragLeft_);
            std::memcpy(record_->data() + record_->size() - fragLeft_, rbuf_.data() + rpos_, take);
            rpos_ += take;
            rlen_ -= take;
            fragLeft_ -= static_cast<uint32_t>(take);
            if (fragLeft_ > 0) {
                if (fragLeft_ >= rbuf_.size() / 2) {
                    asio::async_read(socket_, asio::buffer(record_->data() + record_->size() - fragLeft_, fragLeft_),
                                     asio::bind_executor(strand_, [self = shared_from_this()](
                                                                      boost::system::error_code ec, size_t) {
                                         if (ec) {
                                             return;
                                         }
                                         self->fragLeft_ = 0;
                                         if (self->endFragment()) {
                                             self->parse();
                                         }
                                     }));
                    return;
                }
                break;  // the buffer is empty: read the rest into it
            }
            if (!endFragment()) {
                return;
            }
        }
        readMore();
    }

    // A fragment of `len` bytes begins: makes room for it in the record. False when the
    // record would be too large (the connection is closed).
    bool startFragment(uint32_t len, bool last) {
        if (!record_) {
            record_ = std::make_shared<Bytes>();
            fragments_ = 0;
        }
        if (uint64_t{record_->size()} + len > maxRecord_ || ++fragments_ > kMaxFragments) {
            log::warn("rpc", "record_too_large",
                      {{"client", peer_}, {"bytes", std::to_string(uint64_t{record_->size()} + len)},
                       {"max", std::to_string(maxRecord_)}});
            closeSocket();
            return false;
        }
        record_->resize(record_->size() + len);
        fragLeft_ = len;
        fragLast_ = last;
        return true;
    }

    // The current fragment is complete; the last one of a record hands the record to the
    // server. False when reading must stop here: paused at the in-flight bound.
    bool endFragment() {
        if (!fragLast_) {
            return true;
        }
        auto rec = std::move(record_);
        ++inFlight_;
        server_.onRecord(shared_from_this(), std::move(rec));
        if (inFlight_.load() >= maxInFlight_) {
            // Paused until callDone() brings the count down. A call that finished between
            // the check above and the flag did not see it set: look again.
            paused_.store(true);
            if (inFlight_.load() >= maxInFlight_ || !paused_.exchange(false)) {
                return false;
            }
        }
        return true;
    }

    // On the strand, posted by callDone().
    void resume() {
        if (inFlight_.load() < maxInFlight_ && paused_.exchange(false)) {
            parse();
        }
    }

    // Under writeMutex_: `bytes` of the queue were written.
    void consumedLocked(size_t bytes) {
        queuedBytes_.fetch_sub(bytes, std::memory_order_relaxed);
        releaseDeferredLocked();
    }
    // Under writeMutex_: the queue is empty or abandoned, and no one writes it.
    void stopWritingLocked() {
        queue_.clear();
        queuedBytes_.store(0, std::memory_order_relaxed);
        writing_ = false;
        idle_.notify_all();
        releaseDeferredLocked();
    }
    // Under writeMutex_: replies from now on are dropped; large replies waiting for the
    // writer and calls kept counted for a full queue are let go.
    void markClosedLocked() {
        closed_ = true;
        releaseDeferredLocked();
        idle_.notify_all();
    }
    void releaseDeferredLocked() {
        if (deferredDone_ > 0 && (queuedBytes_.load(std::memory_order_relaxed) <= kMaxQueuedBytes || closed_)) {
            finishCalls(std::exchange(deferredDone_, 0));
        }
    }

    // Under `g`, as the queue's writer: sends the queue, the mutex released during each
    // system call, until it is empty (and the writer role ends) or the socket stops taking
    // data (and the strand takes the role over). Rounds are bounded, so a worker does not
    // keep writing other workers' replies forever.
    void writeQueue(std::unique_lock<std::mutex>& g) {
        for (int round = 0;; ++round) {
            if (closed_ || queue_.empty()) {
                stopWritingLocked();
                return;
            }
            if (round == kWriteRounds) {
                break;
            }
            iovec iov[kMaxIov];
            size_t n = 0;
            size_t want = 0;
            for (const Out& o : queue_) {
                iov[n++] = iovec{o.buf->data() + o.offset, o.len};
                want += o.len;
                if (n == kMaxIov || want >= kRoundBytes) {
                    break;
                }
            }
            inSyscall_ = true;
            g.unlock();
            size_t sent = sendNow(iov, n);
            g.lock();
            inSyscall_ = false;
            if (closed_) {
                continue;  // (stopWritingLocked wakes the close waiting for this send)
            }
            for (size_t left = sent; left > 0;) {
                Out& o = queue_.front();
                if (left < o.len) {
                    o.offset += left;
                    o.len -= left;
                    break;
                }
                left -= o.len;
                queue_.pop_front();
            }
            consumedLocked(sent);
            if (sent < want) {
                break;  // the socket is full: the strand waits for room
            }
        }
        g.unlock();
        asio::post(strand_, [self = shared_from_this()] { self->writeNext(); });
    }

    // Writes what the socket takes without blocking, waiting briefly for room while the
    // client keeps reading; returns the byte count (short when the socket stopped taking
    // data or has failed: a failed connection is closed by its reader). Advances `iov`.
    size_t sendNow(iovec* iov, size_t n) {
        size_t done = 0;
        int waits = 0;  // in a row without progress
        while (n > 0) {
            msghdr msg{};
            msg.msg_iov = iov;
            msg.msg_iovlen = n;
            ssize_t w = ::sendmsg(socket_.native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (w > 0) {
                done += static_cast<size_t>(w);
                waits = 0;
                for (auto k = static_cast<size_t>(w); k > 0;) {
                    if (k < iov->iov_len) {
                        iov->iov_base = static_cast<uint8_t*>(iov->iov_base) + k;
                        iov->iov_len -= k;
                        break;
                    }
                    k -= iov->iov_len;
                    ++iov;
                    --n;
                }
            } else if (w < 0 && errno == EINTR) {
                continue;
            } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && waits < kSendWaits) {
                // A large reply (READ) fills the socket buffer: the client is reading, so
                // wait briefly for room here rather than hand the rest to an I/O thread.
                ++waits;
                pollfd pfd{socket_.native_handle(), POLLOUT, 0};
                if (::poll(&pfd, 1, kSendWaitMs) <= 0) {
                    break;
                }
            } else {
                break;
            }
        }
        return done;
    }

    // On the strand: writes the queue until it is empty.
    void writeNext() {
        std::vector<asio::const_buffer> bufs;
        {
            std::lock_guard<std::mutex> g(writeMutex_);
            if (queue_.empty() || closed_) {
                stopWritingLocked();
                return;
            }
            for (const Out& o : queue_) {
                bufs.emplace_back(o.buf->data() + o.offset, o.len);
                if (bufs.size() == kMaxIov) {
                    break;
                }
            }
        }
        const size_t count = bufs.size();
        asio::async_write(socket_, bufs,
                          asio::bind_executor(strand_, [self = shared_from_this(), count](boost::system::error_code ec,
                                                                                         size_t written) {
                              {
                                  std::lock_guard<std::mutex> g(self->writeMutex_);
                                  if (ec) {
                                      self->stopWritingLocked();
                                      return;
                                  }
                                  self->queue_.erase(self->queue_.begin(),
                                                     self->queue_.begin() + static_cast<std::ptrdiff_t>(count));
                                  self->consumedLocked(written);
                              }
                              self->writeNext();
                          }));
    }

    // Closes under the write mutex, so no worker sends on a descriptor number that a new
    // connection may already have been given.
    void closeSocket() {
        std::unique_lock<std::mutex> g(writeMutex_);
        markClosedLocked();
        idle_.wait(g, [this] { return !inSyscall_; });  // a worker's send in progress
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

    tcp::socket socket_;
    asio::strand<tcp::socket::executor_type> strand_;
    RpcServer& server_;
    uint32_t maxRecord_;
    uint32_t maxInFlight_;
    uint64_t id_;
    std::string peer_;
    std::string local_;
    Bytes rbuf_ = Bytes(kReadChunk);
    size_t rpos_ = 0;  // unparsed bytes: rbuf_[rpos_, rpos_ + rlen_)
    size_t rlen_ = 0;
    std::shared_ptr<Bytes> record_;  // the record being read
    uint32_t fragments_ = 0;
    uint32_t fragLeft_ = 0;  // bytes of the current fragment still to come
    bool fragLast_ = false;
    // Calls handed to the server and not yet done; reading pauses at maxInFlight_.
    std::atomic<uint32_t> inFlight_{0};
    std::atomic<bool> paused_{false};
    // The reply queue, shared by the workers (send) and the strand (writeNext).
    std::mutex writeMutex_;
    std::deque<Out> queue_;
    bool writing_ = false;  // a worker or the strand writes the queue
    std::atomic<size_t> queuedBytes_{0};  // written under writeMutex_
    uint32_t deferredDone_ = 0;  // calls done whose completion waits for the queue to drain
    bool inSyscall_ = false;  // a worker sends with the mutex released
    std::condition_variable idle_;
    bool closed_ = false;
};

class TcpListener : public Listener, public std::enable_shared_from_this<TcpListener> {
public:
    TcpListener(Runtime& rt, RpcServer& server, uint32_t maxRecord, uint32_t maxInFlight)
        : acceptor_(rt.io()), server_(server), maxRecord_(maxRecord), maxInFlight_(maxInFlight) {}

    bool open(const std::string& bind, uint32_t port, std::string& error) {
        asio::ip::address addr;
        if (!bindAddress(bind, addr, error)) {
            return false;
        }
        boost::system::error_code ec;
        tcp::endpoint ep(addr, static_cast<uint16_t>(port));
        acceptor_.open(ep.protocol(), ec);
        if (!ec) {
            acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
            acceptor_.bind(ep, ec);
        }
        if (!ec) {
            acceptor_.listen(asio::socket_base::max_listen_connections, ec);
        }
        if (ec) {
            error = "tcp " + bind + ":" + std::to_string(port) + ": " + ec.message();
            return false;
        }
        port_ = acceptor_.local_endpoint().port();
        return true;
    }

    void accept() {
        acceptor_.async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket s) {
            if (ec) {
                if (ec != asio::error::operation_aborted) {
                    log::warn("rpc", "accept_failed", {{"error", ec.message()}});
                    self->accept();
                }
                return;
            }
            auto c = std::make_shared<TcpConnection>(std::move(s), self->server_, self->maxRecord_, self->maxInFlight_);
            {
                std::lock_guard<std::mutex> g(self->mutex_);
                self->connections_.remove_if([](const std::weak_ptr<TcpConnection>& w) { return w.expired(); });
                self->connections_.push_back(c);
            }
            c->start();
            self->accept();
        });
    }

    uint32_t port() const override { return port_; }

    void close() override {
        asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
            boost::system::error_code ec;
            self->acceptor_.close(ec);
        });
        std::lock_guard<std::mutex> g(mutex_);
        for (auto& w : connections_) {
            if (auto c = w.lock()) {
                c->close();
            }
        }
        connections_.clear();
    }

private:
    tcp::acceptor acceptor_;
    RpcServer& server_;
    uint32_t maxRecord_;
    uint32_t maxInFlight_;
    uint32_t port_ = 0;
    std::mutex mutex_;
    std::list<std::weak_ptr<TcpConnection>> connections_;
};

class UdpListener;

class UdpPeer : public Sender {
public:
    UdpPeer(std::shared_ptr<UdpListener> l, udp::endpoint ep, std::string local);
    void send(std::shared_ptr<Bytes> buf, size_t offset, size_t len) override;
    dfs_rpc_transport_t transport() const override { return DFS_RPC_UDP; }
    const std::string& peerAddress() const override { return peer_; }
    const std::string& localAddress() const override { return local_; }
    uint64_t id() const override { return id_; }

private:
    std::shared_ptr<UdpListener> listener_;
    udp::endpoint endpoint_;
    std::string peer_;
    std::string local_;
    uint64_t id_;
};

class UdpListener : public Listener, public std::enable_shared_from_this<UdpListener> {
public:
    UdpListener(Runtime& rt, RpcServer& server, uint32_t maxDatagram)
        : socket_(rt.io()), server_(server), buffer_(std::min<uint32_t>(maxDatagram, 65535)) {}

    bool open(const std::string& bind, uint32_t port, std::string& error) {
        asio::ip::address addr;
        if (!bindAddress(bind, addr, error)) {
            return false;
        }
        boost::system::error_code ec;
        udp::endpoint ep(addr, static_cast<uint16_t>(port));
        socket_.open(ep.protocol(), ec);
        if (!ec) {
            socket_.bind(ep, ec);
        }
        if (ec) {
            error = "udp " + bind + ":" + std::to_string(port) + ": " + ec.message();
            return false;
        }
        port_ = socket_.local_endpoint().port();
        local_ = addressString(socket_.local_endpoint().address());
        return true;
    }

    void receive() {
        socket_.async_receive_from(asio::buffer(buffer_), from_,
                                   [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                                       if (ec == asio::error::operation_aborted || !self->socket_.is_open()) {
                                           return;
                                       }
                                       if (!ec) {
                                           auto rec = std::make_shared<Bytes>(
                                               self->buffer_.begin(), self->buffer_.begin() + static_cast<std::ptrdiff_t>(n));
                                           auto peer = std::make_shared<UdpPeer>(self, self->from_, self->local_);
                                           self->server_.onRecord(peer, std::move(rec));
                                       }
                                       self->receive();
                                   });
    }

    void sendTo(const udp::endpoint& to, const uint8_t* p, size_t n) {
        std::lock_guard<std::mutex> g(sendMutex_);
        boost::system::error_code ec;
        socket_.send_to(asio::buffer(p, n), to, 0, ec);
        if (ec) {
            log::debug("rpc", "udp_send_failed", {{"error", ec.message()}});
        }
    }

    uint32_t port() const override { return port_; }
    void close() override {
        asio::post(socket_.get_executor(), [self = shared_from_this()] {
            boost::system::error_code ec;
            self->socket_.close(ec);
        });
    }

private:
    udp::socket socket_;
    RpcServer& server_;
    std::vector<uint8_t> buffer_;
    udp::endpoint from_;
    uint32_t port_ = 0;
    std::string local_;
    std::mutex sendMutex_;
};

UdpPeer::UdpPeer(std::shared_ptr<UdpListener> l, udp::endpoint ep, std::string local)
    : listener_(std::move(l)), endpoint_(ep), peer_(addressString(ep.address())), local_(std::move(local)), id_(0) {}

void UdpPeer::send(std::shared_ptr<Bytes> buf, size_t offset, size_t len) {
    listener_->sendTo(endpoint_, buf->data() + offset, len);
}

}  // namespace

std::shared_ptr<Listener> makeTcpListener(Runtime& rt, RpcServer& server, const std::string& bind, uint32_t port,
                                          uint32_t maxRecord, uint32_t maxInFlight, std::string& error) {
    auto l = std::make_shared<TcpListener>(rt, server, maxRecord, maxInFlight);
    if (!l->open(bind, port, error)) {
        return nullptr;
    }
    l->accept();
    return l;
}

std::shared_ptr<Listener> makeUdpListener(Runtime& rt, RpcServer& server, const std::string& bind, uint32_t port,
                                          uint32_t maxDatagram, std::string& error) {
    auto l = std::make_shared<UdpListener>(rt, server, maxDatagram);
    if (!l->open(bind, port, error)) {
        return nullptr;
    }
    l->receive();
    return l;
}

}  // namespace dfs::kernel::rpc
