// superd-test-contract: reports everything superd promises a program
// (superd-services(7), "What a program is given") as KEY=VALUE lines, then
// exits 0. The report is taken before anything else is opened, so the
// descriptor list is exactly what the program was given.
//
// Where the report goes depends on fd 0:
//   a connected stream (nowait)   written to fd 1
//   a listening socket (wait tcp) written to one accepted connection
//   a datagram socket (udp)       sent as the answer to one datagram
//
// Keys: argc, argv.N, env:NAME (one per variable), pid, ppid, pgid, sid,
// uid, euid, gid, egid, groups (sorted, comma-separated), umask (4 octal
// digits), cwd, nice, fds (sorted, comma-separated), fd.N (readlink of
// /proc/self/fd/N), fd0.type (stream|listening|dgram|other), sigblk, sigign,
// sigcgt (hex masks from /proc/self/status); keepalive (0|1, SO_KEEPALIVE
// of fd 0; only when fd 0 is a connected stream); sndbuf, rcvbuf (SO_SNDBUF
// and SO_RCVBUF of fd 0, as getsockopt(2) gives them; only when fd 0 is a
// socket); limit.NAME=SOFT/HARD for
// NAME in as, core, cpu, data, fsize, nofile, nproc (getrlimit(2); each a
// number, in the kernel's units, or "unlimited").
//
// Options: --stderr TEXT writes "stderr=TEXT" to fd 2 before the report.
#include <dirent.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

extern char** environ;

namespace {

std::string Join(const std::vector<long>& values) {
  std::string out;
  for (long v : values) {
    if (!out.empty()) out += ',';
    out += std::to_string(v);
  }
  return out;
}

std::vector<long> OpenFds() {
  std::vector<long> fds;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  const int scan_fd = dirfd(dir);
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const long fd = std::strtol(entry->d_name, nullptr, 10);
    if (fd != scan_fd) fds.push_back(fd);
  }
  closedir(dir);
  std::sort(fds.begin(), fds.end());
  return fds;
}

std::string LinkOf(long fd) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/fd/%ld", fd);
  char target[PATH_MAX];
  const ssize_t n = readlink(path, target, sizeof target - 1);
  if (n < 0) return std::string("?") + std::strerror(errno);
  return std::string(target, static_cast<size_t>(n));
}

std::string Fd0Type() {
  int type = 0;
  socklen_t len = sizeof type;
  if (getsockopt(0, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return "other";
  if (type == SOCK_DGRAM) return "dgram";
  if (type != SOCK_STREAM) return "other";
  int listening = 0;
  len = sizeof listening;
  if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 &&
      listening != 0)
    return "listening";
  return "stream";
}

std::string LimitValue(rlim_t value) {
  return value == RLIM_INFINITY ? "unlimited" : std::to_string(value);
}

// limit.NAME=SOFT/HARD for the limits a service's `rlimits` may set.
void AddLimits(std::string& report) {
  static const struct {
    const char* name;
    int resource;
  } kLimits[] = {{"as", RLIMIT_AS},         {"core", RLIMIT_CORE},
                 {"cpu", RLIMIT_CPU},       {"data", RLIMIT_DATA},
                 {"fsize", RLIMIT_FSIZE},   {"nofile", RLIMIT_NOFILE},
                 {"nproc", RLIMIT_NPROC}};
  for (const auto& l : kLimits) {
    rlimit r{};
    const std::string value = getrlimit(l.resource, &r) != 0
                                  ? "?"
                                  : LimitValue(r.rlim_cur) + "/" + LimitValue(r.rlim_max);
    report += std::string("limit.") + l.name + "=" + value + "\n";
  }
}

// "SigBlk:\t0000000000000000" -> sigblk=0000000000000000
void AddStatusMasks(std::string& report) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    for (const char* key : {"SigBlk", "SigIgn", "SigCgt"}) {
      const std::string prefix = std::string(key) + ":";
      if (line.rfind(prefix, 0) != 0) continue;
      std::string value = line.substr(prefix.size());
      value.erase(0, value.find_first_not_of(" \t"));
      std::string name = key;
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      report += name + "=" + value + "\n";
    }
  }
}

std::string Report(int argc, char** argv, const std::vector<long>& fds) {
  std::string r;
  auto add = [&r](const std::string& key, const std::string& value) {
    r += key + "=" + value + "\n";
  };
  add("argc", std::to_string(argc));
  for (int i = 0; i < argc; ++i) add("argv." + std::to_string(i), argv[i]);
  for (char** e = environ; *e != nullptr; ++e) r += std::string("env:") + *e + "\n";
  add("pid", std::to_string(getpid()));
  add("ppid", std::to_string(getppid()));
  add("pgid", std::to_string(getpgid(0)));
  add("sid", std::to_string(getsid(0)));
  add("uid", std::to_string(getuid()));
  add("euid", std::to_string(geteuid()));
  add("gid", std::to_string(getgid()));
  add("egid", std::to_string(getegid()));
  std::vector<gid_t> groups(static_cast<size_t>(getgroups(0, nullptr)));
  const int ngroups = getgroups(static_cast<int>(groups.size()), groups.data());
  std::vector<long> group_list(groups.begin(),
                               groups.begin() + std::max(ngroups, 0));
  std::sort(group_list.begin(), group_list.end());
  add("groups", Join(group_list));
  const mode_t mask = umask(0);
  umask(mask);
  char octal[8];
  std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mask));
  add("umask", octal);
  char cwd[PATH_MAX];
  add("cwd", getcwd(cwd, sizeof cwd) != nullptr ? cwd : "?");
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, 0);
  add("nice", errno == 0 ? std::to_string(nice) : "?");
  add("fds", Join(fds));
  for (long fd : fds) {
    add("fd." + std::to_string(fd), LinkOf(fd));
    const int flags = fcntl(static_cast<int>(fd), F_GETFL);
    add("fl." + std::to_string(fd), flags < 0 ? "?" : flags & O_NONBLOCK ? "nonblocking" : "blocking");
  }
  const std::string type = Fd0Type();
  add("fd0.type", type);
  if (type == "stream") {
    int keepalive = 0;
    socklen_t len = sizeof keepalive;
    add("keepalive", getsockopt(0, SOL_SOCKET, SO_KEEPALIVE, &keepalive, &len) != 0
                         ? "?"
                         : keepalive != 0 ? "1" : "0");
  }
  if (type != "other") {
    for (const auto& [key, option] : {std::pair{"sndbuf", SO_SNDBUF}, {"rcvbuf", SO_RCVBUF}}) {
      int size = 0;
      socklen_t len = sizeof size;
      add(key, getsockopt(0, SOL_SOCKET, option, &size, &len) != 0 ? "?" : std::to_string(size));
    }
  }
  AddStatusMasks(r);
  AddLimits(r);
  return r;
}

bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // First, before anything opens a descriptor.
  const std::vector<long> fds = OpenFds();
  const std::string type = Fd0Type();
  const std::string report = Report(argc, argv, fds);

  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--stderr") == 0)
      WriteAll(2, std::string("stderr=") + argv[i + 1] + "\n");
  }

  if (type == "listening") {
    const int conn = accept(0, nullptr, nullptr);
    if (conn < 0) return 3;
    const bool ok = WriteAll(conn, report);
    close(conn);
    return ok ? 0 : 4;
  }
  if (type == "dgram") {
    char buf[65536];
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    if (recvfrom(0, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer),
                 &peer_len) < 0)
      return 3;
    return sendto(0, report.data(), report.size(), 0,
                  reinterpret_cast<sockaddr*>(&peer), peer_len) < 0
               ? 4
               : 0;
  }
  return WriteAll(1, report) ? 0 : 4;
}
