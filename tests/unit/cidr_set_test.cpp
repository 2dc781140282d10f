#include "cidr_set.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <random>
#include <string>
#include <variant>
#include <vector>

using namespace superd;
using namespace std::string_view_literals;

namespace {

Cidr Rule(std::string_view text) {
  auto parsed = ParseCidr(text);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    ADD_FAILURE() << text << ": " << *error;
    return {};
  }
  return std::get<Cidr>(parsed);
}

std::string Error(std::string_view text) {
  auto parsed = ParseCidr(text);
  if (!std::holds_alternative<std::string>(parsed)) {
    ADD_FAILURE() << "'" << text << "' was accepted";
    return {};
  }
  return std::get<std::string>(parsed);
}

CidrSet Set(std::initializer_list<const char*> texts) {
  std::vector<Cidr> rules;
  for (const char* text : texts) rules.push_back(Rule(text));
  return CidrSet(std::move(rules));
}

std::array<uint8_t, 16> Bytes(std::initializer_list<uint8_t> list) {
  std::array<uint8_t, 16> bytes{};
  std::copy(list.begin(), list.end(), bytes.begin());
  return bytes;
}

// Looks `ip` up as a client address, through the sockaddr a socket gives.
int Find(const CidrSet& set, const char* ip) {
  sockaddr_storage storage{};
  if (std::strchr(ip, ':') == nullptr) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    EXPECT_EQ(inet_pton(AF_INET, ip, &in->sin_addr), 1) << ip;
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    EXPECT_EQ(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1) << ip;
  }
  return set.Find(reinterpret_cast<const sockaddr*>(&storage));
}

}  // namespace

TEST(ParseCidr, AcceptsIpv4Blocks) {
  const Cidr ten = Rule("10.0.0.0/8");
  EXPECT_FALSE(ten.ipv6);
  EXPECT_EQ(ten.bytes, Bytes({10, 0, 0, 0}));
  EXPECT_EQ(ten.prefix, 8);
  EXPECT_EQ(ten.text, "10.0.0.0/8");
  EXPECT_EQ(Rule("192.0.2.128/25").bytes, Bytes({192, 0, 2, 128}));
  EXPECT_EQ(Rule("192.0.2.128/25").prefix, 25);
  EXPECT_EQ(Rule("0.0.0.0/0").prefix, 0);
  EXPECT_EQ(Rule("255.255.255.255/32").bytes, Bytes({255, 255, 255, 255}));
}

TEST(ParseCidr, AcceptsIpv6Blocks) {
  const Cidr doc = Rule("2001:db8::/32");
  EXPECT_TRUE(doc.ipv6);
  EXPECT_EQ(doc.bytes, Bytes({0x20, 0x01, 0x0d, 0xb8}));
  EXPECT_EQ(doc.prefix, 32);
  EXPECT_EQ(doc.text, "2001:db8::/32");
  EXPECT_TRUE(Rule("::/0").ipv6);
  EXPECT_EQ(Rule("::/0").prefix, 0);
  EXPECT_EQ(Rule("fe80::/10").prefix, 10);
}

TEST(ParseCidr, BareAddressIsAHostRule) {
  const Cidr v4 = Rule("192.0.2.1");
  EXPECT_FALSE(v4.ipv6);
  EXPECT_EQ(v4.prefix, 32);
  EXPECT_EQ(v4.bytes, Bytes({192, 0, 2, 1}));
  const Cidr v6 = Rule("2001:db8::1");
  EXPECT_TRUE(v6.ipv6);
  EXPECT_EQ(v6.prefix, 128);
  EXPECT_EQ(v6.bytes[15], 1);
}

TEST(ParseCidr, MappedBlockBecomesIpv4) {
  const Cidr mapped = Rule("::ffff:10.0.0.0/104");
  EXPECT_FALSE(mapped.ipv6);
  EXPECT_EQ(mapped.prefix, 8);
  EXPECT_EQ(mapped.bytes, Bytes({10, 0, 0, 0}));
  EXPECT_EQ(mapped.text, "::ffff:10.0.0.0/104");  // as written
  const Cidr host = Rule("::ffff:192.0.2.1");
  EXPECT_FALSE(host.ipv6);
  EXPECT_EQ(host.prefix, 32);
  EXPECT_EQ(host.bytes, Bytes({192, 0, 2, 1}));
  const Cidr all = Rule("::ffff:0:0/96");
  EXPECT_FALSE(all.ipv6);
  EXPECT_EQ(all.prefix, 0);
  EXPECT_EQ(all.bytes, Bytes({}));
}

TEST(ParseCidr, WiderBlockAroundMappedStaysIpv6) {
  const Cidr wide = Rule("::/80");
  EXPECT_TRUE(wide.ipv6);
  EXPECT_EQ(wide.prefix, 80);
  // Near the mapped block but not inside it.
  EXPECT_TRUE(Rule("::fffe:10.0.0.0/104").ipv6);
  EXPECT_TRUE(Rule("::1:ffff:10.0.0.0/104").ipv6);
}

TEST(ParseCidr, RejectsPrefixOutOfRange) {
  EXPECT_EQ(Error("10.0.0.0/33"),
            "invalid CIDR '10.0.0.0/33': prefix length must be 0..32");
  EXPECT_EQ(Error("::1/129"),
            "invalid CIDR '::1/129': prefix length must be 0..128");
  EXPECT_EQ(Error("::ffff:10.0.0.0/129"),
            "invalid CIDR '::ffff:10.0.0.0/129': prefix length must be 0..128");
}

TEST(ParseCidr, RejectsHostBitsSuggestingTheBlock) {
  EXPECT_EQ(Error("10.0.0.1/8"),
            "invalid CIDR '10.0.0.1/8': host bits are set (did you mean "
            "10.0.0.0/8?)");
  EXPECT_EQ(Error("192.0.2.129/25"),
            "invalid CIDR '192.0.2.129/25': host bits are set (did you mean "
            "192.0.2.128/25?)");
  EXPECT_EQ(Error("2001:db8::1/32"),
            "invalid CIDR '2001:db8::1/32': host bits are set (did you mean "
            "2001:db8::/32?)");
  EXPECT_EQ(Error("::ffff:10.0.0.1/104"),
            "invalid CIDR '::ffff:10.0.0.1/104': host bits are set (did you "
            "mean ::ffff:10.0.0.0/104?)");
  EXPECT_EQ(Error("1.0.0.0/0"),
            "invalid CIDR '1.0.0.0/0': host bits are set (did you mean "
            "0.0.0.0/0?)");
}

TEST(ParseCidr, RejectsWhatIsNotAnAddress) {
  EXPECT_EQ(Error("foo"), "invalid CIDR 'foo': not an IPv4 or IPv6 address");
  const std::string_view bad_addresses[] = {
      "", "/8", "/", "foo/8", "10.0.0", "10.0.0.256", "1.2.3.4.5", "010.0.0.0",
      " 10.0.0.0", "10.0.0.0 ", "10.0.0.0 /8", "0x0a.0.0.0", "1::2::3", "::g",
      "fe80::1%eth0", "[::1]", "::1 ", "10.0.0.0\0/8"sv, "::\0"sv};
  for (std::string_view bad : bad_addresses) {
    EXPECT_EQ(Error(bad), "invalid CIDR '" + std::string(bad) +
                              "': not an IPv4 or IPv6 address")
        << bad;
  }
}

TEST(ParseCidr, RejectsMalformedPrefix) {
  const std::string_view bad_prefixes[] = {
      "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/+8", "10.0.0.0/-8", "10.0.0.0/08",
      "10.0.0.0/00", "10.0.0.0/0008", "10.0.0.0/ 8", "10.0.0.0/8 ",
      "10.0.0.0/8/8", "10.0.0.0//8", "10.0.0.0/8x", "10.0.0.0/1e1",
      "10.0.0.0/4294967304", "10.0.0.0/8\0"sv};
  for (std::string_view bad : bad_prefixes) {
    EXPECT_EQ(Error(bad), "invalid CIDR '" + std::string(bad) +
                              "': prefix length must be 0..32")
        << bad;
  }
  for (std::string_view bad : {"::/", "::/0128", "::/1000", "::/+0"}) {
    EXPECT_EQ(Error(bad), "invalid CIDR '" + std::string(bad) +
                              "': prefix length must be 0..128")
        << bad;
  }
}

TEST(CidrSet, EmptyMatchesNothing) {
  const CidrSet none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(Find(none, "10.0.0.1"), -1);
  EXPECT_EQ(Find(none, "::1"), -1);
  const CidrSet built{std::vector<Cidr>{}};
  EXPECT_TRUE(built.empty());
  EXPECT_EQ(Find(built, "0.0.0.0"), -1);
}

TEST(CidrSet, FindsIpv4Rules) {
  const CidrSet set = Set({"10.0.0.0/8", "192.0.2.0/24"});
  EXPECT_FALSE(set.empty());
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(set.rule(1), "192.0.2.0/24");
  EXPECT_EQ(Find(set, "10.1.2.3"), 0);
  EXPECT_EQ(Find(set, "10.0.0.0"), 0);
  EXPECT_EQ(Find(set, "10.255.255.255"), 0);
  EXPECT_EQ(Find(set, "192.0.2.0"), 1);
  EXPECT_EQ(Find(set, "192.0.2.255"), 1);
  EXPECT_EQ(Find(set, "9.255.255.255"), -1);
  EXPECT_EQ(Find(set, "11.0.0.0"), -1);
  EXPECT_EQ(Find(set, "192.0.1.255"), -1);
  EXPECT_EQ(Find(set, "192.0.3.0"), -1);
  EXPECT_EQ(Find(set, "0.0.0.0"), -1);
  EXPECT_EQ(Find(set, "255.255.255.255"), -1);
}

TEST(CidrSet, FindsIpv6Rules) {
  const CidrSet set = Set({"2001:db8::/32", "fe80::/10", "::1"});
  EXPECT_EQ(Find(set, "2001:db8::"), 0);
  EXPECT_EQ(Find(set, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), 0);
  EXPECT_EQ(Find(set, "2001:db9::"), -1);
  EXPECT_EQ(Find(set, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"), -1);
  EXPECT_EQ(Find(set, "febf::1"), 1);
  EXPECT_EQ(Find(set, "fec0::"), -1);
  EXPECT_EQ(Find(set, "::1"), 2);
  EXPECT_EQ(Find(set, "::2"), -1);
  EXPECT_EQ(Find(set, "::"), -1);
}

TEST(CidrSet, MappedClientsAndRulesAreIpv4) {
  const CidrSet set = Set({"10.0.0.0/8", "::ffff:192.0.2.0/120"});
  EXPECT_EQ(Find(set, "::ffff:10.1.2.3"), 0);
  EXPECT_EQ(Find(set, "::ffff:11.0.0.0"), -1);
  EXPECT_EQ(Find(set, "192.0.2.7"), 1);
  EXPECT_EQ(Find(set, "::ffff:192.0.2.7"), 1);
  EXPECT_EQ(Find(set, "192.0.3.7"), -1);
  // Not mapped: the IPv4-compatible form and the translated prefix.
  EXPECT_EQ(Find(set, "::10.1.2.3"), -1);
  EXPECT_EQ(Find(set, "64:ff9b::10.1.2.3"), -1);
}

TEST(CidrSet, Ipv6AnyDoesNotCoverIpv4Clients) {
  const CidrSet set = Set({"::/0"});
  EXPECT_EQ(Find(set, "10.0.0.1"), -1);
  EXPECT_EQ(Find(set, "::ffff:10.0.0.1"), -1);
  EXPECT_EQ(Find(set, "0.0.0.0"), -1);
  EXPECT_EQ(Find(set, "2001:db8::1"), 0);
  EXPECT_EQ(Find(set, "::"), 0);
  EXPECT_EQ(Find(set, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 0);
  // A block around the mapped one is IPv6 too.
  EXPECT_EQ(Find(Set({"::/80"}), "::ffff:10.0.0.1"), -1);
}

TEST(CidrSet, Ipv4AnyCoversEveryIpv4Client) {
  for (const char* any : {"0.0.0.0/0", "::ffff:0.0.0.0/96"}) {
    const CidrSet set = Set({any});
    EXPECT_EQ(Find(set, "0.0.0.0"), 0) << any;
    EXPECT_EQ(Find(set, "10.0.0.1"), 0) << any;
    EXPECT_EQ(Find(set, "255.255.255.255"), 0) << any;
    EXPECT_EQ(Find(set, "::ffff:0.0.0.0"), 0) << any;
    EXPECT_EQ(Find(set, "::ffff:1.2.3.4"), 0) << any;
    EXPECT_EQ(Find(set, "::ffff:255.255.255.255"), 0) << any;
    EXPECT_EQ(Find(set, "::"), -1) << any;
    EXPECT_EQ(Find(set, "::1"), -1) << any;
    EXPECT_EQ(Find(set, "2001:db8::1"), -1) << any;
  }
}

TEST(CidrSet, ReportsTheMostSpecificRule) {
  const CidrSet set = Set({"10.0.0.0/8", "10.1.0.0/16", "10.1.2.3"});
  EXPECT_EQ(Find(set, "10.1.2.3"), 2);
  EXPECT_EQ(Find(set, "10.1.2.2"), 1);
  EXPECT_EQ(Find(set, "10.1.2.4"), 1);
  EXPECT_EQ(Find(set, "10.1.0.0"), 1);
  EXPECT_EQ(Find(set, "10.1.255.255"), 1);
  EXPECT_EQ(Find(set, "10.0.255.255"), 0);
  EXPECT_EQ(Find(set, "10.2.0.0"), 0);
  EXPECT_EQ(Find(set, "10.0.0.0"), 0);
  EXPECT_EQ(Find(set, "10.255.255.255"), 0);
  // The order written does not matter, only the indices follow it.
  const CidrSet reversed = Set({"10.1.2.3", "10.1.0.0/16", "10.0.0.0/8"});
  EXPECT_EQ(Find(reversed, "10.1.2.3"), 0);
  EXPECT_EQ(Find(reversed, "10.1.2.4"), 1);
  EXPECT_EQ(Find(reversed, "10.2.0.0"), 2);
  const CidrSet v6 = Set({"2001:db8::/32", "2001:db8:1::/48", "2001:db8:1::7"});
  EXPECT_EQ(Find(v6, "2001:db8:1::7"), 2);
  EXPECT_EQ(Find(v6, "2001:db8:1::8"), 1);
  EXPECT_EQ(Find(v6, "2001:db8:2::"), 0);
}

TEST(CidrSet, EdgesOfTheIpv4Space) {
  const CidrSet set = Set({"0.0.0.0/0", "0.0.0.0", "255.255.255.255"});
  EXPECT_EQ(Find(set, "0.0.0.0"), 1);
  EXPECT_EQ(Find(set, "0.0.0.1"), 0);
  EXPECT_EQ(Find(set, "255.255.255.254"), 0);
  EXPECT_EQ(Find(set, "255.255.255.255"), 2);
  const CidrSet hosts = Set({"255.255.255.255", "0.0.0.0"});
  EXPECT_EQ(Find(hosts, "255.255.255.255"), 0);
  EXPECT_EQ(Find(hosts, "255.255.255.254"), -1);
  EXPECT_EQ(Find(hosts, "0.0.0.0"), 1);
  EXPECT_EQ(Find(hosts, "0.0.0.1"), -1);
  // Blocks that end at the top, nested.
  const CidrSet top = Set({"128.0.0.0/1", "255.255.255.0/24", "255.255.255.255"});
  EXPECT_EQ(Find(top, "255.255.255.255"), 2);
  EXPECT_EQ(Find(top, "255.255.255.254"), 1);
  EXPECT_EQ(Find(top, "255.255.254.255"), 0);
  EXPECT_EQ(Find(top, "128.0.0.0"), 0);
  EXPECT_EQ(Find(top, "127.255.255.255"), -1);
}

TEST(CidrSet, EdgesOfTheIpv6Space) {
  const char* kTop = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
  const CidrSet set = Set({"::/0", "::", kTop});
  EXPECT_EQ(Find(set, "::"), 1);
  EXPECT_EQ(Find(set, "::1"), 0);
  EXPECT_EQ(Find(set, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), 0);
  EXPECT_EQ(Find(set, kTop), 2);
  const CidrSet hosts = Set({kTop, "::"});
  EXPECT_EQ(Find(hosts, kTop), 0);
  EXPECT_EQ(Find(hosts, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), -1);
  EXPECT_EQ(Find(hosts, "::"), 1);
  EXPECT_EQ(Find(hosts, "::1"), -1);
  const CidrSet top = Set({"8000::/1", "ffff::/16", kTop});
  EXPECT_EQ(Find(top, kTop), 2);
  EXPECT_EQ(Find(top, "ffff::"), 1);
  EXPECT_EQ(Find(top, "fffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 0);
  EXPECT_EQ(Find(top, "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), -1);
}

TEST(CidrSet, DuplicateRulesReportTheFirst) {
  const CidrSet set = Set({"192.0.2.0/24", "10.0.0.0/8", "10.1.0.0/16",
                           "10.0.0.0/8", "::ffff:10.0.0.0/104", "10.1.0.0/16",
                           "2001:db8::/32", "2001:db8::/32"});
  EXPECT_EQ(set.size(), 8u);
  EXPECT_EQ(Find(set, "10.0.0.1"), 1);
  EXPECT_EQ(Find(set, "10.255.0.1"), 1);
  EXPECT_EQ(Find(set, "10.1.0.1"), 2);
  EXPECT_EQ(Find(set, "::ffff:10.0.0.1"), 1);
  EXPECT_EQ(Find(set, "2001:db8::1"), 6);
  EXPECT_EQ(set.rule(4), "::ffff:10.0.0.0/104");
}

TEST(CidrSet, FindsRawBytes) {
  const CidrSet set = Set({"10.0.0.0/8", "2001:db8::/32"});
  const uint8_t v4[4] = {10, 9, 8, 7};
  EXPECT_EQ(set.Find(v4, 4), 0);
  const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 9, 8, 7};
  EXPECT_EQ(set.Find(mapped, 16), 0);
  const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 1};
  EXPECT_EQ(set.Find(v6, 16), 1);
  const uint8_t other[16] = {0x20, 0x01, 0x0d, 0xb9};
  EXPECT_EQ(set.Find(other, 16), -1);
  for (size_t length : {0, 1, 3, 5, 8, 15, 17})
    EXPECT_EQ(set.Find(mapped, length), -1) << length;
  EXPECT_EQ(set.Find(static_cast<const uint8_t*>(nullptr), 4), -1);
}

TEST(CidrSet, OtherFamiliesMatchNothing) {
  const CidrSet set = Set({"0.0.0.0/0", "::/0"});
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  EXPECT_EQ(set.Find(reinterpret_cast<const sockaddr*>(&un)), -1);
  sockaddr_storage unspec{};
  unspec.ss_family = AF_UNSPEC;
  EXPECT_EQ(set.Find(reinterpret_cast<const sockaddr*>(&unspec)), -1);
  EXPECT_EQ(set.Find(static_cast<const sockaddr*>(nullptr)), -1);
}

namespace {

using Address = std::array<uint8_t, 16>;  // IPv4 in the first 4 bytes

// The reference the compiled set must agree with: every rule tried.
bool Covers(const Cidr& rule, const Address& address) {
  const int whole = rule.prefix / 8, rest = rule.prefix % 8;
  if (std::memcmp(rule.bytes.data(), address.data(), whole) != 0) return false;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff00 >> rest);
  return (rule.bytes[whole] & mask) == (address[whole] & mask);
}

int BruteForce(const std::vector<Cidr>& rules, bool ipv6, const Address& address) {
  int best = -1;
  for (size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].ipv6 != ipv6 || !Covers(rules[i], address)) continue;
    if (best == -1 || rules[i].prefix > rules[best].prefix) best = int(i);
  }
  return best;
}

void Step(Address* address, int size, int delta) {  // +1 or -1, wrapping
  for (int i = size - 1; i >= 0; --i) {
    (*address)[i] = static_cast<uint8_t>((*address)[i] + delta);
    if ((*address)[i] != (delta > 0 ? 0 : 0xff)) return;
  }
}

std::string Text(bool ipv6, const Address& address) {
  char text[INET6_ADDRSTRLEN] = "";
  inet_ntop(ipv6 ? AF_INET6 : AF_INET, address.data(), text, sizeof text);
  return text;
}

class RandomRules {
 public:
  RandomRules(unsigned seed, int shortest) : random_(seed), shortest_(shortest) {
    for (auto& base : pool_) base = RandomAddress();
  }

  // An address sharing a random number of leading bits with one of a few
  // bases, so that rules nest, touch and repeat.
  Address Near(int size) {
    Address address = pool_[Uniform(0, int(pool_.size()) - 1)];
    const Address noise = RandomAddress();
    for (int bit = Uniform(0, size * 8); bit < size * 8; ++bit) {
      const uint8_t mask = static_cast<uint8_t>(0x80 >> (bit % 8));
      address[bit / 8] = (address[bit / 8] & ~mask) | (noise[bit / 8] & mask);
    }
    for (int i = size; i < 16; ++i) address[i] = 0;
    return address;
  }

  // A rule as a config file would write it, in all three spellings.
  std::string Rule() {
    const bool ipv6 = Uniform(0, 1) == 1;
    const int bits = ipv6 ? 128 : 32;
    const int prefix = Uniform(0, 9) == 0 ? Uniform(shortest_, bits)
                                          : Uniform(bits / 4, bits);
    Address address = Near(bits / 8);
    for (int bit = prefix; bit < bits; ++bit)
      address[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
    const std::string text = Text(ipv6, address);
    if (!ipv6 && Uniform(0, 7) == 0)
      return "::ffff:" + text + "/" + std::to_string(96 + prefix);
    if (prefix == bits && Uniform(0, 1) == 0) return text;
    return text + "/" + std::to_string(prefix);
  }

  Address RandomAddress() {
    Address address;
    for (auto& byte : address) byte = static_cast<uint8_t>(Uniform(0, 255));
    return address;
  }
  int Uniform(int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(random_);
  }

 private:
  std::mt19937 random_;
  int shortest_;
  std::array<Address, 12> pool_;
};

// Builds `count` random rules and compares the set with BruteForce at each
// rule's edges (first, last and their neighbours) and at random addresses.
void CrossCheck(unsigned seed, int shortest, int count) {
  RandomRules random(seed, shortest);
  std::vector<Cidr> rules;
  for (int i = 0; i < count; ++i) rules.push_back(Rule(random.Rule()));
  const CidrSet set(rules);
  std::vector<std::pair<bool, Address>> clients;
  for (const Cidr& rule : rules) {
    const int bits = rule.ipv6 ? 128 : 32;
    Address first = rule.bytes, last = rule.bytes;
    for (int bit = rule.prefix; bit < bits; ++bit)
      last[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
    Address before = first, after = last;
    Step(&before, bits / 8, -1);
    Step(&after, bits / 8, +1);
    for (const Address& a : {first, last, before, after})
      clients.push_back({rule.ipv6, a});
  }
  for (int i = 0; i < 5000; ++i) {
    const bool ipv6 = random.Uniform(0, 1) == 1;
    Address a = random.Uniform(0, 3) == 0 ? random.RandomAddress()
                                          : random.Near(ipv6 ? 16 : 4);
    if (!ipv6) std::fill(a.begin() + 4, a.end(), 0);
    clients.push_back({ipv6, a});
  }
  for (bool ipv6 : {false, true}) {
    Address ones{};
    std::fill(ones.begin(), ones.begin() + (ipv6 ? 16 : 4), 0xff);
    clients.push_back({ipv6, Address{}});
    clients.push_back({ipv6, ones});
  }
  int failures = 0, matched = 0, missed = 0;
  for (const auto& [ipv6, address] : clients) {
    const int want = BruteForce(rules, ipv6, address);
    (want == -1 ? missed : matched)++;
    int got = set.Find(address.data(), ipv6 ? 16 : 4);
    if (!ipv6 && got == want) {  // the same client on a dual-stack socket
      sockaddr_in6 in6{};
      in6.sin6_family = AF_INET6;
      in6.sin6_addr.s6_addr[10] = in6.sin6_addr.s6_addr[11] = 0xff;
      std::memcpy(&in6.sin6_addr.s6_addr[12], address.data(), 4);
      got = set.Find(reinterpret_cast<const sockaddr*>(&in6));
    }
    if (got != want && ++failures <= 10)
      ADD_FAILURE() << Text(ipv6, address) << ": got rule " << got << " ("
                    << (got >= 0 ? set.rule(got) : "none") << "), want " << want
                    << " (" << (want >= 0 ? set.rule(want) : "none") << ")";
  }
  EXPECT_EQ(failures, 0);
  // Both outcomes were exercised, or the check proves little.
  EXPECT_GT(matched, 1000);
  if (shortest > 0) {
    EXPECT_GT(missed, 1000);
  }
}

}  // namespace

TEST(CidrSet, AgreesWithBruteForceOnRandomRules) {
  CrossCheck(20240601, 4, 2000);  // no very short prefixes: misses too
}

TEST(CidrSet, AgreesWithBruteForceOnRandomRulesWithShortPrefixes) {
  CrossCheck(7, 0, 2000);  // /0, /1 ... : ranges reaching the space's ends
}

TEST(CidrSet, HundredThousandRulesFindTheLast) {
  // 99,999 disjoint /24s from 10.0.0.0 on, then one host inside one of them.
  std::vector<Cidr> rules;
  rules.reserve(100'000);
  for (uint32_t i = 0; i < 99'999; ++i) {
    const uint32_t first = (10u << 24) + (i << 8);
    Cidr rule;
    rule.bytes = Bytes({uint8_t(first >> 24), uint8_t(first >> 16),
                        uint8_t(first >> 8), 0});
    rule.prefix = 24;
    rule.text = std::to_string(i);
    rules.push_back(std::move(rule));
  }
  rules.push_back(Rule("10.200.3.77"));  // block (200 << 8) + 3 = 51203
  const CidrSet set(std::move(rules));
  EXPECT_EQ(set.size(), 100'000u);
  EXPECT_EQ(Find(set, "10.200.3.77"), 99'999);
  EXPECT_EQ(Find(set, "::ffff:10.200.3.77"), 99'999);
  EXPECT_EQ(Find(set, "10.200.3.76"), 51'203);
  EXPECT_EQ(Find(set, "10.200.3.78"), 51'203);
  EXPECT_EQ(Find(set, "10.0.0.0"), 0);
  EXPECT_EQ(Find(set, "11.134.158.255"), 99'998);  // 10.0.0.0 + 99,999 * 256 - 1
  EXPECT_EQ(Find(set, "11.134.159.0"), -1);
  EXPECT_EQ(Find(set, "9.255.255.255"), -1);
}
