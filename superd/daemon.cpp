#include "daemon.hpp"

#include <fcntl.h>
#include <sys/file.h>
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

namespace {

std::string AlreadyRunning(pid_t pid, const std::string& path) {
  return "superd is already running as pid " + std::to_string(pid) + " (" + path + ")";
}

// Whether another process holds the lock on the open pid file `fd`.
bool Held(int fd) {
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);
    return false;
  }
  return errno == EWOULDBLOCK;
}

}  // namespace

bool PidFile::Free(const std::string& path, std::string& error) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return true;  // absent, or Create will say what is wrong with it
  const pid_t other = ReadPid(path);
  // A file no one holds may still name a running superd of a version that
  // did not lock it.
  if (Held(fd.get()) || (other != 0 && other != getpid() && IsRunningSuperd(other))) {
    error = AlreadyRunning(other, path);
    return false;
  }
  return true;
}

bool PidFile::Create(const std::string& path, std::string& error, int attempts) {
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644));
  struct stat st;
  if (!fd) {
    error = Reason("unable to open the pid file " + path);
    return false;
  }
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
    error = "unable to use the pid file " + path + ": not a regular file with one link";
    return false;
  }
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    error = errno == EWOULDBLOCK ? AlreadyRunning(ReadPid(path), path)
                                 : Reason("unable to lock the pid file " + path);
    return false;
  }
  // A superd stopping meanwhile removed the file we locked: lock the new one.
  struct stat now;
  if (stat(path.c_str(), &now) != 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
    if (attempts > 1) return Create(path, error, attempts - 1);
    error = "unable to lock the pid file " + path + ": it keeps being replaced";
    return false;
  }
  const pid_t other = ReadPid(path);
  if (other != 0 && other != getpid() && IsRunningSuperd(other)) {
    error = AlreadyRunning(other, path);  // an older superd, which did not lock
    return false;
  }
  const std::string text = std::to_string(getpid()) + "\n";
  if (ftruncate(fd.get(), 0) != 0 ||
      pwrite(fd.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    error = Reason("unable to write the pid file " + path);
    unlink(path.c_str());  // ours, under our lock: no empty file left behind
    return false;
  }
  path_ = path;
  fd_ = std::move(fd);
  return true;
}

void PidFile::Remove() {
  // Only the holder of the lock ever gets here with a path.
  if (!path_.empty()) unlink(path_.c_str());
  path_.clear();
  fd_.Reset();
}

}  // namespace superd
