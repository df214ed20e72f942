// NLM on the wire: the XDR types of the Network Lock Manager protocol, versions 1 and 3
// (32-bit offsets) and 4 (64-bit offsets), as the Open Group's XNFS specification
// (C702, chapters 10-11 and 14) defines them, decoded from a call's arguments and
// encoded into its reply or into a call to the client (GRANTED, the *_RES messages).
//
// Decoders answer false when the arguments are malformed (the dispatcher answers
// GARBAGE_ARGS). They keep views into the call's argument buffer, valid until the reply
// is sent; what outlives the call (a blocked lock) is copied by its owner. Version 1/3
// arguments decode into the same structures as version 4 with the offsets widened, so
// the handlers are shared. The fuzz target tests/fuzz/fuzz_nlm_args.cpp feeds every
// decoder.
#pragma once

#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/xdr.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace dfs::nlm {

// Programs (XNFS chapter 10; nlm_prot.x).
inline constexpr uint32_t kNlmProgram = 100021;
inline constexpr uint32_t kNlmVersLow = 1;
inline constexpr uint32_t kNlmVersHigh = 4;

// Sizes (XNFS 10.2): LM_MAXSTRLEN for caller_name, MAXNETOBJ_SZ for netobj.
inline constexpr uint32_t kMaxStrLen = 1024;
inline constexpr uint32_t kMaxNetobj = 1024;
inline constexpr uint32_t kMaxNameLen = 1025;  // LM_MAXNAMELEN (nlm_notify.name)

// Procedures (XNFS 10.3 for v1/v3, 14.3 for v4). 16..19 are not assigned; v1 ends at 15.
enum NlmProc : uint32_t {
    kProcNull = 0,
    kProcTest = 1,
    kProcLock = 2,
    kProcCancel = 3,
    kProcUnlock = 4,
    kProcGranted = 5,
    kProcTestMsg = 6,
    kProcLockMsg = 7,
    kProcCancelMsg = 8,
    kProcUnlockMsg = 9,
    kProcGrantedMsg = 10,
    kProcTestRes = 11,
    kProcLockRes = 12,
    kProcCancelRes = 13,
    kProcUnlockRes = 14,
    kProcGrantedRes = 15,
    kProcShare = 20,
    kProcUnshare = 21,
    kProcNmLock = 22,
    kProcFreeAll = 23,
    kProcCount = 24
};

// nlm4_stats (XNFS 14.2); v1/v3 nlm_stats are the first five values.
enum NlmStat : uint32_t {
    NLM4_GRANTED = 0,
    NLM4_DENIED = 1,
    NLM4_DENIED_NOLOCKS = 2,
    NLM4_BLOCKED = 3,
    NLM4_DENIED_GRACE_PERIOD = 4,
    NLM4_DEADLCK = 5,
    NLM4_ROFS = 6,
    NLM4_STALE_FH = 7,
    NLM4_FBIG = 8,
    NLM4_FAILED = 9
};

// nlm4_lock / nlm_lock (XNFS 14.2, 10.2). Views into the arguments.
struct Lock {
    std::string_view callerName;
    std::string_view fh;  // the NFS file handle, opaque
    std::string_view oh;  // the owner handle
    uint32_t svid = 0;    // the process id on the client
    uint64_t offset = 0;
    uint64_t length = 0;  // 0: to the end of the file
};

struct TestArgs {  // nlm4_testargs
    std::string_view cookie;
    bool exclusive = false;
    Lock lock;
};

struct LockArgs {  // nlm4_lockargs
    std::string_view cookie;
    bool block = false;
    bool exclusive = false;
    Lock lock;
    bool reclaim = false;
    int32_t state = 0;
};

struct CancelArgs {  // nlm4_cancargs
    std::string_view cookie;
    bool block = false;
    bool exclusive = false;
    Lock lock;
};

struct UnlockArgs {  // nlm4_unlockargs
    std::string_view cookie;
    Lock lock;
};

// nlm4_share (XNFS 14.2, 10.2): a DOS-style share reservation. fsh4_mode is what the
// opener denies others (fsm_DN 0, fsm_DR 1, fsm_DW 2, fsm_DRW 3), fsh4_access what it
// does (fsa_NONE 0, fsa_R 1, fsa_W 2, fsa_RW 3): bit 0 is reading, bit 1 writing.
struct Share {
    std::string_view callerName;
    std::string_view fh;
    std::string_view oh;
    uint32_t mode = 0;
    uint32_t access = 0;
};

struct ShareArgs {  // nlm4_shareargs (SHARE, UNSHARE)
    std::string_view cookie;
    Share share;
    bool reclaim = false;
};

struct NotifyArgs {  // nlm4_notify (FREE_ALL)
    std::string_view name;
    int32_t state = 0;
};

struct ResArgs {  // nlm4_res (the *_RES messages and GRANTED replies)
    std::string_view cookie;
    uint32_t stat = 0;
};

// `vers` selects the 32-bit (1, 3) or 64-bit (4) encoding of offsets.
bool decodeTestArgs(dfs_bytes_t in, uint32_t vers, TestArgs& out);
bool decodeLockArgs(dfs_bytes_t in, uint32_t vers, LockArgs& out);
bool decodeCancelArgs(dfs_bytes_t in, uint32_t vers, CancelArgs& out);
bool decodeUnlockArgs(dfs_bytes_t in, uint32_t vers, UnlockArgs& out);
bool decodeShareArgs(dfs_bytes_t in, ShareArgs& out);  // the same in every version
bool decodeNotifyArgs(dfs_bytes_t in, NotifyArgs& out);
bool decodeResArgs(dfs_bytes_t in, ResArgs& out);

// The lock a TEST ran into (nlm4_holder).
struct Holder {
    bool exclusive = false;
    uint32_t svid = 0;
    std::string_view oh;
    uint64_t offset = 0;
    uint64_t length = 0;
};

// Encoded sizes, to size replies: a netobj at its largest.
inline constexpr uint32_t kNetobjMax = 4 + kMaxNetobj;
inline constexpr uint32_t kResMax = kNetobjMax + 4;                               // nlm4_res
inline constexpr uint32_t kTestResMax = kNetobjMax + 4 + 4 + 4 + kNetobjMax + 16;  // nlm4_testres
inline constexpr uint32_t kShareResMax = kNetobjMax + 4 + 4;                          // nlm4_shareres

void encodeRes(xdr::Writer& w, std::string_view cookie, uint32_t stat);
// nlm4_shareres: the sequence number is unused by clients; it is always 0.
void encodeShareRes(xdr::Writer& w, std::string_view cookie, uint32_t stat);
// nlm4_testres: the holder only with NLM4_DENIED. v1/v3 holders carry 32-bit offsets,
// clamped (a lock past 4 GiB is reported as reaching the end of the 32-bit space).
void encodeTestRes(xdr::Writer& w, uint32_t vers, std::string_view cookie, uint32_t stat, const Holder& h);
// nlm4_testargs of a GRANTED call (XNFS 14.3.6): the lock as the client asked for it.
std::string encodeGrantedArgs(uint32_t vers, std::string_view cookie, bool exclusive, const Lock& lock);

}  // namespace dfs::nlm
