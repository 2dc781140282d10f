#include "proxy_header.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace superd {
// For gtest's messages.
std::ostream& operator<<(std::ostream& out, ProxyStatus status) {
  switch (status) {
    case ProxyStatus::kIncomplete: return out << "kIncomplete";
    case ProxyStatus::kComplete: return out << "kComplete";
    case ProxyStatus::kInvalid: return out << "kInvalid";
  }
  return out << "ProxyStatus(" << static_cast<int>(status) << ")";
}
}  // namespace superd

using namespace superd;
using namespace std::string_literals;

namespace {

const std::string kSignature("\r\n\r\n\0\r\nQUIT\n", 12);
// What a client sends once the balancer's header is through.
const std::string kClientData = "GET / HTTP/1.0\r\n\r\n";

// Bytes as text for a failure message: printable as is, the rest \xNN.
std::string Printable(std::string_view bytes) {
  std::string out;
  char buf[5];
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string Be16(size_t n) {
  return {static_cast<char>(n >> 8 & 0xff), static_cast<char>(n & 0xff)};
}

std::string Bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out += static_cast<char>(b);
  return out;
}

// A v2 header: signature, version and command, family, length, payload.
std::string V2(int ver_cmd, int family, const std::string& payload) {
  return kSignature + Bytes({ver_cmd, family}) + Be16(payload.size()) + payload;
}

std::string Tlv(int type, const std::string& value) {
  return Bytes({type}) + Be16(value.size()) + value;
}

std::string Ip4(const char* text) {
  in_addr a{};
  EXPECT_EQ(inet_pton(AF_INET, text, &a), 1) << text;
  return std::string(reinterpret_cast<const char*>(&a), 4);
}

std::string Ip6(const char* text) {
  in6_addr a{};
  EXPECT_EQ(inet_pton(AF_INET6, text, &a), 1) << text;
  return std::string(reinterpret_cast<const char*>(&a), 16);
}

// sun_path as a v2 header carries it: 108 bytes, NUL-padded.
std::string SunPath(const std::string& path) {
  std::string out = path;
  out.resize(108, '\0');
  return out;
}

// The reference CRC32C, written apart from the parser's (RFC 3720 B.4:
// reflected, table-driven).
uint32_t Crc32c(std::string_view bytes) {
  static const std::vector<uint32_t> table = [] {
    std::vector<uint32_t> t(256);
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0x82f63b78 ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xffffffff;
  for (unsigned char b : bytes) crc = table[(crc ^ b) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffff;
}

// Writes the CRC32C of `header` into the 4-byte value at `at` (zero
// while computing), as a sender does.
std::string WithCrc(std::string header, size_t at) {
  header.replace(at, 4, std::string(4, '\0'));
  const uint32_t crc = Crc32c(header);
  header.replace(at, 4, Be16(crc >> 16) + Be16(crc & 0xffff));
  return header;
}

ProxyParse Parse(std::string_view bytes) { return ParseProxyHeader(bytes); }

// `header` is one whole valid header: every proper prefix of it is
// kIncomplete (never kInvalid, never kComplete), it is kComplete with its
// exact length, and so it is followed by client data in the same buffer,
// whatever that data (even another header).
ProxyHeader ExpectValid(const std::string& header) {
  SCOPED_TRACE(Printable(header));
  for (size_t n = 0; n < header.size(); ++n) {
    const ProxyParse prefix = Parse(std::string_view(header).substr(0, n));
    EXPECT_EQ(prefix.status, ProxyStatus::kIncomplete)
        << "prefix of " << n << " bytes: " << prefix.error;
  }
  const ProxyParse whole = Parse(header);
  EXPECT_EQ(whole.status, ProxyStatus::kComplete) << whole.error;
  EXPECT_EQ(whole.header.length, header.size());
  EXPECT_EQ(whole.error, "");
  for (const std::string& data :
       {kClientData, header, std::string(5000, '\0'), std::string(1, '\n')}) {
    const ProxyParse followed = Parse(header + data);
    EXPECT_EQ(followed.status, ProxyStatus::kComplete) << followed.error;
    EXPECT_EQ(followed.header, whole.header);
    EXPECT_EQ(followed.header.length, header.size());
  }
  return whole.header;
}

// `bytes` goes wrong at byte `at`: shorter prefixes are kIncomplete, any
// prefix holding that byte is kInvalid, with an error containing `error`.
void ExpectInvalidAt(const std::string& bytes, size_t at,
                     std::string_view error) {
  SCOPED_TRACE(Printable(bytes) + " (wrong at byte " + std::to_string(at) +
               ")");
  ASSERT_LT(at, bytes.size());
  for (size_t n = 0; n <= at; ++n) {
    const ProxyParse prefix = Parse(std::string_view(bytes).substr(0, n));
    EXPECT_EQ(prefix.status, ProxyStatus::kIncomplete)
        << "prefix of " << n << " bytes: " << prefix.error;
  }
  for (size_t n = at + 1; n <= bytes.size(); ++n) {
    const ProxyParse prefix = Parse(std::string_view(bytes).substr(0, n));
    EXPECT_EQ(prefix.status, ProxyStatus::kInvalid)
        << "prefix of " << n << " bytes";
    EXPECT_NE(prefix.error.find(error), std::string::npos)
        << "prefix of " << n << " bytes: " << prefix.error;
  }
}

}  // namespace

// --- Detection ---------------------------------------------------------------

TEST(ProxyHeader, NothingYetIsIncomplete) {
  EXPECT_EQ(Parse("").status, ProxyStatus::kIncomplete);
  EXPECT_EQ(Parse("P").status, ProxyStatus::kIncomplete);
  EXPECT_EQ(Parse("PROXY").status, ProxyStatus::kIncomplete);
  EXPECT_EQ(Parse("\r").status, ProxyStatus::kIncomplete);
  EXPECT_EQ(Parse(kSignature).status, ProxyStatus::kIncomplete);
}

TEST(ProxyHeader, OtherProtocolsFailAtTheirFirstByte) {
  for (const std::string& client :
       {"GET / HTTP/1.1\r\n"s, "\x16\x03\x01\x02\x00"s,
        "SSH-2.0-OpenSSH_9.2\r\n"s, "EHLO example.com\r\n"s, "\r\n"s + "GET"s,
        "proxy tcp4"s, "\0\0\0\0"s}) {
    const size_t at = client.starts_with("\r\n") ? 2 : 0;
    ExpectInvalidAt(client, at, "not a PROXY header");
  }
}

TEST(ProxyHeader, WrongV1SignatureByteIsInvalidAtOnce) {
  const std::string good = "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n";
  for (size_t i = 0; i < 6; ++i) {
    std::string bad = good;
    bad[i] = bad[i] == 'X' ? 'Y' : 'X';
    ExpectInvalidAt(bad, i, "not a PROXY header");
  }
}

TEST(ProxyHeader, WrongV2SignatureByteIsInvalidAtOnce) {
  const std::string good = V2(0x21, 0x11, std::string(12, '\x01'));
  for (size_t i = 0; i < 12; ++i) {
    for (int delta : {1, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] + delta);
      // 'P' there would start a v1 line: that one is no longer a v2 test.
      if (i == 0 && bad[0] == 'P') continue;
      ExpectInvalidAt(bad, i, "not a PROXY header");
    }
  }
}

TEST(ProxyHeader, ErrorQuotesPeerBytesEscaped) {
  const ProxyParse http = Parse("GET /\x1b[2J\r\n");
  EXPECT_EQ(http.error, "not a PROXY header: 'GET /\\x1b[2J\\x0d\\x0a'");
  const ProxyParse proto = Parse("PROXY T\x07\r\n");
  ASSERT_EQ(proto.status, ProxyStatus::kInvalid);
  EXPECT_EQ(proto.error.find('\x07'), std::string::npos) << proto.error;
  EXPECT_NE(proto.error.find("\\x07"), std::string::npos) << proto.error;
}

// --- Version 1 ---------------------------------------------------------------

TEST(ProxyHeaderV1, SpecExampleBeforeAnHttpRequest) {
  const std::string line = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
  const ProxyHeader h = ExpectValid(line);
  EXPECT_EQ(h.version, 1);
  EXPECT_FALSE(h.local);
  EXPECT_FALSE(h.unknown);
  EXPECT_EQ(h.source.family(), AF_INET);
  EXPECT_EQ(h.source.ToString(), "192.168.0.1:56324");
  EXPECT_EQ(h.destination.ToString(), "192.168.0.11:443");
  EXPECT_EQ(h.length, 47u);
  const std::string stream =
      line + "GET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n";
  const ProxyParse p = Parse(stream);
  ASSERT_EQ(p.status, ProxyStatus::kComplete);
  EXPECT_EQ(stream.substr(p.header.length),
            "GET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n");
}

TEST(ProxyHeaderV1, SpecLongestLines) {
  const std::string tcp4 =
      "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n";
  EXPECT_EQ(tcp4.size(), 56u);
  EXPECT_EQ(ExpectValid(tcp4).source.ToString(), "255.255.255.255:65535");

  const std::string ffff = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
  const std::string tcp6 =
      "PROXY TCP6 " + ffff + " " + ffff + " 65535 65535\r\n";
  EXPECT_EQ(tcp6.size(), 104u);
  const ProxyHeader h6 = ExpectValid(tcp6);
  EXPECT_EQ(h6.source.family(), AF_INET6);
  EXPECT_EQ(h6.source.ToString(), "[" + ffff + "]:65535");

  const ProxyHeader unknown = ExpectValid("PROXY UNKNOWN\r\n");
  EXPECT_EQ(unknown.length, 15u);
  EXPECT_TRUE(unknown.unknown);
  EXPECT_EQ(unknown.version, 1);
  EXPECT_EQ(unknown.source.family(), AF_UNSPEC);

  const std::string worst =
      "PROXY UNKNOWN " + ffff + " " + ffff + " 65535 65535\r\n";
  EXPECT_EQ(worst.size(), 107u);
  EXPECT_TRUE(ExpectValid(worst).unknown);
}

TEST(ProxyHeaderV1, Tcp4) {
  const ProxyHeader h = ExpectValid("PROXY TCP4 10.0.0.1 0.0.0.0 0 1\r\n");
  EXPECT_EQ(h.source.Ip(), "10.0.0.1");
  EXPECT_EQ(h.source.Port(), 0);
  EXPECT_EQ(h.destination.Ip(), "0.0.0.0");
  EXPECT_EQ(h.destination.Port(), 1);
  EXPECT_EQ(h.source.size(), sizeof(sockaddr_in));
}

TEST(ProxyHeaderV1, Tcp6Forms) {
  struct Case {
    const char* text;
    const char* ip;  // as SocketAddress shows it
  };
  for (const Case& c :
       {Case{"::1", "::1"}, Case{"::", "::"},
        Case{"2001:db8::1", "2001:db8::1"},
        Case{"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
        Case{"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
        Case{"fe80::", "fe80::"}, Case{"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
        // What inet_ntop writes for an IPv4 client of a
        // dual-stack socket; SocketAddress shows it as IPv4.
        Case{"::ffff:192.0.2.1", "192.0.2.1"},
        Case{"64:ff9b::192.0.2.33", "64:ff9b::c000:221"}}) {
    SCOPED_TRACE(c.text);
    const std::string line = "PROXY TCP6 "s + c.text + " ::1 1234 80\r\n";
    const ProxyHeader h = ExpectValid(line);
    EXPECT_EQ(h.source.family(), AF_INET6);
    EXPECT_EQ(h.source.Ip(), c.ip);
    EXPECT_EQ(h.source.Port(), 1234);
    EXPECT_EQ(h.destination.Ip(), "::1");
    EXPECT_EQ(h.destination.Port(), 80);
  }
}

TEST(ProxyHeaderV1, UnknownIgnoresTheRestOfItsLine) {
  for (const std::string& line :
       {"PROXY UNKNOWN\r\n"s, "PROXY UNKNOWN \r\n"s,
        "PROXY UNKNOWN 192.0.2.1 192.0.2.2 1 2\r\n"s,
        "PROXY UNKNOWN what  ever\tthe\x01sender \0puts\r\n"s}) {
    const ProxyHeader h = ExpectValid(line);
    EXPECT_TRUE(h.unknown);
    EXPECT_EQ(h.source.family(), AF_UNSPEC);
    EXPECT_EQ(h.destination.family(), AF_UNSPEC);
  }
  ExpectInvalidAt("PROXY UNKNOWNX\r\n", 13, "is not TCP4, TCP6 or UNKNOWN");
  ExpectInvalidAt("PROXY UNKNOWN a\nb\r\n", 15, "LF without CR");
  ExpectInvalidAt("PROXY UNKNOWN a\rb\r\n", 16, "CR not followed by LF");
}

TEST(ProxyHeaderV1, Protocols) {
  ExpectInvalidAt("PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\n", 9,
                  "'TCP5' is not TCP4, TCP6 or UNKNOWN");
  ExpectInvalidAt("PROXY tcp4 1.2.3.4 1.2.3.4 1 2\r\n", 6, "is not TCP4");
  ExpectInvalidAt("PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n", 7, "is not TCP4");
  ExpectInvalidAt("PROXY TCP 1.2.3.4 1.2.3.4 1 2\r\n", 9, "'TCP' is not");
  ExpectInvalidAt("PROXY TCP44 1.2.3.4 1.2.3.4 1 2\r\n", 10, "is not");
  ExpectInvalidAt("PROXY TCP4\r\n", 10, "ends after the protocol");
  ExpectInvalidAt("PROXY \r\n", 6, "'' is not TCP4");
}

TEST(ProxyHeaderV1, LineEnds) {
  const std::string body = "PROXY TCP4 192.0.2.1 192.0.2.2 1 2";
  ExpectInvalidAt(body + "\n", body.size(), "LF without CR");
  ExpectInvalidAt(body + "\r\r\n", body.size() + 1, "CR not followed by LF");
  ExpectInvalidAt(body + "\rX", body.size() + 1, "CR not followed by LF");
  ExpectInvalidAt(body + "\n\r", body.size(), "LF without CR");
  // A lone CR in the middle of the line, before the real end: the line
  // seen so far is too short, then the CR is not followed by LF (the reason
  // depends on how much has arrived; the verdict does not).
  ExpectInvalidAt("PROXY TCP4 192.0.2.1\r 192.0.2.2 1 2\r\n", 20, "");
  // The CR alone is not yet an end: the LF is awaited, then it is complete.
  EXPECT_EQ(Parse(body + "\r").status, ProxyStatus::kIncomplete);
}

TEST(ProxyHeaderV1, NoCrlfWithin107BytesIsInvalid) {
  // Without the CRLF: decided at the 106th byte, where the CR must be at
  // the latest, not left waiting for more.
  const std::string endless = "PROXY UNKNOWN " + std::string(500, 'x');
  ExpectInvalidAt(endless, 105, "v1 header longer than 107 bytes");
  // 108 bytes with the CRLF: one too many.
  const std::string long_line =
      "PROXY UNKNOWN " + std::string(92, 'x') + "\r\n";
  ASSERT_EQ(long_line.size(), 108u);
  ExpectInvalidAt(long_line, 105, "v1 header longer than 107 bytes");
  // 107: the most there is.
  const std::string longest = "PROXY UNKNOWN " + std::string(91, 'x') + "\r\n";
  ASSERT_EQ(longest.size(), 107u);
  EXPECT_EQ(ExpectValid(longest).length, 107u);
  // A TCP line gone on forever fails earlier, at its first wrong field.
  ExpectInvalidAt("PROXY TCP6 " + std::string(200, 'f'), 11 + 45,
                  "is not an IPv6 address");
}

TEST(ProxyHeaderV1, Ports) {
  const std::string head = "PROXY TCP4 192.0.2.1 192.0.2.2 ";
  const size_t sport = head.size();
  EXPECT_EQ(ExpectValid(head + "0 65535\r\n").destination.Port(), 65535);
  EXPECT_EQ(ExpectValid(head + "65535 0\r\n").source.Port(), 65535);
  ExpectInvalidAt(head + "http 80\r\n", sport, "source port 'h");
  ExpectInvalidAt(head + "80 http\r\n", sport + 3, "destination port 'h");
  ExpectInvalidAt(head + "65536 80\r\n", sport + 4,
                  "source port '65536' is not a decimal 0-65535");
  ExpectInvalidAt(head + "99999 80\r\n", sport + 4, "'99999'");
  ExpectInvalidAt(head + "123456 80\r\n", sport + 5, "'123456'");
  ExpectInvalidAt(head + "80 70000\r\n", sport + 3 + 4,
                  "destination port '70000'");
  ExpectInvalidAt(head + "+80 80\r\n", sport, "'+");
  ExpectInvalidAt(head + "-1 80\r\n", sport, "'-");
  ExpectInvalidAt(head + "0x50 80\r\n", sport + 1, "'0x");
  ExpectInvalidAt(head + "8a 80\r\n", sport + 1, "'8a'");
  // Leading zeros: not permitted by the spec (octal confusion).
  ExpectInvalidAt(head + "080 80\r\n", sport + 1, "without leading zeros");
  ExpectInvalidAt(head + "00 80\r\n", sport + 1, "'00'");
  ExpectInvalidAt(head + "80 0443\r\n", sport + 4, "'04");
  // Missing or extra fields.
  ExpectInvalidAt(head + "80\r\n", sport + 2, "has 5 fields, not 6");
  ExpectInvalidAt(head + "80 80 80\r\n", sport + 5, "more than 6 fields");
  ExpectInvalidAt(head + "80 80 \r\n", sport + 5, "more than 6 fields");
  ExpectInvalidAt(head + "80 \r\n", sport + 3, "empty destination port");
}

TEST(ProxyHeaderV1, ExactlySingleSpaces) {
  ExpectInvalidAt("PROXY  TCP4 192.0.2.1 192.0.2.2 1 2\r\n", 6,
                  "'' is not TCP4");
  ExpectInvalidAt("PROXY TCP4  192.0.2.1 192.0.2.2 1 2\r\n", 11,
                  "empty source address");
  ExpectInvalidAt("PROXY TCP4 192.0.2.1  192.0.2.2 1 2\r\n", 21,
                  "empty destination address");
  ExpectInvalidAt("PROXY TCP4 192.0.2.1 192.0.2.2  1 2\r\n", 31,
                  "empty source port");
  ExpectInvalidAt("PROXY TCP4 192.0.2.1 192.0.2.2 1  2\r\n", 33,
                  "empty destination port");
  ExpectInvalidAt("PROXY TCP4 192.0.2.1\t192.0.2.2 1 2\r\n", 20,
                  "is not a dotted-quad");
  ExpectInvalidAt("PROXY TCP6 ::1 ::1 1 2 \r\n", 22, "more than 6 fields");
}

TEST(ProxyHeaderV1, Ipv4DottedQuadOnly) {
  const auto line = [](const std::string& source) {
    return "PROXY TCP4 " + source + " 192.0.2.2 1 2\r\n";
  };
  constexpr size_t kAt = 11;  // where the source address starts
  EXPECT_EQ(ExpectValid(line("0.0.0.0")).source.Ip(), "0.0.0.0");
  EXPECT_EQ(ExpectValid(line("100.10.1.0")).source.Ip(), "100.10.1.0");
  ExpectInvalidAt(line("01.2.3.4"), kAt + 1, "without leading zeros");
  ExpectInvalidAt(line("1.2.3.04"), kAt + 7, "'1.2.3.04'");
  ExpectInvalidAt(line("1.2.3.00"), kAt + 7, "'1.2.3.00'");
  ExpectInvalidAt(line("1.2.3"), kAt + 5, "'1.2.3' is not a dotted-quad");
  ExpectInvalidAt(line("10.1"), kAt + 4, "'10.1'");
  ExpectInvalidAt(line("1.2.3.4.5"), kAt + 7, "'1.2.3.4.");
  ExpectInvalidAt(line("1..3.4"), kAt + 2, "'1..");
  ExpectInvalidAt(line(".1.2.3"), kAt, "'.");
  ExpectInvalidAt(line("1.2.3."), kAt + 6, "'1.2.3.'");
  ExpectInvalidAt(line("256.1.1.1"), kAt + 2, "'256");
  ExpectInvalidAt(line("1.2.3.1000"), kAt + 9, "'1.2.3.100");
  ExpectInvalidAt(line("0x1.2.3.4"), kAt + 1, "'0x");
  ExpectInvalidAt(line("1.2.3.4/8"), kAt + 7, "'1.2.3.4/");
  ExpectInvalidAt(line("::1"), kAt, "':");  // IPv6 on a TCP4 line
  ExpectInvalidAt(line("::ffff:1.2.3.4"), kAt, "':");
  ExpectInvalidAt(line("localhost"), kAt, "'l");
}

TEST(ProxyHeaderV1, Ipv6Forms) {
  const auto line = [](const std::string& source) {
    return "PROXY TCP6 " + source + " ::1 1 2\r\n";
  };
  constexpr size_t kAt = 11;
  // Wrong characters are caught at once.
  ExpectInvalidAt(line("[::1]"), kAt, "is not an IPv6 address");
  ExpectInvalidAt(line("fe80::1%eth0"), kAt + 7, "'fe80::1%");
  ExpectInvalidAt(line("::g"), kAt + 2, "'::g");
  // A wrong arrangement of right characters, once the field ends.
  for (const std::string& bad :
       {"1:2:3:4:5:6:7:8:9"s, "1:2:3:4:5:6:7"s, "12345::"s, ":::1"s, "1::2::3"s,
        "::1:"s, ":1::"s, "1.2.3.4"s, "::ffff:1.2.3"s, "::ffff:01.2.3.4"s,
        "::ffff:256.2.3.4"s, "."s, ":"s, "1:2:3:4:5:6:7:8::"s}) {
    ExpectInvalidAt(line(bad), kAt + bad.size(),
                    "'" + bad + "' is not an IPv6 address");
  }
  // Mixed families: IPv4 on a TCP6 line, in either place.
  ExpectInvalidAt("PROXY TCP6 ::1 192.0.2.2 1 2\r\n", 24,
                  "destination address '192.0.2.2'");
  ExpectInvalidAt("PROXY TCP4 192.0.2.1 ::1 1 2\r\n", 21,
                  "destination address ':");
  // At most 45 characters (an IPv6 text with a dotted-quad tail).
  const std::string longest = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
  ASSERT_EQ(longest.size(), 45u);
  EXPECT_EQ(ExpectValid(line(longest)).source.Ip(),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  ExpectInvalidAt(line("0" + longest), kAt + 45, "is not an IPv6 address");
}

TEST(ProxyHeaderV1, SplitAsABalancerMaySendIt) {
  // One byte at a time, then the rest of the segment: kIncomplete until the
  // LF, complete at it, whatever follows in the same read.
  const std::string line = "PROXY TCP6 2001:db8::7 2001:db8::1 40000 25\r\n";
  const std::string stream = line + "EHLO client.example\r\n";
  std::string arrived;
  for (size_t i = 0; i < line.size(); ++i) {
    EXPECT_EQ(Parse(arrived).status, ProxyStatus::kIncomplete) << arrived;
    arrived += stream[i];
  }
  // Split between the CR and the LF.
  EXPECT_EQ(Parse(line.substr(0, line.size() - 1)).status,
            ProxyStatus::kIncomplete);
  const ProxyParse p = Parse(line.substr(0, line.size() - 1) + "\n" + "EHLO");
  ASSERT_EQ(p.status, ProxyStatus::kComplete);
  EXPECT_EQ(p.header.length, line.size());
  EXPECT_EQ(p.header.source.ToString(), "[2001:db8::7]:40000");
}

// --- Version 2 ---------------------------------------------------------------

TEST(ProxyHeaderV2, Tcp4Proxy) {
  const std::string addresses =
      Ip4("192.0.2.1") + Ip4("198.51.100.7") + Be16(56324) + Be16(443);
  const std::string header = V2(0x21, 0x11, addresses);
  ASSERT_EQ(header.size(), 28u);
  const ProxyHeader h = ExpectValid(header);
  EXPECT_EQ(h.version, 2);
  EXPECT_FALSE(h.local);
  EXPECT_FALSE(h.unknown);
  EXPECT_EQ(h.length, 28u);
  EXPECT_EQ(h.source.family(), AF_INET);
  EXPECT_EQ(h.source.ToString(), "192.0.2.1:56324");
  EXPECT_EQ(h.destination.ToString(), "198.51.100.7:443");
}

TEST(ProxyHeaderV2, Tcp6Proxy) {
  const std::string addresses =
      Ip6("2001:db8::1") + Ip6("2001:db8:ffff::2") + Be16(65535) + Be16(0);
  const ProxyHeader h = ExpectValid(V2(0x21, 0x21, addresses));
  EXPECT_EQ(h.length, 16u + 36u);
  EXPECT_EQ(h.source.family(), AF_INET6);
  EXPECT_EQ(h.source.ToString(), "[2001:db8::1]:65535");
  EXPECT_EQ(h.destination.ToString(), "[2001:db8:ffff::2]:0");
  EXPECT_EQ(h.source.size(), sizeof(sockaddr_in6));
}

TEST(ProxyHeaderV2, UnixProxy) {
  const ProxyHeader h = ExpectValid(V2(
      0x21, 0x31, SunPath("/run/client.sock") + SunPath("/run/superd.sock")));
  EXPECT_EQ(h.length, 16u + 216u);
  EXPECT_EQ(h.source.family(), AF_UNIX);
  EXPECT_EQ(h.source.UnixPath(), "/run/client.sock");
  EXPECT_EQ(h.destination.ToString(), "unix:/run/superd.sock");
  EXPECT_EQ(h.destination.size(), offsetof(sockaddr_un, sun_path) + 17);
}

TEST(ProxyHeaderV2, UnixPathsOf108BytesWithOrWithoutNul) {
  const std::string full(108, 'p');         // no NUL at all
  const std::string garbage = "/a\0junk"s;  // what follows the NUL is ignored
  const std::string unnamed(108, '\0');     // a client that did not bind
  const std::string abstract = SunPath("\0name"s);  // Linux's abstract name
  const ProxyHeader h = ExpectValid(V2(0x21, 0x31, full + SunPath(garbage)));
  EXPECT_EQ(h.source.UnixPath(), full);
  EXPECT_EQ(h.source.size(), offsetof(sockaddr_un, sun_path) + 108);
  EXPECT_EQ(h.destination.UnixPath(), "/a");
  const ProxyHeader u = ExpectValid(V2(0x21, 0x31, unnamed + abstract));
  EXPECT_EQ(u.source.family(), AF_UNIX);
  EXPECT_EQ(u.source.UnixPath(), "");
  EXPECT_EQ(u.source.size(), offsetof(sockaddr_un, sun_path));
  EXPECT_EQ(u.destination.size(), offsetof(sockaddr_un, sun_path) + 5);
  EXPECT_EQ(
      std::memcmp(
          reinterpret_cast<const sockaddr_un*>(u.destination.get())->sun_path,
          "\0name", 5),
      0);
}

TEST(ProxyHeaderV2, ProxyUnspecIsUnknown) {
  for (const std::string& payload : {""s, Tlv(0x04, "")}) {
    const ProxyHeader h = ExpectValid(V2(0x21, 0x00, payload));
    EXPECT_TRUE(h.unknown);
    EXPECT_FALSE(h.local);
    EXPECT_EQ(h.source.family(), AF_UNSPEC);
    EXPECT_EQ(h.length, 16u + payload.size());
  }
}

TEST(ProxyHeaderV2, LocalIgnoresAddressesWhateverTheFamily) {
  const std::string v4 = Ip4("10.0.0.1") + Ip4("10.0.0.2") + Be16(1) + Be16(2);
  const std::string v6 = Ip6("::1") + Ip6("::2") + Be16(1) + Be16(2);
  const std::string unix_paths = SunPath("/a") + SunPath("/b");
  struct Case {
    int family;
    std::string payload;
  };
  for (const Case& c :
       {Case{0x00, ""}, Case{0x00, Tlv(0xEA, "\x01vpce-0123")}, Case{0x11, v4},
        Case{0x12, v4}, Case{0x21, v6}, Case{0x22, v6}, Case{0x31, unix_paths},
        Case{0x32, unix_paths}, Case{0x11, v4 + Tlv(0x04, "pad")}}) {
    SCOPED_TRACE(c.family);
    const ProxyHeader h = ExpectValid(V2(0x20, c.family, c.payload));
    EXPECT_TRUE(h.local);
    EXPECT_FALSE(h.unknown);
    EXPECT_EQ(h.version, 2);
    EXPECT_EQ(h.source.family(), AF_UNSPEC);
    EXPECT_EQ(h.destination.family(), AF_UNSPEC);
    EXPECT_EQ(h.length, 16 + c.payload.size());
  }
}

TEST(ProxyHeaderV2, LengthIsBigEndian) {
  // 12 address bytes and one TLV making 0x0100 bytes in all: read as
  // little-endian it would be 1, too short for the addresses.
  const std::string addresses =
      Ip4("192.0.2.1") + Ip4("192.0.2.2") + Be16(1) + Be16(2);
  const std::string header =
      V2(0x21, 0x11, addresses + Tlv(0xE1, std::string(241, 'v')));
  ASSERT_EQ(header.substr(14, 2), Bytes({0x01, 0x00}));
  EXPECT_EQ(ExpectValid(header).length, 16u + 256u);
}

TEST(ProxyHeaderV2, TlvsFromRealBalancersAreSkipped) {
  const std::string addresses =
      Ip4("203.0.113.9") + Ip4("10.0.1.5") + Be16(51000) + Be16(8080);
  // AWS NLB: PP2_TYPE_AWS (0xEA), subtype 0x01, the VPC endpoint ID.
  const std::string aws = Tlv(0xEA, "\x01vpce-08d2bf15fac5001c9");
  // Azure Private Link: 0xEE, subtype 0x01, a 4-byte link ID.
  const std::string azure = Tlv(0xEE, Bytes({0x01, 0x12, 0x34, 0x56, 0x78}));
  // GCP Private Service Connect: 0xE0, an 8-byte connection ID.
  const std::string gcp = Tlv(0xE0, std::string(8, '\x42'));
  // HAProxy: ALPN, authority, unique ID (at most 128), NOOP padding, and
  // the SSL block with its sub-TLVs (version, CN, cipher, algorithms).
  const std::string ssl =
      Tlv(0x20, Bytes({0x07, 0, 0, 0, 0}) + Tlv(0x21, "TLSv1.3") +
                    Tlv(0x22, std::string(64, 'c')) +
                    Tlv(0x23, "TLS_AES_256_GCM_SHA384") +
                    Tlv(0x24, "RSA-SHA256") + Tlv(0x25, "RSA2048"));
  const std::string haproxy = Tlv(0x01, "h2") +
                              Tlv(0x02, std::string(255, 'a')) +
                              Tlv(0x05, std::string(128, 'u')) + Tlv(0x04, "") +
                              ssl + Tlv(0x30, "netns-blue");
  for (const std::string& tlvs :
       {aws, azure, gcp, haproxy, aws + azure + gcp + haproxy}) {
    const std::string header = V2(0x21, 0x11, addresses + tlvs);
    const ProxyHeader h = ExpectValid(header);
    EXPECT_EQ(h.length, header.size());
    EXPECT_EQ(h.source.ToString(), "203.0.113.9:51000");
    EXPECT_EQ(h.destination.ToString(), "10.0.1.5:8080");
  }
}

TEST(ProxyHeaderV2, TlvsAfterIpv6AndUnixAddresses) {
  const std::string v6 =
      Ip6("2001:db8::1") + Ip6("2001:db8::2") + Be16(1) + Be16(2);
  EXPECT_EQ(
      ExpectValid(V2(0x21, 0x21, v6 + Tlv(0x04, "x") + Tlv(0xEA, "y"))).length,
      16u + 36u + 4u + 4u);
  const std::string unix_paths = SunPath("/c") + SunPath("/s");
  EXPECT_EQ(
      ExpectValid(V2(0x21, 0x31, unix_paths + Tlv(0x02, "example.com"))).length,
      16u + 216u + 14u);
}

TEST(ProxyHeaderV2, BadVersion) {
  const std::string addresses(12, '\x01');
  for (int ver_cmd : {0x01, 0x11, 0x31, 0xF1, 0x00, 0x10})
    ExpectInvalidAt(V2(ver_cmd, 0x11, addresses), 12, "v2 header of version");
  EXPECT_EQ(Parse(V2(0x11, 0x11, addresses)).error,
            "v2 header of version 1, not 2");
}

TEST(ProxyHeaderV2, BadCommand) {
  const std::string addresses(12, '\x01');
  for (int ver_cmd : {0x22, 0x23, 0x2F})
    ExpectInvalidAt(V2(ver_cmd, 0x11, addresses), 12,
                    "neither LOCAL nor PROXY");
}

TEST(ProxyHeaderV2, FamilyAndTransportOnlyAsTheSpecLists) {
  const std::string payload(216, '\x01');
  for (int family : {0x01, 0x02, 0x10, 0x20, 0x30, 0x13, 0x23, 0x33, 0x41, 0x40,
                     0xF1, 0xFF}) {
    SCOPED_TRACE(family);
    ExpectInvalidAt(V2(0x21, family, payload), 13,
                    "is not one the spec defines");
    ExpectInvalidAt(V2(0x20, family, payload), 13,
                    "is not one the spec defines");
  }
}

TEST(ProxyHeaderV2, DatagramTransportsAreRefusedWithProxy) {
  const std::string payload(216, '\x01');
  ExpectInvalidAt(V2(0x21, 0x12, payload), 13,
                  "v2 PROXY header for UDP/IPv4 on a stream connection");
  ExpectInvalidAt(V2(0x21, 0x22, payload), 13, "UDP/IPv6");
  ExpectInvalidAt(V2(0x21, 0x32, payload), 13, "UNIX datagram");
}

TEST(ProxyHeaderV2, AddressesMustFitInTheLength) {
  struct Case {
    int family;
    size_t needed;
  };
  for (const Case& c : {Case{0x11, 12}, Case{0x21, 36}, Case{0x31, 216}}) {
    SCOPED_TRACE(c.family);
    for (size_t length : {size_t(0), size_t(1), c.needed - 1}) {
      // Known as soon as the length field is whole: byte 15.
      ExpectInvalidAt(V2(0x21, c.family, std::string(length, '\x01')), 15,
                      "is too short for");
      ExpectInvalidAt(V2(0x20, c.family, std::string(length, '\x01')), 15,
                      "is too short for");
    }
  }
  EXPECT_EQ(Parse(V2(0x21, 0x11, std::string(11, '\x01'))).error,
            "v2 address length 11 is too short for TCP/IPv4 (12 bytes)");
}

TEST(ProxyHeaderV2, BoundedLength) {
  const std::string addresses =
      Ip4("192.0.2.1") + Ip4("192.0.2.2") + Be16(1) + Be16(2);
  // kMaxProxyHeader exactly: accepted.
  const size_t value = kMaxProxyHeader - 16 - 12 - 3;
  const std::string longest =
      V2(0x21, 0x11, addresses + Tlv(0x04, std::string(value, '\0')));
  ASSERT_EQ(longest.size(), kMaxProxyHeader);
  EXPECT_EQ(ExpectValid(longest).length, kMaxProxyHeader);
  // One more: refused as soon as the length field says so.
  const std::string longer =
      V2(0x21, 0x11, addresses + Tlv(0x04, std::string(value + 1, '\0')));
  ExpectInvalidAt(longer, 15, "v2 header of 4097 bytes, longer than 4096");
  ExpectInvalidAt(kSignature + Bytes({0x21, 0x00, 0xff, 0xff}), 15,
                  "of 65551 bytes");
  ExpectInvalidAt(kSignature + Bytes({0x20, 0x00, 0xff, 0xff}), 15,
                  "of 65551 bytes");
}

TEST(ProxyHeaderV2, TruncatedAndOverrunningTlvs) {
  const std::string addresses =
      Ip4("192.0.2.1") + Ip4("192.0.2.2") + Be16(1) + Be16(2);
  // 1 or 2 bytes left after the addresses: no room for a TLV's type and
  // length, which the length field alone tells.
  ExpectInvalidAt(V2(0x21, 0x11, addresses + "\x04"), 15,
                  "truncated TLV (1 bytes at offset 28)");
  ExpectInvalidAt(V2(0x21, 0x11, addresses + Bytes({4, 0})), 15,
                  "truncated TLV (2 bytes");
  ExpectInvalidAt(V2(0x21, 0x00, "\x04"), 15, "truncated TLV");
  ExpectInvalidAt(V2(0x20, 0x00, Bytes({4, 0})), 15, "truncated TLV");
  // The same after a whole TLV: known once that TLV's length is in.
  ExpectInvalidAt(V2(0x21, 0x11, addresses + Tlv(0x04, "ab") + "\x04"), 30,
                  "truncated TLV (1 bytes at offset 33)");
  // A TLV longer than what is left: known at its length's second byte.
  ExpectInvalidAt(
      V2(0x21, 0x11, addresses + Bytes({0x04, 0x00, 0x0a}) + "12345"), 30,
      "v2 TLV 0x04 at offset 28 of 10 bytes overruns the header (36 bytes)");
  ExpectInvalidAt(
      V2(0x21, 0x11, addresses + Tlv(0x01, "h2") + Bytes({0xEA, 0xff, 0xff})),
      35, "v2 TLV 0xea at offset 33");
  // ... and in a LOCAL or UNSPEC header, all the same.
  ExpectInvalidAt(V2(0x20, 0x00, Bytes({0x04, 0x00, 0x01})), 18, "overruns");
  ExpectInvalidAt(V2(0x21, 0x00, Bytes({0x04, 0x00, 0x01})), 18, "overruns");
}

TEST(ProxyHeaderV2, Crc32c) {
  // The reference is right: RFC 3720 B.4's check value.
  ASSERT_EQ(Crc32c("123456789"), 0xe3069283u);
  const std::string addresses =
      Ip4("192.0.2.1") + Ip4("192.0.2.2") + Be16(1) + Be16(2);
  const std::string crc_tlv = Tlv(0x03, std::string(4, '\0'));
  for (const std::string& before : {""s, Tlv(0x04, "pad")}) {
    for (const std::string& after : {""s, Tlv(0xEA, "\x01vpce-1")}) {
      const std::string unsigned_header =
          V2(0x21, 0x11, addresses + before + crc_tlv + after);
      const size_t at = 16 + 12 + before.size() + 3;
      const std::string signed_header = WithCrc(unsigned_header, at);
      EXPECT_EQ(ExpectValid(signed_header).source.ToString(), "192.0.2.1:1");
      // One bit off anywhere but in the checksum itself (where it is a
      // different checksum): refused, when the header is whole.
      for (size_t i = 0; i < signed_header.size(); ++i) {
        // The checksum TLV's type: 0x03 becomes 0x02, an authority, and
        // the header one without a checksum.
        if (i == at - 3) continue;
        // The length's high byte: 256 bytes longer, the header is still
        // arriving.
        if (i == 14) continue;
        std::string flipped = signed_header;
        flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
        const ProxyParse p = Parse(flipped);
        EXPECT_EQ(p.status, ProxyStatus::kInvalid) << "bit flipped at " << i;
      }
      ExpectInvalidAt(WithCrc(unsigned_header, at).replace(20, 1, "\x7f"),
                      signed_header.size() - 1,
                      "v2 header's CRC32C does not match");
    }
  }
  // With LOCAL too.
  const std::string local = V2(0x20, 0x00, crc_tlv);
  EXPECT_TRUE(ExpectValid(WithCrc(local, 19)).local);
  ExpectInvalidAt(local, local.size() - 1, "CRC32C does not match");
  // A malformed checksum TLV, at its length.
  ExpectInvalidAt(V2(0x21, 0x11, addresses + Tlv(0x03, "abc")), 30,
                  "CRC32C TLV of 3 bytes, not 4");
  ExpectInvalidAt(V2(0x21, 0x11, addresses + Tlv(0x03, "abcde")), 30,
                  "CRC32C TLV of 5 bytes");
  ExpectInvalidAt(V2(0x21, 0x11, addresses + crc_tlv + crc_tlv), 37,
                  "more than one CRC32C TLV");
}

TEST(ProxyHeaderV2, SplitAsABalancerMaySendIt) {
  // The fixed part, then the addresses and TLVs in two segments, the last
  // one carrying the client's first bytes.
  const std::string header =
      V2(0x21, 0x21,
         Ip6("2001:db8::7") + Ip6("2001:db8::1") + Be16(40000) + Be16(443) +
             Tlv(0xEA, "\x01vpce-08d2bf15fac5001c9"));
  const std::string stream = header + "\x16\x03\x01\x00\xc8"s;
  for (size_t first :
       {size_t(1), size_t(12), size_t(16), size_t(17), size_t(52)}) {
    for (size_t second = first; second < header.size(); second += 7) {
      EXPECT_EQ(Parse(stream.substr(0, first)).status,
                ProxyStatus::kIncomplete);
      EXPECT_EQ(Parse(stream.substr(0, second)).status,
                ProxyStatus::kIncomplete);
    }
  }
  const ProxyParse p = Parse(stream);
  ASSERT_EQ(p.status, ProxyStatus::kComplete);
  EXPECT_EQ(stream.substr(p.header.length), "\x16\x03\x01\x00\xc8"s);
  EXPECT_EQ(p.header.source.ToString(), "[2001:db8::7]:40000");
}

// --- Properties --------------------------------------------------------------

// The contract the caller's loop relies on, over random mutations of valid
// headers: kComplete is at most kMaxProxyHeader and the input, and stays
// so, with the same header, whatever follows; kInvalid stays kInvalid
// whatever follows; kIncomplete never comes from kMaxProxyHeader bytes or
// more, and no prefix of an input that is not invalid is invalid.
TEST(ProxyHeader, RandomMutationsKeepTheContract) {
  const std::string v4 =
      Ip4("192.0.2.1") + Ip4("192.0.2.2") + Be16(1) + Be16(2);
  const std::vector<std::string> seeds = {
      "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
      "PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 1 65535\r\n",
      "PROXY UNKNOWN\r\n",
      V2(0x21, 0x11, v4 + Tlv(0xEA, "\x01vpce-1") + Tlv(0x04, "")),
      V2(0x20, 0x00, ""),
      V2(0x21, 0x31, SunPath("/a") + SunPath("/b")),
  };
  std::mt19937 random(20240601);
  for (int round = 0; round < 20000; ++round) {
    std::string input = seeds[random() % seeds.size()];
    const int edits = static_cast<int>(random() % 4);
    for (int e = 0; e < edits && !input.empty(); ++e) {
      const size_t at = random() % input.size();
      switch (random() % 4) {
        case 0: input[at] = static_cast<char>(random()); break;
        case 1: input.erase(at, 1 + random() % 3); break;
        case 2: input.insert(at, 1, " .:0\r\n\x01"[random() % 7]); break;
        case 3: input += static_cast<char>(random()); break;
      }
    }
    SCOPED_TRACE(Printable(input));
    const ProxyParse p = Parse(input);
    switch (p.status) {
      case ProxyStatus::kComplete: {
        ASSERT_LE(p.header.length, input.size());
        ASSERT_LE(p.header.length, kMaxProxyHeader);
        const std::string header = input.substr(0, p.header.length);
        ASSERT_EQ(Parse(header).header, p.header);
        ASSERT_EQ(Parse(input + "xyz").header, p.header);
        for (size_t n = 0; n < header.size(); ++n)
          ASSERT_EQ(Parse(header.substr(0, n)).status, ProxyStatus::kIncomplete)
              << n;
        break;
      }
      case ProxyStatus::kInvalid:
        ASSERT_FALSE(p.error.empty());
        ASSERT_EQ(Parse(input + "\r\n").status, ProxyStatus::kInvalid);
        ASSERT_EQ(Parse(input + std::string(5000, '\0')).status,
                  ProxyStatus::kInvalid);
        break;
      case ProxyStatus::kIncomplete:
        ASSERT_LT(input.size(), kMaxProxyHeader);
        for (size_t n = 0; n < input.size(); ++n)
          ASSERT_EQ(Parse(input.substr(0, n)).status, ProxyStatus::kIncomplete)
              << n;
        break;
    }
  }
}
