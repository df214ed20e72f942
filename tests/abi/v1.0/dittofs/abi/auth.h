/*
 * DittoFS plugin ABI: the auth-plugin table.
 *
 * An auth plugin turns what a client sent into a dfs_cred_t: an ONC RPC credential and
 * verifier (RFC 5531 section 8.2) for its flavour, and in later minors the wrap/unwrap
 * of integrity/privacy and the GSS-style context steps SMB session setup needs.
 */
#ifndef DITTOFS_ABI_AUTH_H
#define DITTOFS_ABI_AUTH_H

#include "common.h"
#include "host.h"

DFS_BEGIN_DECLS

typedef struct dfs_auth_ops {
    uint32_t struct_size;
    uint32_t reserved;

    /* The RPC flavour numbers this instance verifies, written to `out` (at most `max`);
     * returns how many. Required. */
    uint32_t (*flavors)(void* inst, dfs_flavor_t* out, uint32_t max);

    /* Verifies one call's credential and verifier bodies (the opaque parts after the
     * flavour and length) and fills `cred` (struct_size set by the caller).
     * DFS_ERR_INVAL for a malformed credential (AUTH_BADCRED), DFS_ERR_ACCES for a
     * rejected one (AUTH_REJECTEDCRED). Required. */
    dfs_err_t (*verify)(void* inst, dfs_flavor_t flavor, dfs_bytes_t cred_body,
                        dfs_bytes_t verf_body, dfs_cred_t* cred);
} dfs_auth_ops_t;

DFS_END_DECLS

#endif /* DITTOFS_ABI_AUTH_H */
