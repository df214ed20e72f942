/* DittoFS plugin ABI: everything in one include. See common.h for the rules. */
#ifndef DITTOFS_ABI_DITTOFS_H
#define DITTOFS_ABI_DITTOFS_H
#include "common.h"
#include "fs.h"
#include "store.h"
#include "host.h"
#include "plugin.h"
#include "protocol.h"
#include "auth.h"
#include "rpc.h"
#include "locks.h"
#endif
