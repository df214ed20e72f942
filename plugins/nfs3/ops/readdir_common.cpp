// What READDIR and READDIRPLUS share (RFC 1813 sections 3.3.16 and 3.3.17).
//
// Cookies: 0 starts a listing; "." and ".." are made up here with cookies 1 and 2 (the
// store's cookies start at DFS_COOKIE_FIRST, fs.h), so a client resuming after either
// gets the rest; 3..15 were never handed out: NFS3ERR_BAD_COOKIE. The cookie verifier is
// the VFS's; a stale one is NFS3ERR_BAD_COOKIE too.
//
// Sizes are honoured exactly: `count` (READDIR) and `maxcount` (READDIRPLUS) bound the
// whole reply, `dircount` bounds the directory part of READDIRPLUS entries (fileid, name,
// cookie). An entry that does not fit is not sent and the listing is not at eof; when
// not even one fits, NFS3ERR_TOOSMALL.
#include "../nfs3_ops.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace dfs::nfs3 {
namespace {

constexpr uint32_t kUdpMax = 32 * 1024;
// status + post_op_attr + cookieverf3 + the final "no more entries" + eof.
constexpr uint32_t kFixed = 4 + kPostOpAttrMax + kCookieVerfSize + 4 + 4;

struct Entry {
    uint64_t fileid = 0;
    std::string name;
    uint64_t cookie = 0;
    dfs_attr_t attr{};  // READDIRPLUS; type NONE: absent
    dfs_fh_t fh{};      // READDIRPLUS; len 0: absent
};

struct Listing {
    bool plus = false;
    uint32_t maxReply = 0;
    uint32_t dircount = 0;
    uint32_t used = kFixed;
    uint32_t dirUsed = 0;
    bool full = false;
    std::vector<Entry> entries;

    bool add(Entry e) {
        uint32_t size = plus ? entryPlusSize(e.name.size(), present(e.attr), e.fh.len > 0 ? &e.fh : nullptr)
                             : entrySize(e.name.size());
        uint32_t dirSize = entryDirInfoSize(e.name.size());
        if (full || static_cast<uint64_t>(used) + size > maxReply ||
            (plus && static_cast<uint64_t>(dirUsed) + dirSize > dircount)) {
            full = true;
            return false;
        }
        used += size;
        dirUsed += dirSize;
        entries.push_back(std::move(e));
        return true;
    }
};

int32_t direntSink(void* ctx, const dfs_vfs_dirent_t* d) {
    auto* l = static_cast<Listing*>(ctx);
    Entry e;
    e.fileid = d->entry.ino;
    e.name.assign(toView(d->entry.name));
    e.cookie = d->entry.cookie;
    e.attr = noAttr();
    if (l->plus && d->attr != nullptr) {
        e.attr = *d->attr;
    }
    if (l->plus && d->fh != nullptr && d->fh->len <= kFhSize) {
        e.fh = *d->fh;
    }
    return l->add(std::move(e)) ? 0 : 1;
}

Outcome fail(Call& c, uint32_t status, const dfs_attr_t& dirAttr) {
    if (!c.begun() && !c.begin(4 + kPostOpAttrMax)) {
        return Outcome::kSystemErr;
    }
    c.restart();
    c.putStatus(status);
    c.putAttr(dirAttr);
    return Outcome::kReplied;
}

bool isZero(const uint8_t* v) {
    static const uint8_t zero[kCookieVerfSize] = {};
    return std::memcmp(v, zero, kCookieVerfSize) == 0;
}

}  // namespace

Outcome listDirectory(Call& c, const ReaddirArgs& a, bool plus) {
    c.setPrimary(&a.dir);
    Listing l;
    l.plus = plus;
    l.maxReply = std::min(a.count, c.settings().rtmax);
    if (c.rpc().transport == DFS_RPC_UDP) {
        l.maxReply = std::min(l.maxReply, kUdpMax);
    }
    l.dircount = a.dircount;
    dfs_attr_t dirAttr = noAttr();
    if (a.cookie > 2 && a.cookie < DFS_COOKIE_FIRST) {
        c.vfs().getattr(c.ctx(), c.cred(), &a.dir, &dirAttr);
        return fail(c, NFS3ERR_BAD_COOKIE, dirAttr);
    }
    if (a.cookie < 2) {
        dfs_fh_t parentFh{};
        dfs_attr_t parent = noAttr();
        dfs_err_t e = c.vfs().lookup(c.ctx(), c.cred(), &a.dir, toC(".."), &parentFh, &parent, &dirAttr);
        if (e.code != DFS_OK && e.code != DFS_ERR_ACCES) {
            return fail(c, toNfsStat3(e.code), dirAttr);
        }
        // Without search permission ".." cannot be looked up; it is listed all the same
        // (reading a directory needs only read permission), with the directory's own
        // fileid and no attributes.
        if (e.code != DFS_OK) {
            parent = noAttr();
            parentFh = dfs_fh_t{};
        }
        if (a.cookie == 0) {
            Entry dot;
            dot.fileid = dirAttr.ino;
            dot.name = ".";
            dot.cookie = 1;
            dot.attr = dirAttr;
            dot.fh = a.dir;
            l.add(std::move(dot));
        }
        Entry dotdot;
        dotdot.fileid = present(parent) ? parent.ino : dirAttr.ino;
        dotdot.name = "..";
        dotdot.cookie = 2;
        dotdot.attr = parent;
        dotdot.fh = parentFh;
        l.add(std::move(dotdot));
    }
    uint64_t storeCookie = a.cookie < DFS_COOKIE_FIRST ? 0 : a.cookie;
    uint8_t verf[kCookieVerfSize] = {};
    int32_t eof = 0;
    dirAttr = noAttr();
    dfs_err_t e = c.vfs().readdir(c.ctx(), c.cred(), &a.dir, storeCookie, storeCookie != 0 ? a.verf : nullptr, verf,
                                  plus ? DFS_READDIR_PLUS : 0, direntSink, &l, &eof, &dirAttr);
    if (e.code != DFS_OK) {
        return fail(c, toNfsStat3(e.code), dirAttr);
    }
    // Resuming after "." or "..": the VFS did not see a cookie, so check the verifier here.
    if (a.cookie != 0 && storeCookie == 0 && !isZero(a.verf) && std::memcmp(a.verf, verf, kCookieVerfSize) != 0) {
        return fail(c, NFS3ERR_BAD_COOKIE, dirAttr);
    }
    bool atEof = eof != 0 && !l.full;
    if (l.entries.empty() && !atEof) {
        return fail(c, NFS3ERR_TOOSMALL, dirAttr);
    }
    if (!c.begin(l.used)) {
        return Outcome::kSystemErr;
    }
    c.putStatus(NFS3_OK);
    c.putAttr(dirAttr);
    xdr::Writer& w = c.out();
    w.fixed(verf, kCookieVerfSize);
    uint64_t fsid = c.fsid();
    for (const Entry& en : l.entries) {
        w.boolean(true);
        w.u64(en.fileid);
        w.var(en.name);
        w.u64(en.cookie);
        if (plus) {
            encodePostOpAttr(w, en.attr, fsid);
            encodePostOpFh(w, en.fh.len > 0 ? &en.fh : nullptr);
        }
    }
    w.boolean(false);
    w.boolean(atEof);
    return Outcome::kReplied;
}

}  // namespace dfs::nfs3
