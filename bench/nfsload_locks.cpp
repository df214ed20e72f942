// The lock workload: NLM v4 LOCK + UNLOCK pairs per second. Each client is its own NLM
// connection with its own caller_name and owner, locking its own 4 KiB range of one file
// (exclusive, non-blocking), then unlocking it, one call in flight: what a program
// that takes and drops an fcntl() lock around every update costs the server. Ranges do
// not overlap, so every LOCK must be granted; a refusal fails the run.
#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-nlm.h>

#include <memory>
#include <string>
#include <vector>

#include "nfsload_client.hpp"
#include "nfsload_pipeline.hpp"
#include "nfsload_workloads.hpp"

namespace nfsload {

namespace {

class LockPipeline : public Pipeline {
public:
    LockPipeline(Connection& nlm, FileHandle& file, unsigned index)
        : Pipeline(nlm, 1),
          file_(file),
          caller_("nfsload-" + std::to_string(index)),
          owner_("owner-" + std::to_string(index)),
          svid_(index + 1),
          offset_(uint64_t{index} * 4096) {}

protected:
    bool issueNext() override {
        nlm4_lock l{};
        l.caller_name = caller_.data();
        nfs_fh3 fh = file_.fh3();
        l.fh.data.data_len = fh.data.data_len;
        l.fh.data.data_val = fh.data.data_val;
        l.oh = owner_.data();
        l.svid = svid_;
        l.l_offset = offset_;
        l.l_len = 4096;
        if (!holding_) {
            NLM4_LOCKargs a{};
            a.cookie = cookie();
            a.block = 0;
            a.exclusive = 1;
            a.lock = l;
            a.reclaim = 0;
            a.state = 1;
            return queued(rpc_nlm4_lock_async(conn_.rpc(), &LockPipeline::onLock, &a, this));
        }
        NLM4_UNLOCKargs a{};
        a.cookie = cookie();
        a.lock = l;
        return queued(rpc_nlm4_unlock_async(conn_.rpc(), &LockPipeline::onUnlock, &a, this));
    }

private:
    nlm_cookie cookie() {
        nlm_cookie c{};
        c.data.data_len = static_cast<u_int>(cookie_.size());
        c.data.data_val = cookie_.data();
        return c;
    }

    static void onLock(rpc_context*, int status, void* data, void* priv) {
        auto* self = static_cast<LockPipeline*>(priv);
        if (self->replyOk(status, data, "NLM4_LOCK")) {
            auto* res = static_cast<NLM4_LOCKres*>(data);
            if (res->status != NLM4_GRANTED) {
                self->fail("NLM4_LOCK: status " + std::to_string(res->status));
            } else {
                self->holding_ = true;
            }
        }
        self->completed();
    }

    static void onUnlock(rpc_context*, int status, void* data, void* priv) {
        auto* self = static_cast<LockPipeline*>(priv);
        if (self->replyOk(status, data, "NLM4_UNLOCK")) {
            auto* res = static_cast<NLM4_UNLOCKres*>(data);
            if (res->status != NLM4_GRANTED) {
                self->fail("NLM4_UNLOCK: status " + std::to_string(res->status));
            } else {
                self->holding_ = false;
                self->ops += 1;  // one pair
            }
        }
        self->completed();
    }

    FileHandle& file_;
    std::string caller_;
    std::string owner_;
    std::string cookie_ = "nfsload";
    uint32_t svid_;
    uint64_t offset_;
    bool holding_ = false;
};

}  // namespace

Result runLocks(const Options& opt) {
    Result r = Result::named("locks");
    std::string error;
    if (opt.nlmPort <= 0) {
        return failed(r, "--nlm-port is required");
    }
    // Set-up over NFS: the file every client locks.
    ConnectionPtr nfs = Connection::open(opt.url, error);
    if (!nfs) {
        return failed(r, error);
    }
    FileHandle file;
    std::string name = opt.fileName == "nfsload.dat" ? "nfsload.lock" : opt.fileName;
    if (!createEmpty(*nfs, name, file, error)) {
        return failed(r, error);
    }
    std::vector<ConnectionPtr> conns;
    std::vector<std::unique_ptr<LockPipeline>> pipelines;
    std::vector<Pipeline*> all;
    std::string host = hostOf(opt.url);
    for (unsigned i = 0; i < opt.contexts; ++i) {
        ConnectionPtr conn = Connection::openProgram(host, opt.nlmPort, NLM_PROGRAM, NLM_V4, error);
        if (!conn) {
            return failed(r, "NLM connection " + std::to_string(i) + ": " + error);
        }
        rpc_set_next_xid(conn->rpc(), (i + 1) << 24);
        pipelines.push_back(std::make_unique<LockPipeline>(*conn, file, i));
        all.push_back(pipelines.back().get());
        conns.push_back(std::move(conn));
    }
    runConcurrent(all, opt, "pairs/s", r);
    r.extra = "clients=" + std::to_string(opt.contexts);
    return r;
}

}  // namespace nfsload
