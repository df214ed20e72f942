#include "nfsload_workloads.hpp"

#include <algorithm>
#include <random>

#include "nfsload_client.hpp"
#include "nfsload_pipeline.hpp"

namespace nfsload {

namespace {

// The payload of every WRITE: one static buffer, filled before the first call and never
// written to again, so it stays valid however long libnfs keeps a reference to it (newer
// libnfs versions send WRITE data from the caller's buffer instead of copying it).
const std::vector<char>& payload(uint64_t size) {
    static std::vector<char> buf;
    if (buf.size() < size) {
        buf.resize(size);
        for (size_t i = 0; i < buf.size(); ++i) {
            buf[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
        }
    }
    return buf;
}

double mib(uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// ---- sequential and random READ/WRITE ----------------------------------------------

// One pipeline for all four data workloads: `nextOffset` says where the next call goes.
class DataPipeline : public Pipeline {
public:
    DataPipeline(Connection& conn, FileHandle& file, bool write, uint64_t callSize, unsigned depth)
        : Pipeline(conn, depth), file_(file), write_(write), callSize_(callSize),
          data_(write ? const_cast<char*>(payload(callSize).data()) : nullptr) {}

    std::function<bool(uint64_t&)> nextOffset;
    uint64_t stableReplies = 0;             // WRITEs the server answered FILE_SYNC/DATA_SYNC

protected:
    bool issueNext() override {
        uint64_t offset = 0;
        if (!nextOffset(offset)) {
            return false;
        }
        int rc = 0;
        if (write_) {
            WRITE3args args{};
            args.file = file_.fh3();
            args.offset = offset;
            args.count = static_cast<count3>(callSize_);
            args.stable = UNSTABLE;
            args.data.data_len = static_cast<u_int>(callSize_);
            args.data.data_val = data_;
            rc = rpc_nfs3_write_async(conn_.rpc(), &DataPipeline::onWrite, &args, this);
        } else {
            READ3args args{};
            args.file = file_.fh3();
            args.offset = offset;
            args.count = static_cast<count3>(callSize_);
            rc = rpc_nfs3_read_async(conn_.rpc(), &DataPipeline::onRead, &args, this);
        }
        return queued(rc);
    }

private:
    static void onWrite(rpc_context*, int status, void* data, void* priv) {
        auto* self = static_cast<DataPipeline*>(priv);
        if (self->replyOk(status, data, "WRITE")) {
            auto* res = static_cast<WRITE3res*>(data);
            if (res->status != NFS3_OK) {
                self->fail("WRITE: " + statusName(res->status));
            } else if (res->WRITE3res_u.resok.count != self->callSize_) {
                self->fail("WRITE: short write of " + std::to_string(res->WRITE3res_u.resok.count));
            } else {
                self->bytes += self->callSize_;
                self->ops += 1;
                if (res->WRITE3res_u.resok.committed != UNSTABLE) {
                    self->stableReplies += 1;
                }
            }
        }
        self->completed();
    }

    static void onRead(rpc_context*, int status, void* data, void* priv) {
        auto* self = static_cast<DataPipeline*>(priv);
        if (self->replyOk(status, data, "READ")) {
            auto* res = static_cast<READ3res*>(data);
            if (res->status != NFS3_OK) {
                self->fail("READ: " + statusName(res->status));
            } else if (res->READ3res_u.resok.count != self->callSize_ ||
                       res->READ3res_u.resok.data.data_len != self->callSize_) {
                self->fail("READ: short read of " + std::to_string(res->READ3res_u.resok.count));
            } else {
                self->bytes += self->callSize_;
                self->ops += 1;
            }
        }
        self->completed();
    }

    FileHandle& file_;
    bool write_;
    uint64_t callSize_;
    char* data_;
};

// Offsets 0, block, 2 block, ... for `calls` calls.
std::function<bool(uint64_t&)> sequential(uint64_t calls, uint64_t block) {
    return [next = uint64_t{0}, calls, block](uint64_t& off) mutable {
        if (next >= calls) {
            return false;
        }
        off = next++ * block;
        return true;
    };
}

// The large file seqwrite left at the export's root: its handle and size; false with
// `error` when it is missing.
bool findDataFile(Connection& conn, const Options& opt, FileHandle& file, uint64_t& size, std::string& error) {
    if (!lookup(conn, conn.root(), opt.fileName, file, &size, error)) {
        error += " (run seqwrite first)";
        return false;
    }
    return true;
}

}  // namespace

Result runSeqWrite(const Options& opt) {
    Result r = Result::named("seqwrite");
    std::string error;
    ConnectionPtr conn = Connection::open(opt.url, error);
    if (!conn) {
        return failed(r, error);
    }
    FileHandle file;
    if (!createEmpty(*conn, opt.fileName, file, error)) {
        return failed(r, error);
    }
    uint64_t block = std::min(opt.block, conn->writeMax());
    uint64_t calls = opt.fileSize / block;
    DataPipeline p(*conn, file, true, block, opt.depth);
    p.nextOffset = sequential(calls, block);
    auto start = Clock::now();
    auto deadline = start + secondsToDuration(opt.maxSeconds);
    std::string loopError;
    bool ran = p.run(deadline, loopError);
    double writeSeconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (ran && !p.hasFailed() && p.ops == calls && !commitAll(*conn, file, loopError)) {
        ran = false;
    }
    r = finishRun(r, p, start, ran, loopError);
    r.complete = p.ops == calls;
    r.unit = "MiB/s";
    r.value = mib(r.bytes) / r.seconds;
    r.extra = "block=" + std::to_string(block) + " depth=" + std::to_string(opt.depth) +
              " write_s=" + std::to_string(writeSeconds) + " commit_s=" + std::to_string(r.seconds - writeSeconds) +
              " stable_replies=" + std::to_string(p.stableReplies);
    return r;
}

Result runSeqRead(const Options& opt) {
    Result r = Result::named("seqread");
    std::string error;
    ConnectionPtr conn = Connection::open(opt.url, error);
    if (!conn) {
        return failed(r, error);
    }
    FileHandle file;
    uint64_t size = 0;
    if (!findDataFile(*conn, opt, file, size, error)) {
        return failed(r, error);
    }
    uint64_t block = std::min(opt.block, conn->readMax());
    uint64_t calls = std::min(opt.fileSize, size) / block;
    if (calls == 0) {
        return failed(r, opt.fileName + " is smaller than one block (run seqwrite first)");
    }
    DataPipeline p(*conn, file, false, block, opt.depth);
    p.nextOffset = sequential(calls, block);
    auto start = Clock::now();
    auto deadline = start + secondsToDuration(opt.maxSeconds);
    std::string loopError;
    bool ran = p.run(deadline, loopError);
    r = finishRun(r, p, start, ran, loopError);
    r.complete = p.ops == calls;
    r.unit = "MiB/s";
    r.value = mib(r.bytes) / r.seconds;
    r.extra = "block=" + std::to_string(block) + " depth=" + std::to_string(opt.depth);
    return r;
}

Result runRandom(const Options& opt, bool write) {
    Result r = Result::named(write ? "randwrite" : "randread");
    std::string error;
    ConnectionPtr conn = Connection::open(opt.url, error);
    if (!conn) {
        return failed(r, error);
    }
    FileHandle file;
    uint64_t size = 0;
    if (!findDataFile(*conn, opt, file, size, error)) {
        return failed(r, error);
    }
    uint64_t slots = std::min(opt.fileSize, size) / opt.ioSize;
    if (slots == 0) {
        return failed(r, opt.fileName + " is empty (run seqwrite first)");
    }
    DataPipeline p(*conn, file, write, opt.ioSize, opt.depth);
    std::mt19937_64 rng(opt.seed);
    std::uniform_int_distribution<uint64_t> pick(0, slots - 1);
    uint64_t issued = 0;
    p.nextOffset = [&](uint64_t& off) {
        if (issued >= opt.count) {
            return false;
        }
        ++issued;
        off = pick(rng) * opt.ioSize;
        return true;
    };
    auto start = Clock::now();
    p.issueUntil(start + secondsToDuration(opt.seconds));
    auto deadline = start + secondsToDuration(opt.maxSeconds);
    std::string loopError;
    bool ran = p.run(deadline, loopError);
    // Random writes are UNSTABLE like the sequential ones; the COMMIT that makes them
    // durable is part of the measured time.
    if (write && ran && !p.hasFailed() && !commitAll(*conn, file, loopError)) {
        ran = false;
    }
    r = finishRun(r, p, start, ran, loopError);
    r.complete = !p.timedOut();
    r.unit = "ops/s";
    r.value = static_cast<double>(r.ops) / r.seconds;
    r.extra = "io=" + std::to_string(opt.ioSize) + " depth=" + std::to_string(opt.depth) +
              " mib_s=" + std::to_string(mib(r.bytes) / r.seconds);
    return r;
}

}  // namespace nfsload
