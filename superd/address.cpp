#include "address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <charconv>
#include <cstddef>
#include <cstring>

namespace superd {

SocketAddress::SocketAddress(const sockaddr* sa, socklen_t len) {
  if (len > sizeof storage_) len = sizeof storage_;
  std::memcpy(&storage_, sa, len);
  size_ = len;
}

SocketAddress SocketAddress::Unix(const std::string& path) {
  SocketAddress a;
  auto* un = reinterpret_cast<sockaddr_un*>(&a.storage_);
  un->sun_family = AF_UNIX;
  std::strncpy(un->sun_path, path.c_str(), sizeof un->sun_path - 1);
  a.size_ = offsetof(sockaddr_un, sun_path) + path.size() + 1;
  return a;
}

SocketAddress SocketAddress::Any(int family, uint16_t port) {
  SocketAddress a;
  if (family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_any;
    in6->sin6_port = htons(port);
    a.size_ = sizeof *in6;
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&a.storage_);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_ANY);
    in->sin_port = htons(port);
    a.size_ = sizeof *in;
  }
  return a;
}

std::string SocketAddress::Ip() const {
  char buf[INET6_ADDRSTRLEN] = "";
  if (family() == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(&storage_);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
  } else if (family() == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
      inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], buf, sizeof buf);
    else
      inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

uint16_t SocketAddress::Port() const {
  if (family() == AF_INET)
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

std::string SocketAddress::UnixPath() const {
  if (family() != AF_UNIX) return "";
  auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
  size_t max = size_ > offsetof(sockaddr_un, sun_path)
                   ? size_ - offsetof(sockaddr_un, sun_path)
                   : 0;
  return std::string(un->sun_path, strnlen(un->sun_path, max));
}

std::string SocketAddress::ToString() const {
  switch (family()) {
    case AF_UNIX:
      return "unix:" + UnixPath();
    case AF_INET6: {
      std::string ip = Ip();
      if (ip.find(':') == std::string::npos)  // IPv4-mapped
        return ip + ":" + std::to_string(Port());
      return "[" + ip + "]:" + std::to_string(Port());
    }
    case AF_INET:
      return Ip() + ":" + std::to_string(Port());
  }
  return "(unknown address)";
}

bool SocketAddress::operator==(const SocketAddress& other) const {
  if (family() != other.family()) return false;
  if (family() == AF_UNIX) return UnixPath() == other.UnixPath();
  return size_ == other.size_ && Ip() == other.Ip() && Port() == other.Port();
}

std::variant<uint16_t, std::string> ResolvePort(const std::string& port,
                                                const char* protocol) {
  unsigned value = 0;
  auto [end, ec] =
      std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec == std::errc() && end == port.data() + port.size()) {
    if (value < 1 || value > 65535)
      return "port " + port + " is out of range (1-65535)";
    return static_cast<uint16_t>(value);
  }
  if (port.empty()) return std::string("missing port");
  const servent* s = getservbyname(port.c_str(), protocol);
  if (s == nullptr)
    return "unknown " + std::string(protocol) + " service '" + port +
           "' (not in /etc/services)";
  return static_cast<uint16_t>(ntohs(static_cast<uint16_t>(s->s_port)));
}

std::variant<std::vector<SocketAddress>, std::string> ResolveInet(
    const std::string& host, const std::string& port, int socktype) {
  auto resolved = ResolvePort(port, socktype == SOCK_DGRAM ? "udp" : "tcp");
  if (auto* error = std::get_if<std::string>(&resolved)) return *error;
  const uint16_t port_number = std::get<uint16_t>(resolved);
  // Numeric hosts, the common case, need no resolver (AI_ADDRCONFIG alone
  // costs a netlink round trip per call: too slow for 10,000 services).
  sockaddr_in in{};
  if (inet_pton(AF_INET, host.c_str(), &in.sin_addr) == 1) {
    in.sin_family = AF_INET;
    in.sin_port = htons(port_number);
    return std::vector{SocketAddress(reinterpret_cast<sockaddr*>(&in), sizeof in)};
  }
  sockaddr_in6 in6{};
  if (inet_pton(AF_INET6, host.c_str(), &in6.sin6_addr) == 1) {
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port_number);
    return std::vector{SocketAddress(reinterpret_cast<sockaddr*>(&in6), sizeof in6)};
  }
  addrinfo hints{};
  hints.ai_socktype = socktype;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  std::string service = std::to_string(port_number);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  if (rc == EAI_NONAME || rc == EAI_ADDRFAMILY || rc == EAI_NODATA) {
    // AI_ADDRCONFIG hides ::1 on hosts with only loopback IPv6; retry plain.
    hints.ai_flags = 0;
    rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  }
  if (rc != 0)
    return "unable to resolve host '" + host + "': " + gai_strerror(rc);
  std::vector<SocketAddress> out;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    SocketAddress a(ai->ai_addr, ai->ai_addrlen);
    bool seen = false;
    for (auto& b : out) seen = seen || b == a;
    if (!seen) out.push_back(a);
  }
  freeaddrinfo(list);
  return out;
}

}  // namespace superd
