#include "values.hpp"

#include <charconv>

namespace superd {

Parsed<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  const std::string bad = "invalid duration '" + std::string(text) +
                          "' (expected e.g. 250ms, 10s, 5m, 1h)";
  unsigned long long n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data()) return bad;
  std::string_view unit(end, text.data() + text.size() - end);
  unsigned long long ms_per_unit;
  if (unit.empty() || unit == "s") ms_per_unit = 1000;
  else if (unit == "ms") ms_per_unit = 1;
  else if (unit == "m") ms_per_unit = 60'000;
  else if (unit == "h") ms_per_unit = 3'600'000;
  else return bad;
  constexpr unsigned long long kMaxMs = 1ull << 52;  // ~140,000 years
  if (n > kMaxMs / ms_per_unit) return "duration '" + std::string(text) + "' is too long";
  return std::chrono::milliseconds(n * ms_per_unit);
}

Parsed<long long> ParseInteger(std::string_view text, long long min,
                               long long max) {
  long long n = 0;
  const char* first = text.data();
  if (!text.empty() && text[0] == '+') ++first;
  auto [end, ec] = std::from_chars(first, text.data() + text.size(), n);
  if (end != text.data() + text.size() || first == end ||
      (ec != std::errc() && ec != std::errc::result_out_of_range))
    return "expected an integer, not '" + std::string(text) + "'";
  if (ec == std::errc::result_out_of_range || n < min || n > max)
    return "value " + std::string(text) + " is out of range (" +
           std::to_string(min) + ".." + std::to_string(max) + ")";
  return n;
}

Parsed<unsigned> ParseUmask(std::string_view text) {
  unsigned n = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), n, 8);
  if (ec != std::errc() || end != text.data() + text.size() || n > 0777)
    return "invalid umask '" + std::string(text) +
           "' (expected an octal mode such as \"022\")";
  return n;
}

Parsed<ListenParts> ParseListen(std::string_view text) {
  ListenParts parts;
  if (text.starts_with("unix:")) {
    parts.unix_socket = true;
    parts.path = text.substr(5);
    if (parts.path.empty() || parts.path[0] != '/')
      return "unix socket path must be absolute: '" + std::string(text) + "'";
    if (parts.path.size() > 107)  // sizeof sockaddr_un::sun_path - 1
      return "unix socket path is longer than 107 bytes: '" +
             std::string(text) + "'";
    return parts;
  }
  const std::string bad = "invalid listen address '" + std::string(text) +
                          "' (expected HOST:PORT, [IPV6]:PORT, *:PORT, PORT "
                          "or unix:/PATH)";
  if (text.empty()) return bad;
  if (text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close == 1 ||
        close + 1 >= text.size() || text[close + 1] != ':')
      return bad;
    parts.host = text.substr(1, close - 1);
    parts.port = text.substr(close + 2);
  } else if (size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    parts.host = text.substr(0, colon);
    parts.port = text.substr(colon + 1);
    if (parts.host.empty() || parts.host.find(':') != std::string::npos)
      return bad;  // an IPv6 address needs brackets
    if (parts.host == "*") parts.host.clear();
  } else if (text.find_first_of("./") != std::string_view::npos) {
    return bad;  // an address without its port
  } else {
    parts.port = text;
  }
  if (parts.port.empty()) return bad;
  return parts;
}

}  // namespace superd
