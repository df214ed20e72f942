// NSM on the wire: the XDR types of the Network Status Monitor protocol, program 100024
// version 1, as the Open Group's XNFS specification (C702, chapter 11; sm_inter.x)
// defines them. Decoders answer false on malformed arguments (GARBAGE_ARGS) and keep
// views into the call's arguments. The fuzz target tests/fuzz/fuzz_nlm_args.cpp feeds
// them too.
#pragma once

#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/xdr.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace dfs::nsm {

inline constexpr uint32_t kNsmProgram = 100024;
inline constexpr uint32_t kNsmVersion = 1;
inline constexpr uint32_t kMaxStrLen = 1024;  // SM_MAXSTRLEN
inline constexpr uint32_t kPrivSize = 16;     // mon.priv

// Procedures (XNFS 11.3).
enum NsmProc : uint32_t {
    kProcNull = 0,
    kProcStat = 1,
    kProcMon = 2,
    kProcUnmon = 3,
    kProcUnmonAll = 4,
    kProcSimuCrash = 5,
    kProcNotify = 6,
    kProcCount = 7
};

// enum res (XNFS 11.2).
enum NsmRes : uint32_t { kStatSucc = 0, kStatFail = 1 };

struct MyId {  // my_id: who to call back when the monitored host reboots
    std::string_view myName;
    uint32_t prog = 0;
    uint32_t vers = 0;
    uint32_t proc = 0;
};

struct MonId {  // mon_id
    std::string_view monName;
    MyId myId;
};

struct Mon {  // mon: SM_MON
    MonId id;
    std::string_view priv;  // 16 bytes
};

struct StatChange {  // stat_chge: SM_NOTIFY
    std::string_view monName;
    int32_t state = 0;
};

bool decodeSmName(dfs_bytes_t in, std::string_view& name);  // SM_STAT
bool decodeMon(dfs_bytes_t in, Mon& out);                     // SM_MON
bool decodeMonId(dfs_bytes_t in, MonId& out);                 // SM_UNMON
bool decodeMyId(dfs_bytes_t in, MyId& out);                   // SM_UNMON_ALL
bool decodeStatChange(dfs_bytes_t in, StatChange& out);       // SM_NOTIFY

// stat_chge for an outgoing SM_NOTIFY.
std::string encodeStatChange(std::string_view monName, int32_t state);

}  // namespace dfs::nsm
