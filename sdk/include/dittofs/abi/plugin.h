/*
 * DittoFS plugin ABI: the plugin descriptor, the entry point and the metadata section.
 *
 * A plugin library has exactly one entry point, dfs_plugin_entry_v1, which returns a
 * pointer to a static descriptor. Nothing may register itself from a static
 * constructor: those run inside dlopen(), before the kernel has checked the ABI
 * version.
 *
 * Before a library is loaded at all, the kernel reads its DFS_PLUGIN_INFO record from
 * the ELF section ".dittofs_plugin" (kind, name, version, ABI version) without running
 * any of its code, and refuses the library if the ABI does not match: the majors must
 * be equal and the plugin's minor must not exceed the kernel's.
 */
#ifndef DITTOFS_ABI_PLUGIN_H
#define DITTOFS_ABI_PLUGIN_H

#include "common.h"

DFS_BEGIN_DECLS

struct dfs_host_api;

typedef int32_t dfs_plugin_kind_t;
enum {
    DFS_PLUGIN_PROTOCOL = 1,       /* ops: dfs_protocol_ops_t (protocol.h) */
    DFS_PLUGIN_AUTH = 2,           /* ops: dfs_auth_ops_t (auth.h) */
    DFS_PLUGIN_METADATA_STORE = 3, /* ops: dfs_metadata_store_ops_t (store.h) */
    DFS_PLUGIN_BLOCK_STORE = 4     /* ops: dfs_block_store_ops_t (store.h) */
};

/* The record in the ".dittofs_plugin" ELF section. Fixed layout: the loader reads it
 * from the file, so it must not contain pointers. Strings are NUL-terminated and
 * NUL-padded. */
#define DFS_PLUGIN_INFO_MAGIC "DFSPLUG"
#define DFS_PLUGIN_INFO_SECTION ".dittofs_plugin"
#define DFS_PLUGIN_NAME_MAX 48
#define DFS_PLUGIN_VERSION_MAX 32

typedef struct dfs_plugin_info {
    char magic[8];            /* "DFSPLUG\0" */
    uint32_t struct_size;     /* sizeof(dfs_plugin_info_t) of the plugin's headers */
    uint16_t abi_major;
    uint16_t abi_minor;
    dfs_plugin_kind_t kind;
    uint32_t reserved;
    char name[DFS_PLUGIN_NAME_MAX];
    char version[DFS_PLUGIN_VERSION_MAX];
} dfs_plugin_info_t;

/* Place exactly one of these in each plugin library (any one source file):
 *     DFS_PLUGIN_INFO(DFS_PLUGIN_METADATA_STORE, "sqlite", "1.0.0");
 * The name is what shares refer to in the config file. */
#define DFS_PLUGIN_INFO(kind_, name_, version_)                                              \
    __attribute__((section(DFS_PLUGIN_INFO_SECTION), used, aligned(8)))                      \
    const dfs_plugin_info_t dfs_plugin_info_record_ = {                                      \
        DFS_PLUGIN_INFO_MAGIC, (uint32_t)sizeof(dfs_plugin_info_t), DFS_ABI_MAJOR,          \
        DFS_ABI_MINOR,         (kind_),                            0u,                       \
        name_,                 version_}

/* Returned by the entry point; static storage in the plugin. The kernel copies
 * min(struct_size, its own size) bytes into a zeroed descriptor. */
typedef struct dfs_plugin_desc {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    dfs_plugin_kind_t kind;
    uint32_t reserved;
    const char* name;        /* NUL-terminated, static; must equal the info record */
    const char* version;     /* NUL-terminated, static */
    const char* description; /* NUL-terminated, static, may be NULL */

    /* Creates an instance from its configuration. `host` stays valid until destroy().
     * On success *instance is the plugin's own pointer, passed back as `inst` to every
     * slot of `ops`. Errors are returned, never thrown; the plugin logs why.
     * The config holds the keys of the instance's table in the config file; the kernel
     * always adds `data_dir` (the server's data directory, absolute; for protocol and
     * auth plugins only when their table does not set it), against which relative paths
     * in the config resolve. A plugin should refuse keys it does not know (a typo must
     * not pass silently) but must accept `data_dir`. */
    dfs_err_t (*create)(const struct dfs_host_api* host, const dfs_config_t* config,
                        void** instance);

    /* Releases an instance. No slot of `ops` is called for it afterwards, and no
     * call is running. */
    void (*destroy)(void* instance);

    /* The kind-specific table (see dfs_plugin_kind_t), static storage. */
    const void* ops;
} dfs_plugin_desc_t;

/* The one entry point. `host` is valid while the library is loaded; it lets the
 * plugin log before any instance exists. Returns NULL to refuse to load. */
typedef const dfs_plugin_desc_t* (*dfs_plugin_entry_v1_fn)(const struct dfs_host_api* host);
#define DFS_PLUGIN_ENTRY_V1_NAME "dfs_plugin_entry_v1"

DFS_END_DECLS

#endif /* DITTOFS_ABI_PLUGIN_H */
