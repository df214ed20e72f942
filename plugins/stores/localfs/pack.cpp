// localfs: small objects packed into shared segment files (see pack.hpp).
#include "pack.hpp"

#include "file_io.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

namespace dfs::localfs {

namespace {

constexpr uint32_t kMagic = 0x4b504644;  // "DFPK"
constexpr uint32_t kLive = 1;
constexpr uint32_t kDead = 2;
// Zeros are written this far ahead of the appends, so that an append's fdatasync
// rewrites blocks the file already has instead of growing it (on ext4 that halves its
// cost: no inode update per sync). A zero header marks the end of the records.
constexpr uint64_t kFillAhead = 1024 * 1024;

uint64_t recordSize(uint64_t len) { return Pack::kHeaderSize + ((len + 7) & ~uint64_t{7}); }

void put32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        p[i] = static_cast<uint8_t>(v >> (8 * i));
    }
}
void put64(uint8_t* p, uint64_t v) {
    for (int i = 0; i < 8; ++i) {
        p[i] = static_cast<uint8_t>(v >> (8 * i));
    }
}
uint32_t get32(const uint8_t* p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) {
        v = (v << 8) | p[i];
    }
    return v;
}
uint64_t get64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) {
        v = (v << 8) | p[i];
    }
    return v;
}

// The CRC of a record: its object id and length (header bytes 8..20), then its data.
uint32_t recordCrc(const uint8_t* header, const uint8_t* data, uint64_t len) {
    return crc32c(crc32c(0, header + 8, 12), data, len);
}

std::string segmentName(uint64_t id) {
    char name[32];
    std::snprintf(name, sizeof name, "%016" PRIx64 ".seg", id);
    return name;
}

// The id of a segment file name, or nothing for any other name.
std::optional<uint64_t> segmentId(const char* name) {
    if (std::strlen(name) != 20 || std::strcmp(name + 16, ".seg") != 0) {
        return std::nullopt;
    }
    uint64_t id = 0;
    for (int i = 0; i < 16; ++i) {
        const char c = name[i];
        const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) {
            return std::nullopt;
        }
        id = (id << 4) | static_cast<uint64_t>(d);
    }
    return id;
}

std::string errnoText(const Status& s) { return std::strerror(s.error().sysErrno); }

// Whether the 32 bytes at `h` are a record header whose record fits in `room` bytes.
bool validHeader(const uint8_t* h, uint64_t room) {
    const uint32_t state = get32(h + 4);
    const uint64_t len = get32(h + 16);
    return get32(h) == kMagic && (state == kLive || state == kDead) && len != 0 && len <= Pack::kMaxObject &&
           recordSize(len) <= room;
}

// True when the file holds only zeros from `off` on (a sealed segment's clean end).
bool zeroTail(int fd, uint64_t off) {
    uint8_t buf[4096];
    for (;;) {
        auto got = preadFull(fd, buf, sizeof buf, off);
        if (!got.ok()) {
            return false;
        }
        for (uint64_t i = 0; i < *got; ++i) {
            if (buf[i] != 0) {
                return false;
            }
        }
        if (*got < sizeof buf) {
            return true;
        }
        off += *got;
    }
}

}  // namespace

namespace {

uint32_t crc32cTable(uint32_t crc, const uint8_t* p, size_t len) {  // pre- and post-inverted by the caller
    static const std::array<uint32_t, 256> table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) {
                c = (c & 1) != 0 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
            }
            t[i] = c;
        }
        return t;
    }();
    for (size_t i = 0; i < len; ++i) {
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    }
    return crc;
}

#if defined(__x86_64__)
// The SSE 4.2 crc32 instruction computes CRC-32C eight bytes a step (about ten times the
// table's speed); the table serves processors without it.
__attribute__((target("sse4.2"))) uint32_t crc32cSse42(uint32_t crc, const uint8_t* p, size_t len) {
    uint64_t c = crc;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t v;
        std::memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
    }
    uint32_t c32 = static_cast<uint32_t>(c);
    for (; len > 0; ++p, --len) {
        c32 = __builtin_ia32_crc32qi(c32, *p);
    }
    return c32;
}
#endif

}  // namespace

uint32_t crc32cPortable(uint32_t crc, const void* data, size_t len) {
    return ~crc32cTable(~crc, static_cast<const uint8_t*>(data), len);
}

uint32_t crc32c(uint32_t crc, const void* data, size_t len) {
    const auto* p = static_cast<const uint8_t*>(data);
#if defined(__x86_64__)
    static const bool hardware = __builtin_cpu_supports("sse4.2");
    if (hardware) {
        return ~crc32cSse42(~crc, p, len);
    }
#endif
    return crc32cPortable(crc, p, len);
}

class Pack::Segment {
public:
    Segment(uint64_t id, int fd, std::string path) : id(id), fd(fd), path(std::move(path)) {}
    ~Segment() { ::close(fd); }
    Segment(const Segment&) = delete;
    Segment& operator=(const Segment&) = delete;

    const uint64_t id;
    const int fd;
    const std::string path;
    // Under Pack::mu_:
    uint64_t size = 0;     // bytes of records
    uint64_t filled = 0;   // bytes of the file: the records, then zeros
    uint64_t live = 0;     // bytes of live records, headers included
    bool damaged = false;  // records past an unreadable one: never deleted
    SharedSync sync;       // fdatasync of the file, shared by the appends waiting for it
};

Pack::Pack(Host host, std::string dir, uint64_t segmentSize)
    : host_(std::move(host)), dir_(std::move(dir)), segmentSize_(segmentSize) {}

Pack::~Pack() = default;

Result<std::unique_ptr<Pack>> Pack::open(const Host& host, const std::string& dir, uint64_t segmentSize) {
    if (auto s = makeDirectories(dir); !s.ok()) {
        return s.error();
    }
    auto pack = std::make_unique<Pack>(host, dir, segmentSize);
    if (auto s = pack->load(); !s.ok()) {
        return s.error();
    }
    return pack;
}

Status Pack::load() {
    std::vector<uint64_t> ids;
    if (DIR* d = ::opendir(dir_.c_str())) {
        while (const dirent* e = ::readdir(d)) {
            if (auto id = segmentId(e->d_name)) {
                ids.push_back(*id);
            }
        }
        ::closedir(d);
    } else {
        return errnoError(errno);
    }
    std::sort(ids.begin(), ids.end());
    if (auto s = loadSegments(ids); !s.ok()) {
        return s;
    }
    const Stats st = stats();
    host_.info("localfs: " + std::to_string(st.objects) + " packed objects (" + std::to_string(st.liveBytes) +
               " bytes with their headers) in " + std::to_string(st.segments) + " segments under " + dir_);
    return okStatus();
}

Status Pack::loadSegments(const std::vector<uint64_t>& ids) {
    std::lock_guard lock(mu_);
    for (uint64_t id : ids) {
        const std::string path = dir_ + "/" + segmentName(id);
        const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            return errnoError(errno);
        }
        auto seg = std::make_shared<Segment>(id, fd, path);
        segments_[id] = seg;
        if (auto s = scanSegment(seg, id == ids.back()); !s.ok()) {
            return s;
        }
        nextId_ = id + 1;
    }
    // The newest segment took appends until the last stop; what it holds now (each
    // record checked) is synced before it is sealed, so that sealed segments are
    // always whole on disk.
    if (!ids.empty()) {
        if (auto s = syncFile(segments_.rbegin()->second->fd, true); !s.ok()) {
            return s;
        }
    }
    for (auto it = segments_.begin(); it != segments_.end();) {
        auto seg = (it++)->second;
        forgetIfEmpty(seg);
    }
    return startSegment();
}

Status Pack::scanSegment(const std::shared_ptr<Segment>& seg, bool newest) {
    auto end = fileSize(seg->fd);
    if (!end.ok()) {
        return end.error();
    }
    uint64_t off = 0;
    std::vector<uint8_t> data;
    for (;;) {
        uint8_t h[kHeaderSize];
        auto got = preadFull(seg->fd, h, kHeaderSize, off);
        if (!got.ok()) {
            return got.error();
        }
        if (*got < kHeaderSize) {
            break;
        }
        const uint32_t state = get32(h + 4);
        const uint64_t obj = get64(h + 8);
        const uint64_t len = get32(h + 16);
        if (!validHeader(h, *end - off)) {
            break;
        }
        if (state == kLive) {
            if (newest) {
                data.resize(len);
                auto n = preadFull(seg->fd, data.data(), len, off + kHeaderSize);
                if (!n.ok()) {
                    return n.error();
                }
                if (*n != len || recordCrc(h, data.data(), len) != get32(h + 20)) {
                    // A torn append ends the records. A whole header after it means this
                    // one is not the end: a removed object whose dead mark a power loss
                    // undid while the hole punched in its data stayed. It is dead.
                    uint8_t next[kHeaderSize];
                    auto more = preadFull(seg->fd, next, kHeaderSize, off + recordSize(len));
                    if (!more.ok()) {
                        return more.error();
                    }
                    if (*more < kHeaderSize || !validHeader(next, *end - off - recordSize(len))) {
                        break;
                    }
                    off += recordSize(len);
                    continue;
                }
            }
            auto [it, added] = index_.try_emplace(obj, Location{seg, off, len});
            if (!added) {  // a later copy of the same object wins
                it->second.segment->live -= recordSize(it->second.length);
                it->second = Location{seg, off, len};
            }
            seg->live += recordSize(len);
        }
        off += recordSize(len);
    }
    seg->size = off;
    seg->filled = *end;
    if (off < *end) {
        if (newest) {
            uint8_t h[kHeaderSize] = {};
            auto got = preadFull(seg->fd, h, kHeaderSize, off);
            const uint8_t zero[kHeaderSize] = {};
            if (!got.ok() || std::memcmp(h, zero, sizeof h) != 0) {
                host_.warn("localfs: " + seg->path + ": cut a record at offset " + std::to_string(off) +
                           " whose append the last stop interrupted");
            }
            if (::ftruncate(seg->fd, static_cast<off_t>(off)) != 0) {
                return errnoError(errno);
            }
            seg->filled = off;
        } else if (!zeroTail(seg->fd, off)) {
            seg->damaged = true;
            host_.error("localfs: " + seg->path + ": unreadable record at offset " + std::to_string(off) +
                        "; the objects recorded after it are lost");
        }
    }
    return okStatus();
}

Status Pack::startSegment() {
    const uint64_t id = nextId_++;
    const std::string path = dir_ + "/" + segmentName(id);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return errnoError(errno);
    }
    auto seg = std::make_shared<Segment>(id, fd, path);
    if (auto s = syncDirectory(dir_); !s.ok()) {
        ::unlink(path.c_str());
        return s;
    }
    segments_[id] = seg;
    std::shared_ptr<Segment> old = std::exchange(current_, seg);
    if (old) {
        forgetIfEmpty(old);
    }
    return okStatus();
}

void Pack::forgetIfEmpty(const std::shared_ptr<Segment>& seg) {
    if (seg == current_ || seg->live != 0 || seg->damaged) {
        return;
    }
    // Readers that found a record here before keep the file open; its name can go.
    if (::unlink(seg->path.c_str()) != 0 && errno != ENOENT) {
        host_.warn("localfs: cannot delete empty segment " + seg->path + ": " + std::strerror(errno));
        return;
    }
    segments_.erase(seg->id);
}

std::optional<Pack::Location> Pack::find(uint64_t obj) const {
    std::lock_guard lock(mu_);
    auto it = index_.find(obj);
    if (it == index_.end()) {
        return std::nullopt;
    }
    return it->second;
}

Result<uint64_t> Pack::read(const Location& at, uint64_t offset, dfs_buf_t buf) const {
    if (offset >= at.length) {
        return uint64_t{0};
    }
    const uint64_t n = std::min<uint64_t>(buf.len, at.length - offset);
    return preadFull(at.segment->fd, buf.ptr, n, at.record + kHeaderSize + offset);
}

Status Pack::copyTo(const Location& at, uint64_t len, int fd) const {
    bool reflinked = false;
    return copyRange(at.segment->fd, at.record + kHeaderSize, fd, 0, std::min(len, at.length), reflinked);
}

Result<std::shared_ptr<Pack::Segment>> Pack::add(uint64_t obj, dfs_bytes_t data) {
    if (data.len == 0 || data.len > kMaxObject) {
        return makeError(DFS_ERR_INVAL, EINVAL);
    }
    // The record goes out as its header, the data from the caller's buffer and the
    // zeros that pad it to 8 bytes, in one pwritev.
    uint8_t header[kHeaderSize] = {};
    put32(header, kMagic);
    put32(header + 4, kLive);
    put64(header + 8, obj);
    put32(header + 16, static_cast<uint32_t>(data.len));
    put32(header + 20, recordCrc(header, data.ptr, data.len));
    static const uint8_t kPad[8] = {};
    const uint64_t recSize = recordSize(data.len);
    const iovec rec[3] = {{header, kHeaderSize},
                          {const_cast<uint8_t*>(data.ptr), static_cast<size_t>(data.len)},
                          {const_cast<uint8_t*>(kPad), static_cast<size_t>(recSize - kHeaderSize - data.len)}};

    std::lock_guard lock(mu_);
    if (current_->size > 0 && current_->size + recSize > segmentSize_) {
        // Sealed segments are whole on disk (pack.hpp): sync this one, without the zeros
        // written ahead, before the next takes the appends.
        if (::ftruncate(current_->fd, static_cast<off_t>(current_->size)) != 0) {
            return errnoError(errno);
        }
        current_->filled = current_->size;
        const std::shared_ptr<Segment> full = current_;
        if (auto s = full->sync.run([&] { return syncFile(full->fd, true); }); !s.ok()) {
            return s.error();
        }
        if (auto s = startSegment(); !s.ok()) {
            return s.error();
        }
    }
    const std::shared_ptr<Segment> seg = current_;
    const uint64_t off = seg->size;
    if (off + recSize > seg->filled) {
        const uint64_t to = std::max(off + recSize, seg->filled + kFillAhead);
        if (auto s = writeZeros(seg->fd, seg->filled, to - seg->filled); !s.ok()) {
            return s.error();
        }
        seg->filled = to;
    }
    if (auto s = pwritevFull(seg->fd, rec, 3, off); !s.ok()) {
        // Whatever part of the record reached the file must not be read as a record
        // later: cut it, or leave this segment for a new one if even that fails.
        if (::ftruncate(seg->fd, static_cast<off_t>(off)) == 0) {
            seg->filled = off;
        } else {
            // Not even that: zero the header (a zero header ends the records) and leave
            // the segment.
            const uint8_t zeros[kHeaderSize] = {};
            if (!pwriteFull(seg->fd, zeros, sizeof zeros, off).ok()) {
                seg->damaged = true;
            }
            if (auto started = startSegment(); !started.ok()) {
                host_.error("localfs: cannot start a new segment in " + dir_ + ": " + errnoText(started));
            }
        }
        return s.error();
    }
    seg->size = off + recSize;
    seg->live += recSize;
    index_[obj] = Location{seg, off, data.len};
    return seg;
}

Status Pack::sync(const std::shared_ptr<Segment>& seg) {
    Status s = seg->sync.run([&] { return syncFile(seg->fd, true); });
    if (!s.ok()) {
        // Every later sync of this segment fails too (shared_sync.hpp): appends go on in
        // a new one.
        std::lock_guard lock(mu_);
        if (seg == current_) {
            host_.error("localfs: sync of " + seg->path + " failed (" + errnoText(s) + "); starting a new segment");
            if (auto started = startSegment(); !started.ok()) {
                host_.error("localfs: cannot start a new segment in " + dir_ + ": " + errnoText(started));
            }
        }
    }
    return s;
}

Status Pack::drop(uint64_t obj, bool durable, bool keepData) {
    Location at;
    {
        std::lock_guard lock(mu_);
        auto it = index_.find(obj);
        if (it == index_.end()) {
            return okStatus();
        }
        at = std::move(it->second);
        index_.erase(it);
    }
    uint8_t dead[4];
    put32(dead, kDead);
    Status s = pwriteFull(at.segment->fd, dead, sizeof dead, at.record + 4);
    if (s.ok() && durable) {
        s = sync(at.segment);
    }
    if (!s.ok()) {
        std::lock_guard lock(mu_);
        index_.emplace(obj, at);  // still packed: the caller's change did not happen
        return s;
    }
    if (!keepData) {
        // Best effort: the record is dead whether or not its space comes back now.
        const uint64_t len = recordSize(at.length) - kHeaderSize;
        if (auto p = punchHole(at.segment->fd, at.record + kHeaderSize, len); !p.ok()) {
            host_.warn("localfs: cannot free a removed record's space in " + at.segment->path + ": " +
                       errnoText(p));
        }
    }
    std::lock_guard lock(mu_);
    at.segment->live -= recordSize(at.length);
    forgetIfEmpty(at.segment);
    return okStatus();
}

Pack::Stats Pack::stats() const {
    std::lock_guard lock(mu_);
    Stats s;
    s.segments = segments_.size();
    s.objects = index_.size();
    for (const auto& [id, seg] : segments_) {
        s.liveBytes += seg->live;
    }
    return s;
}

}  // namespace dfs::localfs
