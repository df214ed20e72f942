// localfs: system-call helpers with the loops and fallbacks a file server needs.
//
// Each helper retries EINTR and short transfers, and reports failure as the errno of
// the call that failed (dfs::errnoError), never by throwing. They know nothing about
// objects or the store's layout; LocalFsBlockStore composes them.
#pragma once

#include <dittofs/cpp/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include <sys/uio.h>

namespace dfs::localfs {

// pread until `len` bytes or end of file; returns the count.
Result<uint64_t> preadFull(int fd, uint8_t* buf, uint64_t len, uint64_t offset);

// pwrite all `len` bytes.
Status pwriteFull(int fd, const uint8_t* buf, uint64_t len, uint64_t offset);

// The bytes of `count` pieces together.
uint64_t iovLength(const iovec* iov, int count);

// pwritev all the bytes of `count` pieces, one after the other from `offset` (in one
// call when the kernel takes them whole). `flags` (RWF_*) apply to the first call, which
// fails with the kernel's errno (EOPNOTSUPP for a flag it or the file system lacks)
// before any byte is written; the rest of a short write goes without them.
Status pwritevFull(int fd, const iovec* iov, int count, uint64_t offset, int flags = 0);

// Writes zeros over [offset, offset + len) (the fallback when holes cannot be punched).
Status writeZeros(int fd, uint64_t offset, uint64_t len);

// Copies [srcOff, srcOff + len) of `in` to `dstOff` of `out` (both may be the same
// file, ranges may overlap), preserving holes of the source as holes or zeros in the
// destination. Tries FICLONERANGE, then copy_file_range, then read/write. Sets
// `reflinked` when the file system shared the blocks.
Status copyRange(int in, uint64_t srcOff, int out, uint64_t dstOff, uint64_t len, bool& reflinked);

// Deallocates [offset, offset + len), keeping the size; falls back to writing zeros
// (within the file's current size) where the file system cannot punch holes.
Status punchHole(int fd, uint64_t offset, uint64_t len);

// The current size of an open file.
Result<uint64_t> fileSize(int fd);

// fdatasync (dataOnly) or fsync of an open file.
Status syncFile(int fd, bool dataOnly);

// fsync of a directory, so that entries created in it survive a power loss.
Status syncDirectory(const std::string& path);

// mkdir that treats "already exists" as success; reports whether it created the
// directory (its parent then needs a syncDirectory for the entry to be durable).
Result<bool> makeDirectory(const std::string& path);

// Creates `path` and any missing parents (like mkdir -p), syncing the parent of each
// directory it creates.
Status makeDirectories(const std::string& path);

// Reads a small file whole into `out`; false when it does not exist.
Result<bool> readSmallFile(const std::string& path, std::string& out);

// Writes `path` so that it survives a power loss whole or not at all: a temporary file,
// fsync, rename over `path`, fsync of the directory.
Status writeFileDurably(const std::string& path, const std::string& content);

// True when the directory holds no entry besides "." and "..".
Result<bool> directoryIsEmpty(const std::string& path);

// The type of the file system `path` is on, as the kernel names it in
// /proc/self/mountinfo ("ext4", "xfs", ...); empty when it cannot be told.
std::string fileSystemType(const std::string& path);
// The same from the text of a mountinfo file, for the device major:minor.
std::string fileSystemTypeIn(std::string_view mountinfo, unsigned major, unsigned minor);

// True when, on this file system type, fsync or fdatasync of a newly created file also
// makes its name durable, so that no fsync of the directory is needed. ext4 and ext3 (the
// ext4 driver): with a journal the create is in a transaction no later than the one the
// file's sync commits; without one, the sync writes the new entry's directory too
// (ext4_sync_parent, Linux 2.6.35). xfs: the create and the directory change are one
// logged transaction, which the file's sync forces to the log.
bool fileSyncCoversNewName(std::string_view fsType);

}  // namespace dfs::localfs
