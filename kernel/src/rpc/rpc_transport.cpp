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

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cerrno>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
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
// Pieces of replies per sendmsg, and the bytes one sendmsg is given at most (at least one
// piece whole).
constexpr size_t kMaxIov = 64;
constexpr size_t kRoundBytes = size_t{2} << 20;
// Replies from this size on whose bytes are copies wait for the connection's writer
// instead of queueing behind it, for kLargeReplyWait at most.
constexpr size_t kLargeReply = 64 * 1024;
constexpr std::chrono::milliseconds kLargeReplyWait{100};
// Queued reply bytes past which finished calls keep counting against the in-flight bound.
constexpr size_t kMaxQueuedBytes = size_t{16} << 20;
// Sent for padding and in place of lent bytes that fault (a file cut short meanwhile).
constexpr size_t kZeroBytes = 64 * 1024;
const uint8_t kZeros[kZeroBytes] = {};

// One piece of a queued reply: bytes held by `keep` (a reply buffer, lent bytes), or
// zeros (data null: padding, or lent bytes that faulted).
struct Piece {
    std::shared_ptr<const void> keep;
    const uint8_t* data = nullptr;
    size_t len = 0;
    bool lent = false;

    // With `probe`, lent bytes go no further than the end of their page: a fault is then
    // known to be at the first byte offered (pages fault whole; the kernel's copy into
    // the socket takes or refuses chunks whole, which may span pieces and pages).
    iovec iov(bool probe) const {
        if (data == nullptr) {
            return iovec{const_cast<uint8_t*>(kZeros), std::min(len, kZeroBytes)};
        }
        size_t n = len;
        if (probe && lent) {
            constexpr size_t kPage = 4096;
            n = std::min(n, kPage - reinterpret_cast<uintptr_t>(data) % kPage);
        }
        return iovec{const_cast<uint8_t*>(data), n};
    }
    void advance(size_t n) {
        if (data != nullptr) {
            data += n;
        }
        len -= n;
    }
};

// The pieces of a record, its record mark first (in the 4 bytes before `offset`).
void appendPieces(OutRecord& r, std::deque<Piece>& out) {
    const size_t pad = r.pad();
    out.push_back(Piece{r.buf, r.buf->data() + r.offset - 4, r.len + 4, false});
    if (r.lent) {
        const uint8_t* p = r.lent->data();
        const size_t n = static_cast<size_t>(r.lent->size());
        out.push_back(Piece{std::move(r.lent), p, n, true});
    }
    if (pad > 0) {
        out.push_back(Piece{nullptr, nullptr, pad, false});
    }
}

// What one non-blocking send managed.
struct SendResult {
    size_t bytes = 0;
    bool fault = false;   // EFAULT at the first byte not sent
    bool failed = false;  // the connection failed
};

// Writes the pieces' iovecs with sendmsg without blocking, waiting for room up to
// `waits` times (kSendWaitMs each) while the peer keeps reading. Advances `iov`.
SendResult sendSome(int fd, iovec* iov, size_t n, int waits) {
    SendResult r;
    int waited = 0;  // in a row without progress
    while (n > 0) {
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = n;
        ssize_t w = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0) {
            r.bytes += static_cast<size_t>(w);
            waited = 0;
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
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (waited == waits) {
                break;
            }
            // A large reply (READ) fills the socket buffer: the client is reading, so
            // wait briefly for room here rather than hand the rest to an I/O thread.
            ++waited;
            pollfd pfd{fd, POLLOUT, 0};
            if (::poll(&pfd, 1, kSendWaitMs) <= 0) {
                break;
            }
        } else {
            // EFAULT: sendmsg copies up to a fault and reports what it copied, so a call
            // that copied nothing faulted on its very first byte.
            (w < 0 && errno == EFAULT ? r.fault : r.failed) = true;
            break;
        }
    }
    return r;
}

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
    void send(OutRecord r) override {
        const size_t len = r.size();
        encodeRecordMark(r.buf->data() + r.offset - 4, static_cast<uint32_t>(len));
        std::unique_lock<std::mutex> g(writeMutex_);
        if (closed_) {
            return;
        }
        if (len >= kLargeReply && !r.lent) {
            // A large reply (READ data copied into it) waits for the writer to finish and
            // sends itself: workers that copy data faster than the socket drains it are
            // held back here, as the client's reading paces them, instead of spending the
            // CPU the writer needs on more copies. A client that stopped reading does not
            // hold the worker: after kLargeReplyWait the reply is queued. A reply of lent
            // bytes cost neither a copy nor memory to make, so it is queued at once, and
            // the writer sends one after another without handing over (measured: the
            // hand-overs between workers, not the copies, kept sequential READ below the
            // TCP ceiling).
            idle_.wait_for(g, kLargeReplyWait, [this] { return !writing_ || closed_; });
            if (closed_) {
                return;
            }
        }
        appendPieces(r, queue_);
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
    // Under writeMutex_: the queue is empty or abandoned, and no one writes it. Returns
    // what was left in it, for the caller to destroy once the mutex is released (releasing
    // lent bytes may unmap a file or drop a store).
    std::deque<Piece> stopWritingLocked() {
        std::deque<Piece> left = std::exchange(queue_, {});
        queuedBytes_.store(0, std::memory_order_relaxed);
        writing_ = false;
        probing_ = false;
        // One large reply waiting takes the writer role next; the others go on waiting
        // instead of all waking to find it taken. A close waits too (for inSyscall_).
        if (closed_) {
            idle_.notify_all();
        } else {
            idle_.notify_one();
        }
        releaseDeferredLocked();
        return left;
    }
    // Under writeMutex_: replies from now on are dropped; large replies waiting for the
    // writer and calls kept counted for a full queue are let go.
    void markClosedLocked() {
        closed_ = true;
        releaseDeferredLocked();
        idle_.notify_all();
    }
    // Under `g`, released on return: the connection failed. Replies are dropped and the
    // socket is closed (on the strand).
    void failLocked(std::unique_lock<std::mutex>& g) {
        closed_ = true;
        std::deque<Piece> dropped = stopWritingLocked();  // (wakes all: the connection is closed)
        g.unlock();
        asio::post(strand_, [self = shared_from_this()] { self->closeSocket(); });
    }
    void releaseDeferredLocked() {
        if (deferredDone_ > 0 && (queuedBytes_.load(std::memory_order_relaxed) <= kMaxQueuedBytes || closed_)) {
            finishCalls(std::exchange(deferredDone_, 0));
        }
    }

    // Under `g`, as the queue's writer: sends the queue, the mutex released during each
    // system call, until it is empty (and the writer role ends), the connection fails, or
    // the socket stops taking data (then the strand waits for room and goes on). Returns
    // with `g` released. Pieces sent are destroyed with the mutex released (releasing lent
    // bytes may unmap a file or drop a store). A worker waits a little for room while
    // the client reads (sendSome), so a connection that
    // streams replies keeps one worker writing them, as one thread would write a stream;
    // the queue only grows while workers answer calls, so it empties once they stop, and
    // a client that stops reading lets the worker go after kSendWaits. The strand never
    // waits inside a send.
    void writeQueue(std::unique_lock<std::mutex>& g) {
        const bool onStrand = strand_.running_in_this_thread();  // (the server's own errors come from it)
        std::vector<Piece> sent;  // destroyed with `g` released
        for (;;) {
            if (closed_ || queue_.empty()) {
                std::deque<Piece> left = stopWritingLocked();
                g.unlock();
                return;  // (`sent` goes now)
            }
            iovec iov[kMaxIov];
            size_t n = 0;
            size_t want = 0;
            for (const Piece& p : queue_) {
                iov[n] = p.iov(probing_);
                want += iov[n++].iov_len;
                if (n == kMaxIov || want >= kRoundBytes || probing_) {
                    break;
                }
            }
            inSyscall_ = true;
            g.unlock();
            sent.clear();
            SendResult result = sendSome(socket_.native_handle(), iov, n, onStrand ? 0 : kSendWaits);
            g.lock();
            inSyscall_ = false;
            if (closed_) {
                continue;  // (stopWritingLocked wakes the close waiting for this send)
            }
            for (size_t left = result.bytes; left > 0;) {
                Piece& p = queue_.front();
                if (left < p.len) {
                    p.advance(left);
                    break;
                }
                left -= p.len;
                probing_ = probing_ && !p.lent;  // probed through the piece that faulted
                sent.push_back(std::move(p));
                queue_.pop_front();
            }
            consumedLocked(result.bytes);
            if (result.fault && !probing_) {
                // Lent bytes of a file cut short since they were lent fault somewhere in
                // what was offered: offer one piece, and lent bytes one page, at a time.
                probing_ = true;
                continue;
            }
            if (result.fault && !queue_.empty() && queue_.front().lent && queue_.front().data != nullptr) {
                // The first byte offered faults: from there the lent bytes go out as
                // zeros, and the record stays whole.
                log::debug("rpc", "lent_bytes_faulted", {{"client", peer_}, {"bytes", std::to_string(queue_.front().len)}});
                queue_.front().data = nullptr;
                continue;
            }
            if (result.fault || result.failed) {
                if (result.fault) {
                    log::error("rpc", "send_fault", {{"client", peer_}});  // our own buffer: a bug
                }
                failLocked(g);
                return;
            }
            if (result.bytes < want) {
                break;  // the socket is full: the strand waits for room
            }
        }
        g.unlock();
        asio::post(strand_, [self = shared_from_this()] { self->writeNext(); });
    }

    // On the strand: waits until the socket takes data, then writes the queue on.
    void writeNext() {
        socket_.async_wait(tcp::socket::wait_write,
                           asio::bind_executor(strand_, [self = shared_from_this()](boost::system::error_code ec) {
                               std::unique_lock<std::mutex> g(self->writeMutex_);
                               if (ec) {
                                   self->failLocked(g);
                                   return;
                               }
                               self->writeQueue(g);
                           }));
    }

    // Closes under the write mutex, so no worker sends on a descriptor number that a new
    // connection may already have been given.
    void closeSocket() {
        std::unique_lock<std::mutex> g(writeMutex_);
        markClosedLocked();
        // A worker's send in progress ends at once on a shut-down socket (the descriptor
        // stays ours until close), instead of waiting for a slow client to read.
        boost::system::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        idle_.wait(g, [this] { return !inSyscall_; });
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
    std::deque<Piece> queue_;
    bool writing_ = false;  // a worker or the strand writes the queue
    bool probing_ = false;  // locating a fault of lent bytes (Piece::iov)
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
    void send(OutRecord r) override;
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

    // One datagram. A datagram is small: lent bytes are copied into it, through a pipe so
    // that the kernel does the reading and a fault (a file cut short since) ends the copy
    // with EFAULT instead of SIGBUS; what faulted is sent as zeros.
    void sendTo(const udp::endpoint& to, const OutRecord& r) {
        Bytes lent;  // the lent bytes and the padding
        if (r.lent) {
            const auto n = static_cast<size_t>(r.lent->size());
            lent.resize(n + r.pad());
            const size_t copied = copyLent(lent.data(), r.lent->data(), n);
            std::memset(lent.data() + copied, 0, lent.size() - copied);
            if (copied < n) {
                log::debug("rpc", "lent_bytes_faulted", {{"transport", "udp"}, {"bytes", std::to_string(n - copied)}});
            }
        }
        const std::array<asio::const_buffer, 2> dgram{asio::buffer(r.buf->data() + r.offset, r.len),
                                                      asio::buffer(lent.data(), lent.size())};
        std::lock_guard<std::mutex> g(sendMutex_);
        boost::system::error_code ec;
        socket_.send_to(dgram, to, 0, ec);
        if (ec) {
            log::debug("rpc", "udp_send_failed", {{"error", ec.message()}});
        }
    }

    // Copies up to n lent bytes by writing them into a pipe and reading them back; stops
    // at the first byte that faults (the write's EFAULT). Returns the count copied.
    static size_t copyLent(uint8_t* dst, const uint8_t* src, size_t n) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
            return 0;
        }
        size_t done = 0;
        bool more = true;
        while (more && done < n) {
            const ssize_t w = ::write(fds[1], src + done, std::min(n - done, kZeroBytes));
            more = w > 0;
            for (ssize_t left = w; more && left > 0;) {
                const ssize_t k = ::read(fds[0], dst + done, static_cast<size_t>(left));
                more = k > 0;
                if (more) {
                    left -= k;
                    done += static_cast<size_t>(k);
                }
            }
        }
        ::close(fds[0]);
        ::close(fds[1]);
        return done;
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

void UdpPeer::send(OutRecord r) { listener_->sendTo(endpoint_, r); }

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
