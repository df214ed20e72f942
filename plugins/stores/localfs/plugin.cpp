// localfs: the plugin's one export (entry point, metadata record, C table).
#include "localfs_store.hpp"

DFS_EXPORT_BLOCK_STORE(dfs::localfs::LocalFsBlockStore, "localfs", "1.0.0",
                       "Block store on a local file system: one sparse file per object, small objects packed");
