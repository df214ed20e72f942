// localfs: small objects packed into shared segment files.
//
// A new object whose whole content arrives in one stable write of at most `maxObject`
// bytes at offset 0 (what an NFS client sends when it closes a small file it has just
// written) becomes one record appended to the current segment under <root>/pack/,
// instead of a file of its own. Writers arriving together share one fdatasync of the
// segment: creating many small files costs one file-system create per segment and one
// device flush per group of writers, instead of a create and a flush per file.
// LocalFsBlockStore moves a packed object to a file of its own before any other change
// to it (a second write, truncate, allocate, punch, clone into it).
//
// Segment file <root>/pack/<id as 16 lower-case hex digits>.seg: records back to back,
//   offset  0  u32 magic 0x4b504644 ("DFPK" little-endian)
//           4  u32 state: 1 live, 2 dead (rewritten in place when the object is removed
//                 or moved to its own file)
//           8  u64 object id
//          16  u32 data length (at most kMaxObject)
//          20  u32 CRC-32C of bytes 8..20 and of the data
//          24  u64 reserved, 0
//          32  the data, then zeros up to a multiple of 8
// then zeros (the current segment is filled with zeros 1 MiB ahead of its appends, so
// that an append's fdatasync rewrites blocks the file has instead of growing it), or,
// after a crash during an append, a torn record; both are cut off when the store opens.
// All integers little-endian.
//
// Durability: an append is acknowledged after an fdatasync of its segment that started
// after it; appends are written in order under one mutex, so a segment never has a gap
// before an acknowledged record. When the current segment is full it is synced whole
// before the next one takes the appends, and every open starts a new segment, so only
// the newest segment can end in a torn record; it alone is checked record by record
// (CRC) when the store opens, the others are read header by header. A live record whose
// data fails its CRC but is followed by a whole header is not the end: it is a removed
// object whose unsynced dead mark was lost while the hole punched in its data was not,
// and it counts as dead. Once a sync of a segment fails, every later sync of it fails
// too and appends go on in a new segment. A dead record's data
// is punched out (space freed) when its object is removed; a segment whose records are all
// dead is deleted. Marking a record dead on removal is not synced (like the unlink of an
// object file): after a power loss a removed object's record may be live again, which
// costs space but cannot show its bytes to anyone, as object ids are never reused by the
// metadata stores. Moving an object to its own file syncs the file, then the dead mark.
#pragma once

#include "shared_sync.hpp"

#include <dittofs/abi/common.h>
#include <dittofs/cpp/plugin.hpp>
#include <dittofs/cpp/result.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace dfs::localfs {

class Pack {
public:
    static constexpr uint64_t kMaxObject = 1024 * 1024;
    static constexpr uint64_t kHeaderSize = 32;
    static constexpr const char* kDirName = "pack";

    // Opens (creating if missing) the pack directory `dir`, reads every segment into the
    // index, and starts a new segment for appends. `segmentSize`: the size past which the
    // current segment is sealed and a new one started.
    static Result<std::unique_ptr<Pack>> open(const Host& host, const std::string& dir, uint64_t segmentSize);

    class Segment;
    // Where a packed object's bytes are; keeps its segment's file open while held.
    struct Location {
        std::shared_ptr<Segment> segment;
        uint64_t record = 0;  // offset of the record's header in the segment file
        uint64_t length = 0;  // the object's length
    };

    // The object's record, if it is packed.
    std::optional<Location> find(uint64_t obj) const;

    // Reads up to buf.len bytes of a packed object at `offset`; the count.
    Result<uint64_t> read(const Location& at, uint64_t offset, dfs_buf_t buf) const;

    // Copies the first `len` bytes (at most its length) of a packed object to offset 0
    // of the file `fd`, in the kernel where it can.
    Status copyTo(const Location& at, uint64_t len, int fd) const;

    // Appends `data` as the whole content of `obj`, which the caller has checked is not
    // stored anywhere yet, and indexes it (reads find it from now on). The caller holds
    // the object's stripe lock, so no other change to `obj` runs meanwhile, and then
    // makes the record durable with sync() of the segment returned, after letting go.
    Result<std::shared_ptr<Segment>> add(uint64_t obj, dfs_bytes_t data);

    // Returns once everything appended to `seg` before the call is durable; callers
    // arriving together share one fdatasync.
    Status sync(const std::shared_ptr<Segment>& seg);

    // Forgets a packed object: its record is marked dead, synced when `durable`, and its
    // data punched out unless `keepData` (a reader that found the record before may still
    // be reading it). The caller holds the object's stripe lock. No-op if not packed.
    Status drop(uint64_t obj, bool durable, bool keepData);

    struct Stats {
        uint64_t segments = 0;
        uint64_t objects = 0;
        uint64_t liveBytes = 0;  // the records of packed objects, headers included
    };
    Stats stats() const;

    Pack(Host host, std::string dir, uint64_t segmentSize);
    ~Pack();
    Pack(const Pack&) = delete;
    Pack& operator=(const Pack&) = delete;

private:
    Status load();
    Status loadSegments(const std::vector<uint64_t>& ids);  // sorted
    Status scanSegment(const std::shared_ptr<Segment>& seg, bool newest);
    Status startSegment();  // under mu_
    void forgetIfEmpty(const std::shared_ptr<Segment>& seg);  // under mu_

    const Host host_;
    const std::string dir_;
    const uint64_t segmentSize_;

    mutable std::mutex mu_;  // the index, the segments and appends to the current one
    std::unordered_map<uint64_t, Location> index_;
    std::map<uint64_t, std::shared_ptr<Segment>> segments_;  // by id
    std::shared_ptr<Segment> current_;
    uint64_t nextId_ = 1;
};

// CRC-32C (Castagnoli) of `len` bytes, continuing from `crc` (0 to start): with the
// processor's crc32 instruction where it has one; crc32cPortable never uses it.
uint32_t crc32c(uint32_t crc, const void* data, size_t len);
uint32_t crc32cPortable(uint32_t crc, const void* data, size_t len);

}  // namespace dfs::localfs
