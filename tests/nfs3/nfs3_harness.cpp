#include "nfs3_harness.hpp"

namespace dfs::nfs3::test {
namespace {

struct Pending {
    Reply* reply = nullptr;
    dfs_rpc_transport_t transport = DFS_RPC_TCP;
    int sends = 0;
};

dfs_buf_t fakeReplyBuffer(void*, void* token, uint64_t size) {
    auto* p = static_cast<Pending*>(token);
    uint64_t limit = p->transport == DFS_RPC_UDP ? 65000 : 8u << 20;
    if (size > limit) {
        return dfs_buf_t{nullptr, 0};
    }
    p->reply->body.assign(size, 0xAB);  // garbage where the plugin writes nothing
    return dfs_buf_t{p->reply->body.data(), size};
}

dfs_err_t fakeReplySend(void*, void* token, dfs_rpc_accept_stat_t stat, uint64_t len) {
    auto* p = static_cast<Pending*>(token);
    p->sends++;
    p->reply->stat = stat;
    if (stat != DFS_RPC_SUCCESS) {
        EXPECT_EQ(len, 0u);
        len = 0;
    }
    EXPECT_LE(len, p->reply->body.size());
    p->reply->body.resize(len);
    return dfs_err_t{DFS_OK, 0};
}

dfs_err_t fakeRegister(void*, const dfs_rpc_program_t* p, uint32_t* tcp, uint32_t* udp) {
    if (tcp != nullptr) {
        *tcp = p->tcp_port == 0 ? 40000 + p->prog % 1000 : p->tcp_port;
    }
    if (udp != nullptr) {
        *udp = p->udp_port;
    }
    return dfs_err_t{DFS_OK, 0};
}

dfs_err_t fakeUnregister(void*, uint32_t, uint32_t, uint32_t) { return dfs_err_t{DFS_OK, 0}; }

}  // namespace

void Nfs3Harness::SetUp() {
    services_.vfs = &vfs_;
    plugins_.setDirs({DFS_TEST_PLUGIN_DIR});
    kernel::Config c;
    c.metadata["a"] = kernel::StoreConfig{"a", DFS_PLUGIN_METADATA_STORE, "mem", {{"root_mode", "0777"}}};
    c.blocks["a"] = kernel::StoreConfig{"a", DFS_PLUGIN_BLOCK_STORE, "mem", {}};
    kernel::ShareConfig rw;
    rw.name = "rw";
    rw.path = "/rw";
    rw.metadata = "a";
    rw.blocks = "a";
    rw.squash = kernel::Squash::none;
    kernel::ShareConfig ro = rw;
    ro.name = "ro";
    ro.path = "/ro";
    ro.readOnly = true;
    kernel::ShareConfig locked = rw;
    locked.name = "locked";
    locked.path = "/locked";
    locked.clients = {"10.0.0.0/8"};
    c.shares = {rw, ro, locked};
    std::string err;
    ASSERT_TRUE(shares_.apply(c, err)) << err;
    rwId_ = shares_.find("/rw")->id;

    hostCtx_ = std::make_unique<kernel::HostContext>("nfs3", DFS_PLUGIN_PROTOCOL, &services_);
    api_ = *hostCtx_->api();
    rpc_ = makeStruct<dfs_host_rpc_t>();
    rpc_.register_program = fakeRegister;
    rpc_.unregister_program = fakeUnregister;
    rpc_.reply_buffer = fakeReplyBuffer;
    rpc_.reply_send = fakeReplySend;
    api_.rpc = &rpc_;
    Settings s;
    s.nfsPort = 0;
    s.mountPort = 0;
    inst_ = std::make_unique<Instance>(&api_, s);
    ASSERT_EQ(inst_->start().code, DFS_OK);

    Args m;
    m.str("/rw");
    Reply r = mount(MOUNTPROC3_MNT, m, alice_);
    auto rd = r.reader();
    ASSERT_EQ(rd.u32(), MNT3_OK);
    rw_ = fh(rd);
    Args m2;
    m2.str("/ro");
    r = mount(MOUNTPROC3_MNT, m2, alice_);
    rd = r.reader();
    ASSERT_EQ(rd.u32(), MNT3_OK);
    ro_ = fh(rd);
}

void Nfs3Harness::TearDown() {
    if (inst_) {
        inst_->stop();
    }
    inst_.reset();
    shares_.clear();
}

Reply Nfs3Harness::call(uint32_t prog, uint32_t proc, dfs_bytes_t args, const dfs_cred_t& cred,
                        dfs_rpc_transport_t transport) {
    Reply reply;
    Pending p{&reply, transport, 0};
    auto rpc = makeStruct<dfs_rpc_call_t>();
    rpc.xid = 7;
    rpc.prog = prog;
    rpc.vers = 3;
    rpc.proc = proc;
    rpc.transport = transport;
    rpc.cred = &cred;
    rpc.args = args;
    rpc.reply = &p;
    dfs_err_t e = prog == kNfsProgram ? dispatchNfs(inst_.get(), &rpc) : dispatchMount(inst_.get(), &rpc);
    EXPECT_EQ(e.code, DFS_OK);
    EXPECT_EQ(p.sends, 1) << "exactly one reply per call";
    return reply;
}

uint32_t Nfs3Harness::status(const Reply& r) const {
    EXPECT_EQ(r.stat, DFS_RPC_SUCCESS);
    auto rd = r.reader();
    return rd.u32();
}

dfs_fh_t Nfs3Harness::create(const dfs_fh_t& dir, std::string_view name, uint32_t mode) {
    Args a;
    a.dirop(dir, name).u32(GUARDED).sattrMode(mode);
    Reply r = nfs(NFSPROC3_CREATE, a);
    auto rd = r.reader();
    EXPECT_EQ(rd.u32(), NFS3_OK) << name;
    EXPECT_TRUE(rd.boolean());
    return fh(rd);
}

dfs_fh_t Nfs3Harness::mkdir(const dfs_fh_t& dir, std::string_view name, uint32_t mode) {
    Args a;
    a.dirop(dir, name).sattrMode(mode);
    Reply r = nfs(NFSPROC3_MKDIR, a);
    auto rd = r.reader();
    EXPECT_EQ(rd.u32(), NFS3_OK) << name;
    EXPECT_TRUE(rd.boolean());
    return fh(rd);
}

Attr Nfs3Harness::getattr(const dfs_fh_t& f) {
    Args a;
    a.fh(f);
    Reply r = nfs(NFSPROC3_GETATTR, a);
    auto rd = r.reader();
    EXPECT_EQ(rd.u32(), NFS3_OK);
    return fattr(rd);
}

}  // namespace dfs::nfs3::test
