#include "daemon.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "log.hpp"

namespace superd {
namespace {

std::string Reason(const std::string& what) {
  return what + ": " + strerror(errno);
}

// The pid in `path`, or 0.
pid_t ReadPid(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  return (in >> pid) && pid > 0 ? static_cast<pid_t>(pid) : 0;
}

bool IsRunningSuperd(pid_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  return (comm >> name) && name == "superd";
}

}  // namespace

UniqueFd Detach(std::string& error) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    error = Reason("unable to create a pipe");
    return {};
  }
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  pid_t pid = fork();
  if (pid < 0) {
    error = Reason("unable to fork");
    return {};
  }
  if (pid > 0) {  // the parent: wait for the verdict
    write_end.Reset();
    unsigned char status = 1;
    ssize_t n;
    while ((n = read(read_end.get(), &status, 1)) < 0 && errno == EINTR) {
    }
    _exit(n == 1 ? status : 1);
  }
  read_end.Reset();
  if (setsid() < 0 || chdir("/") != 0) {
    error = Reason("unable to detach");
    return {};
  }
  // A second fork: the daemon is not a session leader, so opening a
  // terminal can never make it the controlling one.
  if ((pid = fork()) < 0) {
    error = Reason("unable to fork");
    return {};
  }
  if (pid > 0) _exit(0);
  int null = open("/dev/null", O_RDWR);
  if (null < 0) {
    error = Reason("unable to open /dev/null");
    return {};
  }
  dup2(null, 0);
  dup2(null, 1);
  // Whatever the caller left open (an init script's pipes) is not ours.
  const unsigned keep = static_cast<unsigned>(write_end.get());
  if (keep > 3) close_range(3, keep - 1, 0);
  close_range(keep + 1, ~0U, 0);
  return write_end;
}

void ReportStarted(UniqueFd& report, int status) {
  if (!report) return;
  unsigned char byte = static_cast<unsigned char>(status);
  ssize_t ignored = write(report.get(), &byte, 1);
  (void)ignored;
  report.Reset();
  if (status == 0) {
    dup2(STDIN_FILENO, STDERR_FILENO);  // /dev/null
    Log::FollowStderr();
  }
}

bool PidFile::Free(const std::string& path, std::string& error) {
  if (pid_t other = ReadPid(path); other != 0 && other != getpid() &&
                                   IsRunningSuperd(other)) {
    error = "superd is already running as pid " + std::to_string(other) +
            " (" + path + ")";
    return false;
  }
  return true;
}

bool PidFile::Create(const std::string& path, std::string& error) {
  const pid_t self = getpid();
  if (!Free(path, error)) return false;
  const std::string temp = path + ".tmp." + std::to_string(self);
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = Reason("unable to create " + temp);
    return false;
  }
  std::string text = std::to_string(self) + "\n";
  bool ok = write(fd, text.data(), text.size()) ==
            static_cast<ssize_t>(text.size());
  ok = close(fd) == 0 && ok;
  if (!ok || rename(temp.c_str(), path.c_str()) != 0) {
    error = Reason("unable to write " + path);
    unlink(temp.c_str());
    return false;
  }
  path_ = path;
  return true;
}

void PidFile::Remove() {
  if (!path_.empty() && ReadPid(path_) == getpid()) unlink(path_.c_str());
  path_.clear();
}

}  // namespace superd
