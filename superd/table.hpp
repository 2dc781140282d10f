// ServiceTable: the validated service table, plain values, const after
// loading. Each field names its YAML key and default (see superd.yaml(5));
// only table_loader applies defaults. Nothing here knows YAML.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "address.hpp"
#include "cidr_set.hpp"
#include "values.hpp"

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

// `source_prefix`: how client addresses are grouped into sources.
struct SourcePrefix {
  int ipv4 = 32;  // `ipv4`, default 32
  int ipv6 = 64;  // `ipv6`, default 64: one host owns a /64
  bool operator==(const SourcePrefix&) const = default;
};

// One entry of `rlimits`: a setrlimit(2) resource and its value (soft and
// hard alike; RLIM_INFINITY for "unlimited").
struct Rlimit {
  int resource;
  unsigned long long value;
};

// The admission policy of a service (superd.yaml(5), "Protecting a
// service"); the keys the policy module decides by.
struct Policy {
  int max_per_source = 0;             // `max_per_source`, default 0 (none)
  SourcePrefix source_prefix;         // `source_prefix`, default {32, 64}
  Rate rate_limit;                    // `rate_limit`, default off (wait
                                      // services: kWaitRateLimit)
  Duration rate_limit_pause{10000};   // `rate_limit_pause`, default 10s
  Rate rate_limit_per_source;         // `rate_limit_per_source`, default off
  // `allow`, default [] (everyone), and `deny`, default []; shared, since
  // a list in `defaults` serves every service of the table.
  std::shared_ptr<const CidrSet> allow = NoAddresses();
  std::shared_ptr<const CidrSet> deny = NoAddresses();
  // `proxy_from`, required with `proxy_protocol`: the load balancers
  // trusted to send PROXY headers.
  std::shared_ptr<const CidrSet> proxy_from = NoAddresses();

  // The empty list every service without one shares.
  static const std::shared_ptr<const CidrSet>& NoAddresses() {
    static const auto empty = std::make_shared<const CidrSet>();
    return empty;
  }
};

// A wait program that exits leaving its socket readable would be started
// again at once, and again: unless the table says otherwise, wait services
// take this `rate_limit` (xinetd's default `cps`), so that a looping one
// costs a burst of spawns every `rate_limit_pause`.
inline constexpr Rate kWaitRateLimit{50, Duration(1000)};

struct Service {
  std::string name;                   // key under `services`
  std::vector<Endpoint> listen;       // `listen`, required
  Protocol protocol = Protocol::kTcp; // `protocol`, default tcp
  bool wait = false;                  // `wait`, default false (udp: true)
  std::string program;                // `program`, required, absolute
  std::string argv0;                  // `argv0`, default "" (`program`)
  std::vector<std::string> args;      // `args`, default []
  std::optional<Credentials> credentials;  // `user`/`group`, default superd's
  std::vector<std::pair<std::string, std::string>> env;  // `env`, default {}
  std::string working_directory = "/";   // `working_directory`, default /
  mode_t umask = 022;                 // `umask`, default "022"
  int nice = 0;                       // `nice`, default 0
  int max_instances = 64;             // `max_instances`, default 64
  StderrMode stderr_mode = StderrMode::kInherit;  // `stderr`, default inherit
  int backlog = 1024;                 // `backlog`, default 1024
  Policy policy;                      // the admission keys above
  Duration timeout{0};                // `timeout`, default 0 (none)
  std::vector<Rlimit> rlimits;        // `rlimits`, default unchanged
  bool keepalive = false;             // `keepalive`, default false
  bool reuse_port = false;            // `reuse_port`, default false
  bool proxy_protocol = false;        // `proxy_protocol`, default false
  int sndbuf = 0;                     // `sndbuf`, default 0 (the kernel's)
  int rcvbuf = 0;                     // `rcvbuf`, default 0 (the kernel's)
  bool disabled = false;              // `disabled`, default false
};

// Bounds on every file of a table, whatever its format (table_loader,
// inetd_conf), that keep its memory and load time in proportion: a
// 10,000-service table is about 1 MiB.
inline constexpr size_t kMaxTableBytes = 16 << 20;
inline constexpr size_t kMaxServices = 100'000;

struct ServiceTable {
  std::string path;                   // the file it was loaded from
  bool watch = true;                  // `watch`, default true
  // What `watch` watches: every file read (the table first, then those
  // `include` named) and each pattern, made absolute.
  std::vector<std::string> files;
  std::vector<std::string> patterns;  // `include` (and `inetd_conf`)
  int max_children = 1024;            // `max_children`, default 1024
  Duration shutdown_grace{5000};      // `shutdown_grace`, default 5s
  std::vector<Service> services;      // `services`, in file order
};

}  // namespace superd
