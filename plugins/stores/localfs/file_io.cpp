// localfs: system-call helpers (see file_io.hpp).
#include "file_io.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <string_view>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace dfs::localfs {
namespace {

constexpr uint64_t kMaxOff = static_cast<uint64_t>(INT64_MAX);
constexpr uint64_t kCopyBuffer = 1u << 20;

Error lastError() { return errnoError(errno); }

// Plain buffered copy; handles overlap within one file by copying backwards when the
// destination lies after the source. Bytes past the source's end copy as zeros.
Status copyBuffered(int in, uint64_t srcOff, int out, uint64_t dstOff, uint64_t len) {
    std::vector<uint8_t> buf(std::min(len, kCopyBuffer));
    const bool backwards = in == out && dstOff > srcOff && dstOff < srcOff + len;
    for (uint64_t done = 0; done < len;) {
        uint64_t n = std::min<uint64_t>(buf.size(), len - done);
        uint64_t rel = backwards ? len - done - n : done;
        auto got = preadFull(in, buf.data(), n, srcOff + rel);
        if (!got.ok()) {
            return got.error();
        }
        std::fill(buf.begin() + static_cast<std::ptrdiff_t>(*got), buf.begin() + static_cast<std::ptrdiff_t>(n), 0);
        if (auto s = pwriteFull(out, buf.data(), n, dstOff + rel); !s.ok()) {
            return s;
        }
        done += n;
    }
    return okStatus();
}

// Copies one run of data, in the kernel when it can (copy_file_range), else through a
// buffer. `useKernel` turns false for good once the kernel says it cannot.
Status copyData(int in, uint64_t srcOff, int out, uint64_t dstOff, uint64_t len, bool& useKernel) {
    while (len > 0 && useKernel) {
        loff_t from = static_cast<loff_t>(srcOff);
        loff_t to = static_cast<loff_t>(dstOff);
        ssize_t n = ::copy_file_range(in, &from, out, &to, std::min<uint64_t>(len, 1ull << 30), 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP || errno == ENOSYS) {
                useKernel = false;
                break;
            }
            return lastError();
        }
        if (n == 0) {
            break;  // the source ended early (truncated meanwhile): zeros below
        }
        srcOff += static_cast<uint64_t>(n);
        dstOff += static_cast<uint64_t>(n);
        len -= static_cast<uint64_t>(n);
    }
    return len == 0 ? okStatus() : copyBuffered(in, srcOff, out, dstOff, len);
}

}  // namespace

Result<uint64_t> preadFull(int fd, uint8_t* buf, uint64_t len, uint64_t offset) {
    if (offset >= kMaxOff) {
        return uint64_t{0};
    }
    len = std::min(len, kMaxOff - offset);
    uint64_t done = 0;
    while (done < len) {
        ssize_t n = ::pread(fd, buf + done, std::min<uint64_t>(len - done, 1ull << 30),
                            static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return lastError();
        }
        if (n == 0) {
            break;
        }
        done += static_cast<uint64_t>(n);
    }
    return done;
}

namespace {

// pwrite until all `len` bytes are written (range already checked).
Status pwriteLoop(int fd, const uint8_t* buf, uint64_t len, uint64_t offset) {
    uint64_t done = 0;
    while (done < len) {
        ssize_t n = ::pwrite(fd, buf + done, std::min<uint64_t>(len - done, 1ull << 30),
                             static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return lastError();
        }
        if (n == 0) {
            return makeError(DFS_ERR_IO, EIO);  // no progress: avoid spinning
        }
        done += static_cast<uint64_t>(n);
    }
    return okStatus();
}

}  // namespace

Status pwriteFull(int fd, const uint8_t* buf, uint64_t len, uint64_t offset) {
    if (offset > kMaxOff || len > kMaxOff - offset) {
        return makeError(DFS_ERR_FBIG, EFBIG);
    }
    return pwriteLoop(fd, buf, len, offset);
}

uint64_t iovLength(const iovec* iov, int count) {
    uint64_t len = 0;
    for (int i = 0; i < count; ++i) {
        len += iov[i].iov_len;
    }
    return len;
}

Status pwritevFull(int fd, const iovec* iov, int count, uint64_t offset, int flags) {
    const uint64_t len = iovLength(iov, count);
    if (offset > kMaxOff || len > kMaxOff - offset) {
        return makeError(DFS_ERR_FBIG, EFBIG);
    }
    ssize_t n;
    while ((n = ::pwritev2(fd, iov, std::min(count, IOV_MAX), static_cast<off_t>(offset), flags)) < 0) {
        if (errno != EINTR) {
            return lastError();
        }
    }
    // A short write (or more pieces than IOV_MAX): the rest piece by piece.
    auto done = static_cast<uint64_t>(n);
    for (int i = 0; i < count; ++i) {
        const uint64_t piece = iov[i].iov_len;
        const uint64_t skip = std::min(done, piece);
        done -= skip;
        if (skip < piece) {
            if (auto s = pwriteLoop(fd, static_cast<const uint8_t*>(iov[i].iov_base) + skip, piece - skip,
                                    offset + skip);
                !s.ok()) {
                return s;
            }
        }
        offset += piece;
    }
    return okStatus();
}

Status writeZeros(int fd, uint64_t offset, uint64_t len) {
    std::vector<uint8_t> zeros(std::min(len, kCopyBuffer), 0);
    for (uint64_t done = 0; done < len;) {
        uint64_t n = std::min<uint64_t>(zeros.size(), len - done);
        if (auto s = pwriteFull(fd, zeros.data(), n, offset + done); !s.ok()) {
            return s;
        }
        done += n;
    }
    return okStatus();
}

Status punchHole(int fd, uint64_t offset, uint64_t len) {
    if (len == 0 || offset >= kMaxOff) {
        return okStatus();
    }
    len = std::min(len, kMaxOff - offset);
    for (;;) {
        if (::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                        static_cast<off_t>(len)) == 0) {
            return okStatus();
        }
        if (errno != EINTR) {
            break;
        }
    }
    if (errno != EOPNOTSUPP && errno != ENOSYS) {
        return lastError();
    }
    auto size = fileSize(fd);
    if (!size.ok()) {
        return size.error();
    }
    if (offset >= *size) {
        return okStatus();
    }
    return writeZeros(fd, offset, std::min(len, *size - offset));
}

Status copyRange(int in, uint64_t srcOff, int out, uint64_t dstOff, uint64_t len, bool& reflinked) {
    reflinked = false;
    if (len == 0) {
        return okStatus();
    }
    if (srcOff > kMaxOff || len > kMaxOff - srcOff || dstOff > kMaxOff || len > kMaxOff - dstOff) {
        return makeError(DFS_ERR_FBIG, EFBIG);
    }
    auto srcSize = fileSize(in);
    if (!srcSize.ok()) {
        return srcSize.error();
    }
    // The part the source holds; the rest of the range copies as zeros.
    const uint64_t have = srcOff >= *srcSize ? 0 : std::min(len, *srcSize - srcOff);
    const bool overlap = in == out && srcOff < dstOff + len && dstOff < srcOff + len;

    if (overlap) {
        if (auto s = copyBuffered(in, srcOff, out, dstOff, have); !s.ok()) {
            return s;
        }
    } else if (have > 0) {
        // Shares blocks on btrfs, XFS (reflink=1) and the like. The kernel refuses
        // unaligned ranges (EINVAL) and file systems without reflink (EOPNOTSUPP,
        // EXDEV): fall through to copying.
        file_clone_range fcr{};
        fcr.src_fd = in;
        fcr.src_offset = srcOff;
        fcr.src_length = have;
        fcr.dest_offset = dstOff;
        if (::ioctl(out, FICLONERANGE, &fcr) == 0) {
            reflinked = true;
        } else {
            // Copy the source's data runs only, so a sparse source stays sparse.
            bool useKernel = true;
            const uint64_t end = srcOff + have;
            for (uint64_t pos = srcOff; pos < end;) {
                off_t d = ::lseek(in, static_cast<off_t>(pos), SEEK_DATA);
                uint64_t dataStart = d < 0 ? (errno == ENXIO ? end : pos) : static_cast<uint64_t>(d);
                dataStart = std::min(dataStart, end);
                if (dataStart > pos) {
                    if (auto s = punchHole(out, dstOff + (pos - srcOff), dataStart - pos); !s.ok()) {
                        return s;
                    }
                }
                if (dataStart >= end) {
                    break;
                }
                off_t h = ::lseek(in, static_cast<off_t>(dataStart), SEEK_HOLE);
                uint64_t dataEnd = h < 0 ? end : std::min(static_cast<uint64_t>(h), end);
                if (dataEnd <= dataStart) {
                    dataEnd = end;  // the source changed under us; copy the rest plainly
                }
                if (auto s = copyData(in, dataStart, out, dstOff + (dataStart - srcOff), dataEnd - dataStart,
                                      useKernel);
                    !s.ok()) {
                    return s;
                }
                pos = dataEnd;
            }
        }
    }
    if (have < len) {
        // Past the source's end: zeros over whatever the destination held there.
        if (auto s = punchHole(out, dstOff + have, len - have); !s.ok()) {
            return s;
        }
    }
    auto dstSize = fileSize(out);
    if (!dstSize.ok()) {
        return dstSize.error();
    }
    if (*dstSize < dstOff + len && ::ftruncate(out, static_cast<off_t>(dstOff + len)) != 0) {
        return lastError();
    }
    return okStatus();
}

Result<uint64_t> fileSize(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        return lastError();
    }
    return static_cast<uint64_t>(st.st_size);
}

Status syncFile(int fd, bool dataOnly) {
    for (;;) {
        if ((dataOnly ? ::fdatasync(fd) : ::fsync(fd)) == 0) {
            return okStatus();
        }
        if (errno != EINTR) {
            return lastError();
        }
    }
}

Status syncDirectory(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return lastError();
    }
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    return rc == 0 ? okStatus() : Status(errnoError(err));
}

Result<bool> makeDirectory(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) == 0) {
        return true;
    }
    if (errno == EEXIST) {
        return false;  // another thread (or an earlier run) made it: fine
    }
    return lastError();
}

Status makeDirectories(const std::string& path) {
    for (size_t pos = 1; pos <= path.size(); ++pos) {
        if (pos != path.size() && path[pos] != '/') {
            continue;
        }
        std::string prefix = path.substr(0, pos);
        auto made = makeDirectory(prefix);
        if (!made.ok()) {
            return made.error();
        }
        if (*made) {
            auto slash = prefix.find_last_of('/');
            std::string parent = slash == 0 ? "/" : slash == std::string::npos ? "." : prefix.substr(0, slash);
            if (auto s = syncDirectory(parent); !s.ok()) {
                return s;
            }
        }
    }
    return okStatus();
}

Result<bool> readSmallFile(const std::string& path, std::string& out) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? Result<bool>(false) : Result<bool>(lastError());
    }
    out.clear();
    uint8_t buf[256];
    for (uint64_t off = 0;;) {
        auto n = preadFull(fd, buf, sizeof buf, off);
        if (!n.ok()) {
            ::close(fd);
            return n.error();
        }
        out.append(reinterpret_cast<const char*>(buf), *n);
        off += *n;
        if (*n < sizeof buf) {
            break;
        }
    }
    ::close(fd);
    return true;
}

Status writeFileDurably(const std::string& path, const std::string& content) {
    const std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return lastError();
    }
    Status s = pwriteFull(fd, reinterpret_cast<const uint8_t*>(content.data()), content.size(), 0);
    if (s.ok() && ::fsync(fd) != 0) {
        s = lastError();
    }
    ::close(fd);
    if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
        s = lastError();
    }
    if (!s.ok()) {
        ::unlink(tmp.c_str());
        return s;
    }
    auto slash = path.find_last_of('/');
    return syncDirectory(slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash));
}

Result<bool> directoryIsEmpty(const std::string& path) {
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) {
        return lastError();
    }
    bool empty = true;
    errno = 0;
    while (const dirent* e = ::readdir(d)) {
        std::string_view n = e->d_name;
        if (n != "." && n != "..") {
            empty = false;
            break;
        }
    }
    int err = errno;
    ::closedir(d);
    if (empty && err != 0) {
        return errnoError(err);
    }
    return empty;
}

std::string fileSystemTypeIn(std::string_view mountinfo, unsigned major, unsigned minor) {
    // proc(5): "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue":
    // the third field is major:minor; the file system type follows the " - " separator.
    const std::string dev = std::to_string(major) + ":" + std::to_string(minor);
    while (!mountinfo.empty()) {
        size_t eol = mountinfo.find('\n');
        std::string_view line = mountinfo.substr(0, eol);
        mountinfo = eol == std::string_view::npos ? std::string_view{} : mountinfo.substr(eol + 1);
        size_t a = line.find(' ');
        size_t b = a == std::string_view::npos ? a : line.find(' ', a + 1);
        size_t c = b == std::string_view::npos ? b : line.find(' ', b + 1);
        if (c == std::string_view::npos || line.substr(b + 1, c - b - 1) != dev) {
            continue;
        }
        size_t sep = line.find(" - ", c);
        if (sep == std::string_view::npos) {
            continue;
        }
        std::string_view rest = line.substr(sep + 3);
        return std::string(rest.substr(0, rest.find(' ')));
    }
    return {};
}

std::string fileSystemType(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return {};
    }
    std::string text;
    if (auto r = readSmallFile("/proc/self/mountinfo", text); !r.ok() || !*r) {
        return {};
    }
    return fileSystemTypeIn(text, major(st.st_dev), minor(st.st_dev));
}

bool fileSyncCoversNewName(std::string_view fsType) {
    return fsType == "ext4" || fsType == "ext3" || fsType == "xfs";
}

}  // namespace dfs::localfs
