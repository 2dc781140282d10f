// libFuzzer target for the table loader, the inetd.conf reader and the
// value parsers. The input's first byte chooses what is fuzzed:
//   0x01 ParseDuration       0x05 ParseRate
//   0x02 ParseInteger        0x06 ParseSize
//   0x03 ParseUmask          0x07 ParseCidr
//   0x04 ParseListen         0x08 CidrSet: a rule per line, then Find
//   0x0b ParseBufferSize     0x0c ReadInetdConf: the rest is an inetd.conf
//   0x0e ParseProxyHeader: the rest is what a connection's first bytes were
// and is not part of the text. Any other first byte: the whole input is a
// table for ParseTable, so that a table file is a seed or a reproducer as
// it is (YAML allows none of 0x01-0x08, 0x0b, 0x0c, 0x0e anywhere).
//
// Beyond "no crash, no hang, no leak, no undefined behaviour", each parser's
// documented contract is checked on what it accepts (a duration at most
// 720h, an integer within its bounds, ...), CidrSet::Find against a
// linear scan of the rules, and ParseProxyHeader's promises to a caller
// that peeks: a final answer stays final as more bytes arrive.
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "cidr_set.hpp"
#include "inetd_conf.hpp"
#include "proxy_header.hpp"
#include "table_loader.hpp"
#include "values.hpp"

namespace superd {
namespace {

// A broken contract is a crash, with the input libFuzzer saves.
#define FUZZ_CHECK(condition)                                               \
  do {                                                                      \
    if (!(condition)) {                                                     \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                   #condition);                                             \
      std::abort();                                                         \
    }                                                                       \
  } while (0)

using std::chrono::milliseconds;
constexpr milliseconds kMaxDuration{30ll * 24 * 3'600'000};  // 720h

// Whether `text` is `digits` (one or more of them) and then one of `suffixes`
// ("" for none); `sign` allows one leading '+' or '-'.
bool Matches(std::string_view text, std::string_view digits, bool sign,
             std::initializer_list<std::string_view> suffixes) {
  if (sign && !text.empty() && (text[0] == '+' || text[0] == '-'))
    text.remove_prefix(1);
  const size_t n = std::min(text.find_first_not_of(digits), text.size());
  if (n == 0) return false;
  text.remove_prefix(n);
  return std::find(suffixes.begin(), suffixes.end(), text) != suffixes.end();
}

constexpr std::string_view kDecimal = "0123456789";

// The first byte of `text` (consumed), or 0.
uint8_t TakeByte(std::string_view& text) {
  if (text.empty()) return 0;
  const uint8_t b = static_cast<uint8_t>(text[0]);
  text.remove_prefix(1);
  return b;
}

void FuzzDuration(std::string_view text) {
  const auto parsed = ParseDuration(text);
  if (auto* d = std::get_if<milliseconds>(&parsed)) {
    FUZZ_CHECK(Matches(text, kDecimal, false, {"", "ms", "s", "m", "h"}));
    FUZZ_CHECK(d->count() >= 0 && *d <= kMaxDuration);
  }
}

void FuzzInteger(std::string_view text) {
  // The loader's bounds, and the extremes.
  static constexpr std::pair<long long, long long> kBounds[] = {
      {1, 1 << 20}, {-20, 19},       {0, 32},           {0, 128},
      {1, 65535},   {0, 0xfffffffe}, {LLONG_MIN, LLONG_MAX}, {0, 0}};
  const auto [min, max] = kBounds[TakeByte(text) % std::size(kBounds)];
  const auto parsed = ParseInteger(text, min, max);
  if (auto* n = std::get_if<long long>(&parsed)) {
    FUZZ_CHECK(Matches(text, kDecimal, true, {""}));
    FUZZ_CHECK(min <= *n && *n <= max);
  }
}

void FuzzUmask(std::string_view text) {
  const auto parsed = ParseUmask(text);
  if (auto* mask = std::get_if<unsigned>(&parsed)) {
    FUZZ_CHECK(Matches(text, "01234567", false, {""}));
    FUZZ_CHECK(*mask <= 0777);
  }
}

void FuzzListen(std::string_view text) {
  const auto parsed = ParseListen(text);
  auto* parts = std::get_if<ListenParts>(&parsed);
  if (parts == nullptr) return;
  if (parts->unix_socket) {
    FUZZ_CHECK(!parts->path.empty() && parts->path[0] == '/');
    FUZZ_CHECK(parts->path.size() <= 107);
  } else {
    FUZZ_CHECK(!parts->port.empty());
  }
}

void FuzzRate(std::string_view text) {
  const auto parsed = ParseRate(text);
  auto* rate = std::get_if<Rate>(&parsed);
  if (rate == nullptr) return;
  FUZZ_CHECK(rate->off() == (text == "off"));
  if (!rate->off()) {
    const std::string_view count = text.substr(0, text.find('/'));
    FUZZ_CHECK(Matches(count, kDecimal, false, {""}));
    FUZZ_CHECK(1 <= rate->count && rate->count <= 1'000'000);
    FUZZ_CHECK(rate->per.count() > 0 && rate->per <= kMaxDuration);
  }
}

void FuzzSize(std::string_view text) {
  static constexpr unsigned long long kMax[] = {1ull << 50, ~0ull, 0, 1ull << 30,
                                                1023};
  const unsigned long long max = kMax[TakeByte(text) % std::size(kMax)];
  const auto parsed = ParseSize(text, max);
  if (auto* size = std::get_if<unsigned long long>(&parsed)) {
    if (*size == ~0ull && (text == "unlimited" || text == "infinity")) return;
    FUZZ_CHECK(Matches(text, kDecimal, false, {"", "K", "k", "M", "m", "G", "g"}));
    FUZZ_CHECK(*size <= max);
  }
}

void FuzzBufferSize(std::string_view text) {
  const auto parsed = ParseBufferSize(text);
  if (auto* size = std::get_if<int>(&parsed)) {
    FUZZ_CHECK(Matches(text, kDecimal, false, {"", "K", "k", "M", "m", "G", "g"}));
    FUZZ_CHECK(0 <= *size && *size <= kMaxBufferSize);
  }
}

// A rule from ParseCidr: a prefix within its family's range, no host bits.
void CheckCidr(const Cidr& cidr) {
  const int bits = cidr.ipv6 ? 128 : 32;
  FUZZ_CHECK(0 <= cidr.prefix && cidr.prefix <= bits);
  for (int i = 0; i < 16; ++i) {
    const int kept = std::clamp(cidr.prefix - i * 8, 0, 8);
    const uint8_t host_mask = i < bits / 8 ? uint8_t(0xff >> kept) : 0xff;
    FUZZ_CHECK((cidr.bytes[i] & host_mask) == 0);
  }
}

void FuzzCidr(std::string_view text) {
  const auto parsed = ParseCidr(text);
  if (auto* cidr = std::get_if<Cidr>(&parsed)) CheckCidr(*cidr);
}

// An address as CidrSet sees it: IPv4 in bytes[0..3], or IPv6.
struct Address {
  bool ipv6;
  std::array<uint8_t, 16> bytes;
};

bool Covers(const Cidr& rule, const Address& a) {
  if (rule.ipv6 != a.ipv6) return false;
  for (int bit = 0; bit < rule.prefix; ++bit) {
    const uint8_t mask = uint8_t(0x80 >> (bit % 8));
    if ((rule.bytes[bit / 8] & mask) != (a.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

// What Find must answer: the most specific rule covering `a`, the first
// written of identical ones.
int Reference(const std::vector<Cidr>& rules, const Address& a) {
  int best = -1;
  for (size_t i = 0; i < rules.size(); ++i)
    if (Covers(rules[i], a) && (best < 0 || rules[i].prefix > rules[best].prefix))
      best = static_cast<int>(i);
  return best;
}

// `a` plus `delta` (+1 or -1), wrapping, over the family's bytes.
Address Step(Address a, int delta) {
  for (int i = (a.ipv6 ? 16 : 4) - 1; i >= 0; --i) {
    const uint8_t before = a.bytes[i];
    a.bytes[i] = uint8_t(before + delta);
    if ((delta > 0 && a.bytes[i] != 0) || (delta < 0 && before != 0)) break;
  }
  return a;
}

void CheckFind(const CidrSet& set, const std::vector<Cidr>& rules,
               const Address& a) {
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (a.ipv6 && std::equal(kMapped, kMapped + 12, a.bytes.begin())) {
    // ::ffff:a.b.c.d is the IPv4 client a.b.c.d (cidr_set.hpp).
    Address v4{false, {}};
    std::copy_n(a.bytes.begin() + 12, 4, v4.bytes.begin());
    CheckFind(set, rules, v4);
    return;
  }
  const int expected = Reference(rules, a);
  if (a.ipv6) {
    FUZZ_CHECK(set.Find(a.bytes.data(), 16) == expected);
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    std::copy(a.bytes.begin(), a.bytes.end(), in6.sin6_addr.s6_addr);
    FUZZ_CHECK(set.Find(reinterpret_cast<const sockaddr*>(&in6)) == expected);
    return;
  }
  FUZZ_CHECK(set.Find(a.bytes.data(), 4) == expected);
  // The same client on a dual-stack socket: ::ffff:a.b.c.d.
  std::array<uint8_t, 16> mapped{};
  mapped[10] = mapped[11] = 0xff;
  std::copy_n(a.bytes.begin(), 4, mapped.begin() + 12);
  FUZZ_CHECK(set.Find(mapped.data(), 16) == expected);
  sockaddr_in in{};
  in.sin_family = AF_INET;
  std::copy_n(a.bytes.begin(), 4, reinterpret_cast<uint8_t*>(&in.sin_addr));
  FUZZ_CHECK(set.Find(reinterpret_cast<const sockaddr*>(&in)) == expected);
}

void FuzzCidrSet(std::string_view text) {
  std::vector<Cidr> rules;
  while (!text.empty()) {
    const size_t end = std::min(text.find('\n'), text.size());
    const auto parsed = ParseCidr(text.substr(0, end));
    if (auto* cidr = std::get_if<Cidr>(&parsed)) {
      CheckCidr(*cidr);
      rules.push_back(*cidr);
    }
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  const CidrSet set(rules);
  FUZZ_CHECK(set.size() == rules.size());
  FUZZ_CHECK(set.Find(nullptr) == -1);
  // Around each rule's first and last address, for the first rules (the
  // reference is linear: all of them would be quadratic).
  const size_t probed = std::min<size_t>(rules.size(), 64);
  for (size_t i = 0; i < probed; ++i) {
    const Cidr& rule = rules[i];
    Address first{rule.ipv6, rule.bytes};
    Address last = first;
    for (int bit = rule.prefix; bit < (rule.ipv6 ? 128 : 32); ++bit)
      last.bytes[bit / 8] |= uint8_t(0x80 >> (bit % 8));
    for (const Address& a : {first, last, Step(first, -1), Step(last, +1)})
      CheckFind(set, rules, a);
  }
}

// What a valid table promises whoever runs it (table.hpp).
void CheckTable(const ServiceTable& table) {
  FUZZ_CHECK(table.max_children >= 1);
  for (const Service& s : table.services) {
    FUZZ_CHECK(!s.name.empty());
    FUZZ_CHECK(!s.listen.empty());
    FUZZ_CHECK(s.program.starts_with('/'));
    FUZZ_CHECK(s.wait || s.protocol == Protocol::kTcp);
    FUZZ_CHECK(-20 <= s.nice && s.nice <= 19);
    FUZZ_CHECK(s.max_instances >= 1 && s.backlog >= 1 && s.umask <= 0777);
    FUZZ_CHECK(s.env.size() <= 1000);
    FUZZ_CHECK(s.policy.allow != nullptr && s.policy.deny != nullptr);
  }
}

// Every diagnostic points into the file (or just past its end), or nowhere.
void CheckPositions(std::string_view text, const Diagnostics& diagnostics) {
  const auto breaks = std::count_if(text.begin(), text.end(),
                                    [](char c) { return c == '\n' || c == '\r'; });
  const int lines = static_cast<int>(breaks) + 1;
  for (const auto* list : {&diagnostics.errors(), &diagnostics.warnings()}) {
    for (const Diagnostic& d : *list) {
      FUZZ_CHECK(!d.message.empty());
      FUZZ_CHECK(d.position.line >= 0 && d.position.line <= lines + 1);
      FUZZ_CHECK((d.position.line == 0) == (d.position.column == 0));
    }
  }
}

// ReadInetdConf: what it returns are services the supervisor can run.
void FuzzInetdConf(std::string_view text) {
  const InetdConf conf = ReadInetdConf(std::string(text), "fuzz.conf", "/usr/libexec/superd");
  CheckPositions(text, conf.diagnostics);
  std::vector<std::string> names;
  for (const InetdService& entry : conf.services) {
    const Service& s = entry.service;
    FUZZ_CHECK(s.name == entry.inetd_name + s.name.substr(entry.inetd_name.size()));
    FUZZ_CHECK(s.name.size() > entry.inetd_name.size() + 1);
    FUZZ_CHECK(s.program.starts_with('/') && !s.argv0.empty());
    FUZZ_CHECK(s.wait || s.protocol == Protocol::kTcp);
    FUZZ_CHECK(!s.policy.rate_limit.off());
    FUZZ_CHECK(0 <= s.sndbuf && s.sndbuf <= kMaxBufferSize);
    FUZZ_CHECK(0 <= s.rcvbuf && s.rcvbuf <= kMaxBufferSize);
    FUZZ_CHECK(entry.position.line >= 1 && entry.position.column >= 1);
    if (!s.disabled) FUZZ_CHECK(!s.listen.empty() && s.credentials.has_value());
    names.push_back(s.name);
  }
  std::sort(names.begin(), names.end());
  FUZZ_CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
  (void)conf.diagnostics.FormatAll();
}

// What a v1 line or a v2 header that ParseProxyHeader completed must be.
void CheckProxyHeader(std::string_view text, const ProxyHeader& h) {
  static constexpr std::string_view kV2Signature("\r\n\r\n\0\r\nQUIT\n", 12);
  FUZZ_CHECK(h.length <= text.size() && h.length <= kMaxProxyHeader);
  const std::string_view header = text.substr(0, h.length);
  FUZZ_CHECK(!(h.local && h.unknown));
  if (h.version == 1) {
    FUZZ_CHECK(header.starts_with("PROXY ") && header.ends_with("\r\n"));
    FUZZ_CHECK(h.length >= 15 && h.length <= 107 && !h.local);
    FUZZ_CHECK(header.find_first_of("\r\n") == h.length - 2);
  } else {
    FUZZ_CHECK(h.version == 2 && header.starts_with(kV2Signature));
    const size_t length = uint8_t(header[14]) << 8 | uint8_t(header[15]);
    FUZZ_CHECK(h.length == 16 + length);
  }
  const int family = h.source.family();
  FUZZ_CHECK(family == h.destination.family());
  if (h.local || h.unknown) FUZZ_CHECK(family == AF_UNSPEC);
  else FUZZ_CHECK(family == AF_INET || family == AF_INET6 || family == AF_UNIX);
  (void)h.source.ToString();
  (void)h.destination.ToString();
}

// Every prefix of `text` shorter than `size` is kIncomplete: each of the
// first 300 (all of v1, v2's fixed part and addresses, the first TLVs),
// then every 97th.
void CheckPrefixesIncomplete(std::string_view text, size_t size) {
  for (size_t n = 0; n < size; n += n < 300 ? 1 : 97) {
    const ProxyStatus status = ParseProxyHeader(text.substr(0, n)).status;
    FUZZ_CHECK(status == ProxyStatus::kIncomplete);
  }
}

// ParseProxyHeader's answers are those of a parser that sees the stream
// grow: a prefix of what it completed or still waits on is never invalid
// (it waits), kInvalid and kComplete stay so whatever follows, and
// kMaxProxyHeader bytes are always enough to decide.
void FuzzProxyHeader(std::string_view text) {
  const ProxyParse parsed = ParseProxyHeader(text);
  const std::string more = std::string(text) + "\r\n" + std::string(text);
  const ProxyParse extended = ParseProxyHeader(more);
  if (parsed.status != ProxyStatus::kIncomplete)
    FUZZ_CHECK(extended.status == parsed.status);
  switch (parsed.status) {
    case ProxyStatus::kComplete: {
      const size_t length = parsed.header.length;
      FUZZ_CHECK(parsed.error.empty());
      CheckProxyHeader(text, parsed.header);
      FUZZ_CHECK(extended.header == parsed.header);
      FUZZ_CHECK(ParseProxyHeader(text.substr(0, length)).header == parsed.header);
      CheckPrefixesIncomplete(text, length);
      break;
    }
    case ProxyStatus::kInvalid:
      // One line of printable ASCII, peer bytes escaped: safe to log.
      FUZZ_CHECK(!parsed.error.empty());
      FUZZ_CHECK(std::all_of(parsed.error.begin(), parsed.error.end(),
                             [](char c) { return c >= 0x20 && c < 0x7f; }));
      break;
    case ProxyStatus::kIncomplete:
      FUZZ_CHECK(parsed.error.empty());
      FUZZ_CHECK(text.size() < kMaxProxyHeader);
      CheckPrefixesIncomplete(text, text.size());
      break;
  }
}

void FuzzTable(std::string_view text) {
  const LoadResult result = ParseTable(std::string(text), "fuzz.yaml");
  FUZZ_CHECK(result.table.has_value() == result.diagnostics.empty());
  if (result.table) CheckTable(*result.table);
  CheckPositions(text, result.diagnostics);
  // Formatting sorts and prints every diagnostic: exercise it too.
  (void)result.diagnostics.FormatAll();
}

}  // namespace
}  // namespace superd

// ASan keeps freed memory out of use for a while (its quarantine, 256 MB by
// default) to catch a use after free; in a long run that alone nears the
// 512 MB -rss_limit_mb the tests set, so keep 64 MB: far more than one input
// allocates. UBSan: say where. ASAN_OPTIONS and UBSAN_OPTIONS still override.
extern "C" const char* __asan_default_options() {
  return "quarantine_size_mb=64";
}
extern "C" const char* __ubsan_default_options() {
  return "print_stacktrace=1";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace superd;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const uint8_t selector = size > 0 ? data[0] : 0;
  if ((selector < 0x01 || selector > 0x08) && selector != 0x0b &&
      selector != 0x0c && selector != 0x0e) {
    FuzzTable(text);
    return 0;
  }
  text.remove_prefix(1);
  switch (selector) {
    case 0x01: FuzzDuration(text); break;
    case 0x02: FuzzInteger(text); break;
    case 0x03: FuzzUmask(text); break;
    case 0x04: FuzzListen(text); break;
    case 0x05: FuzzRate(text); break;
    case 0x06: FuzzSize(text); break;
    case 0x07: FuzzCidr(text); break;
    case 0x08: FuzzCidrSet(text); break;
    case 0x0b: FuzzBufferSize(text); break;
    case 0x0c: FuzzInetdConf(text); break;
    case 0x0e: FuzzProxyHeader(text); break;
  }
  return 0;
}
