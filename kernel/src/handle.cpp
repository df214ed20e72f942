#include "handle.hpp"

#include <cstring>

namespace dfs::kernel {
namespace {

void put32(uint8_t* p, uint32_t v) {
    for (int i = 3; i >= 0; --i) {
        p[i] = static_cast<uint8_t>(v);
        v >>= 8;
    }
}
void put64(uint8_t* p, uint64_t v) {
    for (int i = 7; i >= 0; --i) {
        p[i] = static_cast<uint8_t>(v);
        v >>= 8;
    }
}
uint32_t get32(const uint8_t* p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        v = (v << 8) | p[i];
    }
    return v;
}
uint64_t get64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
        v = (v << 8) | p[i];
    }
    return v;
}

}  // namespace

dfs_fh_t encodeHandle(const HandleParts& p) {
    dfs_fh_t fh;
    std::memset(&fh, 0, sizeof fh);
    fh.len = kHandleSize;
    fh.data[0] = 'D';
    fh.data[1] = 1;
    put32(fh.data + 4, p.shareId);
    put64(fh.data + 8, p.ino);
    put64(fh.data + 16, p.generation);
    return fh;
}

dfs_status_t decodeHandle(const dfs_fh_t* fh, HandleParts& out) {
    if (fh == nullptr || fh->len != kHandleSize || fh->data[0] != 'D' || fh->data[1] != 1 || fh->data[2] != 0 ||
        fh->data[3] != 0) {
        return DFS_ERR_BADHANDLE;
    }
    out.shareId = get32(fh->data + 4);
    out.ino = get64(fh->data + 8);
    out.generation = get64(fh->data + 16);
    if (out.shareId == 0 || out.ino == 0) {
        return DFS_ERR_BADHANDLE;
    }
    return DFS_OK;
}

}  // namespace dfs::kernel
