#include "listener.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

namespace superd {
namespace {

ListenError Failed(const char* verb) { return {verb, strerror(errno)}; }

#ifndef SO_BUF_LOCK
#define SO_BUF_LOCK 72  // Linux 5.14
#endif
constexpr int kSndbufLock = 1, kRcvbufLock = 2;  // SOCK_SNDBUF_LOCK, SOCK_RCVBUF_LOCK

// A socket given SO_SNDBUF (SO_RCVBUF) keeps that size, and the kernel no
// longer tunes it. Going back to 0 gives it the size a new socket of its
// kind has, then takes the lock off again (SO_BUF_LOCK; on an older kernel
// the size stays fixed).
void SetBufferSize(int fd, int option, int size, int before) {
  if (size == before || (size == 0 && before <= 0)) return;
  if (size > 0) {
    setsockopt(fd, SOL_SOCKET, option, &size, sizeof size);
    return;
  }
  int domain = 0, type = 0, fresh_size = 0, locks = 0;
  socklen_t len = sizeof domain;
  getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
  len = sizeof type;
  getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
  UniqueFd fresh(socket(domain, type | SOCK_CLOEXEC, 0));
  len = sizeof fresh_size;
  if (!fresh || getsockopt(fresh.get(), SOL_SOCKET, option, &fresh_size, &len) != 0) return;
  fresh_size /= 2;  // the kernel doubles what it is given
  setsockopt(fd, SOL_SOCKET, option, &fresh_size, sizeof fresh_size);
  len = sizeof locks;
  if (getsockopt(fd, SOL_SOCKET, SO_BUF_LOCK, &locks, &len) != 0) return;
  locks &= option == SO_SNDBUF ? ~kSndbufLock : ~kRcvbufLock;
  setsockopt(fd, SOL_SOCKET, SO_BUF_LOCK, &locks, sizeof locks);
}

// A UNIX socket's file, reached through the directory it is in, opened
// once: the check that the file is a socket and its removal act on one
// file, even if a directory of the path is renamed, or replaced by a
// symlink, between the two. (connect and bind may follow such a swap:
// neither can harm another file.)
struct UnixPlace {
  UniqueFd dir;      // the directory the file is in (O_PATH)
  std::string name;  // the file's name in it
};

std::optional<UnixPlace> PlaceOf(const std::string& path) {
  const auto slash = path.rfind('/');  // absolute: the loader insists
  if (slash == std::string::npos) return std::nullopt;
  const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
  UnixPlace place{UniqueFd(open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)),
                  path.substr(slash + 1)};
  if (!place.dir) return std::nullopt;
  return place;
}

// A socket file left by a process that is gone is replaced; one that still
// answers, or any other kind of file, is not.
std::optional<ListenError> ClearStaleUnixSocket(const SocketAddress& address,
                                                int socktype) {
  const auto place = PlaceOf(address.UnixPath());
  struct stat st;  // no directory: bind says why
  if (!place) return std::nullopt;
  if (fstatat(place->dir.get(), place->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return std::nullopt;
  if (!S_ISSOCK(st.st_mode))
    return ListenError{"bind", "the file exists and is not a socket"};
  // Non-blocking: a listener whose backlog is full, or that never
  // accepts, answers EAGAIN at once instead of holding superd forever.
  UniqueFd probe(socket(AF_UNIX, socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (probe && (connect(probe.get(), address.get(), address.size()) == 0 ||
                errno == EAGAIN || errno == EINPROGRESS))
    return ListenError{"bind", "another process is listening on it"};
  if (unlinkat(place->dir.get(), place->name.c_str(), 0) != 0 && errno != ENOENT)
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
    if (auto error = ClearStaleUnixSocket(address, options.socktype)) return *error;
  } else if (options.socktype == SOCK_STREAM &&
             setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    // Stream sockets only: it lets a restarted superd bind while old
    // connections linger in TIME_WAIT. On datagram sockets it would let any
    // local user bind a more specific address on the port and take the
    // clients' datagrams.
    return Failed("set SO_REUSEADDR on");
  }
  // reuse_port: several processes share the port, each with its own
  // socket, the kernel spreading the clients over them. Linux lets only
  // sockets of the same effective uid join: no other user's process can.
  if (options.reuse_port && address.family() != AF_UNIX &&
      setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    return Failed("set SO_REUSEPORT on");
  // Before listen(2): a tcp receive buffer decides the window scale the
  // connections announce.
  const BufferSizes& b = options.buffers;
  if (b.sndbuf > 0 &&
      setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &b.sndbuf, sizeof b.sndbuf) != 0)
    return Failed("set SO_SNDBUF on");
  if (b.rcvbuf > 0 &&
      setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &b.rcvbuf, sizeof b.rcvbuf) != 0)
    return Failed("set SO_RCVBUF on");
  if (address.family() == AF_INET6 &&
      setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY,
                 endpoint.dual_stack ? &zero : &one, sizeof one) != 0)
    return Failed("set IPV6_V6ONLY on");
  if (bind(fd.get(), address.get(), address.size()) != 0)
    return Failed("bind");
  if (options.socktype == SOCK_STREAM && options.defer_accept)
    SetDeferAccept(fd.get(), true);
  if (options.socktype == SOCK_STREAM && listen(fd.get(), options.backlog) != 0)
    return Failed("listen on");
  return fd;
}

// proxy_protocol: a balancer sends its header at once, so the kernel holds
// a connection until its first bytes have come (for up to a second, then
// hands it over anyway, and the header's own deadline runs): superd
// accepts it with the header there to read, without a trip through poll.
void SetDeferAccept(int fd, bool on) {
  const int seconds = on ? 1 : 0;
  setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, sizeof seconds);
}

void AdjustListener(int fd, const Service& service, const BufferSizes& before) {
  SetBufferSize(fd, SO_SNDBUF, service.sndbuf, before.sndbuf);
  SetBufferSize(fd, SO_RCVBUF, service.rcvbuf, before.rcvbuf);
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0)
    fcntl(fd, F_SETFL, service.wait ? flags & ~O_NONBLOCK : flags | O_NONBLOCK);
  if (service.protocol == Protocol::kTcp) {
    SetDeferAccept(fd, service.proxy_protocol);
    listen(fd, service.backlog);
  }
}

SocketFile SocketFileOf(const Endpoint& endpoint) {
  struct stat st;
  if (endpoint.address.family() != AF_UNIX ||
      lstat(endpoint.address.UnixPath().c_str(), &st) != 0)
    return {};
  return {st.st_dev, st.st_ino};
}

void RemoveUnixSocketFile(const Endpoint& endpoint, const SocketFile& bound) {
  const auto place = PlaceOf(endpoint.address.UnixPath());
  struct stat st;
  if (place && fstatat(place->dir.get(), place->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      st.st_dev == bound.dev && st.st_ino == bound.ino)
    unlinkat(place->dir.get(), place->name.c_str(), 0);
}

}  // namespace superd
