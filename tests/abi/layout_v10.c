/* Offsets and sizes of every v1.0 field, computed against the frozen v1.0 headers. */
#include <dittofs/abi/dittofs.h>

#include "layout_fields.h"

#define DFS_ENTRY(s, f) {#s "." #f, (unsigned long)offsetof(s, f), (unsigned long)sizeof(((s*)0)->f)},
static const dfs_layout_entry_t entries[] = {DFS_V10_LAYOUT(DFS_ENTRY)};

const dfs_layout_entry_t* dfs_layout_v10(unsigned long* count) {
    *count = sizeof entries / sizeof entries[0];
    return entries;
}

/* The ABI constants of v1.0, same order as the test expects. */
const long dfs_constants_v10[] = {DFS_ABI_MAJOR, DFS_ERR_BADNAME, DFS_TYPE_FIFO, DFS_SET_MTIME_NOW,
                                  DFS_PLUGIN_BLOCK_STORE, DFS_FH_MAX, DFS_CRED_MAX_GROUPS, DFS_COOKIE_FIRST};
