#include "elf_info.hpp"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <vector>

namespace dfs::kernel {
namespace {

template <typename T>
bool readAt(std::span<const uint8_t> f, uint64_t off, T& out) {
    if (off > f.size() || f.size() - off < sizeof(T)) {
        return false;
    }
    std::memcpy(&out, f.data() + off, sizeof(T));
    return true;
}

ElfInfoResult fail(std::string why) {
    ElfInfoResult r;
    r.error = std::move(why);
    return r;
}

}  // namespace

ElfInfoResult parsePluginInfo(std::span<const uint8_t> f) {
    Elf64_Ehdr eh{};
    if (!readAt(f, 0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
        return fail("not an ELF file");
    }
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
        return fail("not a 64-bit little-endian ELF file");
    }
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shstrndx >= eh.e_shnum) {
        return fail("ELF file has no usable section headers");
    }
    Elf64_Shdr strtab{};
    if (!readAt(f, eh.e_shoff + uint64_t{eh.e_shstrndx} * sizeof(Elf64_Shdr), strtab) ||
        strtab.sh_offset > f.size() || f.size() - strtab.sh_offset < strtab.sh_size) {
        return fail("ELF section name table is out of bounds");
    }
    const std::string_view wanted = DFS_PLUGIN_INFO_SECTION;
    for (uint32_t i = 0; i < eh.e_shnum; ++i) {
        Elf64_Shdr sh{};
        if (!readAt(f, eh.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr), sh)) {
            return fail("ELF section header is out of bounds");
        }
        if (sh.sh_name >= strtab.sh_size) {
            continue;
        }
        const char* name = reinterpret_cast<const char*>(f.data() + strtab.sh_offset + sh.sh_name);
        size_t maxLen = strtab.sh_size - sh.sh_name;
        size_t len = strnlen(name, maxLen);
        if (len == maxLen || std::string_view(name, len) != wanted) {
            continue;
        }
        if (sh.sh_type == SHT_NOBITS || sh.sh_offset > f.size() || f.size() - sh.sh_offset < sh.sh_size) {
            return fail("plugin info section is out of bounds");
        }
        // The section must hold the fixed prefix up to and including struct_size.
        constexpr size_t kPrefix = offsetof(dfs_plugin_info_t, struct_size) + sizeof(uint32_t);
        if (sh.sh_size < kPrefix) {
            return fail("plugin info section is too small");
        }
        const uint8_t* p = f.data() + sh.sh_offset;
        if (std::memcmp(p, DFS_PLUGIN_INFO_MAGIC, sizeof(DFS_PLUGIN_INFO_MAGIC)) != 0) {
            return fail("plugin info section has a bad magic");
        }
        uint32_t given = 0;
        std::memcpy(&given, p + offsetof(dfs_plugin_info_t, struct_size), sizeof given);
        if (given < kPrefix || given > sh.sh_size) {
            return fail("plugin info record size is inconsistent");
        }
        ElfInfoResult r;
        std::memset(&r.info, 0, sizeof r.info);
        std::memcpy(&r.info, p, given < sizeof r.info ? given : sizeof r.info);
        // Strings must be terminated inside their fields.
        r.info.name[sizeof r.info.name - 1] = '\0';
        r.info.version[sizeof r.info.version - 1] = '\0';
        if (r.info.name[0] == '\0') {
            return fail("plugin info record has an empty name");
        }
        r.ok = true;
        return r;
    }
    return fail("no " DFS_PLUGIN_INFO_SECTION " section: not a DittoFS plugin");
}

ElfInfoResult readPluginInfo(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) {
        return fail("cannot open file");
    }
    auto size = static_cast<uint64_t>(in.tellg());
    if (size > (512ull << 20)) {
        return fail("file too large for a plugin");
    }
    std::vector<uint8_t> buf(size);
    in.seekg(0);
    if (!in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(size))) {
        return fail("cannot read file");
    }
    return parsePluginInfo(buf);
}

}  // namespace dfs::kernel
