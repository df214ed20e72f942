// The localfs block store's on-disk layouts (localfs_store.hpp): a new root records layout
// 3 and puts 256 consecutive objects in one directory; a root written before the layout
// file existed (objects in layout 1, no file) is recognised as layout 1 and its objects
// stay readable and writable where they are; a layout 2 root becomes layout 3 when it is
// opened with packing on; a layout file this version does not know refuses the root. The
// sync_directories key is checked here too. Packed objects (pack.hpp): what is packed,
// when an object leaves its segment, how removed objects give their space back, and what
// a crash leaves (a torn append, a file left by an interrupted move, a killed process).
#include <dittofs/abi/dittofs.h>
#include <dittofs/cpp/fake_host.hpp>
#include <dittofs/cpp/store_client.hpp>

#include <gtest/gtest.h>

#include "load_plugin.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <barrier>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#ifndef DITTOFS_LOCALFS_PLUGIN
#error "DITTOFS_LOCALFS_PLUGIN must name the plugin library"
#endif

namespace {

namespace fs = std::filesystem;
using dfs::BlockStoreClient;
using dfs::makeStruct;

const dfs_plugin_desc_t& plugin() {
    static const dfs_plugin_desc_t desc = dfs::test::loadPlugin(DITTOFS_LOCALFS_PLUGIN);
    return desc;
}

class Store {
public:
    using Options = std::vector<std::pair<std::string, std::string>>;
    explicit Store(const std::string& root, const Options& options = {}) {
        std::vector<dfs_kv_t> kvs = {{dfs::toC("root"), dfs::toC(root)}};
        for (const auto& [k, v] : options) {
            kvs.push_back({dfs::toC(k), dfs::toC(v)});
        }
        auto cfg = makeStruct<dfs_config_t>();
        cfg.count = static_cast<uint32_t>(kvs.size());
        cfg.items = kvs.data();
        if (plugin().create(host_.api(), &cfg, &inst_).code == DFS_OK) {
            client_ = BlockStoreClient(static_cast<const dfs_block_store_ops_t*>(plugin().ops), inst_);
        }
    }
    ~Store() {
        if (inst_ != nullptr) {
            plugin().destroy(inst_);
        }
    }
    bool ok() const { return inst_ != nullptr; }
    const BlockStoreClient* operator->() const { return &client_; }

private:
    dfs::FakeHost host_{"layout"};
    void* inst_ = nullptr;
    BlockStoreClient client_;
};

std::string hex16(uint64_t v) {
    char b[17];
    std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
    return b;
}

// Where layout 2 and 3 keep object `obj` (< 256) of a root.
fs::path objectPath(const fs::path& root, uint64_t obj) { return root / "0" / "00" / hex16(obj); }

// Writes `bytes` over a file at `offset` (what a crash or a lost write leaves).
void overwrite(const fs::path& p, std::streamoff offset, const std::string& bytes) {
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(offset);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(f.good()) << p;
}

std::string readFile(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string readObject(const Store& s, uint64_t obj, size_t len, uint64_t offset = 0) {
    std::string out(len, '\0');
    auto n = s->read(obj, offset, dfs_buf_t{reinterpret_cast<uint8_t*>(out.data()), len});
    EXPECT_TRUE(n.ok());
    out.resize(n.ok() ? *n : 0);
    return out;
}

void writeObject(const Store& s, uint64_t obj, std::string_view data, uint64_t offset = 0,
                 dfs_stable_t stable = DFS_FILE_SYNC) {
    dfs::Status st = s->write(obj, offset, dfs::toBytes(data), stable);
    EXPECT_TRUE(st.ok()) << dfs::statusName(st.code());
}

const Store::Options kNoPacking = {{"pack_max", "0"}};

class LocalFsLayoutTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_NE(plugin().struct_size, 0u) << "cannot load " << DITTOFS_LOCALFS_PLUGIN;
        char tmpl[] = "/tmp/dfs-localfs-layout-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        root_ = dir_ / "blocks";
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path dir_;
    fs::path root_;
};

TEST_F(LocalFsLayoutTest, ANewRootRecordsLayoutThreeAndGroupsConsecutiveObjects) {
    {
        Store s(root_.string(), kNoPacking);
        ASSERT_TRUE(s.ok());
        for (uint64_t obj = 0x10000; obj < 0x10000 + 300; ++obj) {
            writeObject(s, obj, "object " + std::to_string(obj));
        }
    }
    EXPECT_EQ(readFile(root_ / "layout"), "3\n");
    // 0x10000..0x100ff share one directory, 0x10100.. the next.
    EXPECT_TRUE(fs::exists(root_ / "1" / "00" / hex16(0x10000)));
    EXPECT_TRUE(fs::exists(root_ / "1" / "00" / hex16(0x100ff)));
    EXPECT_TRUE(fs::exists(root_ / "1" / "01" / hex16(0x10100)));
    size_t inFirst = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(root_ / "1" / "00")) {
        ++inFirst;
    }
    EXPECT_EQ(inFirst, 256u);
    Store again(root_.string());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(readObject(again, 0x1012b, 64), "object " + std::to_string(0x1012b));
}

TEST_F(LocalFsLayoutTest, ARootFromBeforeTheLayoutFileKeepsLayoutOne) {
    // Objects as a version without the layout file wrote them: <lowest byte>/<second byte>/.
    const uint64_t objs[] = {0x1, 0x2, 0x1234};
    for (uint64_t obj : objs) {
        char a[3];
        char b[3];
        std::snprintf(a, sizeof a, "%02x", static_cast<unsigned>(obj & 0xff));
        std::snprintf(b, sizeof b, "%02x", static_cast<unsigned>((obj >> 8) & 0xff));
        fs::create_directories(root_ / a / b);
        std::ofstream(root_ / a / b / hex16(obj)) << "legacy " << obj;
    }
    Store s(root_.string());
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(readFile(root_ / "layout"), "1\n");
    for (uint64_t obj : objs) {
        EXPECT_EQ(readObject(s, obj, 64), "legacy " + std::to_string(obj));
    }
    writeObject(s, 0x1235, "new");
    EXPECT_TRUE(fs::exists(root_ / "35" / "12" / hex16(0x1235))) << "a new object follows the root's layout";
    EXPECT_TRUE(s->remove(0x1234).ok());
    EXPECT_FALSE(fs::exists(root_ / "34" / "12" / hex16(0x1234)));
}

// Whether a new object's directory is fsynced (file_io.hpp): either way its objects are
// written and read back; a value the store does not know refuses the root.
TEST_F(LocalFsLayoutTest, SyncDirectoriesTakesAutoOrAlways) {
    for (const char* mode : {"auto", "always"}) {
        Store s((root_ / mode).string(), {{"sync_directories", mode}});
        ASSERT_TRUE(s.ok()) << mode;
        writeObject(s, 7, mode);
        EXPECT_EQ(readObject(s, 7, 16), mode);
    }
    Store bad((root_ / "bad").string(), {{"sync_directories", "sometimes"}});
    EXPECT_FALSE(bad.ok());
}

TEST_F(LocalFsLayoutTest, AnUnknownLayoutIsRefused) {
    fs::create_directories(root_);
    std::ofstream(root_ / "layout") << "9\n";
    Store s(root_.string());
    EXPECT_FALSE(s.ok());
}

// ---- Packed objects --------------------------------------------------------------------

// Object files under the root (not the layout file, not the segments).
size_t objectFiles(const fs::path& root) {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.is_regular_file() && e.path().filename() != "layout" &&
            e.path().parent_path().filename() != "pack") {
            ++n;
        }
    }
    return n;
}

std::vector<fs::path> segments(const fs::path& root) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(root / "pack")) {
        out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

uint64_t sizeOf(const Store& s, uint64_t obj) {
    auto n = s->size(obj);
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : ~uint64_t{0};
}

std::string content(uint64_t obj, size_t len) {
    std::string out(len, '\0');
    for (size_t i = 0; i < len; ++i) {
        out[i] = static_cast<char>('a' + (obj * 7 + i) % 26);
    }
    return out;
}

TEST_F(LocalFsLayoutTest, SmallStableWritesArePackedTogetherAndSurviveReopen) {
    {
        Store s(root_.string());
        ASSERT_TRUE(s.ok());
        // Eight writers at once, as an NFS server's workers would: they share syncs.
        std::vector<std::thread> writers;
        for (int t = 0; t < 8; ++t) {
            writers.emplace_back([&s, t] {
                for (uint64_t obj = 100 + t; obj < 500; obj += 8) {
                    writeObject(s, obj, content(obj, 1 + obj * 37 % 5000));
                }
            });
        }
        for (auto& w : writers) {
            w.join();
        }
        writeObject(s, 900, content(900, 65536));                   // at the limit: packed
        writeObject(s, 901, content(901, 65537));                   // past it: a file
        writeObject(s, 902, content(902, 100), 0, DFS_UNSTABLE);    // unstable: a file
        writeObject(s, 903, content(903, 100), 512);                // not at 0: a file
        EXPECT_EQ(readObject(s, 250, 10000), content(250, 1 + 250 * 37 % 5000));
        EXPECT_EQ(sizeOf(s, 250), 1 + 250 * 37 % 5000);
    }
    EXPECT_EQ(readFile(root_ / "layout"), "3\n");
    EXPECT_EQ(objectFiles(root_), 3u) << "only 901, 902 and 903 have files";
    EXPECT_EQ(segments(root_).size(), 1u);
    Store again(root_.string());
    ASSERT_TRUE(again.ok());
    for (uint64_t obj = 100; obj < 500; ++obj) {
        ASSERT_EQ(readObject(again, obj, 10000), content(obj, 1 + obj * 37 % 5000)) << obj;
    }
    EXPECT_EQ(readObject(again, 900, 70000), content(900, 65536));
    EXPECT_EQ(readObject(again, 901, 70000), content(901, 65537));
    EXPECT_EQ(readObject(again, 903, 1000), std::string(512, '\0') + content(903, 100));
    // A read past the end, and from the middle.
    EXPECT_EQ(readObject(again, 1234, 10), "");
    EXPECT_EQ(readObject(again, 100, 5, 3), content(100, 1 + 100 * 37 % 5000).substr(3, 5));
}

TEST_F(LocalFsLayoutTest, ALayoutTwoRootBecomesThreeWhenItPacks) {
    fs::create_directories(root_ / "0" / "00");
    std::ofstream(root_ / "layout") << "2\n";
    std::ofstream(objectPath(root_, 5)) << "layout two";
    {
        Store off(root_.string(), kNoPacking);
        ASSERT_TRUE(off.ok());
        EXPECT_EQ(readFile(root_ / "layout"), "2\n") << "no packing, no change";
    }
    Store s(root_.string());
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(readFile(root_ / "layout"), "3\n");
    EXPECT_EQ(readObject(s, 5, 64), "layout two");
    writeObject(s, 6, "packed");
    EXPECT_EQ(readObject(s, 6, 64), "packed");
    EXPECT_FALSE(fs::exists(objectPath(root_, 6)));
}

TEST_F(LocalFsLayoutTest, APackedObjectMovesToAFileOfItsOwnOnAnyOtherChange) {
    const fs::path file7 = objectPath(root_, 7);
    {
        Store s(root_.string());
        ASSERT_TRUE(s.ok());
        writeObject(s, 7, "hello");
        EXPECT_FALSE(fs::exists(file7));
        writeObject(s, 7, " world", 5, DFS_UNSTABLE);  // a second write
        EXPECT_TRUE(fs::exists(file7));
        EXPECT_EQ(readObject(s, 7, 64), "hello world");

        writeObject(s, 8, "truncate me");
        ASSERT_TRUE(s->truncate(8, 8).ok());
        EXPECT_EQ(readObject(s, 8, 64), "truncate");
        writeObject(s, 9, "emptied");
        ASSERT_TRUE(s->truncate(9, 0).ok());
        EXPECT_EQ(sizeOf(s, 9), 0u);
        EXPECT_EQ(readObject(s, 9, 64), "");
        writeObject(s, 10, "grown");
        ASSERT_TRUE(s->allocate(10, 0, 100).ok());
        EXPECT_EQ(sizeOf(s, 10), 100u);
        EXPECT_EQ(readObject(s, 10, 5), "grown");
        writeObject(s, 11, "punched");
        ASSERT_TRUE(s->punchHole(11, 0, 3).ok());
        EXPECT_EQ(readObject(s, 11, 64), std::string(3, '\0') + "ched");
        writeObject(s, 12, "source");
        writeObject(s, 13, "destination");
        ASSERT_TRUE(s->clone(12, 0, 13, 0, 6).ok());
        EXPECT_EQ(readObject(s, 13, 64), "sourceation");
        EXPECT_EQ(readObject(s, 12, 64), "source");
        // Seeking in a packed object: all data.
        writeObject(s, 14, "0123456789");
        auto data = s->seek(14, 4, DFS_SEEK_DATA);
        auto hole = s->seek(14, 4, DFS_SEEK_HOLE);
        ASSERT_TRUE(data.ok() && hole.ok());
        EXPECT_EQ(*data, 4u);
        EXPECT_EQ(*hole, 10u);
        EXPECT_EQ(s->seek(14, 10, DFS_SEEK_DATA).code(), DFS_ERR_NXIO);
        EXPECT_TRUE(s->flush(14).ok());
        EXPECT_FALSE(fs::exists(objectPath(root_, 14))) << "reads, seeks and flushes leave it packed";
        for (uint64_t obj = 8; obj <= 13; ++obj) {
            EXPECT_TRUE(fs::exists(objectPath(root_, obj))) << obj << " has a file of its own";
        }
    }
    Store again(root_.string());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(readObject(again, 7, 64), "hello world");
    EXPECT_EQ(readObject(again, 8, 64), "truncate");
    EXPECT_EQ(readObject(again, 9, 64), "");
    EXPECT_EQ(sizeOf(again, 10), 100u);
    EXPECT_EQ(readObject(again, 11, 64), std::string(3, '\0') + "ched");
    EXPECT_EQ(readObject(again, 13, 64), "sourceation");
    EXPECT_EQ(readObject(again, 14, 64), "0123456789");
}

TEST_F(LocalFsLayoutTest, RemovedPackedObjectsGiveBackTheirSegments) {
    const Store::Options small = {{"pack_segment_size", "16384"}};
    {
        Store s(root_.string(), small);
        ASSERT_TRUE(s.ok());
        for (uint64_t obj = 1; obj <= 40; ++obj) {
            writeObject(s, obj, content(obj, 3000));
        }
        EXPECT_GE(segments(root_).size(), 8u);
        for (uint64_t obj = 1; obj <= 40; ++obj) {
            if (obj != 20) {
                ASSERT_TRUE(s->remove(obj).ok());
            }
            EXPECT_EQ(readObject(s, obj, 10), obj == 20 ? content(obj, 10) : "");
        }
        // The current segment and the one holding object 20 are left.
        EXPECT_EQ(segments(root_).size(), 2u);
    }
    Store again(root_.string(), small);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(readObject(again, 20, 5000), content(20, 3000));
    EXPECT_EQ(readObject(again, 19, 5000), "");
    ASSERT_TRUE(again->remove(20).ok());
    Store third(root_.string(), small);
    ASSERT_TRUE(third.ok());
    EXPECT_EQ(segments(root_).size(), 1u) << "only the new current segment";
    EXPECT_EQ(readObject(third, 20, 10), "");
}

TEST_F(LocalFsLayoutTest, AnAppendTornByACrashIsCutOnReopen) {
    {
        Store s(root_.string());
        ASSERT_TRUE(s.ok());
        for (uint64_t obj = 1; obj <= 3; ++obj) {
            writeObject(s, obj, content(obj, 100));
        }
    }
    // What a crash halfway through an append leaves: a record whose data is cut short,
    // and (second round) one whose header is whole but whose data is not what it sums.
    const fs::path first = segments(root_).back();  // objects 1..3
    for (int round = 0; round < 2; ++round) {
        {
            Store s(root_.string());
            ASSERT_TRUE(s.ok());
            writeObject(s, 60 + round, content(60, 100));
            writeObject(s, 50 + round, content(50, 3000));
        }
        // The segment: object 60's record (32 + 104 bytes), then 50's (32 + 3000), then
        // the zeros written ahead of the appends.
        const fs::path newest = segments(root_).back();
        if (round == 0) {
            fs::resize_file(newest, 136 + 2000);
        } else {
            overwrite(newest, 136 + 32 + 1000, "XXXX");
        }
        Store s(root_.string());
        ASSERT_TRUE(s.ok());
        EXPECT_EQ(readObject(s, 50 + round, 5000), "") << "the torn record is not an object";
        EXPECT_EQ(fs::file_size(newest), 32u + 104u) << "cut back to its last whole record";
        EXPECT_EQ(readObject(s, 60 + round, 200), content(60, 100));
        for (uint64_t obj = 1; obj <= 3; ++obj) {
            EXPECT_EQ(readObject(s, obj, 200), content(obj, 100));
        }
        EXPECT_EQ(fs::file_size(first), 3u * 136u) << "sealed: its three records, no zeros after them";
    }
}

// A power loss after a removal can keep the hole punched in the record's data but lose
// its (unsynced) dead mark: the record after it must not be taken for a torn end.
TEST_F(LocalFsLayoutTest, ARemovedRecordWhoseDeadMarkWasLostIsNotTheEnd) {
    {
        Store s(root_.string());
        ASSERT_TRUE(s.ok());
        for (uint64_t obj = 1; obj <= 3; ++obj) {
            writeObject(s, obj, content(obj, 100));  // records of 32 + 104 bytes
        }
    }
    overwrite(segments(root_).back(), 136 + 32, std::string(104, '\0'));  // 2's data punched, header live
    Store s(root_.string());
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(readObject(s, 1, 200), content(1, 100));
    EXPECT_EQ(readObject(s, 2, 200), "");
    EXPECT_EQ(readObject(s, 3, 200), content(3, 100)) << "the record after it is kept";
}

// A full segment is sealed: cut to its records (no zeros after them) and synced before
// the next one takes the appends.
TEST_F(LocalFsLayoutTest, AFullSegmentIsSealedToItsRecords) {
    Store s(root_.string(), {{"pack_segment_size", "16384"}});
    ASSERT_TRUE(s.ok());
    for (uint64_t obj = 1; obj <= 12; ++obj) {
        writeObject(s, obj, content(obj, 3000));  // records of 32 + 3000 bytes
    }
    const auto segs = segments(root_);
    ASSERT_GE(segs.size(), 3u);
    for (size_t i = 0; i + 1 < segs.size(); ++i) {
        EXPECT_EQ(fs::file_size(segs[i]), 5u * 3032u) << segs[i];  // five fit in 16 KiB
    }
    EXPECT_GE(fs::file_size(segs.back()), 1024u * 1024u) << "the current one has zeros ahead";
}

TEST_F(LocalFsLayoutTest, TheRecordWinsOverAFileLeftByAnInterruptedMove) {
    {
        Store s(root_.string());
        ASSERT_TRUE(s.ok());
        writeObject(s, 7, "the packed bytes");
    }
    // A crash after the move wrote the file but before the record was marked dead.
    fs::create_directories(root_ / "0" / "00");
    std::ofstream(objectPath(root_, 7)) << "a longer file from the interrupted move";
    Store s(root_.string());
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(readObject(s, 7, 64), "the packed bytes");
    writeObject(s, 7, "!", 16, DFS_UNSTABLE);
    EXPECT_EQ(readObject(s, 7, 64), "the packed bytes!");
    ASSERT_TRUE(s->remove(7).ok());
    EXPECT_FALSE(fs::exists(objectPath(root_, 7)));
    EXPECT_EQ(readObject(s, 7, 64), "");
}

// A process killed while packing (the guarantee every call gives: durable against a
// crash of the process once it returns; power loss needs a machine to pull the plug on):
// every write it acknowledged reads back whole and the store opens again.
TEST_F(LocalFsLayoutTest, AKilledWriterLosesNoAcknowledgedObject) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        Store s(root_.string());
        for (uint64_t obj = 1;; ++obj) {
            if (!s.ok() || !s->write(obj, 0, dfs::toBytes(content(obj, 1 + obj % 9000)), DFS_FILE_SYNC).ok()) {
                ::_exit(1);
            }
            if (::write(fds[1], &obj, sizeof obj) != sizeof obj) {
                ::_exit(1);
            }
        }
    }
    ::close(fds[1]);
    uint64_t acked = 0;
    uint64_t obj = 0;
    while (acked < 300 && ::read(fds[0], &obj, sizeof obj) == sizeof obj) {
        acked = obj;
    }
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ::close(fds[0]);
    ASSERT_EQ(acked, 300u);
    Store s(root_.string());
    ASSERT_TRUE(s.ok());
    for (uint64_t o = 1; o <= acked; ++o) {
        ASSERT_EQ(readObject(s, o, 10000), content(o, 1 + o % 9000)) << o;
    }
}

// A new object's packed first write racing another write to it: whichever comes first,
// both writes' bytes are there (the other write moves the object out of the pack, or
// finds its file, under the same lock that packing takes).
TEST_F(LocalFsLayoutTest, AWriteRacingAPackedFirstWriteKeepsBoth) {
    Store s(root_.string());
    ASSERT_TRUE(s.ok());
    constexpr uint64_t kObjects = 500;
    std::barrier start(2);  // both writes to each object begin together
    std::thread tail([&] {
        for (uint64_t obj = 1; obj <= kObjects; ++obj) {
            start.arrive_and_wait();
            writeObject(s, obj, "tail", 100, DFS_UNSTABLE);
        }
    });
    for (uint64_t obj = 1; obj <= kObjects; ++obj) {
        start.arrive_and_wait();
        writeObject(s, obj, "head");
    }
    tail.join();
    for (uint64_t obj = 1; obj <= kObjects; ++obj) {
        const std::string got = readObject(s, obj, 200);
        ASSERT_EQ(got, "head" + std::string(96, '\0') + "tail") << obj;
    }
}

TEST_F(LocalFsLayoutTest, PackingSettingsAreChecked) {
    EXPECT_FALSE(Store((root_ / "a").string(), {{"pack_max", "2000000"}}).ok());
    EXPECT_FALSE(Store((root_ / "b").string(), {{"pack_max", "lots"}}).ok());
    EXPECT_FALSE(Store((root_ / "c").string(), {{"pack_segment_size", "100"}}).ok());
    Store s((root_ / "d").string(), {{"pack_max", "10"}});
    ASSERT_TRUE(s.ok());
    writeObject(s, 1, "0123456789");
    writeObject(s, 2, "0123456789A");
    EXPECT_EQ(objectFiles(root_ / "d"), 1u) << "only the 11-byte object has a file";
}

// Lending (lend): from mappings of the object files only. Packed objects and reads
// across a 64 MiB window are read instead; map_windows = 0 lends nothing.
TEST_F(LocalFsLayoutTest, OnlyObjectFilesAreLentAndOnlyWithinAWindow) {
    Store s(root_.string());
    ASSERT_TRUE(s.ok());
    writeObject(s, 1, "packed, small");
    EXPECT_EQ(s->lend(1, 0, 13).code(), DFS_ERR_NOTSUPP) << "a packed object is read from its segment";
    const std::string big(100000, 'b');
    writeObject(s, 2, big, 0, DFS_UNSTABLE);
    auto l = s->lend(2, 10, 200000);
    ASSERT_TRUE(l.ok()) << dfs::statusName(l.code());
    EXPECT_EQ(l->size(), 99990u) << "up to the end of the file";
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(l->data()), 10), std::string(10, 'b'));
    // Grown after it was mapped: the new bytes are lent too.
    writeObject(s, 2, "tail", 3u << 20, DFS_UNSTABLE);
    auto grown = s->lend(2, 3u << 20, 100);
    ASSERT_TRUE(grown.ok());
    ASSERT_EQ(grown->size(), 4u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(grown->data()), 4), "tail");
    // Across the first window's end: lent up to it only (the caller reads the rest).
    const uint64_t edge = uint64_t{64} << 20;
    writeObject(s, 2, "edge", edge + 10, DFS_UNSTABLE);
    auto across = s->lend(2, edge - 4096, 8192);
    ASSERT_TRUE(across.ok());
    EXPECT_EQ(across->size(), 4096u);
    auto beyond = s->lend(2, edge + 10, 4);
    ASSERT_TRUE(beyond.ok());
    ASSERT_EQ(beyond->size(), 4u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(beyond->data()), 4), "edge");

    Store off((root_ / "off").string(), {{"map_windows", "0"}});
    ASSERT_TRUE(off.ok());
    writeObject(off, 2, big, 0, DFS_UNSTABLE);
    EXPECT_EQ(off->lend(2, 0, 100).code(), DFS_ERR_NOTSUPP);
    EXPECT_FALSE(Store((root_ / "bad").string(), {{"map_windows", "many"}}).ok());
}

// How many pages of [offset, offset + len) of a file are in the page cache.
size_t residentPages(const fs::path& p, uint64_t offset, size_t len) {
    const int fd = ::open(p.c_str(), O_RDONLY);
    EXPECT_GE(fd, 0) << p;
    void* m = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(offset));
    ::close(fd);
    EXPECT_NE(m, MAP_FAILED);
    const size_t pages = len / 4096;
    std::vector<unsigned char> in(pages);
    EXPECT_EQ(::mincore(m, len, in.data()), 0);
    ::munmap(m, len);
    return static_cast<size_t>(std::count_if(in.begin(), in.end(), [](unsigned char c) { return (c & 1) != 0; }));
}

// Whether this kernel writes uncached to files in `dir` (RWF_DONTCACHE, Linux 6.14).
bool kernelWritesUncached(const fs::path& dir) {
    const fs::path probe = dir / "probe";
    const int fd = ::open(probe.c_str(), O_CREAT | O_WRONLY, 0600);
    char byte = 'p';
    iovec v{&byte, 1};
    const bool ok = ::pwritev2(fd, &v, 1, 0, 0x80) == 1;
    ::close(fd);
    fs::remove(probe);
    return ok;
}

// uncached_write_min: writes at least that large leave the page cache once written back
// (where the kernel can write uncached), smaller ones stay; both read back whole; 0 keeps
// every write cached.
TEST_F(LocalFsLayoutTest, LargeWritesDoNotStayInThePageCache) {
    const bool uncached = kernelWritesUncached(dir_);
    const std::string big(2u << 20, 'L');
    const std::string small(256u << 10, 's');
    Store s(root_.string(), kNoPacking);
    ASSERT_TRUE(s.ok());
    writeObject(s, 1, big, 0, DFS_UNSTABLE);
    writeObject(s, 1, small, 4u << 20, DFS_UNSTABLE);
    ASSERT_TRUE(s->flush(1).ok());
    // (The kernel drops a page written uncached only if it can lock it as its writeback
    // ends: a few may stay.)
    const size_t resident = residentPages(objectPath(root_, 1), 0, big.size());
    if (uncached) {
        EXPECT_LE(resident, big.size() / 4096 / 8) << "written uncached";
    } else {
        EXPECT_EQ(resident, big.size() / 4096) << "this kernel cannot write uncached: cached";
    }
    EXPECT_EQ(residentPages(objectPath(root_, 1), 4u << 20, small.size()), small.size() / 4096);
    EXPECT_EQ(readObject(s, 1, big.size()), big);
    EXPECT_EQ(readObject(s, 1, small.size(), 4u << 20), small);

    Store cached((root_ / "cached").string(), {{"pack_max", "0"}, {"uncached_write_min", "0"}});
    ASSERT_TRUE(cached.ok());
    writeObject(cached, 1, big, 0, DFS_UNSTABLE);
    ASSERT_TRUE(cached->flush(1).ok());
    EXPECT_EQ(residentPages(objectPath(root_ / "cached", 1), 0, big.size()), big.size() / 4096);
    EXPECT_FALSE(Store((root_ / "bad").string(), {{"uncached_write_min", "big"}}).ok());
}

// Half-block writes in flight together (a client streaming 1 MiB calls: the store
// gathers pairs into 2 MiB writes, write_gather.hpp): every byte lands where its call put
// it, whichever calls were paired and in whichever order they came.
TEST_F(LocalFsLayoutTest, HalfBlockWritesInFlightTogetherReadBackInOrder) {
    Store s(root_.string(), {{"write_gather_us", "1000000"}});
    ASSERT_TRUE(s.ok());
    constexpr uint64_t kHalf = uint64_t{1} << 20;
    constexpr int kCalls = 8;  // blocks 0 to 3
    std::vector<std::string> halves;
    for (int i = 0; i < kCalls; ++i) {
        halves.push_back(std::string(kHalf, static_cast<char>('A' + i)));
        halves.back()[0] = '<';
        halves.back()[kHalf - 1] = '>';
    }
    std::barrier start(kCalls);
    std::vector<std::thread> writers;
    for (int i = kCalls - 1; i >= 0; --i) {
        writers.emplace_back([&, i] {
            start.arrive_and_wait();
            writeObject(s, 3, halves[i], i * kHalf, i % 3 == 0 ? DFS_FILE_SYNC : DFS_UNSTABLE);
        });
    }
    for (auto& t : writers) {
        t.join();
    }
    const std::string got = readObject(s, 3, kCalls * kHalf + 10);
    ASSERT_EQ(got.size(), kCalls * kHalf);
    for (int i = 0; i < kCalls; ++i) {
        EXPECT_TRUE(got.compare(i * kHalf, kHalf, halves[i]) == 0) << "half " << i;
    }
    EXPECT_FALSE(Store((root_ / "a").string(), {{"write_gather_us", "soon"}}).ok());
    EXPECT_FALSE(Store((root_ / "b").string(), {{"write_gather_us", "2000000"}}).ok());
}

}  // namespace
