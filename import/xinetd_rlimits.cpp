#include "xinetd_rlimits.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <variant>

#include "values.hpp"

namespace superd::import {
namespace {

constexpr long long kMaxFiles = 1 << 20;  // superd's largest nofile

// A decimal number without a sign, as xinetd's parse_ull reads it.
std::optional<long long> Number(std::string_view text) {
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;
  long long n = 0;
  for (char c : text) n = n * 10 + (c - '0');
  return n;
}

class Rlimits {
 public:
  Rlimits(const XinetdService& service, std::vector<ImportMessage>& messages)
      : service_(service), messages_(messages) {}

  std::vector<std::pair<std::string, std::string>> Import() {
    Size("rlimit_as", "as");
    Cpu();
    Size("rlimit_data", "data");
    Files();
    for (const auto& [attribute, why] :
         {std::pair{"rlimit_rss", "superd has no rss limit (Linux does not enforce RLIMIT_RSS)"},
          {"rlimit_stack", "superd has no stack limit"}})
      if (const XinetdSetting* s = service_.Find(attribute))
        Warn(*s, std::string(attribute) + ": " + why + "; not carried over");
    return std::move(rlimits_);
  }

 private:
  void Warn(const XinetdSetting& s, std::string text) {
    messages_.push_back(MessageAt(s.position, std::move(text), true));
  }
  void Error(const XinetdSetting& s, std::string text) {
    messages_.push_back(MessageAt(s.position, std::move(text), false));
  }
  static const std::string& Value(const XinetdSetting& s) { return s.values[0].text; }

  // xinetd's get_limit: bytes, or a number with K or M (powers of 1024,
  // as superd's); superd's own spelling, or "" for 0 (no limit set).
  std::optional<std::string> Bytes(const XinetdSetting& s) {
    std::string v = Value(s);
    if (v == "UNLIMITED") return "unlimited";
    std::string suffix;
    if (!v.empty() && std::string_view("kKmM").find(v.back()) != std::string_view::npos) {
      suffix = static_cast<char>(std::toupper(static_cast<unsigned char>(v.back())));
      v.pop_back();
    }
    const std::optional<long long> n = Number(v);
    if (!n) {
      Error(s, s.attribute + " must be a number (with K or M) or UNLIMITED, not '" + Value(s) + "'");
      return std::nullopt;
    }
    return *n == 0 ? "" : std::to_string(*n) + suffix;
  }

  void Size(const char* attribute, const char* key) {
    const XinetdSetting* s = service_.Find(attribute);
    if (!s) return;
    const std::optional<std::string> value = Bytes(*s);
    if (!value || value->empty()) return;
    if (*value != "unlimited" && std::holds_alternative<std::string>(ParseSize(*value, 1ull << 50))) {
      Warn(*s, s->attribute + " " + Value(*s) + ": larger than superd takes (1048576G); not carried over");
      return;
    }
    rlimits_.emplace_back(key, *value);
  }

  void Cpu() {
    const XinetdSetting* s = service_.Find("rlimit_cpu");
    if (!s) return;
    if (Value(*s) == "UNLIMITED") {
      rlimits_.emplace_back("cpu", "unlimited");
      return;
    }
    const std::optional<long long> n = Number(Value(*s));
    if (!n) {
      Error(*s, "rlimit_cpu must be a number of seconds or UNLIMITED, not '" + Value(*s) + "'");
      return;
    }
    if (*n == 0) return;
    const std::string seconds = std::to_string(*n) + "s";
    if (std::holds_alternative<std::string>(ParseDuration(seconds))) {
      Warn(*s, "rlimit_cpu " + Value(*s) + ": longer than superd takes (720h); not carried over");
      return;
    }
    rlimits_.emplace_back("cpu", seconds);
  }

  // rlimit_files: a count, which xinetd reads as it reads sizes (1K is 1024).
  void Files() {
    const XinetdSetting* s = service_.Find("rlimit_files");
    if (!s) return;
    const std::optional<std::string> value = Bytes(*s);
    if (!value || value->empty()) return;
    long long n = -1;
    if (*value != "unlimited") {
      const long long factor = value->ends_with('K') ? 1024 : value->ends_with('M') ? 1 << 20 : 1;
      n = std::stoll(*value) * factor;
    }
    if (n < 0 || n > kMaxFiles) {
      Warn(*s, "rlimit_files " + Value(*s) + ": superd's nofile is a number up to " +
                   std::to_string(kMaxFiles) + "; not carried over");
      return;
    }
    rlimits_.emplace_back("nofile", std::to_string(n));
  }

  const XinetdService& service_;
  std::vector<ImportMessage>& messages_;
  std::vector<std::pair<std::string, std::string>> rlimits_;
};

}  // namespace

std::vector<std::pair<std::string, std::string>> ImportXinetdRlimits(
    const XinetdService& service, std::vector<ImportMessage>& messages) {
  return Rlimits(service, messages).Import();
}

}  // namespace superd::import
