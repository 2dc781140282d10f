#include "log.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
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
  syslog_ = true;
  pid_ = getpid();
  retry_at_ms_ = 0;
  if (ConnectSyslog()) return true;
  error = std::string("unable to connect to /dev/log: ") + strerror(errno);
  return false;
}

namespace {
int64_t NowMs() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000LL + now.tv_nsec / 1'000'000;
}
}  // namespace

// (Re)connects to /dev/log, at most as often as the back-off allows: a
// syslog daemon that is away (not started yet, restarting) costs a
// connect(2) a while, not one a line.
bool Log::ConnectSyslog() {
  const int64_t now = NowMs();
  if (now < retry_at_ms_) return false;
  if (syslog_fd_ >= 0) close(syslog_fd_);
  syslog_fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strcpy(address.sun_path, "/dev/log");
  if (syslog_fd_ >= 0 &&
      connect(syslog_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    backoff_ms_ = 0;
    return true;
  }
  const int saved = errno;
  if (syslog_fd_ >= 0) close(syslog_fd_);
  syslog_fd_ = -1;
  backoff_ms_ = std::clamp(backoff_ms_ * 2, kFirstRetryMs, kLastRetryMs);
  retry_at_ms_ = now + backoff_ms_;
  errno = saved;
  return false;
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
  if (syslog_) {
    if (syslog_fd_ < 0 && !ConnectSyslog()) return false;
    ssize_t n;
    while ((n = send(syslog_fd_, line, len, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
    }
    // The daemon went away (restarted): its new socket is another one.
    if (n < 0 && (errno == ECONNREFUSED || errno == ENOTCONN) && ConnectSyslog())
      n = send(syslog_fd_, line, len, MSG_NOSIGNAL);
    return n >= 0;
  }
  ssize_t n;
  do {
    if (stderr_socket_)
      n = send(stderr_fd_, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    else
      n = ::write(stderr_fd_, line, len);
  } while (n < 0 && errno == EINTR);
  return n >= 0;
}

void Log::Write(LogLevel level, std::string_view source, const char* fmt,
                ...) {
  const int saved_errno = errno;
  const bool syslog = syslog_;
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
