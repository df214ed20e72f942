// XDR codecs of RFC 1813 (sections 2.5, 2.6, 3.3.x and appendix I).
#include "nfs3_xdr.hpp"

#include <dittofs/cpp/views.hpp>

#include <cstring>

namespace dfs::nfs3 {
namespace {

xdr::Reader readerOf(dfs_bytes_t in) { return in.ptr == nullptr ? xdr::Reader(nullptr, 0) : xdr::Reader(in); }

// nfstime3 seconds are unsigned 32-bit: times before the epoch or after 2106 are clamped,
// which is what a client could represent anyway.
uint32_t clampSeconds(int64_t s) {
    if (s < 0) {
        return 0;
    }
    if (s > static_cast<int64_t>(UINT32_MAX)) {
        return UINT32_MAX;
    }
    return static_cast<uint32_t>(s);
}

// set_mode3, set_uid3, set_gid3: bool + uint32 (section 2.5, sattr3).
bool optionalU32(xdr::Reader& r, uint32_t& v) {
    bool set = r.boolean();
    if (set) {
        v = r.u32();
    }
    return set && r.ok();
}

void decodeSetTime(xdr::Reader& r, SAttr& out, uint32_t nowBit, uint32_t setBit, dfs_time_t& t) {
    uint32_t how = r.u32();
    switch (how) {
    case DONT_CHANGE:
        break;
    case SET_TO_SERVER_TIME:
        out.sa.mask |= nowBit;
        break;
    case SET_TO_CLIENT_TIME:
        decodeTime(r, t, &out.valid);
        out.sa.mask |= setBit;
        break;
    default:
        r.fail();  // an enum value outside time_how: not XDR for sattr3
        break;
    }
}

}  // namespace

void decodeFh(xdr::Reader& r, dfs_fh_t& fh) {
    std::string_view v = r.var(kFhSize);
    fh.len = static_cast<uint32_t>(v.size());
    if (!v.empty()) {
        std::memcpy(fh.data, v.data(), v.size());
    }
}

void decodeTime(xdr::Reader& r, dfs_time_t& t, bool* valid) {
    t.sec = r.u32();
    t.nsec = r.u32();
    t.reserved = 0;
    if (t.nsec > 999999999u && valid != nullptr) {
        *valid = false;
    }
}

void decodeSattr(xdr::Reader& r, SAttr& out) {
    out.sa = makeStruct<dfs_setattr_t>();
    if (optionalU32(r, out.sa.mode)) {
        out.sa.mask |= DFS_SET_MODE;
    }
    if (optionalU32(r, out.sa.uid)) {
        out.sa.mask |= DFS_SET_UID;
    }
    if (optionalU32(r, out.sa.gid)) {
        out.sa.mask |= DFS_SET_GID;
    }
    if (r.boolean()) {
        out.sa.size = r.u64();
        out.sa.mask |= DFS_SET_SIZE;
    }
    decodeSetTime(r, out, DFS_SET_ATIME_NOW, DFS_SET_ATIME, out.sa.atime);
    decodeSetTime(r, out, DFS_SET_MTIME_NOW, DFS_SET_MTIME, out.sa.mtime);
}

void decodeDirOp(xdr::Reader& r, DirOp& out) {
    decodeFh(r, out.dir);
    out.name = r.var(kNameDecodeMax);
}

bool decodeFhArgs(dfs_bytes_t in, FhArgs& out) {
    auto r = readerOf(in);
    decodeFh(r, out.fh);
    return r.ok();
}

// Section 3.3.2: object, new_attributes, sattrguard3.
bool decodeSetattrArgs(dfs_bytes_t in, SetattrArgs& out) {
    auto r = readerOf(in);
    decodeFh(r, out.fh);
    decodeSattr(r, out.attr);
    out.guard = r.boolean();
    if (out.guard) {
        decodeTime(r, out.guardCtime, nullptr);
    }
    return r.ok();
}

bool decodeDirOpArgs(dfs_bytes_t in, DirOp& out) {
    auto r = readerOf(in);
    decodeDirOp(r, out);
    return r.ok();
}

bool decodeAccessArgs(dfs_bytes_t in, AccessArgs& out) {
    auto r = readerOf(in);
    decodeFh(r, out.fh);
    out.access = r.u32();
    return r.ok();
}

bool decodeReadArgs(dfs_bytes_t in, ReadArgs& out) {
    auto r = readerOf(in);
    decodeFh(r, out.fh);
    out.offset = r.u64();
    out.count = r.u32();
    return r.ok();
}

// Section 3.3.7: file, offset, count, stable, data<>. A count larger than the data sent
// cannot be honoured: garbage. A smaller one writes `count` bytes.
bool decodeWriteArgs(dfs_bytes_t in, WriteArgs& out) {
    auto r = readerOf(in);
    decodeFh(r, out.fh);
    out.offset = r.u64();
    out.count = r.u32();
    out.stable = r.u32();
    out.data = r.var(UINT32_MAX);
    if (out.stable > DFS_FILE_SYNC) {
        r.fail();
    }
    return r.ok() && out.count <= out.data.size();
}

// Section 3.3.8: where, createhow3.
bool decodeCreateArgs(dfs_bytes_t in, CreateArgs& out) {
    auto r = readerOf(in);
    decodeDirOp(r, out.where);
    out.mode = r.u32();
    switch (out.mode) {
    case UNCHECKED:
    case GUARDED:
        decodeSattr(r, out.attr);
        break;
    case EXCLUSIVE: {
        std::string_view v = r.fixed(kCreateVerfSize);
        if (r.ok()) {
            std::memcpy(out.verf, v.data(), kCreateVerfSize);
        }
        out.attr.sa = makeStruct<dfs_setattr_t>();
        break;
    }
    default:
        r.fail();
        break;
    }
    return r.ok();
}

bool decodeMkdirArgs(dfs_bytes_t in, MkdirArgs& out) {
    auto r = readerOf(in);
    decodeDirOp(r, out.where);
    decodeSattr(r, out.attr);
    return r.ok();
}

// Section 3.3.10: where, symlinkdata3 {symlink_attributes, symlink_data}.
bool decodeSymlinkArgs(dfs_bytes_t in, SymlinkArgs& out) {
    auto r = readerOf(in);
    decodeDirOp(r, out.where);
    decodeSattr(r, out.attr);
    out.target = r.var(kPathDecodeMax);
    return r.ok();
}

// Section 3.3.11: where, mknoddata3 (a union on ftype3 whose default arm is void, so any
// type decodes; the handler answers NFS3ERR_BADTYPE for the ones it cannot make).
bool decodeMknodArgs(dfs_bytes_t in, MknodArgs& out) {
    auto r = readerOf(in);
    decodeDirOp(r, out.where);
    out.type = r.u32();
    out.attr.sa = makeStruct<dfs_setattr_t>();
    switch (out.type) {
    case DFS_TYPE_CHR:
    case DFS_TYPE_BLK:
        decodeSattr(r, out.attr);
        out.major = r.u32();
        out.minor = r.u32();
        break;
    case DFS_TYPE_SOCK:
    case DFS_TYPE_FIFO:
        decodeSattr(r, out.attr);
        break;
    default:
        break;
    }
    return r.ok();
}

bool decodeRenameArgs(dfs_bytes_t in, RenameArgs& out) {
    auto r = readerOf(in);
    decodeDirOp(r, out.from);
    decodeDirOp(r, out.to);
    return r.ok();
}

bool decodeLinkArgs(dfs_bytes_t in, LinkArgs& out) {
    auto r = readerOf(in);
    decodeFh(r, out.fh);
    decodeDirOp(r, out.link);
    return r.ok();
}

namespace {
void decodeCookieAndVerf(xdr::Reader& r, ReaddirArgs& out) {
    decodeFh(r, out.dir);
    out.cookie = r.u64();
    std::string_view v = r.fixed(kCookieVerfSize);
    if (r.ok()) {
        std::memcpy(out.verf, v.data(), kCookieVerfSize);
    }
}
}  // namespace

// Section 3.3.16: dir, cookie, cookieverf, count.
bool decodeReaddirArgs(dfs_bytes_t in, ReaddirArgs& out) {
    auto r = readerOf(in);
    decodeCookieAndVerf(r, out);
    out.count = r.u32();
    out.dircount = out.count;
    return r.ok();
}

// Section 3.3.17: dir, cookie, cookieverf, dircount, maxcount.
bool decodeReaddirplusArgs(dfs_bytes_t in, ReaddirArgs& out) {
    auto r = readerOf(in);
    decodeCookieAndVerf(r, out);
    out.dircount = r.u32();
    out.count = r.u32();
    return r.ok();
}

bool decodeCommitArgs(dfs_bytes_t in, CommitArgs& out) {
    auto r = readerOf(in);
    decodeFh(r, out.fh);
    out.offset = r.u64();
    out.count = r.u32();
    return r.ok();
}

bool decodeDirpath(dfs_bytes_t in, std::string_view& path) {
    auto r = readerOf(in);
    path = r.var(kMntPathLen);
    return r.ok();
}

void encodeTime(xdr::Writer& w, const dfs_time_t& t) {
    w.u32(clampSeconds(t.sec));
    w.u32(t.nsec);
}

// fattr3 (section 2.5): fsid is the share, fileid the inode number.
void encodeFattr(xdr::Writer& w, const dfs_attr_t& a, uint64_t fsid) {
    w.u32(static_cast<uint32_t>(a.type));
    w.u32(a.mode & 07777);
    w.u32(a.nlink);
    w.u32(a.uid);
    w.u32(a.gid);
    w.u64(a.size);
    w.u64(a.used);
    w.u32(a.rdev_major);
    w.u32(a.rdev_minor);
    w.u64(fsid);
    w.u64(a.ino);
    encodeTime(w, a.atime);
    encodeTime(w, a.mtime);
    encodeTime(w, a.ctime);
}

void encodePostOpAttr(xdr::Writer& w, const dfs_attr_t& a, uint64_t fsid) {
    w.boolean(present(a));
    if (present(a)) {
        encodeFattr(w, a, fsid);
    }
}

// wcc_data (section 2.6): pre_op_attr is only size, mtime and ctime.
void encodeWcc(xdr::Writer& w, const dfs_wcc_t& wcc, uint64_t fsid) {
    bool before = wcc.have_before != 0 && present(wcc.before);
    w.boolean(before);
    if (before) {
        w.u64(wcc.before.size);
        encodeTime(w, wcc.before.mtime);
        encodeTime(w, wcc.before.ctime);
    }
    bool after = wcc.have_after != 0 && present(wcc.after);
    w.boolean(after);
    if (after) {
        encodeFattr(w, wcc.after, fsid);
    }
}

void encodeFh(xdr::Writer& w, const dfs_fh_t& fh) {
    uint32_t n = fh.len <= kFhSize ? fh.len : 0;
    w.var(fh.data, n);
}

void encodePostOpFh(xdr::Writer& w, const dfs_fh_t* fh) {
    bool have = fh != nullptr && fh->len > 0 && fh->len <= kFhSize;
    w.boolean(have);
    if (have) {
        encodeFh(w, *fh);
    }
}

uint32_t entryDirInfoSize(size_t nameLen) { return 8 + 4 + static_cast<uint32_t>(xdr::padded(nameLen)) + 8; }

// entry3: value-follows + fileid + name + cookie.
uint32_t entrySize(size_t nameLen) { return 4 + entryDirInfoSize(nameLen); }

// entryplus3: entry3 + post_op_attr + post_op_fh3.
uint32_t entryPlusSize(size_t nameLen, bool haveAttr, const dfs_fh_t* fh) {
    uint32_t n = entrySize(nameLen) + 4 + (haveAttr ? kFattrSize : 0) + 4;
    if (fh != nullptr && fh->len > 0 && fh->len <= kFhSize) {
        n += 4 + xdr::padded(fh->len);
    }
    return n;
}

}  // namespace dfs::nfs3
