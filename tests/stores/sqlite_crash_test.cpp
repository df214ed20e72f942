// Crash safety of the sqlite metadata store.
//
// store.h promises that what a store acknowledged survives a crash of the process once
// the call has returned. A child process opens the store, changes the namespace and
// reports each acknowledged change to the parent through a pipe; it then dies without
// destroy() (_exit, or SIGKILL from the parent mid-stream). The parent reopens the
// database and checks that every acknowledged change is there and that SQLite finds
// the file intact (integrity_check, foreign_key_check) and the store's own counters
// consistent.
#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/fake_host.hpp>
#include <dittofs/cpp/store_client.hpp>

#include <gtest/gtest.h>

#include "load_plugin.hpp"
#include <sqlite3.h>

#include <dlfcn.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#ifndef DITTOFS_SQLITE_PLUGIN
#error "DITTOFS_SQLITE_PLUGIN must name the plugin library"
#endif

namespace {

using dfs::makeStruct;
using dfs::MetadataStoreClient;

const dfs_plugin_desc_t& plugin() {
    static const dfs_plugin_desc_t desc = dfs::test::loadPlugin(DITTOFS_SQLITE_PLUGIN);
    return desc;
}

// One open instance; destroy() runs only when the owner says so (the child never does).
class Store {
public:
    Store(const std::string& path, const std::string& synchronous) {
        std::vector<dfs_kv_t> kvs = {{dfs::toC("path"), dfs::toC(path)},
                                     {dfs::toC("synchronous"), dfs::toC(synchronous)}};
        auto cfg = makeStruct<dfs_config_t>();
        cfg.count = static_cast<uint32_t>(kvs.size());
        cfg.items = kvs.data();
        if (plugin().create(host_.api(), &cfg, &inst_).code == DFS_OK) {
            client_ = MetadataStoreClient(static_cast<const dfs_metadata_store_ops_t*>(plugin().ops), inst_);
        }
    }
    void destroy() {
        if (inst_ != nullptr) {
            plugin().destroy(inst_);
            inst_ = nullptr;
        }
    }
    bool ok() const { return inst_ != nullptr; }
    const MetadataStoreClient& operator*() const { return client_; }
    const MetadataStoreClient* operator->() const { return &client_; }

private:
    dfs::FakeHost host_{"crash"};
    void* inst_ = nullptr;
    MetadataStoreClient client_;
};

dfs_create_args_t args(dfs_ftype_t type) {
    auto a = makeStruct<dfs_create_args_t>();
    a.type = type;
    a.how = DFS_CREATE_GUARDED;
    a.mode = type == DFS_TYPE_DIR ? 0755 : 0644;
    a.uid = 1000;
    a.gid = 1000;
    return a;
}

dfs_time_t now() { return dfs_time_t{1700000000, 0, 0}; }

// Each child run ("round") on one database uses its own names.
std::string fileName(int round, uint32_t i) { return "f" + std::to_string(round) + "-" + std::to_string(i); }
std::string renamedName(int round, uint32_t i) { return "r" + std::to_string(round) + "-" + std::to_string(i); }

// The child's work, one deterministic sequence both processes can generate: create
// file i; now and then rename or remove an earlier one.
struct Op {
    enum Kind { Create, Rename, Remove } kind;
    uint32_t i;
};

void opsOfStep(uint32_t i, std::vector<Op>& out) {
    out.push_back({Op::Create, i});
    // File i-1 is renamed at step i+1 unless it was removed at step i (below).
    if (i >= 2 && i % 7 == 3 && (i - 1) % 11 != 5) {
        out.push_back({Op::Rename, i - 2});
    }
    if (i >= 1 && i % 11 == 5) {
        out.push_back({Op::Remove, i - 1});
    }
}

// The first n ops of the sequence.
std::vector<Op> firstOps(size_t n) {
    std::vector<Op> ops;
    for (uint32_t i = 0; ops.size() < n; ++i) {
        opsOfStep(i, ops);
    }
    ops.resize(n);
    return ops;
}

// Runs the sequence, writing one byte to `fd` after each call returned. Never returns;
// never calls destroy(): the process ends as a crash would end it.
[[noreturn]] void childWork(const std::string& path, const std::string& sync, int fd, uint32_t steps, int round) {
    Store s(path, sync);
    if (!s.ok()) {
        _exit(10);
    }
    auto root = s->root();
    if (!root.ok()) {
        _exit(11);
    }
    uint64_t dir = 0;
    if (auto d = s->lookup(*root, "d"); d.ok()) {
        dir = d->ino;
    } else if (auto c = s->create(*root, "d", args(DFS_TYPE_DIR), now()); c.ok()) {
        dir = c->attr.ino;
    } else {
        _exit(12);
    }
    std::vector<Op> ops;
    for (uint32_t i = 0; i < steps; ++i) {
        ops.clear();
        opsOfStep(i, ops);
        for (const Op& op : ops) {
            bool ok = false;
            switch (op.kind) {
            case Op::Create:
                ok = s->create(dir, fileName(round, op.i), args(DFS_TYPE_REG), now()).ok();
                break;
            case Op::Rename:
                ok = s->rename(dir, fileName(round, op.i), dir, renamedName(round, op.i), now()).ok();
                break;
            case Op::Remove:
                ok = s->remove(dir, fileName(round, op.i), DFS_REMOVE_NONDIR, now()).ok();
                break;
            }
            const char ack = 'a';
            if (!ok) {
                _exit(13);
            }
            if (write(fd, &ack, 1) != 1) {
                _exit(14);
            }
        }
    }
    _exit(0);
}

// What must be there: names present both before and after the one call that may have
// been in flight, absent likewise. A name that call touches may be either way.
struct Expected {
    std::set<std::string> present;
    std::set<std::string> absent;
    void merge(const Expected& o) {
        present.insert(o.present.begin(), o.present.end());
        absent.insert(o.absent.begin(), o.absent.end());
    }
};

void apply(std::set<std::string>& present, std::set<std::string>& absent, const Op& op, int round) {
    switch (op.kind) {
    case Op::Create:
        present.insert(fileName(round, op.i));
        absent.erase(fileName(round, op.i));
        break;
    case Op::Rename:
        present.erase(fileName(round, op.i));
        absent.insert(fileName(round, op.i));
        present.insert(renamedName(round, op.i));
        break;
    case Op::Remove:
        present.erase(fileName(round, op.i));
        absent.insert(fileName(round, op.i));
        break;
    }
}

// The expectation after `acked` acknowledged calls, with the next call possibly done.
Expected expectedAfter(size_t acked, int round, bool maybeOneMore) {
    std::vector<Op> ops = firstOps(acked + 1);
    std::set<std::string> present;
    std::set<std::string> absent;
    for (size_t k = 0; k < acked; ++k) {
        apply(present, absent, ops[k], round);
    }
    Expected e{present, absent};
    if (maybeOneMore) {
        std::set<std::string> p2 = present;
        std::set<std::string> a2 = absent;
        apply(p2, a2, ops[acked], round);
        std::erase_if(e.present, [&](const std::string& n) { return p2.count(n) == 0; });
        std::erase_if(e.absent, [&](const std::string& n) { return a2.count(n) == 0; });
    }
    return e;
}

std::string queryOne(sqlite3* db, const char* sql) {
    sqlite3_stmt* st = nullptr;
    std::string out = "<error>";
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const unsigned char* t = sqlite3_column_text(st, 0);
            out = t != nullptr ? reinterpret_cast<const char*>(t) : "";
        } else if (rc == SQLITE_DONE) {
            out = "<none>";
        }
    }
    sqlite3_finalize(st);
    return out;
}

class SqliteCrashTest : public ::testing::TestWithParam<const char*> {
protected:
    void SetUp() override {
        ASSERT_NE(plugin().create, nullptr) << "cannot load " DITTOFS_SQLITE_PLUGIN;
        std::string tmpl = (std::filesystem::temp_directory_path() / "dfs-sqlite-crash-XXXXXX").string();
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/meta.db";
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    // Runs childWork in a child; with killAfter > 0 the parent SIGKILLs it once that many
    // acknowledgements have arrived. Returns what must be in the store afterwards.
    Expected runChild(uint32_t steps, uint32_t killAfter, int round = 0) {
        int fds[2];
        EXPECT_EQ(pipe(fds), 0);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            childWork(path_, GetParam(), fds[1], steps, round);
        }
        close(fds[1]);
        size_t acks = 0;
        char buf[256];
        bool killed = false;
        // Acks already in the pipe when the child dies are still read: they were
        // acknowledged before the crash.
        for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) {
            acks += static_cast<size_t>(n);
            if (killAfter > 0 && acks >= killAfter && !killed) {
                kill(pid, SIGKILL);
                killed = true;
            }
        }
        close(fds[0]);
        int status = 0;
        EXPECT_EQ(waitpid(pid, &status, 0), pid);
        if (killAfter > 0) {
            EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
        } else {
            EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
        }
        acked_ = acks;
        return expectedAfter(acks, round, killAfter > 0);
    }

    void checkDatabase() {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
        EXPECT_EQ(queryOne(db, "PRAGMA integrity_check"), "ok");
        EXPECT_EQ(queryOne(db, "PRAGMA foreign_key_check"), "<none>");
        EXPECT_EQ(queryOne(db, "SELECT value FROM meta WHERE key = 'files'"),
                  queryOne(db, "SELECT COUNT(*) FROM inodes"));
        sqlite3_close(db);
    }

    // inFlight: how many calls may have committed without their ack (one per crash).
    void checkStore(const Expected& e, size_t inFlight = 1) {
        Store s(path_, GetParam());
        ASSERT_TRUE(s.ok());
        auto root = s->root();
        ASSERT_TRUE(root.ok());
        auto d = s->lookup(*root, "d");
        ASSERT_TRUE(d.ok()) << dfs::statusName(d.code());
        for (const auto& name : e.present) {
            auto r = s->lookup(d->ino, name);
            EXPECT_TRUE(r.ok()) << name << " was acknowledged but is missing: " << dfs::statusName(r.code());
        }
        for (const auto& name : e.absent) {
            EXPECT_EQ(s->lookup(d->ino, name).code(), DFS_ERR_NOENT) << name << " was acknowledged gone";
        }
        // The listing and the lookups agree, and nothing unacknowledged is half there:
        // at most the one call in flight when the child died may have committed.
        std::set<std::string> listed;
        auto eof = s->readdir(d->ino, 0, [&](const dfs_dirent_t& ent) {
            listed.emplace(dfs::toView(ent.name));
            return true;
        });
        ASSERT_TRUE(eof.ok());
        EXPECT_TRUE(*eof);
        for (const auto& name : e.present) {
            EXPECT_EQ(listed.count(name), 1u) << name;
        }
        EXPECT_LE(listed.size(), e.present.size() + inFlight);
        // The store still works after the crash.
        EXPECT_TRUE(s->create(d->ino, "after-crash", args(DFS_TYPE_REG), now()).ok());
        s.destroy();
    }

    std::string dir_;
    std::string path_;
    size_t acked_ = 0;
};

TEST_P(SqliteCrashTest, ExitWithoutDestroyKeepsEverything) {
    Expected e = runChild(300, 0);
    ASSERT_FALSE(HasFailure());
    EXPECT_GT(e.present.size(), 200u);
    EXPECT_GT(e.absent.size(), 20u);
    checkDatabase();
    checkStore(e);
}

TEST_P(SqliteCrashTest, SigkillMidStreamKeepsAcknowledged) {
    // The child would go on for a long time; it is killed while it is busy writing.
    Expected e = runChild(1u << 20, 500);
    ASSERT_FALSE(HasFailure());
    EXPECT_GE(acked_, 500u);
    EXPECT_GE(e.present.size(), 300u);
    checkDatabase();
    checkStore(e);
}

TEST_P(SqliteCrashTest, RepeatedCrashesOnOneDatabase) {
    // Each round recovers the previous round's WAL, adds to it and crashes again.
    Expected all;
    for (int round = 0; round < 3; ++round) {
        Expected e = runChild(1u << 20, 200, round);
        ASSERT_FALSE(HasFailure());
        all.merge(e);
        checkDatabase();
    }
    checkStore(all, 3);
}

// Writers on many threads are committed in groups (sqlite_metadata.hpp): each call still
// answers for itself alone. Refused calls (an existing name, a missing one) sit in the same
// groups as successful ones and must neither fail them nor leave anything behind; every
// acknowledged create is there afterwards, also for a new instance, and the counters
// agree with the rows.
TEST_P(SqliteCrashTest, ConcurrentWritersAnswerEachForItself) {
    constexpr int kThreads = 8;
    constexpr uint32_t kFiles = 150;
    {
        Store s(path_, GetParam());
        ASSERT_TRUE(s.ok());
        auto root = s->root();
        ASSERT_TRUE(root.ok());
        auto d = s->create(*root, "d", args(DFS_TYPE_DIR), now());
        ASSERT_TRUE(d.ok());
        const uint64_t dir = d->attr.ino;
        std::vector<std::string> failures(kThreads);
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                auto name = [t](uint32_t i) { return fileName(t, i); };
                for (uint32_t i = 0; i < kFiles && failures[t].empty(); ++i) {
                    if (auto c = s->create(dir, name(i), args(DFS_TYPE_REG), now()); !c.ok()) {
                        failures[t] = "create " + name(i) + ": " + dfs::statusName(c.code());
                    } else if (auto again = s->create(dir, name(i), args(DFS_TYPE_REG), now());
                               again.code() != DFS_ERR_EXIST) {
                        failures[t] = "second create " + name(i) + ": " + dfs::statusName(again.code());
                    } else if (auto gone = s->remove(dir, name(i) + "-missing", DFS_REMOVE_NONDIR, now());
                               gone.code() != DFS_ERR_NOENT) {
                        failures[t] = std::string("remove of a missing name: ") + dfs::statusName(gone.code());
                    } else if (i % 3 == 2) {
                        // Every third file goes again: removes commit in groups too.
                        if (auto r = s->remove(dir, name(i), DFS_REMOVE_NONDIR, now()); !r.ok()) {
                            failures[t] = "remove " + name(i) + ": " + dfs::statusName(r.code());
                        }
                    }
                }
            });
        }
        for (auto& th : threads) {
            th.join();
        }
        for (int t = 0; t < kThreads; ++t) {
            EXPECT_EQ(failures[t], "") << "thread " << t;
        }
        s.destroy();
    }
    checkDatabase();
    Expected e;
    for (int t = 0; t < kThreads; ++t) {
        for (uint32_t i = 0; i < kFiles; ++i) {
            const std::string n = fileName(t, i);
            (i % 3 == 2 ? e.absent : e.present).insert(n);
            e.absent.insert(n + "-missing");
        }
    }
    checkStore(e, 0);
}

INSTANTIATE_TEST_SUITE_P(Synchronous, SqliteCrashTest, ::testing::Values("normal", "full"));

}  // namespace
