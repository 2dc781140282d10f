// Log: one line per event, "LEVEL: SERVICE: message", to stderr, or to
// syslog (facility daemon) once UseSyslog() is called. The one layer that
// logs is the supervisor (and main); lower layers return errors.
// Each line is one write(2) or one datagram, so lines from superd and from
// services sharing its stderr do not interleave. Neither sink ever blocks:
// the syslog socket is non-blocking, and stderr, when it is a pipe, FIFO,
// terminal or socket, is written through a non-blocking path of its own
// (FollowStderr), leaving descriptor 2 itself blocking for the programs that
// inherit it. A stalled reader costs lines, never a stalled superd; the
// next line that gets through is preceded by a count of those lost.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace superd {

enum class LogLevel { kError, kWarning, kInfo, kDebug };

bool ParseLogLevel(std::string_view text, LogLevel& level);

class Log {
 public:
  static void SetLevel(LogLevel level) { level_ = level; }
  static bool Enabled(LogLevel level) { return level <= level_; }

  // Sends every later line to the local syslog socket (/dev/log) with
  // facility daemon, identified as "superd[PID]". Returns false, with the
  // reason in `error`, when no syslog daemon listens there now: lines are
  // then counted as lost until one does. A daemon that goes away (or was
  // never there) is connected to again, with a back-off from 1 s to 60 s.
  static bool UseSyslog(std::string& error);

  // Takes descriptor 2 as it is now as the stderr sink, opening the
  // non-blocking path to it. Called at start and whenever fd 2 is replaced.
  static void FollowStderr();

  // Logs "LEVEL: SOURCE: " followed by the printf-formatted message.
  static void Write(LogLevel level, std::string_view source, const char* fmt,
                    ...) __attribute__((format(printf, 3, 4)));

 private:
  // Sends one whole line; false when the sink would block.
  static bool Emit(const char* line, size_t len);

  static inline LogLevel level_ = LogLevel::kInfo;
  static bool ConnectSyslog();
  static constexpr int kFirstRetryMs = 1000, kLastRetryMs = 60'000;

  static inline bool syslog_ = false;  // lines go to syslog (or are lost)
  static inline int syslog_fd_ = -1;  // owned for the life of the process
  static inline int64_t retry_at_ms_ = 0;  // CLOCK_MONOTONIC: next connect
  static inline int backoff_ms_ = 0;
  static inline int pid_ = 0;         // for "superd[PID]"
  static inline int stderr_fd_ = 2;   // fd 2, or our own non-blocking open of it
  static inline bool stderr_socket_ = false;  // send with MSG_DONTWAIT
  static inline unsigned long dropped_ = 0;   // lines lost since the last one sent
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
