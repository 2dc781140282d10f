// superd-import: an xinetd configuration (or, later, an inetd.conf) →
// a superd service table on stdout, messages on stderr (superd-import(8)).
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <string_view>

#include "input_format.hpp"
#include "table_writer.hpp"

using namespace superd::import;

namespace {
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

constexpr const char* kUsage =
    "Usage: superd-import [--services-dir DIR] FILE|DIR\n"
    "Converts an xinetd configuration (xinetd.conf with its includes, one\n"
    "xinetd.d file, or a directory of them) to a superd service table on\n"
    "standard output; what cannot be carried over exactly is a warning on\n"
    "standard error.\n"
    "\n"
    "  --services-dir DIR  superd's sample services, for xinetd's INTERNAL ones\n"
    "                      (default: those installed with superd-import)\n"
    "  -h, --help\n"
    "  -V, --version\n";

// When the import ran, for the table's header: now, or SOURCE_DATE_EPOCH
// for a reproducible output.
std::string Now() {
  std::time_t now = std::time(nullptr);
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) now = std::strtoll(epoch, nullptr, 10);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

// The sample services installed with this program: PREFIX/libexec/superd
// beside PREFIX/sbin/superd-import, wherever PREFIX is now; else where
// the build was configured to put them.
std::string DefaultServicesDir() {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    const std::filesystem::path dir =
        (self.parent_path() / SUPERD_SERVICES_FROM_SBIN).lexically_normal();
    if (std::filesystem::is_directory(dir, error)) return dir.string();
  }
  return SUPERD_LIBEXEC_DIR;
}

int Usage(const std::string& error) {
  std::fprintf(stderr, "superd-import: %s\nTry 'superd-import --help'.\n", error.c_str());
  return kExitUsage;
}
}  // namespace

int main(int argc, char** argv) {
  ImportOptions options{DefaultServicesDir()};
  std::string path;
  bool options_end = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!options_end && arg == "--") {
      options_end = true;
    } else if (!options_end && (arg == "-h" || arg == "--help")) {
      std::fputs(kUsage, stdout);
      return kExitOk;
    } else if (!options_end && (arg == "-V" || arg == "--version")) {
      std::printf("superd-import %s\n", SUPERD_VERSION);
      return kExitOk;
    } else if (!options_end && arg.starts_with("--services-dir=")) {
      options.services_dir = std::string(arg.substr(arg.find('=') + 1));
    } else if (!options_end && arg == "--services-dir") {
      if (++i == argc) return Usage("--services-dir needs a directory");
      options.services_dir = argv[i];
    } else if (!options_end && arg.size() > 1 && arg[0] == '-') {
      return Usage("unknown option '" + std::string(arg) + "'");
    } else if (!path.empty()) {
      return Usage("one FILE or DIR only");
    } else {
      path = arg;
    }
  }
  if (path.empty()) return Usage("which FILE or DIR?");
  while (options.services_dir.size() > 1 && options.services_dir.ends_with('/'))
    options.services_dir.pop_back();

  std::string error;
  const std::optional<InputFormat> format = DetectFormat(path, error);
  if (!format) {
    std::fprintf(stderr, "superd-import: unable to read %s: %s\n", path.c_str(), error.c_str());
    return kExitFailure;
  }
  const ImportedTable table = Import(*format, path, options);
  for (const ImportMessage& m : table.messages) std::fprintf(stderr, "%s\n", m.Format().c_str());
  if (!table.ok()) return kExitFailure;
  const std::string yaml = WriteTable(table, Now());
  if (std::fwrite(yaml.data(), 1, yaml.size(), stdout) != yaml.size() || std::fflush(stdout) != 0) {
    std::perror("superd-import: unable to write the table");
    return kExitFailure;
  }
  return kExitOk;
}
