// The workloads nfsload runs against an NFSv3 server, and the loopback TCP ceiling.
// Each one is bounded by a count and by `maxSeconds`, and reports one Result.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace nfsload {

using Clock = std::chrono::steady_clock;

struct Options {
    std::string url;                        // nfs://host/export?nfsport=N&mountport=M&version=3
    std::string workload;
    unsigned depth = 32;                    // calls in flight on the connection
    uint64_t fileSize = 1ULL << 30;         // seqwrite/seqread size, randread/randwrite span
    uint64_t block = 1ULL << 20;            // seqwrite/seqread call size (capped by FSINFO)
    uint64_t ioSize = 4096;                 // randread/randwrite/smallfiles call size
    uint64_t count = 200000;                // randread/randwrite calls at most
    uint64_t files = 10000;                 // smallfiles files; readdirplus entries
    unsigned contexts = 16;                 // getattr: connections
    unsigned contextDepth = 1;              // getattr: calls in flight per connection
    unsigned listings = 0;                  // readdirplus: full listings at most (0: until seconds)
    double seconds = 20;                    // randread/randwrite/readdirplus/getattr run time
    double maxSeconds = 300;                // hard bound for every workload
    std::string fileName = "nfsload.dat";   // the large file, at the export's root
    std::string dirName;                    // smallfiles/readdirplus directory (default per workload)
    uint32_t dirCount = 32768;              // READDIRPLUS dircount
    uint32_t maxCount = 131072;             // READDIRPLUS maxcount
    // smallfiles: how each file's WRITE is made stable: FILE_SYNC (as a close() flush of
    // one WRITE does), UNSTABLE alone, or UNSTABLE then COMMIT (a close() after several).
    enum class SmallWrite { kFileSync, kUnstable, kUnstableCommit };
    SmallWrite smallWrite = SmallWrite::kFileSync;
    uint64_t seed = 1;
    int nlmPort = 0;                        // locks: the server's NLM port (TCP)
};

struct Result {
    std::string workload;
    bool ok = false;
    bool complete = false;                  // false: stopped by maxSeconds
    std::string error;
    double value = 0;                       // the headline number, in `unit`
    std::string unit;
    uint64_t ops = 0;                       // calls (or files, or listings) completed
    uint64_t bytes = 0;
    double seconds = 0;
    std::string extra;                      // "key=value ..." the workload adds

    static Result named(const char* workload) {
        Result r;
        r.workload = workload;
        return r;
    }
};

inline Result failed(Result r, const std::string& error) {
    r.ok = false;
    r.error = error;
    return r;
}

inline Clock::duration secondsToDuration(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

Result runSeqWrite(const Options& opt);
Result runSeqRead(const Options& opt);
Result runRandom(const Options& opt, bool write);
Result runSmallFiles(const Options& opt);
Result runReaddirPlus(const Options& opt);
Result runGetattr(const Options& opt);
// NLM v4 LOCK + UNLOCK pairs (nfsload_locks.cpp): `contexts` clients on one file.
Result runLocks(const Options& opt);
Result runTcpCeiling(const Options& opt, bool fromFile);

}  // namespace nfsload
