// A dittofsd started by a test: a temporary directory with its config, data and log,
// the process, and helpers to wait for log lines and read the ports it announced.
// Shared by the kernel's integration tests and the protocol tests.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

namespace dfs::testing {

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void writeFile(const std::filesystem::path& p, const std::string& s) {
    std::ofstream out(p, std::ios::trunc);
    out << s;
}

inline size_t countOf(const std::string& hay, const std::string& needle) {
    size_t n = 0;
    for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) {
        ++n;
    }
    return n;
}

class DittofsdProcess {
public:
    explicit DittofsdProcess(const char* binary) : binary_(binary) {
        char tmpl[] = "/tmp/dfstest-XXXXXX";
        dir_ = mkdtemp(tmpl);
        config_ = dir_ / "dittofs.toml";
        log_ = dir_ / "dittofsd.log";
    }
    ~DittofsdProcess() {
        kill9();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    DittofsdProcess(const DittofsdProcess&) = delete;
    DittofsdProcess& operator=(const DittofsdProcess&) = delete;

    const std::filesystem::path& dir() const { return dir_; }
    const std::filesystem::path& configPath() const { return config_; }
    const std::filesystem::path& logPath() const { return log_; }
    std::string log() const { return slurp(log_); }

    // The [server] and [rpc] sections every test config starts with: its data dir, its
    // log file, an ephemeral portmapper port, plus `rpcExtra` lines for [rpc].
    std::string serverSection(const std::string& pluginDirs, const std::string& rpcExtra = {}) const {
        return "[server]\ndata_dir = \"" + (dir_ / "data").string() + "\"\nplugin_dirs = [" + pluginDirs +
               "]\nlog_file = \"" + log_.string() + "\"\n[rpc]\nportmap_port = 0\n" + rpcExtra;
    }

    void writeConfig(const std::string& text) const { writeFile(config_, text); }

    // Starts the server; true once it logged event=ready, false at once if it exits.
    bool start(int seconds = 20) {
        exited_ = -1;
        pid_ = fork();
        if (pid_ == 0) {
            execl(binary_, binary_, "--config", config_.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        return pid_ > 0 && waitFor("event=ready", readyCount_ + 1, seconds) && (++readyCount_ > 0);
    }

    // Waits for `count` occurrences of `needle` in the log; false after `seconds`, or as
    // soon as the server has exited (its status is then what stop() returns).
    bool waitFor(const std::string& needle, size_t count, int seconds = 20) {
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
        while (std::chrono::steady_clock::now() < until) {
            if (countOf(log(), needle) >= count) {
                return true;
            }
            if (reapIfExited()) {
                return countOf(log(), needle) >= count;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        return false;
    }

    // The port of `name` from its last event=rpc_registered line ("tcp" or "udp").
    int port(const std::string& name, const std::string& transport = "tcp") const {
        std::regex re("event=rpc_registered name=" + name + " .*?" + transport + "=([0-9]+)");
        int found = -1;
        std::string text = log();
        for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it) {
            found = std::atoi((*it)[1].str().c_str());
        }
        return found;
    }

    pid_t pid() const { return pid_; }
    void signal(int sig) const {
        if (pid_ > 0) {
            ::kill(pid_, sig);
        }
    }
    // SIGTERM and the exit code (or the code it already exited with).
    int stop() {
        if (pid_ <= 0) {
            int code = exited_;
            exited_ = -1;
            return code;
        }
        ::kill(pid_, SIGTERM);
        int st = 0;
        waitpid(pid_, &st, 0);
        pid_ = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
    void kill9() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }

private:
    bool reapIfExited() {
        int st = 0;
        if (pid_ <= 0 || waitpid(pid_, &st, WNOHANG) != pid_) {
            return false;
        }
        pid_ = -1;
        exited_ = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        return true;
    }

    const char* binary_;
    std::filesystem::path dir_;
    std::filesystem::path config_;
    std::filesystem::path log_;
    pid_t pid_ = -1;
    int exited_ = -1;  // the exit code of a server that ended by itself
    size_t readyCount_ = 0;
};

}  // namespace dfs::testing
