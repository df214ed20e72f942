// nfsload: an NFSv3 load generator for comparing servers on one machine, plus the
// loopback TCP ceiling they both share. bench/run.sh runs it against dittofsd and
// nfs-ganesha with the same arguments and tabulates the ratios.
//
//   nfsload --url 'nfs://127.0.0.1/export?nfsport=N&mountport=M&version=3' --workload seqwrite
//   nfsload --workload tcpceiling
//
// Every workload prints one line, `nfsload workload=NAME ok=1 value=X unit=U ...`, and the
// exit status says whether it succeeded. Every workload stops by itself: by its count,
// by --seconds for the timed ones, and in any case by --max-seconds.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "nfsload_workloads.hpp"

namespace nfsload {

namespace {

void usage() {
    std::fprintf(stderr,
                 "usage: nfsload --workload NAME [--url nfs://HOST/EXPORT?nfsport=N&mountport=M&version=3]\n"
                 "  workloads: seqwrite seqread randread randwrite smallfiles readdirplus getattr locks tcpceiling fileceiling\n"
                 "  --depth N         calls in flight per connection (32)\n"
                 "  --size BYTES      large file size / random span / tcpceiling bytes / fileceiling file\n"
                 "                    (1 GiB; tcpceiling 8 GiB; fileceiling sends its file 4 times)\n"
                 "  --block BYTES     seqwrite/seqread call size, capped by the server's FSINFO (1 MiB)\n"
                 "  --io BYTES        randread/randwrite/smallfiles call size (4096)\n"
                 "  --count N         randread/randwrite calls at most (200000)\n"
                 "  --files N         smallfiles files, readdirplus entries (10000)\n"
                 "  --contexts N      getattr connections, locks clients (16)\n"
                 "  --context-depth N getattr calls in flight per connection (1)\n"
                 "  --listings N      readdirplus listings at most (0: until --seconds)\n"
                 "  --seconds S       run time of randread/randwrite/readdirplus/getattr/locks (20)\n"
                 "  --nlm-port N      locks: the server's NLM port (TCP)\n"
                 "  --max-seconds S   hard bound on any workload (300)\n"
                 "  --file NAME       the large file at the export root (nfsload.dat)\n"
                 "  --dir NAME        smallfiles/readdirplus directory at the export root\n"
                 "  --maxcount N      READDIRPLUS maxcount (131072); --dircount N (32768)\n"
                 "  --unstable        smallfiles: WRITE UNSTABLE instead of FILE_SYNC\n"
                 "  --commit          smallfiles: WRITE UNSTABLE, then COMMIT each file\n"
                 "  --seed N          random offsets\n");
}

uint64_t parseSize(const char* s) {
    char* end = nullptr;
    double v = std::strtod(s, &end);
    uint64_t mult = 1;
    if (end != nullptr) {
        switch (*end) {
        case 'k': case 'K': mult = 1ULL << 10; break;
        case 'm': case 'M': mult = 1ULL << 20; break;
        case 'g': case 'G': mult = 1ULL << 30; break;
        default: break;
        }
    }
    return static_cast<uint64_t>(v * static_cast<double>(mult));
}

bool parseArgs(int argc, char** argv, Options& opt, bool& sizeGiven) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "nfsload: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--url") {
            opt.url = next();
        } else if (a == "--workload") {
            opt.workload = next();
        } else if (a == "--depth") {
            opt.depth = static_cast<unsigned>(std::atoi(next()));
        } else if (a == "--size") {
            opt.fileSize = parseSize(next());
            sizeGiven = true;
        } else if (a == "--block") {
            opt.block = parseSize(next());
        } else if (a == "--io") {
            opt.ioSize = parseSize(next());
        } else if (a == "--count") {
            opt.count = parseSize(next());
        } else if (a == "--files") {
            opt.files = parseSize(next());
        } else if (a == "--contexts") {
            opt.contexts = static_cast<unsigned>(std::atoi(next()));
        } else if (a == "--context-depth") {
            opt.contextDepth = static_cast<unsigned>(std::atoi(next()));
        } else if (a == "--listings") {
            opt.listings = static_cast<unsigned>(std::atoi(next()));
        } else if (a == "--seconds") {
            opt.seconds = std::atof(next());
        } else if (a == "--max-seconds") {
            opt.maxSeconds = std::atof(next());
        } else if (a == "--file") {
            opt.fileName = next();
        } else if (a == "--dir") {
            opt.dirName = next();
        } else if (a == "--maxcount") {
            opt.maxCount = static_cast<uint32_t>(parseSize(next()));
        } else if (a == "--dircount") {
            opt.dirCount = static_cast<uint32_t>(parseSize(next()));
        } else if (a == "--unstable") {
            opt.smallWrite = Options::SmallWrite::kUnstable;
        } else if (a == "--commit") {
            opt.smallWrite = Options::SmallWrite::kUnstableCommit;
        } else if (a == "--nlm-port") {
            opt.nlmPort = std::atoi(next());
        } else if (a == "--seed") {
            opt.seed = parseSize(next());
        } else {
            std::fprintf(stderr, "nfsload: unknown argument %s\n", a.c_str());
            return false;
        }
    }
    if (opt.depth == 0 || opt.contexts == 0 || opt.contextDepth == 0 || opt.block == 0 || opt.ioSize == 0 ||
        opt.ioSize > (1 << 20)) {
        std::fprintf(stderr, "nfsload: depth, contexts, block and io must be positive (io at most 1 MiB)\n");
        return false;
    }
    return !opt.workload.empty();
}

// The sink: accepts one connection and reads until EOF, 1 MiB at a time.
void sink(int listener, uint64_t& received) {
    int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) {
        return;
    }
    std::vector<char> buf(1 << 20);
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n <= 0) {
            break;
        }
        received += static_cast<uint64_t>(n);
    }
    ::close(fd);
}

}  // namespace

// What one TCP stream on loopback moves with 1 MiB writes and default socket buffers: the
// most any single-connection NFS transfer on this machine could reach. With `fromFile`
// (fileceiling) every MiB is first pread() from a file in the page cache, as a server
// must before it sends file data: the most a single-connection READ could reach.
Result runTcpCeiling(const Options& opt, bool fromFile) {
    Result r = Result::named(fromFile ? "fileceiling" : "tcpceiling");
    int file = -1;
    if (fromFile) {
        // A file of opt.fileSize in the temporary directory (the servers' filesystem),
        // written here so that it is in the page cache, removed at once (the descriptor
        // keeps it).
        std::string path = std::string(std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/tmp") +
                           "/nfsload-ceiling.XXXXXX";
        file = ::mkstemp(path.data());
        if (file < 0) {
            r.error = std::string("mkstemp: ") + std::strerror(errno);
            return r;
        }
        ::unlink(path.c_str());
        std::vector<char> fill(1 << 20, 'f');
        for (uint64_t off = 0; off < opt.fileSize; off += fill.size()) {
            if (::pwrite(file, fill.data(), fill.size(), static_cast<off_t>(off)) != static_cast<ssize_t>(fill.size())) {
                r.error = std::string("pwrite: ") + std::strerror(errno);
                ::close(file);
                return r;
            }
        }
    }
    int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listener, 1) != 0 || ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        r.error = std::string("listen: ") + std::strerror(errno);
        return r;
    }
    uint64_t received = 0;
    std::thread sinkThread(sink, listener, std::ref(received));
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        r.error = std::string("connect: ") + std::strerror(errno);
        ::shutdown(listener, SHUT_RDWR);
        sinkThread.join();
        return r;
    }
    std::vector<char> buf(1 << 20, 'x');
    auto start = Clock::now();
    auto stopAt = start + secondsToDuration(opt.maxSeconds);
    uint64_t sent = 0;
    const uint64_t goal = fromFile ? 4 * opt.fileSize : opt.fileSize;  // the file four times over
    while (sent < goal && Clock::now() < stopAt) {
        if (fromFile && ::pread(file, buf.data(), buf.size(), static_cast<off_t>(sent % opt.fileSize)) < 0) {
            r.error = std::string("pread: ") + std::strerror(errno);
            break;
        }
        ssize_t n = ::write(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            r.error = std::string("write: ") + std::strerror(errno);
            break;
        }
        sent += static_cast<uint64_t>(n);
        r.ops += 1;
    }
    ::close(fd);
    sinkThread.join();
    ::close(listener);
    if (file >= 0) {
        ::close(file);
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    r.bytes = received;
    r.unit = "MiB/s";
    r.value = static_cast<double>(received) / (1024.0 * 1024.0) / r.seconds;
    r.complete = sent >= goal;
    r.ok = r.error.empty() && received == sent;
    r.extra = fromFile ? "write=1048576 pread=1048576" : "write=1048576";
    return r;
}

}  // namespace nfsload

int main(int argc, char** argv) {
    using namespace nfsload;
    Options opt;
    bool sizeGiven = false;
    if (!parseArgs(argc, argv, opt, sizeGiven)) {
        usage();
        return 2;
    }
    bool ceiling = opt.workload == "tcpceiling" || opt.workload == "fileceiling";
    if (!ceiling && opt.url.empty()) {
        std::fprintf(stderr, "nfsload: --url is required for %s\n", opt.workload.c_str());
        return 2;
    }
    Result r;
    if (opt.workload == "seqwrite") {
        r = runSeqWrite(opt);
    } else if (opt.workload == "seqread") {
        r = runSeqRead(opt);
    } else if (opt.workload == "randread") {
        r = runRandom(opt, false);
    } else if (opt.workload == "randwrite") {
        r = runRandom(opt, true);
    } else if (opt.workload == "smallfiles") {
        r = runSmallFiles(opt);
    } else if (opt.workload == "readdirplus") {
        r = runReaddirPlus(opt);
    } else if (opt.workload == "getattr") {
        r = runGetattr(opt);
    } else if (opt.workload == "locks") {
        r = runLocks(opt);
    } else if (opt.workload == "tcpceiling") {
        if (!sizeGiven) {
            opt.fileSize = 8ULL << 30;
        }
        r = runTcpCeiling(opt, false);
    } else if (opt.workload == "fileceiling") {
        r = runTcpCeiling(opt, true);
    } else {
        std::fprintf(stderr, "nfsload: unknown workload %s\n", opt.workload.c_str());
        usage();
        return 2;
    }
    // One line, key=value, for scripts; the error (if any) last, as it may contain spaces.
    std::printf("nfsload workload=%s ok=%d complete=%d value=%.1f unit=%s ops=%llu bytes=%llu seconds=%.3f %s%s%s\n",
                opt.workload.c_str(), r.ok ? 1 : 0, r.complete ? 1 : 0, r.value, r.unit.c_str(),
                static_cast<unsigned long long>(r.ops), static_cast<unsigned long long>(r.bytes), r.seconds,
                r.extra.c_str(), r.error.empty() ? "" : " error=", r.error.c_str());
    std::fflush(stdout);
    return r.ok ? 0 : 1;
}
