#include "cidr_set.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <optional>
#include <tuple>
#include <utility>

namespace superd {
namespace {

using Word4 = uint32_t;
using Word6 = unsigned __int128;

// ::ffff:0:0/96, where IPv4-mapped addresses live (RFC 4291 2.5.5.2).
constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0,
                                       0, 0, 0, 0, 0xff, 0xff};

bool IsMapped(const uint8_t* bytes) {
  return std::memcmp(bytes, kMappedPrefix, sizeof kMappedPrefix) == 0;
}

// A prefix length as a config file should write it: 1 to 3 decimal digits,
// no sign, no spaces, no leading zero; nothing from_chars would also accept.
std::optional<int> ParsePrefix(std::string_view digits, int max) {
  if (digits.empty() || digits.size() > 3) return std::nullopt;
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  int n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n > max) return std::nullopt;
  return n;
}

// Clears every bit of `bytes` after the first `prefix`; says whether one
// was set.
bool ClearHostBits(uint8_t* bytes, int size, int prefix) {
  bool any = false;
  for (int i = prefix / 8; i < size; ++i) {
    const int kept = std::clamp(prefix - i * 8, 0, 8);
    const uint8_t mask = static_cast<uint8_t>(0xff00 >> kept);
    any = any || (bytes[i] & ~mask) != 0;
    bytes[i] &= mask;
  }
  return any;
}

std::string Format(int family, const uint8_t* bytes, int prefix) {
  char text[INET6_ADDRSTRLEN] = "";
  inet_ntop(family, bytes, text, sizeof text);
  return std::string(text) + "/" + std::to_string(prefix);
}

template <typename Word>
Word ToWord(const uint8_t* bytes) {
  Word word = 0;
  for (size_t i = 0; i < sizeof(Word); ++i) word = (word << 8) | bytes[i];
  return word;
}

// One rule as an inclusive range of addresses.
template <typename Word>
struct Block {
  Word first, last;
  int prefix;
  int rule;
};

template <typename Word>
Block<Word> MakeBlock(const Cidr& cidr, int rule) {
  constexpr int kBits = sizeof(Word) * 8;
  // A Cidr is a plain struct that need not come from ParseCidr: clamp and
  // mask rather than shift by the word's width or more (undefined).
  const int prefix = std::clamp(cidr.prefix, 0, kBits);
  const Word host = prefix == kBits ? Word(0) : ~Word(0) >> prefix;
  const Word first = ToWord<Word>(cidr.bytes.data()) & ~host;
  return {first, first | host, prefix, rule};
}

// Turns nested-or-disjoint blocks, opened in order of (first, prefix), into
// disjoint ranges each labelled with the innermost open block. The stack
// holds the blocks containing the current address, innermost on top.
// `Range` is CidrSet's private range type, deduced rather than named.
template <typename Word, typename Range>
class Sweep {
 public:
  explicit Sweep(std::vector<Range>* ranges) : ranges_(ranges) {}

  void Open(const Block<Word>& block) {
    while (!open_.empty() && open_.back().last < block.first) CloseTop();
    // Whatever is still open contains `block`: its part before it is the
    // enclosing rule's.
    if (!open_.empty() && next_ < block.first)
      ranges_->push_back({next_, block.first - 1, open_.back().rule});
    next_ = block.first;
    open_.push_back(block);
  }

  void Finish() {
    while (!open_.empty()) CloseTop();
  }

 private:
  void CloseTop() {
    const Block<Word> top = open_.back();
    open_.pop_back();
    if (past_end_ || next_ > top.last) return;  // inner blocks covered it
    ranges_->push_back({next_, top.last, top.rule});
    // The last address has no successor; next_ would wrap to 0.
    if (top.last == ~Word(0)) past_end_ = true;
    else next_ = top.last + 1;
  }

  std::vector<Range>* ranges_;
  std::vector<Block<Word>> open_;
  Word next_ = 0;          // the first address no range holds yet
  bool past_end_ = false;  // the range ending at all ones is out
};

template <typename Word, typename Range>
void Compile(std::vector<Block<Word>> blocks, std::vector<Range>* ranges) {
  // Outer blocks before the ones they contain; of identical rules the
  // first written comes first, and is the only one kept.
  std::sort(blocks.begin(), blocks.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.prefix, a.rule) <
           std::tie(b.first, b.prefix, b.rule);
  });
  blocks.erase(std::unique(blocks.begin(), blocks.end(),
                           [](const auto& a, const auto& b) {
                             return a.first == b.first && a.prefix == b.prefix;
                           }),
               blocks.end());
  ranges->reserve(2 * blocks.size());  // a block adds at most two ranges
  Sweep<Word, Range> sweep(ranges);
  for (const auto& block : blocks) sweep.Open(block);
  sweep.Finish();
}

template <typename Range, typename Word>
int Lookup(const std::vector<Range>& ranges, Word address) {
  const auto after = std::upper_bound(
      ranges.begin(), ranges.end(), address,
      [](Word a, const Range& range) { return a < range.first; });
  if (after == ranges.begin()) return -1;
  const Range& range = *std::prev(after);
  return address <= range.last ? range.rule : -1;
}

}  // namespace

std::variant<Cidr, std::string> ParseCidr(std::string_view text) {
  const auto invalid = [text](const std::string& reason) {
    return "invalid CIDR '" + std::string(text) + "': " + reason;
  };
  const size_t slash = text.find('/');
  const std::string address(text.substr(0, slash));
  Cidr cidr;
  cidr.text = text;
  cidr.ipv6 = address.find(':') != std::string::npos;
  const int family = cidr.ipv6 ? AF_INET6 : AF_INET;
  // inet_pton stops at a NUL that a string_view may carry.
  if (address.find('\0') != std::string::npos ||
      inet_pton(family, address.c_str(), cidr.bytes.data()) != 1)
    return invalid("not an IPv4 or IPv6 address");
  const int bits = cidr.ipv6 ? 128 : 32;
  cidr.prefix = bits;
  if (slash != std::string_view::npos) {
    const auto prefix = ParsePrefix(text.substr(slash + 1), bits);
    if (!prefix)
      return invalid("prefix length must be 0.." + std::to_string(bits));
    cidr.prefix = *prefix;
  }
  if (ClearHostBits(cidr.bytes.data(), bits / 8, cidr.prefix))
    return invalid("host bits are set (did you mean " +
                   Format(family, cidr.bytes.data(), cidr.prefix) + "?)");
  // A block inside ::ffff:0:0/96 holds IPv4 clients only, which are looked
  // up as IPv4; a wider IPv6 block holds IPv6 ones too and stays IPv6.
  if (cidr.ipv6 && cidr.prefix >= 96 && IsMapped(cidr.bytes.data())) {
    std::memmove(cidr.bytes.data(), cidr.bytes.data() + 12, 4);
    std::fill(cidr.bytes.begin() + 4, cidr.bytes.end(), 0);
    cidr.prefix -= 96;
    cidr.ipv6 = false;
  }
  return cidr;
}

CidrSet::CidrSet(std::vector<Cidr> rules) : rules_(std::move(rules)) {
  std::vector<Block<Word4>> v4;
  std::vector<Block<Word6>> v6;
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].ipv6) v6.push_back(MakeBlock<Word6>(rules_[i], int(i)));
    else v4.push_back(MakeBlock<Word4>(rules_[i], int(i)));
  }
  Compile(std::move(v4), &v4_);
  Compile(std::move(v6), &v6_);
}

int CidrSet::Find(const sockaddr* address) const {
  if (address == nullptr) return -1;
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    return Find(reinterpret_cast<const uint8_t*>(&in->sin_addr), 4);
  }
  if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    return Find(in6->sin6_addr.s6_addr, 16);
  }
  return -1;
}

int CidrSet::Find(const uint8_t* bytes, size_t length) const {
  if (bytes == nullptr) return -1;
  if (length == 4) return Lookup(v4_, ToWord<Word4>(bytes));
  if (length != 16) return -1;
  // IN6_IS_ADDR_V4MAPPED, on bytes: a dual-stack socket's IPv4 client.
  if (IsMapped(bytes)) return Lookup(v4_, ToWord<Word4>(bytes + 12));
  return Lookup(v6_, ToWord<Word6>(bytes));
}

}  // namespace superd
