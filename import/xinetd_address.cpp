#include "xinetd_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <variant>

#include "cidr_set.hpp"

namespace superd::import {
namespace {

std::string FormatV4(uint32_t address, int prefix) {
  in_addr a;
  a.s_addr = htonl(address);
  char text[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &a, text, sizeof text);
  return prefix == 32 ? text : std::string(text) + "/" + std::to_string(prefix);
}

std::string FormatV6(const in6_addr& address, int prefix) {
  char text[INET6_ADDRSTRLEN] = "";
  inet_ntop(AF_INET6, &address, text, sizeof text);
  return prefix == 128 ? text : std::string(text) + "/" + std::to_string(prefix);
}

// A decimal number of at most `digits` digits (xinetd reads the mask with
// %u, the factorized numbers digit by digit: no sign, no spaces).
std::optional<unsigned> Decimal(std::string_view text, size_t digits = 3) {
  if (text.empty() || text.size() > digits) return std::nullopt;
  unsigned n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

XinetdAddress Invalid(std::string reason) {
  XinetdAddress a;
  a.reason = std::move(reason);
  return a;
}

// addr.c's numeric_addr: an address without a mask. An IPv4 address
// ending in zero octets covers everything those octets could be.
std::optional<XinetdAddress> Numeric(std::string_view entry) {
  const std::string text(entry);
  XinetdAddress a;
  in_addr v4;
  in6_addr v6;
  // xinetd asks getaddrinfo for a numeric host, which takes what
  // inet_aton(3) takes: "10.1" is 10.0.0.1, "012.0.0.1" is 10.0.0.1.
  if (text.find(':') == std::string::npos && inet_aton(text.c_str(), &v4) != 0) {
    const uint32_t address = ntohl(v4.s_addr);
    int prefix = 32;
    while (prefix > 0 && (address & (0xffu << (32 - prefix))) == 0) prefix -= 8;
    a.kind = prefix == 32 ? XinetdAddress::Kind::kExact : XinetdAddress::Kind::kTrailingZeros;
    a.cidrs.push_back(FormatV4(address, prefix));
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    a.kind = XinetdAddress::Kind::kExact;
    a.cidrs.push_back(FormatV6(v6, 128));
    return a;
  }
  return std::nullopt;
}

// addr.c's explicit_mask: ADDRESS/BITS. xinetd masks the client with
// BITS and compares, so host bits set in ADDRESS change nothing; superd
// wants them clear.
XinetdAddress Masked(std::string_view entry) {
  const size_t slash = entry.find('/');
  const std::string address(entry.substr(0, slash));
  const std::optional<unsigned> bits = Decimal(entry.substr(slash + 1));
  if (!bits) return Invalid("the prefix length is not a number");
  XinetdAddress a;
  a.kind = XinetdAddress::Kind::kExact;
  in_addr v4;
  in6_addr v6;
  if (address.find(':') == std::string::npos && inet_aton(address.c_str(), &v4) != 0) {
    if (*bits > 32) return Invalid("an IPv4 prefix is at most 32 bits");
    const uint32_t mask = *bits == 0 ? 0 : ~uint32_t{0} << (32 - *bits);
    a.cidrs.push_back(FormatV4(ntohl(v4.s_addr) & mask, *bits));
    return a;
  }
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    if (*bits > 128) return Invalid("an IPv6 prefix is at most 128 bits");
    for (int i = 0; i < 16; ++i) {
      const int kept = std::clamp(static_cast<int>(*bits) - i * 8, 0, 8);
      v6.s6_addr[i] &= static_cast<uint8_t>(0xff00 >> kept);
    }
    a.cidrs.push_back(FormatV6(v6, *bits));
    return a;
  }
  return Invalid("not a numeric address before the '/'");
}

// addr.c's factorized_addr: "A.B.{C,D}" is A.B.C.0/24 and A.B.D.0/24;
// with three octets before the brace, single addresses.
XinetdAddress Factorized(std::string_view entry) {
  const size_t brace = entry.find('{');
  std::string_view head = entry.substr(0, brace);
  uint32_t address = 0;
  int octets = 0;
  while (!head.empty()) {
    const size_t dot = head.find('.');
    if (dot == std::string_view::npos) return Invalid("the octets before '{' must each end in '.'");
    const std::optional<unsigned> octet = Decimal(head.substr(0, dot));
    if (!octet || *octet > 255) return Invalid("'" + std::string(head.substr(0, dot)) + "' is not an octet");
    if (++octets > 3) return Invalid("at most three octets come before '{'");
    address = address << 8 | *octet;
    head.remove_prefix(dot + 1);
  }
  std::string_view list = entry.substr(brace + 1);
  if (!list.ends_with('}')) return Invalid("the '}' must end the entry");
  list.remove_suffix(1);
  const int shift = 24 - 8 * octets;  // bits after the factorized octet
  if (octets > 0) address <<= shift + 8;  // (a 32-bit shift would be undefined)
  XinetdAddress a;
  a.kind = XinetdAddress::Kind::kFactorized;
  for (;;) {
    const size_t comma = list.find(',');
    const std::optional<unsigned> n = Decimal(list.substr(0, comma));
    if (!n || *n > 255) return Invalid("'" + std::string(list.substr(0, comma)) + "' is not an octet");
    a.cidrs.push_back(FormatV4(address | *n << shift, 32 - shift));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return a;
}

}  // namespace

XinetdAddress ConvertXinetdAddress(std::string_view entry) {
  if (entry.empty()) return Invalid("empty");
  if (entry.find('{') != std::string_view::npos) return Factorized(entry);
  if (entry.find('/') != std::string_view::npos) return Masked(entry);
  if (std::optional<XinetdAddress> a = Numeric(entry)) return *a;
  XinetdAddress a;
  a.kind = entry[0] == '.' ? XinetdAddress::Kind::kDomain : XinetdAddress::Kind::kName;
  return a;
}

bool CidrStrictlyInside(const std::string& inner, const std::string& outer) {
  auto in = ParseCidr(inner), out = ParseCidr(outer);
  if (!std::holds_alternative<Cidr>(in) || !std::holds_alternative<Cidr>(out)) return false;
  const Cidr& i = std::get<Cidr>(in);
  const Cidr& o = std::get<Cidr>(out);
  if (i.ipv6 != o.ipv6 || i.prefix <= o.prefix) return false;
  for (int bit = 0; bit < o.prefix; ++bit) {
    const uint8_t m = static_cast<uint8_t>(0x80 >> (bit % 8));
    if ((i.bytes[bit / 8] & m) != (o.bytes[bit / 8] & m)) return false;
  }
  return true;
}

}  // namespace superd::import
