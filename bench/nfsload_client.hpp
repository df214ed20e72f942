// The NFSv3 client side of nfsload: one mounted libnfs context per connection, a poll loop
// that services several of them, and a blocking helper for the few set-up calls.
//
// Workloads issue raw NFSv3 calls (rpc_nfs3_*_async) rather than libnfs's POSIX-like layer,
// so that the wire traffic is exactly what the benchmark says it is: one WRITE of the block
// size per request, UNSTABLE until the final COMMIT, no read-ahead, no attribute cache.
#pragma once

// libnfs.h first: it defines EXTERN, which the raw headers use.
#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-nfs.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace nfsload {

using Clock = std::chrono::steady_clock;

// A file handle owned by the benchmark; `fh3()` lends it to libnfs for one call (libnfs
// encodes the arguments before the call returns, so the view need not outlive the call).
class FileHandle {
public:
    FileHandle() = default;
    FileHandle(const char* data, size_t len) : bytes_(data, data + len) {}
    static FileHandle fromFh3(const nfs_fh3& fh) { return FileHandle(fh.data.data_val, fh.data.data_len); }

    bool empty() const { return bytes_.empty(); }
    nfs_fh3 fh3() {
        nfs_fh3 fh{};
        fh.data.data_len = static_cast<u_int>(bytes_.size());
        fh.data.data_val = bytes_.data();
        return fh;
    }

private:
    std::vector<char> bytes_;
};

// One NFSv3 connection: an nfs_context mounted from an nfs:// URL (nfsport=, mountport=,
// version=3 are honoured by libnfs), plus the export's root handle.
class Connection {
public:
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Mounts `url`; on failure returns null and sets `error`.
    static std::unique_ptr<Connection> open(const std::string& url, std::string& error);
    // A bare connection to program `prog` version `vers` at host:port (NLM), no mount:
    // root() is empty and only rpc() is usable.
    static std::unique_ptr<Connection> openProgram(const std::string& host, int port, int prog, int vers,
                                                   std::string& error);

    nfs_context* nfs() { return nfs_; }
    rpc_context* rpc() { return nfs_ != nullptr ? nfs_get_rpc_context(nfs_) : rpc_; }
    FileHandle& root() { return root_; }
    // What the server's FSINFO allows, as libnfs negotiated it at mount.
    uint64_t readMax() const { return readMax_; }
    uint64_t writeMax() const { return writeMax_; }

    // After a failed run with calls still in flight: the destructor then leaves the
    // context alone, because destroying it would run those calls' callbacks against
    // workload state that is already gone. The process exits soon after.
    void abandon() { abandoned_ = true; }

private:
    Connection() = default;

    nfs_context* nfs_ = nullptr;
    rpc_context* rpc_ = nullptr;  // openProgram's context (nfs_ is null then)
    FileHandle root_;
    uint64_t readMax_ = 0;
    uint64_t writeMax_ = 0;
    bool abandoned_ = false;
};

using ConnectionPtr = std::unique_ptr<Connection>;

// Services `conns` until `done()` is true or `deadline` passes. Returns false (with
// `error`) if a socket failed; a passed deadline is not an error, the caller checks it.
bool runLoop(const std::vector<Connection*>& conns, const std::function<bool()>& done,
             Clock::time_point deadline, std::string& error);

// Issues one call through `issue(cb, private_data)` and waits for its reply (30 s).
// `onReply(status, data)` runs inside the libnfs callback, while `data` is still valid.
// Used only for set-up (MKDIR, LOOKUP, CREATE of the test file), never in timed loops.
bool callSync(Connection& conn, const std::function<int(rpc_cb, void*)>& issue,
              const std::function<void(int, void*)>& onReply, std::string& error);

// Set-up calls, each through callSync; false with `error` on any failure.
// LOOKUP `name` in `dir`; `size` (if given) gets the object's size when the reply has it.
bool lookup(Connection& conn, FileHandle& dir, const std::string& name, FileHandle& out, uint64_t* size,
            std::string& error);
// MKDIR `name` in the export root, or LOOKUP it when it exists already.
bool makeDir(Connection& conn, const std::string& name, FileHandle& out, std::string& error);
// CREATE `name` in the export root, UNCHECKED with size 0: the file starts empty each run.
bool createEmpty(Connection& conn, const std::string& name, FileHandle& out, std::string& error);
// COMMIT the whole file (offset 0, count 0).
bool commitAll(Connection& conn, FileHandle& file, std::string& error);

// The host part of an nfs:// URL ("127.0.0.1" of nfs://127.0.0.1/export?...).
std::string hostOf(const std::string& url);

// "NFS3ERR_NOENT(2)" and similar, for messages.
std::string statusName(int nfsstat);

}  // namespace nfsload
