// ServiceTable: the validated service table, plain values, const after
// loading. Each field names its YAML key and default (see superd.yaml(5));
// only table_loader applies defaults. Nothing here knows YAML.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "address.hpp"

namespace superd {

using Duration = std::chrono::milliseconds;

enum class Protocol { kTcp, kUdp };
enum class StderrMode { kInherit, kNull, kSocket };

// One socket to bind, from one `listen` entry. A host name yields one
// Endpoint per address; `*:PORT` and bare `PORT` yield one dual-stack
// Endpoint on [::] (or 0.0.0.0 where the host has no IPv6).
struct Endpoint {
  std::string spec;       // the `listen` entry as written, for messages
  SocketAddress address;  // resolved at load
  bool dual_stack = false;
};

// `user`/`group`, resolved at load.
struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups from the group database
  std::string user_name;      // empty when only `group` is set
};

struct Service {
  std::string name;                   // key under `services`
  std::vector<Endpoint> listen;       // `listen`, required
  Protocol protocol = Protocol::kTcp; // `protocol`, default tcp
  bool wait = false;                  // `wait`, default false (udp: true)
  std::string program;                // `program`, required, absolute
  std::vector<std::string> args;      // `args`, default []
  std::optional<Credentials> credentials;  // `user`/`group`, default superd's
  std::vector<std::pair<std::string, std::string>> env;  // `env`, default {}
  std::string working_directory = "/";   // `working_directory`, default /
  mode_t umask = 022;                 // `umask`, default "022"
  int nice = 0;                       // `nice`, default 0
  int max_instances = 64;             // `max_instances`, default 64
  StderrMode stderr_mode = StderrMode::kInherit;  // `stderr`, default inherit
  int backlog = 1024;                 // `backlog`, default 1024
  bool disabled = false;              // `disabled`, default false
};

struct ServiceTable {
  std::string path;                   // the file it was loaded from
  int max_children = 1024;            // `max_children`, default 1024
  Duration shutdown_grace{5000};      // `shutdown_grace`, default 5s
  std::vector<Service> services;      // `services`, in file order
};

}  // namespace superd
