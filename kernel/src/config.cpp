#include "config.hpp"

#include "netaddr.hpp"

// toml++ 3.3 asserts that a key starts with a key character and then handles the opposite
// case with a proper parse error (parser.inl, parse_key); the assertion is wrong, and a
// config file is input we must refuse, not abort on. This is the only file that includes
// toml++, so building it without the library's assertions changes nothing else.
#pragma push_macro("NDEBUG")
#ifndef NDEBUG
#define NDEBUG 1
#endif
#include <toml++/toml.h>
#pragma pop_macro("NDEBUG")

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

namespace dfs::kernel {
namespace {

std::string valueToString(const toml::node& n) {
    if (auto s = n.value<std::string>()) {
        return *s;
    }
    if (auto b = n.value<bool>(); b && n.is_boolean()) {
        return *b ? "true" : "false";
    }
    if (auto i = n.value<int64_t>(); i && n.is_integer()) {
        return std::to_string(*i);
    }
    if (auto d = n.value<double>(); d && n.is_floating_point()) {
        std::ostringstream os;
        os << *d;
        return os.str();
    }
    throw std::runtime_error("unsupported value type (strings, integers, booleans, floats only)");
}

std::vector<std::string> stringList(const toml::node_view<const toml::node>& v, const std::string& what) {
    std::vector<std::string> out;
    if (!v) {
        return out;
    }
    const auto* arr = v.as_array();
    if (arr == nullptr) {
        throw std::runtime_error(what + " must be an array of strings");
    }
    for (const auto& e : *arr) {
        auto s = e.value<std::string>();
        if (!s) {
            throw std::runtime_error(what + " must be an array of strings");
        }
        out.push_back(*s);
    }
    return out;
}

template <typename T>
T intValue(const toml::node_view<const toml::node>& v, T def, const std::string& what, int64_t lo, int64_t hi) {
    if (!v) {
        return def;
    }
    auto i = v.value<int64_t>();
    if (!i || !v.is_integer() || *i < lo || *i > hi) {
        throw std::runtime_error(what + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    return static_cast<T>(*i);
}

bool boolValue(const toml::node_view<const toml::node>& v, bool def, const std::string& what) {
    if (!v) {
        return def;
    }
    if (!v.is_boolean()) {
        throw std::runtime_error(what + " must be true or false");
    }
    return *v.value<bool>();
}

std::string strValue(const toml::node_view<const toml::node>& v, const std::string& def, const std::string& what) {
    if (!v) {
        return def;
    }
    if (!v.is_string()) {
        throw std::runtime_error(what + " must be a string");
    }
    return *v.value<std::string>();
}

void parseStores(const toml::table& root, const char* section, dfs_plugin_kind_t kind,
                 std::map<std::string, StoreConfig>& out) {
    const auto* t = root[section].as_table();
    if (root[section] && t == nullptr) {
        throw std::runtime_error(std::string("[") + section + "] must be a table of store instances");
    }
    if (t == nullptr) {
        return;
    }
    for (const auto& [key, node] : *t) {
        const auto* inst = node.as_table();
        std::string name(key.str());
        if (inst == nullptr) {
            throw std::runtime_error(std::string(section) + "." + name + " must be a table");
        }
        StoreConfig sc;
        sc.name = name;
        sc.kind = kind;
        for (const auto& [k, v] : *inst) {
            std::string ks(k.str());
            if (ks == "plugin") {
                if (!v.is_string()) {
                    throw std::runtime_error(std::string(section) + "." + name + ".plugin must be a string");
                }
                sc.plugin = *v.value<std::string>();
            } else {
                try {
                    sc.params[ks] = valueToString(v);
                } catch (const std::exception& e) {
                    throw std::runtime_error(std::string(section) + "." + name + "." + ks + ": " + e.what());
                }
            }
        }
        if (sc.plugin.empty()) {
            throw std::runtime_error(std::string(section) + "." + name + " needs plugin = \"...\"");
        }
        out[name] = sc;
    }
}

void parseServices(const toml::table& root, const char* section, dfs_plugin_kind_t kind,
                   std::map<std::string, ServiceConfig>& out) {
    const auto* t = root[section].as_table();
    if (t == nullptr) {
        if (root[section]) {
            throw std::runtime_error(std::string("[") + section + "] must be a table");
        }
        return;
    }
    for (const auto& [key, node] : *t) {
        const auto* inst = node.as_table();
        std::string name(key.str());
        std::string where = std::string(section) + "." + name;
        if (inst == nullptr) {
            throw std::runtime_error(where + " must be a table");
        }
        ServiceConfig sc;
        sc.name = name;
        sc.kind = kind;
        sc.plugin = name;
        for (const auto& [k, v] : *inst) {
            std::string ks(k.str());
            if (ks == "plugin") {
                sc.plugin = strValue(toml::node_view<const toml::node>(&v), name, where + ".plugin");
            } else if (ks == "enabled") {
                sc.enabled = boolValue(toml::node_view<const toml::node>(&v), true, where + ".enabled");
            } else {
                try {
                    sc.params[ks] = valueToString(v);
                } catch (const std::exception& e) {
                    throw std::runtime_error(where + "." + ks + ": " + e.what());
                }
            }
        }
        out[std::string(section) + "." + name] = sc;
    }
}

Squash parseSquash(const std::string& s, const std::string& where) {
    if (s == "none") {
        return Squash::none;
    }
    if (s == "root") {
        return Squash::root;
    }
    if (s == "all") {
        return Squash::all;
    }
    throw std::runtime_error(where + ".squash must be \"none\", \"root\" or \"all\"");
}

void checkKnownKeys(const toml::table& t, std::initializer_list<std::string_view> known, const std::string& where) {
    for (const auto& [k, v] : t) {
        bool ok = false;
        for (auto n : known) {
            ok = ok || k.str() == n;
        }
        if (!ok) {
            throw std::runtime_error(where + ": unknown key '" + std::string(k.str()) + "'");
        }
    }
}

Config fromToml(const toml::table& root) {
    Config c;
    checkKnownKeys(root, {"server", "metadata", "blocks", "share", "protocol", "auth"}, "config");
    if (const auto* s = root["server"].as_table()) {
        checkKnownKeys(*s, {"data_dir", "plugin_dirs", "log_level", "log_file", "workers", "io_threads", "queue_limit"},
                       "[server]");
        toml::node_view<const toml::node> sv(s);
        c.server.dataDir = strValue(sv["data_dir"], c.server.dataDir, "server.data_dir");
        c.server.pluginDirs = stringList(sv["plugin_dirs"], "server.plugin_dirs");
        c.server.logLevel = strValue(sv["log_level"], c.server.logLevel, "server.log_level");
        c.server.logFile = strValue(sv["log_file"], "", "server.log_file");
        c.server.workers = intValue<uint32_t>(sv["workers"], c.server.workers, "server.workers", 1, 1024);
        c.server.ioThreads = intValue<uint32_t>(sv["io_threads"], c.server.ioThreads, "server.io_threads", 1, 64);
        c.server.queueLimit =
            intValue<uint32_t>(sv["queue_limit"], c.server.queueLimit, "server.queue_limit", 16, 1 << 20);
    } else if (root["server"]) {
        throw std::runtime_error("[server] must be a table");
    }
    parseStores(root, "metadata", DFS_PLUGIN_METADATA_STORE, c.metadata);
    parseStores(root, "blocks", DFS_PLUGIN_BLOCK_STORE, c.blocks);
    parseServices(root, "protocol", DFS_PLUGIN_PROTOCOL, c.services);
    parseServices(root, "auth", DFS_PLUGIN_AUTH, c.services);
    if (auto shares = root["share"]; shares) {
        const auto* arr = shares.as_array();
        if (arr == nullptr) {
            throw std::runtime_error("share must be an array of tables: [[share]]");
        }
        size_t idx = 0;
        for (const auto& n : *arr) {
            const auto* t = n.as_table();
            std::string where = "share[" + std::to_string(idx++) + "]";
            if (t == nullptr) {
                throw std::runtime_error(where + " must be a table");
            }
            checkKnownKeys(*t,
                           {"name", "path", "metadata", "blocks", "read_only", "squash", "anonuid", "anongid",
                            "clients", "protocols"},
                           where);
            toml::node_view<const toml::node> v(t);
            ShareConfig s;
            s.name = strValue(v["name"], "", where + ".name");
            s.path = strValue(v["path"], "", where + ".path");
            if (s.name.empty() && !s.path.empty()) {
                s.name = s.path.substr(s.path.find_last_of('/') + 1);
            }
            s.metadata = strValue(v["metadata"], "", where + ".metadata");
            s.blocks = strValue(v["blocks"], "", where + ".blocks");
            s.readOnly = boolValue(v["read_only"], false, where + ".read_only");
            s.squash = parseSquash(strValue(v["squash"], "root", where + ".squash"), where);
            s.anonUid = intValue<uint32_t>(v["anonuid"], 65534, where + ".anonuid", 0, UINT32_MAX);
            s.anonGid = intValue<uint32_t>(v["anongid"], 65534, where + ".anongid", 0, UINT32_MAX);
            s.clients = stringList(v["clients"], where + ".clients");
            s.protocols = stringList(v["protocols"], where + ".protocols");
            c.shares.push_back(s);
        }
    }
    return c;
}

}  // namespace

std::string validateConfig(const Config& c) {
    static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error", "critical"};
    if (levels.count(c.server.logLevel) == 0) {
        return "server.log_level must be one of trace, debug, info, warn, error, critical";
    }
    if (c.server.dataDir.empty()) {
        return "server.data_dir must not be empty";
    }
    std::set<std::string> names;
    std::set<std::string> paths;
    for (const auto& s : c.shares) {
        std::string where = "share '" + s.name + "'";
        if (s.name.empty()) {
            return "every share needs a name or a path";
        }
        if (s.path.empty() || s.path[0] != '/') {
            return where + ": path must start with '/'";
        }
        if (s.path.size() > 1 && s.path.back() == '/') {
            return where + ": path must not end with '/'";
        }
        if (s.path.find("//") != std::string::npos || s.path.find("/./") != std::string::npos ||
            s.path.find("/../") != std::string::npos || s.path.ends_with("/..") || s.path.ends_with("/.")) {
            return where + ": path must be normalised (no //, . or ..)";
        }
        if (!names.insert(s.name).second) {
            return "two shares are named '" + s.name + "'";
        }
        if (!paths.insert(s.path).second) {
            return "two shares have the path '" + s.path + "'";
        }
        if (c.metadata.count(s.metadata) == 0) {
            return where + ": metadata = '" + s.metadata + "' names no [metadata." + s.metadata + "] section";
        }
        if (c.blocks.count(s.blocks) == 0) {
            return where + ": blocks = '" + s.blocks + "' names no [blocks." + s.blocks + "] section";
        }
        for (const auto& net : s.clients) {
            Network n;
            if (!parseNetwork(net, n)) {
                return where + ": '" + net + "' is not an address or network (e.g. 10.0.0.0/8, ::1)";
            }
        }
        for (const auto& p : s.protocols) {
            if (c.services.count("protocol." + p) == 0 && p != "nfs3" && p != "nfs4" && p != "smb") {
                return where + ": protocol '" + p + "' is not configured";
            }
        }
    }
    return {};
}

namespace {

// Characters TOML 1.0 never allows, refused before the parser sees them: raw control
// characters anywhere (only tab, LF and CR may appear unescaped), and non-ASCII bytes
// outside strings and comments (keys, values and whitespace are ASCII). Besides giving a
// clear message, this keeps such input away from toml++ 3.3 code paths that reach
// __builtin_unreachable on it (non-ASCII whitespace classification) or assert.
std::string findForbiddenCharacter(const std::string& text) {
    enum class In { code, comment, basic, literal, mlBasic, mlLiteral };
    In in = In::code;
    size_t line = 1;
    auto at = [&](size_t i, std::string_view w) { return text.compare(i, w.size(), w) == 0; };
    for (size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
            char buf[64];
            std::snprintf(buf, sizeof buf, ":%zu: control character 0x%02x is not allowed", line, c);
            return buf;
        }
        if (c == '\n') {
            ++line;
        }
        switch (in) {
        case In::code:
            if (c >= 0x80) {
                return ":" + std::to_string(line) + ": non-ASCII character outside a string or comment";
            }
            if (c == '#') {
                in = In::comment;
            } else if (at(i, "\"\"\"")) {
                in = In::mlBasic;
                i += 2;
            } else if (at(i, "'''")) {
                in = In::mlLiteral;
                i += 2;
            } else if (c == '"') {
                in = In::basic;
            } else if (c == '\'') {
                in = In::literal;
            }
            break;
        case In::comment:
            in = c == '\n' ? In::code : in;
            break;
        case In::basic:
            if (c == '\\') {
                ++i;  // an escaped character never ends the string
            } else if (c == '"' || c == '\n') {
                in = In::code;
            }
            break;
        case In::literal:
            in = (c == '\'' || c == '\n') ? In::code : in;
            break;
        case In::mlBasic:
            if (c == '\\') {
                ++i;
            } else if (at(i, "\"\"\"")) {
                in = In::code;
                i += 2;
            }
            break;
        case In::mlLiteral:
            if (at(i, "'''")) {
                in = In::code;
                i += 2;
            }
            break;
        }
    }
    return {};
}

}  // namespace

std::optional<Config> parseConfig(const std::string& text, const std::string& origin, ConfigError& err) {
    if (std::string bad = findForbiddenCharacter(text); !bad.empty()) {
        err.message = origin + bad;
        return std::nullopt;
    }
    try {
        toml::table root = toml::parse(text, origin);
        Config c = fromToml(root);
        c.source = origin;
        std::string v = validateConfig(c);
        if (!v.empty()) {
            err.message = origin + ": " + v;
            return std::nullopt;
        }
        return c;
    } catch (const toml::parse_error& e) {
        std::ostringstream os;
        os << origin << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
        err.message = os.str();
    } catch (const std::exception& e) {
        err.message = origin + ": " + e.what();
    }
    return std::nullopt;
}

std::optional<Config> loadConfigFile(const std::string& path, ConfigError& err) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        err.message = path + ": cannot read the file";
        return std::nullopt;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return parseConfig(ss.str(), path, err);
}

Config defaultConfig() {
    Config c;
    StoreConfig meta;
    meta.name = "default";
    meta.kind = DFS_PLUGIN_METADATA_STORE;
    meta.plugin = "sqlite";
    meta.params["path"] = "metadata.db";
    c.metadata[meta.name] = meta;
    StoreConfig blocks;
    blocks.name = "default";
    blocks.kind = DFS_PLUGIN_BLOCK_STORE;
    blocks.plugin = "localfs";
    blocks.params["root"] = "blocks";
    c.blocks[blocks.name] = blocks;
    ShareConfig share;
    share.name = "export";
    share.path = "/export";
    share.metadata = "default";
    share.blocks = "default";
    c.shares.push_back(share);
    c.source = "embedded default";
    return c;
}

}  // namespace dfs::kernel
