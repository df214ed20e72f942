#include "mount_list.hpp"

#include <algorithm>

namespace dfs::nfs3 {

void MountList::add(std::string_view client, std::string_view path) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& e : entries_) {
        if (e.client == client && e.path == path) {
            return;
        }
    }
    if (entries_.size() >= kMaxEntries) {
        entries_.erase(entries_.begin());
    }
    entries_.push_back(MountEntry{std::string(client), std::string(path)});
}

void MountList::remove(std::string_view client, std::string_view path) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::erase_if(entries_, [&](const MountEntry& e) { return e.client == client && e.path == path; });
}

void MountList::removeAll(std::string_view client) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::erase_if(entries_, [&](const MountEntry& e) { return e.client == client; });
}

std::vector<MountEntry> MountList::snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_;
}

}  // namespace dfs::nfs3
