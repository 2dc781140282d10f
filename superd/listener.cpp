#include "listener.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace superd {
namespace {

ListenError Failed(const char* verb) { return {verb, strerror(errno)}; }

// A socket file left by a process that is gone is replaced; one that still
// answers, or any other kind of file, is not.
std::optional<ListenError> ClearStaleUnixSocket(const SocketAddress& address,
                                                int socktype) {
  const std::string path = address.UnixPath();
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return std::nullopt;
  if (!S_ISSOCK(st.st_mode))
    return ListenError{"bind", "the file exists and is not a socket"};
  // Non-blocking: a listener whose backlog is full, or that never
  // accepts, answers EAGAIN at once instead of holding superd forever.
  UniqueFd probe(socket(AF_UNIX, socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (probe && (connect(probe.get(), address.get(), address.size()) == 0 ||
                errno == EAGAIN || errno == EINPROGRESS))
    return ListenError{"bind", "another process is listening on it"};
  if (unlink(path.c_str()) != 0 && errno != ENOENT)
    return Failed("remove the stale socket");
  return std::nullopt;
}

}  // namespace

std::variant<UniqueFd, ListenError> OpenListener(const Endpoint& endpoint,
                                                 const ListenOptions& options) {
  SocketAddress address = endpoint.address;
  int flags = options.socktype | SOCK_CLOEXEC |
              (options.nonblocking ? SOCK_NONBLOCK : 0);
  UniqueFd fd(socket(address.family(), flags, 0));
  if (!fd && endpoint.dual_stack && errno == EAFNOSUPPORT) {
    address = SocketAddress::Any(AF_INET, address.Port());  // no IPv6 here
    fd = UniqueFd(socket(AF_INET, flags, 0));
  }
  if (!fd) return Failed("create a socket for");

  const int one = 1, zero = 0;
  if (address.family() == AF_UNIX) {
    if (auto error = ClearStaleUnixSocket(address, options.socktype))
      return *error;
  } else if (options.socktype == SOCK_STREAM &&
             setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    // Stream sockets only: it lets a restarted superd bind while old
    // connections linger in TIME_WAIT. On datagram sockets it would let any
    // local user bind a more specific address on the port and take the
    // clients' datagrams.
    return Failed("set SO_REUSEADDR on");
  }
  if (address.family() == AF_INET6 &&
      setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY,
                 endpoint.dual_stack ? &zero : &one, sizeof one) != 0)
    return Failed("set IPV6_V6ONLY on");
  if (bind(fd.get(), address.get(), address.size()) != 0)
    return Failed("bind");
  if (options.socktype == SOCK_STREAM && listen(fd.get(), options.backlog) != 0)
    return Failed("listen on");
  return fd;
}

void AdjustListener(int fd, const Service& service) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0)
    fcntl(fd, F_SETFL, service.wait ? flags & ~O_NONBLOCK : flags | O_NONBLOCK);
  if (service.protocol == Protocol::kTcp) listen(fd, service.backlog);
}

SocketFile SocketFileOf(const Endpoint& endpoint) {
  struct stat st;
  if (endpoint.address.family() != AF_UNIX ||
      lstat(endpoint.address.UnixPath().c_str(), &st) != 0)
    return {};
  return {st.st_dev, st.st_ino};
}

void RemoveUnixSocketFile(const Endpoint& endpoint, const SocketFile& bound) {
  const SocketFile now = SocketFileOf(endpoint);
  if (now.ino != 0 && now.dev == bound.dev && now.ino == bound.ino)
    unlink(endpoint.address.UnixPath().c_str());
}

}  // namespace superd
