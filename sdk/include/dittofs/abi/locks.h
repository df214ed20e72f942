/*
 * DittoFS plugin ABI: the kernel's unified lock manager for protocol plugins (ABI 1.4;
 * share reservations 1.5).
 *
 * One manager decides every conflict, whatever protocol asks (docs/LOCKING.md): NLM and
 * NFSv4 owners get POSIX byte-range semantics (split, merge, upgrade, downgrade), SMB
 * owners Windows semantics (no merge, unlock of the exact range only), and each sees the
 * others' locks. A request that may wait is an initiate/complete pair: lock() answers
 * DFS_OK (granted), DFS_PENDING with a ticket (the completion runs later, exactly once,
 * on a worker thread, unless cancel() for that ticket returned DFS_OK first), or a
 * refusal.
 *
 * Refusals are {code, errno} pairs, so each protocol maps them in its one status file:
 *   conflict             {DFS_ERR_LOCKED, EAGAIN}      NLM4_DENIED, NFS4ERR_DENIED
 *   deadlock             {DFS_ERR_LOCKED, EDEADLK}     NLM4_DEADLCK, NFS4ERR_DEADLOCK
 *   too many waiters     {DFS_ERR_NOSPC, ENOLCK}       NLM4_DENIED_NOLOCKS
 *   grace period         {DFS_ERR_DELAY, EINPROGRESS}  NLM4_DENIED_GRACE_PERIOD, NFS4ERR_GRACE
 *   reclaim, no grace    {DFS_ERR_INVAL, ESRCH}        NFS4ERR_NO_GRACE
 *   not locked / ticket  {DFS_ERR_NOENT, ENOLCK}
 *   cancelled (released) {DFS_ERR_LOCKED, ECANCELED}
 *   share denied         {DFS_ERR_LOCKED, ETXTBSY}     NLM4_DENIED, NFS4ERR_SHARE_DENIED,
 *                                                      STATUS_SHARING_VIOLATION
 *   leases being broken  {DFS_ERR_DELAY, EAGAIN}       NLM4_DENIED, NFS4ERR_DELAY
 */
#ifndef DITTOFS_ABI_LOCKS_H
#define DITTOFS_ABI_LOCKS_H

#include "common.h"
#include "host.h"

DFS_BEGIN_DECLS

typedef int32_t dfs_lock_protocol_t;
enum {
    DFS_LOCK_NLM = 1,
    DFS_LOCK_NFS4 = 2,
    DFS_LOCK_SMB = 3
};

typedef int32_t dfs_lock_type_t;
enum {
    DFS_LOCK_READ = 1, /* shared */
    DFS_LOCK_WRITE = 2 /* exclusive */
};

/* Flags of a lock request. */
enum {
    DFS_LOCK_BLOCK = 1u << 0,  /* wait for conflicting locks to go (PENDING) */
    DFS_LOCK_RECLAIM = 1u << 1 /* re-establish a lock held before a restart (grace only) */
};

/* Who holds a lock. NLM: client = caller_name, owner = oh, pid = svid. Views are valid
 * during the call that carries them. */
typedef struct dfs_lock_owner {
    uint32_t struct_size;
    dfs_lock_protocol_t protocol;
    dfs_str_t client;
    dfs_bytes_t owner;
    uint32_t pid;
    uint32_t reserved;
} dfs_lock_owner_t;

typedef struct dfs_lock_args {
    uint32_t struct_size;
    uint32_t flags;          /* DFS_LOCK_* */
    const dfs_fh_t* fh;      /* the file, by its VFS handle */
    dfs_lock_owner_t owner;
    uint64_t offset;
    uint64_t length;         /* 0: to the end of the file (and beyond) */
    dfs_lock_type_t type;
    uint32_t reserved;
} dfs_lock_args_t;

/* The lock a TEST ran into. The owner's views are valid during the call. */
typedef struct dfs_lock_conflict {
    uint32_t struct_size;
    dfs_lock_type_t type;
    uint64_t offset;
    uint64_t length; /* 0: to the end */
    dfs_lock_owner_t owner;
} dfs_lock_conflict_t;

/* (1.5) Share reservations: what an open will do to a file and what it denies others
 * (NFSv4 share_access/share_deny, NLM SHARE fsh_access/fsh_mode, SMB DesiredAccess and
 * the complement of ShareAccess). Two reservations conflict when one denies what the
 * other accesses; a reservation with no access conflicts with nothing. */
enum {
    DFS_SHARE_READ = 1u << 0,
    DFS_SHARE_WRITE = 1u << 1,
    DFS_SHARE_DELETE = 1u << 2
};

typedef struct dfs_share_args {
    uint32_t struct_size;
    uint32_t flags;      /* DFS_LOCK_BLOCK (wait for lease breaks), DFS_LOCK_RECLAIM */
    const dfs_fh_t* fh;  /* the file, by its VFS handle */
    dfs_lock_owner_t owner;
    uint32_t access;     /* DFS_SHARE_* this open does */
    uint32_t deny;       /* DFS_SHARE_* it denies others */
} dfs_share_args_t;

/* Completion of a PENDING share_open: DFS_OK with the reservation's id, or a refusal. */
typedef void (*dfs_share_done_fn)(void* arg, uint64_t ticket, dfs_err_t status, uint64_t share_id);

/* Completion of a PENDING lock: DFS_OK (granted) or a refusal as above. */
typedef void (*dfs_lock_done_fn)(void* arg, uint64_t ticket, dfs_err_t status);

typedef struct dfs_host_locks {
    uint32_t struct_size;
    uint32_t reserved;

    /* Grants, refuses, or (with DFS_LOCK_BLOCK, or while a lease is being broken) answers
     * DFS_PENDING with *ticket set; `done` then runs once. The handle is checked like any
     * VFS call (share, client network: BADHANDLE, STALE, ACCES). */
    dfs_err_t (*lock)(void* ctx, const dfs_cred_t* cred, const dfs_lock_args_t* args, dfs_lock_done_fn done,
                      void* arg, uint64_t* ticket);
    /* DFS_OK if the lock could be granted now; the conflict refusal with *conflict filled
     * (may be NULL) if not. Refused during grace. Never takes a lock. */
    dfs_err_t (*test)(void* ctx, const dfs_cred_t* cred, const dfs_lock_args_t* args, dfs_lock_conflict_t* conflict);
    /* Releases the range (POSIX: any sub-range; SMB: exactly a locked range). */
    dfs_err_t (*unlock)(void* ctx, const dfs_cred_t* cred, const dfs_lock_args_t* args);
    /* Drops a pending request. DFS_OK: its completion will not run. */
    dfs_err_t (*cancel)(void* ctx, uint64_t ticket);
    /* NLM CANCEL names the request, not a ticket: drops the oldest matching one. */
    dfs_err_t (*cancel_matching)(void* ctx, const dfs_cred_t* cred, const dfs_lock_args_t* args);
    /* Everything a client holds or waits for (NLM FREE_ALL, an NSM reboot notice). */
    dfs_err_t (*release_client)(void* ctx, dfs_lock_protocol_t protocol, dfs_str_t client);
    /* Non-zero while the grace period after a restart lasts (only reclaims are granted). */
    int32_t (*in_grace)(void* ctx);

    /* ---- ABI 1.5: share reservations ---- */
    /* Records a reservation: DFS_OK with *share_id set, or a refusal (share denied,
     * grace, reclaim without grace, bad bits: DFS_ERR_INVAL). When another client's lease
     * must be broken first: with DFS_LOCK_BLOCK, DFS_PENDING with *ticket set and `done`
     * runs once later (cancel() drops it); without, the breaks start and the answer is
     * {DFS_ERR_DELAY, EAGAIN} (ask again). The handle is checked like any VFS call. */
    dfs_err_t (*share_open)(void* ctx, const dfs_cred_t* cred, const dfs_share_args_t* args, dfs_share_done_fn done,
                            void* arg, uint64_t* ticket, uint64_t* share_id);
    /* Changes a reservation's bits (NFSv4 OPEN upgrade, OPEN_DOWNGRADE); share denied if
     * another reservation conflicts with the new bits, {DFS_ERR_NOENT, ENOLCK} if unknown. */
    dfs_err_t (*share_change)(void* ctx, uint64_t share_id, uint32_t access, uint32_t deny);
    /* Ends a reservation ({DFS_ERR_NOENT, ENOLCK} if unknown). */
    dfs_err_t (*share_close)(void* ctx, uint64_t share_id);
    /* NLM UNSHARE names the reservation, not its id: ends the owner's oldest reservation
     * on the file with exactly these access and deny bits ({DFS_ERR_NOENT, ENOLCK} if it
     * holds none). Not refused during grace. */
    dfs_err_t (*share_close_matching)(void* ctx, const dfs_cred_t* cred, const dfs_share_args_t* args);
} dfs_host_locks_t;

DFS_END_DECLS

#endif /* DITTOFS_ABI_LOCKS_H */
