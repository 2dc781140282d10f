// Socket activation: sockets a service manager (systemd, or
// systemd-socket-activate) bound for superd and passed as descriptors 3...
// with LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES (sd_listen_fds(3)). A listen
// entry whose address and type match one of them adopts it instead of
// binding. Uses libsystemd; never logs.
#pragma once

#include <string>
#include <vector>

#include "fd.hpp"
#include "table.hpp"

namespace superd {

class ActivationSockets {
 public:
  // Takes over the passed descriptors and unsets the variables, so that
  // no program inherits them.
  ActivationSockets();

  // The passed socket bound to `endpoint` with `socktype`, if there is one.
  UniqueFd Take(const Endpoint& endpoint, int socktype);

  struct Unused {
    int fd;
    std::string name;  // from LISTEN_FDNAMES, or "unknown"
  };
  // Those no listen entry took; closes them.
  std::vector<Unused> CloseRest();

 private:
  struct Passed {
    UniqueFd fd;
    std::string name;
  };
  std::vector<Passed> passed_;
};

}  // namespace superd
