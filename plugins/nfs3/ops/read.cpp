// NFSPROC3_READ: RFC 1813 section 3.3.6. count is capped at rtmax, and at what the
// transport can carry (a UDP datagram), which the RFC allows: a short read is not an
// error.
//
// The data is never copied more than the block store must. Over TCP, a read of at least
// kLendMin bytes asks the VFS to lend the data (read_lend): where the store can (localfs
// maps its files), the reply is the header followed by the store's own bytes, which the
// kernel hands to the socket (reply_send_lent). Otherwise the data goes from the block
// store straight into the reply buffer, and the header (status, post_op_attr, count, eof)
// is written in front of it once the VFS says how much it read.
#include "../nfs3_ops.hpp"

#include <algorithm>
#include <optional>

namespace dfs::nfs3 {
namespace {

// status + post_op_attr (always present on success) + count + eof + data length.
constexpr uint32_t kHeader = 4 + kPostOpAttrMax + 4 + 4 + 4;
constexpr uint32_t kUdpMax = 32 * 1024;
// Below this, copying the data costs less than lending it.
constexpr uint32_t kLendMin = 32 * 1024;

// The results up to the data: status, attributes, count, eof, the data's length.
void putHeader(Call& c, const dfs_attr_t& attr, uint64_t nread, int32_t eof) {
    c.putStatus(NFS3_OK);
    c.putAttr(attr);
    c.out().u32(static_cast<uint32_t>(nread));
    c.out().boolean(eof != 0);
    c.out().u32(static_cast<uint32_t>(nread));
}

void putError(Call& c, dfs_err_t e, const dfs_attr_t& attr) {
    c.putStatus(toNfsStat3(e.code == DFS_OK ? DFS_ERR_SERVERFAULT : e.code));
    c.putAttr(attr);
}

// The lending path. nullopt: the data must be copied (the store does not lend it).
std::optional<Outcome> readLent(Call& c, const ReadArgs& a, uint32_t count) {
    dfs_lent_t lent{};
    dfs_attr_t attr = noAttr();
    int32_t eof = 0;
    dfs_err_t e = c.vfs().read_lend(c.ctx(), c.cred(), &a.fh, a.offset, count, &lent, &eof, &attr);
    LentBytes data(lent);
    if (e.code == DFS_ERR_NOTSUPP) {
        return std::nullopt;
    }
    if (!c.begin(kHeader)) {
        return Outcome::kSystemErr;
    }
    if (e.code != DFS_OK || data.size() > count || !present(attr)) {
        putError(c, e, attr);
        return Outcome::kReplied;
    }
    putHeader(c, attr, data.size(), eof);
    const auto pad = static_cast<uint32_t>((4 - data.size() % 4) % 4);
    c.lend(std::move(data), pad);
    return Outcome::kReplied;
}

}  // namespace

Outcome nfsRead(Call& c) {
    ReadArgs a;
    if (!decodeReadArgs(c.args(), a)) {
        return Outcome::kGarbage;
    }
    c.setPrimary(&a.fh);
    uint32_t count = std::min(a.count, c.settings().rtmax);
    if (c.rpc().transport == DFS_RPC_UDP) {
        count = std::min(count, kUdpMax);
    }
    if (count >= kLendMin && c.canLend()) {
        if (auto o = readLent(c, a, count)) {
            return *o;
        }
    }
    // Ask for less until the transport says yes.
    while (!c.begin(kHeader + ((count + 3) & ~3u))) {
        if (count == 0) {
            return Outcome::kSystemErr;
        }
        count /= 2;
    }
    xdr::Writer& w = c.out();
    uint8_t* header = w.reserveOpaque(kHeader);  // filled in below
    uint8_t* data = w.reserveOpaque(count);
    dfs_attr_t attr = noAttr();
    uint64_t nread = 0;
    int32_t eof = 0;
    dfs_err_t e = c.vfs().read(c.ctx(), c.cred(), &a.fh, a.offset, dfs_buf_t{data, count}, &nread, &eof, &attr);
    if (e.code != DFS_OK || header == nullptr || data == nullptr || nread > count || !present(attr)) {
        c.restart();
        putError(c, e, attr);
        return Outcome::kReplied;
    }
    w.shrinkOpaque(data, count, static_cast<size_t>(nread));
    size_t end = w.size();
    c.restart();
    putHeader(c, attr, nread, eof);
    // The data is already in place after the header: continue the writer past it.
    if (c.out().size() != kHeader || !c.out().ok()) {
        return Outcome::kSystemErr;
    }
    c.out().reserveOpaque(end - kHeader);
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3
