/* A block store written in C against the frozen v1.0 headers only (tests/abi/v1.0):
 * proof that a plugin built from an older SDK loads and works in this kernel. Objects
 * live in memory, contiguous and bounded (not sparse: it is not a conformant store and
 * is not run through the kit); only the required slots are filled, the rest get the
 * SDK defaults.
 *
 * Built three times: as is; with DFS_TEST_ABI_MINOR set to a newer minor; and with
 * DFS_TEST_ABI_MAJOR set to another major. The last two must be refused. */
#include <dittofs/abi/dittofs.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifndef DFS_TEST_ABI_MAJOR
#define DFS_TEST_ABI_MAJOR DFS_ABI_MAJOR
#endif
#ifndef DFS_TEST_ABI_MINOR
#define DFS_TEST_ABI_MINOR DFS_ABI_MINOR
#endif
#ifndef DFS_TEST_NAME
#define DFS_TEST_NAME "cblocks"
#endif

__attribute__((section(DFS_PLUGIN_INFO_SECTION), used, aligned(8)))
const dfs_plugin_info_t dfs_plugin_info_record_ = {DFS_PLUGIN_INFO_MAGIC, (uint32_t)sizeof(dfs_plugin_info_t),
                                                   DFS_TEST_ABI_MAJOR, DFS_TEST_ABI_MINOR, DFS_PLUGIN_BLOCK_STORE,
                                                   0u, DFS_TEST_NAME, "0.1.0"};

typedef struct object {
    uint64_t id;
    uint8_t* data;
    uint64_t len;
    struct object* next;
} object_t;

typedef struct store {
    pthread_mutex_t mu;
    object_t* objects;
} store_t;

static dfs_err_t status(dfs_status_t c) {
    dfs_err_t e = {c, 0};
    return e;
}

static object_t* find(store_t* s, uint64_t id, int create) {
    for (object_t* o = s->objects; o != NULL; o = o->next) {
        if (o->id == id) {
            return o;
        }
    }
    if (!create) {
        return NULL;
    }
    object_t* o = (object_t*)calloc(1, sizeof *o);
    if (o != NULL) {
        o->id = id;
        o->next = s->objects;
        s->objects = o;
    }
    return o;
}

static int resize(object_t* o, uint64_t len) {
    if (len > (256u << 20)) {
        return 0; /* a test store: bounded */
    }
    uint8_t* p = (uint8_t*)realloc(o->data, len == 0 ? 1 : len);
    if (p == NULL) {
        return 0;
    }
    if (len > o->len) {
        memset(p + o->len, 0, len - o->len);
    }
    o->data = p;
    o->len = len;
    return 1;
}

static dfs_err_t bread(void* inst, uint64_t obj, uint64_t off, dfs_buf_t buf, uint64_t* nread) {
    store_t* s = (store_t*)inst;
    pthread_mutex_lock(&s->mu);
    object_t* o = find(s, obj, 0);
    uint64_t n = 0;
    if (o != NULL && off < o->len) {
        n = o->len - off < buf.len ? o->len - off : buf.len;
        memcpy(buf.ptr, o->data + off, n);
    }
    pthread_mutex_unlock(&s->mu);
    *nread = n;
    return status(DFS_OK);
}

static dfs_err_t bwrite(void* inst, uint64_t obj, uint64_t off, dfs_bytes_t data, dfs_stable_t stable) {
    (void)stable;
    store_t* s = (store_t*)inst;
    dfs_err_t e = status(DFS_OK);
    if (off > DFS_MAX_FILE_SIZE || data.len > DFS_MAX_FILE_SIZE - off) {
        return status(DFS_ERR_FBIG);
    }
    pthread_mutex_lock(&s->mu);
    object_t* o = find(s, obj, 1);
    if (o == NULL || (off + data.len > o->len && !resize(o, off + data.len))) {
        e = status(DFS_ERR_NOSPC);
    } else {
        memcpy(o->data + off, data.ptr, data.len);
    }
    pthread_mutex_unlock(&s->mu);
    return e;
}

static dfs_err_t btruncate(void* inst, uint64_t obj, uint64_t size) {
    store_t* s = (store_t*)inst;
    dfs_err_t e = status(DFS_OK);
    pthread_mutex_lock(&s->mu);
    object_t* o = find(s, obj, 1);
    if (o == NULL || !resize(o, size)) {
        e = status(DFS_ERR_NOSPC);
    }
    pthread_mutex_unlock(&s->mu);
    return e;
}

static dfs_err_t bsize(void* inst, uint64_t obj, uint64_t* size) {
    store_t* s = (store_t*)inst;
    pthread_mutex_lock(&s->mu);
    object_t* o = find(s, obj, 0);
    *size = o != NULL ? o->len : 0;
    pthread_mutex_unlock(&s->mu);
    return status(DFS_OK);
}

static dfs_err_t bremove(void* inst, uint64_t obj) {
    store_t* s = (store_t*)inst;
    pthread_mutex_lock(&s->mu);
    for (object_t** pp = &s->objects; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->id == obj) {
            object_t* o = *pp;
            *pp = o->next;
            free(o->data);
            free(o);
            break;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return status(DFS_OK);
}

static dfs_err_t create(const dfs_host_api_t* host, const dfs_config_t* cfg, void** out) {
    (void)host;
    (void)cfg;
    store_t* s = (store_t*)calloc(1, sizeof *s);
    if (s == NULL) {
        return status(DFS_ERR_NOMEM);
    }
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    return status(DFS_OK);
}

static void destroy(void* inst) {
    store_t* s = (store_t*)inst;
    while (s->objects != NULL) {
        bremove(s, s->objects->id);
    }
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static const dfs_block_store_ops_t ops = {
    sizeof(dfs_block_store_ops_t), 0, bread, bwrite, btruncate, bsize, NULL, bremove, NULL, NULL, NULL, NULL, NULL};

static const dfs_plugin_desc_t desc = {sizeof(dfs_plugin_desc_t), DFS_TEST_ABI_MAJOR, DFS_TEST_ABI_MINOR,
                                       DFS_PLUGIN_BLOCK_STORE, 0, DFS_TEST_NAME, "0.1.0",
                                       "C block store built from the v1.0 headers", create, destroy, &ops};

DFS_API_EXPORT const dfs_plugin_desc_t* dfs_plugin_entry_v1(const dfs_host_api_t* host) {
    (void)host;
    return &desc;
}
