// The metadata workloads: small-file creation, READDIRPLUS listings, GETATTR rate.
#include <cstdio>
#include <cstring>
#include <memory>

#include "nfsload_client.hpp"
#include "nfsload_pipeline.hpp"
#include "nfsload_workloads.hpp"

namespace nfsload {

namespace {

// What every smallfiles WRITE sends (up to --io, at most 1 MiB); never written after
// it is filled, as libnfs may send from it after the call is queued.
const char* smallFilePayload() {
    static const std::vector<char> buf = [] {
        std::vector<char> b(1 << 20);
        for (size_t i = 0; i < b.size(); ++i) {
            b[i] = static_cast<char>('A' + i % 26);
        }
        return b;
    }();
    return buf.data();
}

std::string entryName(uint64_t i) {
    char name[32];
    std::snprintf(name, sizeof(name), "f%06llu", static_cast<unsigned long long>(i));
    return name;
}

const char* smallWriteName(Options::SmallWrite w) {
    switch (w) {
    case Options::SmallWrite::kFileSync:
        return "FILE_SYNC";
    case Options::SmallWrite::kUnstable:
        return "UNSTABLE";
    case Options::SmallWrite::kUnstableCommit:
        return "UNSTABLE+COMMIT";
    }
    return "?";
}

// ---- smallfiles: CREATE, then one WRITE (and a COMMIT), per file ----------------------

// Each file is a chain of calls; `depth` files are in progress at once. With `writeBytes`
// 0 a file is only created (how readdirplus fills its directory).
class CreatePipeline : public Pipeline {
public:
    using SmallWrite = Options::SmallWrite;
    CreatePipeline(Connection& conn, FileHandle& dir, uint64_t files, uint64_t writeBytes, SmallWrite mode,
                   unsigned depth)
        : Pipeline(conn, depth), dir_(dir), files_(files), writeBytes_(writeBytes), mode_(mode) {}

protected:
    bool issueNext() override {
        if (next_ >= files_) {
            return false;
        }
        auto op = std::make_unique<FileOp>(FileOp{this, entryName(next_++), {}});
        CREATE3args args{};
        args.where.dir = dir_.fh3();
        args.where.name = op->name.data();
        // UNCHECKED, as open(O_CREAT|O_TRUNC) without O_EXCL is sent by the Linux client.
        args.how.mode = UNCHECKED;
        sattr3& attrs = args.how.createhow3_u.obj_attributes;
        attrs.mode.set_it = 1;
        attrs.mode.set_mode3_u.mode = 0644;
        attrs.size.set_it = 1;
        attrs.size.set_size3_u.size = 0;
        if (!queued(rpc_nfs3_create_async(conn_.rpc(), &CreatePipeline::onCreate, &args, op.get()))) {
            return false;
        }
        op.release();
        return true;
    }

private:
    struct FileOp {
        CreatePipeline* self;
        std::string name;
        FileHandle fh;
    };

    // A reply whose RPC succeeded with NFS3_OK, or null after failing the run.
    template <typename Res>
    Res* answer(int status, void* data, const char* what, const FileOp& op) {
        if (!replyOk(status, data, what)) {
            return nullptr;
        }
        auto* res = static_cast<Res*>(data);
        if (res->status != NFS3_OK) {
            fail(std::string(what) + " " + op.name + ": " + statusName(res->status));
            return nullptr;
        }
        return res;
    }

    static void onCreate(rpc_context*, int status, void* data, void* priv) {
        std::unique_ptr<FileOp> op(static_cast<FileOp*>(priv));
        CreatePipeline* self = op->self;
        if (auto* res = self->answer<CREATE3res>(status, data, "CREATE", *op)) {
            if (!res->CREATE3res_u.resok.obj.handle_follows) {
                self->fail("CREATE " + op->name + ": no file handle in the reply");
            } else if (self->writeBytes_ == 0) {
                self->ops += 1;
            } else {
                op->fh = FileHandle::fromFh3(res->CREATE3res_u.resok.obj.post_op_fh3_u.handle);
                WRITE3args args{};
                args.file = op->fh.fh3();
                args.offset = 0;
                args.count = static_cast<count3>(self->writeBytes_);
                args.stable = self->mode_ == SmallWrite::kFileSync ? FILE_SYNC : UNSTABLE;
                args.data.data_len = static_cast<u_int>(self->writeBytes_);
                args.data.data_val = const_cast<char*>(smallFilePayload());
                if (self->chained(rpc_nfs3_write_async(self->conn_.rpc(), &CreatePipeline::onWrite, &args, op.get()),
                                  "WRITE")) {
                    op.release();
                    return;
                }
            }
        }
        self->completed();
    }

    static void onWrite(rpc_context*, int status, void* data, void* priv) {
        std::unique_ptr<FileOp> op(static_cast<FileOp*>(priv));
        CreatePipeline* self = op->self;
        if (auto* res = self->answer<WRITE3res>(status, data, "WRITE", *op)) {
            self->bytes += res->WRITE3res_u.resok.count;
            if (self->mode_ != SmallWrite::kUnstableCommit) {
                self->ops += 1;
            } else {
                COMMIT3args args{};
                args.file = op->fh.fh3();
                if (self->chained(rpc_nfs3_commit_async(self->conn_.rpc(), &CreatePipeline::onCommit, &args, op.get()),
                                  "COMMIT")) {
                    op.release();
                    return;
                }
            }
        }
        self->completed();
    }

    static void onCommit(rpc_context*, int status, void* data, void* priv) {
        std::unique_ptr<FileOp> op(static_cast<FileOp*>(priv));
        CreatePipeline* self = op->self;
        if (self->answer<COMMIT3res>(status, data, "COMMIT", *op) != nullptr) {
            self->ops += 1;
        }
        self->completed();
    }

    FileHandle& dir_;
    uint64_t files_;
    uint64_t writeBytes_;
    SmallWrite mode_;
    uint64_t next_ = 0;
};

// ---- readdirplus: full listings, each a chain of READDIRPLUS calls ------------------

class ListPipeline : public Pipeline {
public:
    ListPipeline(Connection& conn, FileHandle& dir, uint32_t dirCount, uint32_t maxCount, unsigned listings,
                 unsigned depth)
        : Pipeline(conn, depth), dir_(dir), dirCount_(dirCount), maxCount_(maxCount), listings_(listings) {}

    uint64_t entries = 0;                   // entries received, "." and ".." included
    uint64_t lastListingEntries = 0;        // entries in the last complete listing

protected:
    bool issueNext() override {
        if (listings_ != 0 && started_ >= listings_) {
            return false;
        }
        ++started_;
        auto listing = std::make_unique<Listing>(Listing{this});
        if (!send(listing.get())) {
            return false;
        }
        listing.release();
        return true;
    }

private:
    struct Listing {
        ListPipeline* self;
        uint64_t cookie = 0;
        char verifier[NFS3_COOKIEVERFSIZE] = {};
        uint64_t entries = 0;
    };

    bool send(Listing* l) { return queued(sendRaw(l)); }

    int sendRaw(Listing* l) {
        READDIRPLUS3args args{};
        args.dir = dir_.fh3();
        args.cookie = l->cookie;
        std::memcpy(args.cookieverf, l->verifier, sizeof(args.cookieverf));
        args.dircount = dirCount_;
        args.maxcount = maxCount_;
        return rpc_nfs3_readdirplus_async(conn_.rpc(), &ListPipeline::onReply, &args, l);
    }

    static void onReply(rpc_context*, int status, void* data, void* priv) {
        std::unique_ptr<Listing> l(static_cast<Listing*>(priv));
        ListPipeline* self = l->self;
        if (self->replyOk(status, data, "READDIRPLUS")) {
            auto* res = static_cast<READDIRPLUS3res*>(data);
            if (res->status != NFS3_OK) {
                self->fail("READDIRPLUS: " + statusName(res->status));
            } else {
                READDIRPLUS3resok& ok = res->READDIRPLUS3res_u.resok;
                uint64_t got = 0;
                for (entryplus3* e = ok.reply.entries; e != nullptr; e = e->nextentry) {
                    ++got;
                    l->cookie = e->cookie;
                }
                l->entries += got;
                self->entries += got;
                std::memcpy(l->verifier, ok.cookieverf, sizeof(l->verifier));
                if (ok.reply.eof) {
                    self->ops += 1;
                    self->lastListingEntries = l->entries;
                } else if (got == 0) {
                    self->fail("READDIRPLUS: no entries and no eof");
                } else if (self->chained(self->sendRaw(l.get()), "READDIRPLUS")) {
                    // The next page of the same listing keeps the slot.
                    l.release();
                    return;
                }
            }
        }
        self->completed();
    }

    FileHandle& dir_;
    uint32_t dirCount_;
    uint32_t maxCount_;
    unsigned listings_;
    unsigned started_ = 0;
};

// ---- getattr: GETATTR of the export root ---------------------------------------------

class GetattrPipeline : public Pipeline {
public:
    GetattrPipeline(Connection& conn, unsigned depth) : Pipeline(conn, depth) {}

protected:
    bool issueNext() override {
        GETATTR3args args{};
        args.object = conn_.root().fh3();
        return queued(rpc_nfs3_getattr_async(conn_.rpc(), &GetattrPipeline::onReply, &args, this));
    }

private:
    static void onReply(rpc_context*, int status, void* data, void* priv) {
        auto* self = static_cast<GetattrPipeline*>(priv);
        if (self->replyOk(status, data, "GETATTR")) {
            auto* res = static_cast<GETATTR3res*>(data);
            if (res->status != NFS3_OK) {
                self->fail("GETATTR: " + statusName(res->status));
            } else {
                self->ops += 1;
            }
        }
        self->completed();
    }
};

}  // namespace

Result runSmallFiles(const Options& opt) {
    Result r = Result::named("smallfiles");
    std::string error;
    ConnectionPtr conn = Connection::open(opt.url, error);
    if (!conn) {
        return failed(r, error);
    }
    FileHandle dir;
    std::string dirName = opt.dirName.empty() ? "smallfiles" : opt.dirName;
    if (!makeDir(*conn, dirName, dir, error)) {
        return failed(r, error);
    }
    CreatePipeline p(*conn, dir, opt.files, opt.ioSize, opt.smallWrite, opt.depth);
    auto start = Clock::now();
    bool ran = p.run(start + secondsToDuration(opt.maxSeconds), error);
    r = finishRun(r, p, start, ran, error);
    r.unit = "files/s";
    r.value = static_cast<double>(r.ops) / r.seconds;
    r.complete = p.ops == opt.files;
    r.extra = "files=" + std::to_string(opt.files) + " io=" + std::to_string(opt.ioSize) +
              " stable=" + smallWriteName(opt.smallWrite) + " depth=" + std::to_string(opt.depth);
    return r;
}

Result runReaddirPlus(const Options& opt) {
    Result r = Result::named("readdirplus");
    std::string error;
    ConnectionPtr conn = Connection::open(opt.url, error);
    if (!conn) {
        return failed(r, error);
    }
    FileHandle dir;
    std::string dirName = opt.dirName.empty() ? "readdirplus" : opt.dirName;
    if (!makeDir(*conn, dirName, dir, error)) {
        return failed(r, error);
    }
    // Set-up, not timed: one listing says whether the directory is full already (say,
    // filled by smallfiles); if not, create the missing names empty.
    {
        ListPipeline probe(*conn, dir, opt.dirCount, opt.maxCount, 1, 1);
        if (!probe.run(Clock::now() + std::chrono::seconds(120), error) || probe.hasFailed()) {
            return failed(r, "probe listing: " + (error.empty() ? probe.error() : error));
        }
        if (probe.lastListingEntries < opt.files + 2) {
            CreatePipeline fill(*conn, dir, opt.files, 0, Options::SmallWrite::kUnstable, opt.depth);
            if (!fill.run(Clock::now() + std::chrono::seconds(600), error) || fill.hasFailed()) {
                return failed(r, "filling the directory: " + (error.empty() ? fill.error() : error));
            }
        }
    }
    ListPipeline p(*conn, dir, opt.dirCount, opt.maxCount, opt.listings, opt.depth);
    auto start = Clock::now();
    p.issueUntil(start + secondsToDuration(opt.seconds));
    bool ran = p.run(start + secondsToDuration(opt.maxSeconds), error);
    r = finishRun(r, p, start, ran, error);
    r.unit = "entries/s";
    r.value = static_cast<double>(p.entries) / r.seconds;
    r.complete = !p.timedOut();
    r.extra = "listings=" + std::to_string(p.ops) + " entries_per_listing=" + std::to_string(p.lastListingEntries) +
              " listings_s=" + std::to_string(static_cast<double>(p.ops) / r.seconds) +
              " maxcount=" + std::to_string(opt.maxCount) + " depth=" + std::to_string(opt.depth);
    return r;
}

Result runGetattr(const Options& opt) {
    Result r = Result::named("getattr");
    std::string error;
    std::vector<ConnectionPtr> conns;
    std::vector<std::unique_ptr<GetattrPipeline>> pipelines;
    std::vector<Pipeline*> all;
    for (unsigned i = 0; i < opt.contexts; ++i) {
        ConnectionPtr conn = Connection::open(opt.url, error);
        if (!conn) {
            return failed(r, "connection " + std::to_string(i) + ": " + error);
        }
        // Distinct xid ranges, so that no two connections' calls look alike to a
        // duplicate request cache keyed on xid.
        rpc_set_next_xid(conn->rpc(), (i + 1) << 24);
        pipelines.push_back(std::make_unique<GetattrPipeline>(*conn, opt.contextDepth));
        all.push_back(pipelines.back().get());
        conns.push_back(std::move(conn));
    }
    runConcurrent(all, opt, "ops/s", r);
    r.extra = "contexts=" + std::to_string(opt.contexts) + " per_context_depth=" + std::to_string(opt.contextDepth);
    return r;
}

}  // namespace nfsload
