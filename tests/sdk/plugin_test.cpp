#include <dittofs/cpp/fake_host.hpp>
#include <dittofs/cpp/plugin.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

namespace dfs {
namespace {

TEST(GuardTest, StopsExceptionsAtTheBoundary) {
    FakeHost fake;
    Host host(fake.api());
    dfs_err_t e = guard(host, "op", []() -> Status { throw std::runtime_error("bad"); });
    EXPECT_EQ(e.code, DFS_ERR_SERVERFAULT);
    EXPECT_GE(fake.logLines(), 1u);
    e = guard(host, "op", []() -> Status { throw std::bad_alloc(); });
    EXPECT_EQ(e.code, DFS_ERR_NOMEM);
    e = guard(host, "op", []() -> Status { throw 42; });
    EXPECT_EQ(e.code, DFS_ERR_SERVERFAULT);
    e = guard(host, "op", []() -> Result<int> { return 7; });
    EXPECT_EQ(e.code, DFS_OK);
}

TEST(ConfigTest, ReadsTypedValues) {
    dfs_kv_t items[] = {{toC("path"), toC("/x")}, {toC("n"), toC("42")}, {toC("bad"), toC("4x")},
                        {toC("on"), toC("true")}};
    auto c = makeStruct<dfs_config_t>();
    c.count = 4;
    c.items = items;
    Config cfg(&c);
    EXPECT_EQ(cfg.get("path"), "/x");
    EXPECT_EQ(cfg.get("missing", "d"), "d");
    EXPECT_EQ(cfg.getUint("n").value_or(0), 42u);
    EXPECT_FALSE(cfg.getUint("bad").has_value());
    EXPECT_TRUE(cfg.getBool("on", false));
    EXPECT_TRUE(cfg.has("n"));
    EXPECT_FALSE(cfg.has("nope"));
}

TEST(HostTest, NowComesFromTheHost) {
    FakeHost fake;
    Host h(fake.api());
    EXPECT_TRUE(h.valid());
    EXPECT_GT(h.now().sec, 1700000000);
    Host none;
    EXPECT_FALSE(none.valid());
    EXPECT_GT(none.now().sec, 1700000000);  // falls back to the clock
}

}  // namespace
}  // namespace dfs
