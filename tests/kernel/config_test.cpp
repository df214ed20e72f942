#include "src/config.hpp"
#include "src/netaddr.hpp"

#include <gtest/gtest.h>

namespace dfs::kernel {
namespace {

std::optional<Config> parse(const std::string& text, std::string* error = nullptr) {
    ConfigError e;
    auto c = parseConfig(text, "test.toml", e);
    if (error != nullptr) {
        *error = e.message;
    }
    return c;
}

const char* kGood = R"(
[server]
data_dir = "/var/lib/dittofs"
plugin_dirs = ["/opt/plugins"]
log_level = "debug"
workers = 8

[rpc]
portmapper = "system"
rpcbind_socket = "/var/run/rpcbind.sock"

[metadata.main]
plugin = "sqlite"
path = "meta.db"
synchronous = "full"
cache_pages = 2000

[blocks.main]
plugin = "localfs"
root = "/srv/blocks"

[[share]]
name = "home"
path = "/home"
metadata = "main"
blocks = "main"
read_only = true
squash = "all"
anonuid = 1001
anongid = 1002
clients = ["10.0.0.0/8", "::1"]

[protocol.nfs3]
enabled = false
port = 2049
)";

TEST(ConfigTest, ParsesEverySection) {
    std::string err;
    auto c = parse(kGood, &err);
    ASSERT_TRUE(c) << err;
    EXPECT_EQ(c->server.dataDir, "/var/lib/dittofs");
    EXPECT_EQ(c->server.pluginDirs, std::vector<std::string>{"/opt/plugins"});
    EXPECT_EQ(c->server.logLevel, "debug");
    EXPECT_EQ(c->server.workers, 8u);
    EXPECT_EQ(c->rpc.portmapper, "system");
    EXPECT_EQ(c->rpc.rpcbindSocket, "/var/run/rpcbind.sock");
    ASSERT_EQ(c->metadata.count("main"), 1u);
    EXPECT_EQ(c->metadata.at("main").plugin, "sqlite");
    EXPECT_EQ(c->metadata.at("main").params.at("path"), "meta.db");
    EXPECT_EQ(c->metadata.at("main").params.at("cache_pages"), "2000");
    EXPECT_EQ(c->blocks.at("main").params.at("root"), "/srv/blocks");
    ASSERT_EQ(c->shares.size(), 1u);
    const auto& s = c->shares[0];
    EXPECT_EQ(s.name, "home");
    EXPECT_TRUE(s.readOnly);
    EXPECT_EQ(s.squash, Squash::all);
    EXPECT_EQ(s.anonUid, 1001u);
    EXPECT_EQ(s.anonGid, 1002u);
    EXPECT_EQ(s.clients.size(), 2u);
    ASSERT_EQ(c->services.count("protocol.nfs3"), 1u);
    EXPECT_FALSE(c->services.at("protocol.nfs3").enabled);
    EXPECT_EQ(c->services.at("protocol.nfs3").params.at("port"), "2049");
}

TEST(ConfigTest, NonAsciiInStringsAndCommentsIsFine) {
    std::string err;
    auto c = parse("# caf\xc3\xa9\n[server]\nlog_file = \"/var/log/caf\xc3\xa9 \\\" \xc3\xa9\"\n"
                   "data_dir = \'\'\'/srv/d\xc3\xa9j\xc3\xa0\'\'\'\n",
                   &err);
    ASSERT_TRUE(c) << err;
    EXPECT_EQ(c->server.logFile, "/var/log/caf\xc3\xa9 \" \xc3\xa9");
    EXPECT_EQ(c->server.dataDir, "/srv/d\xc3\xa9j\xc3\xa0");
}

TEST(ConfigTest, EmbeddedDefaultIsValid) {
    Config c = defaultConfig();
    EXPECT_EQ(validateConfig(c), "");
    ASSERT_EQ(c.shares.size(), 1u);
    EXPECT_EQ(c.shares[0].path, "/export");
    EXPECT_EQ(c.metadata.at(c.shares[0].metadata).plugin, "sqlite");
    EXPECT_EQ(c.blocks.at(c.shares[0].blocks).plugin, "localfs");
    EXPECT_EQ(c.server.dataDir, "./data");
    EXPECT_EQ(c.shares[0].squash, Squash::none);
    EXPECT_EQ(c.shares[0].clients, (std::vector<std::string>{"127.0.0.0/8", "::1"}));
    EXPECT_EQ(c.services.count("auth.unix"), 1u);
    EXPECT_EQ(c.services.count("protocol.nfs3"), 1u);
    EXPECT_EQ(c.services.count("protocol.nlm"), 1u);
}

struct BadCase {
    const char* text;
    const char* expect;  // substring of the message
};

class ConfigErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigErrorTest, RejectsWithAClearMessage) {
    std::string err;
    auto c = parse(GetParam().text, &err);
    EXPECT_FALSE(c);
    EXPECT_NE(err.find(GetParam().expect), std::string::npos) << err;
}

INSTANTIATE_TEST_SUITE_P(
    Bad, ConfigErrorTest,
    ::testing::Values(
        BadCase{"[server\n", "test.toml:1"},
        BadCase{"[server]\nworkers = 0\n", "server.workers"},
        BadCase{"[server]\n[\x16metadata.m]\n", "test.toml:2: control character 0x16"},
        BadCase{"[server]\nlog_file\xc2\xa1 = \"x\"\n", "test.toml:2: non-ASCII character outside a string"},
        BadCase{"[server]\nbogus = 1\n", "unknown key 'bogus'"},
        BadCase{"[server]\nlog_level = \"loud\"\n", "log_level"},
        BadCase{"[rpc]\nportmapper = \"kernel\"\n", "rpc.portmapper must be \"auto\", \"builtin\" or \"system\""},
        BadCase{"[metadata.m]\npath = \"x\"\n", "needs plugin"},
        BadCase{"[[share]]\nname=\"a\"\npath=\"/a\"\nmetadata=\"m\"\nblocks=\"b\"\n", "names no [metadata.m]"},
        BadCase{"[metadata.m]\nplugin=\"mem\"\n[blocks.b]\nplugin=\"mem\"\n[[share]]\nname=\"a\"\npath=\"a\"\nmetadata=\"m\"\nblocks=\"b\"\n",
                "must start with '/'"},
        BadCase{"[metadata.m]\nplugin=\"mem\"\n[blocks.b]\nplugin=\"mem\"\n[[share]]\nname=\"a\"\npath=\"/a/../b\"\nmetadata=\"m\"\nblocks=\"b\"\n",
                "normalised"},
        BadCase{"[metadata.m]\nplugin=\"mem\"\n[blocks.b]\nplugin=\"mem\"\n[[share]]\nname=\"a\"\npath=\"/a\"\nmetadata=\"m\"\nblocks=\"b\"\n"
                "[[share]]\nname=\"a\"\npath=\"/b\"\nmetadata=\"m\"\nblocks=\"b\"\n",
                "two shares are named 'a'"},
        BadCase{"[metadata.m]\nplugin=\"mem\"\n[blocks.b]\nplugin=\"mem\"\n[[share]]\nname=\"a\"\npath=\"/a\"\nmetadata=\"m\"\nblocks=\"b\"\nclients=[\"10.0.0.0/33\"]\n",
                "not an address or network"},
        BadCase{"[metadata.m]\nplugin=\"mem\"\n[blocks.b]\nplugin=\"mem\"\n[[share]]\nname=\"a\"\npath=\"/a\"\nmetadata=\"m\"\nblocks=\"b\"\nsquash=\"some\"\n",
                "squash"}));

TEST(NetworkTest, MatchesIpv4AndIpv6) {
    Network n;
    ASSERT_TRUE(parseNetwork("10.1.0.0/16", n));
    std::array<uint8_t, 16> a{};
    ASSERT_TRUE(parseAddress("10.1.200.3", a));
    EXPECT_TRUE(networkContains(n, a));
    ASSERT_TRUE(parseAddress("10.2.0.1", a));
    EXPECT_FALSE(networkContains(n, a));
    ASSERT_TRUE(parseNetwork("::1", n));
    ASSERT_TRUE(parseAddress("::1", a));
    EXPECT_TRUE(networkContains(n, a));
    ASSERT_TRUE(parseAddress("127.0.0.1", a));
    EXPECT_FALSE(networkContains(n, a));
    ASSERT_TRUE(parseNetwork("0.0.0.0/0", n));
    EXPECT_TRUE(networkContains(n, a));
    EXPECT_FALSE(parseNetwork("10.0.0.0/", n));
    EXPECT_FALSE(parseNetwork("300.1.1.1", n));
    EXPECT_FALSE(parseNetwork("::1/129", n));
}

}  // namespace
}  // namespace dfs::kernel
