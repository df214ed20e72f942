// Many NLM clients at once on one file (issue: "16 clients locking and unlocking random
// ranges of one file for a bounded time: no lost lock, no double grant, no hang"), and a
// flood of blocking requests from one client, which the lock manager bounds.
#include "nlm_fixture.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace dfs::nlm::itest {
namespace {

class NlmStressTest : public NlmTest {
protected:
    uint32_t unlockVia(Raw& n, const Owner& o, std::string& fh, Range r) {
        NLM4_UNLOCKargs a{};
        std::string cookie = "ck01";
        a.cookie.data.data_len = static_cast<u_int>(cookie.size());
        a.cookie.data.data_val = cookie.data();
        a.lock = lockOf(o, fh, r);
        uint32_t st = 99;
        bool ok = n.run([&](rpc_cb cb, void* p) { return rpc_nlm4_unlock_async(n.rpc(), cb, &a, p); },
                        [&](void* d) { st = static_cast<NLM4_UNLOCKres*>(d)->status; });
        return ok ? st : 98;
    }
};

TEST_F(NlmStressTest, SixteenClientsOnOneFileNeverGetConflictingLocks) {
    std::string f = createFile("stress");
    constexpr int kClients = 16;
    constexpr int kSteps = 80;
    constexpr int kCells = 32;
    constexpr uint64_t kCell = 4096;
    std::mutex mu;
    std::array<int, kCells> writer;
    writer.fill(-1);
    std::array<int, kCells> readers{};
    std::atomic<int> violations{0}, grants{0}, denials{0}, errors{0};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    auto worker = [&](int t) {
        Raw n;
        if (!n.connect(nlmPort_, NLM_PROGRAM, NLM_V4)) {
            ++errors;
            return;
        }
        Owner o{"client" + std::to_string(t), "oh" + std::to_string(t), static_cast<uint32_t>(1000 + t)};
        std::mt19937 rng(static_cast<uint32_t>(t) * 7919u);
        for (int s = 0; s < kSteps && std::chrono::steady_clock::now() < deadline; ++s) {
            int a = static_cast<int>(rng() % kCells);
            int b = std::min(kCells - 1, a + static_cast<int>(rng() % 4));
            bool excl = rng() % 2 == 0;
            Range r{a * kCell, static_cast<uint64_t>(b - a + 1) * kCell};
            uint32_t st = lock(o, f, r, excl, false, &n);
            if (st == NLM4_DENIED) {
                ++denials;
                continue;
            }
            if (st != NLM4_GRANTED) {
                ++errors;
                continue;
            }
            ++grants;
            // The model holds the range from after the grant until before the unlock, so
            // two overlapping model entries mean the server granted two conflicting locks.
            {
                std::lock_guard<std::mutex> g(mu);
                for (int c = a; c <= b; ++c) {
                    if (writer[c] != -1 || (excl && readers[c] > 0)) {
                        ++violations;
                    }
                    if (excl) {
                        writer[c] = t;
                    } else {
                        ++readers[c];
                    }
                }
            }
            std::this_thread::yield();
            {
                std::lock_guard<std::mutex> g(mu);
                for (int c = a; c <= b; ++c) {
                    if (excl) {
                        writer[c] = -1;
                    } else {
                        --readers[c];
                    }
                }
            }
            if (unlockVia(n, o, f, r) != NLM4_GRANTED) {
                ++errors;
            }
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kClients; ++t) {
        threads.emplace_back(worker, t);
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(violations.load(), 0) << "two conflicting locks granted at once";
    EXPECT_EQ(errors.load(), 0);
    EXPECT_GT(grants.load(), kClients * kSteps / 4);
    RecordProperty("denials", denials.load());
    // No lost lock: everything was released, so a whole-file write lock is free now.
    Owner last{"client-last", "oh-last", 7};
    EXPECT_EQ(lock(last, f, {0, 0}, true), NLM4_GRANTED);
}

TEST_F(NlmStressTest, AFloodOfBlockingRequestsFromOneClientIsBounded) {
    std::string f = createFile("flood");
    Owner holder{"holder", "oh-holder", 1};
    ASSERT_EQ(lock(holder, f, {0, 0}, true), NLM4_GRANTED);
    int blocked = 0;
    int refused = 0;
    for (uint32_t i = 0; i < 100; ++i) {
        Owner o{"flooder", "oh-flood", 100 + i};  // one client, many owners
        uint32_t st = lock(o, f, {i, 1}, true, true);
        blocked += st == NLM4_BLOCKED ? 1 : 0;
        refused += st == NLM4_DENIED_NOLOCKS ? 1 : 0;
    }
    EXPECT_EQ(blocked, 64) << "[locks] max_waiters_per_client";
    EXPECT_EQ(refused, 36);
    // The server still answers others.
    Owner other{"other", "oh-other", 5};
    EXPECT_EQ(lock(other, f, {0, 1}, false), NLM4_DENIED);
}

}  // namespace
}  // namespace dfs::nlm::itest
