/*
 * DittoFS plugin ABI: the metadata-store and block-store tables.
 *
 * A share is one metadata store instance (names, inodes, attributes, symlinks,
 * xattrs) plus one block store instance (the bytes of each regular file, keyed by the
 * inode number). The kernel's VFS calls these tables after it has checked
 * permissions and locks; a store only keeps data consistent and durable.
 *
 * Contract for every slot:
 *  - `inst` is the pointer returned by the plugin descriptor's create().
 *  - Each call is atomic: it either happens entirely or returns an error and changes
 *    nothing. Slots may be called from many threads at once.
 *  - Out-structs are zeroed by the caller with struct_size set; the store writes the
 *    fields it knows.
 *  - A NULL slot gets the default stated beside it (sdk/include/dittofs/cpp/store_client.hpp
 *    implements the defaults; the kernel and the conformance kit both apply them).
 *  - What the store acknowledged survives a crash of the process once the call has
 *    returned, except block writes made with DFS_UNSTABLE until flush() returns.
 *
 * The store conformance kit (sdk/kit) checks every rule written here.
 */
#ifndef DITTOFS_ABI_STORE_H
#define DITTOFS_ABI_STORE_H

#include "common.h"
#include "fs.h"

DFS_BEGIN_DECLS

/* ---- Metadata store -----------------------------------------------------------------
 * Names: a valid name is 1..DFS_NAME_MAX bytes with no '/' and no NUL. Creating,
 * linking or renaming to "." or ".." or an invalid name gives DFS_ERR_BADNAME (except
 * over-long names: DFS_ERR_NAMETOOLONG). lookup() accepts "." (the directory itself)
 * and ".." (its parent; the root's parent is the root).
 *
 * Directory listing: every entry gets a cookie >= DFS_COOKIE_FIRST when it is inserted,
 * larger than every cookie the directory ever had. A listing returns entries with
 * cookie > the given one in increasing order, so a cookie stays valid while entries
 * are added and removed, and after a restart. "." and ".." are not listed.
 *
 * Times: the kernel passes `now`; the store stamps it as mtime/ctime of what changed
 * (a new object gets it as atime/mtime/ctime/btime). `change` is incremented on every
 * change of an object, including a directory whose entries changed.
 *
 * Clarifications (POSIX behaviour; the conformance kit checks them):
 *  - An inode argument that names no object gives DFS_ERR_STALE; a `dir` argument that
 *    is not a directory gives DFS_ERR_NOTDIR. Names are compared as bytes.
 *  - remove() and the source of rename() take the same names as create(): "." and ".."
 *    give DFS_ERR_BADNAME (they never name an entry that can be removed or moved).
 *  - `mode` is stored masked with 07777. link() and remove() (when links remain) stamp
 *    the object's ctime; a moved directory's ctime is stamped too (its ".." changed).
 *  - The replaced or removed object's attributes are those after the call. */
/* (1.5) Receives one entry of readdir_plus() and the attributes of the object it names
 * (attr->ino == entry->ino); both are valid during the call. Return 0 to continue,
 * non-zero to refuse the entry and stop, as for dfs_dirent_sink_fn. */
typedef int32_t (*dfs_dirent_plus_sink_fn)(void* sink_ctx, const dfs_dirent_t* entry,
                                           const dfs_attr_t* attr);

typedef struct dfs_metadata_store_ops {
    uint32_t struct_size;
    uint32_t reserved;

    /* The root directory's inode number (exists from create() on, mode 0755, uid/gid 0
     * unless configured). Required. */
    dfs_err_t (*root)(void* inst, uint64_t* ino);

    /* DFS_ERR_STALE if `ino` does not exist. Required. */
    dfs_err_t (*getattr)(void* inst, uint64_t ino, dfs_attr_t* out);

    /* Applies the fields in sa->mask (DFS_SET_*_NOW are resolved by the kernel and never
     * reach a store). Setting the size changes the recorded size only; the kernel
     * truncates the block store. Unless DFS_SET_CTIME is given, ctime becomes `now`.
     * DFS_ERR_INVAL if a regular-file-only field (size) is set on another type.
     * `out` (may be NULL) receives the attributes after the change. Required.
     * Clarified: DFS_SET_SIZE_GROW is a size field too (INVAL on other types); a size
     * above DFS_MAX_FILE_SIZE gives DFS_ERR_FBIG; a call that changes the size also sets
     * mtime to `now` unless DFS_SET_MTIME is given (POSIX truncate); every successful
     * call increments `change`. */
    dfs_err_t (*setattr)(void* inst, uint64_t ino, const dfs_setattr_t* sa, dfs_time_t now,
                         dfs_attr_t* out);

    /* DFS_ERR_NOTDIR if dir is not a directory, DFS_ERR_NOENT if the name is absent.
     * Required. */
    dfs_err_t (*lookup)(void* inst, uint64_t dir, dfs_str_t name, dfs_attr_t* out);

    /* Creates a regular file, directory, symlink, device, socket or FIFO named `name` in
     * `dir`. A new directory has nlink 2 and bumps its parent's nlink. On an existing
     * name: see dfs_create_how_t; *existed is set to 1 when the existing object is
     * returned, else 0. `out` receives the object's attributes. Required.
     * Clarified: UNCHECKED and EXCLUSIVE return the existing object only when both it and
     * the requested type are regular files (anything else: DFS_ERR_EXIST), and return it
     * unchanged. A symlink target longer than DFS_PATH_MAX gives DFS_ERR_NAMETOOLONG. */
    dfs_err_t (*create)(void* inst, uint64_t dir, dfs_str_t name, const dfs_create_args_t* args,
                        dfs_time_t now, dfs_attr_t* out, int32_t* existed);

    /* A new name for `ino` (not a directory: DFS_ERR_PERM). DFS_ERR_EXIST if the name
     * exists; DFS_ERR_MLINK past 65000 links. NULL: DFS_ERR_NOTSUPP. */
    dfs_err_t (*link)(void* inst, uint64_t ino, uint64_t dir, dfs_str_t name, dfs_time_t now,
                      dfs_attr_t* out);

    /* Removes a name (flags: DFS_REMOVE_NONDIR or DFS_REMOVE_DIR). `removed` receives the
     * object's attributes afterwards: nlink == 0 means the object is gone and the kernel
     * deletes its blocks. Required. */
    dfs_err_t (*remove)(void* inst, uint64_t dir, dfs_str_t name, uint32_t flags, dfs_time_t now,
                        dfs_attr_t* removed);

    /* Atomically renames, replacing an existing target (a file by a non-directory, an
     * empty directory by a directory). Errors: DFS_ERR_NOENT (no source),
     * DFS_ERR_INVAL (a directory into itself or its own subtree), DFS_ERR_NOTDIR /
     * DFS_ERR_ISDIR (type mismatch with the target), DFS_ERR_NOTEMPTY. Renaming a name
     * onto another name of the same object succeeds and changes nothing. `replaced`
     * receives the replaced object's attributes (ino 0 if none; nlink 0 if it is gone).
     * Required. */
    dfs_err_t (*rename)(void* inst, uint64_t src_dir, dfs_str_t src_name, uint64_t dst_dir,
                        dfs_str_t dst_name, dfs_time_t now, dfs_attr_t* replaced);

    /* The target of a symlink (DFS_ERR_INVAL if not a symlink), delivered once to the
     * sink. Required. */
    dfs_err_t (*readlink)(void* inst, uint64_t ino, dfs_bytes_sink_fn sink, void* sink_ctx);

    /* Lists entries with cookie > `cookie` (0: from the start) until the sink refuses one
     * or the directory ends; *eof = 1 when the last entry was delivered. Required.
     * Clarified: *eof = 1 also when no entry follows the cookie (an empty directory),
     * and 0 whenever the sink refused an entry; that entry comes first when the listing
     * resumes from the cookie of the last entry taken. The sink never calls back into
     * the store (the kernel copies entries out and works on them after the call), so a
     * store may hold its own resources across the sink calls. */
    dfs_err_t (*readdir)(void* inst, uint64_t dir, uint64_t cookie, dfs_dirent_sink_fn sink,
                         void* sink_ctx, int32_t* eof);

    /* Extended attributes. NULL: DFS_ERR_NOTSUPP.
     * Clarified: a name is 1..DFS_XATTR_NAME_MAX bytes (empty: DFS_ERR_INVAL, longer:
     * DFS_ERR_NAMETOOLONG); a value longer than DFS_XATTR_VALUE_MAX gives DFS_ERR_FBIG;
     * setxattr() and removexattr() stamp ctime and increment `change`; a missing name
     * gives DFS_ERR_NOXATTR (getxattr, removexattr, setxattr with DFS_XATTR_REPLACE). */
    dfs_err_t (*getxattr)(void* inst, uint64_t ino, dfs_str_t name, dfs_bytes_sink_fn sink,
                          void* sink_ctx);
    dfs_err_t (*setxattr)(void* inst, uint64_t ino, dfs_str_t name, dfs_bytes_t value,
                          uint32_t flags, dfs_time_t now);
    /* Calls the sink once per name, in no particular order. */
    dfs_err_t (*listxattr)(void* inst, uint64_t ino, dfs_bytes_sink_fn sink, void* sink_ctx);
    dfs_err_t (*removexattr)(void* inst, uint64_t ino, dfs_str_t name, dfs_time_t now);

    /* File counts (byte counts come from the block store). NULL: unlimited files.
     * Clarified: total_files - free_files is the number of objects, the root included;
     * hard links are not objects. */
    dfs_err_t (*statfs)(void* inst, dfs_statfs_t* out);

    /* Makes everything acknowledged so far durable (stores that commit each call
     * durably may leave it NULL: no-op). */
    dfs_err_t (*sync)(void* inst);

    /* The verifier an exclusive create stored, so the kernel can answer a retransmitted
     * create. NULL: DFS_ERR_NOTSUPP (the kernel then refuses exclusive creates).
     * Clarified: DFS_ERR_NOENT for an object that was not created exclusively; the
     * verifier survives a restart like every other attribute. */
    dfs_err_t (*get_verifier)(void* inst, uint64_t ino, uint8_t verifier[8]);

    /* ---- ABI 1.5 ---- */

    /* readdir() that also delivers each entry's attributes (NFSv3 READDIRPLUS, SMB
     * directory queries): the same cookies, order, eof and refusal rules as readdir(),
     * the same errors (DFS_ERR_NOTDIR, DFS_ERR_STALE), and the same rule that the sink
     * never calls back into the store. Each entry's attributes are what getattr() of
     * entry->ino would have answered at some moment during the call, read together with
     * the entry (a store answers a batch of entries and their attributes from one
     * snapshot, e.g. one query joining names to inodes), so an entry is never delivered
     * with the attributes of another object or with none.
     * NULL, or DFS_ERR_NOTSUPP before any entry was delivered: the kernel lists with
     * readdir() and then reads each entry's attributes with getattr() after the listing
     * call has returned (an entry whose object is gone by then comes without them). */
    dfs_err_t (*readdir_plus)(void* inst, uint64_t dir, uint64_t cookie,
                              dfs_dirent_plus_sink_fn sink, void* sink_ctx, int32_t* eof);

    /* (1.6) create() that also delivers the attributes of `dir` as the call left them
     * (dir_out, not NULL): what getattr(dir) answers right after the call, read in the
     * same atomic step. Same arguments, results and errors as create(). The kernel uses
     * it to keep a cached copy of the directory instead of reading it again after every
     * create in it. NULL, or DFS_ERR_NOTSUPP: the kernel calls create(). */
    dfs_err_t (*create_plus)(void* inst, uint64_t dir, dfs_str_t name, const dfs_create_args_t* args,
                             dfs_time_t now, dfs_attr_t* out, int32_t* existed, dfs_attr_t* dir_out);
} dfs_metadata_store_ops_t;

/* ---- Block store ----------------------------------------------------------------------
 * Holds the bytes of objects identified by a 64-bit id (the inode number). An object
 * exists from its first write, truncate or allocate on; reading or removing an absent
 * object is not an error (it reads as empty). Holes read as zeros. */
typedef struct dfs_block_store_ops {
    uint32_t struct_size;
    uint32_t reserved;

    /* Reads up to buf.len bytes at `offset` into the caller's buffer; *nread is the count
     * (less at the end of the object, 0 past it). Required. */
    dfs_err_t (*read)(void* inst, uint64_t obj, uint64_t offset, dfs_buf_t buf, uint64_t* nread);

    /* Writes all of `data` at `offset`, extending the object. With DFS_DATA_SYNC or
     * DFS_FILE_SYNC the data is durable when the call returns. Required. */
    dfs_err_t (*write)(void* inst, uint64_t obj, uint64_t offset, dfs_bytes_t data,
                       dfs_stable_t stable);

    /* Sets the object's length; extending reads as zeros. Required. */
    dfs_err_t (*truncate)(void* inst, uint64_t obj, uint64_t size);

    /* The object's length (0 if absent). Required. */
    dfs_err_t (*size)(void* inst, uint64_t obj, uint64_t* size);

    /* Makes every write to the object durable (NFSv3 COMMIT, SMB FLUSH). NULL: no-op,
     * allowed only for stores with no durability (mem). */
    dfs_err_t (*flush)(void* inst, uint64_t obj);

    /* Deletes the object. Required. */
    dfs_err_t (*remove)(void* inst, uint64_t obj);

    /* Deallocates [offset, offset+len): reads as zeros afterwards, length unchanged.
     * NULL: the default writes zeros over the range (within the current length). */
    dfs_err_t (*punch_hole)(void* inst, uint64_t obj, uint64_t offset, uint64_t len);

    /* Reserves space for [offset, offset+len), extending the length if needed.
     * NULL: the default extends the length (truncate) when the range ends past it. */
    dfs_err_t (*allocate)(void* inst, uint64_t obj, uint64_t offset, uint64_t len);

    /* From `offset`, the next offset that starts data (DFS_SEEK_DATA) or a hole
     * (DFS_SEEK_HOLE; the end of the object counts as a hole). DFS_ERR_NXIO if offset
     * is at or past the end, or no data follows. NULL: the default treats the whole
     * object as data. */
    dfs_err_t (*seek)(void* inst, uint64_t obj, uint64_t offset, dfs_seek_what_t what,
                      uint64_t* result);

    /* Copies [src_off, src_off+len) of `src` to `dst_off` of `dst`, sharing blocks where
     * the store can (copy-on-write). NULL: the default copies through read/write. */
    dfs_err_t (*clone)(void* inst, uint64_t src, uint64_t src_off, uint64_t dst, uint64_t dst_off,
                       uint64_t len);

    /* Byte counts. NULL: unknown (reported as zero). */
    dfs_err_t (*statfs)(void* inst, dfs_statfs_t* out);

    /* ---- ABI 1.7 ---- */
    /* Lends up to `len` bytes at `offset` instead of copying them (dfs_lent_t, common.h):
     * out->len is the count, which may be short where the object ends or where the store
     * cannot lend further (the caller reads the rest with read()), and 0 past the end
     * (then out->release may be NULL). The bytes are those read() would return. A lent
     * range outlives a later remove or truncate of the object (the caller's send then
     * sees the old bytes, or zeros for what was cut off). DFS_ERR_NOTSUPP: this range is
     * not lent, read() it. NULL: nothing is ever lent. */
    dfs_err_t (*lend)(void* inst, uint64_t obj, uint64_t offset, uint64_t len, dfs_lent_t* out);
} dfs_block_store_ops_t;

DFS_END_DECLS

#endif /* DITTOFS_ABI_STORE_H */
