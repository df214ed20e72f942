// localfs: the default block store. Each object is one file under a root directory, or
// (small objects written whole at once) one record in a shared segment file (pack.hpp).
//
// Layouts (stable on-disk formats; the number is kept in <root>/layout):
//   3: the paths of layout 2, plus <root>/pack/ holding packed objects. New roots get it;
//      a layout 2 root becomes layout 3 when it is opened with packing on (a version
//      that knows only layouts 1 and 2 then refuses it instead of missing objects).
//   2: <root>/<id >> 16 in hex>/<cd>/<id as 16 lower-case hex digits>, cd being the
//      second-lowest byte of the id in hex: 256 consecutive inode numbers share a
//      directory, so creating files needs a new directory only once per 256 of them,
//      and no directory holds more than 256 objects (the root one per 65536).
//   1: <root>/<ab>/<cd>/<id ...>, ab and cd the lowest and second-lowest byte: every one
//      of the first 65536 objects got a directory of its own. Roots written before the
//      layout file existed keep it; new roots get layout 2.
//
// Config:
//   root           directory of the objects; relative paths are taken from data_dir
//                  (default: "blocks")
//   data_dir       the kernel's data directory (always passed by the kernel)
//   fd_cache_size  how many object files to keep open (default 256)
//   sync_directories  "auto" (default) or "always": see open()
//   pack_max       the largest new object packed instead of given its own file, in
//                  bytes (default 65536, at most 1 MiB; 0: none, objects already
//                  packed stay readable); layout 3 roots only
//   pack_segment_size  the size past which a segment is sealed and a new one started
//                  (default 64 MiB)
//   map_windows    how many read-only mappings of object files to keep for lending
//                  (lend: a READ's data sent from the page cache without a copy), each
//                  of up to 64 MiB of one file (default 64; 0: nothing is lent)
//   write_gather_us  how long the first half of an aligned 2 MiB block written in two
//                  calls waits for the second, to write both at once (write_gather.hpp;
//                  default 10000; 0: no gathering); only writes that stay cached (see
//                  uncached_write_min) are gathered
//   uncached_write_min  writes of at least this many bytes to object files are written
//                  uncached (RWF_DONTCACHE): the kernel starts writing them to the disk
//                  at once and drops them from the page cache when that is done
//                  (default 1048576; 0: every write stays in the page cache)
//
// Holes, preallocation, SEEK_DATA/SEEK_HOLE and reflinks are those of the file system
// under root (fallocate, lseek, FICLONERANGE), with portable fallbacks where it lacks
// them. Durability follows store.h: every call is durable against a crash of the
// process once it returns (it is in the kernel's page cache); stable writes and flush
// are also durable against a power loss (fdatasync/fsync, plus the directory entry of
// a new object file).
#pragma once

#include "fd_cache.hpp"
#include "pack.hpp"
#include "shared_sync.hpp"
#include "write_gather.hpp"

#include <dittofs/cpp/store.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace dfs::localfs {

class LocalFsBlockStore : public BlockStore {
public:
    static Result<std::unique_ptr<LocalFsBlockStore>> open(const Host& host, const Config& cfg);

    // dirFsync: a new object's directory entry is made durable by an fsync of its
    // directory (else the file system's sync of the object covers it).
    // pack: the packed objects (layout 3 roots); packMax: the largest new object to pack.
    // gatherWait: see WriteGather (zero: no gathering). uncachedMin: see
    // uncached_write_min (zero: none).
    LocalFsBlockStore(Host host, std::string root, size_t fdCacheSize, int layout, bool dirFsync = true,
                      std::unique_ptr<Pack> pack = nullptr, uint64_t packMax = 0, size_t mapWindows = 0,
                      std::chrono::microseconds gatherWait = std::chrono::microseconds(0), uint64_t uncachedMin = 0);

    // Mappings for lend() cover aligned windows of this size of a file (less for a
    // window the file ends in, in steps of kWindowStep).
    static constexpr uint64_t kWindowSize = uint64_t{64} << 20;
    static constexpr uint64_t kWindowStep = uint64_t{2} << 20;

    // Logs how many writes were gathered (write_gather.hpp), when any were.
    ~LocalFsBlockStore() override;

    static constexpr const char* kLayoutFile = "layout";
    static constexpr int kCurrentLayout = 3;
    // The layout of `root`: from its layout file, else 1 for a root that holds objects
    // already and the current one (recorded now) for an empty root. With `pack`, a
    // layout 2 root is recorded as layout 3.
    static Result<int> chooseLayout(const std::string& root, bool pack = false);

    Result<uint64_t> read(uint64_t obj, uint64_t offset, dfs_buf_t buf) override;
    Status write(uint64_t obj, uint64_t offset, dfs_bytes_t data, dfs_stable_t stable) override;
    Status truncate(uint64_t obj, uint64_t size) override;
    Result<uint64_t> size(uint64_t obj) override;
    Status flush(uint64_t obj) override;
    Status remove(uint64_t obj) override;
    Status punchHole(uint64_t obj, uint64_t offset, uint64_t len) override;
    Status allocate(uint64_t obj, uint64_t offset, uint64_t len) override;
    Result<uint64_t> seek(uint64_t obj, uint64_t offset, dfs_seek_what_t what) override;
    Status clone(uint64_t src, uint64_t srcOff, uint64_t dst, uint64_t dstOff, uint64_t len) override;
    Status statfs(dfs_statfs_t& out) override;
    // From a mapping of the object's file (none for packed objects: DFS_ERR_NOTSUPP), up
    // to the end of the window that holds `offset`.
    Result<LentBytes> lend(uint64_t obj, uint64_t offset, uint64_t len) override;

private:
    std::string firstOf(uint64_t obj) const;  // the first-level directory
    std::string dirOf(uint64_t obj) const;
    std::string pathOf(uint64_t obj) const;

    // The object's open file, from the cache or opened now. With create, a missing
    // object file (and its fan-out directories) is created; without, a missing object
    // gives a null pointer.
    Result<OpenFilePtr> openObject(uint64_t obj, bool create);
    Result<OpenFilePtr> openLocked(uint64_t obj, bool create);  // stripe held
    Result<int> createObjectFile(uint64_t obj);

    // Makes the directory entry of a newly created object file durable, once.
    Status syncNewEntry(uint64_t obj);
    // Syncs the object's directory and marks its entry durable (stripe held).
    Status syncEntryLocked(uint64_t obj);

    // Packed objects (pack.hpp). packNew packs a new object's first write when it can
    // (false: the object exists, or has a record already); openChanging is openObject
    // for any other change: a packed object is first moved to a file of its own, durably
    // (unpackLocked), under the same hold of the stripe lock as the open, so that no
    // record can appear between the two. Only the first `keep` bytes are moved (a
    // truncate's new size; 0 just forgets the record). packed finds an object's record.
    Result<bool> packNew(uint64_t obj, dfs_bytes_t data);
    // Writes the pieces one after the other from `offset` to the object's own file (moved
    // out of the pack first), as stable as asked.
    Status writeFile(uint64_t obj, uint64_t offset, const iovec* iov, int count, dfs_stable_t stable);
    Result<OpenFilePtr> openChanging(uint64_t obj, bool create, uint64_t keep = UINT64_MAX);
    Status unpackLocked(uint64_t obj, uint64_t keep);  // stripe held
    std::optional<Pack::Location> packed(uint64_t obj);

    // The mapping of window `index` of the object's file, at least `need` bytes long
    // (made now if not cached); null if the object has no file or ends before it.
    Result<WindowPtr> mapWindow(uint64_t obj, uint64_t index, uint64_t need);

    // Serialises opening, removing and syncing the directory entry of the same object,
    // so a remove cannot race with an open that would cache a descriptor of the
    // unlinked file. Lock order: a stripe, then newMu_.
    std::mutex& stripe(uint64_t obj) { return stripes_[obj % stripes_.size()]; }
    Status writeMaybeUncached(int fd, const iovec* iov, int count, uint64_t offset, uint64_t len);
    bool uncachedFor(uint64_t len) const {
        return len >= uncachedMin_ && uncached_.load(std::memory_order_relaxed);
    }

    const Host host_;
    const std::string root_;
    const int layout_;
    const bool dirFsync_;
    FdCache cache_;
    std::array<std::mutex, 64> stripes_;
    // Writes of at least kSerialWrite bytes to an object take its stripe here (writeFile).
    static constexpr uint64_t kSerialWrite = 256 * 1024;
    std::array<std::mutex, 64> writeStripes_;
    std::mutex newMu_;
    std::unordered_set<uint64_t> unsyncedNew_;  // created, directory entry not yet fsync'ed

    // Directory fsyncs for new entries, shared: one fsync that starts after an entry
    // was created makes it durable, so threads waiting on the same directory share the
    // next one (group commit) instead of each running its own.
    struct DirSync {
        SharedSync sync;
        int users = 0;  // under dirSyncsMu_
    };
    Status syncDirectoryShared(const std::string& dir);
    std::mutex dirSyncsMu_;
    std::unordered_map<std::string, std::shared_ptr<DirSync>> dirSyncs_;  // directories being synced

    const std::unique_ptr<Pack> pack_;  // null: no packed objects (layouts 1 and 2)
    const uint64_t packMax_;

    // Mappings for lend(), by (object, window); a removal drops the object's. Without
    // them (map_windows = 0) nothing is lent.
    const bool lending_;
    MapCache maps_;

    // Half-block writes in progress, paired into whole-block writes.
    WriteGather gather_;

    // Writes of at least uncachedMin_ bytes go with RWF_DONTCACHE while uncached_ holds;
    // it starts false when uncachedMin_ is 0 (none), and is cleared (once, logged) when
    // the kernel or file system refuses the flag.
    const uint64_t uncachedMin_;
    std::atomic<bool> uncached_;
};

}  // namespace dfs::localfs
