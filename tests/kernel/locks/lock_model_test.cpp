// Randomized tests against a byte-level reference model: one thread with exact
// grant/deny predictions, then several threads with blocking requests and cancels,
// checking that no two conflicting locks are ever held together and that every owner
// holds exactly what its model says (nothing lost, nothing extra).
#include "lock_test_util.hpp"

#include <array>
#include <atomic>
#include <latch>
#include <chrono>
#include <future>
#include <random>
#include <thread>

namespace dfs::kernel::locks {
namespace {

using namespace testing;

// Bytes 0..63, and cell 64 standing for everything from 64 to the end of the file.
constexpr int kCells = 65;
using Cells = std::array<uint8_t, kCells>;  // 0 none, 1 read, 2 write

struct Op {
    uint64_t off, len;
    int firstCell, lastCell;
};

Op randomOp(std::mt19937& rnd) {
    uint64_t off = rnd() % 64;
    uint64_t len = rnd() % 8 == 0 ? 0 : 1 + rnd() % (64 - off);
    int last = len == 0 ? 64 : static_cast<int>(off + len - 1);
    return Op{off, len, static_cast<int>(off), last};
}

Cells cellsOf(const std::vector<RangeLock>& locks, const LockOwner& o) {
    Cells c{};
    for (const auto& l : locks) {
        if (!(l.owner == o)) {
            continue;
        }
        uint64_t last = std::min<uint64_t>(l.range.last, 64);
        for (uint64_t i = l.range.first; i <= last && i < kCells; ++i) {
            EXPECT_EQ(c[i], 0) << "owner's own locks overlap at " << i;
            c[i] = l.type == LockType::write ? 2 : 1;
        }
    }
    return c;
}

// POSIX canonical form: an owner never holds two same-type locks that touch.
void expectCanonical(const std::vector<RangeLock>& locks) {
    for (size_t i = 0; i < locks.size(); ++i) {
        for (size_t j = i + 1; j < locks.size(); ++j) {
            const auto& a = locks[i];
            const auto& b = locks[j];
            if (a.owner == b.owner && a.type == b.type) {
                EXPECT_FALSE(a.range.overlaps(b.range) || a.range.adjacent(b.range)) << "not merged";
            }
        }
    }
}

// No double grant: no two owners hold overlapping locks one of which is a write lock.
void expectNoConflicts(const std::vector<RangeLock>& locks) {
    for (size_t i = 0; i < locks.size(); ++i) {
        for (size_t j = i + 1; j < locks.size(); ++j) {
            const auto& a = locks[i];
            const auto& b = locks[j];
            if (!(a.owner == b.owner) && a.range.overlaps(b.range)) {
                EXPECT_TRUE(a.type == LockType::read && b.type == LockType::read)
                    << a.owner.clientId << " and " << b.owner.clientId << " both hold [" << a.range.first << ","
                    << a.range.last << "] and [" << b.range.first << "," << b.range.last << "]";
            }
        }
    }
}

TEST(LockModelTest, SingleThreadMatchesTheModelExactly) {
    ManualScheduler sched;
    LockManager mgr({}, sched);
    std::vector<LockOwner> owners = {nlmOwner("a"), nlmOwner("b"), nlmOwner("a", 2), nfs4Owner("c")};
    std::vector<Cells> model(owners.size(), Cells{});
    std::mt19937 rnd(12345);
    for (int step = 0; step < 4000; ++step) {
        size_t who = rnd() % owners.size();
        Op op = randomOp(rnd);
        auto range = rng(op.off, op.len);
        if (rnd() % 3 == 0) {
            ASSERT_TRUE(mgr.unlock(kFile, owners[who], range).ok());
            for (int i = op.firstCell; i <= op.lastCell; ++i) {
                model[who][i] = 0;
            }
        } else {
            uint8_t want = rnd() % 2 == 0 ? 1 : 2;
            bool conflict = false;
            for (size_t o = 0; o < owners.size(); ++o) {
                for (int i = op.firstCell; o != who && i <= op.lastCell; ++i) {
                    conflict = conflict || (model[o][i] != 0 && (model[o][i] == 2 || want == 2));
                }
            }
            auto r = mgr.lock(req(owners[who], range, want == 2 ? LockType::write : LockType::read), nullptr);
            ASSERT_EQ(r.ok(), !conflict) << "step " << step;
            if (r.ok()) {
                for (int i = op.firstCell; i <= op.lastCell; ++i) {
                    model[who][i] = want;
                }
            }
        }
        auto snap = mgr.query({});
        for (size_t o = 0; o < owners.size(); ++o) {
            ASSERT_EQ(cellsOf(snap.ranges, owners[o]), model[o]) << "step " << step << " owner " << o;
        }
        expectCanonical(snap.ranges);
        expectNoConflicts(snap.ranges);
    }
}

TEST(LockModelTest, ThreadsNeverDoubleGrantOrLoseALock) {
    ManualScheduler sched;  // completions run on the thread whose unlock granted them
    LockManager mgr({}, sched);
    constexpr int kThreads = 4;
    constexpr int kSteps = 1500;
    std::atomic<int> granted{0}, blockedGrants{0}, deadlocks{0}, cancels{0};
    std::atomic<bool> failed{false};
    std::latch start(kThreads);
    auto worker = [&](int t) {
        start.arrive_and_wait();  // all threads contend from the first step
        LockOwner me = t % 2 == 0 ? nlmOwner("t" + std::to_string(t)) : nfs4Owner("t" + std::to_string(t));
        Cells model{};
        std::mt19937 rnd(1000 + t);
        for (int step = 0; step < kSteps && !failed; ++step) {
            Op op = randomOp(rnd);
            auto range = rng(op.off, op.len);
            if (rnd() % 3 == 0) {
                if (!mgr.unlock(kFile, me, range).ok()) {
                    failed = true;
                }
                for (int i = op.firstCell; i <= op.lastCell; ++i) {
                    model[i] = 0;
                }
            } else {
                uint8_t want = rnd() % 2 == 0 ? 1 : 2;
                bool block = rnd() % 4 == 0;
                auto promise = std::make_shared<std::promise<Status>>();
                auto fut = promise->get_future();
                auto r = mgr.lock(req(me, range, want == 2 ? LockType::write : LockType::read, block),
                                  [promise](uint64_t, Status s) { promise->set_value(s); });
                bool got = false;
                if (r.ok() && !r->pending) {
                    got = true;
                } else if (r.ok()) {
                    if (rnd() % 3 == 0 && mgr.cancel(r->ticket).ok()) {
                        ++cancels;
                    } else if (fut.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
                        ADD_FAILURE() << "a blocked lock never completed";
                        failed = true;
                    } else {
                        got = fut.get().ok();
                        blockedGrants += got ? 1 : 0;
                    }
                } else if (lockFault(r.error()) == LockFault::deadlock) {
                    ++deadlocks;
                } else if (lockFault(r.error()) != LockFault::conflict) {
                    ADD_FAILURE() << "unexpected " << lockFaultName(lockFault(r.error()));
                    failed = true;
                }
                if (got) {
                    ++granted;
                    for (int i = op.firstCell; i <= op.lastCell; ++i) {
                        model[i] = want;
                    }
                }
            }
            auto snap = mgr.query({.client = clientOf(me)});
            if (cellsOf(snap.ranges, me) != model) {
                ADD_FAILURE() << "thread " << t << " step " << step << ": held locks differ from the model";
                failed = true;
            }
            if (step % 25 == 0) {
                expectNoConflicts(mgr.query({}).ranges);
            }
        }
        // Let go of everything so other threads' waiters can finish.
        if (!mgr.unlock(kFile, me, rng(0, 0)).ok()) {
            failed = true;
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back(worker, t);
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_FALSE(failed.load());
    auto snap = mgr.query({});
    EXPECT_TRUE(snap.ranges.empty());
    EXPECT_TRUE(snap.waiters.empty());
    EXPECT_GT(granted.load(), 0);
    // How often the blocking path ran depends on how the threads interleave (none at all
    // if they happen to run one after another), so it is reported, not required; the
    // waiter tests exercise it deterministically.
    RecordProperty("blocked_grants", blockedGrants.load());
    RecordProperty("deadlocks", deadlocks.load());
    RecordProperty("cancels", cancels.load());
}

}  // namespace
}  // namespace dfs::kernel::locks
