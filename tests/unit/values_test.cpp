#include "values.hpp"

#include <gtest/gtest.h>

using namespace superd;
using namespace std::chrono_literals;

TEST(ParseDuration, AcceptsEveryUnit) {
  EXPECT_EQ(std::get<std::chrono::milliseconds>(ParseDuration("250ms")), 250ms);
  EXPECT_EQ(std::get<std::chrono::milliseconds>(ParseDuration("10s")), 10s);
  EXPECT_EQ(std::get<std::chrono::milliseconds>(ParseDuration("5m")), 5min);
  EXPECT_EQ(std::get<std::chrono::milliseconds>(ParseDuration("1h")), 1h);
  EXPECT_EQ(std::get<std::chrono::milliseconds>(ParseDuration("7")), 7s);
  EXPECT_EQ(std::get<std::chrono::milliseconds>(ParseDuration("0")), 0s);
}

TEST(ParseDuration, RejectsMalformed) {
  for (const char* bad : {"", "s", "5x", "-1s", "1.5s", "5 s", "ms"})
    EXPECT_TRUE(std::holds_alternative<std::string>(ParseDuration(bad))) << bad;
}

TEST(ParseInteger, AcceptsDecimalWithinRange) {
  EXPECT_EQ(std::get<long long>(ParseInteger("42", 0, 100)), 42);
  EXPECT_EQ(std::get<long long>(ParseInteger("+5", 0, 100)), 5);
  EXPECT_EQ(std::get<long long>(ParseInteger("-20", -20, 19)), -20);
  EXPECT_EQ(std::get<long long>(ParseInteger("19", -20, 19)), 19);
  EXPECT_EQ(std::get<long long>(ParseInteger("0", 0, 0)), 0);
}

TEST(ParseInteger, RejectsWhatIsNotAnInteger) {
  for (const char* bad : {"", "high", "1.5", "5x", " 5", "0x10", "--1", "+",
                          "-", "1e3", "5 ", "+-5"}) {
    auto parsed = ParseInteger(bad, -100, 100);
    ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << bad;
    EXPECT_EQ(std::get<std::string>(parsed),
              "expected an integer, not '" + std::string(bad) + "'");
  }
}

TEST(ParseInteger, RejectsOutOfRangeNamingTheRange) {
  EXPECT_EQ(std::get<std::string>(ParseInteger("20", -20, 19)),
            "value 20 is out of range (-20..19)");
  EXPECT_EQ(std::get<std::string>(ParseInteger("-21", -20, 19)),
            "value -21 is out of range (-20..19)");
  EXPECT_EQ(std::get<std::string>(ParseInteger("0", 1, 65535)),
            "value 0 is out of range (1..65535)");
  EXPECT_EQ(std::get<std::string>(ParseInteger("99999999999999999999", 1, 10)),
            "value 99999999999999999999 is out of range (1..10)");
}

TEST(ParseUmask, AcceptsOctalModes) {
  EXPECT_EQ(std::get<unsigned>(ParseUmask("022")), 022u);
  EXPECT_EQ(std::get<unsigned>(ParseUmask("0027")), 027u);
  EXPECT_EQ(std::get<unsigned>(ParseUmask("0")), 0u);
  EXPECT_EQ(std::get<unsigned>(ParseUmask("777")), 0777u);
  EXPECT_EQ(std::get<unsigned>(ParseUmask("0777")), 0777u);
  EXPECT_EQ(std::get<unsigned>(ParseUmask("7")), 07u);
}

TEST(ParseUmask, RejectsNonOctalAndTooLarge) {
  for (const char* bad : {"888", "", "1000", "-1", "+22", "22a", "0o22",
                          "0x12", " 022", "9"}) {
    auto parsed = ParseUmask(bad);
    ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << bad;
    EXPECT_EQ(std::get<std::string>(parsed),
              "invalid umask '" + std::string(bad) +
                  "' (expected an octal mode such as \"022\")");
  }
}

TEST(ParseBufferSize, BytesAndPowersOf1024UpTo1G) {
  EXPECT_EQ(std::get<int>(ParseBufferSize("0")), 0);
  EXPECT_EQ(std::get<int>(ParseBufferSize("4096")), 4096);
  EXPECT_EQ(std::get<int>(ParseBufferSize("64k")), 65536);
  EXPECT_EQ(std::get<int>(ParseBufferSize("64K")), 65536);
  EXPECT_EQ(std::get<int>(ParseBufferSize("2m")), 2 << 20);
  EXPECT_EQ(std::get<int>(ParseBufferSize("1G")), 1 << 30);
  EXPECT_EQ(std::get<int>(ParseBufferSize("1073741824")), 1 << 30);
}

TEST(ParseBufferSize, RejectsMoreThan1GNamingTheBound) {
  EXPECT_EQ(std::get<std::string>(ParseBufferSize("2G")),
            "size '2G' is too large (at most 1G)");
  EXPECT_EQ(std::get<std::string>(ParseBufferSize("1073741825")),
            "size '1073741825' is too large (at most 1G)");
}

TEST(ParseBufferSize, RejectsWhatIsNotASize) {
  for (const char* bad : {"", "unlimited", "infinity", "-1", "12Q", "1.5m", "k", "64 k"}) {
    auto parsed = ParseBufferSize(bad);
    ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << bad;
    EXPECT_EQ(std::get<std::string>(parsed),
              "invalid buffer size '" + std::string(bad) +
                  "' (expected a number of bytes, with K, M or G, at most 1G)");
  }
}

namespace {
ListenParts Listen(std::string_view text) {
  auto parsed = ParseListen(text);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    ADD_FAILURE() << text << ": " << *error;
    return {};
  }
  return std::get<ListenParts>(parsed);
}
}  // namespace

TEST(ParseListen, HostAndPort) {
  ListenParts p = Listen("127.0.0.1:7");
  EXPECT_FALSE(p.unix_socket);
  EXPECT_EQ(p.host, "127.0.0.1");
  EXPECT_EQ(p.port, "7");
  p = Listen("localhost:daytime");
  EXPECT_EQ(p.host, "localhost");
  EXPECT_EQ(p.port, "daytime");
}

TEST(ParseListen, BracketedIpv6) {
  ListenParts p = Listen("[::1]:7");
  EXPECT_FALSE(p.unix_socket);
  EXPECT_EQ(p.host, "::1");
  EXPECT_EQ(p.port, "7");
  p = Listen("[2001:db8::1]:http");
  EXPECT_EQ(p.host, "2001:db8::1");
  EXPECT_EQ(p.port, "http");
}

TEST(ParseListen, EveryAddressHasAnEmptyHost) {
  for (const char* text : {"*:7", "7"}) {
    ListenParts p = Listen(text);
    EXPECT_FALSE(p.unix_socket) << text;
    EXPECT_EQ(p.host, "") << text;
    EXPECT_EQ(p.port, "7") << text;
  }
  EXPECT_EQ(Listen("*:daytime").port, "daytime");
}

TEST(ParseListen, UnixPath) {
  ListenParts p = Listen("unix:/run/x.sock");
  EXPECT_TRUE(p.unix_socket);
  EXPECT_EQ(p.path, "/run/x.sock");
  const std::string longest = "/" + std::string(106, 'a');  // 107 bytes
  EXPECT_EQ(Listen("unix:" + longest).path, longest);
}

TEST(ParseListen, RejectsMalformedInetAddresses) {
  for (const char* bad : {"", "[::1]7", "::1:7", "host:", ":7", "[]:7",
                          "[::1]:", "[::1", "*:", "1:2:3"}) {
    auto parsed = ParseListen(bad);
    ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << bad;
    EXPECT_EQ(std::get<std::string>(parsed),
              "invalid listen address '" + std::string(bad) +
                  "' (expected HOST:PORT, [IPV6]:PORT, *:PORT, PORT or "
                  "unix:/PATH)");
  }
}

TEST(ParseListen, RejectsRelativeAndTooLongUnixPaths) {
  EXPECT_EQ(std::get<std::string>(ParseListen("unix:relative")),
            "unix socket path must be absolute: 'unix:relative'");
  EXPECT_EQ(std::get<std::string>(ParseListen("unix:")),
            "unix socket path must be absolute: 'unix:'");
  const std::string too_long = "unix:/" + std::string(107, 'a');  // 108 bytes
  EXPECT_EQ(std::get<std::string>(ParseListen(too_long)),
            "unix socket path is longer than 107 bytes: '" + too_long + "'");
}
