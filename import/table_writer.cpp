#include "table_writer.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "table_checks.hpp"

namespace superd::import {
namespace {

// Text for a comment line: one line, and UTF-8 (a path may be neither).
std::string ForComment(const std::string& text) {
  std::string out;
  const bool utf8 = ValidUtf8(text);
  for (unsigned char c : text)
    out += c == '\n' || c == '\r' || (!utf8 && c >= 0x80) ? '?' : static_cast<char>(c);
  return out;
}

void Put(YAML::Emitter& e, const std::string& text) {
  if (NeedsQuotes(text)) e << YAML::DoubleQuoted;
  e << text;
}

void PutList(YAML::Emitter& e, const std::vector<std::string>& items) {
  e << YAML::Flow << YAML::BeginSeq;
  for (const std::string& item : items) Put(e, item);
  e << YAML::EndSeq;
}

// `name: {keys}` as a block map of its own, in superd.yaml(5)'s order.
std::string Service(const ImportedService& s) {
  YAML::Emitter e;
  e << YAML::BeginMap << YAML::Key;
  Put(e, s.name);
  e << YAML::Value << YAML::BeginMap;
  auto key = [&](const char* k) -> YAML::Emitter& { return e << YAML::Key << k << YAML::Value; };
  auto text = [&](const char* k, const std::string& v) {
    if (!v.empty()) key(k), Put(e, v);
  };
  auto list = [&](const char* k, const std::vector<std::string>& v) {
    if (!v.empty()) key(k), PutList(e, v);
  };
  auto number = [&](const char* k, int v) {
    if (v != 0) key(k) << v;
  };
  if (s.listen.size() == 1) text("listen", s.listen[0]);
  else list("listen", s.listen);
  text("protocol", s.protocol);
  if (s.wait) key("wait") << *s.wait;
  text("program", s.program);
  text("argv0", s.argv0);
  list("args", s.args);
  text("user", s.user);
  text("group", s.group);
  if (!s.env.empty()) {
    key("env") << YAML::BeginMap;
    for (const auto& [name, value] : s.env) {
      e << YAML::Key;
      Put(e, name);
      e << YAML::Value;
      Put(e, value);
    }
    e << YAML::EndMap;
  }
  text("umask", s.umask);
  number("nice", s.nice);
  number("max_instances", s.max_instances);
  number("max_per_source", s.max_per_source);
  if (s.source_prefix_ipv6 != 0)
    key("source_prefix") << YAML::Flow << YAML::BeginMap << YAML::Key << "ipv6" << YAML::Value
                         << s.source_prefix_ipv6 << YAML::EndMap;
  text("rate_limit", s.rate_limit);
  text("rate_limit_pause", s.rate_limit_pause);
  list("allow", s.allow);
  list("deny", s.deny);
  if (!s.rlimits.empty()) {
    key("rlimits") << YAML::Flow << YAML::BeginMap;
    for (const auto& [name, value] : s.rlimits) {
      e << YAML::Key << name << YAML::Value;
      Put(e, value);
    }
    e << YAML::EndMap;
  }
  if (s.keepalive) key("keepalive") << true;
  text("stderr", s.stderr_mode);
  number("sndbuf", s.sndbuf);
  number("rcvbuf", s.rcvbuf);
  if (s.disabled) key("disabled") << true;
  e << YAML::EndMap << YAML::EndMap;
  return e.c_str();
}

// Every line of `text` indented by two spaces: block YAML stays what it
// was, one level down (the emitter writes no multi-line scalars).
std::string Indent(const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    out += "  " + text.substr(pos, end - pos) + "\n";
    pos = end + 1;
  }
  return out;
}

}  // namespace

bool NeedsQuotes(const std::string& text) {
  if (text.empty()) return true;
  std::string lower;
  for (unsigned char c : text) lower += static_cast<char>(std::tolower(c));
  static const std::array<std::string_view, 10> kWords = {"y",  "n",   "yes",  "no",   "true",
                                                          "false", "on", "off", "null", "~"};
  if (std::find(kWords.begin(), kWords.end(), lower) != kWords.end()) return true;
  const unsigned char first = text[0];
  return std::isdigit(first) || first == '+' || first == '-' || first == '.' || first == ':';
}

std::string WriteTable(const ImportedTable& table, const std::string& date) {
  const size_t warnings = table.warnings();
  const size_t files = table.files.size();
  std::string out = "# superd service table, imported by superd-import from " +
                    ForComment(table.source) + "\n# (" + table.format + ", " +
                    std::to_string(files) + " file" + (files == 1 ? "" : "s") + " read) on " +
                    date + ".\n";
  if (warnings > 0)
    out += "# superd-import printed " + std::to_string(warnings) + " warning" +
           (warnings == 1 ? "" : "s") +
           " on standard error, for what it could\n# not carry over exactly: review them "
           "before serving this table.\n";
  else
    out += "# superd-import printed no warnings: every attribute was carried over.\n";
  out += "# Check it with superd --check -c FILE; see superd-import(8) and superd.yaml(5).\n";
  if (table.services.empty()) return out + "services: {}\n";
  out += "services:\n";
  for (const ImportedService& s : table.services) {
    out += "  # from " + ForComment(s.file) + ":" + std::to_string(s.line) + "\n";
    out += Indent(Service(s));
  }
  return out;
}

}  // namespace superd::import
