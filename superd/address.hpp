// SocketAddress: an IPv4, IPv6 or UNIX socket address, and its text forms.
// Pure value; no I/O except ResolveInet, which consults the resolver and
// /etc/services once, at load.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace superd {

class SocketAddress {
 public:
  SocketAddress() = default;
  SocketAddress(const sockaddr* sa, socklen_t len);
  static SocketAddress Unix(const std::string& path);
  // The wildcard address of `family` (AF_INET or AF_INET6) on `port`.
  static SocketAddress Any(int family, uint16_t port);

  int family() const { return storage_.ss_family; }
  const sockaddr* get() const {
    return reinterpret_cast<const sockaddr*>(&storage_);
  }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage_); }
  socklen_t size() const { return size_; }
  socklen_t capacity() const { return sizeof storage_; }
  void set_size(socklen_t size) { size_ = size; }

  // Numeric host without brackets ("127.0.0.1", "::1"); an IPv4-mapped IPv6
  // address is shown as its IPv4 form, as a client of a dual-stack socket
  // expects. Empty for UNIX addresses.
  std::string Ip() const;
  uint16_t Port() const;
  std::string UnixPath() const;
  // "127.0.0.1:7", "[::1]:7", "unix:/run/x.sock".
  std::string ToString() const;

  bool operator==(const SocketAddress& other) const;

 private:
  sockaddr_storage storage_{};
  socklen_t size_ = 0;
};

// Every address HOST:PORT names for `socktype` (SOCK_STREAM or SOCK_DGRAM).
// HOST is numeric or a host name; PORT a number or a name from /etc/services.
// On failure returns the reason as text.
std::variant<std::vector<SocketAddress>, std::string> ResolveInet(
    const std::string& host, const std::string& port, int socktype);

// The port PORT names (a number, or a service name for `protocol`, "tcp" or
// "udp"), or the reason it names none.
std::variant<uint16_t, std::string> ResolvePort(const std::string& port,
                                                const char* protocol);

}  // namespace superd
