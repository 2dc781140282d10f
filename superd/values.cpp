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
  // Bounded so that any deadline superd computes from it stays far from
  // the clock's limits (steady_clock counts nanoseconds in 64 bits).
  constexpr unsigned long long kMaxMs = 30ull * 24 * 3'600'000;
  if (n > kMaxMs / ms_per_unit)
    return "duration '" + std::string(text) + "' is too long (at most 720h, 30 days)";
  return std::chrono::milliseconds(n * ms_per_unit);
}

Parsed<Rate> ParseRate(std::string_view text) {
  if (text == "off") return Rate{};
  const std::string bad = "invalid rate '" + std::string(text) +
                          "' (expected N/DURATION such as 5/1s or 100/1m, or off)";
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return bad;
  long long count = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + slash, count);
  if (ec == std::errc::result_out_of_range || (ec == std::errc() && count > 1'000'000))
    return "rate '" + std::string(text) + "': at most 1000000 per interval";
  if (ec != std::errc() || end != text.data() + slash) return bad;
  if (count < 1) return "rate '" + std::string(text) + "': the count must be at least 1";
  auto per = ParseDuration(text.substr(slash + 1));
  if (auto* error = std::get_if<std::string>(&per)) return "rate '" + std::string(text) + "': " + *error;
  const auto duration = std::get<std::chrono::milliseconds>(per);
  if (duration.count() == 0)
    return "rate '" + std::string(text) + "': the duration must be longer than 0";
  return Rate{count, duration};
}

Parsed<unsigned long long> ParseSize(std::string_view text,
                                     unsigned long long max) {
  if (text == "unlimited" || text == "infinity") return ~0ull;
  const std::string bad = "invalid size '" + std::string(text) +
                          "' (expected a number of bytes, with K, M or G, or unlimited)";
  unsigned long long n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data()) return bad;
  std::string_view unit(end, text.data() + text.size() - end);
  unsigned shift;
  if (unit.empty()) shift = 0;
  else if (unit == "K" || unit == "k") shift = 10;
  else if (unit == "M" || unit == "m") shift = 20;
  else if (unit == "G" || unit == "g") shift = 30;
  else return bad;
  if (n > (max >> shift))
    return "size '" + std::string(text) + "' is too large (at most " +
           (max % (1ull << 30) == 0 ? std::to_string(max >> 30) + "G)"
                                    : std::to_string(max) + ")");
  return n << shift;
}

Parsed<int> ParseBufferSize(std::string_view text) {
  auto size = ParseSize(text, kMaxBufferSize);
  if (auto* n = std::get_if<unsigned long long>(&size); n && *n <= kMaxBufferSize)
    return static_cast<int>(*n);
  if (auto* error = std::get_if<std::string>(&size); error && error->starts_with("size"))
    return *error;  // too large: it names the bound
  return "invalid buffer size '" + std::string(text) +
         "' (expected a number of bytes, with K, M or G, at most 1G)";
}

Parsed<long long> ParseInteger(std::string_view text, long long min,
                               long long max) {
  long long n = 0;
  const char* first = text.data();
  // from_chars takes a '-' but no '+'; "+-5" is not an integer either.
  if (text.starts_with('+') && !text.starts_with("+-")) ++first;
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
