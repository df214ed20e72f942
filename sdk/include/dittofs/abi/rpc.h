/*
 * DittoFS plugin ABI: ONC RPC as the kernel offers it to protocol plugins (ABI 1.1).
 *
 * The kernel owns the sockets, TCP record marking and UDP datagrams, decodes the call
 * header (RFC 5531 section 9), has the auth plugin of the call's flavour verify the
 * credential, answers from its duplicate request cache, and keeps the portmapper/rpcbind
 * registry (RFC 1833). A protocol plugin registers (program, version range) with a
 * dispatch hook; it gets each call with the verified credential and the XDR-encoded
 * arguments, encodes its results into a reply buffer the kernel provides (so READ data
 * goes from the block store straight into the reply) and sends the reply, once.
 *
 * Errors the kernel answers itself, without calling a plugin: RPC_MISMATCH, AUTH_*
 * errors, PROG_UNAVAIL, PROG_MISMATCH (with the registered version range), and
 * SYSTEM_ERR when a plugin returns an error without replying.
 */
#ifndef DITTOFS_ABI_RPC_H
#define DITTOFS_ABI_RPC_H

#include "common.h"
#include "host.h"

DFS_BEGIN_DECLS

typedef int32_t dfs_rpc_transport_t;
enum {
    DFS_RPC_TCP = 1,
    DFS_RPC_UDP = 2
};

/* accept_stat (RFC 5531 section 9). */
typedef int32_t dfs_rpc_accept_stat_t;
enum {
    DFS_RPC_SUCCESS = 0,
    DFS_RPC_PROG_UNAVAIL = 1,
    DFS_RPC_PROG_MISMATCH = 2,
    DFS_RPC_PROC_UNAVAIL = 3,
    DFS_RPC_GARBAGE_ARGS = 4,
    DFS_RPC_SYSTEM_ERR = 5
};

/* One call, valid until its reply is sent. */
typedef struct dfs_rpc_call {
    uint32_t struct_size;
    uint32_t xid;
    uint32_t prog;
    uint32_t vers;
    uint32_t proc;
    dfs_rpc_transport_t transport;
    const dfs_cred_t* cred; /* verified by the flavour's auth plugin */
    dfs_bytes_t args;       /* the XDR-encoded arguments */
    uint64_t conn_id;       /* the TCP connection, or the UDP socket */
    void* reply;            /* token for dfs_host_rpc_t.reply_buffer / reply_send */
} dfs_rpc_call_t;

/* Called on a worker thread (it may block on stores). Return DFS_OK once reply_send has
 * been called, or DFS_PENDING when the reply will be sent later from any thread (a
 * blocking lock). Any other status makes the kernel answer SYSTEM_ERR if no reply was
 * sent. */
typedef dfs_err_t (*dfs_rpc_dispatch_fn)(void* inst, const dfs_rpc_call_t* call);

typedef struct dfs_rpc_program {
    uint32_t struct_size;
    uint32_t prog;
    uint32_t vers_low;
    uint32_t vers_high;
    /* Where the program is advertised by the portmapper; the kernel listens there. 0 asks
     * for an ephemeral port (register_program reports it); DFS_RPC_NO_PORT: no listener
     * on that transport. */
    uint32_t tcp_port;
    uint32_t udp_port;
    /* Procedures (numbers below 64) whose replies the duplicate request cache keeps,
     * because re-executing them is not harmless (CREATE, REMOVE, RENAME, ...). */
    uint64_t drc_procs;
    const char* name; /* NUL-terminated, static: for logs and rpcinfo */
    dfs_rpc_dispatch_fn dispatch;
    void* inst;
} dfs_rpc_program_t;

#define DFS_RPC_NO_PORT 0xffffffffu

/* ABI 1.3: where a call from the server to a client goes (NLM GRANTED, NSM SM_NOTIFY). */
typedef struct dfs_rpc_target {
    uint32_t struct_size;
    dfs_rpc_transport_t transport;
    dfs_str_t address;   /* numeric IPv4 or IPv6; valid during the call slot */
    uint32_t port;       /* 0: ask the host's portmapper (GETPORT) first */
    uint32_t prog;
    uint32_t vers;
    uint32_t proc;
    uint32_t timeout_ms; /* for the whole call, retransmissions included; 0: 10 s */
    uint32_t reserved;
} dfs_rpc_target_t;

/* The outcome of a call, exactly once, on a worker thread: DFS_OK with the accept_stat
 * and the XDR results (valid during the callback), DFS_ERR_DELAY when the time ran out,
 * DFS_ERR_NOENT when the host's portmapper does not know the program, DFS_ERR_IO when
 * the peer refused or garbled, DFS_ERR_ACCES when it denied the call. */
typedef void (*dfs_rpc_done_fn)(void* arg, dfs_err_t status, dfs_rpc_accept_stat_t accept, dfs_bytes_t results);

typedef struct dfs_host_rpc {
    uint32_t struct_size;
    uint32_t reserved;

    /* Registers every version in [vers_low, vers_high] and opens the listeners. The
     * actual ports are written to *tcp_port / *udp_port (may be NULL). DFS_ERR_EXIST if
     * another plugin holds one of those versions. */
    dfs_err_t (*register_program)(void* ctx, const dfs_rpc_program_t* program, uint32_t* tcp_port,
                                  uint32_t* udp_port);
    /* Removes the registrations and, when no program uses them any more, the listeners. */
    dfs_err_t (*unregister_program)(void* ctx, uint32_t prog, uint32_t vers_low, uint32_t vers_high);

    /* A buffer for the results of `reply`: at least `size` bytes, or {NULL, 0} when size
     * exceeds what the transport can carry. Valid until reply_send. Asking again replaces
     * the previous buffer. */
    dfs_buf_t (*reply_buffer)(void* ctx, void* reply, uint64_t size);
    /* Sends the reply: with DFS_RPC_SUCCESS the first `len` bytes of the reply buffer are
     * the results; otherwise `len` must be 0 (PROG_MISMATCH is the kernel's). Exactly once
     * per call; `reply` is invalid afterwards. */
    dfs_err_t (*reply_send)(void* ctx, void* reply, dfs_rpc_accept_stat_t stat, uint64_t len);

    /* ABI 1.3. Calls a client, with the server's AUTH_SYS identity (uid 0). `args` is
     * copied. DFS_OK: `done` will run; any other status: it will not. */
    dfs_err_t (*call)(void* ctx, const dfs_rpc_target_t* target, dfs_bytes_t args, dfs_rpc_done_fn done, void* arg);

    /* ABI 1.7. reply_send() with DFS_RPC_SUCCESS whose results are the first `len` bytes
     * of the reply buffer, then the lent bytes, padded with zeros to a multiple of 4 (the
     * rest of an XDR opaque): the lent bytes go to the client without a copy (READ data),
     * and lent->release runs once they are sent or the connection is gone. The release
     * always runs, also when an error is returned. Where the lent bytes fault (a file
     * cut short meanwhile), zeros are sent in their place. Such a reply is not kept by
     * the duplicate request cache (a retransmission is executed again). */
    dfs_err_t (*reply_send_lent)(void* ctx, void* reply, uint64_t len, const dfs_lent_t* lent);
} dfs_host_rpc_t;

DFS_END_DECLS

#endif /* DITTOFS_ABI_RPC_H */
