#include "nfsload_client.hpp"

#include <poll.h>

#include <cstring>
#include <utility>

// libnfs 4.0 exports nfs_get_rootfh but its public header does not declare it; the handle
// layout is libnfs's own `struct nfs_fh` (libnfs-private.h), the same one nfs_get_fh returns.
struct nfs_fh {
    int len;
    char* val;
};
extern "C" struct nfs_fh* nfs_get_rootfh(struct nfs_context* nfs);

namespace nfsload {

Connection::~Connection() {
    if (abandoned_) {
        return;
    }
    if (nfs_ != nullptr) {
        nfs_destroy_context(nfs_);
    }
    if (rpc_ != nullptr) {
        rpc_destroy_context(rpc_);
    }
}

ConnectionPtr Connection::open(const std::string& url, std::string& error) {
    ConnectionPtr conn(new Connection());
    conn->nfs_ = nfs_init_context();
    if (conn->nfs_ == nullptr) {
        error = "nfs_init_context failed";
        return nullptr;
    }
    nfs_url* parsed = nfs_parse_url_dir(conn->nfs_, url.c_str());
    if (parsed == nullptr) {
        error = std::string("bad url: ") + nfs_get_error(conn->nfs_);
        return nullptr;
    }
    // nfs_mount is synchronous and, without a timeout, waits forever on a server that
    // accepted the connection but stopped answering; workload calls have their own bound.
    int previousTimeout = nfs_get_timeout(conn->nfs_);
    nfs_set_timeout(conn->nfs_, 30000);
    int rc = nfs_mount(conn->nfs_, parsed->server, parsed->path);
    nfs_set_timeout(conn->nfs_, previousTimeout);
    nfs_destroy_url(parsed);
    if (rc != 0) {
        error = std::string("mount: ") + nfs_get_error(conn->nfs_);
        return nullptr;
    }
    nfs_fh* root = nfs_get_rootfh(conn->nfs_);
    if (root == nullptr || root->len <= 0 || root->len > 64) {
        error = "mount gave no usable root file handle";
        return nullptr;
    }
    conn->root_ = FileHandle(root->val, static_cast<size_t>(root->len));
    conn->readMax_ = nfs_get_readmax(conn->nfs_);
    conn->writeMax_ = nfs_get_writemax(conn->nfs_);
    return conn;
}

namespace {

void connected(rpc_context*, int status, void* data, void* priv) {
    auto* out = static_cast<std::pair<bool, std::string>*>(priv);
    out->first = true;
    if (status != RPC_STATUS_SUCCESS) {
        out->second = data != nullptr ? static_cast<const char*>(data) : "connect failed";
    }
}

}  // namespace

ConnectionPtr Connection::openProgram(const std::string& host, int port, int prog, int vers, std::string& error) {
    ConnectionPtr conn(new Connection());
    conn->rpc_ = rpc_init_context();
    if (conn->rpc_ == nullptr) {
        error = "rpc_init_context failed";
        return nullptr;
    }
    std::pair<bool, std::string> state{false, {}};
    if (rpc_connect_port_async(conn->rpc_, host.c_str(), port, prog, vers, connected, &state) != 0) {
        error = std::string("connect: ") + rpc_get_error(conn->rpc_);
        return nullptr;
    }
    std::vector<Connection*> one{conn.get()};
    if (!runLoop(one, [&] { return state.first; }, Clock::now() + std::chrono::seconds(30), error)) {
        return nullptr;
    }
    if (!state.first || !state.second.empty()) {
        error = "connect to " + host + ":" + std::to_string(port) + ": " +
                (state.first ? state.second : std::string("no answer in 30 s"));
        return nullptr;
    }
    return conn;
}

std::string hostOf(const std::string& url) {
    std::string rest = url.rfind("nfs://", 0) == 0 ? url.substr(6) : url;
    return rest.substr(0, rest.find_first_of("/?"));
}

bool runLoop(const std::vector<Connection*>& conns, const std::function<bool()>& done,
             Clock::time_point deadline, std::string& error) {
    std::vector<pollfd> fds(conns.size());
    while (!done()) {
        if (Clock::now() >= deadline) {
            return true;
        }
        for (size_t i = 0; i < conns.size(); ++i) {
            fds[i].fd = rpc_get_fd(conns[i]->rpc());
            fds[i].events = static_cast<short>(rpc_which_events(conns[i]->rpc()));
            fds[i].revents = 0;
        }
        // 100 ms: libnfs wants nfs_service now and then even without events, and the
        // deadline is checked at that granularity.
        int n = ::poll(fds.data(), fds.size(), 100);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            error = std::string("poll: ") + std::strerror(errno);
            return false;
        }
        for (size_t i = 0; i < conns.size(); ++i) {
            if (rpc_service(conns[i]->rpc(), fds[i].revents) < 0) {
                error = std::string("rpc_service: ") + rpc_get_error(conns[i]->rpc());
                return false;
            }
        }
    }
    return true;
}

namespace {

struct SyncCall {
    const std::function<void(int, void*)>* onReply = nullptr;
    bool done = false;
    int status = 0;
    std::string rpcError;
};

void syncCallback(rpc_context*, int status, void* data, void* privateData) {
    auto* call = static_cast<SyncCall*>(privateData);
    call->done = true;
    call->status = status;
    if (status == RPC_STATUS_SUCCESS) {
        (*call->onReply)(status, data);
    } else if (status == RPC_STATUS_ERROR && data != nullptr) {
        call->rpcError = static_cast<const char*>(data);
    }
}

}  // namespace

bool callSync(Connection& conn, const std::function<int(rpc_cb, void*)>& issue,
              const std::function<void(int, void*)>& onReply, std::string& error) {
    SyncCall call;
    call.onReply = &onReply;
    if (issue(syncCallback, &call) != 0) {
        error = std::string("queue: ") + rpc_get_error(conn.rpc());
        return false;
    }
    std::vector<Connection*> one{&conn};
    if (!runLoop(one, [&] { return call.done; }, Clock::now() + std::chrono::seconds(30), error)) {
        return false;
    }
    if (!call.done) {
        error = "no reply in 30 s";
        return false;
    }
    if (call.status != RPC_STATUS_SUCCESS) {
        error = "rpc failed: " + (call.rpcError.empty() ? std::to_string(call.status) : call.rpcError);
        return false;
    }
    return true;
}

namespace {

sattr3 modeOnlyAttrs(uint32_t mode) {
    sattr3 attrs{};
    attrs.mode.set_it = 1;
    attrs.mode.set_mode3_u.mode = mode;
    return attrs;
}

}  // namespace

bool lookup(Connection& conn, FileHandle& dir, const std::string& name, FileHandle& out, uint64_t* size,
            std::string& error) {
    int nfsStatus = -1;
    std::string nameBuf = name;
    bool ok = callSync(
        conn,
        [&](rpc_cb cb, void* priv) {
            LOOKUP3args args{};
            args.what.dir = dir.fh3();
            args.what.name = nameBuf.data();
            return rpc_nfs3_lookup_async(conn.rpc(), cb, &args, priv);
        },
        [&](int, void* data) {
            auto* res = static_cast<LOOKUP3res*>(data);
            nfsStatus = res->status;
            if (res->status == NFS3_OK) {
                out = FileHandle::fromFh3(res->LOOKUP3res_u.resok.object);
                const post_op_attr& attrs = res->LOOKUP3res_u.resok.obj_attributes;
                if (size != nullptr && attrs.attributes_follow) {
                    *size = attrs.post_op_attr_u.attributes.size;
                }
            }
        },
        error);
    if (ok && nfsStatus != NFS3_OK) {
        error = "LOOKUP " + name + ": " + statusName(nfsStatus);
        return false;
    }
    return ok;
}

bool makeDir(Connection& conn, const std::string& name, FileHandle& out, std::string& error) {
    int nfsStatus = -1;
    std::string nameBuf = name;
    bool ok = callSync(
        conn,
        [&](rpc_cb cb, void* priv) {
            MKDIR3args args{};
            args.where.dir = conn.root().fh3();
            args.where.name = nameBuf.data();
            args.attributes = modeOnlyAttrs(0755);
            return rpc_nfs3_mkdir_async(conn.rpc(), cb, &args, priv);
        },
        [&](int, void* data) {
            auto* res = static_cast<MKDIR3res*>(data);
            nfsStatus = res->status;
            if (res->status == NFS3_OK && res->MKDIR3res_u.resok.obj.handle_follows) {
                out = FileHandle::fromFh3(res->MKDIR3res_u.resok.obj.post_op_fh3_u.handle);
            }
        },
        error);
    if (!ok) {
        return false;
    }
    if (nfsStatus == NFS3_OK && !out.empty()) {
        return true;
    }
    if (nfsStatus != NFS3_OK && nfsStatus != NFS3ERR_EXIST) {
        error = "MKDIR " + name + ": " + statusName(nfsStatus);
        return false;
    }
    return lookup(conn, conn.root(), name, out, nullptr, error);
}

bool createEmpty(Connection& conn, const std::string& name, FileHandle& out, std::string& error) {
    int nfsStatus = -1;
    std::string nameBuf = name;
    bool ok = callSync(
        conn,
        [&](rpc_cb cb, void* priv) {
            CREATE3args args{};
            args.where.dir = conn.root().fh3();
            args.where.name = nameBuf.data();
            args.how.mode = UNCHECKED;
            args.how.createhow3_u.obj_attributes = modeOnlyAttrs(0644);
            args.how.createhow3_u.obj_attributes.size.set_it = 1;
            args.how.createhow3_u.obj_attributes.size.set_size3_u.size = 0;
            return rpc_nfs3_create_async(conn.rpc(), cb, &args, priv);
        },
        [&](int, void* data) {
            auto* res = static_cast<CREATE3res*>(data);
            nfsStatus = res->status;
            if (res->status == NFS3_OK && res->CREATE3res_u.resok.obj.handle_follows) {
                out = FileHandle::fromFh3(res->CREATE3res_u.resok.obj.post_op_fh3_u.handle);
            }
        },
        error);
    if (!ok) {
        return false;
    }
    if (nfsStatus != NFS3_OK) {
        error = "CREATE " + name + ": " + statusName(nfsStatus);
        return false;
    }
    return !out.empty() || lookup(conn, conn.root(), name, out, nullptr, error);
}

bool commitAll(Connection& conn, FileHandle& file, std::string& error) {
    int nfsStatus = -1;
    bool ok = callSync(
        conn,
        [&](rpc_cb cb, void* priv) {
            COMMIT3args args{};
            args.file = file.fh3();
            return rpc_nfs3_commit_async(conn.rpc(), cb, &args, priv);
        },
        [&](int, void* data) { nfsStatus = static_cast<COMMIT3res*>(data)->status; }, error);
    if (ok && nfsStatus != NFS3_OK) {
        error = "COMMIT: " + statusName(nfsStatus);
        return false;
    }
    return ok;
}

std::string statusName(int nfsstat) {
    const char* name = nullptr;
    switch (nfsstat) {
    case NFS3_OK: name = "NFS3_OK"; break;
    case NFS3ERR_PERM: name = "NFS3ERR_PERM"; break;
    case NFS3ERR_NOENT: name = "NFS3ERR_NOENT"; break;
    case NFS3ERR_IO: name = "NFS3ERR_IO"; break;
    case NFS3ERR_ACCES: name = "NFS3ERR_ACCES"; break;
    case NFS3ERR_EXIST: name = "NFS3ERR_EXIST"; break;
    case NFS3ERR_NOTDIR: name = "NFS3ERR_NOTDIR"; break;
    case NFS3ERR_ISDIR: name = "NFS3ERR_ISDIR"; break;
    case NFS3ERR_INVAL: name = "NFS3ERR_INVAL"; break;
    case NFS3ERR_NOSPC: name = "NFS3ERR_NOSPC"; break;
    case NFS3ERR_ROFS: name = "NFS3ERR_ROFS"; break;
    case NFS3ERR_STALE: name = "NFS3ERR_STALE"; break;
    case NFS3ERR_BADHANDLE: name = "NFS3ERR_BADHANDLE"; break;
    case NFS3ERR_BAD_COOKIE: name = "NFS3ERR_BAD_COOKIE"; break;
    case NFS3ERR_NOTSUPP: name = "NFS3ERR_NOTSUPP"; break;
    case NFS3ERR_TOOSMALL: name = "NFS3ERR_TOOSMALL"; break;
    case NFS3ERR_SERVERFAULT: name = "NFS3ERR_SERVERFAULT"; break;
    case NFS3ERR_JUKEBOX: name = "NFS3ERR_JUKEBOX"; break;
    default: name = "NFS3ERR"; break;
    }
    return std::string(name) + "(" + std::to_string(nfsstat) + ")";
}

}  // namespace nfsload
