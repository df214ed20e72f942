// dittofsd as an operator runs it: start on a config, reload on SIGHUP (shares and
// protocols added, changed, removed; a bad config refused while the old one keeps
// running), SIGTERM shutdown, `dittofsd plugins` and `check-config`.
#include "dittofsd_process.hpp"

#include <dittofs/abi/common.h>

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;
using dfs::testing::countOf;
using dfs::testing::slurp;
using dfs::testing::writeFile;



std::string run(const std::string& cmd, int* status = nullptr) {
    std::string out;
    FILE* f = popen((cmd + " 2>&1").c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        out.append(buf, n);
    }
    int st = pclose(f);
    if (status != nullptr) {
        *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
    return out;
}


class ServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/dfsserver-XXXXXX";
        dir_ = mkdtemp(tmpl);
        config_ = dir_ / "dittofs.toml";
        log_ = dir_ / "dittofsd.log";
    }
    void TearDown() override {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        fs::remove_all(dir_);
    }

    std::string config(const std::string& shares, const std::string& extra = {}) const {
        return "[server]\ndata_dir = \"" + (dir_ / "data").string() + "\"\nplugin_dirs = [\"" DFS_TEST_PLUGIN_DIR
               "\", \"" DFS_TEST_FIXTURE_DIR "\"]\nlog_file = \"" + log_.string() +
               "\"\n"
               "[rpc]\nportmap_port = 0\n"
               "[metadata.m]\nplugin = \"sqlite\"\npath = \"meta.db\"\n"
               "[blocks.b]\nplugin = \"localfs\"\nroot = \"blocks\"\n"
               "[metadata.mem]\nplugin = \"mem\"\n[blocks.mem]\nplugin = \"mem\"\n" +
               shares + extra;
    }

    static std::string share(const std::string& name, const std::string& meta = "m", const std::string& blocks = "b") {
        return "[[share]]\nname = \"" + name + "\"\npath = \"/" + name + "\"\nmetadata = \"" + meta +
               "\"\nblocks = \"" + blocks + "\"\n";
    }

    void start() {
        pid_ = fork();
        ASSERT_GE(pid_, 0);
        if (pid_ == 0) {
            execl(DFS_DITTOFSD, DFS_DITTOFSD, "--config", config_.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        ASSERT_TRUE(waitFor("event=ready", 1)) << slurp(log_);
    }

    // Waits until the log holds `count` lines containing `needle`.
    bool waitFor(const std::string& needle, size_t count, int seconds = 20) const {
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
        while (std::chrono::steady_clock::now() < until) {
            if (countOf(slurp(log_), needle) >= count) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }

    int stop() {
        kill(pid_, SIGTERM);
        int st = 0;
        waitpid(pid_, &st, 0);
        pid_ = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }

    fs::path dir_;
    fs::path config_;
    fs::path log_;
    pid_t pid_ = -1;
};

TEST_F(ServerTest, StartsLogsItsSharesAndStopsCleanly) {
    writeFile(config_, config(share("export")));
    start();
    std::string log = slurp(log_);
    EXPECT_NE(log.find("event=plugin_loaded kind=metadata_store name=sqlite"), std::string::npos) << log;
    EXPECT_NE(log.find("event=plugin_loaded kind=block_store name=localfs"), std::string::npos) << log;
    EXPECT_NE(log.find("event=share_added share=export path=/export"), std::string::npos) << log;
    EXPECT_EQ(stop(), 0);
    log = slurp(log_);
    EXPECT_NE(log.find("event=store_closed"), std::string::npos) << log;
    EXPECT_NE(log.find("event=stopped"), std::string::npos) << log;
    EXPECT_TRUE(fs::exists(dir_ / "data" / "meta.db"));
    EXPECT_TRUE(fs::exists(dir_ / "data" / "state.db"));
}

TEST_F(ServerTest, ReloadAppliesSharesAndProtocolsAndRefusesABadConfig) {
    writeFile(config_, config(share("one")));
    start();
    // Add a share on another store and enable a protocol.
    writeFile(config_, config(share("one") + share("two", "mem", "mem"),
                              "[protocol.testproto]\ngreeting = \"bonjour\"\n"));
    kill(pid_, SIGHUP);
    ASSERT_TRUE(waitFor("event=reloaded", 1)) << slurp(log_);
    std::string log = slurp(log_);
    EXPECT_NE(log.find("event=share_added share=two path=/two"), std::string::npos) << log;
    EXPECT_NE(log.find("testproto started bonjour"), std::string::npos) << log;
    EXPECT_EQ(countOf(log, "event=share_added share=one"), 1u) << "an unchanged share is kept, not re-added";
    // Change the protocol's config: it is restarted with the new one.
    writeFile(config_, config(share("one") + share("two", "mem", "mem"),
                              "[protocol.testproto]\ngreeting = \"hola\"\n"));
    kill(pid_, SIGHUP);
    ASSERT_TRUE(waitFor("event=reloaded", 2)) << slurp(log_);
    log = slurp(log_);
    EXPECT_NE(log.find("testproto stopped bonjour"), std::string::npos) << log;
    EXPECT_NE(log.find("testproto started hola"), std::string::npos) << log;
    // A broken config is refused; the running one stays.
    writeFile(config_, "this is [ not toml");
    kill(pid_, SIGHUP);
    ASSERT_TRUE(waitFor("event=reload_rejected", 1)) << slurp(log_);
    // A config naming a missing plugin is refused too, before anything changes.
    writeFile(config_, config(share("one"), "[metadata.x]\nplugin = \"nosuch\"\n[[share]]\nname=\"x\"\npath=\"/x\"\n"
                                            "metadata=\"x\"\nblocks=\"b\"\n"));
    kill(pid_, SIGHUP);
    ASSERT_TRUE(waitFor("event=reload_failed", 1)) << slurp(log_);
    log = slurp(log_);
    EXPECT_NE(log.find("no metadata_store plugin named 'nosuch'"), std::string::npos) << log;
    EXPECT_EQ(countOf(log, "event=share_removed"), 0u) << log;
    // Remove share two and disable the protocol.
    writeFile(config_, config(share("one"), "[protocol.testproto]\nenabled = false\n"));
    kill(pid_, SIGHUP);
    ASSERT_TRUE(waitFor("event=reloaded", 3)) << slurp(log_);
    log = slurp(log_);
    EXPECT_NE(log.find("event=share_removed share=two"), std::string::npos) << log;
    EXPECT_NE(log.find("testproto stopped hola"), std::string::npos) << log;
    EXPECT_EQ(stop(), 0);
}

TEST_F(ServerTest, RefusesToStartOnABadConfigOrABusyDataDir) {
    writeFile(config_, config(share("a", "nosuchstore")));
    int status = 0;
    std::string out = run(std::string(DFS_DITTOFSD) + " --config " + config_.string(), &status);
    EXPECT_EQ(status, 1);
    EXPECT_NE(out.find("names no [metadata.nosuchstore]"), std::string::npos) << out;
    writeFile(config_, config(share("a")));
    start();
    out = run(std::string(DFS_DITTOFSD) + " --config " + config_.string() + " --log-file " + (dir_ / "second.log").string(),
              &status);
    EXPECT_EQ(status, 1);
    EXPECT_NE(slurp(dir_ / "second.log").find("in use by another dittofsd"), std::string::npos);
    EXPECT_EQ(stop(), 0);
}

TEST(DittofsdCliTest, PluginsListsEveryLibraryWithItsVerdict) {
    int status = 0;
    std::string out = run(std::string(DFS_DITTOFSD) + " plugins --plugin-dir " DFS_TEST_PLUGIN_DIR, &status);
    EXPECT_EQ(status, 0) << out;
    for (const char* line : {"metadata_store  sqlite", "metadata_store  mem", "block_store     localfs",
                             "block_store     mem"}) {
        EXPECT_NE(out.find(line), std::string::npos) << line << "\n" << out;
    }
    EXPECT_EQ(out.find("refused"), std::string::npos) << out;
    EXPECT_NE(out.find("abi " + std::to_string(DFS_ABI_MAJOR) + "." + std::to_string(DFS_ABI_MINOR)), std::string::npos)
        << out;
    out = run(std::string(DFS_DITTOFSD) + " plugins --plugin-dir /nonexistent", &status);
    EXPECT_EQ(status, 1);
}

TEST(DittofsdCliTest, CheckConfigReportsErrorsWithTheirLocation) {
    char tmpl[] = "/tmp/dfscheck-XXXXXX";
    fs::path d = mkdtemp(tmpl);
    writeFile(d / "bad.toml", "[server]\nworkers = \"many\"\n");
    int status = 0;
    std::string out = run(std::string(DFS_DITTOFSD) + " check-config --config " + (d / "bad.toml").string(), &status);
    EXPECT_EQ(status, 1);
    EXPECT_NE(out.find("server.workers"), std::string::npos) << out;
    out = run(std::string(DFS_DITTOFSD) + " --bogus", &status);
    EXPECT_EQ(status, 2);
    fs::remove_all(d);
}

}  // namespace
