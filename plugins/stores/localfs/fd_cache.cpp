// localfs: open object files and their mappings (see fd_cache.hpp).
#include "fd_cache.hpp"

#include <sys/mman.h>
#include <unistd.h>

namespace dfs::localfs {

OpenFile::~OpenFile() {
    // Errors of close() on a file we only wrote with pwrite carry no information that
    // fsync has not already reported (or will report on the next flush).
    ::close(fd_);
}

Window::~Window() { ::munmap(const_cast<uint8_t*>(base_), len_); }

}  // namespace dfs::localfs
