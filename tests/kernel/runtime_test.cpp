#include "src/runtime.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace dfs::kernel {
namespace {

TEST(WorkerPoolTest, RunsEveryTaskAndBoundsTheQueue) {
    WorkerPool pool(1, 4);
    std::promise<void> gate;
    auto opened = gate.get_future().share();
    std::atomic<int> ran{0};
    ASSERT_EQ(pool.post([opened, &ran] { opened.wait(); ++ran; }), WorkerPool::PostResult::ok);
    // Wait until the worker holds the first task, then fill the queue.
    while (pool.queued() != 0) {
        std::this_thread::yield();
    }
    for (int i = 0; i < 4; ++i) {
        ASSERT_EQ(pool.post([&ran] { ++ran; }), WorkerPool::PostResult::ok);
    }
    EXPECT_EQ(pool.post([&ran] { ++ran; }), WorkerPool::PostResult::full);
    gate.set_value();
    pool.stop();
    EXPECT_EQ(ran.load(), 5);
    EXPECT_EQ(pool.post([] {}), WorkerPool::PostResult::stopped);
}

TEST(WorkerPoolTest, SurvivesAThrowingTask) {
    WorkerPool pool(2, 16);
    std::atomic<int> ran{0};
    pool.post([] { throw std::runtime_error("boom"); });
    pool.post([&ran] { ++ran; });
    pool.stop();
    EXPECT_EQ(ran.load(), 1);
}

TEST(RuntimeTest, TimersFireAndCancel) {
    Runtime rt(1, 2, 64);
    rt.start();
    std::promise<void> fired;
    uint64_t id = rt.timerStart(10, [&fired] { fired.set_value(); });
    EXPECT_NE(id, 0u);
    EXPECT_EQ(fired.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
    std::atomic<bool> late{false};
    uint64_t id2 = rt.timerStart(200, [&late] { late = true; });
    EXPECT_TRUE(rt.timerCancel(id2));
    EXPECT_FALSE(rt.timerCancel(id2));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(late.load());
    rt.stop();
}

}  // namespace
}  // namespace dfs::kernel
