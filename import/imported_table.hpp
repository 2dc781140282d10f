// ImportedTable: what superd-import writes, whatever format it read
// (xinetd's or inetd.conf's): superd services as plain
// values, each field named after its key in superd.yaml(5), and the
// messages to print. An empty field is a key left out of the table, so
// that superd's own default applies. Nothing here knows YAML (the writer,
// table_writer, does) or any input format.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace superd::import {

// "FILE:LINE: warning: TEXT" (or error); without ":LINE" when line is 0.
struct ImportMessage {
  std::string file;
  int line = 0;
  std::string text;
  bool warning = true;
  std::string Format() const;
  bool operator==(const ImportMessage&) const = default;
};

struct ImportedService {
  std::string name;                    // key under `services`
  std::string file;                    // where it is defined
  int line = 0;
  std::vector<std::string> listen;     // `listen`
  std::string protocol;                // `protocol`: "udp", or "" (tcp)
  std::optional<bool> wait;            // `wait`, when not the protocol's default
  std::string program;                 // `program`
  std::string argv0;                   // `argv0`, "" when it is `program`
  std::vector<std::string> args;       // `args`
  std::string user;                    // `user`
  std::string group;                   // `group`
  std::vector<std::pair<std::string, std::string>> env;  // `env`
  std::string umask;                   // `umask`, octal ("027")
  int nice = 0;                        // `nice`, 0: left out
  int max_instances = 0;               // `max_instances`, 0: left out
  int max_per_source = 0;              // `max_per_source`, 0: left out
  int source_prefix_ipv6 = 0;          // `source_prefix: {ipv6: N}`, 0: left out
  std::string rate_limit;              // `rate_limit`: "N/DURATION" or "off"
  std::string rate_limit_pause;        // `rate_limit_pause`
  std::vector<std::string> allow;      // `allow`: CIDR blocks
  std::vector<std::string> deny;       // `deny`
  std::vector<std::pair<std::string, std::string>> rlimits;  // `rlimits`
  bool keepalive = false;              // `keepalive`
  std::string stderr_mode;             // `stderr`, "" when inherit
  int sndbuf = 0;                      // `sndbuf`, 0: left out
  int rcvbuf = 0;                      // `rcvbuf`, 0: left out
  bool disabled = false;               // `disabled`
};

struct ImportedTable {
  std::string source;       // the path that was read
  std::string format;       // what it was read as: "xinetd configuration"
  std::vector<std::string> files;   // every file read
  std::vector<ImportedService> services;  // in input order
  std::vector<ImportMessage> messages;    // errors and warnings
  bool ok() const;          // no error among the messages
  size_t warnings() const;  // how many warnings
};

}  // namespace superd::import
