// NFSPROC3_READ: RFC 1813 section 3.3.6. count is capped at rtmax, and at what the
// transport can carry (a UDP datagram, a record), which the RFC allows: a short read is
// not an error.
//
// The data is never copied more than the block store must. The reply buffer has room for
// the header (status, post_op_attr, count, eof, data length) and the data after it. Over
// TCP, the block store may lend the data instead (read_lend; localfs maps its files; the
// kernel decides, by the length read): the reply is then the header followed by the
// store's own bytes, which the kernel hands to the socket (reply_send_lent). Otherwise the
// data goes from the block store straight into the reply buffer, and the header is written
// in front of it once the VFS says how much it read.
#include "../nfs3_ops.hpp"

#include <algorithm>

namespace dfs::nfs3 {
namespace {

// status + post_op_attr (always present on success) + count + eof + data length.
constexpr uint32_t kHeader = 4 + kPostOpAttrMax + 4 + 4 + 4;
constexpr uint32_t kUdpMax = 32 * 1024;

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
    // Ask for less until the transport says yes.
    while (!c.begin(kHeader + xdr::padded(count))) {
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
    dfs_lent_t lent{};
    const dfs_buf_t buf{data, count};
    dfs_err_t e = c.canLend()
                      ? c.vfs().read_lend(c.ctx(), c.cred(), &a.fh, a.offset, buf, &nread, &lent, &eof, &attr)
                      : c.vfs().read(c.ctx(), c.cred(), &a.fh, a.offset, buf, &nread, &eof, &attr);
    LentBytes lentData(lent);
    if (e.code != DFS_OK || header == nullptr || data == nullptr || nread > count || !present(attr) ||
        (!lentData.empty() && lentData.size() != nread)) {
        c.restart();
        c.putStatus(toNfsStat3(e.code == DFS_OK ? DFS_ERR_SERVERFAULT : e.code));
        c.putAttr(attr);
        return Outcome::kReplied;
    }
    // Lent: the reply buffer ends after the header; the data follows it from the store.
    w.shrinkOpaque(data, count, lentData.empty() ? static_cast<size_t>(nread) : 0);
    size_t end = w.size();
    c.restart();
    c.putStatus(NFS3_OK);
    c.putAttr(attr);
    c.out().u32(static_cast<uint32_t>(nread));
    c.out().boolean(eof != 0);
    c.out().u32(static_cast<uint32_t>(nread));
    // The data, if copied, is already in place after the header: continue the writer past it.
    if (c.out().size() != kHeader || !c.out().ok()) {
        return Outcome::kSystemErr;
    }
    c.out().reserveOpaque(end - kHeader);
    c.lend(std::move(lentData));
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3
