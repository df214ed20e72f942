/* Every field of every ABI v1.0 struct, as (struct, field). The layout test computes
 * offsetof/sizeof for each once against the frozen v1.0 headers and once against the
 * current ones: the current headers may only append, so each must be equal. A new minor
 * adds its fields to this list below a comment naming the minor. */
#define DFS_V10_LAYOUT(X)                                                                  \
    X(dfs_err_t, code) X(dfs_err_t, sys_errno)                                             \
    X(dfs_str_t, ptr) X(dfs_str_t, len) X(dfs_bytes_t, ptr) X(dfs_bytes_t, len)            \
    X(dfs_buf_t, ptr) X(dfs_buf_t, len) X(dfs_kv_t, key) X(dfs_kv_t, value)                \
    X(dfs_config_t, struct_size) X(dfs_config_t, count) X(dfs_config_t, items)             \
    X(dfs_time_t, sec) X(dfs_time_t, nsec)                                                 \
    X(dfs_attr_t, struct_size) X(dfs_attr_t, type) X(dfs_attr_t, ino)                      \
    X(dfs_attr_t, generation) X(dfs_attr_t, mode) X(dfs_attr_t, nlink) X(dfs_attr_t, uid)  \
    X(dfs_attr_t, gid) X(dfs_attr_t, rdev_major) X(dfs_attr_t, rdev_minor)                 \
    X(dfs_attr_t, size) X(dfs_attr_t, used) X(dfs_attr_t, change) X(dfs_attr_t, atime)     \
    X(dfs_attr_t, mtime) X(dfs_attr_t, ctime) X(dfs_attr_t, btime)                         \
    X(dfs_setattr_t, struct_size) X(dfs_setattr_t, mask) X(dfs_setattr_t, mode)            \
    X(dfs_setattr_t, uid) X(dfs_setattr_t, gid) X(dfs_setattr_t, size)                     \
    X(dfs_setattr_t, atime) X(dfs_setattr_t, mtime) X(dfs_setattr_t, ctime)                \
    X(dfs_setattr_t, btime)                                                                \
    X(dfs_create_args_t, struct_size) X(dfs_create_args_t, type) X(dfs_create_args_t, how) \
    X(dfs_create_args_t, mode) X(dfs_create_args_t, uid) X(dfs_create_args_t, gid)         \
    X(dfs_create_args_t, rdev_major) X(dfs_create_args_t, rdev_minor)                      \
    X(dfs_create_args_t, verifier) X(dfs_create_args_t, symlink_target)                    \
    X(dfs_dirent_t, struct_size) X(dfs_dirent_t, type) X(dfs_dirent_t, ino)                \
    X(dfs_dirent_t, cookie) X(dfs_dirent_t, name)                                          \
    X(dfs_statfs_t, struct_size) X(dfs_statfs_t, total_bytes) X(dfs_statfs_t, free_bytes)  \
    X(dfs_statfs_t, avail_bytes) X(dfs_statfs_t, total_files) X(dfs_statfs_t, free_files)  \
    X(dfs_statfs_t, avail_files)                                                           \
    X(dfs_metadata_store_ops_t, struct_size) X(dfs_metadata_store_ops_t, root)             \
    X(dfs_metadata_store_ops_t, getattr) X(dfs_metadata_store_ops_t, setattr)              \
    X(dfs_metadata_store_ops_t, lookup) X(dfs_metadata_store_ops_t, create)                \
    X(dfs_metadata_store_ops_t, link) X(dfs_metadata_store_ops_t, remove)                  \
    X(dfs_metadata_store_ops_t, rename) X(dfs_metadata_store_ops_t, readlink)              \
    X(dfs_metadata_store_ops_t, readdir) X(dfs_metadata_store_ops_t, getxattr)             \
    X(dfs_metadata_store_ops_t, setxattr) X(dfs_metadata_store_ops_t, listxattr)           \
    X(dfs_metadata_store_ops_t, removexattr) X(dfs_metadata_store_ops_t, statfs)           \
    X(dfs_metadata_store_ops_t, sync) X(dfs_metadata_store_ops_t, get_verifier)            \
    X(dfs_block_store_ops_t, struct_size) X(dfs_block_store_ops_t, read)                   \
    X(dfs_block_store_ops_t, write) X(dfs_block_store_ops_t, truncate)                     \
    X(dfs_block_store_ops_t, size) X(dfs_block_store_ops_t, flush)                         \
    X(dfs_block_store_ops_t, remove) X(dfs_block_store_ops_t, punch_hole)                  \
    X(dfs_block_store_ops_t, allocate) X(dfs_block_store_ops_t, seek)                      \
    X(dfs_block_store_ops_t, clone) X(dfs_block_store_ops_t, statfs)                       \
    X(dfs_cred_t, struct_size) X(dfs_cred_t, flavor) X(dfs_cred_t, uid) X(dfs_cred_t, gid) \
    X(dfs_cred_t, ngroups) X(dfs_cred_t, groups) X(dfs_cred_t, principal)                  \
    X(dfs_cred_t, client_addr) X(dfs_fh_t, len) X(dfs_fh_t, data)                          \
    X(dfs_share_info_t, struct_size) X(dfs_share_info_t, share_id)                         \
    X(dfs_share_info_t, flags) X(dfs_share_info_t, name) X(dfs_share_info_t, path)         \
    X(dfs_wcc_t, struct_size) X(dfs_wcc_t, have_before) X(dfs_wcc_t, have_after)           \
    X(dfs_wcc_t, before) X(dfs_wcc_t, after)                                               \
    X(dfs_vfs_dirent_t, struct_size) X(dfs_vfs_dirent_t, entry) X(dfs_vfs_dirent_t, attr)  \
    X(dfs_vfs_dirent_t, fh)                                                                \
    X(dfs_host_vfs_t, struct_size) X(dfs_host_vfs_t, share_root) X(dfs_host_vfs_t, share_list) \
    X(dfs_host_vfs_t, share_of) X(dfs_host_vfs_t, getattr) X(dfs_host_vfs_t, setattr)      \
    X(dfs_host_vfs_t, lookup) X(dfs_host_vfs_t, access) X(dfs_host_vfs_t, create)          \
    X(dfs_host_vfs_t, link) X(dfs_host_vfs_t, remove) X(dfs_host_vfs_t, rename)            \
    X(dfs_host_vfs_t, readlink) X(dfs_host_vfs_t, readdir) X(dfs_host_vfs_t, read)         \
    X(dfs_host_vfs_t, write) X(dfs_host_vfs_t, commit) X(dfs_host_vfs_t, statfs)           \
    X(dfs_host_vfs_t, write_verifier) X(dfs_host_vfs_t, getxattr) X(dfs_host_vfs_t, setxattr) \
    X(dfs_host_vfs_t, listxattr) X(dfs_host_vfs_t, removexattr)                            \
    X(dfs_host_identity_t, struct_size) X(dfs_host_identity_t, effective)                  \
    X(dfs_host_api_t, struct_size) X(dfs_host_api_t, abi_major) X(dfs_host_api_t, abi_minor) \
    X(dfs_host_api_t, ctx) X(dfs_host_api_t, log) X(dfs_host_api_t, log_enabled)           \
    X(dfs_host_api_t, now) X(dfs_host_api_t, post) X(dfs_host_api_t, timer_start)          \
    X(dfs_host_api_t, timer_cancel) X(dfs_host_api_t, metric_add) X(dfs_host_api_t, vfs)   \
    X(dfs_host_api_t, identity)                                                            \
    X(dfs_plugin_info_t, magic) X(dfs_plugin_info_t, struct_size)                          \
    X(dfs_plugin_info_t, abi_major) X(dfs_plugin_info_t, abi_minor) X(dfs_plugin_info_t, kind) \
    X(dfs_plugin_info_t, name) X(dfs_plugin_info_t, version)                               \
    X(dfs_plugin_desc_t, struct_size) X(dfs_plugin_desc_t, abi_major)                      \
    X(dfs_plugin_desc_t, abi_minor) X(dfs_plugin_desc_t, kind) X(dfs_plugin_desc_t, name)  \
    X(dfs_plugin_desc_t, version) X(dfs_plugin_desc_t, description)                        \
    X(dfs_plugin_desc_t, create) X(dfs_plugin_desc_t, destroy) X(dfs_plugin_desc_t, ops)   \
    X(dfs_protocol_ops_t, struct_size) X(dfs_protocol_ops_t, dfs_on_start)                 \
    X(dfs_protocol_ops_t, dfs_on_stop) X(dfs_protocol_ops_t, dfs_on_export_state)          \
    X(dfs_protocol_ops_t, dfs_on_import_state)                                             \
    X(dfs_auth_ops_t, struct_size) X(dfs_auth_ops_t, flavors) X(dfs_auth_ops_t, verify)

typedef struct dfs_layout_entry {
    const char* name;
    unsigned long offset;
    unsigned long size;
} dfs_layout_entry_t;
