#include "address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

namespace superd {
namespace {

SocketAddress V4(const char* ip, uint16_t port) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  EXPECT_EQ(inet_pton(AF_INET, ip, &in.sin_addr), 1) << ip;
  return SocketAddress(reinterpret_cast<sockaddr*>(&in), sizeof in);
}

SocketAddress V6(const char* ip, uint16_t port) {
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  EXPECT_EQ(inet_pton(AF_INET6, ip, &in6.sin6_addr), 1) << ip;
  return SocketAddress(reinterpret_cast<sockaddr*>(&in6), sizeof in6);
}

TEST(SocketAddress, Ipv4) {
  const SocketAddress a = V4("192.0.2.1", 80);
  EXPECT_EQ(a.family(), AF_INET);
  EXPECT_EQ(a.Ip(), "192.0.2.1");
  EXPECT_EQ(a.Port(), 80);
  EXPECT_EQ(a.ToString(), "192.0.2.1:80");
  EXPECT_EQ(a.UnixPath(), "");
}

TEST(SocketAddress, Ipv6InBrackets) {
  const SocketAddress a = V6("2001:db8::1", 443);
  EXPECT_EQ(a.family(), AF_INET6);
  EXPECT_EQ(a.Ip(), "2001:db8::1");  // UCSPI: without brackets
  EXPECT_EQ(a.Port(), 443);
  EXPECT_EQ(a.ToString(), "[2001:db8::1]:443");
}

TEST(SocketAddress, Ipv4MappedIpv6IsShownAsIpv4) {
  const SocketAddress a = V6("::ffff:192.0.2.7", 4000);
  EXPECT_EQ(a.Ip(), "192.0.2.7");
  EXPECT_EQ(a.Port(), 4000);
  EXPECT_EQ(a.ToString(), "192.0.2.7:4000");
}

TEST(SocketAddress, Unix) {
  const SocketAddress a = SocketAddress::Unix("/run/x.sock");
  EXPECT_EQ(a.family(), AF_UNIX);
  EXPECT_EQ(a.UnixPath(), "/run/x.sock");
  EXPECT_EQ(a.Ip(), "");
  EXPECT_EQ(a.Port(), 0);
  EXPECT_EQ(a.ToString(), "unix:/run/x.sock");
}

TEST(SocketAddress, Any) {
  EXPECT_EQ(SocketAddress::Any(AF_INET, 7).ToString(), "0.0.0.0:7");
  EXPECT_EQ(SocketAddress::Any(AF_INET6, 7).ToString(), "[::]:7");
  EXPECT_EQ(SocketAddress::Any(AF_INET6, 7).family(), AF_INET6);
}

TEST(SocketAddress, Equality) {
  EXPECT_EQ(V4("127.0.0.1", 7), V4("127.0.0.1", 7));
  EXPECT_FALSE(V4("127.0.0.1", 7) == V4("127.0.0.1", 8));
  EXPECT_FALSE(V4("127.0.0.1", 7) == V4("127.0.0.2", 7));
  EXPECT_FALSE(V4("127.0.0.1", 7) == V6("::1", 7));
  EXPECT_EQ(SocketAddress::Unix("/a"), SocketAddress::Unix("/a"));
  EXPECT_FALSE(SocketAddress::Unix("/a") == SocketAddress::Unix("/b"));
}

TEST(ResolvePort, ByNumber) {
  EXPECT_EQ(std::get<uint16_t>(ResolvePort("7", "tcp")), 7);
  EXPECT_EQ(std::get<uint16_t>(ResolvePort("1", "udp")), 1);
  EXPECT_EQ(std::get<uint16_t>(ResolvePort("65535", "tcp")), 65535);
}

TEST(ResolvePort, NumberOutOfRange) {
  EXPECT_EQ(std::get<std::string>(ResolvePort("0", "tcp")),
            "port 0 is out of range (1-65535)");
  EXPECT_EQ(std::get<std::string>(ResolvePort("65536", "tcp")),
            "port 65536 is out of range (1-65535)");
  EXPECT_EQ(std::get<std::string>(ResolvePort("", "tcp")), "missing port");
}

TEST(ResolvePort, ByEtcServicesNameForTheProtocol) {
  EXPECT_EQ(std::get<uint16_t>(ResolvePort("daytime", "tcp")), 13);
  EXPECT_EQ(std::get<uint16_t>(ResolvePort("daytime", "udp")), 13);
  EXPECT_EQ(std::get<uint16_t>(ResolvePort("tftp", "udp")), 69);
  // tftp is a udp service only.
  EXPECT_EQ(std::get<std::string>(ResolvePort("tftp", "tcp")),
            "unknown tcp service 'tftp' (not in /etc/services)");
  EXPECT_EQ(std::get<std::string>(ResolvePort("no-such-service", "udp")),
            "unknown udp service 'no-such-service' (not in /etc/services)");
}

TEST(ResolveInet, NumericAddress) {
  auto resolved = ResolveInet("127.0.0.1", "7", SOCK_STREAM);
  ASSERT_TRUE(std::holds_alternative<std::vector<SocketAddress>>(resolved))
      << std::get<std::string>(resolved);
  const auto& list = std::get<std::vector<SocketAddress>>(resolved);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].ToString(), "127.0.0.1:7");
}

TEST(ResolveInet, NumericIpv6Loopback) {
  auto resolved = ResolveInet("::1", "daytime", SOCK_STREAM);
  ASSERT_TRUE(std::holds_alternative<std::vector<SocketAddress>>(resolved))
      << std::get<std::string>(resolved);
  const auto& list = std::get<std::vector<SocketAddress>>(resolved);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].ToString(), "[::1]:13");
}

TEST(ResolveInet, LocalhostGivesEachLoopbackAddressOnce) {
  auto resolved = ResolveInet("localhost", "daytime", SOCK_DGRAM);
  ASSERT_TRUE(std::holds_alternative<std::vector<SocketAddress>>(resolved))
      << std::get<std::string>(resolved);
  const auto& list = std::get<std::vector<SocketAddress>>(resolved);
  ASSERT_FALSE(list.empty());
  for (size_t i = 0; i < list.size(); ++i) {
    EXPECT_TRUE(list[i].ToString() == "127.0.0.1:13" ||
                list[i].ToString() == "[::1]:13")
        << list[i].ToString();
    for (size_t j = 0; j < i; ++j) EXPECT_FALSE(list[i] == list[j]);
  }
}

TEST(ResolveInet, BadPortIsReportedBeforeTheHost) {
  EXPECT_EQ(std::get<std::string>(ResolveInet("127.0.0.1", "0", SOCK_STREAM)),
            "port 0 is out of range (1-65535)");
  EXPECT_EQ(std::get<std::string>(ResolveInet("127.0.0.1", "tftp", SOCK_STREAM)),
            "unknown tcp service 'tftp' (not in /etc/services)");
}

}  // namespace
}  // namespace superd
