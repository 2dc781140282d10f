// PlanReload: what a new table keeps of the sockets superd has open, what
// it must open, and what it closes (SPEC "Signals", SIGHUP). Pure: socket
// identities in, decisions out; the supervisor binds, then commits or
// abandons.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "address.hpp"
#include "table.hpp"

namespace superd {

// What makes a socket the same socket: its address, its protocol, and
// whether it is dual-stack (`*:P` and `[::]:P` bind the same address, but
// only the first takes IPv4 clients) or shares its port (SO_REUSEPORT is
// set before bind, for good).
struct SocketKey {
  SocketAddress address;
  Protocol protocol;
  bool dual_stack = false;
  bool reuse_port = false;
};

struct ReloadPlan {
  // For each service of the new table and each of its endpoints: the index
  // of the old socket it keeps, or nullopt for a socket to open. Disabled
  // services have no endpoints here.
  std::vector<std::vector<std::optional<size_t>>> keep;
  // Old sockets no service of the new table keeps.
  std::vector<size_t> close;
};

ReloadPlan PlanReload(const std::vector<SocketKey>& old_sockets,
                      const ServiceTable& next);

}  // namespace superd
