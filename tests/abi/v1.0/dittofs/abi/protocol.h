/*
 * DittoFS plugin ABI: the protocol-plugin table (dfs_on_* hooks).
 *
 * A protocol plugin (NFSv3, NFSv4, SMB) decodes requests and answers them through the
 * kernel's VFS table (host.h). Version 1.0 carries the lifecycle and the state hand-over
 * used by hot upgrade; the transport hooks are appended in later minors together with
 * the kernel tables that feed them (docs/abi.md, changelog).
 */
#ifndef DITTOFS_ABI_PROTOCOL_H
#define DITTOFS_ABI_PROTOCOL_H

#include "common.h"

DFS_BEGIN_DECLS

typedef struct dfs_protocol_ops {
    uint32_t struct_size;
    uint32_t reserved;

    /* Starts serving: register programs/services with the kernel. Required. */
    dfs_err_t (*dfs_on_start)(void* inst);

    /* Stops accepting new work; calls in flight finish. NULL: nothing to do. */
    void (*dfs_on_stop)(void* inst);

    /* Hot upgrade: hands the plugin's private state (clients, sessions, opens) to the
     * sink as one versioned blob. NULL: the plugin has no state to hand over. */
    dfs_err_t (*dfs_on_export_state)(void* inst, dfs_bytes_sink_fn sink, void* sink_ctx);

    /* Hot upgrade: takes a blob written by export_state of this or an older version.
     * An error makes the kernel keep the old instance. NULL: DFS_ERR_NOTSUPP. */
    dfs_err_t (*dfs_on_import_state)(void* inst, dfs_bytes_t blob);
} dfs_protocol_ops_t;

DFS_END_DECLS

#endif /* DITTOFS_ABI_PROTOCOL_H */
