// Keeps up to `depth` asynchronous NFSv3 calls in flight on one connection: every reply
// frees a slot, and the slot is refilled at once from the reply's callback, so the server
// always has work queued. Subclasses say what the next call is (`issueNext`).
#pragma once

#include <string>
#include <vector>

#include "nfsload_client.hpp"
#include "nfsload_workloads.hpp"

namespace nfsload {

class Pipeline {
public:
    Pipeline(Connection& conn, unsigned depth) : conn_(conn), depth_(depth == 0 ? 1 : depth) {}
    virtual ~Pipeline() = default;
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    // No call is issued after `t` (time-bounded workloads); calls in flight still finish.
    void issueUntil(Clock::time_point t) { issueUntil_ = t; }

    // Runs until nothing is left to issue and nothing is in flight. At `deadline` it stops
    // issuing, marks itself timed out and waits up to 10 s for the calls in flight.
    bool run(Clock::time_point deadline, std::string& error) { return runAll({this}, deadline, error); }
    static bool runAll(const std::vector<Pipeline*>& pipelines, Clock::time_point deadline, std::string& error);

    bool hasFailed() const { return failed_; }
    const std::string& error() const { return error_; }
    bool timedOut() const { return timedOut_; }

    uint64_t ops = 0;
    uint64_t bytes = 0;

protected:
    // Issues one call (through queued()) and returns true, or returns false when the
    // workload has nothing more to issue.
    virtual bool issueNext() = 0;

    // After rpc_nfs3_*_async: counts the call in flight, or fails the run.
    bool queued(int rc);
    // In a callback, after queueing the next call of the same chain (which keeps the
    // slot): true, or false after failing the run with what could not be queued.
    bool chained(int rc, const char* what);
    // In a callback: true when the RPC itself succeeded (the NFS status is the caller's).
    bool replyOk(int status, void* data, const char* what);
    // In a callback, last: frees the slot and refills it.
    void completed();
    void fail(const std::string& error);

    Connection& conn_;

private:
    void pump();
    bool finished() const { return (stopped_ || failed_) && inFlight_ == 0; }

    unsigned depth_;
    unsigned inFlight_ = 0;
    bool stopped_ = false;
    bool failed_ = false;
    bool timedOut_ = false;
    std::string error_;
    Clock::time_point issueUntil_ = Clock::time_point::max();
};

// The end of a one-pipeline workload started at `start`: its time, calls and bytes, and
// ok unless the run (`ranOk`, `runError`) or the pipeline failed.
Result finishRun(Result r, const Pipeline& p, Clock::time_point start, bool ranOk, const std::string& runError);

// Runs `pipelines` (each on its own connection) together, issuing for opt.seconds and
// bounded by opt.maxSeconds, then fills `r`: the summed ops, the time, ops/s in `unit`,
// whether every pipeline finished in time, and ok unless one failed.
void runConcurrent(const std::vector<Pipeline*>& pipelines, const Options& opt, const char* unit, Result& r);

}  // namespace nfsload
