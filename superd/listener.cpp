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
  UniqueFd probe(socket(AF_UNIX, socktype | SOCK_CLOEXEC, 0));
  if (probe && connect(probe.get(), address.get(), address.size()) == 0)
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
  } else if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
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

void RemoveUnixSocketFile(const Endpoint& endpoint) {
  if (endpoint.address.family() == AF_UNIX)
    unlink(endpoint.address.UnixPath().c_str());
}

}  // namespace superd
