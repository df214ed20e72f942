// NFSv3 and MOUNT v3 on the wire: the XDR types of RFC 1813 (section 2 and appendix I),
// decoded from a call's arguments and encoded into its reply.
//
// Every decoder reads with the SDK's sticky xdr::Reader and answers false when the
// arguments are malformed, which the dispatcher turns into GARBAGE_ARGS. Decoders keep
// views into the call's argument buffer (names, paths, WRITE data): they are valid until
// the reply is sent. Values that decode but are out of range for the operation (a bad
// nanosecond count, an over-long name) are left for the handler to answer with the
// protocol's own error. The fuzz target tests/fuzz/fuzz_nfs3_args.cpp feeds every decoder.
#pragma once

#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/xdr.hpp>

#include <cstdint>
#include <string_view>

namespace dfs::nfs3 {

// Programs (RFC 1813 section 1.2 and appendix I).
inline constexpr uint32_t kNfsProgram = 100003;
inline constexpr uint32_t kNfsVersion = 3;
inline constexpr uint32_t kMountProgram = 100005;
inline constexpr uint32_t kMountVersion = 3;

// Sizes (RFC 1813 section 2.4 and appendix I).
inline constexpr uint32_t kFhSize = 64;         // NFS3_FHSIZE, FHSIZE3
inline constexpr uint32_t kCookieVerfSize = 8;  // NFS3_COOKIEVERFSIZE
inline constexpr uint32_t kCreateVerfSize = 8;  // NFS3_CREATEVERFSIZE
inline constexpr uint32_t kWriteVerfSize = 8;   // NFS3_WRITEVERFSIZE
inline constexpr uint32_t kMntPathLen = 1024;   // MNTPATHLEN
inline constexpr uint32_t kMntNameLen = 255;    // MNTNAMLEN

// filename3 and nfspath3 are unbounded strings in the RFC. We decode far more than the
// VFS accepts, so an over-long name is answered NFS3ERR_NAMETOOLONG rather than refused
// as garbage, and still bound what one call can make us hold.
inline constexpr uint32_t kNameDecodeMax = 8 * DFS_NAME_MAX;
inline constexpr uint32_t kPathDecodeMax = 4 * (DFS_PATH_MAX + 1);

// Encoded sizes used to size replies (RFC 1813 sections 2.5 and 2.6).
inline constexpr uint32_t kFattrSize = 84;
inline constexpr uint32_t kPostOpAttrMax = 4 + kFattrSize;
inline constexpr uint32_t kWccMax = (4 + 24) + kPostOpAttrMax;
inline constexpr uint32_t kPostOpFhMax = 4 + 4 + kFhSize;

// nfsstat3 (RFC 1813 section 2.6).
enum NfsStat3 : uint32_t {
    NFS3_OK = 0,
    NFS3ERR_PERM = 1,
    NFS3ERR_NOENT = 2,
    NFS3ERR_IO = 5,
    NFS3ERR_NXIO = 6,
    NFS3ERR_ACCES = 13,
    NFS3ERR_EXIST = 17,
    NFS3ERR_XDEV = 18,
    NFS3ERR_NODEV = 19,
    NFS3ERR_NOTDIR = 20,
    NFS3ERR_ISDIR = 21,
    NFS3ERR_INVAL = 22,
    NFS3ERR_FBIG = 27,
    NFS3ERR_NOSPC = 28,
    NFS3ERR_ROFS = 30,
    NFS3ERR_MLINK = 31,
    NFS3ERR_NAMETOOLONG = 63,
    NFS3ERR_NOTEMPTY = 66,
    NFS3ERR_DQUOT = 69,
    NFS3ERR_STALE = 70,
    NFS3ERR_REMOTE = 71,
    NFS3ERR_BADHANDLE = 10001,
    NFS3ERR_NOT_SYNC = 10002,
    NFS3ERR_BAD_COOKIE = 10003,
    NFS3ERR_NOTSUPP = 10004,
    NFS3ERR_TOOSMALL = 10005,
    NFS3ERR_SERVERFAULT = 10006,
    NFS3ERR_BADTYPE = 10007,
    NFS3ERR_JUKEBOX = 10008
};

// mountstat3 (RFC 1813 appendix I).
enum MountStat3 : uint32_t {
    MNT3_OK = 0,
    MNT3ERR_PERM = 1,
    MNT3ERR_NOENT = 2,
    MNT3ERR_IO = 5,
    MNT3ERR_ACCES = 13,
    MNT3ERR_NOTDIR = 20,
    MNT3ERR_INVAL = 22,
    MNT3ERR_NAMETOOLONG = 63,
    MNT3ERR_NOTSUPP = 10004,
    MNT3ERR_SERVERFAULT = 10006
};

// Procedure numbers (RFC 1813 section 3 and appendix I).
enum NfsProc : uint32_t {
    NFSPROC3_NULL = 0,
    NFSPROC3_GETATTR = 1,
    NFSPROC3_SETATTR = 2,
    NFSPROC3_LOOKUP = 3,
    NFSPROC3_ACCESS = 4,
    NFSPROC3_READLINK = 5,
    NFSPROC3_READ = 6,
    NFSPROC3_WRITE = 7,
    NFSPROC3_CREATE = 8,
    NFSPROC3_MKDIR = 9,
    NFSPROC3_SYMLINK = 10,
    NFSPROC3_MKNOD = 11,
    NFSPROC3_REMOVE = 12,
    NFSPROC3_RMDIR = 13,
    NFSPROC3_RENAME = 14,
    NFSPROC3_LINK = 15,
    NFSPROC3_READDIR = 16,
    NFSPROC3_READDIRPLUS = 17,
    NFSPROC3_FSSTAT = 18,
    NFSPROC3_FSINFO = 19,
    NFSPROC3_PATHCONF = 20,
    NFSPROC3_COMMIT = 21,
    kNfsProcCount = 22
};

enum MountProc : uint32_t {
    MOUNTPROC3_NULL = 0,
    MOUNTPROC3_MNT = 1,
    MOUNTPROC3_DUMP = 2,
    MOUNTPROC3_UMNT = 3,
    MOUNTPROC3_UMNTALL = 4,
    MOUNTPROC3_EXPORT = 5,
    kMountProcCount = 6
};

// createmode3 (section 3.3.8), time_how (section 2.5), stable_how (section 3.3.7).
enum CreateMode3 : uint32_t { UNCHECKED = 0, GUARDED = 1, EXCLUSIVE = 2 };
enum TimeHow : uint32_t { DONT_CHANGE = 0, SET_TO_SERVER_TIME = 1, SET_TO_CLIENT_TIME = 2 };

// FSINFO properties (section 3.3.19).
enum : uint32_t { FSF3_LINK = 0x1, FSF3_SYMLINK = 0x2, FSF3_HOMOGENEOUS = 0x8, FSF3_CANSETTIME = 0x10 };

// sattr3 as the VFS takes it. `valid` is false when a field decoded but cannot be
// applied (nanoseconds past 999999999): the handler answers NFS3ERR_INVAL.
struct SAttr {
    dfs_setattr_t sa{};
    bool valid = true;
};

struct DirOp {
    dfs_fh_t dir{};
    std::string_view name;
};

struct FhArgs {  // GETATTR, READLINK, FSSTAT, FSINFO, PATHCONF
    dfs_fh_t fh{};
};

struct SetattrArgs {
    dfs_fh_t fh{};
    SAttr attr;
    bool guard = false;
    dfs_time_t guardCtime{};
};

struct AccessArgs {
    dfs_fh_t fh{};
    uint32_t access = 0;
};

struct ReadArgs {
    dfs_fh_t fh{};
    uint64_t offset = 0;
    uint32_t count = 0;
};

struct WriteArgs {
    dfs_fh_t fh{};
    uint64_t offset = 0;
    uint32_t count = 0;
    uint32_t stable = 0;
    std::string_view data;  // the whole opaque; count may be less
};

struct CreateArgs {
    DirOp where;
    uint32_t mode = UNCHECKED;
    SAttr attr;  // UNCHECKED, GUARDED
    uint8_t verf[kCreateVerfSize] = {};  // EXCLUSIVE
};

struct MkdirArgs {
    DirOp where;
    SAttr attr;
};

struct SymlinkArgs {
    DirOp where;
    SAttr attr;
    std::string_view target;
};

struct MknodArgs {
    DirOp where;
    uint32_t type = 0;  // ftype3
    SAttr attr;
    uint32_t major = 0;
    uint32_t minor = 0;
};

struct RenameArgs {
    DirOp from;
    DirOp to;
};

struct LinkArgs {
    dfs_fh_t fh{};
    DirOp link;
};

struct ReaddirArgs {
    dfs_fh_t dir{};
    uint64_t cookie = 0;
    uint8_t verf[kCookieVerfSize] = {};
    uint32_t dircount = 0;  // READDIRPLUS only
    uint32_t count = 0;     // READDIR count, READDIRPLUS maxcount
};

struct CommitArgs {
    dfs_fh_t fh{};
    uint64_t offset = 0;
    uint32_t count = 0;
};

// Pieces.
void decodeFh(xdr::Reader& r, dfs_fh_t& fh);
void decodeTime(xdr::Reader& r, dfs_time_t& t, bool* valid);
void decodeSattr(xdr::Reader& r, SAttr& out);
void decodeDirOp(xdr::Reader& r, DirOp& out);

// Arguments of each procedure; false: GARBAGE_ARGS.
bool decodeFhArgs(dfs_bytes_t in, FhArgs& out);
bool decodeSetattrArgs(dfs_bytes_t in, SetattrArgs& out);
bool decodeDirOpArgs(dfs_bytes_t in, DirOp& out);  // LOOKUP, REMOVE, RMDIR
bool decodeAccessArgs(dfs_bytes_t in, AccessArgs& out);
bool decodeReadArgs(dfs_bytes_t in, ReadArgs& out);
bool decodeWriteArgs(dfs_bytes_t in, WriteArgs& out);
bool decodeCreateArgs(dfs_bytes_t in, CreateArgs& out);
bool decodeMkdirArgs(dfs_bytes_t in, MkdirArgs& out);
bool decodeSymlinkArgs(dfs_bytes_t in, SymlinkArgs& out);
bool decodeMknodArgs(dfs_bytes_t in, MknodArgs& out);
bool decodeRenameArgs(dfs_bytes_t in, RenameArgs& out);
bool decodeLinkArgs(dfs_bytes_t in, LinkArgs& out);
bool decodeReaddirArgs(dfs_bytes_t in, ReaddirArgs& out);
bool decodeReaddirplusArgs(dfs_bytes_t in, ReaddirArgs& out);
bool decodeCommitArgs(dfs_bytes_t in, CommitArgs& out);
// MOUNT: dirpath (MNT, UMNT).
bool decodeDirpath(dfs_bytes_t in, std::string_view& path);

// Results.
void encodeTime(xdr::Writer& w, const dfs_time_t& t);
void encodeFattr(xdr::Writer& w, const dfs_attr_t& a, uint64_t fsid);
// An attribute whose type is DFS_TYPE_NONE was not filled by the VFS: encoded as absent.
void encodePostOpAttr(xdr::Writer& w, const dfs_attr_t& a, uint64_t fsid);
void encodeWcc(xdr::Writer& w, const dfs_wcc_t& wcc, uint64_t fsid);
void encodeFh(xdr::Writer& w, const dfs_fh_t& fh);
void encodePostOpFh(xdr::Writer& w, const dfs_fh_t* fh);

inline bool present(const dfs_attr_t& a) { return a.type != DFS_TYPE_NONE; }

// Bytes a READDIR entry3 / READDIRPLUS entryplus3 takes in the reply, and the part of
// it RFC 1813 section 3.3.17 counts against dircount (fileid, name, cookie).
uint32_t entrySize(size_t nameLen);
uint32_t entryDirInfoSize(size_t nameLen);
uint32_t entryPlusSize(size_t nameLen, bool haveAttr, const dfs_fh_t* fh);

}  // namespace dfs::nfs3
