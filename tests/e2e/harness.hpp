// The end-to-end harness: runs the real superd binary on free loopback ports
// in a fresh temporary directory and talks to it through real sockets.
//
// Never blocks without a deadline: every wait, connect and read takes a
// timeout and reports a timeout as a failure instead of hanging. Never kills
// a process by name: only the superd it started, by pid. Loopback only.
// On a test failure the superd's stderr is printed and its directory kept.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>
#include <sys/socket.h>

#include <csignal>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace e2e {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The default deadline of one step (a connect, a read to end of input, superd
// becoming ready, superd exiting).
inline constexpr std::chrono::milliseconds kTimeout = 10s;

// Paths of the built binaries (compile definitions from tests/e2e/CMakeLists.txt).
std::string SuperdBinary();
// A sample service: "echo", "daytime", "chargen", "discard", "time".
std::string ServiceBinary(const std::string& name);
// A test helper from tests/helpers: "contract", "sleeper", "wait-accept".
std::string HelperBinary(const std::string& name);

// A descriptor that closes itself.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int Release();
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

// A port free for both TCP and UDP on 127.0.0.1 (and on ::1 when the host has
// IPv6 loopback). Drawn at random below the kernel's ephemeral range, so that
// neither another ctest process nor our own client connections take it.
uint16_t PickPort();
bool HaveIpv6Loopback();

// Replaces every ${NAME} in `text` with vars[NAME].
std::string Subst(std::string text, const std::map<std::string, std::string>& vars);

// One service entry of a table, to follow "services:\n": NAME with `listen`
// in double quotes as given ("127.0.0.1:PORT", "unix:PATH"), `program`, then
// `extra`: more keys of that service, each line indented by four spaces and
// ending in "\n". A test that asserts LINE:COLUMN positions in its table, or
// needs another layout (a listen list, other key order), writes the table out
// in full, so that what it checks stays visible.
std::string ServiceEntry(const std::string& name, const std::string& listen,
                         const std::string& program, const std::string& extra = "");

// Reading a file whole; empty when it does not exist.
std::string ReadFile(const std::string& path);

// What getsockopt(2) reports of a socket given SO_SNDBUF (`rmem` false) or
// SO_RCVBUF (`rmem` true) of `bytes`: the kernel caps it at
// net.core.wmem_max (rmem_max), then doubles it.
std::string KernelBufferSize(int bytes, bool rmem);

struct StartOptions {
  std::vector<std::string> args;  // extra command-line arguments
  // A command that execs superd's command line given as its last
  // arguments (e.g. socket activation), keeping its pid.
  std::vector<std::string> wrapper;
  bool wait_ready = true;         // wait for "info: superd: ready"
  // Start superd with an inheritance a program must not see: SIGPIPE,
  // SIGUSR2, SIGQUIT and real-time signals 32 and 33 ignored, SIGUSR2 and
  // SIGWINCH blocked, umask 077,
  // working directory the test directory.
  bool hostile_inheritance = false;
  // Leave this descriptor (>= 3) open without close-on-exec in superd.
  int leak_fd = -1;
  // superd's stderr instead of log_path() (Log() then stays empty, so
  // wait_ready must be false).
  int stderr_fd = -1;
};

// The usual variations.
inline StartOptions NoWaitReady() {
  StartOptions o;
  o.wait_ready = false;
  return o;
}
inline StartOptions Hostile() {
  StartOptions o;
  o.hostile_inheritance = true;
  return o;
}
inline StartOptions LeakingFd(int fd) {
  StartOptions o;
  o.leak_fd = fd;
  return o;
}
// superd without the privilege to switch users: as root, through setpriv
// (util-linux) with CAP_SETUID and CAP_SETGID out of its bounding set.
StartOptions Unprivileged(StartOptions o = {});

// One superd process and its directory (table, stderr log, scratch files).
class Superd {
 public:
  Superd();
  ~Superd();
  Superd(const Superd&) = delete;
  Superd& operator=(const Superd&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& table_path() const { return table_path_; }
  const std::string& log_path() const { return log_path_; }
  pid_t pid() const { return pid_; }

  // Writes the table (dir/superd.yaml), as TableText makes it.
  void WriteTable(const std::string& yaml);
  // `yaml` with `watch: false` appended, unless it sets `watch` itself or
  // the test asked for Watching(): a test that rewrites the table and
  // sends SIGHUP means one reload, not a second one when superd notices
  // the change by itself.
  std::string TableText(const std::string& yaml) const;
  void Watching() { watching_ = true; }
  // Writes dir/NAME with `mode`; returns its path.
  std::string WriteFile(const std::string& name, const std::string& content,
                        mode_t mode = 0644);
  // A copy of `binary` in dir(), which becomes readable and searchable by
  // everyone: for a program run as another user, who may not reach the
  // build tree (a clone in root's home is mode 0700). Its path.
  std::string CopyForOtherUsers(const std::string& binary);

  // `superd -c TABLE ARGS...` with stderr to log_path(); by default waits for
  // the ready line. Fails (with the log) if superd exits first.
  ::testing::AssertionResult Start(const StartOptions& options = {});
  ::testing::AssertionResult WaitReady(std::chrono::milliseconds timeout = kTimeout);

  // Waits for superd to exit on its own; its wait status, or nothing after
  // `timeout`. Once a test waits for the exit, the destructor no longer
  // insists that superd ran to the end and stopped with status 0.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout = kTimeout);
  // Sends `sig`; then WaitExit.
  std::optional<int> Stop(int sig = SIGTERM, std::chrono::milliseconds timeout = kTimeout);
  bool Running();

  // superd's stderr so far.
  std::string Log() const;
  std::vector<std::string> LogLines() const;
  // The capture groups of the first log line matching `regex` (ECMAScript,
  // searched, not anchored), waiting up to `timeout` for it to appear.
  std::optional<std::vector<std::string>> WaitForLog(
      const std::string& regex, std::chrono::milliseconds timeout = kTimeout) const;
  // How many log lines match `regex`.
  size_t CountLog(const std::string& regex) const;
  // Waits until at least `count` lines match.
  bool WaitForLogCount(const std::string& regex, size_t count,
                       std::chrono::milliseconds timeout = kTimeout) const;

 private:
  std::string dir_, table_path_, log_path_;
  pid_t pid_ = -1;
  bool reaped_ = true;
  bool started_ = false;
  bool exit_expected_ = false;  // the test waited for the exit itself
  bool watching_ = false;       // tables are written without `watch: false`
  int exit_status_ = 0;
};

// "exit status 1", "killed by signal 11 (Segmentation fault)".
std::string DescribeStatus(int wait_status);

// A command run to completion, e.g. `superd --check`.
struct RunResult {
  bool exited = false;  // false: killed by a signal or by our timeout
  int exit_code = -1;
  std::string out, err;
};
RunResult RunCommand(const std::vector<std::string>& argv, const std::string& scratch_dir,
              std::chrono::milliseconds timeout = kTimeout);

// The socket address of numeric `ip` and `port`; false when ip is neither
// IPv4 nor IPv6.
bool FillInet(const std::string& ip, uint16_t port, sockaddr_storage* ss, socklen_t* len);

// Sockets. ip is numeric, "127.0.0.1" or "::1". A connect that fails records
// a test failure and returns an empty Fd.
Fd ConnectTcp(const std::string& ip, uint16_t port,
              std::chrono::milliseconds timeout = kTimeout);
// errno of a connect attempt (0 on success, ETIMEDOUT on our deadline).
int TryConnectTcp(const std::string& ip, uint16_t port, Fd* out,
                  std::chrono::milliseconds timeout = kTimeout);
Fd ConnectUnix(const std::string& path);
// A UDP socket connected to ip:port.
Fd UdpSocket(const std::string& ip, uint16_t port);
// The local port of a socket (the client port superd reports).
uint16_t LocalPort(int fd);

struct ReadResult {
  std::string data;
  bool eof = false;      // the peer closed (cleanly or with a reset)
  bool reset = false;    // ECONNRESET
  bool timed_out = false;
};
// Reads until end of input.
ReadResult ReadAll(int fd, std::chrono::milliseconds timeout = kTimeout);
// Reads until `delim` has been seen (data may run past it) or end of input.
ReadResult ReadUntil(int fd, std::string_view delim,
                     std::chrono::milliseconds timeout = kTimeout);
// Reads until at least n bytes arrived or end of input.
ReadResult ReadAtLeast(int fd, size_t n, std::chrono::milliseconds timeout = kTimeout);
// Whether anything (data or end of input) arrives within `wait`.
bool Readable(int fd, std::chrono::milliseconds wait);
// Sends everything.
bool SendAll(int fd, std::string_view data, std::chrono::milliseconds timeout = kTimeout);
// Sends `data` while reading, then shuts down the write side and reads to end
// of input: what an echo-style exchange needs without deadlocking.
ReadResult Exchange(int fd, std::string_view data,
                    std::chrono::milliseconds timeout = kTimeout);
// One datagram.
std::optional<std::string> ReceiveDatagram(int fd, std::chrono::milliseconds timeout = kTimeout);

// A report of superd-test-contract: KEY -> VALUE; environment variables as
// "env:NAME".
using Report = std::map<std::string, std::string>;
Report ParseReport(const std::string& text);
// Only the env: entries, without the prefix.
std::map<std::string, std::string> EnvOf(const Report& report);

// A process that no longer exists or is a zombie.
bool ProcessGone(pid_t pid);
bool WaitProcessGone(pid_t pid, std::chrono::milliseconds timeout = kTimeout);

// A socket of the test's own bound to 127.0.0.1:port (listening, for
// SOCK_STREAM), so that superd cannot bind it; records a failure and returns
// an empty Fd when it cannot be held.
Fd HoldPort(uint16_t port, int type = SOCK_STREAM);

// Polls `done` every 10 ms until it holds (true) or `timeout` passes.
bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = kTimeout);

// Whether `sig` is pending for process `pid` (SigPnd or ShdPnd of
// /proc/PID/status): sent and not yet taken. superd blocks the signals it
// reads from its signalfd, so one stays pending until its loop reads it.
// False once the process is gone.
bool SignalPending(pid_t pid, int sig);

// The fields of /proc/net/tcp's line for the TCP socket listening on
// 127.0.0.1:port ("sl local remote st tx:rx ... inode ..."); empty if none.
std::vector<std::string> ListeningTcpFields(uint16_t port);

// How many connections wait in the accept queue of the TCP socket listening
// on 127.0.0.1:port (the kernel's count, /proc/net/tcp); -1 when none does.
int AcceptQueue(uint16_t port);

// The index of the nth (from 1) of `lines` that matches `regex`; -1 if none.
int IndexOf(const std::vector<std::string>& lines, const std::string& regex, int nth = 1);

// Resident memory of a process (VmRSS), in MiB; 0 when unknown.
size_t ResidentMiB(pid_t pid);

// Random bytes.
std::string RandomBytes(size_t n, uint64_t seed);

// More services for a table under `services:`, to make superd large:
// `sockets` echo services on UNIX sockets in `dir` (enough descriptors for
// the spawner to share its descriptor table with each child), and
// `heap_mib` disabled services each holding a distinct 1 MiB `env` value
// (one YAML alias, so the file stays small while superd's heap does not).
std::string BallastServices(const std::string& dir, int sockets, int heap_mib);

// Sets an environment variable of this process (which superd inherits) for
// a scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

// A UNIX datagram socket bound at `path` (a service manager's NOTIFY_SOCKET,
// a syslog daemon's /dev/log); with `credentials`, it learns senders' pids.
Fd BindDatagram(const std::string& path, bool credentials);

struct Datagram {
  std::string data;
  pid_t sender = 0;  // with credentials
};
// The next datagram within `timeout`, with its sender.
std::optional<Datagram> ReceiveWithSender(int fd, std::chrono::milliseconds timeout);

// An sd_notify message: its KEY=VALUE lines.
std::map<std::string, std::string> ParseNotify(const std::string& text);

// Whether this process may make a private mount namespace with a tmpfs in
// it (tests that give superd a private /dev/log or a full disk); the reason
// when not.
std::optional<std::string> MountNamespaceUnavailable(const std::string& scratch);

// A number as text, for ports in tables and log patterns.
inline std::string Str(long n) { return std::to_string(n); }

// What a service on 127.0.0.1:`port` answers to "ping\n" (sent, then the
// write side shut), or "" when nothing listens there.
std::string PingReply(uint16_t port);
// Whether `port` echoes "ping\n" (or, answering = false, no longer does)
// within the deadline: a change superd makes by itself.
bool EventuallyEchoes(uint16_t port, bool answering = true,
                      std::chrono::milliseconds timeout = kTimeout);

}  // namespace e2e
