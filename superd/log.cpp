#include "log.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

void Log::FollowStderr() {
  if (stderr_fd_ != STDERR_FILENO) close(stderr_fd_);
  stderr_fd_ = STDERR_FILENO;
  struct stat st {};
  stderr_socket_ = fstat(STDERR_FILENO, &st) == 0 && S_ISSOCK(st.st_mode);
  // A regular file never waits for a reader; a socket takes MSG_DONTWAIT.
  // A pipe, FIFO or terminal is opened again: a new open file description
  // of the same object, whose O_NONBLOCK is ours alone.
  if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) return;
  const int fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd >= 0) stderr_fd_ = fd;
}

namespace {
// "LEVEL: SOURCE: message\n" for stderr, "<PRI>superd[PID]: SOURCE:
// message" for syslog, cut to fit `size`; its length.
size_t Format(char* line, size_t size, bool syslog, int pid, LogLevel level,
              std::string_view source, const char* fmt, va_list ap) {
  const int index = static_cast<int>(level);
  const int limit = static_cast<int>(size) - 2;  // room for '\n' and '\0'
  int n = syslog ? snprintf(line, size, "<%d>superd[%d]: %.*s: ",
                            LOG_DAEMON | kSyslogPriorities[index], pid,
                            static_cast<int>(source.size()), source.data())
                 : snprintf(line, size, "%s: %.*s: ", kNames[index],
                            static_cast<int>(source.size()), source.data());
  n = std::clamp(n, 0, limit);
  const int m = vsnprintf(line + n, size - n - 1, fmt, ap);
  size_t len = n + std::clamp(m, 0, limit - n);
  if (!syslog) line[len++] = '\n';
  return len;
}

size_t FormatF(char* line, size_t size, bool syslog, int pid, LogLevel level,
               std::string_view source, const char* fmt, ...)
    __attribute__((format(printf, 7, 8)));
size_t FormatF(char* line, size_t size, bool syslog, int pid, LogLevel level,
               std::string_view source, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const size_t len = Format(line, size, syslog, pid, level, source, fmt, ap);
  va_end(ap);
  return len;
}
}  // namespace

bool Log::Emit(const char* line, size_t len) {
  ssize_t n;
  do {
    if (syslog_fd_ >= 0)
      n = send(syslog_fd_, line, len, MSG_NOSIGNAL);
    else if (stderr_socket_)
      n = send(stderr_fd_, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    else
      n = ::write(stderr_fd_, line, len);
  } while (n < 0 && errno == EINTR);
  return n >= 0;
}

void Log::Write(LogLevel level, std::string_view source, const char* fmt,
                ...) {
  const int saved_errno = errno;
  const bool syslog = syslog_fd_ >= 0;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  const size_t len = Format(line, sizeof line, syslog, pid_, level, source, fmt, ap);
  va_end(ap);
  // Lines lost before are told of first; until that gets through, this
  // line counts as lost too.
  if (dropped_ > 0) {
    char notice[128];
    const size_t n = FormatF(notice, sizeof notice, syslog, pid_, LogLevel::kWarning, "superd",
                             "%lu log lines lost: the log reader did not keep up", dropped_);
    if (Emit(notice, n)) dropped_ = 0;
  }
  if (dropped_ > 0 || !Emit(line, len)) ++dropped_;
  errno = saved_errno;
}

}  // namespace superd
