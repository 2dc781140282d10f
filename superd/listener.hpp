// Listener: binds one Endpoint. Returns the socket or the reason it could
// not be bound; never logs. Sockets are close-on-exec; those superd accepts
// on itself are non-blocking, those handed to wait services stay blocking
// (the program shares the open file description).
#pragma once

#include <string>
#include <variant>

#include "fd.hpp"
#include "table.hpp"

namespace superd {

struct ListenOptions {
  int socktype;        // SOCK_STREAM or SOCK_DGRAM
  int backlog;         // for SOCK_STREAM
  bool nonblocking;    // false for wait services
};

std::variant<UniqueFd, std::string> OpenListener(const Endpoint& endpoint,
                                                 const ListenOptions& options);

// Removes a UNIX socket's file once superd no longer listens on it.
void RemoveUnixSocketFile(const Endpoint& endpoint);

}  // namespace superd
