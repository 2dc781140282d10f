// Log: one line per event, "LEVEL: SERVICE: message", to stderr. The one
// layer that logs is the supervisor (and main); lower layers return errors.
// Writes with a single write(2) so that lines from superd and from services
// sharing its stderr do not interleave.
#pragma once

#include <string_view>

namespace superd {

enum class LogLevel { kError, kWarning, kInfo, kDebug };

bool ParseLogLevel(std::string_view text, LogLevel& level);

class Log {
 public:
  static void SetLevel(LogLevel level) { level_ = level; }
  static bool Enabled(LogLevel level) { return level <= level_; }

  // Logs "LEVEL: SOURCE: " followed by the printf-formatted message.
  static void Write(LogLevel level, std::string_view source, const char* fmt,
                    ...) __attribute__((format(printf, 3, 4)));

 private:
  static inline LogLevel level_ = LogLevel::kInfo;
};

#define SUPERD_LOG(level, source, ...)                                   \
  do {                                                                   \
    if (::superd::Log::Enabled(level))                                   \
      ::superd::Log::Write(level, source, __VA_ARGS__);                  \
  } while (0)
#define LOG_ERROR(source, ...) SUPERD_LOG(::superd::LogLevel::kError, source, __VA_ARGS__)
#define LOG_WARNING(source, ...) SUPERD_LOG(::superd::LogLevel::kWarning, source, __VA_ARGS__)
#define LOG_INFO(source, ...) SUPERD_LOG(::superd::LogLevel::kInfo, source, __VA_ARGS__)
#define LOG_DEBUG(source, ...) SUPERD_LOG(::superd::LogLevel::kDebug, source, __VA_ARGS__)

}  // namespace superd
