// dittofsd: the DittoFS server.
//
//   dittofsd [--config FILE] [--data-dir DIR] [--plugin-dir DIR]... [--log-level L] [--log-file F]
//   dittofsd plugins [--plugin-dir DIR]...     list plugins found, without loading them
//   dittofsd check-config [--config FILE]      validate a config and exit
#include "src/config.hpp"
#include "src/log.hpp"
#include "src/plugin_loader.hpp"
#include "src/server.hpp"

#include <QCommandLineParser>
#include <QStringList>

#include <cstdio>
#include <iostream>

namespace {

using dfs::kernel::PluginCandidate;

int listPlugins(const std::vector<std::string>& dirs) {
    auto found = dfs::kernel::scanPluginDirs(dirs);
    if (found.empty()) {
        std::cerr << "no plugin libraries (*.so) in:";
        for (const auto& d : dirs) {
            std::cerr << " " << d;
        }
        std::cerr << "\n";
        return 1;
    }
    for (const PluginCandidate& c : found) {
        std::string kind = c.info.name[0] != '\0' ? dfs::kernel::kindName(c.info.kind) : "-";
        std::string name = c.info.name[0] != '\0' ? c.info.name : "-";
        std::string version = c.info.name[0] != '\0' ? c.info.version : "-";
        std::string abi = c.info.name[0] != '\0'
                              ? std::to_string(c.info.abi_major) + "." + std::to_string(c.info.abi_minor)
                              : "-";
        std::printf("%-15s %-12s %-10s abi %-6s %s  %s\n", kind.c_str(), name.c_str(), version.c_str(), abi.c_str(),
                    c.path.c_str(), c.status.c_str());
    }
    return 0;
}

std::vector<std::string> toStd(const QStringList& l) {
    std::vector<std::string> out;
    for (const auto& s : l) {
        out.push_back(s.toStdString());
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    QStringList args;
    for (int i = 0; i < argc; ++i) {
        args << QString::fromLocal8Bit(argv[i]);
    }
    QCommandLineParser p;
    p.setApplicationDescription("DittoFS multi-protocol file server");
    p.addPositionalArgument("command", "run (default), plugins, or check-config");
    QCommandLineOption configOpt("config", "TOML config file (default: embedded default)", "file");
    QCommandLineOption dataOpt("data-dir", "data directory (overrides server.data_dir)", "dir");
    QCommandLineOption pluginOpt("plugin-dir", "directory to search for plugins (repeatable)", "dir");
    QCommandLineOption levelOpt("log-level", "trace, debug, info, warn, error or critical", "level");
    QCommandLineOption logFileOpt("log-file", "write logs to this file instead of stderr", "file");
    QCommandLineOption helpOpt(QStringList{"h", "help"}, "show this help");
    QCommandLineOption versionOpt("version", "show the version");
    p.addOptions({configOpt, dataOpt, pluginOpt, levelOpt, logFileOpt, helpOpt, versionOpt});
    if (!p.parse(args)) {
        std::cerr << "dittofsd: " << p.errorText().toStdString() << "\n" << p.helpText().toStdString();
        return 2;
    }
    if (p.isSet(helpOpt)) {
        std::cout << p.helpText().toStdString();
        return 0;
    }
    if (p.isSet(versionOpt)) {
        std::cout << "dittofsd " << DITTOFS_VERSION << " (plugin ABI " << DFS_ABI_MAJOR << "." << DFS_ABI_MINOR
                  << ")\n";
        return 0;
    }
    const QStringList pos = p.positionalArguments();
    std::string command = pos.isEmpty() ? "run" : pos.first().toStdString();
    if (pos.size() > 1) {
        std::cerr << "dittofsd: unexpected argument '" << pos.at(1).toStdString() << "'\n";
        return 2;
    }

    dfs::kernel::ServerOptions opts;
    opts.configPath = p.value(configOpt).toStdString();
    opts.dataDir = p.value(dataOpt).toStdString();
    opts.pluginDirs = toStd(p.values(pluginOpt));
    opts.logLevel = p.value(levelOpt).toStdString();
    opts.logFile = p.value(logFileOpt).toStdString();

    if (command == "plugins") {
        std::vector<std::string> dirs = opts.pluginDirs;
        if (!opts.configPath.empty()) {
            dfs::kernel::ConfigError ce;
            if (auto c = dfs::kernel::loadConfigFile(opts.configPath, ce)) {
                dirs.insert(dirs.end(), c->server.pluginDirs.begin(), c->server.pluginDirs.end());
            }
        }
        if (dirs.empty()) {
            dirs = dfs::kernel::defaultPluginDirs();
        }
        return listPlugins(dirs);
    }
    if (command == "check-config") {
        if (opts.configPath.empty()) {
            std::cout << "embedded default config: ok\n";
            return 0;
        }
        dfs::kernel::ConfigError ce;
        if (!dfs::kernel::loadConfigFile(opts.configPath, ce)) {
            std::cerr << ce.message << "\n";
            return 1;
        }
        std::cout << opts.configPath << ": ok\n";
        return 0;
    }
    if (command != "run") {
        std::cerr << "dittofsd: unknown command '" << command << "' (run, plugins, check-config)\n";
        return 2;
    }
    dfs::kernel::Server server(opts);
    return server.run();
}
