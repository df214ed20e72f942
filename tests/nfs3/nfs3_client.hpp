// Test-side helpers for driving a real dittofsd with libnfs: the server process (config,
// ports read from its log) and a synchronous wrapper over libnfs's raw RPC API, so a test
// can send any single MOUNT or NFSv3 procedure and look at the decoded result.
#pragma once

// libnfs.h first: it defines what the raw headers use.
#include <nfsc/libnfs.h>
// clang-format off
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-mount.h>
#include <nfsc/libnfs-raw-nfs.h>
// clang-format on

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

namespace dfs::nfs3::itest {

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// dittofsd on loopback with ephemeral ports, two shares: /export (rw) and /ro.
class Server {
public:
    Server() {
        char tmpl[] = "/tmp/dfsnfs3-XXXXXX";
        dir_ = mkdtemp(tmpl);
    }
    ~Server() {
        stop();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    // Starts the server; false (with the log in *why) if it does not announce both programs.
    bool start(std::string* why, const std::string& exportMeta = "mem") {
        std::string cfg = "[server]\ndata_dir = \"" + (dir_ / "data").string() + "\"\nplugin_dirs = [\"" +
                          DFS_TEST_PLUGIN_DIR + "\"]\nlog_file = \"" + log().string() +
                          "\"\nlog_level = \"info\"\nworkers = 8\n"
                          "[rpc]\nbind = \"127.0.0.1\"\nportmap_port = 0\n"
                          "[auth.unix]\n"
                          "[protocol.nfs3]\nport = 0\nmount_port = 0\n"
                          "[metadata.mem]\nplugin = \"mem\"\nroot_mode = \"0777\"\n[blocks.mem]\nplugin = \"mem\"\n"
                          "[metadata.sq]\nplugin = \"sqlite\"\npath = \"meta.db\"\nroot_mode = \"0777\"\n"
                          "[blocks.lf]\nplugin = \"localfs\"\nroot = \"blocks\"\n"
                          "[[share]]\nname = \"export\"\npath = \"/export\"\nmetadata = \"" +
                          exportMeta + "\"\nblocks = \"" + (exportMeta == "mem" ? "mem" : "lf") +
                          "\"\n"
                          "[[share]]\nname = \"ro\"\npath = \"/ro\"\nmetadata = \"mem\"\nblocks = \"mem\"\n"
                          "read_only = true\n";
        std::ofstream(dir_ / "dittofs.toml") << cfg;
        // A restart announces new ports: read only this run's log.
        std::error_code ec;
        std::filesystem::remove(log(), ec);
        pid_ = fork();
        if (pid_ == 0) {
            std::string c = (dir_ / "dittofs.toml").string();
            execl(DFS_DITTOFSD, DFS_DITTOFSD, "--config", c.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        std::regex nfs("event=rpc_registered name=nfs prog=100003 vers=3-3 tcp=([0-9]+)");
        std::regex mnt("event=rpc_registered name=mount prog=100005 vers=3-3 tcp=([0-9]+)");
        while (std::chrono::steady_clock::now() < until) {
            std::string l = slurp(log());
            std::smatch a;
            std::smatch b;
            if (std::regex_search(l, a, nfs) && std::regex_search(l, b, mnt)) {
                nfsPort_ = std::stoi(a[1]);
                mountPort_ = std::stoi(b[1]);
                return true;
            }
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        *why = slurp(log());
        return false;
    }

    // The crash an operator fears: no shutdown, no flush.
    void kill9() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }

    void stop() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }

    std::filesystem::path log() const { return dir_ / "dittofsd.log"; }
    int nfsPort() const { return nfsPort_; }
    int pid() const { return pid_; }
    int mountPort() const { return mountPort_; }
    std::string url(const std::string& path, int uid = -1) const {
        std::string u = "nfs://127.0.0.1" + path + "?version=3&nfsport=" + std::to_string(nfsPort_) +
                        "&mountport=" + std::to_string(mountPort_);
        if (uid >= 0) {
            u += "&uid=" + std::to_string(uid) + "&gid=" + std::to_string(uid);
        }
        return u;
    }

private:
    std::filesystem::path dir_;
    pid_t pid_ = -1;
    int nfsPort_ = 0;
    int mountPort_ = 0;
};

// One libnfs raw RPC connection, used synchronously.
class Raw {
public:
    Raw() : rpc_(rpc_init_context()) {}
    ~Raw() {
        if (rpc_ != nullptr) {
            rpc_destroy_context(rpc_);
        }
    }
    Raw(const Raw&) = delete;
    Raw& operator=(const Raw&) = delete;

    rpc_context* rpc() { return rpc_; }
    void setIds(int uid, int gid) {
        rpc_set_uid(rpc_, uid);
        rpc_set_gid(rpc_, gid);
    }

    bool connect(int port, int prog, int vers) {
        return run([&](rpc_cb cb, void* p) { return rpc_connect_port_async(rpc_, "127.0.0.1", port, prog, vers, cb, p); },
                   [](void*) {});
    }

    // Starts a call with `start(cb, private)`, services the connection until its callback
    // ran, and hands the decoded result to `onReply` (valid only there). False if the
    // call failed at the RPC level (the error is in lastError()).
    bool run(const std::function<int(rpc_cb, void*)>& start, const std::function<void(void*)>& onReply) {
        State st{&onReply, false, -1, {}};
        if (start(&Raw::callback, &st) != 0) {
            error_ = rpc_get_error(rpc_);
            return false;
        }
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!st.done && std::chrono::steady_clock::now() < until) {
            pollfd pfd{rpc_get_fd(rpc_), static_cast<short>(rpc_which_events(rpc_)), 0};
            if (poll(&pfd, 1, 100) < 0) {
                break;
            }
            if (rpc_service(rpc_, pfd.revents) < 0) {
                error_ = rpc_get_error(rpc_);
                break;
            }
        }
        if (!st.done) {
            error_ = "timeout or connection failure: " + error_;
            return false;
        }
        if (st.status != RPC_STATUS_SUCCESS) {
            error_ = st.error;
        }
        return st.status == RPC_STATUS_SUCCESS;
    }

    const std::string& lastError() const { return error_; }

private:
    struct State {
        const std::function<void(void*)>* onReply;
        bool done = false;
        int status = -1;
        std::string error;
    };
    static void callback(rpc_context* rpc, int status, void* data, void* priv) {
        auto* st = static_cast<State*>(priv);
        st->status = status;
        if (status == RPC_STATUS_SUCCESS) {
            (*st->onReply)(data);
        } else if (data != nullptr && status == RPC_STATUS_ERROR) {
            st->error = static_cast<const char*>(data);
        }
        st->done = true;
    }

    rpc_context* rpc_;
    std::string error_;
};

}  // namespace dfs::nfs3::itest
