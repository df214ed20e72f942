// localfs: the block store (see localfs_store.hpp).
#include "localfs_store.hpp"

#include "file_io.hpp"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace dfs::localfs {
namespace {

constexpr uint64_t kMaxOff = static_cast<uint64_t>(INT64_MAX);

bool rangeFits(uint64_t offset, uint64_t len) {
    return offset <= DFS_MAX_FILE_SIZE && len <= DFS_MAX_FILE_SIZE - offset;
}

Error lastError() { return errnoError(errno); }

std::string hexByte(uint64_t v) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(v & 0xff));
    return buf;
}

// A number setting from `min` to `max`, `def` when absent; nullopt (logged, naming what
// it must be) when out of range or not a number.
std::optional<uint64_t> numberSetting(const Host& host, const Config& cfg, const char* key, uint64_t def,
                                      uint64_t min, uint64_t max, const std::string& must) {
    if (!cfg.has(key)) {
        return def;
    }
    auto v = cfg.getUint(key);
    if (!v || *v < min || *v > max) {
        host.error(std::string("localfs: ") + key + " must be " + must);
        return std::nullopt;
    }
    return v;
}

}  // namespace

Result<std::unique_ptr<LocalFsBlockStore>> LocalFsBlockStore::open(const Host& host, const Config& cfg) {
    std::string root = cfg.get("root", "blocks");
    if (root.empty()) {
        host.error("localfs: root must not be empty");
        return makeError(DFS_ERR_INVAL);
    }
    std::string dataDir = cfg.get("data_dir");
    if (root.front() != '/' && !dataDir.empty()) {
        root = dataDir + "/" + root;
    }
    while (root.size() > 1 && root.back() == '/') {
        root.pop_back();
    }
    const auto cacheSize = numberSetting(host, cfg, "fd_cache_size", 256, 1, SIZE_MAX, "a positive number");
    if (!cacheSize) {
        return makeError(DFS_ERR_INVAL);
    }
    if (auto s = makeDirectories(root); !s.ok()) {
        host.error("localfs: cannot create root " + root + ": " + statusName(s.code()) + " errno " +
                   std::to_string(s.error().sysErrno));
        return s.error();
    }
    if (::access(root.c_str(), R_OK | W_OK | X_OK) != 0) {
        host.error("localfs: root " + root + " is not writable");
        return lastError();
    }
    const std::string syncDirs = cfg.get("sync_directories", "auto");
    if (syncDirs != "auto" && syncDirs != "always") {
        host.error("localfs: sync_directories must be \"auto\" or \"always\", not \"" + syncDirs + "\"");
        return makeError(DFS_ERR_INVAL);
    }
    auto packMax = numberSetting(host, cfg, "pack_max", 64 * 1024, 0, Pack::kMaxObject,
                                 "a number of bytes from 0 to " + std::to_string(Pack::kMaxObject));
    const auto segmentSize =
        numberSetting(host, cfg, "pack_segment_size", 64ull << 20, 4096, UINT64_MAX, "a number of bytes, at least 4096");
    const auto mapWindows = numberSetting(host, cfg, "map_windows", 64, 0, 65536, "a number from 0 to 65536");
    const auto gatherUs =
        numberSetting(host, cfg, "write_gather_us", 10000, 0, 1000000, "a number of microseconds from 0 to 1000000");
    const auto uncachedMin = numberSetting(host, cfg, "uncached_write_min", uint64_t{1} << 20, 0, UINT64_MAX,
                                           "a number of bytes (0: none)");
    if (!packMax || !segmentSize || !mapWindows || !gatherUs || !uncachedMin) {
        return makeError(DFS_ERR_INVAL);
    }
    auto layout = chooseLayout(root, *packMax > 0);
    if (!layout.ok()) {
        host.error("localfs: cannot read or record the layout of " + root + ": " + statusName(layout.code()));
        return layout.error();
    }
    // A stable write to a new object must leave its name durable too. Where the file
    // system's own file sync guarantees that (file_io.hpp), a directory fsync per new
    // object would only add a second device flush.
    const std::string fsType = fileSystemType(root);
    const bool dirFsync = syncDirs == "always" || !fileSyncCoversNewName(fsType);
    std::unique_ptr<Pack> pack;
    if (*layout >= 3) {
        auto opened = Pack::open(host, root + "/" + Pack::kDirName, *segmentSize);
        if (!opened.ok()) {
            host.error("localfs: cannot open the packed objects of " + root + ": " + statusName(opened.code()) +
                       " errno " + std::to_string(opened.error().sysErrno));
            return opened.error();
        }
        pack = std::move(*opened);
    } else if (*packMax > 0) {
        host.info("localfs: " + root + " keeps layout 1 (written before layout files): no objects are packed");
        *packMax = 0;
    }
    host.info("localfs: objects under " + root + " (layout " + std::to_string(*layout) + ", " +
              (fsType.empty() ? std::string("unknown file system") : fsType) + "; new objects' names made durable by " +
              (dirFsync ? "a directory fsync" : "the object's own sync") + "; new objects up to " +
              std::to_string(*packMax) + " bytes written whole by a stable write are packed)");
    return std::make_unique<LocalFsBlockStore>(host, root, static_cast<size_t>(*cacheSize), *layout, dirFsync,
                                               std::move(pack), *packMax, static_cast<size_t>(*mapWindows),
                                               std::chrono::microseconds(*gatherUs), *uncachedMin);
}

// The layout file holds the layout number. A root without one that already holds
// entries was written by a version that knew only layout 1; an empty one gets the
// current layout, recorded durably before any object is written. Layout 3 is layout 2
// with packed objects: the number changes before the first one is packed.
Result<int> LocalFsBlockStore::chooseLayout(const std::string& root, bool pack) {
    const std::string file = root + "/" + kLayoutFile;
    std::string text;
    if (auto r = readSmallFile(file, text); !r.ok()) {
        return r.error();
    } else if (*r) {
        if (text == "2\n" && pack) {
            if (auto s = writeFileDurably(file, "3\n"); !s.ok()) {
                return s.error();
            }
            return 3;
        }
        if (text == "1\n" || text == "2\n" || text == "3\n") {
            return text[0] - '0';
        }
        return makeError(DFS_ERR_IO, EINVAL);  // a layout this version does not know
    }
    ::unlink((file + ".tmp").c_str());  // left by a crash while the file was first written
    auto empty = directoryIsEmpty(root);
    if (!empty.ok()) {
        return empty.error();
    }
    int layout = *empty ? kCurrentLayout : 1;
    if (auto s = writeFileDurably(file, std::to_string(layout) + "\n"); !s.ok()) {
        return s.error();
    }
    return layout;
}

LocalFsBlockStore::LocalFsBlockStore(Host host, std::string root, size_t fdCacheSize, int layout, bool dirFsync,
                                     std::unique_ptr<Pack> pack, uint64_t packMax, size_t mapWindows,
                                     std::chrono::microseconds gatherWait, uint64_t uncachedMin)
    : host_(std::move(host)),
      root_(std::move(root)),
      layout_(layout),
      dirFsync_(dirFsync),
      cache_(fdCacheSize),
      pack_(std::move(pack)),
      packMax_(pack_ ? packMax : 0),
      lending_(mapWindows > 0),
      maps_(mapWindows),
      gather_(gatherWait),
      uncachedMin_(uncachedMin),
      uncached_(uncachedMin > 0) {}

LocalFsBlockStore::~LocalFsBlockStore() {
    if (gather_.gathered() > 0 || gather_.waitedInVain() > 0) {
        host_.info("localfs: " + std::to_string(gather_.gathered()) + " blocks of 2 MiB written whole from two calls, " +
                   std::to_string(gather_.waitedInVain()) + " half-block writes waited for their other half in vain");
    }
}

std::string LocalFsBlockStore::firstOf(uint64_t obj) const {
    if (layout_ == 1) {
        return root_ + "/" + hexByte(obj);
    }
    char name[17];
    std::snprintf(name, sizeof name, "%" PRIx64, obj >> 16);
    return root_ + "/" + name;
}

std::string LocalFsBlockStore::dirOf(uint64_t obj) const { return firstOf(obj) + "/" + hexByte(obj >> 8); }

std::string LocalFsBlockStore::pathOf(uint64_t obj) const {
    char name[17];
    std::snprintf(name, sizeof name, "%016" PRIx64, obj);
    return dirOf(obj) + "/" + name;
}

Result<int> LocalFsBlockStore::createObjectFile(uint64_t obj) {
    const std::string path = pathOf(obj);
    for (int attempt = 0; attempt < 2; ++attempt) {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            if (dirFsync_) {
                std::lock_guard lock(newMu_);
                unsyncedNew_.insert(obj);
            }
            return fd;
        }
        if (errno == EEXIST) {
            // Created behind our back (not through this instance): use it.
            fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
            return fd >= 0 ? Result<int>(fd) : Result<int>(lastError());
        }
        if (errno != ENOENT || attempt > 0) {
            return lastError();
        }
        // The fan-out directories are missing. mkdir is race-free across threads
        // (EEXIST counts as success); a new directory's own entry is synced at once,
        // which happens once per fan-out directory (layout 2: one per 256 objects).
        for (const std::string& dir : {firstOf(obj), dirOf(obj)}) {
            auto made = makeDirectory(dir);
            if (!made.ok()) {
                return made.error();
            }
            if (*made) {
                if (auto s = syncDirectory(dir.substr(0, dir.find_last_of('/'))); !s.ok()) {
                    return s.error();
                }
            }
        }
    }
    return makeError(DFS_ERR_IO, EIO);
}

Result<OpenFilePtr> LocalFsBlockStore::openObject(uint64_t obj, bool create) {
    if (OpenFilePtr f = cache_.find(obj)) {
        return f;
    }
    std::lock_guard lock(stripe(obj));
    return openLocked(obj, create);
}

Result<OpenFilePtr> LocalFsBlockStore::openLocked(uint64_t obj, bool create) {
    if (OpenFilePtr f = cache_.find(obj)) {
        return f;
    }
    // Without directory fsyncs nothing needs to know whether this call created the file:
    // one open that creates it if missing (a new object's first write, the common case)
    // instead of an open that fails and a second that creates.
    const bool createHere = create && !dirFsync_;
    int fd = ::open(pathOf(obj).c_str(), O_RDWR | O_CLOEXEC | (createHere ? O_CREAT : 0), 0600);
    if (fd < 0) {
        if (errno != ENOENT) {
            return lastError();
        }
        if (!create) {
            return OpenFilePtr{};
        }
        // (ENOENT with O_CREAT: a fan-out directory is missing, which this makes.)
        auto made = createObjectFile(obj);
        if (!made.ok()) {
            return made.error();
        }
        fd = *made;
    }
    auto file = std::make_shared<OpenFile>(fd);
    cache_.insert(obj, file);
    return file;
}

Status LocalFsBlockStore::syncNewEntry(uint64_t obj) {
    auto pending = [&] {
        std::lock_guard lock(newMu_);
        return unsyncedNew_.count(obj) != 0;
    };
    // The entry leaves the set only after its directory was synced, so "not pending"
    // always means "durable". A concurrent stable write to the same new object waits
    // on the stripe until the first one's sync is done instead of returning early.
    if (!pending()) {
        return okStatus();
    }
    std::lock_guard lock(stripe(obj));
    if (!pending()) {
        return okStatus();
    }
    return syncEntryLocked(obj);  // on failure still pending: the next stable write or flush tries again
}

Status LocalFsBlockStore::syncEntryLocked(uint64_t obj) {
    if (auto s = syncDirectoryShared(dirOf(obj)); !s.ok()) {
        return s;
    }
    std::lock_guard nl(newMu_);
    unsyncedNew_.erase(obj);
    return okStatus();
}

Status LocalFsBlockStore::syncDirectoryShared(const std::string& dir) {
    std::shared_ptr<DirSync> ds;
    {
        std::lock_guard lock(dirSyncsMu_);
        auto& slot = dirSyncs_[dir];
        if (!slot) {
            slot = std::make_shared<DirSync>();
        }
        ds = slot;
        ds->users++;
    }
    Status result = ds->sync.run([&] { return syncDirectory(dir); });
    std::lock_guard lock(dirSyncsMu_);
    if (--ds->users == 0) {
        dirSyncs_.erase(dir);
    }
    return result;
}

std::optional<Pack::Location> LocalFsBlockStore::packed(uint64_t obj) {
    // A cached file means "not packed" (openChanging, unpackLocked): most reads are of
    // such objects, and they need not wait for the pack's lock, which a seal holds
    // through an fdatasync.
    if (!pack_ || cache_.find(obj)) {
        return std::nullopt;
    }
    return pack_->find(obj);
}

Result<bool> LocalFsBlockStore::packNew(uint64_t obj, dfs_bytes_t data) {
    std::shared_ptr<Pack::Segment> seg;
    {
        std::lock_guard lock(stripe(obj));
        if (pack_->find(obj)) {
            return false;
        }
        if (auto f = openLocked(obj, false); !f.ok() || *f) {
            return false;  // it has a file (or cannot be told): written the usual way
        }
        auto added = pack_->add(obj, data);
        if (!added.ok()) {
            return added.error();
        }
        seg = std::move(*added);
    }
    if (auto s = pack_->sync(seg); !s.ok()) {
        return s.error();
    }
    return true;
}

Result<OpenFilePtr> LocalFsBlockStore::openChanging(uint64_t obj, bool create, uint64_t keep) {
    if (OpenFilePtr f = cache_.find(obj)) {
        return f;  // it has a file, so it is not packed and never will be
    }
    std::lock_guard lock(stripe(obj));
    if (auto s = unpackLocked(obj, keep); !s.ok()) {
        return s.error();
    }
    return openLocked(obj, create);
}

Status LocalFsBlockStore::unpackLocked(uint64_t obj, uint64_t keep) {
    auto at = packed(obj);
    if (!at) {
        return okStatus();
    }
    if (keep == 0) {
        // An absent object reads as empty: forgetting the record is all it takes.
        return pack_->drop(obj, true, false);
    }
    // The file is whole and durable before the record is marked dead (durably too): a
    // crash in between leaves the record, which wins over a file (pack.hpp). A move that
    // fails takes the file out of the cache again: a cached file means "not packed" to
    // openChanging, and the record still answers reads.
    auto f = openLocked(obj, true);
    if (!f.ok()) {
        return f.error();
    }
    auto move = [&](int fd) -> Status {
        if (auto s = pack_->copyTo(*at, keep, fd); !s.ok()) {
            return s;
        }
        // Cuts a longer file that such a crash left.
        if (::ftruncate(fd, static_cast<off_t>(std::min(keep, at->length))) != 0) {
            return lastError();
        }
        if (auto s = syncFile(fd, true); !s.ok()) {
            return s;
        }
        // The file may be one an interrupted move left, created before this process
        // started (so not known as new): where names need a directory fsync, sync it
        // regardless.
        if (dirFsync_) {
            if (auto s = syncEntryLocked(obj); !s.ok()) {
                return s;
            }
        }
        return pack_->drop(obj, true, true);
    };
    Status s = move((*f)->fd());
    if (!s.ok()) {
        cache_.erase(obj);
    }
    return s;
}

Result<uint64_t> LocalFsBlockStore::read(uint64_t obj, uint64_t offset, dfs_buf_t buf) {
    if (buf.len == 0 || offset >= kMaxOff) {
        return uint64_t{0};
    }
    if (auto at = packed(obj)) {
        return pack_->read(*at, offset, buf);
    }
    auto f = openObject(obj, false);
    if (!f.ok()) {
        return f.error();
    }
    if (!*f) {
        return uint64_t{0};
    }
    return preadFull((*f)->fd(), buf.ptr, buf.len, offset);
}

// Lending (store.h lend): a READ's data goes to the socket from a shared mapping of the
// file, one copy (into the socket) instead of two (pread, then the socket). A mapping
// covers a window of the file and is kept (maps_) for the reads that follow, since
// making one costs about what the copy it saves when its pages are first touched. The
// bytes lent are those within the file's size at the time; if the file is cut short
// before they are sent, the send gets EFAULT, not SIGBUS (the kernel's copy faults, not
// ours), and the RPC transport sends zeros in their place.
Result<LentBytes> LocalFsBlockStore::lend(uint64_t obj, uint64_t offset, uint64_t len) {
    if (!lending_) {
        return makeError(DFS_ERR_NOTSUPP);
    }
    if (len == 0 || offset >= kMaxOff) {
        return LentBytes{};
    }
    const uint64_t index = offset / kWindowSize;
    const uint64_t start = index * kWindowSize;
    const uint64_t end = std::min(start + kWindowSize, offset + std::min(len, kMaxOff - offset));
    WindowPtr w = maps_.find({obj, index});
    if (!w || w->length() < end - start) {
        auto made = mapWindow(obj, index, end - start);
        if (!made.ok()) {
            return made.error();
        }
        w = std::move(*made);
    }
    if (!w) {
        return LentBytes{};
    }
    auto size = fileSize(w->file()->fd());
    if (!size.ok()) {
        return size.error();
    }
    if (offset >= *size) {
        return LentBytes{};
    }
    const uint8_t* p = w->base() + (offset - start);
    auto* keep = new WindowPtr(std::move(w));
    return LentBytes(dfs_lent_t{p, std::min(end, *size) - offset, [](void* k) { delete static_cast<WindowPtr*>(k); }, keep});
}

Result<WindowPtr> LocalFsBlockStore::mapWindow(uint64_t obj, uint64_t index, uint64_t need) {
    std::lock_guard lock(stripe(obj));  // a removal drops the object's mappings under it
    if (WindowPtr w = maps_.find({obj, index}); w && w->length() >= need) {
        return w;
    }
    if (packed(obj)) {
        return makeError(DFS_ERR_NOTSUPP);  // read from its segment
    }
    auto f = openLocked(obj, false);
    if (!f.ok()) {
        return f.error();
    }
    if (!*f) {
        return WindowPtr{};
    }
    auto size = fileSize((*f)->fd());
    if (!size.ok()) {
        return size.error();
    }
    const uint64_t start = index * kWindowSize;
    if (*size <= start) {
        return WindowPtr{};
    }
    // As much of the window as the file fills now (it may grow into the rest later).
    const uint64_t want = std::max(need, *size - start);
    const auto len = static_cast<size_t>(std::min(kWindowSize, (want + kWindowStep - 1) / kWindowStep * kWindowStep));
    void* p = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, (*f)->fd(), static_cast<off_t>(start));
    if (p == MAP_FAILED) {
        // (The file system cannot map, or the process has no room left for mappings.)
        return makeError(DFS_ERR_NOTSUPP, errno);
    }
    auto w = std::make_shared<const Window>(*f, static_cast<const uint8_t*>(p), len);
    maps_.insert({obj, index}, w);
    return WindowPtr(std::move(w));
}

Status LocalFsBlockStore::write(uint64_t obj, uint64_t offset, dfs_bytes_t data, dfs_stable_t stable) {
    if (!rangeFits(offset, data.len)) {
        return makeError(DFS_ERR_FBIG, EFBIG);
    }
    if (data.len == 0) {
        return okStatus();
    }
    if (offset == 0 && stable != DFS_UNSTABLE && data.len <= packMax_) {
        auto packedNow = packNew(obj, data);
        if (!packedNow.ok()) {
            return packedNow.error();
        }
        if (*packedNow) {
            return okStatus();
        }
    }
    if (uncachedFor(data.len)) {
        // Gathering is for writes that stay cached (write_gather.hpp); these do not.
        const iovec whole{const_cast<uint8_t*>(data.ptr), data.len};
        return writeFile(obj, offset, &whole, 1, stable);
    }
    return gather_.run(obj, offset, data.ptr, data.len, stable,
                       [&](uint64_t at, const iovec* iov, int count, dfs_stable_t how) {
                           return writeFile(obj, at, iov, count, how);
                       });
}

Status LocalFsBlockStore::writeFile(uint64_t obj, uint64_t offset, const iovec* iov, int count, dfs_stable_t stable) {
    auto f = openChanging(obj, true);
    if (!f.ok()) {
        return f.error();
    }
    const int fd = (*f)->fd();
    const uint64_t len = iovLength(iov, count);
    {
        // Large writes to one file queue here, asleep, rather than in the kernel: Linux
        // writes one file at a time (the inode lock), and a writer that finds the lock
        // held spins on it while its holder runs, which with a stream's calls in flight
        // burnt a quarter of the server's CPU (docs/BENCHMARKS.md, item 18).
        std::unique_lock<std::mutex> serial;
        if (len >= kSerialWrite) {
            serial = std::unique_lock(writeStripes_[obj % writeStripes_.size()]);
        }
        if (auto s = writeMaybeUncached(fd, iov, count, offset, len); !s.ok()) {
            return s;
        }
    }
    if (stable == DFS_UNSTABLE) {
        return okStatus();
    }
    if (auto s = syncFile(fd, stable == DFS_DATA_SYNC); !s.ok()) {
        return s;
    }
    return syncNewEntry(obj);
}

// Large writes are written uncached: the kernel starts writing them back as the call
// returns and frees their pages once that is done (Linux 6.14, RWF_DONTCACHE), so a
// stream's data goes to the disk while the rest of the stream arrives, and a COMMIT finds
// little left to write. Their pages are reused for the next calls instead of the kernel
// finding new ones, which on a virtual machine can each cost the host a fault
// (docs/BENCHMARKS.md, item 19). Smaller writes stay cached: started one by one, their
// writeback would cost a disk write each.
Status LocalFsBlockStore::writeMaybeUncached(int fd, const iovec* iov, int count, uint64_t offset, uint64_t len) {
    constexpr int kDontCache = 0x80;  // RWF_DONTCACHE, include/uapi/linux/fs.h (not in older headers)
    if (!uncachedFor(len)) {
        return pwritevFull(fd, iov, count, offset);
    }
    auto s = pwritevFull(fd, iov, count, offset, kDontCache);
    if (s.ok() || (s.error().sysErrno != EOPNOTSUPP && s.error().sysErrno != EINVAL)) {
        return s;
    }
    // Kernels before 6.14 know no such flag, and file systems without FOP_DONTCACHE refuse it.
    if (uncached_.exchange(false)) {
        host_.info("localfs: " + root_ + ": the kernel cannot write uncached here (RWF_DONTCACHE: errno " +
                   std::to_string(s.error().sysErrno) + "); large writes stay in the page cache");
    }
    return pwritevFull(fd, iov, count, offset);
}

Status LocalFsBlockStore::truncate(uint64_t obj, uint64_t size) {
    if (size > DFS_MAX_FILE_SIZE) {
        return makeError(DFS_ERR_FBIG, EFBIG);
    }
    auto f = openChanging(obj, true, size);
    if (!f.ok()) {
        return f.error();
    }
    while (::ftruncate((*f)->fd(), static_cast<off_t>(size)) != 0) {
        if (errno != EINTR) {
            return lastError();
        }
    }
    return okStatus();
}

Result<uint64_t> LocalFsBlockStore::size(uint64_t obj) {
    if (auto at = packed(obj)) {
        return at->length;
    }
    auto f = openObject(obj, false);
    if (!f.ok()) {
        return f.error();
    }
    if (!*f) {
        return uint64_t{0};
    }
    return fileSize((*f)->fd());
}

Status LocalFsBlockStore::flush(uint64_t obj) {
    if (auto at = packed(obj)) {
        return pack_->sync(at->segment);
    }
    auto f = openObject(obj, false);
    if (!f.ok()) {
        return f.error();
    }
    if (!*f) {
        return okStatus();
    }
    if (auto s = syncFile((*f)->fd(), false); !s.ok()) {
        return s;
    }
    return syncNewEntry(obj);
}

Status LocalFsBlockStore::remove(uint64_t obj) {
    std::lock_guard lock(stripe(obj));
    if (pack_) {
        if (auto s = pack_->drop(obj, false, false); !s.ok()) {
            return s;
        }
    }
    cache_.erase(obj);
    maps_.eraseRange({obj, 0}, {obj, UINT64_MAX});
    {
        std::lock_guard nl(newMu_);
        unsyncedNew_.erase(obj);
    }
    if (::unlink(pathOf(obj).c_str()) != 0 && errno != ENOENT) {
        return lastError();
    }
    return okStatus();
}

Status LocalFsBlockStore::punchHole(uint64_t obj, uint64_t offset, uint64_t len) {
    auto f = openChanging(obj, false);
    if (!f.ok()) {
        return f.error();
    }
    if (!*f) {
        return okStatus();
    }
    return localfs::punchHole((*f)->fd(), offset, len);
}

Status LocalFsBlockStore::allocate(uint64_t obj, uint64_t offset, uint64_t len) {
    if (!rangeFits(offset, len)) {
        return makeError(DFS_ERR_FBIG, EFBIG);
    }
    auto f = openChanging(obj, true);
    if (!f.ok()) {
        return f.error();
    }
    if (len == 0) {
        return okStatus();
    }
    const int fd = (*f)->fd();
    for (;;) {
        if (::fallocate(fd, 0, static_cast<off_t>(offset), static_cast<off_t>(len)) == 0) {
            return okStatus();
        }
        if (errno != EINTR) {
            break;
        }
    }
    if (errno != EOPNOTSUPP && errno != ENOSYS) {
        return lastError();
    }
    // glibc emulates posix_fallocate by writing into every block: slow, but it does
    // reserve the space, which is what the caller asked for.
    int rc = ::posix_fallocate(fd, static_cast<off_t>(offset), static_cast<off_t>(len));
    return rc == 0 ? okStatus() : Status(errnoError(rc));
}

Result<uint64_t> LocalFsBlockStore::seek(uint64_t obj, uint64_t offset, dfs_seek_what_t what) {
    if (what != DFS_SEEK_DATA && what != DFS_SEEK_HOLE) {
        return makeError(DFS_ERR_INVAL, EINVAL);
    }
    if (offset >= kMaxOff) {
        return makeError(DFS_ERR_NXIO, ENXIO);
    }
    if (auto at = packed(obj)) {
        // All data: the hole that follows is the end.
        if (offset >= at->length) {
            return makeError(DFS_ERR_NXIO, ENXIO);
        }
        return what == DFS_SEEK_DATA ? offset : at->length;
    }
    auto f = openObject(obj, false);
    if (!f.ok()) {
        return f.error();
    }
    if (!*f) {
        return makeError(DFS_ERR_NXIO, ENXIO);
    }
    // lseek moves the shared file offset, which no other call uses (all I/O is
    // positional), so concurrent seeks on one descriptor do not disturb anything.
    off_t r = ::lseek((*f)->fd(), static_cast<off_t>(offset), what == DFS_SEEK_DATA ? SEEK_DATA : SEEK_HOLE);
    if (r < 0) {
        return lastError();
    }
    return static_cast<uint64_t>(r);
}

Status LocalFsBlockStore::clone(uint64_t src, uint64_t srcOff, uint64_t dst, uint64_t dstOff, uint64_t len) {
    if (!rangeFits(srcOff, len) || !rangeFits(dstOff, len)) {
        return makeError(DFS_ERR_FBIG, EFBIG);
    }
    if (len == 0) {
        return okStatus();
    }
    auto in = openChanging(src, false);
    if (!in.ok()) {
        return in.error();
    }
    auto out = openChanging(dst, true);
    if (!out.ok()) {
        return out.error();
    }
    if (!*in) {
        // An absent source reads as empty: the range becomes zeros.
        const int fd = (*out)->fd();
        if (auto s = localfs::punchHole(fd, dstOff, len); !s.ok()) {
            return s;
        }
        auto sz = fileSize(fd);
        if (!sz.ok()) {
            return sz.error();
        }
        if (*sz < dstOff + len && ::ftruncate(fd, static_cast<off_t>(dstOff + len)) != 0) {
            return lastError();
        }
        return okStatus();
    }
    bool reflinked = false;
    Status s = copyRange((*in)->fd(), srcOff, (*out)->fd(), dstOff, len, reflinked);
    if (s.ok() && host_.logEnabled(DFS_LOG_TRACE)) {
        host_.log(DFS_LOG_TRACE, std::string("localfs: clone ") + (reflinked ? "shared blocks" : "copied"));
    }
    return s;
}

Status LocalFsBlockStore::statfs(dfs_statfs_t& out) {
    struct statvfs st {};
    if (::statvfs(root_.c_str(), &st) != 0) {
        return lastError();
    }
    const uint64_t unit = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
    out.total_bytes = static_cast<uint64_t>(st.f_blocks) * unit;
    out.free_bytes = static_cast<uint64_t>(st.f_bfree) * unit;
    out.avail_bytes = static_cast<uint64_t>(st.f_bavail) * unit;
    out.total_files = st.f_files;
    out.free_files = st.f_ffree;
    out.avail_files = st.f_favail;
    return okStatus();
}

}  // namespace dfs::localfs
