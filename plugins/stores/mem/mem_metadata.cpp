// DittoFS reference metadata store `mem`: the whole namespace in memory.
//
// `mem` is the executable reading of the metadata contract in <dittofs/abi/store.h>: every
// slot is implemented, plainly, so that the conformance kit, the kernel's tests and vendors
// writing their own store have one implementation to compare against. Nothing survives a
// restart; everything else (cookies, change counters, never-reused inode numbers) behaves as
// a durable store must.
//
// Concurrency: one std::shared_mutex for the whole namespace. Calls that only read take it
// shared; calls that change anything take it exclusively, which makes each call atomic as the
// contract demands (a rename checks and commits under the same lock).
//
// Config keys (all optional): root_uid, root_gid, root_mode (decimal, or octal with a
// leading 0). `data_dir`, which the kernel passes to every store, is accepted and unused;
// any other key is refused so that a typo does not pass silently.
#include <dittofs/cpp/attr.hpp>
#include <dittofs/cpp/store.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

using dfs::makeError;
using dfs::Result;
using dfs::Status;

constexpr uint64_t kRootIno = 1;
constexpr uint32_t kMaxLinks = 65000;
// Reported as the file limit: mem has none, and the client default uses the same value.
constexpr uint64_t kTotalFiles = UINT64_MAX / 2;
// Entries copied per lock hold in readdir, so the sink runs without the lock and a large
// directory does not block writers for the whole listing.
constexpr size_t kReaddirBatch = 128;

struct Entry {
    uint64_t ino = 0;
    uint64_t cookie = 0;
    dfs_ftype_t type = DFS_TYPE_NONE;
};

struct Node {
    dfs_attr_t attr = dfs::makeStruct<dfs_attr_t>();
    std::string target;  // symlinks only
    std::map<std::string, std::string, std::less<>> xattrs;
    std::optional<std::array<uint8_t, 8>> verifier;  // set by an exclusive create

    // Directories only. The parent answers lookup(".."); byCookie gives listing order.
    uint64_t parent = 0;
    std::map<std::string, Entry, std::less<>> entries;
    std::map<uint64_t, std::string> byCookie;
    uint64_t nextCookie = DFS_COOKIE_FIRST;

    bool isDir() const { return attr.type == DFS_TYPE_DIR; }
};

using NodePtr = std::unique_ptr<Node>;





class MemMetadataStore : public dfs::MetadataStore {
public:
    static Result<std::unique_ptr<MemMetadataStore>> open(const dfs::Host& host, const dfs::Config& cfg) {
        uint32_t values[3] = {0, 0, 0755};
        const char* keys[3] = {"root_uid", "root_gid", "root_mode"};
        for (const auto& [key, value] : cfg.all()) {
            if (key == "data_dir") {
                continue;  // the kernel gives it to every store; mem keeps nothing on disk
            }
            auto* k = std::find_if(std::begin(keys), std::end(keys), [&](const char* x) { return key == x; });
            if (k == std::end(keys)) {
                host.error("mem metadata store: unknown config key '" + key + "'");
                return makeError(DFS_ERR_INVAL);
            }
            auto v = dfs::parseNumber(value);
            if (!v || (k == &keys[2] && *v > 07777)) {
                host.error("mem metadata store: bad value '" + value + "' for " + key);
                return makeError(DFS_ERR_INVAL);
            }
            values[k - std::begin(keys)] = *v;
        }
        return std::make_unique<MemMetadataStore>(host, values[0], values[1], values[2]);
    }

    MemMetadataStore(const dfs::Host& host, uint32_t uid, uint32_t gid, uint32_t mode)
        : rng_(std::random_device{}()) {
        auto root = std::make_unique<Node>();
        dfs_time_t t = host.now();
        initAttr(*root, kRootIno, DFS_TYPE_DIR, mode, uid, gid, t);
        root->attr.nlink = 2;
        root->parent = kRootIno;
        nodes_.emplace(kRootIno, std::move(root));
    }

    Result<uint64_t> root() override { return kRootIno; }

    Status getattr(uint64_t ino, dfs_attr_t& out) override {
        std::shared_lock lock(mu_);
        const Node* n = find(ino);
        if (n == nullptr) {
            return makeError(DFS_ERR_STALE);
        }
        out = n->attr;
        return Status{};
    }

    Status setattr(uint64_t ino, const dfs_setattr_t& sa, dfs_time_t now, dfs_attr_t& out) override {
        std::unique_lock lock(mu_);
        Node* n = find(ino);
        if (n == nullptr) {
            return makeError(DFS_ERR_STALE);
        }
        dfs_attr_t& a = n->attr;
        if (Status s = dfs::applySetattr(a, sa, now); !s.ok()) {
            return s;
        }
        out = a;
        return Status{};
    }

    Status lookup(uint64_t dir, std::string_view name, dfs_attr_t& out) override {
        std::shared_lock lock(mu_);
        auto d = dirNode(dir);
        if (!d.ok()) {
            return d.error();
        }
        const Node* n = nullptr;
        if (name == ".") {
            n = *d;
        } else if (name == "..") {
            n = find((*d)->parent);
        } else {
            if (name.size() > DFS_NAME_MAX) {
                return makeError(DFS_ERR_NAMETOOLONG);
            }
            auto it = (*d)->entries.find(name);
            n = it == (*d)->entries.end() ? nullptr : find(it->second.ino);
            if (n == nullptr) {
                return makeError(DFS_ERR_NOENT);
            }
        }
        out = n->attr;
        return Status{};
    }

    Status create(uint64_t dir, std::string_view name, const dfs_create_args_t& args, dfs_time_t now,
                  dfs_attr_t& out, bool& existed) override {
        existed = false;
        if (!dfs::validType(args.type)) {
            return makeError(DFS_ERR_BADTYPE);
        }
        if (args.how < DFS_CREATE_GUARDED || args.how > DFS_CREATE_EXCLUSIVE) {
            return makeError(DFS_ERR_INVAL);
        }
        std::string_view target = dfs::toView(args.symlink_target);
        if (args.type == DFS_TYPE_LNK && target.size() > DFS_PATH_MAX) {
            return makeError(DFS_ERR_NAMETOOLONG);
        }
        std::unique_lock lock(mu_);
        auto d = dirNode(dir);
        if (!d.ok()) {
            return d.error();
        }
        if (Status s = dfs::checkNewName(name); !s.ok()) {
            return s;
        }
        Node& parent = **d;
        if (auto it = parent.entries.find(name); it != parent.entries.end()) {
            const Node& old = *find(it->second.ino);
            if (returnsExisting(old, args)) {
                existed = true;
                out = old.attr;
                return Status{};
            }
            return makeError(DFS_ERR_EXIST);
        }

        auto node = std::make_unique<Node>();
        uint64_t ino = nextIno_++;
        initAttr(*node, ino, args.type, args.mode & 07777, args.uid, args.gid, now);
        if (args.type == DFS_TYPE_DIR) {
            node->attr.nlink = 2;
            node->parent = dir;
            parent.attr.nlink++;
        } else if (args.type == DFS_TYPE_LNK) {
            node->target.assign(target);
            node->attr.size = node->attr.used = target.size();
        } else if (args.type == DFS_TYPE_CHR || args.type == DFS_TYPE_BLK) {
            node->attr.rdev_major = args.rdev_major;
            node->attr.rdev_minor = args.rdev_minor;
        }
        if (args.how == DFS_CREATE_EXCLUSIVE) {
            std::array<uint8_t, 8> v{};
            std::memcpy(v.data(), args.verifier, v.size());
            node->verifier = v;
        }
        insertEntry(parent, name, *node);
        modified(parent, now);
        out = node->attr;
        nodes_.emplace(ino, std::move(node));
        return Status{};
    }

    Status link(uint64_t ino, uint64_t dir, std::string_view name, dfs_time_t now, dfs_attr_t& out) override {
        std::unique_lock lock(mu_);
        Node* n = find(ino);
        if (n == nullptr) {
            return makeError(DFS_ERR_STALE);
        }
        auto d = dirNode(dir);
        if (!d.ok()) {
            return d.error();
        }
        if (Status s = dfs::checkNewName(name); !s.ok()) {
            return s;
        }
        if (n->isDir()) {
            return makeError(DFS_ERR_PERM);
        }
        Node& parent = **d;
        if (parent.entries.find(name) != parent.entries.end()) {
            return makeError(DFS_ERR_EXIST);
        }
        if (n->attr.nlink >= kMaxLinks) {
            return makeError(DFS_ERR_MLINK);
        }
        insertEntry(parent, name, *n);
        modified(parent, now);
        n->attr.nlink++;
        changed(*n, now);
        out = n->attr;
        return Status{};
    }

    Status remove(uint64_t dir, std::string_view name, uint32_t flags, dfs_time_t now,
                  dfs_attr_t& removed) override {
        std::unique_lock lock(mu_);
        auto d = dirNode(dir);
        if (!d.ok()) {
            return d.error();
        }
        if (Status s = dfs::checkNewName(name); !s.ok()) {
            return s;
        }
        Node& parent = **d;
        auto it = parent.entries.find(name);
        if (it == parent.entries.end()) {
            return makeError(DFS_ERR_NOENT);
        }
        Node* n = find(it->second.ino);
        if (n->isDir()) {
            if ((flags & DFS_REMOVE_NONDIR) != 0) {
                return makeError(DFS_ERR_ISDIR);
            }
            if (!n->entries.empty()) {
                return makeError(DFS_ERR_NOTEMPTY);
            }
        } else if ((flags & DFS_REMOVE_DIR) != 0) {
            return makeError(DFS_ERR_NOTDIR);
        }
        eraseEntry(parent, it);
        modified(parent, now);
        removed = unlinkNode(*n, parent, now);
        return Status{};
    }

    Status rename(uint64_t srcDir, std::string_view srcName, uint64_t dstDir, std::string_view dstName,
                  dfs_time_t now, dfs_attr_t& replaced) override {
        replaced = dfs::makeStruct<dfs_attr_t>();
        std::unique_lock lock(mu_);
        auto sd = dirNode(srcDir);
        if (!sd.ok()) {
            return sd.error();
        }
        auto dd = dirNode(dstDir);
        if (!dd.ok()) {
            return dd.error();
        }
        if (Status s = dfs::checkNewName(srcName); !s.ok()) {
            return s;
        }
        if (Status s = dfs::checkNewName(dstName); !s.ok()) {
            return s;
        }
        Node& from = **sd;
        Node& to = **dd;
        auto sit = from.entries.find(srcName);
        if (sit == from.entries.end()) {
            return makeError(DFS_ERR_NOENT);
        }
        Node* src = find(sit->second.ino);
        auto dit = to.entries.find(dstName);
        // Two names of one object (or the same name): POSIX rename() does nothing.
        if (dit != to.entries.end() && dit->second.ino == src->attr.ino) {
            return Status{};
        }
        if (src->isDir() && isSelfOrDescendant(dstDir, src->attr.ino)) {
            return makeError(DFS_ERR_INVAL);
        }
        Node* victim = dit == to.entries.end() ? nullptr : find(dit->second.ino);
        if (victim != nullptr) {
            if (src->isDir() && !victim->isDir()) {
                return makeError(DFS_ERR_NOTDIR);
            }
            if (!src->isDir() && victim->isDir()) {
                return makeError(DFS_ERR_ISDIR);
            }
            if (victim->isDir() && !victim->entries.empty()) {
                return makeError(DFS_ERR_NOTEMPTY);
            }
        }

        // Every check passed: from here on nothing fails.
        if (victim != nullptr) {
            eraseEntry(to, dit);
            replaced = unlinkNode(*victim, to, now);
        }
        eraseEntry(from, sit);
        insertEntry(to, dstName, *src);
        if (src->isDir() && srcDir != dstDir) {
            src->parent = dstDir;
            from.attr.nlink--;
            to.attr.nlink++;
        }
        changed(*src, now);
        modified(from, now);
        if (srcDir != dstDir) {
            modified(to, now);
        }
        return Status{};
    }

    Result<std::string> readlink(uint64_t ino) override {
        std::shared_lock lock(mu_);
        const Node* n = find(ino);
        if (n == nullptr) {
            return makeError(DFS_ERR_STALE);
        }
        if (n->attr.type != DFS_TYPE_LNK) {
            return makeError(DFS_ERR_INVAL);
        }
        return n->target;
    }

    Status readdir(uint64_t dir, uint64_t cookie, const dfs::DirentSink& sink, bool& eof) override {
        return list(dir, cookie, [&](const dfs_dirent_t& e, const dfs_attr_t*) { return sink(e); }, eof, false);
    }

    // The attributes are copied with their entries, under the same lock hold.
    Status readdirPlus(uint64_t dir, uint64_t cookie, const dfs::DirentPlusSink& sink, bool& eof) override {
        return list(dir, cookie, [&](const dfs_dirent_t& e, const dfs_attr_t* a) { return sink(e, *a); }, eof, true);
    }

    Result<std::string> getxattr(uint64_t ino, std::string_view name) override {
        std::shared_lock lock(mu_);
        const Node* n = find(ino);
        if (n == nullptr) {
            return makeError(DFS_ERR_STALE);
        }
        if (Status s = dfs::checkXattrName(name); !s.ok()) {
            return s.error();
        }
        auto it = n->xattrs.find(name);
        if (it == n->xattrs.end()) {
            return makeError(DFS_ERR_NOXATTR);
        }
        return it->second;
    }

    Status setxattr(uint64_t ino, std::string_view name, std::string_view value, uint32_t flags,
                    dfs_time_t now) override {
        std::unique_lock lock(mu_);
        Node* n = find(ino);
        if (n == nullptr) {
            return makeError(DFS_ERR_STALE);
        }
        if (Status s = dfs::checkSetxattr(name, value, flags); !s.ok()) {
            return s;
        }
        auto it = n->xattrs.find(name);
        if (it != n->xattrs.end() && (flags & DFS_XATTR_CREATE) != 0) {
            return makeError(DFS_ERR_EXIST);
        }
        if (it == n->xattrs.end() && (flags & DFS_XATTR_REPLACE) != 0) {
            return makeError(DFS_ERR_NOXATTR);
        }
        if (it == n->xattrs.end()) {
            n->xattrs.emplace(std::string(name), std::string(value));
        } else {
            it->second.assign(value);
        }
        changed(*n, now);
        return Status{};
    }

    Result<std::vector<std::string>> listxattr(uint64_t ino) override {
        std::shared_lock lock(mu_);
        const Node* n = find(ino);
        if (n == nullptr) {
            return makeError(DFS_ERR_STALE);
        }
        std::vector<std::string> names;
        names.reserve(n->xattrs.size());
        for (const auto& [name, value] : n->xattrs) {
            names.push_back(name);
        }
        return names;
    }

    Status removexattr(uint64_t ino, std::string_view name, dfs_time_t now) override {
        std::unique_lock lock(mu_);
        Node* n = find(ino);
        if (n == nullptr) {
            return makeError(DFS_ERR_STALE);
        }
        if (Status s = dfs::checkXattrName(name); !s.ok()) {
            return s;
        }
        auto it = n->xattrs.find(name);
        if (it == n->xattrs.end()) {
            return makeError(DFS_ERR_NOXATTR);
        }
        n->xattrs.erase(it);
        changed(*n, now);
        return Status{};
    }

    Status statfs(dfs_statfs_t& out) override {
        std::shared_lock lock(mu_);
        out.total_files = kTotalFiles;
        out.free_files = out.avail_files = kTotalFiles - nodes_.size();
        return Status{};
    }

    Status getVerifier(uint64_t ino, uint8_t verifier[8]) override {
        std::shared_lock lock(mu_);
        const Node* n = find(ino);
        if (n == nullptr) {
            return makeError(DFS_ERR_STALE);
        }
        if (!n->verifier) {
            return makeError(DFS_ERR_NOENT);
        }
        std::memcpy(verifier, n->verifier->data(), n->verifier->size());
        return Status{};
    }

private:
    void initAttr(Node& n, uint64_t ino, dfs_ftype_t type, uint32_t mode, uint32_t uid, uint32_t gid,
                  dfs_time_t now) {
        dfs_attr_t& a = n.attr;
        a.type = type;
        a.ino = ino;
        // Never 0, so a file handle with generation 0 never matches by accident.
        do {
            a.generation = rng_();
        } while (a.generation == 0);
        a.mode = mode;
        a.nlink = 1;
        a.uid = uid;
        a.gid = gid;
        a.change = 1;
        a.atime = a.mtime = a.ctime = a.btime = now;
    }

    Node* find(uint64_t ino) const {
        auto it = nodes_.find(ino);
        return it == nodes_.end() ? nullptr : it->second.get();
    }

    Result<Node*> dirNode(uint64_t ino) const {
        Node* n = find(ino);
        if (n == nullptr) {
            return makeError(DFS_ERR_STALE);
        }
        if (!n->isDir()) {
            return makeError(DFS_ERR_NOTDIR);
        }
        return n;
    }

    // True when `dir` is `ancestor` or lies below it (walks ".." up to the root).
    bool isSelfOrDescendant(uint64_t dir, uint64_t ancestor) const {
        for (uint64_t x = dir;; x = find(x)->parent) {
            if (x == ancestor) {
                return true;
            }
            if (x == kRootIno) {
                return false;
            }
        }
    }

    // A name was inserted: it gets a cookie larger than any the directory ever had.
    static void insertEntry(Node& dir, std::string_view name, const Node& target) {
        uint64_t cookie = dir.nextCookie++;
        dir.entries.emplace(std::string(name), Entry{target.attr.ino, cookie, target.attr.type});
        dir.byCookie.emplace(cookie, std::string(name));
    }

    static void eraseEntry(Node& dir, std::map<std::string, Entry, std::less<>>::iterator it) {
        dir.byCookie.erase(it->second.cookie);
        dir.entries.erase(it);
    }

    // The object's own attributes changed (ctime), e.g. link count, name, xattrs.
    static void changed(Node& n, dfs_time_t now) {
        n.attr.ctime = now;
        n.attr.change++;
    }

    // A directory's entries changed (mtime and ctime).
    static void modified(Node& dir, dfs_time_t now) {
        dir.attr.mtime = now;
        changed(dir, now);
    }

    // Drops the link from `parent` whose entry the caller already erased. Returns the
    // object's attributes afterwards; a directory or a last link is deleted (nlink 0).
    dfs_attr_t unlinkNode(Node& n, Node& parent, dfs_time_t now) {
        if (n.isDir()) {
            n.attr.nlink = 0;
            parent.attr.nlink--;
        } else {
            n.attr.nlink--;
        }
        changed(n, now);
        dfs_attr_t after = n.attr;
        if (after.nlink == 0) {
            nodes_.erase(after.ino);
        }
        return after;
    }

    static bool returnsExisting(const Node& old, const dfs_create_args_t& args) {
        if (old.attr.type != DFS_TYPE_REG || args.type != DFS_TYPE_REG) {
            return false;
        }
        if (args.how == DFS_CREATE_UNCHECKED) {
            return true;
        }
        return args.how == DFS_CREATE_EXCLUSIVE && old.verifier &&
               std::memcmp(old.verifier->data(), args.verifier, old.verifier->size()) == 0;
    }

    // readdir and readdirPlus: entries (with their attributes when withAttr) are copied
    // kReaddirBatch at a time under the shared lock and handed to `sink` without it.
    template <typename Sink>
    Status list(uint64_t dir, uint64_t cookie, const Sink& sink, bool& eof, bool withAttr) const {
        struct Item {
            std::string name;
            Entry entry;
            dfs_attr_t attr;
        };
        eof = false;
        std::vector<Item> batch;
        for (;;) {
            bool more = false;
            batch.clear();
            {
                std::shared_lock lock(mu_);
                auto d = dirNode(dir);
                if (!d.ok()) {
                    return d.error();
                }
                const Node& n = **d;
                auto it = n.byCookie.upper_bound(cookie);
                for (; it != n.byCookie.end() && batch.size() < kReaddirBatch; ++it) {
                    const Entry& en = n.entries.find(it->second)->second;
                    const Node* obj = withAttr ? find(en.ino) : nullptr;
                    batch.push_back(Item{it->second, en, obj != nullptr ? obj->attr : dfs_attr_t{}});
                }
                more = it != n.byCookie.end();
            }
            for (const Item& item : batch) {
                auto e = dfs::makeStruct<dfs_dirent_t>();
                e.type = item.entry.type;
                e.ino = item.entry.ino;
                e.cookie = item.entry.cookie;
                e.name = dfs::toC(item.name);
                if (!sink(e, withAttr ? &item.attr : nullptr)) {
                    return Status{};
                }
                cookie = item.entry.cookie;
            }
            if (!more) {
                eof = true;
                return Status{};
            }
        }
    }

    mutable std::shared_mutex mu_;
    std::unordered_map<uint64_t, NodePtr> nodes_;
    uint64_t nextIno_ = kRootIno + 1;
    std::mt19937_64 rng_;
};

}  // namespace

DFS_EXPORT_METADATA_STORE(MemMetadataStore, "mem", "1.0.0",
                          "in-memory reference metadata store (nothing survives a restart)");
