// Listener: binds one Endpoint. Returns the socket or the reason it could
// not be bound; never logs. Sockets are close-on-exec; those superd accepts
// on itself are non-blocking, those handed to wait services stay blocking
// (the program shares the open file description).
#pragma once

#include <sys/types.h>

#include <string>
#include <variant>

#include "fd.hpp"
#include "table.hpp"

namespace superd {

// The socket buffer sizes a socket has (`sndbuf`, `rcvbuf`): 0 for the
// kernel's default, -1 where unknown (a socket the service manager passed).
struct BufferSizes {
  int sndbuf = -1;
  int rcvbuf = -1;
  bool operator==(const BufferSizes&) const = default;
};

struct ListenOptions {
  int socktype;        // SOCK_STREAM or SOCK_DGRAM
  int backlog;         // for SOCK_STREAM
  bool nonblocking;    // false for wait services
  BufferSizes buffers{0, 0};  // SO_SNDBUF, SO_RCVBUF; accepted sockets
                              // inherit them
  bool reuse_port = false;    // SO_REUSEPORT: other processes may bind the port
  bool defer_accept = false;  // TCP_DEFER_ACCEPT: proxy_protocol's header first
};

// Why a socket could not be opened: "unable to VERB ADDRESS: REASON".
struct ListenError {
  std::string verb;    // "bind", "listen on", ...
  std::string reason;  // strerror text or an explanation
};

std::variant<UniqueFd, ListenError> OpenListener(const Endpoint& endpoint,
                                                 const ListenOptions& options);

// Applies a reloaded service's settings to a socket it keeps: the backlog
// (listen(2) again), blocking mode (wait programs share the socket) and
// buffer sizes. `before`: the sizes it has, so that one that went back to 0
// gets the kernel's default again; an unknown one (-1) is left alone then.
void AdjustListener(int fd, const Service& service, const BufferSizes& before);
void SetDeferAccept(int fd, bool on);

// The file a UNIX socket was bound to, as it is right after bind(2): the
// one superd may remove later (zero for other sockets).
struct SocketFile {
  dev_t dev = 0;
  ino_t ino = 0;
};
SocketFile SocketFileOf(const Endpoint& endpoint);

// Removes a UNIX socket's file once superd no longer listens on it, if the
// path still names that file: a reload may have bound a new socket there.
void RemoveUnixSocketFile(const Endpoint& endpoint, const SocketFile& bound);

}  // namespace superd
