// Store conformance kit: block stores under load: large and many small writes, and
// concurrent calls (store.h: "Slots may be called from many threads at once").
//
// The kernel runs handlers on a worker pool, so a store sees writes to disjoint ranges
// of one object (an NFS client's parallel WRITEs) and to many objects at once. Every
// byte is checked afterwards; worker threads only count failures, and the main thread
// asserts, so a failing store is reported instead of crashing the run.
#include "kit.hpp"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace dfs::kit {
namespace {


constexpr int kThreads = 8;

}  // namespace

TEST_F(BlockStoreTest, LargeUnalignedWrite) {
    std::string data = pattern(8 * 1024 * 1024 + 3, 31);
    DFS_ASSERT_OK(blocks_.write(1, 1, toBytes(data), DFS_UNSTABLE));
    auto sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, data.size() + 1);
    std::string back = readAll(1, 1, data.size());
    EXPECT_TRUE(back == data) << "8 MiB written at offset 1 did not read back";
    EXPECT_EQ(readAll(1, 0, 1), std::string(1, '\0'));
}

TEST_F(BlockStoreTest, ManySmallAppends) {
    std::string want;
    uint64_t off = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string piece = pattern(13, static_cast<uint32_t>(i));
        DFS_ASSERT_OK(blocks_.write(1, off, toBytes(piece), DFS_UNSTABLE));
        off += piece.size();
        want += piece;
    }
    EXPECT_TRUE(readAll(1, 0, want.size() + 100) == want);
}

TEST_F(BlockStoreTest, SmallWritesInScatteredOrder) {
    // Every 100-byte slot of a 400 KB object, visited in a stride that is coprime with
    // the slot count, so writes land before, after and between earlier ones.
    const uint64_t slots = 4001;
    std::string want(slots * 100, '\0');
    for (uint64_t k = 0, slot = 0; k < slots; ++k, slot = (slot + 1543) % slots) {
        std::string piece = pattern(100, static_cast<uint32_t>(slot));
        DFS_ASSERT_OK(blocks_.write(1, slot * 100, toBytes(piece), DFS_UNSTABLE));
        want.replace(slot * 100, 100, piece);
    }
    EXPECT_TRUE(readAll(1, 0, want.size()) == want);
}

TEST_F(BlockStoreTest, ConcurrentWritesToDisjointRangesOfOneObject) {
    // Odd-sized pieces interleaved between threads, so neighbours share store blocks.
    const uint64_t piece = 4096 + 7;
    const int perThread = 48;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < perThread; ++i) {
                uint64_t slot = static_cast<uint64_t>(i) * kThreads + static_cast<uint64_t>(t);
                std::string data = pattern(piece, static_cast<uint32_t>(slot));
                if (!blocks_.write(1, slot * piece, toBytes(data), DFS_UNSTABLE).ok()) {
                    failures.fetch_add(1);
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    ASSERT_EQ(failures.load(), 0) << "concurrent writes failed";
    const uint64_t slots = static_cast<uint64_t>(perThread) * kThreads;
    auto sz = blocks_.size(1);
    ASSERT_TRUE(sz.ok());
    EXPECT_EQ(*sz, slots * piece);
    std::string all = readAll(1, 0, slots * piece);
    ASSERT_EQ(all.size(), slots * piece);
    int bad = 0;
    for (uint64_t slot = 0; slot < slots; ++slot) {
        if (all.compare(slot * piece, piece, pattern(piece, static_cast<uint32_t>(slot))) != 0) {
            ++bad;
        }
    }
    EXPECT_EQ(bad, 0) << bad << " of " << slots << " pieces were lost or torn by concurrent writes";
}

TEST_F(BlockStoreTest, ConcurrentWorkOnSeparateObjects) {
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            const uint64_t obj = 100 + static_cast<uint64_t>(t);
            std::string want;
            for (int round = 0; round < 20; ++round) {
                std::string data = pattern(3000 + static_cast<size_t>(round) * 100,
                                           static_cast<uint32_t>(t * 1000 + round));
                if (!blocks_.write(obj, want.size(), toBytes(data), DFS_UNSTABLE).ok()) {
                    failures.fetch_add(1);
                    return;
                }
                want += data;
                if (round % 5 == 4) {
                    want.resize(want.size() / 2);
                    if (!blocks_.truncate(obj, want.size()).ok()) {
                        failures.fetch_add(1);
                        return;
                    }
                }
                std::string back(want.size(), '\0');
                auto n = blocks_.read(obj, 0, dfs_buf_t{reinterpret_cast<uint8_t*>(back.data()), back.size()});
                if (!n.ok() || *n != want.size() || back != want) {
                    failures.fetch_add(1);
                    return;
                }
            }
            // Half the objects go away while the others are still busy.
            if (t % 2 == 0 && !blocks_.remove(obj).ok()) {
                failures.fetch_add(1);
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(failures.load(), 0) << "an object's content went wrong while other objects were busy";
    for (int t = 0; t < kThreads; ++t) {
        auto sz = blocks_.size(100 + static_cast<uint64_t>(t));
        ASSERT_TRUE(sz.ok());
        if (t % 2 == 0) {
            EXPECT_EQ(*sz, 0u) << "object " << 100 + t << " survived its removal";
        } else {
            EXPECT_GT(*sz, 0u);
        }
    }
}

TEST_F(BlockStoreTest, ReadsDuringWritesSeeOnlyWrittenBytes) {
    // Writers keep overwriting and extending an object while readers read it. Reads
    // must not fail, and every byte they return must be one some writer wrote (a byte
    // is 'a'..'z' here); whether a read sees a write whole is not promised by the
    // contract (local file systems tear buffered reads at page boundaries).
    const size_t len = 64 * 1024;
    writeStr(1, 0, std::string(len, 'a'));
    std::atomic<bool> stop{false};
    std::atomic<int> garbage{0};
    std::atomic<int> failures{0};
    std::thread writer([&] {
        for (int i = 0; i < 200; ++i) {
            std::string data(len, static_cast<char>('a' + i % 26));
            if (!blocks_.write(1, static_cast<uint64_t>(i % 4) * len / 2, toBytes(data), DFS_UNSTABLE).ok()) {
                failures.fetch_add(1);
            }
        }
        stop = true;
    });
    std::vector<std::thread> readers;
    for (int r = 0; r < 3; ++r) {
        readers.emplace_back([&] {
            std::string buf(3 * len, '\0');
            while (!stop) {
                auto n = blocks_.read(1, 0, dfs_buf_t{reinterpret_cast<uint8_t*>(buf.data()), buf.size()});
                if (!n.ok() || *n < len) {
                    failures.fetch_add(1);
                    continue;
                }
                for (uint64_t k = 0; k < *n; ++k) {
                    if (buf[k] < 'a' || buf[k] > 'z') {
                        garbage.fetch_add(1);
                        break;
                    }
                }
            }
        });
    }
    writer.join();
    for (auto& th : readers) {
        th.join();
    }
    EXPECT_EQ(failures.load(), 0) << "reads or writes failed, or a read came back shorter than the object";
    EXPECT_EQ(garbage.load(), 0) << "readers saw bytes nobody wrote";
}

}  // namespace dfs::kit
