// Pure parsers for the scalar forms of the service table: durations,
// integers, octal modes, `listen` entries. Each returns the value or the
// reason it is not one; none does I/O.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <variant>

namespace superd {

template <typename T>
using Parsed = std::variant<T, std::string>;  // value, or what is wrong

// "250ms", "10s", "5m", "1h", or a bare number of seconds.
Parsed<std::chrono::milliseconds> ParseDuration(std::string_view text);

// `rate_limit`, `rate_limit_per_source`: "N/DURATION" (N >= 1 events per
// DURATION > 0), or "off" (count 0).
struct Rate {
  long long count = 0;              // 0: off
  std::chrono::milliseconds per{0};
  bool off() const { return count == 0; }
  bool operator==(const Rate&) const = default;
};
Parsed<Rate> ParseRate(std::string_view text);

// `rlimits` sizes: bytes, or a number with K, M or G (powers of 1024), or
// "unlimited" (RLIM_INFINITY); at most `max`.
Parsed<unsigned long long> ParseSize(std::string_view text,
                                     unsigned long long max);

// `sndbuf`, `rcvbuf`: a socket buffer size, bytes or a number with K, M or G
// (powers of 1024), at most kMaxBufferSize; 0 is the kernel's default.
inline constexpr int kMaxBufferSize = 1 << 30;
Parsed<int> ParseBufferSize(std::string_view text);

// A decimal integer within [min, max].
Parsed<long long> ParseInteger(std::string_view text, long long min,
                               long long max);

// An octal file mode creation mask, "022" or "0027" (at most 0777).
Parsed<unsigned> ParseUmask(std::string_view text);

// The parts of one `listen` entry.
struct ListenParts {
  bool unix_socket = false;
  std::string path;  // unix: the absolute path
  std::string host;  // inet: empty for every address ("*:PORT", "PORT")
  std::string port;  // inet: number or /etc/services name
};
// "HOST:PORT", "[V6]:PORT", "*:PORT", "PORT", "unix:/PATH".
Parsed<ListenParts> ParseListen(std::string_view text);

}  // namespace superd
