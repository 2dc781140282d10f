// ReadInetdConf: a file in inetd.conf format (openbsd-inetd's grammar, as
// Debian's update-inetd writes it) read into the same Service values as the
// YAML table, with every problem at FILE:LINE:COLUMN, all of them in one
// run. It knows no YAML and never reads, writes or reformats a file (the
// caller reads it: packages own their lines); it looks up ports, hosts,
// users and groups and checks programs once, as table_loader does. The
// mapping onto superd's keys and every choice where superd differs from
// openbsd-inetd: superd.yaml(5), "INETD.CONF ENTRIES".
#pragma once

#include <string>
#include <vector>

#include "diagnostics.hpp"
#include "table.hpp"

namespace superd {

// One entry of the file.
struct InetdService {
  Service service;         // name: SERVICE.PROTOCOL, as field 1's service
                           // part and field 3's protocol are written:
                           // "finger.tcp", "ntalk.udp4", "3142.tcp"
  std::string inetd_name;  // field 1's service part: "finger"
  Position position;       // of field 1
};

struct InetdConf {
  // The entries without errors, in file order, each name once: `#<off>#`
  // entries are services with `disabled` set, and give way to an entry in
  // use of the same name. Comments, `host:` lines and skipped entries (rpc,
  // unix, a malformed `#<off>#` line) are not services.
  std::vector<InetdService> services;
  Diagnostics diagnostics;  // this file's errors and warnings
};

// `file` names the file in diagnostics; `internal_dir` is where superd's
// sample programs (echo, discard, chargen, daytime, time) are, which
// `internal` entries run.
InetdConf ReadInetdConf(const std::string& text, const std::string& file,
                        const std::string& internal_dir);

}  // namespace superd
