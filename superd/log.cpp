#include "log.hpp"

#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace superd {

namespace {
const char* const kNames[] = {"error", "warning", "info", "debug"};
}

bool ParseLogLevel(std::string_view text, LogLevel& level) {
  for (int i = 0; i < 4; ++i) {
    if (text == kNames[i]) {
      level = static_cast<LogLevel>(i);
      return true;
    }
  }
  return false;
}

void Log::Write(LogLevel level, std::string_view source, const char* fmt,
                ...) {
  char line[1024];
  int n = snprintf(line, sizeof line, "%s: %.*s: ",
                   kNames[static_cast<int>(level)],
                   static_cast<int>(source.size()), source.data());
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
  va_end(ap);
  size_t len = n + (m < 0 ? 0 : std::min<size_t>(m, sizeof line - n - 2));
  line[len++] = '\n';
  // stderr may be a pipe to the journal; a full one must not stall the
  // loop forever, but a lost log line is better than a blocked daemon.
  ssize_t ignored = ::write(STDERR_FILENO, line, len);
  (void)ignored;
}

}  // namespace superd
