/*
 * DittoFS plugin ABI: file-system object types shared by the store tables
 * (store.h) and the kernel's VFS table for protocol plugins (host.h).
 *
 * The model is POSIX-like and protocol-neutral: NFSv3 fattr3, NFSv4 fattr4 and SMB
 * FILE_*_INFORMATION are all produced from dfs_attr_t by the protocol plugins.
 */
#ifndef DITTOFS_ABI_FS_H
#define DITTOFS_ABI_FS_H

#include "common.h"

DFS_BEGIN_DECLS

/* Limits every store and the VFS enforce (DFS_ERR_NAMETOOLONG beyond them). */
#define DFS_NAME_MAX 255u   /* bytes in one path component */
#define DFS_PATH_MAX 4095u  /* bytes in a symlink target */
#define DFS_XATTR_NAME_MAX 255u
#define DFS_XATTR_VALUE_MAX 65536u
#define DFS_MAX_FILE_SIZE 0x7fffffffffffffffull

/* Object types. Values match NFSv3 ftype3 (RFC 1813 section 2.5). */
typedef int32_t dfs_ftype_t;
enum {
    DFS_TYPE_NONE = 0,
    DFS_TYPE_REG = 1,
    DFS_TYPE_DIR = 2,
    DFS_TYPE_BLK = 3,
    DFS_TYPE_CHR = 4,
    DFS_TYPE_LNK = 5,
    DFS_TYPE_SOCK = 6,
    DFS_TYPE_FIFO = 7
};

/* Attributes of one object. `ino` is unique within a metadata store instance and never
 * reused while the store lives; `generation` lets a file handle detect a reused
 * number anyway. `change` increases on every modification of the object (data,
 * attributes or, for a directory, its entries): NFSv4 change attribute. */
typedef struct dfs_attr {
    uint32_t struct_size;
    dfs_ftype_t type;
    uint64_t ino;
    uint64_t generation;
    uint32_t mode;      /* permission bits and suid/sgid/sticky: mask 07777 */
    uint32_t nlink;
    uint32_t uid;
    uint32_t gid;
    uint32_t rdev_major;
    uint32_t rdev_minor;
    uint64_t size;      /* bytes; for a symlink the target length */
    uint64_t used;      /* bytes of storage used, if known (else = size) */
    uint64_t change;
    dfs_time_t atime;
    dfs_time_t mtime;
    dfs_time_t ctime;
    dfs_time_t btime;   /* creation time */
} dfs_attr_t;

/* Which fields of dfs_setattr_t to apply. */
enum {
    DFS_SET_MODE = 1u << 0,
    DFS_SET_UID = 1u << 1,
    DFS_SET_GID = 1u << 2,
    DFS_SET_SIZE = 1u << 3,      /* size = value (truncate down or extend with zeros) */
    DFS_SET_ATIME = 1u << 4,
    DFS_SET_MTIME = 1u << 5,
    DFS_SET_CTIME = 1u << 6,
    DFS_SET_SIZE_GROW = 1u << 7, /* size = max(size, value): used after a write */
    DFS_SET_BTIME = 1u << 8,
    /* Only in the VFS table: set the time to the server's clock. */
    DFS_SET_ATIME_NOW = 1u << 9,
    DFS_SET_MTIME_NOW = 1u << 10
};

typedef struct dfs_setattr {
    uint32_t struct_size;
    uint32_t mask;
    uint32_t mode;
    uint32_t uid;
    uint32_t gid;
    uint32_t reserved;
    uint64_t size;
    dfs_time_t atime;
    dfs_time_t mtime;
    dfs_time_t ctime;
    dfs_time_t btime;
} dfs_setattr_t;

/* How a create treats an existing name (NFSv3 createmode3, RFC 1813 3.3.8). */
typedef int32_t dfs_create_how_t;
enum {
    DFS_CREATE_GUARDED = 0,   /* DFS_ERR_EXIST if the name exists */
    DFS_CREATE_UNCHECKED = 1, /* an existing regular file is returned as it is */
    DFS_CREATE_EXCLUSIVE = 2  /* like GUARDED, but an existing file created with the
                                 same verifier is returned (a retransmitted create) */
};

typedef struct dfs_create_args {
    uint32_t struct_size;
    dfs_ftype_t type;
    dfs_create_how_t how;
    uint32_t mode;
    uint32_t uid;
    uint32_t gid;
    uint32_t rdev_major;
    uint32_t rdev_minor;
    uint8_t verifier[8];      /* DFS_CREATE_EXCLUSIVE only */
    dfs_str_t symlink_target; /* DFS_TYPE_LNK only */
} dfs_create_args_t;

/* One directory entry. `cookie` resumes a listing just after this entry. */
typedef struct dfs_dirent {
    uint32_t struct_size;
    dfs_ftype_t type;
    uint64_t ino;
    uint64_t cookie;
    dfs_str_t name; /* valid during the sink call */
} dfs_dirent_t;

/* Receives entries in cookie order. Return 0 to continue; non-zero means "this entry
 * was not taken, stop here" (e.g. the reply is full). */
typedef int32_t (*dfs_dirent_sink_fn)(void* sink_ctx, const dfs_dirent_t* entry);

/* Store cookies start at this value: smaller ones are reserved for protocol plugins
 * (e.g. synthesized "." and ".." entries). 0 means "from the start". */
#define DFS_COOKIE_FIRST 16u

typedef struct dfs_statfs {
    uint32_t struct_size;
    uint32_t reserved;
    uint64_t total_bytes;
    uint64_t free_bytes;
    uint64_t avail_bytes;
    uint64_t total_files;
    uint64_t free_files;
    uint64_t avail_files;
} dfs_statfs_t;

/* Flags of a remove. */
enum {
    DFS_REMOVE_NONDIR = 1u << 0, /* unlink: DFS_ERR_ISDIR if the target is a directory */
    DFS_REMOVE_DIR = 1u << 1     /* rmdir: DFS_ERR_NOTDIR if it is not; NOTEMPTY */
};

/* Flags of setxattr. */
enum {
    DFS_XATTR_CREATE = 1u << 0,  /* DFS_ERR_EXIST if it exists */
    DFS_XATTR_REPLACE = 1u << 1  /* DFS_ERR_NOXATTR if it does not */
};

/* Stability of a write (NFSv3 stable_how, RFC 1813 3.3.7). */
typedef int32_t dfs_stable_t;
enum {
    DFS_UNSTABLE = 0,
    DFS_DATA_SYNC = 1,
    DFS_FILE_SYNC = 2
};

/* Whence for seek (NFSv4.2 SEEK, lseek SEEK_DATA / SEEK_HOLE). */
typedef int32_t dfs_seek_what_t;
enum {
    DFS_SEEK_DATA = 0,
    DFS_SEEK_HOLE = 1
};

DFS_END_DECLS

#endif /* DITTOFS_ABI_FS_H */
