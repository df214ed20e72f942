// Runs a libFuzzer target without libFuzzer: every seed file (or every file in a seed
// directory) as it is, then `--runs N` deterministic mutations of the seeds (bit flips,
// byte sets, truncations, extensions, splices). Bounded in count, so it suits CI; the
// sanitizers of the build catch what a mutation breaks.
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// The input being run, written to ./fuzz-crash-input when the target aborts or faults,
// so a failure found in CI can be replayed: `fuzz_x fuzz-crash-input`.
const std::vector<uint8_t>* gCurrent = nullptr;

void onFatal(int sig) {
    if (gCurrent != nullptr) {
        if (FILE* f = std::fopen("fuzz-crash-input", "wb")) {
            std::fwrite(gCurrent->data(), 1, gCurrent->size(), f);
            std::fclose(f);
            std::fprintf(stderr, "fuzz: input written to fuzz-crash-input (%zu bytes)\n", gCurrent->size());
        }
    }
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

void runOne(const std::vector<uint8_t>& d) {
    gCurrent = &d;
    LLVMFuzzerTestOneInput(d.data(), d.size());
    gCurrent = nullptr;
}

std::vector<uint8_t> readFile(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void mutate(std::vector<uint8_t>& d, std::mt19937_64& rng, const std::vector<std::vector<uint8_t>>& seeds) {
    int steps = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < steps; ++i) {
        switch (rng() % 6) {
        case 0:
            if (!d.empty()) {
                d[rng() % d.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
            }
            break;
        case 1:
            if (!d.empty()) {
                static const uint8_t interesting[] = {0, 1, 0x7f, 0x80, 0xff, '[', ']', '"', '=', '\n'};
                d[rng() % d.size()] = interesting[rng() % sizeof interesting];
            }
            break;
        case 2:
            if (!d.empty()) {
                d.resize(rng() % d.size());
            }
            break;
        case 3:
            for (int k = static_cast<int>(rng() % 16); k > 0; --k) {
                d.insert(d.begin() + static_cast<std::ptrdiff_t>(d.empty() ? 0 : rng() % d.size()),
                         static_cast<uint8_t>(rng()));
            }
            break;
        case 4: {
            const auto& s = seeds[rng() % seeds.size()];
            if (!s.empty()) {
                size_t from = rng() % s.size();
                size_t n = std::min<size_t>(s.size() - from, 1 + rng() % 64);
                d.insert(d.end(), s.begin() + static_cast<std::ptrdiff_t>(from),
                         s.begin() + static_cast<std::ptrdiff_t>(from + n));
            }
            break;
        }
        default:
            if (d.size() >= 8) {
                size_t at = rng() % (d.size() - 7);
                uint64_t v = rng();
                std::memcpy(d.data() + at, &v, 8);
            }
            break;
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    long runs = 0;
    std::vector<std::vector<uint8_t>> seeds;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--runs" && i + 1 < argc) {
            runs = std::strtol(argv[++i], nullptr, 10);
            continue;
        }
        std::filesystem::path p(a);
        if (std::filesystem::is_directory(p)) {
            for (const auto& e : std::filesystem::directory_iterator(p)) {
                seeds.push_back(readFile(e.path()));
            }
        } else {
            seeds.push_back(readFile(p));
        }
    }
    if (seeds.empty()) {
        seeds.emplace_back();
    }
    std::signal(SIGABRT, onFatal);
    std::signal(SIGSEGV, onFatal);
    std::signal(SIGBUS, onFatal);
    std::signal(SIGILL, onFatal);
    for (const auto& s : seeds) {
        runOne(s);
    }
    std::mt19937_64 rng(0x5eed);
    for (long r = 0; r < runs; ++r) {
        std::vector<uint8_t> d = seeds[rng() % seeds.size()];
        mutate(d, rng, seeds);
        runOne(d);
    }
    std::printf("fuzz: %zu seeds, %ld mutations, no crash\n", seeds.size(), runs);
    return 0;
}
