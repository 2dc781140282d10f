// ImportSystem: what superd-import asks of the machine it runs on, behind
// an interface so that the mappings are tested without it. `superd
// --check` looks the same things up; asking first lets the importer leave
// out or disable a service that check would refuse, and say why.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace superd::import {

class ImportSystem {
 public:
  virtual ~ImportSystem() = default;
  // The port of service `name` for `protocol` ("tcp", "udp") in
  // /etc/services (getservbyname(3)).
  virtual std::optional<int> ServicePort(const std::string& name,
                                         const std::string& protocol) const = 0;
  virtual bool UserExists(const std::string& name) const = 0;
  virtual bool GroupExists(const std::string& name) const = 0;
  // The groups of user `name` in the group database other than `group`
  // (a name or number; empty: the user's primary group), which superd
  // gives the program as supplementary groups.
  virtual std::vector<std::string> OtherGroups(const std::string& name,
                                               const std::string& group) const = 0;
  // Whether `path` is an executable regular file.
  virtual bool Executable(const std::string& path) const = 0;
  // Whether host name `host` resolves.
  virtual bool Resolves(const std::string& host) const = 0;
};

// The machine itself.
const ImportSystem& RealImportSystem();

}  // namespace superd::import
