// NFSv3 as real clients use it: libnfs against a dittofsd on loopback (ephemeral ports
// read from its log). Every MOUNT and NFSv3 procedure through libnfs's raw API with the
// results, attributes and error codes a user would see. Scale tests (big files, big
// directories, many clients) are in nfs3_scale_test.cpp.
#include "nfs3_fixture.hpp"

#include <set>
#include <vector>

namespace dfs::nfs3::itest {
namespace {

TEST_F(Nfs3Integration, MountProcedures) {
    Raw m;
    m.setIds(kUid, kUid);
    ASSERT_TRUE(m.connect(server_.mountPort(), MOUNT_PROGRAM, MOUNT_V3)) << m.lastError();
    EXPECT_TRUE(m.run([&](rpc_cb cb, void* p) { return rpc_mount3_null_async(m.rpc(), cb, p); }, [](void*) {}));
    std::vector<int> flavors;
    ASSERT_TRUE(m.run([&](rpc_cb cb, void* p) { return rpc_mount3_mnt_async(m.rpc(), cb, const_cast<char*>("/export"), p); },
                      [&](void* d) {
                          auto* res = static_cast<mountres3*>(d);
                          ASSERT_EQ(res->fhs_status, MNT3_OK);
                          auto& ok = res->mountres3_u.mountinfo;
                          EXPECT_GT(ok.fhandle.fhandle3_len, 0u);
                          flavors.assign(ok.auth_flavors.auth_flavors_val,
                                         ok.auth_flavors.auth_flavors_val + ok.auth_flavors.auth_flavors_len);
                      }));
    EXPECT_EQ(flavors, (std::vector<int>{1, 0}));
    uint32_t st = 0;
    mountRoot("/nope", &st);
    EXPECT_EQ(st, static_cast<uint32_t>(MNT3ERR_NOENT));
    std::set<std::string> exported;
    ASSERT_TRUE(m.run([&](rpc_cb cb, void* p) { return rpc_mount3_export_async(m.rpc(), cb, p); }, [&](void* d) {
        for (exportnode* e = *static_cast<exports*>(d); e != nullptr; e = e->ex_next) {
            exported.insert(e->ex_dir);
        }
    }));
    EXPECT_EQ(exported, (std::set<std::string>{"/export", "/ro"}));
    auto dump = [&] {
        std::set<std::string> seen;
        EXPECT_TRUE(m.run([&](rpc_cb cb, void* p) { return rpc_mount3_dump_async(m.rpc(), cb, p); }, [&](void* d) {
            for (mountbody* b = *static_cast<mountlist*>(d); b != nullptr; b = b->ml_next) {
                seen.insert(std::string(b->ml_hostname) + ":" + b->ml_directory);
            }
        }));
        return seen;
    };
    EXPECT_EQ(dump(), (std::set<std::string>{"127.0.0.1:/export"}));
    ASSERT_TRUE(m.run([&](rpc_cb cb, void* p) { return rpc_mount3_umnt_async(m.rpc(), cb, const_cast<char*>("/export"), p); },
                      [](void*) {}));
    EXPECT_TRUE(dump().empty());
    mountRoot("/ro");
    EXPECT_EQ(dump().size(), 1u);
    ASSERT_TRUE(m.run([&](rpc_cb cb, void* p) { return rpc_mount3_umntall_async(m.rpc(), cb, p); }, [](void*) {}));
    EXPECT_TRUE(dump().empty());
}

TEST_F(Nfs3Integration, EveryNfsProcedure) {
    Fh root = mountRoot("/export");
    ASSERT_FALSE(root.bytes.empty());
    Raw n;
    connectNfs(n);
    EXPECT_TRUE(n.run([&](rpc_cb cb, void* p) { return rpc_nfs3_null_async(n.rpc(), cb, p); }, [](void*) {}));

    call<FSINFO3res>(n, rpc_nfs3_fsinfo_async, FSINFO3args{root.view()}, [](FSINFO3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        auto& ok = r.FSINFO3res_u.resok;
        EXPECT_GE(ok.rtmax, 1u << 20);
        EXPECT_GE(ok.wtmax, 1u << 20);
        EXPECT_GE(ok.rtpref, 1u << 20);
        EXPECT_EQ(ok.time_delta.seconds, 0u);
        EXPECT_EQ(ok.time_delta.nseconds, 1u);
        EXPECT_EQ(ok.properties, static_cast<u_int>(FSF3_LINK | FSF3_SYMLINK | FSF3_HOMOGENEOUS | FSF3_CANSETTIME));
    });
    call<FSSTAT3res>(n, rpc_nfs3_fsstat_async, FSSTAT3args{root.view()}, [](FSSTAT3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        EXPECT_GE(r.FSSTAT3res_u.resok.tbytes, r.FSSTAT3res_u.resok.fbytes);
    });
    call<PATHCONF3res>(n, rpc_nfs3_pathconf_async, PATHCONF3args{root.view()}, [](PATHCONF3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        EXPECT_EQ(r.PATHCONF3res_u.resok.name_max, 255u);
        EXPECT_TRUE(r.PATHCONF3res_u.resok.no_trunc);
        EXPECT_FALSE(r.PATHCONF3res_u.resok.case_insensitive);
        EXPECT_TRUE(r.PATHCONF3res_u.resok.case_preserving);
    });

    // MKDIR, CREATE (and NFS3ERR_EXIST), WRITE, COMMIT, READ.
    Fh dir;
    MKDIR3args mk{};
    mk.where = dirop(root, "d");
    mk.attributes = modeOnly(0755);
    call<MKDIR3res>(n, rpc_nfs3_mkdir_async, mk, [&](MKDIR3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        dir = fhOf(r.MKDIR3res_u.resok.obj.post_op_fh3_u.handle);
        EXPECT_EQ(r.MKDIR3res_u.resok.obj_attributes.post_op_attr_u.attributes.type, NF3DIR);
        EXPECT_TRUE(r.MKDIR3res_u.resok.dir_wcc.before.attributes_follow);
    });
    call<MKDIR3res>(n, rpc_nfs3_mkdir_async, mk, [](MKDIR3res& r) { EXPECT_EQ(r.status, NFS3ERR_EXIST); });
    Fh file = create(n, dir, "f");
    CREATE3args again{};
    again.where = dirop(dir, "f");
    again.how.mode = GUARDED;
    call<CREATE3res>(n, rpc_nfs3_create_async, again, [](CREATE3res& r) {
        EXPECT_EQ(r.status, NFS3ERR_EXIST);
        EXPECT_TRUE(r.CREATE3res_u.resfail.dir_wcc.after.attributes_follow);
    });
    std::string verf;
    char hello[] = "hello";
    WRITE3args w{};
    w.file = file.view();
    w.offset = 0;
    w.count = 5;
    w.stable = FILE_SYNC;
    w.data.data_len = 5;
    w.data.data_val = hello;
    call<WRITE3res>(n, rpc_nfs3_write_async, w, [&](WRITE3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        EXPECT_EQ(r.WRITE3res_u.resok.count, 5u);
        EXPECT_EQ(r.WRITE3res_u.resok.committed, FILE_SYNC);
        verf.assign(r.WRITE3res_u.resok.verf, 8);
        EXPECT_EQ(r.WRITE3res_u.resok.file_wcc.after.post_op_attr_u.attributes.size, 5u);
    });
    const uint64_t far = (uint64_t{5} << 30) + 1;
    w.offset = far;
    w.stable = UNSTABLE;
    call<WRITE3res>(n, rpc_nfs3_write_async, w, [&](WRITE3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        EXPECT_EQ(std::string(r.WRITE3res_u.resok.verf, 8), verf);
    });
    COMMIT3args cm{};
    cm.file = file.view();
    call<COMMIT3res>(n, rpc_nfs3_commit_async, cm, [&](COMMIT3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        EXPECT_EQ(std::string(r.COMMIT3res_u.resok.verf, 8), verf);
    });
    READ3args rd{};
    rd.file = file.view();
    rd.offset = far - 2;
    rd.count = 100;
    call<READ3res>(n, rpc_nfs3_read_async, rd, [&](READ3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        auto& ok = r.READ3res_u.resok;
        EXPECT_EQ(ok.count, 7u);
        EXPECT_TRUE(ok.eof);
        EXPECT_EQ(std::string(ok.data.data_val, ok.data.data_len), std::string(2, '\0') + "hello");
        EXPECT_EQ(ok.file_attributes.post_op_attr_u.attributes.size, far + 5);
    });

    // GETATTR, SETATTR with a stale guard (NOT_SYNC) and a good one.
    nfstime3 ctime{};
    uint64_t fileid = 0;
    call<GETATTR3res>(n, rpc_nfs3_getattr_async, GETATTR3args{file.view()}, [&](GETATTR3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        auto& a = r.GETATTR3res_u.resok.obj_attributes;
        EXPECT_EQ(a.type, NF3REG);
        EXPECT_EQ(a.mode, 0644u);
        EXPECT_EQ(a.uid, static_cast<uint32_t>(kUid));
        EXPECT_EQ(a.size, far + 5);
        ctime = a.ctime;
        fileid = a.fileid;
    });
    SETATTR3args sa{};
    sa.object = file.view();
    sa.new_attributes = modeOnly(0600);
    sa.guard.check = 1;
    sa.guard.sattrguard3_u.obj_ctime = nfstime3{ctime.seconds - 1, ctime.nseconds};
    call<SETATTR3res>(n, rpc_nfs3_setattr_async, sa, [](SETATTR3res& r) {
        EXPECT_EQ(r.status, NFS3ERR_NOT_SYNC);
        EXPECT_TRUE(r.SETATTR3res_u.resfail.obj_wcc.before.attributes_follow);
    });
    sa.guard.sattrguard3_u.obj_ctime = ctime;
    call<SETATTR3res>(n, rpc_nfs3_setattr_async, sa, [](SETATTR3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        EXPECT_EQ(r.SETATTR3res_u.resok.obj_wcc.after.post_op_attr_u.attributes.mode, 0600u);
    });

    // LOOKUP, ACCESS.
    call<LOOKUP3res>(n, rpc_nfs3_lookup_async, LOOKUP3args{dirop(dir, "f")}, [&](LOOKUP3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        EXPECT_EQ(r.LOOKUP3res_u.resok.obj_attributes.post_op_attr_u.attributes.fileid, fileid);
    });
    call<LOOKUP3res>(n, rpc_nfs3_lookup_async, LOOKUP3args{dirop(dir, "nope")}, [](LOOKUP3res& r) {
        EXPECT_EQ(r.status, NFS3ERR_NOENT);
        EXPECT_TRUE(r.LOOKUP3res_u.resfail.dir_attributes.attributes_follow);
    });
    call<ACCESS3res>(n, rpc_nfs3_access_async, ACCESS3args{file.view(), 0x3f}, [](ACCESS3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        EXPECT_EQ(r.ACCESS3res_u.resok.access, static_cast<u_int>(ACCESS3_READ | ACCESS3_MODIFY | ACCESS3_EXTEND));
    });

    // SYMLINK, READLINK, MKNOD, LINK, RENAME.
    SYMLINK3args sl{};
    sl.where = dirop(dir, "ln");
    sl.symlink.symlink_data = const_cast<char*>("f");
    Fh link;
    call<SYMLINK3res>(n, rpc_nfs3_symlink_async, sl, [&](SYMLINK3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        link = fhOf(r.SYMLINK3res_u.resok.obj.post_op_fh3_u.handle);
    });
    call<READLINK3res>(n, rpc_nfs3_readlink_async, READLINK3args{link.view()}, [](READLINK3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        EXPECT_STREQ(r.READLINK3res_u.resok.data, "f");
    });
    MKNOD3args mn{};
    mn.where = dirop(dir, "fifo");
    mn.what.type = NF3FIFO;
    mn.what.mknoddata3_u.pipe_attributes = modeOnly(0600);
    call<MKNOD3res>(n, rpc_nfs3_mknod_async, mn, [](MKNOD3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        EXPECT_EQ(r.MKNOD3res_u.resok.obj_attributes.post_op_attr_u.attributes.type, NF3FIFO);
    });
    mn.where = dirop(dir, "reg");
    mn.what.type = NF3REG;
    call<MKNOD3res>(n, rpc_nfs3_mknod_async, mn, [](MKNOD3res& r) { EXPECT_EQ(r.status, NFS3ERR_BADTYPE); });
    LINK3args lk{};
    lk.file = file.view();
    lk.link = dirop(dir, "f2");
    call<LINK3res>(n, rpc_nfs3_link_async, lk, [](LINK3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        EXPECT_EQ(r.LINK3res_u.resok.file_attributes.post_op_attr_u.attributes.nlink, 2u);
    });
    RENAME3args rn{};
    rn.from = dirop(dir, "f2");
    rn.to = dirop(dir, "f3");
    call<RENAME3res>(n, rpc_nfs3_rename_async, rn, [](RENAME3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        EXPECT_TRUE(r.RENAME3res_u.resok.todir_wcc.after.attributes_follow);
    });

    // READDIR, READDIRPLUS, NFS3ERR_BAD_COOKIE.
    std::set<std::string> names;
    READDIR3args rdd{};
    rdd.dir = dir.view();
    rdd.count = 8192;
    call<READDIR3res>(n, rpc_nfs3_readdir_async, rdd, [&](READDIR3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        for (entry3* e = r.READDIR3res_u.resok.reply.entries; e != nullptr; e = e->nextentry) {
            names.insert(e->name);
        }
        EXPECT_TRUE(r.READDIR3res_u.resok.reply.eof);
    });
    EXPECT_EQ(names, (std::set<std::string>{".", "..", "f", "f3", "ln", "fifo"}));
    rdd.cookie = 7;
    call<READDIR3res>(n, rpc_nfs3_readdir_async, rdd, [](READDIR3res& r) { EXPECT_EQ(r.status, NFS3ERR_BAD_COOKIE); });
    READDIRPLUS3args rdp{};
    rdp.dir = dir.view();
    rdp.dircount = 8192;
    rdp.maxcount = 32768;
    int withHandles = 0;
    call<READDIRPLUS3res>(n, rpc_nfs3_readdirplus_async, rdp, [&](READDIRPLUS3res& r) {
        ASSERT_EQ(r.status, NFS3_OK);
        for (entryplus3* e = r.READDIRPLUS3res_u.resok.reply.entries; e != nullptr; e = e->nextentry) {
            withHandles += e->name_handle.handle_follows && e->name_attributes.attributes_follow ? 1 : 0;
        }
    });
    EXPECT_EQ(withHandles, 6);

    // NFS3ERR_ACCES as another user, RMDIR of a non-empty directory, REMOVE, STALE.
    Raw other;
    connectNfs(other, kOther);
    CREATE3args foreign{};
    foreign.where = dirop(dir, "x");
    foreign.how.mode = UNCHECKED;
    call<CREATE3res>(other, rpc_nfs3_create_async, foreign, [](CREATE3res& r) { EXPECT_EQ(r.status, NFS3ERR_ACCES); });
    call<READ3res>(other, rpc_nfs3_read_async, READ3args{file.view(), 0, 5}, [](READ3res& r) {
        EXPECT_EQ(r.status, NFS3ERR_ACCES);
    });
    call<RMDIR3res>(n, rpc_nfs3_rmdir_async, RMDIR3args{dirop(root, "d")}, [](RMDIR3res& r) {
        EXPECT_EQ(r.status, NFS3ERR_NOTEMPTY);
        EXPECT_TRUE(r.RMDIR3res_u.resfail.dir_wcc.after.attributes_follow);
    });
    for (const char* name : {"f", "f3", "ln", "fifo"}) {
        call<REMOVE3res>(n, rpc_nfs3_remove_async, REMOVE3args{dirop(dir, name)},
                         [&](REMOVE3res& r) { EXPECT_EQ(r.status, NFS3_OK) << name; });
    }
    call<GETATTR3res>(n, rpc_nfs3_getattr_async, GETATTR3args{file.view()},
                      [](GETATTR3res& r) { EXPECT_EQ(r.status, NFS3ERR_STALE); });
    call<RMDIR3res>(n, rpc_nfs3_rmdir_async, RMDIR3args{dirop(root, "d")},
                    [](RMDIR3res& r) { EXPECT_EQ(r.status, NFS3_OK); });

    // A read-only export.
    Fh ro = mountRoot("/ro");
    CREATE3args roc{};
    roc.where = dirop(ro, "x");
    roc.how.mode = UNCHECKED;
    call<CREATE3res>(n, rpc_nfs3_create_async, roc, [](CREATE3res& r) { EXPECT_EQ(r.status, NFS3ERR_ROFS); });
}

}  // namespace
}  // namespace dfs::nfs3::itest
