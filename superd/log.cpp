#include "log.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace superd {

namespace {
const char* const kNames[] = {"error", "warning", "info", "debug"};
const int kSyslogPriorities[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
}  // namespace

bool ParseLogLevel(std::string_view text, LogLevel& level) {
  for (int i = 0; i < 4; ++i) {
    if (text == kNames[i]) {
      level = static_cast<LogLevel>(i);
      return true;
    }
  }
  return false;
}

bool Log::UseSyslog(std::string& error) {
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strcpy(address.sun_path, "/dev/log");
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&address),
                        sizeof address) != 0) {
    error = std::string("unable to connect to /dev/log: ") + strerror(errno);
    if (fd >= 0) close(fd);
    return false;
  }
  syslog_fd_ = fd;
  pid_ = getpid();
  return true;
}

void Log::Write(LogLevel level, std::string_view source, const char* fmt,
                ...) {
  const int index = static_cast<int>(level);
  char line[1024];
  int n = syslog_fd_ >= 0
              ? snprintf(line, sizeof line, "<%d>superd[%d]: %.*s: ",
                         LOG_DAEMON | kSyslogPriorities[index], pid_,
                         static_cast<int>(source.size()), source.data())
              : snprintf(line, sizeof line, "%s: %.*s: ", kNames[index],
                         static_cast<int>(source.size()), source.data());
  n = std::min<int>(n, sizeof line - 2);
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
  va_end(ap);
  size_t len = n + std::clamp<int>(m, 0, sizeof line - n - 2);
  if (syslog_fd_ >= 0) {
    ssize_t ignored = send(syslog_fd_, line, len, MSG_NOSIGNAL);
    (void)ignored;
    return;
  }
  line[len++] = '\n';
  // stderr may be a pipe to the journal; a full one blocks this write (the
  // descriptor is shared with programs using `stderr: inherit`, so it is
  // left blocking for their sake).
  ssize_t ignored = ::write(STDERR_FILENO, line, len);
  (void)ignored;
}

}  // namespace superd
