#include "table_checks.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace superd::import {
namespace {

// One socket of a `listen` entry, as far as overlaps go: a family (0 for
// a host name, whose addresses superd learns when it loads the table), an
// address ("" for the family's wildcard), a port.
struct Socket {
  int family;
  std::string address;
  std::string port;
  bool operator<(const Socket& o) const {
    return std::tie(family, address, port) < std::tie(o.family, o.address, o.port);
  }
};

// The sockets of "*:P", "0.0.0.0:P", "[::]:P", "A:P", "[A]:P", "HOST:P".
std::vector<Socket> Sockets(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return {};
  std::string host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (host == "*") return {{AF_INET, "", port}, {AF_INET6, "", port}};
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  unsigned char buffer[16];
  if (inet_pton(AF_INET, host.c_str(), buffer) == 1)
    return {{AF_INET, host == "0.0.0.0" ? "" : host, port}};
  if (inet_pton(AF_INET6, host.c_str(), buffer) == 1)
    return {{AF_INET6, host == "::" ? "" : host, port}};
  return {{0, host, port}};
}

// A host name may resolve to any address: it is taken to overlap every
// socket on its port, so that what superd --check would find is found here.
bool Overlap(const Socket& a, const Socket& b) {
  if (a.port != b.port) return false;
  if (a.family == 0 || b.family == 0) return true;
  return a.family == b.family &&
         (a.address.empty() || b.address.empty() || a.address == b.address);
}

std::string Where(const ImportedService& s) { return s.file + ":" + std::to_string(s.line); }

void Warn(ImportedTable& table, const ImportedService& s, std::string text) {
  table.messages.push_back({s.file, s.line, std::move(text), true});
}

bool AllUtf8(const ImportedService& s) {
  std::vector<std::string_view> texts = {s.name,  s.program, s.argv0, s.user,
                                         s.group, s.umask,   s.rate_limit};
  for (const auto& v : {&s.listen, &s.args, &s.allow, &s.deny})
    texts.insert(texts.end(), v->begin(), v->end());
  for (const auto& pairs : {&s.env, &s.rlimits})
    for (const auto& [k, v] : *pairs) texts.insert(texts.end(), {k, v});
  return std::all_of(texts.begin(), texts.end(), ValidUtf8);
}

}  // namespace

std::string SanitizeServiceName(std::string_view name) {
  std::string out;
  for (unsigned char c : name)
    out += std::isalnum(c) || c == '-' || c == '_' || c == '.' ? static_cast<char>(c) : '_';
  return out.empty() ? "service" : out;
}

bool ValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = text[i];
    int more;
    char32_t code;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xe0) == 0xc0) more = 1, code = c & 0x1f;
    else if ((c & 0xf0) == 0xe0) more = 2, code = c & 0x0f;
    else if ((c & 0xf8) == 0xf0) more = 3, code = c & 0x07;
    else return false;
    if (i + more >= text.size()) return false;
    for (int k = 1; k <= more; ++k) {
      const unsigned char d = text[i + k];
      if ((d & 0xc0) != 0x80) return false;
      code = code << 6 | (d & 0x3f);
    }
    // Overlong forms, surrogates and what lies beyond Unicode.
    static constexpr char32_t kLeast[] = {0, 0x80, 0x800, 0x10000};
    if (code < kLeast[more] || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff)
      return false;
    i += more + 1;
  }
  return true;
}

void SettleTable(ImportedTable& table) {
  std::vector<ImportedService> kept;
  std::map<std::pair<std::string, Socket>, std::string> sockets;  // -> service
  for (ImportedService& s : table.services) {
    if (!AllUtf8(s)) {
      Warn(table, s, "service '" + SanitizeServiceName(s.name) +
                         "' holds text that is not UTF-8, which a YAML file cannot; left out");
      continue;
    }
    kept.push_back(s);
  }
  table.services = std::move(kept);
  std::set<std::string> taken;
  for (const ImportedService& s : table.services) taken.insert(s.name);
  std::map<std::string, std::string> first;  // name -> where
  for (ImportedService& s : table.services) {
    auto [it, fresh] = first.emplace(s.name, Where(s));
    if (fresh) continue;
    std::string name;
    for (int n = 2; taken.count(name = s.name + "-" + std::to_string(n)); ++n) {
    }
    Warn(table, s, "service name '" + s.name + "' is taken (" + it->second +
                       "): imported as '" + name + "'");
    taken.insert(name);
    s.name = name;
    first.emplace(name, Where(s));
  }
  for (ImportedService& s : table.services) {
    if (s.disabled) continue;
    const std::string protocol = s.protocol.empty() ? "tcp" : s.protocol;
    std::optional<std::string> clash;
    std::vector<Socket> mine;
    for (const std::string& l : s.listen)
      for (const Socket& socket : Sockets(l)) mine.push_back(socket);
    for (const auto& [key, owner] : sockets)
      for (const Socket& socket : mine)
        if (!clash && key.first == protocol && Overlap(key.second, socket)) clash = owner;
    if (clash) {
      Warn(table, s, "service '" + s.name + "' would listen where service " + *clash +
                         " does, and xinetd serves only the first: imported as disabled");
      s.disabled = true;
      continue;
    }
    for (const Socket& socket : mine)
      sockets.emplace(std::make_pair(protocol, socket), "'" + s.name + "' (" + Where(s) + ")");
  }
}

}  // namespace superd::import
