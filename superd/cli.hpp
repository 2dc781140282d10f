// The command line (superd(8)), parsed with Boost.Program_options, the only
// user of Boost. Never exits or prints by itself: main decides.
#pragma once

#include <string>
#include <vector>

#include "log.hpp"

namespace superd {

struct Options {
  std::string config = "/etc/superd/superd.yaml";  // -c, --config
  bool check = false;                              // -t, --check
  bool daemon = false;                             // -d, --daemon
  std::string pid_file;                            // -p, --pid-file
  bool syslog = false;                             // --syslog
  LogLevel log_level = LogLevel::kInfo;            // -l, --log-level
  bool version = false;                            // -V, --version
  bool help = false;                               // -h, --help
};

struct CliResult {
  Options options;
  std::string error;  // a usage error, empty when the command line is valid
  std::string help;   // the --help text
};

CliResult ParseCommandLine(int argc, const char* const argv[]);

}  // namespace superd
