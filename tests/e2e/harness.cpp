// Why it is built this way:
// - superd's stderr goes to a file (O_APPEND, so `stderr: inherit` programs
//   can share it) that is polled; a pipe would need a reader thread.
// - Every socket is non-blocking and every wait is a poll() with the time
//   left to a deadline.
// - Everything the child needs between fork and exec is prepared before fork.
#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

namespace e2e {
namespace {

int MsLeft(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return 0;
  return static_cast<int>(std::min<long long>(left.count(), 60'000));
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Waits for `events` on fd until the deadline; the revents, or 0 on timeout.
short PollOne(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, MsLeft(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    return p.revents;
  }
}


// Whether ip:port can be bound for `type` right now.
bool CanBind(const std::string& ip, uint16_t port, int type) {
  sockaddr_storage ss;
  socklen_t len;
  if (!FillInet(ip, port, &ss, &len)) return false;
  Fd fd(socket(ss.ss_family, type | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  const int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  return bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0;
}

std::pair<int, int> EphemeralRange() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768, high = 60999;
  in >> low >> high;
  return {low, high};
}

// Claims `port` for this process among all e2e test processes on the machine:
// an OFD lock on byte `port` of one shared file, released when the process
// exits. Parallel ctest processes thus never hand out the same port.
bool ClaimPort(uint16_t port) {
  static const int lock_fd = [] {
    const std::string path = std::filesystem::temp_directory_path() / "superd-e2e-ports.lock";
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd >= 0) fchmod(fd, 0666);  // shared by users running the suite
    return fd;
  }();
  if (lock_fd < 0) return true;  // no coordination possible; bind checks still apply
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = port;
  lock.l_len = 1;
  return fcntl(lock_fd, F_OFD_SETLK, &lock) == 0;
}

void RemoveTree(const std::string& path) {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

}  // namespace

bool FillInet(const std::string& ip, uint16_t port, sockaddr_storage* ss, socklen_t* len) {
  std::memset(ss, 0, sizeof *ss);
  auto* v4 = reinterpret_cast<sockaddr_in*>(ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *len = sizeof *v4;
    return true;
  }
  if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *len = sizeof *v6;
    return true;
  }
  return false;
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "wait status " + std::to_string(status);
}

std::string SuperdBinary() { return SUPERD_BIN; }

std::string ServiceBinary(const std::string& name) {
  return std::string(SUPERD_SERVICES_DIR) + "/" + name;
}

std::string HelperBinary(const std::string& name) {
  return std::string(SUPERD_TEST_HELPERS_DIR) + "/superd-test-" + name;
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) Reset(other.Release());
  return *this;
}

int Fd::Release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void Fd::Reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

bool HaveIpv6Loopback() {
  static const bool have = [] {
    Fd fd(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return false;
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    return bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }();
  return have;
}

uint16_t PickPort() {
  static std::mt19937 rng(static_cast<unsigned>(getpid()) ^
                          static_cast<unsigned>(Clock::now().time_since_epoch().count()));
  const auto [ephemeral_low, ephemeral_high] = EphemeralRange();
  // Below the ephemeral range if there is room, else above it.
  int low = 20000, high = ephemeral_low - 1;
  if (high - low < 1000) {
    low = ephemeral_high + 1;
    high = 65535;
  }
  std::uniform_int_distribution<int> dist(low, high);
  static std::set<uint16_t> given;  // never the same port twice in one process
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto port = static_cast<uint16_t>(dist(rng));
    if (given.count(port) != 0 || !ClaimPort(port)) continue;
    if (!CanBind("127.0.0.1", port, SOCK_STREAM) || !CanBind("127.0.0.1", port, SOCK_DGRAM))
      continue;
    if (HaveIpv6Loopback() &&
        (!CanBind("::1", port, SOCK_STREAM) || !CanBind("::1", port, SOCK_DGRAM)))
      continue;
    given.insert(port);
    return port;
  }
  ADD_FAILURE() << "no free loopback port found";
  return 0;
}

std::string Subst(std::string text, const std::map<std::string, std::string>& vars) {
  for (const auto& [name, value] : vars) {
    const std::string key = "${" + name + "}";
    for (size_t at = text.find(key); at != std::string::npos;
         at = text.find(key, at + value.size()))
      text.replace(at, key.size(), value);
  }
  return text;
}

std::string ServiceEntry(const std::string& name, const std::string& listen,
                         const std::string& program, const std::string& extra) {
  return "  " + name + ":\n" +
         "    listen: \"" + listen + "\"\n" +
         "    program: " + program + "\n" + extra;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string KernelBufferSize(int bytes, bool rmem) {
  const std::string max =
      ReadFile(std::string("/proc/sys/net/core/") + (rmem ? "rmem_max" : "wmem_max"));
  const long cap = max.empty() ? bytes : std::min(static_cast<long>(bytes), std::stol(max));
  return std::to_string(2 * cap);
}

// --- Superd -----------------------------------------------------------------

Superd::Superd() {
  std::string templ = (std::filesystem::temp_directory_path() / "superd-e2e-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
  }
  dir_ = templ;
  table_path_ = dir_ + "/superd.yaml";
  log_path_ = dir_ + "/superd.log";
}

Superd::~Superd() {
  // A superd the test did not stop itself must still be running, and must
  // stop cleanly: this catches a crash in any test.
  if (started_ && !exit_expected_) {
    const bool was_running = Running();
    const auto status = Stop(SIGTERM, kTimeout);
    if (!status) {
      ADD_FAILURE() << "superd (pid " << pid_ << ") did not stop on SIGTERM; killing it";
    } else if (!was_running) {
      ADD_FAILURE() << "superd ended during the test: " << DescribeStatus(*status);
    } else if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
      ADD_FAILURE() << "superd did not exit 0 on SIGTERM: " << DescribeStatus(*status);
    }
  }
  if (!reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    reaped_ = true;
  }
#ifdef SUPERD_SANITIZE
  // A report from a program superd ran (a sample service, a helper) lands
  // here and may only have made it exit 1; superd's own also aborts it.
  const std::string log = Log();
  if (log.find("Sanitizer") != std::string::npos || log.find("runtime error:") != std::string::npos)
    ADD_FAILURE() << "a sanitizer report in superd's stderr";
#endif
  if (::testing::Test::HasFailure()) {
    std::cerr << "---- superd stderr (" << log_path_ << ") ----\n"
              << Log() << "---- end of superd stderr; table and files kept in " << dir_
              << " ----\n";
  } else if (!dir_.empty()) {
    RemoveTree(dir_);
  }
}

void Superd::WriteTable(const std::string& yaml) {
  std::ofstream(table_path_, std::ios::trunc) << TableText(yaml);
}

std::string Superd::TableText(const std::string& yaml) const {
  if (watching_ || yaml.find("watch:") != std::string::npos) return yaml;
  return yaml + (yaml.empty() || yaml.back() == '\n' ? "" : "\n") + "watch: false\n";
}

std::string Superd::WriteFile(const std::string& name, const std::string& content,
                              mode_t mode) {
  const std::string path = dir_ + "/" + name;
  {
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    out << content;
  }
  chmod(path.c_str(), mode);
  return path;
}

std::string Superd::CopyForOtherUsers(const std::string& binary) {
  chmod(dir_.c_str(), 0755);
  const std::string name = binary.substr(binary.rfind('/') + 1);
  return WriteFile(name, ReadFile(binary), 0755);
}

::testing::AssertionResult Superd::Start(const StartOptions& options) {
  if (!reaped_) return ::testing::AssertionFailure() << "superd already running";
  std::vector<std::string> args = options.wrapper;
  args.insert(args.end(), {SuperdBinary(), "-c", table_path_});
  args.insert(args.end(), options.args.begin(), options.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // superd's own environment carries a variable no program may see.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.emplace_back("SUPERD_E2E_MUST_NOT_LEAK=1");
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  const int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const std::string out_path = dir_ + "/superd.out";
  const int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int leak_source = options.leak_fd >= 3 ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
  if (log_fd < 0 || out_fd < 0 || null_fd < 0)
    return ::testing::AssertionFailure() << "cannot open files in " << dir_;
  const char* dir = dir_.c_str();

  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    dup2(null_fd, 0);
    dup2(out_fd, 1);
    dup2(options.stderr_fd >= 0 ? options.stderr_fd : log_fd, 2);
    if (leak_source >= 0) dup2(leak_source, options.leak_fd);  // no CLOEXEC
    if (options.hostile_inheritance) {
      signal(SIGPIPE, SIG_IGN);
      signal(SIGUSR2, SIG_IGN);
      signal(SIGQUIT, SIG_IGN);
      // glibc's sigaction refuses its reserved signals 32 and 33, but a
      // parent can leave them ignored all the same (seen under a CI shell).
      struct {
        unsigned long handler, flags, restorer, mask;
      } ignore{reinterpret_cast<unsigned long>(SIG_IGN), 0, 0, 0};
      syscall(SYS_rt_sigaction, 32, &ignore, nullptr, 8);
      syscall(SYS_rt_sigaction, 33, &ignore, nullptr, 8);
      sigset_t blocked;
      sigemptyset(&blocked);
      sigaddset(&blocked, SIGUSR2);
      sigaddset(&blocked, SIGWINCH);
      sigprocmask(SIG_BLOCK, &blocked, nullptr);
      umask(077);
      if (chdir(dir) != 0) _exit(126);
    }
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  close(out_fd);
  close(null_fd);
  if (leak_source >= 0) close(leak_source);
  if (pid < 0) return ::testing::AssertionFailure() << "fork: " << std::strerror(errno);
  pid_ = pid;
  reaped_ = false;
  started_ = true;
  exit_expected_ = false;
  if (!options.wait_ready) return ::testing::AssertionSuccess();
  return WaitReady();
}

::testing::AssertionResult Superd::WaitReady(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::regex ready("^info: superd: ready");
  for (;;) {
    for (const auto& line : LogLines())
      if (std::regex_search(line, ready)) return ::testing::AssertionSuccess();
    if (reaped_ || !Running()) {
      return ::testing::AssertionFailure()
             << "superd exited before it was ready; its stderr:\n" << Log();
    }
    if (Clock::now() >= deadline) {
      return ::testing::AssertionFailure()
             << "superd not ready after " << timeout.count() << " ms; its stderr:\n" << Log();
    }
    std::this_thread::sleep_for(10ms);
  }
}

bool Superd::Running() {
  if (reaped_) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    exit_status_ = status;
    return false;
  }
  return true;
}

std::optional<int> Superd::WaitExit(std::chrono::milliseconds timeout) {
  exit_expected_ = true;
  const auto deadline = Clock::now() + timeout;
  while (Running()) {
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
  return exit_status_;
}

std::optional<int> Superd::Stop(int sig, std::chrono::milliseconds timeout) {
  if (Running()) kill(pid_, sig);
  return WaitExit(timeout);
}

std::string Superd::Log() const { return ReadFile(log_path_); }

std::vector<std::string> Superd::LogLines() const {
  std::vector<std::string> lines;
  std::istringstream in(Log());
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::optional<std::vector<std::string>> Superd::WaitForLog(
    const std::string& regex, std::chrono::milliseconds timeout) const {
  const std::regex re(regex);
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    for (const auto& line : LogLines()) {
      std::smatch m;
      if (std::regex_search(line, m, re)) {
        std::vector<std::string> groups;
        for (const auto& g : m) groups.push_back(g.str());
        return groups;
      }
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
}

size_t Superd::CountLog(const std::string& regex) const {
  const std::regex re(regex);
  size_t n = 0;
  for (const auto& line : LogLines())
    if (std::regex_search(line, re)) ++n;
  return n;
}

bool Superd::WaitForLogCount(const std::string& regex, size_t count,
                             std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (CountLog(regex) >= count) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

// --- Run --------------------------------------------------------------------

RunResult RunCommand(const std::vector<std::string>& args, const std::string& scratch_dir,
              std::chrono::milliseconds timeout) {
  RunResult result;
  const std::string out_path = scratch_dir + "/run.out", err_path = scratch_dir + "/run.err";
  const int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(null_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_fd);
  close(err_fd);
  close(null_fd);
  if (pid < 0) return result;
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (Clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << args[0] << " did not finish within " << timeout.count() << " ms";
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  result.exited = WIFEXITED(status);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

// --- Sockets ----------------------------------------------------------------

int TryConnectTcp(const std::string& ip, uint16_t port, Fd* out,
                  std::chrono::milliseconds timeout) {
  sockaddr_storage ss;
  socklen_t len;
  if (!FillInet(ip, port, &ss, &len)) return EINVAL;
  Fd fd(socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return errno;
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    if (errno != EINPROGRESS) return errno;
    if (PollOne(fd.get(), POLLOUT, Clock::now() + timeout) == 0) return ETIMEDOUT;
    int error = 0;
    socklen_t elen = sizeof error;
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &elen);
    if (error != 0) return error;
  }
  *out = std::move(fd);
  return 0;
}

Fd ConnectTcp(const std::string& ip, uint16_t port, std::chrono::milliseconds timeout) {
  Fd fd;
  const int error = TryConnectTcp(ip, port, &fd, timeout);
  if (error != 0) {
    ADD_FAILURE() << "connect to " << ip << " port " << port << ": " << std::strerror(error);
  }
  return fd;
}

Fd ConnectUnix(const std::string& path) {
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  // A full backlog gives EAGAIN on a non-blocking UNIX connect: retry.
  const auto deadline = Clock::now() + kTimeout;
  while (connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (errno != EAGAIN || Clock::now() >= deadline) {
      ADD_FAILURE() << "connect to " << path << ": " << std::strerror(errno);
      return Fd();
    }
    std::this_thread::sleep_for(10ms);
  }
  return fd;
}

Fd UdpSocket(const std::string& ip, uint16_t port) {
  sockaddr_storage ss;
  socklen_t len;
  if (!FillInet(ip, port, &ss, &len)) {
    ADD_FAILURE() << "bad address " << ip;
    return Fd();
  }
  Fd fd(socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    ADD_FAILURE() << "udp connect: " << std::strerror(errno);
    return Fd();
  }
  return fd;
}

uint16_t LocalPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

namespace {

// One read into `r`; false when reading is over (end, error or timeout).
bool ReadSome(int fd, ReadResult* r, Clock::time_point deadline) {
  const short revents = PollOne(fd, POLLIN, deadline);
  if (revents == 0) {
    r->timed_out = true;
    return false;
  }
  char buf[65536];
  const ssize_t n = read(fd, buf, sizeof buf);
  if (n > 0) {
    r->data.append(buf, static_cast<size_t>(n));
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  r->eof = true;
  r->reset = n < 0 && errno == ECONNRESET;
  return false;
}

}  // namespace

ReadResult ReadAll(int fd, std::chrono::milliseconds timeout) {
  SetNonBlocking(fd);
  ReadResult r;
  const auto deadline = Clock::now() + timeout;
  while (ReadSome(fd, &r, deadline)) {
  }
  return r;
}

ReadResult ReadUntil(int fd, std::string_view delim, std::chrono::milliseconds timeout) {
  SetNonBlocking(fd);
  ReadResult r;
  const auto deadline = Clock::now() + timeout;
  while (r.data.find(delim) == std::string::npos && ReadSome(fd, &r, deadline)) {
  }
  return r;
}

ReadResult ReadAtLeast(int fd, size_t n, std::chrono::milliseconds timeout) {
  SetNonBlocking(fd);
  ReadResult r;
  const auto deadline = Clock::now() + timeout;
  while (r.data.size() < n && ReadSome(fd, &r, deadline)) {
  }
  return r;
}

bool Readable(int fd, std::chrono::milliseconds wait) {
  return PollOne(fd, POLLIN, Clock::now() + wait) != 0;
}

bool SendAll(int fd, std::string_view data, std::chrono::milliseconds timeout) {
  SetNonBlocking(fd);
  const auto deadline = Clock::now() + timeout;
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    if (PollOne(fd, POLLOUT, deadline) == 0) return false;
  }
  return true;
}

ReadResult Exchange(int fd, std::string_view data, std::chrono::milliseconds timeout) {
  SetNonBlocking(fd);
  ReadResult r;
  const auto deadline = Clock::now() + timeout;
  size_t sent = 0;
  bool write_open = true;
  if (data.empty()) {
    shutdown(fd, SHUT_WR);
    write_open = false;
  }
  for (;;) {
    pollfd p{fd, static_cast<short>(POLLIN | (write_open ? POLLOUT : 0)), 0};
    const int n = poll(&p, 1, MsLeft(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      r.timed_out = true;
      return r;
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[65536];
      const ssize_t got = read(fd, buf, sizeof buf);
      if (got > 0) {
        r.data.append(buf, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        r.eof = true;
        r.reset = got < 0 && errno == ECONNRESET;
        return r;
      }
    }
    if (write_open && (p.revents & POLLOUT)) {
      const ssize_t put = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (put > 0) sent += static_cast<size_t>(put);
      if (put < 0 && errno != EAGAIN && errno != EINTR) write_open = false;
      if (sent == data.size()) {
        shutdown(fd, SHUT_WR);
        write_open = false;
      }
    }
  }
}

std::optional<std::string> ReceiveDatagram(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (PollOne(fd, POLLIN, deadline) == 0) return std::nullopt;
    char buf[65536];
    const ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n >= 0) return std::string(buf, static_cast<size_t>(n));
    if (errno != EAGAIN && errno != EINTR) return std::nullopt;
  }
}

// --- Reports and processes --------------------------------------------------

Report ParseReport(const std::string& text) {
  Report report;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    report[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return report;
}

std::map<std::string, std::string> EnvOf(const Report& report) {
  std::map<std::string, std::string> env;
  for (const auto& [key, value] : report)
    if (key.rfind("env:", 0) == 0) env[key.substr(4)] = value;
  return env;
}

Fd HoldPort(uint16_t port, int type) {
  Fd fd(socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_storage a;
  socklen_t len;
  FillInet("127.0.0.1", port, &a, &len);
  // TCP: SO_REUSEADDR, like superd, so that a TIME_WAIT left on the port by
  // an earlier user does not stop us, while our listener still stops superd.
  // (For UDP it would let superd share the port.)
  const int one = 1;
  if (type == SOCK_STREAM) setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&a), len) != 0 ||
      (type == SOCK_STREAM && listen(fd.get(), 8) != 0)) {
    ADD_FAILURE() << "cannot hold port " << port << ": " << std::strerror(errno);
    return Fd();
  }
  return fd;
}

StartOptions Unprivileged(StartOptions o) {
  if (geteuid() == 0) o.wrapper = {"/usr/bin/setpriv", "--bounding-set=-setuid,-setgid"};
  return o;
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

bool SignalPending(pid_t pid, int sig) {
  std::istringstream status(ReadFile("/proc/" + std::to_string(pid) + "/status"));
  const unsigned long long bit = 1ULL << (sig - 1);
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("SigPnd:", 0) == 0 || line.rfind("ShdPnd:", 0) == 0) {
      if (std::stoull(line.substr(7), nullptr, 16) & bit) return true;
    }
  }
  return false;
}

std::vector<std::string> ListeningTcpFields(uint16_t port) {
  char local[32];
  std::snprintf(local, sizeof local, "0100007F:%04X", port);
  std::istringstream in(ReadFile("/proc/net/tcp"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string token; fields >> token;) f.push_back(token);
    if (f.size() >= 10 && f[1] == local && f[3] == "0A") return f;  // 0A: LISTEN
  }
  return {};
}

int AcceptQueue(uint16_t port) {
  // sl local remote st tx_queue:rx_queue ...; rx_queue of a listener is its
  // accept queue.
  const std::vector<std::string> f = ListeningTcpFields(port);
  if (f.empty()) return -1;
  return static_cast<int>(std::stoul(f[4].substr(f[4].find(':') + 1), nullptr, 16));
}

int IndexOf(const std::vector<std::string>& lines, const std::string& regex, int nth) {
  const std::regex re(regex);
  for (size_t i = 0; i < lines.size(); ++i)
    if (std::regex_search(lines[i], re) && --nth == 0) return static_cast<int>(i);
  return -1;
}

size_t ResidentMiB(pid_t pid) {
  std::istringstream status(ReadFile("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6)) / 1024;
  return 0;
}

std::string BallastServices(const std::string& dir, int sockets, int heap_mib) {
  std::string yaml;
  for (int i = 0; i < sockets; ++i)
    yaml += "  ballast" + std::to_string(i) + ":\n    listen: unix:" + dir + "/b" +
            std::to_string(i) + ".sock\n    program: " + ServiceBinary("echo") + "\n";
  for (int i = 0; i < heap_mib; ++i)
    yaml += "  heap" + std::to_string(i) + ":\n    listen: unix:" + dir + "/h" +
            std::to_string(i) + ".sock\n    program: " + ServiceBinary("echo") +
            "\n    disabled: true\n    env:\n      BALLAST: " +
            (i == 0 ? "&mib " + std::string(1 << 20, 'x') : std::string("*mib")) + "\n";
  return yaml;
}

bool ProcessGone(pid_t pid) {
  if (pid <= 0) return true;
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  // Still in the process table: gone if it is a zombie waiting for its reaper.
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return true;
  const char state = stat[paren + 2];
  return state == 'Z' || state == 'X';
}

bool WaitProcessGone(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!ProcessGone(pid)) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(n, '\0');
  for (auto& b : bytes) b = static_cast<char>(rng() & 0xff);
  return bytes;
}

// --- datagrams ---------------------------------------------------------------

Fd BindDatagram(const std::string& path, bool credentials) {
  Fd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) {
    ADD_FAILURE() << "socket path too long: " << path;
    return Fd();
  }
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ADD_FAILURE() << "bind " << path << ": " << std::strerror(errno);
    return Fd();
  }
  const int one = 1;
  if (credentials) setsockopt(fd.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  return fd;
}

std::optional<Datagram> ReceiveWithSender(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    char buf[65536];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n >= 0) {
      Datagram d{std::string(buf, static_cast<size_t>(n)), 0};
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
          ucred cred;
          std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
          d.sender = cred.pid;
        }
      }
      return d;
    }
    if (errno != EAGAIN && errno != EINTR) return std::nullopt;
    if (Clock::now() >= deadline || !Readable(fd, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                      deadline - Clock::now())))
      return std::nullopt;
  }
}

std::map<std::string, std::string> ParseNotify(const std::string& text) {
  std::map<std::string, std::string> fields;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) fields[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return fields;
}

// Whether this process may make a private mount namespace with a tmpfs in
// it; the reason when not.
std::optional<std::string> MountNamespaceUnavailable(const std::string& scratch) {
  if (geteuid() != 0) return "not running as root";
  const std::string target = scratch + "/probe";
  mkdir(target.c_str(), 0755);
  const pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) != 0) _exit(1);
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(2);
    if (mount("tmpfs", target.c_str(), "tmpfs", 0, "mode=755") != 0) _exit(3);
    _exit(0);
  }
  if (pid < 0) return std::string("fork: ") + std::strerror(errno);
  int status = 0;
  waitpid(pid, &status, 0);
  rmdir(target.c_str());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return std::nullopt;
  static const char* const steps[] = {"", "unshare(CLONE_NEWNS)", "making / private",
                                      "mounting a tmpfs"};
  const int step = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  return std::string("no private mount namespace here (") +
         (step >= 1 && step <= 3 ? steps[step] : "probe killed") + " failed)";
}

std::string PingReply(uint16_t port) {
  Fd c;
  if (TryConnectTcp("127.0.0.1", port, &c, 2s) != 0) return "";
  return Exchange(c.get(), "ping\n").data;
}

bool EventuallyEchoes(uint16_t port, bool answering, std::chrono::milliseconds timeout) {
  return WaitUntil([&] { return (PingReply(port) == "ping\n") == answering; }, timeout);
}

}  // namespace e2e
