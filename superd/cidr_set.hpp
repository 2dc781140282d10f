// CidrSet: a compiled `allow` or `deny` list. The rules are turned at load
// into sorted, disjoint address ranges (one table for IPv4, one for IPv6),
// each labelled with the most specific rule that covers it, so that a
// lookup is one binary search whatever the number of rules: 100,000 rules
// cost what 10 do. IPv4 rules and clients are kept apart from IPv6 ones: an
// IPv4-mapped IPv6 client (::ffff:a.b.c.d, a client of a dual-stack socket)
// and an IPv4-mapped rule (::ffff:10.0.0.0/104) are both treated as IPv4,
// and `::/0` does not cover IPv4 clients. Pure: no I/O, nothing from superd.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace superd {

// One rule: an address and a prefix length.
struct Cidr {
  bool ipv6 = false;                // false: IPv4 (mapped rules included)
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 in bytes[0..3]
  int prefix = 0;                   // 0..32 or 0..128
  std::string text;                 // as written, for messages
};

// "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). The
// reason when it is not one: a prefix out of range ("10.0.0.0/33",
// "::1/129"), host bits set ("10.0.0.1/8"), not an address.
std::variant<Cidr, std::string> ParseCidr(std::string_view text);

class CidrSet {
 public:
  CidrSet() = default;
  explicit CidrSet(std::vector<Cidr> rules);

  bool empty() const { return rules_.empty(); }
  size_t size() const { return rules_.size(); }
  // The rule with index `i`, as written.
  const std::string& rule(int i) const { return rules_[i].text; }

  // The index of the most specific rule covering the client `address`
  // (AF_INET or AF_INET6), or -1 when none does (or for other families).
  int Find(const sockaddr* address) const;
  // The same for a raw address: 4 bytes (IPv4) or 16 (IPv6, mapped
  // addresses looked up as IPv4).
  int Find(const uint8_t* bytes, size_t length) const;

 private:
  template <typename Word>
  struct Range {
    Word first, last;  // inclusive
    int rule;
  };
  std::vector<Cidr> rules_;
  std::vector<Range<uint32_t>> v4_;
  std::vector<Range<unsigned __int128>> v6_;
};

}  // namespace superd
