#include "nfsload_pipeline.hpp"

#include <algorithm>

namespace nfsload {

bool Pipeline::runAll(const std::vector<Pipeline*>& pipelines, Clock::time_point deadline, std::string& error) {
    std::vector<Connection*> conns;
    for (Pipeline* p : pipelines) {
        if (std::find(conns.begin(), conns.end(), &p->conn_) == conns.end()) {
            conns.push_back(&p->conn_);
        }
        p->pump();
    }
    auto allFinished = [&] {
        return std::all_of(pipelines.begin(), pipelines.end(), [](Pipeline* p) { return p->finished(); });
    };
    auto abandon = [&] {
        for (Connection* c : conns) {
            c->abandon();
        }
        return false;
    };
    if (!runLoop(conns, allFinished, deadline, error)) {
        return abandon();
    }
    if (allFinished()) {
        return true;
    }
    for (Pipeline* p : pipelines) {
        p->stopped_ = true;
        p->timedOut_ = true;
    }
    // Drain: the connection is destroyed after this returns, and libnfs would cancel
    // whatever is still in flight.
    if (!runLoop(conns, allFinished, Clock::now() + std::chrono::seconds(10), error)) {
        return abandon();
    }
    if (!allFinished()) {
        error = "calls still in flight 10 s after the deadline";
        return abandon();
    }
    return true;
}

void Pipeline::pump() {
    while (!stopped_ && !failed_ && inFlight_ < depth_) {
        if (issueUntil_ != Clock::time_point::max() && Clock::now() >= issueUntil_) {
            stopped_ = true;
            break;
        }
        if (!issueNext()) {
            stopped_ = true;
            break;
        }
    }
}

bool Pipeline::queued(int rc) {
    if (rc != 0) {
        fail(std::string("could not queue the call: ") + rpc_get_error(conn_.rpc()));
        return false;
    }
    ++inFlight_;
    return true;
}

bool Pipeline::chained(int rc, const char* what) {
    if (rc != 0) {
        fail(std::string("could not queue ") + what + ": " + rpc_get_error(conn_.rpc()));
        return false;
    }
    return true;
}

bool Pipeline::replyOk(int status, void* data, const char* what) {
    if (status == RPC_STATUS_SUCCESS) {
        return true;
    }
    std::string why = status == RPC_STATUS_ERROR && data != nullptr ? static_cast<const char*>(data)
                      : status == RPC_STATUS_CANCEL                 ? "cancelled"
                      : status == RPC_STATUS_TIMEOUT                ? "timed out"
                                                                    : "rpc status " + std::to_string(status);
    fail(std::string(what) + ": " + why);
    return false;
}

void Pipeline::completed() {
    --inFlight_;
    pump();
}

void Pipeline::fail(const std::string& error) {
    if (!failed_) {
        failed_ = true;
        error_ = error;
    }
}

Result finishRun(Result r, const Pipeline& p, Clock::time_point start, bool ranOk, const std::string& runError) {
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    r.ops = p.ops;
    r.bytes = p.bytes;
    if (!ranOk) {
        return failed(r, runError);
    }
    if (p.hasFailed()) {
        return failed(r, p.error());
    }
    r.ok = true;
    return r;
}

void runConcurrent(const std::vector<Pipeline*>& pipelines, const Options& opt, const char* unit, Result& r) {
    std::string error;
    auto start = Clock::now();
    for (Pipeline* p : pipelines) {
        p->issueUntil(start + secondsToDuration(opt.seconds));
    }
    bool ran = Pipeline::runAll(pipelines, start + secondsToDuration(opt.maxSeconds), error);
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    r.complete = true;
    for (Pipeline* p : pipelines) {
        r.ops += p->ops;
        if (p->hasFailed() && r.error.empty()) {
            r.error = p->error();
        }
        r.complete = r.complete && !p->timedOut();
    }
    r.unit = unit;
    r.value = static_cast<double>(r.ops) / r.seconds;
    if (!ran) {
        r.error = error;
    }
    r.ok = r.error.empty();
}

}  // namespace nfsload
