// skeleton_store: the smallest complete DittoFS block store, to copy and change.
//
// A block store keeps the bytes of each regular file of a share, keyed by a 64-bit
// object id (the inode number). The kernel calls it after it has checked permissions
// and locks, from many threads at once; the store only keeps bytes consistent and
// durable. The contract of every method is the slot of the same name in
// <dittofs/abi/store.h>; the conformance kit (ctest in this build) checks it.
//
// This store keeps one plain file per object, <root>/<id in hex>, and implements only
// the methods every store must have, plus flush (see below). The optional methods
// (punch_hole, allocate, seek, clone, statfs) fall back to the SDK's documented
// defaults: zeros are written instead of punching holes, the whole object counts as
// data, clones are copied through read/write. Override them when your backend can do
// better; plugins/stores/localfs in the DittoFS tree shows how.
//
// Config (the store's table in the kernel's config file):
//   root      where the object files live; a relative path is taken from data_dir
//   data_dir  the kernel's data directory (always passed by the kernel)
#include <dittofs/cpp/store.hpp>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

// Closes a descriptor when it goes out of scope, on every return path.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    bool ok() const { return fd_ >= 0; }

private:
    int fd_;
};

// Errors go back to the kernel as {status, errno}; dfs::errnoError maps the errno.
dfs::Error lastError() { return dfs::errnoError(errno); }

class SkeletonStore : public dfs::BlockStore {
public:
    explicit SkeletonStore(std::string root) : root_(std::move(root)) {}

    // Called once per instance with the store's config. Exceptions are allowed here
    // (the SDK turns them into an error), but not on the request path below: there,
    // report errors as dfs::Status / dfs::Result values.
    static dfs::Result<std::unique_ptr<SkeletonStore>> open(const dfs::Host& host, const dfs::Config& cfg) {
        std::string root = cfg.get("root");
        if (root.empty()) {
            host.error("skeleton: the config needs a root directory");
            return dfs::makeError(DFS_ERR_INVAL);
        }
        if (root.front() != '/' && cfg.has("data_dir")) {
            root = cfg.get("data_dir") + "/" + root;
        }
        if (::mkdir(root.c_str(), 0755) != 0 && errno != EEXIST) {
            host.error("skeleton: cannot create " + root);
            return lastError();
        }
        return std::make_unique<SkeletonStore>(root);
    }

    // An absent object reads as empty: that is not an error.
    dfs::Result<uint64_t> read(uint64_t obj, uint64_t offset, dfs_buf_t buf) override {
        Fd fd(::open(path(obj).c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd.ok()) {
            return errno == ENOENT ? dfs::Result<uint64_t>(uint64_t{0}) : dfs::Result<uint64_t>(lastError());
        }
        // One pread is enough: the kernel calls again for the rest after a short read.
        ssize_t n;
        do {
            n = ::pread(fd.get(), buf.ptr, buf.len, static_cast<off_t>(offset));
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
            return lastError();
        }
        return static_cast<uint64_t>(n);
    }

    // Writes all of data; the first write creates the object.
    dfs::Status write(uint64_t obj, uint64_t offset, dfs_bytes_t data, dfs_stable_t stable) override {
        // Refuse what cannot fit before touching the file: a failed call must change
        // nothing, and some file systems would write part of it first.
        if (offset > DFS_MAX_FILE_SIZE || data.len > DFS_MAX_FILE_SIZE - offset) {
            return dfs::makeError(DFS_ERR_FBIG, EFBIG);
        }
        Fd fd(::open(path(obj).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
        if (!fd.ok()) {
            return lastError();
        }
        // pwrite may write less than asked (signals, quotas): loop until all is written.
        for (uint64_t done = 0; done < data.len;) {
            ssize_t n = ::pwrite(fd.get(), data.ptr + done, data.len - done, static_cast<off_t>(offset + done));
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return n < 0 ? lastError() : dfs::makeError(DFS_ERR_IO, EIO);
            }
            done += static_cast<uint64_t>(n);
        }
        // DATA_SYNC and FILE_SYNC writes must be on stable storage when we return.
        if (stable != DFS_UNSTABLE) {
            return syncFile(fd.get());
        }
        return dfs::okStatus();
    }

    // Sets the length; growing reads as zeros (ftruncate does that for us).
    dfs::Status truncate(uint64_t obj, uint64_t size) override {
        if (size > DFS_MAX_FILE_SIZE) {
            return dfs::makeError(DFS_ERR_FBIG, EFBIG);
        }
        Fd fd(::open(path(obj).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
        if (!fd.ok() || ::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
            return lastError();
        }
        return dfs::okStatus();
    }

    dfs::Result<uint64_t> size(uint64_t obj) override {
        struct stat st {};
        if (::stat(path(obj).c_str(), &st) != 0) {
            return errno == ENOENT ? dfs::Result<uint64_t>(uint64_t{0}) : dfs::Result<uint64_t>(lastError());
        }
        return static_cast<uint64_t>(st.st_size);
    }

    // Removing an absent object is not an error either.
    dfs::Status remove(uint64_t obj) override {
        if (::unlink(path(obj).c_str()) != 0 && errno != ENOENT) {
            return lastError();
        }
        return dfs::okStatus();
    }

    // Optional in the table, but its default (do nothing) is only right for stores that
    // keep nothing: a store on disk must make unstable writes durable here (NFS COMMIT,
    // SMB FLUSH).
    dfs::Status flush(uint64_t obj) override {
        Fd fd(::open(path(obj).c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd.ok()) {
            return errno == ENOENT ? dfs::okStatus() : dfs::Status(lastError());
        }
        return syncFile(fd.get());
    }

private:
    std::string path(uint64_t obj) const {
        // One flat directory keeps the example short; a production store spreads
        // objects over subdirectories so no directory grows without bound.
        char name[17];
        std::snprintf(name, sizeof name, "%016" PRIx64, obj);
        return root_ + "/" + name;
    }

    // fsync the file, then its directory: a new file's name must be durable too.
    // (Simple but costly; localfs syncs the directory only once per new file.)
    dfs::Status syncFile(int fd) {
        if (::fsync(fd) != 0) {
            return lastError();
        }
        Fd dir(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dir.ok() || ::fsync(dir.get()) != 0) {
            return lastError();
        }
        return dfs::okStatus();
    }

    const std::string root_;
};

}  // namespace

// The plugin's one export: its kind, the name shares use in the config file, its
// version, and a description. Change "skeleton" to your store's name.
DFS_EXPORT_BLOCK_STORE(SkeletonStore, "skeleton", "1.0.0", "Example block store: one plain file per object");
