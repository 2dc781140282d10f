// What an administrator checks of a running superd (SPEC "Command line",
// "Signals", "Init systems"; superd(8)):
// - SIGUSR1 statistics, parsed and compared with known traffic;
// - --daemon and --pid-file as a SysV init script uses them: a detached
//   process in its own session, cwd /, stdio on /dev/null, serving; a pid
//   file naming it, refusing a second superd, replacing a stale file,
//   removed at exit; a failed start reported by the command itself;
// - sd_notify, with the test playing the service manager: READY=1 once every
//   socket is bound, STOPPING=1 at SIGTERM, in that order, from superd's pid;
// - --syslog, in a private mount namespace whose /dev/log is a socket of the
//   test's (root only): RFC 3164-style datagrams with facility daemon.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sched.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace e2e {
namespace {

std::string Escape(const std::string& text) {
  return std::regex_replace(text, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// --- SIGUSR1 -------------------------------------------------------------------

// One service line of a SIGUSR1 report: its key=value fields.
using Fields = std::map<std::string, std::string>;
struct Stats {
  std::string summary;                   // the "stats:" line
  std::map<std::string, Fields> services;  // by service name
  std::vector<std::string> order;        // service names as logged
};

// The `nth` (1-based) SIGUSR1 report in the log: the summary line and the
// `services` lines that follow it, waited for up to kTimeout.
::testing::AssertionResult ReadStats(const Superd& superd, size_t nth, size_t services,
                                     Stats* stats) {
  const std::regex summary("^info: superd: stats: ");
  const std::regex service_line("^info: ([^:]+): (state=.*)$");
  const auto deadline = Clock::now() + kTimeout;
  for (;;) {
    const auto lines = superd.LogLines();
    size_t seen = 0, at = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (std::regex_search(lines[i], summary) && ++seen == nth) {
        at = i;
        break;
      }
    }
    if (seen == nth && lines.size() >= at + 1 + services) {
      *stats = Stats{};
      stats->summary = lines[at];
      for (size_t i = at + 1; i <= at + services; ++i) {
        std::smatch m;
        if (!std::regex_match(lines[i], m, service_line))
          return ::testing::AssertionFailure()
                 << "line " << i - at << " after the summary is not a service line: "
                 << lines[i];
        const std::string name = m[1].str();
        if (stats->services.count(name) != 0)
          return ::testing::AssertionFailure() << "service " << name << " reported twice";
        Fields fields;
        std::istringstream in(m[2].str());
        for (std::string token; in >> token;) {
          const size_t eq = token.find('=');
          if (eq != std::string::npos) fields[token.substr(0, eq)] = token.substr(eq + 1);
        }
        stats->services[name] = fields;
        stats->order.push_back(name);
      }
      return ::testing::AssertionSuccess();
    }
    if (Clock::now() >= deadline)
      return ::testing::AssertionFailure()
             << "SIGUSR1 report " << nth << " with " << services
             << " service lines not logged; log:\n" << superd.Log();
    std::this_thread::sleep_for(20ms);
  }
}

// Whether `fields` holds key=value for every entry of `expected`.
::testing::AssertionResult Has(const Stats& stats, const std::string& service,
                               const Fields& expected) {
  const auto it = stats.services.find(service);
  if (it == stats.services.end())
    return ::testing::AssertionFailure() << "no line for service " << service;
  std::string wrong;
  for (const auto& [key, value] : expected) {
    const auto f = it->second.find(key);
    if (f == it->second.end())
      wrong += " " + key + " missing (want " + value + ");";
    else if (f->second != value)
      wrong += " " + key + "=" + f->second + " (want " + value + ");";
  }
  if (!wrong.empty())
    return ::testing::AssertionFailure() << service << ":" << wrong;
  return ::testing::AssertionSuccess();
}

TEST(AdminStats, Sigusr1ReportsStatesAddressesAndCountsOfKnownTraffic) {
  Superd superd;
  const uint16_t echo1 = PickPort(), echo2 = PickPort(), off = PickPort(),
                 broken = PickPort(), hold = PickPort();
  const std::string second_ip = HaveIpv6Loopback() ? "::1" : "127.0.0.1";
  const std::string second_addr =
      HaveIpv6Loopback() ? "[::1]:" + std::to_string(echo2) : "127.0.0.1:" + std::to_string(echo2);
  // Executable, but its interpreter does not exist: execve fails (ENOENT).
  const std::string script =
      superd.WriteFile("broken.sh", "#!/nonexistent/interpreter\nhello\n", 0755);
  superd.WriteTable(Subst(
      "services:\n"
      "  echo:\n"
      "    listen: [\"127.0.0.1:${E1}\", \"${E2}\"]\n"
      "    program: ${ECHO}\n"
      "  off:\n"
      "    listen: \"127.0.0.1:${OFF}\"\n"
      "    program: ${ECHO}\n"
      "    disabled: true\n"
      "  broken:\n"
      "    listen: \"127.0.0.1:${BROKEN}\"\n"
      "    program: ${SCRIPT}\n"
      "  hold:\n"
      "    listen: \"127.0.0.1:${HOLD}\"\n"
      "    program: ${SLEEPER}\n"
      "    args: [\"--until-eof\"]\n"
      "    max_instances: 1\n",
      {{"E1", std::to_string(echo1)},
       {"E2", second_addr},
       {"OFF", std::to_string(off)},
       {"BROKEN", std::to_string(broken)},
       {"HOLD", std::to_string(hold)},
       {"ECHO", ServiceBinary("echo")},
       {"SCRIPT", script},
       {"SLEEPER", HelperBinary("sleeper")}}));
  ASSERT_TRUE(superd.Start());

  // K echo connections over both addresses, each served and ended.
  constexpr int kEcho = 5;
  for (int i = 0; i < kEcho; ++i) {
    const bool first = i % 2 == 0;
    Fd c = ConnectTcp(first ? "127.0.0.1" : second_ip, first ? echo1 : echo2);
    ASSERT_TRUE(c);
    const std::string text = "hello " + std::to_string(i) + "\n";
    EXPECT_EQ(Exchange(c.get(), text).data, text);
  }
  // One exec failure.
  {
    Fd c = ConnectTcp("127.0.0.1", broken);
    ASSERT_TRUE(c);
    EXPECT_TRUE(ReadAll(c.get()).eof);
  }
  // hold: one instance running (its limit), one connection queued behind it.
  Fd held = ConnectTcp("127.0.0.1", hold);
  ASSERT_TRUE(held);
  ASSERT_NE(ReadUntil(held.get(), "ready\n").data.find("ready\n"), std::string::npos);
  Fd queued = ConnectTcp("127.0.0.1", hold);
  ASSERT_TRUE(queued);
  // It waits in the backlog (the kernel's count): the report below is made
  // after it was queued.
  ASSERT_TRUE(WaitUntil([&] { return AcceptQueue(hold) == 1; }))
      << "the second hold connection never waited in the backlog\n" << superd.Log();

  ASSERT_TRUE(superd.WaitForLogCount("^info: echo: pid [0-9]+ exited with status 0", kEcho))
      << superd.Log();
  ASSERT_TRUE(superd.WaitForLog("^warning: broken: unable to exec " + Escape(script)))
      << superd.Log();

  ASSERT_EQ(kill(superd.pid(), SIGUSR1), 0);
  Stats stats;
  ASSERT_TRUE(ReadStats(superd, 1, 4, &stats));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      stats.summary, m,
      std::regex("stats: ([0-9]+) services? listening\\b[^,]*, ([0-9]+) instances? running$")))
      << stats.summary;
  EXPECT_EQ(m[1].str(), "3") << "echo, broken and hold listen; off is disabled: "
                             << stats.summary;
  EXPECT_EQ(m[2].str(), "1") << stats.summary;

  const std::string echo_addresses = "127.0.0.1:" + std::to_string(echo1) + "," + second_addr;
  EXPECT_TRUE(Has(stats, "echo",
                  {{"state", "listening"},
                   {"addresses", echo_addresses},
                   {"running", "0"},
                   {"spawned", std::to_string(kEcho)},
                   {"refused", "0"},
                   {"failed", "0"}}));
  EXPECT_TRUE(Has(stats, "off",
                  {{"state", "disabled"},
                   {"addresses", "127.0.0.1:" + std::to_string(off)},
                   {"running", "0"},
                   {"spawned", "0"},
                   {"refused", "0"},
                   {"failed", "0"}}));
  EXPECT_TRUE(Has(stats, "broken",
                  {{"state", "listening"},
                   {"addresses", "127.0.0.1:" + std::to_string(broken)},
                   {"running", "0"},
                   {"refused", "0"},
                   {"failed", "1"}}));
  // Whether a process that never got to exec counts as spawned is left open
  // (superd(8): "spawned counts processes started"); at most that one.
  if (stats.services.count("broken") && stats.services["broken"].count("spawned")) {
    EXPECT_LE(std::stoi(stats.services["broken"]["spawned"]), 1);
  }
  EXPECT_TRUE(Has(stats, "hold",
                  {{"state", "at-limit"},
                   {"addresses", "127.0.0.1:" + std::to_string(hold)},
                   {"running", "1"},
                   {"spawned", "1"},
                   {"refused", "0"},
                   {"failed", "0"}}));
  const std::vector<std::string> table_order = {"echo", "off", "broken", "hold"};
  EXPECT_EQ(stats.order, table_order) << "one line per service, in table order";
  // Nor was the queued connection served just after the report: superd
  // handles a probe connection made after it in a later loop iteration, and
  // up to the probe there is still the one hold connection.
  {
    Fd probe = ConnectTcp("127.0.0.1", echo1);
    ASSERT_TRUE(probe);
    EXPECT_EQ(Exchange(probe.get(), "probe\n").data, "probe\n");
    const auto lines = superd.LogLines();
    const int probed = IndexOf(lines, "^info: echo: connection from", kEcho + 1);
    ASSERT_GE(probed, 0) << superd.Log();
    EXPECT_EQ(IndexOf(std::vector<std::string>(lines.begin(), lines.begin() + probed),
                      "^info: hold: connection from", 2),
              -1)
        << "second hold connection served at the limit:\n" << superd.Log();
  }

  // The held instance ends; the queued connection gets the next one, which
  // ends too. The counters move on, the state returns to listening.
  held.Reset();
  ASSERT_NE(ReadUntil(queued.get(), "ready\n").data.find("ready\n"), std::string::npos)
      << "queued connection not served";
  queued.Reset();
  ASSERT_TRUE(superd.WaitForLogCount("^info: hold: pid [0-9]+ exited", 2)) << superd.Log();
  ASSERT_TRUE(superd.WaitForLogCount("^info: echo: pid [0-9]+ exited with status 0", kEcho + 1))
      << superd.Log();
  ASSERT_EQ(kill(superd.pid(), SIGUSR1), 0);
  ASSERT_TRUE(ReadStats(superd, 2, 4, &stats));
  EXPECT_TRUE(std::regex_search(
      stats.summary, std::regex("stats: 3 services? listening\\b[^,]*, 0 instances? running$")))
      << stats.summary;
  EXPECT_TRUE(Has(stats, "hold",
                  {{"state", "listening"}, {"running", "0"}, {"spawned", "2"}, {"failed", "0"}}));
  EXPECT_TRUE(Has(stats, "echo",
                  {{"state", "listening"},
                   {"spawned", std::to_string(kEcho + 1)},  // with the probe
                   {"failed", "0"}}));
  EXPECT_TRUE(Has(stats, "broken", {{"failed", "1"}}));
  EXPECT_TRUE(Has(stats, "off", {{"state", "disabled"}, {"spawned", "0"}}));
  // SIGUSR1 changes nothing: superd serves on.
  Fd c = ConnectTcp("127.0.0.1", echo1);
  ASSERT_TRUE(c);
  EXPECT_EQ(Exchange(c.get(), "after stats\n").data, "after stats\n");
}

// --- --daemon and --pid-file -----------------------------------------------------

// From /proc/PID/stat: state, ppid, pgrp, session, tty_nr.
struct ProcStat {
  bool ok = false;
  char state = '?';
  pid_t ppid = 0, pgrp = 0, session = 0;
  int tty = 0;
};
ProcStat ReadProcStat(pid_t pid) {
  ProcStat s;
  const std::string text = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return s;
  std::istringstream in(text.substr(paren + 1));
  s.ok = static_cast<bool>(in >> s.state >> s.ppid >> s.pgrp >> s.session >> s.tty);
  return s;
}

std::string ReadLink(const std::string& path) {
  std::error_code ec;
  const auto target = std::filesystem::read_symlink(path, ec);
  return ec ? "(" + ec.message() + ")" : target.string();
}

std::string Comm(pid_t pid) {
  std::string comm = ReadFile("/proc/" + std::to_string(pid) + "/comm");
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

// Pids of processes (not zombies) with `arg` among their arguments: the
// superds started with this test's own (unique) table path.
std::vector<pid_t> ProcessesWithArg(const std::string& arg) {
  std::vector<pid_t> pids;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    const std::string cmdline = ReadFile("/proc/" + std::string(entry->d_name) + "/cmdline");
    std::istringstream in(cmdline);
    for (std::string a; std::getline(in, a, '\0');) {
      if (a == arg) {
        if (!ProcessGone(static_cast<pid_t>(pid))) pids.push_back(static_cast<pid_t>(pid));
        break;
      }
    }
  }
  closedir(proc);
  return pids;
}

pid_t ReadPidFile(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  return (in >> pid) ? static_cast<pid_t>(pid) : 0;
}

// Daemons detached by `superd -d`: the test makes itself their subreaper, so
// a daemon whose parents exited is its child (ppid == the test's pid, which
// proves the detach), and whatever a test leaves running is killed by pid.
class AdminDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0) << std::strerror(errno);
    port_ = PickPort();
    pid_file_ = superd_.dir() + "/superd.pid";
    WriteEchoTable(port_);
  }
  void TearDown() override {
    for (pid_t pid : ProcessesWithArg(superd_.table_path())) {
      // A daemon whose start failed exits right after its parent reported
      // that; under ASan its exit (the leak check) takes a while.
      if (WaitProcessGone(pid, 2s)) continue;
      ADD_FAILURE() << "superd " << pid << " left running; killing it";
      kill(pid, SIGKILL);
      WaitProcessGone(pid);
    }
    // Reap the detached daemons and their intermediate parents.
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    prctl(PR_SET_CHILD_SUBREAPER, 0);
  }

  void WriteEchoTable(uint16_t port) {
    superd_.WriteTable("services:\n" + ServiceEntry("echo", "127.0.0.1:" + std::to_string(port),
                                                     ServiceBinary("echo")));
  }

  RunResult StartDaemon() {
    return RunCommand({SuperdBinary(), "-d", "-p", pid_file_, "-c", superd_.table_path()},
                      superd_.dir());
  }

  void ExpectServes(const std::string& what) {
    Fd c = ConnectTcp("127.0.0.1", port_);
    ASSERT_TRUE(c) << what;
    EXPECT_EQ(Exchange(c.get(), "ping\n").data, "ping\n") << what;
  }

  // SIGTERM to the daemon: it exits, and its pid file is gone by then.
  void StopDaemon(pid_t pid) {
    ASSERT_EQ(kill(pid, SIGTERM), 0) << std::strerror(errno);
    ASSERT_TRUE(WaitProcessGone(pid)) << "daemon " << pid << " still running after SIGTERM";
    int status = 0;
    if (waitpid(pid, &status, 0) == pid) {  // ours, as the subreaper
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "daemon: " << DescribeStatus(status);
    }
    EXPECT_FALSE(std::filesystem::exists(pid_file_)) << "pid file left after the daemon exited";
  }

  // Pid-file-like leftovers in the directory ("superd.pid", "superd.pid.tmp.N").
  std::vector<std::string> PidFiles() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(superd_.dir())) {
      const std::string name = e.path().filename().string();
      if (name.rfind("superd.pid", 0) == 0) names.push_back(name);
    }
    return names;
  }

  Superd superd_;  // only its directory and table: superd runs detached
  uint16_t port_ = 0;
  std::string pid_file_;
};

TEST_F(AdminDaemon, DetachesServesAndKeepsItsPidFileUntilItExits) {
  // A descriptor the caller leaves open (an init script's pipe): the daemon
  // must not keep it.
  const std::string leak_path = superd_.WriteFile("leaked", "");
  Fd leaked(open(leak_path.c_str(), O_RDONLY));  // no O_CLOEXEC on purpose
  ASSERT_TRUE(leaked);

  const auto started = Clock::now();
  const RunResult run = StartDaemon();
  leaked.Reset();
  ASSERT_TRUE(run.exited && run.exit_code == 0)
      << "superd -d: exit " << run.exit_code << "; stderr:\n" << run.err;
  // It returned only once serving: the port answers at once.
  ExpectServes("right after superd -d returned");
  EXPECT_LT(Clock::now() - started, 5s);

  const pid_t pid = ReadPidFile(pid_file_);
  ASSERT_GT(pid, 0) << "pid file " << pid_file_ << ": '" << ReadFile(pid_file_) << "'";
  EXPECT_EQ(ReadFile(pid_file_), std::to_string(pid) + "\n");
  ASSERT_FALSE(ProcessGone(pid)) << "the pid file names no running process";
  EXPECT_EQ(Comm(pid), "superd");
  const ProcStat st = ReadProcStat(pid);
  ASSERT_TRUE(st.ok);
  // Its parents exited (the subreaper, this test, adopted it) ...
  EXPECT_EQ(st.ppid, getpid()) << "the daemon's parent is still alive: not detached";
  // ... it is in a session of its own, without being its leader (so it can
  // never acquire a controlling terminal), and has no terminal.
  EXPECT_NE(st.session, getsid(0)) << "the daemon is still in the caller's session";
  EXPECT_NE(st.session, pid) << "the daemon is a session leader (no second fork)";
  EXPECT_EQ(st.pgrp, st.session);
  EXPECT_EQ(st.tty, 0) << "the daemon has a controlling terminal";
  EXPECT_EQ(ReadLink("/proc/" + std::to_string(pid) + "/cwd"), "/");
  for (int fd = 0; fd <= 2; ++fd)
    EXPECT_EQ(ReadLink("/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd)),
              "/dev/null")
        << "fd " << fd;
  for (const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    EXPECT_NE(ReadLink(e.path().string()), leak_path)
        << "the daemon kept the caller's descriptor " << e.path().filename();
  }
  EXPECT_EQ(PidFiles(), std::vector<std::string>{"superd.pid"}) << "temporary file left";

  // A second superd on the same pid file refuses to start; the first serves on.
  const RunResult second = StartDaemon();
  EXPECT_TRUE(second.exited && second.exit_code == 1)
      << "second superd -d: exit " << second.exit_code << "; stderr:\n" << second.err;
  EXPECT_NE(second.err.find("superd is already running as pid " + std::to_string(pid) + " (" +
                            pid_file_ + ")"),
            std::string::npos)
      << second.err;
  EXPECT_EQ(ReadPidFile(pid_file_), pid) << "the refused superd touched the pid file";
  EXPECT_EQ(ProcessesWithArg(superd_.table_path()), std::vector<pid_t>{pid});
  ExpectServes("after a second superd was refused");

  // SIGUSR1 through the pid file, as superd(8) shows: not fatal to a daemon.
  // Its report goes to /dev/null; what shows that the daemon took the
  // signal is that it is no longer pending, and that the daemon still
  // serves after that (it would have died in taking it).
  ASSERT_EQ(kill(pid, SIGUSR1), 0);
  ASSERT_TRUE(WaitUntil([&] { return !SignalPending(pid, SIGUSR1); }))
      << "the daemon never took SIGUSR1";
  ExpectServes("after SIGUSR1");
  EXPECT_FALSE(ProcessGone(pid)) << "SIGUSR1 ended the daemon";

  StopDaemon(pid);
  Fd late;
  EXPECT_EQ(TryConnectTcp("127.0.0.1", port_, &late, 1s), ECONNREFUSED);
}

TEST_F(AdminDaemon, StalePidFileIsReplaced) {
  // A dead pid: a child of ours, reaped.
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_GT(dead, 0);
  ASSERT_EQ(waitpid(dead, nullptr, 0), dead);
  superd_.WriteFile("superd.pid", std::to_string(dead) + "\n");

  RunResult run = StartDaemon();
  ASSERT_TRUE(run.exited && run.exit_code == 0)
      << "superd -d over a dead pid's file: exit " << run.exit_code << "; stderr:\n" << run.err;
  pid_t pid = ReadPidFile(pid_file_);
  EXPECT_NE(pid, dead);
  ASSERT_FALSE(ProcessGone(pid)) << "pid file names " << pid << ", not running";
  EXPECT_EQ(Comm(pid), "superd");
  ExpectServes("over a dead pid's file");
  StopDaemon(pid);

  // A live process that is not superd: this test itself.
  ASSERT_NE(Comm(getpid()), "superd");
  superd_.WriteFile("superd.pid", std::to_string(getpid()) + "\n");
  run = StartDaemon();
  ASSERT_TRUE(run.exited && run.exit_code == 0)
      << "superd -d over a live non-superd pid's file: exit " << run.exit_code << "; stderr:\n"
      << run.err;
  pid = ReadPidFile(pid_file_);
  EXPECT_NE(pid, getpid());
  ASSERT_FALSE(ProcessGone(pid));
  EXPECT_EQ(Comm(pid), "superd");
  ExpectServes("over a live non-superd pid's file");
  StopDaemon(pid);
}

TEST_F(AdminDaemon, FailedStartIsReportedByTheCommandAndLeavesNoPidFile) {
  // The port is taken (by this test) before superd starts.
  Fd taken = HoldPort(port_);
  ASSERT_TRUE(taken);

  const RunResult run = StartDaemon();
  EXPECT_TRUE(run.exited && run.exit_code == 1)
      << "superd -d on a taken port: exit " << run.exit_code << "; stderr:\n" << run.err;
  EXPECT_NE(run.err.find("error: echo: unable to bind 127.0.0.1:" + std::to_string(port_) +
                         ": Address already in use"),
            std::string::npos)
      << "stderr:\n" << run.err;
  EXPECT_TRUE(PidFiles().empty()) << "left behind: " << ::testing::PrintToString(PidFiles());
  // No daemon lingers.
  for (int i = 0; i < 20 && !ProcessesWithArg(superd_.table_path()).empty(); ++i)
    std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(ProcessesWithArg(superd_.table_path()).empty()) << "a superd is still running";
}

// Issue 10, fault 8: the pid file went through a temporary file with a
// predictable name, opened with O_CREAT|O_TRUNC and following symbolic
// links: one planted there made root truncate whatever it pointed to.
// Links planted at every temporary name superd could choose, and at the
// pid file itself, leave their target untouched.
TEST_F(AdminDaemon, PlantedLinksCannotMakeSuperdTruncateAFile) {
  const std::string victim = superd_.WriteFile("victim", "precious\n");
  const long last = std::stol(ReadFile("/proc/sys/kernel/ns_last_pid"));
  for (long pid = last + 1; pid <= last + 400; ++pid)
    std::filesystem::create_symlink(victim, pid_file_ + ".tmp." + std::to_string(pid));
  RunResult run = StartDaemon();
  ASSERT_TRUE(run.exited && run.exit_code == 0) << run.err;
  const pid_t pid = ReadPidFile(pid_file_);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(ReadFile(victim), "precious\n") << "superd truncated the link's target";
  StopDaemon(pid);

  std::filesystem::create_symlink(victim, pid_file_);
  run = StartDaemon();
  EXPECT_TRUE(run.exited && run.exit_code == 1) << "started over a symbolic link";
  EXPECT_NE(run.err.find("unable to open the pid file " + pid_file_), std::string::npos) << run.err;
  EXPECT_EQ(ReadFile(victim), "precious\n");
  std::filesystem::remove(pid_file_);
  // A hard link to another file is refused as well.
  ASSERT_EQ(link(victim.c_str(), pid_file_.c_str()), 0);
  run = StartDaemon();
  EXPECT_TRUE(run.exited && run.exit_code == 1) << "started over a hard link";
  EXPECT_NE(run.err.find("not a regular file with one link"), std::string::npos) << run.err;
  EXPECT_EQ(ReadFile(victim), "precious\n");
}

// Two superds started at once with one pid file both passed the "already
// running" check (it read the pid in the file), both started, and the first
// to stop removed the other's pid file. What decides now is the lock on the
// file, held for a superd's life: a pid file another process holds is not
// taken, whatever pid it names (here a stale one, as when the holder has
// not written its own yet).
TEST_F(AdminDaemon, APidFileAnotherProcessHoldsIsNotTaken) {
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_EQ(waitpid(dead, nullptr, 0), dead);
  superd_.WriteFile("superd.pid", std::to_string(dead) + "\n");
  Fd held(open(pid_file_.c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(held);
  ASSERT_EQ(flock(held.get(), LOCK_EX | LOCK_NB), 0);
  const RunResult run = StartDaemon();
  EXPECT_TRUE(run.exited && run.exit_code == 1) << "took a pid file another process holds";
  EXPECT_NE(run.err.find("superd is already running"), std::string::npos) << run.err;
  EXPECT_EQ(ReadFile(pid_file_), std::to_string(dead) + "\n") << "the holder's file changed";
  EXPECT_TRUE(ProcessesWithArg(superd_.table_path()).empty());
  // Let go, and the file is superd's.
  held.Reset();
  const RunResult again = StartDaemon();
  ASSERT_TRUE(again.exited && again.exit_code == 0) << again.err;
  const pid_t pid = ReadPidFile(pid_file_);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(Comm(pid), "superd");
  StopDaemon(pid);
}

// --- sd_notify -----------------------------------------------------------------

std::string Printable(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out;
}

TEST(AdminNotify, ReadyOnceBoundThenStoppingAtSigtermFromSuperdItself) {
  Superd superd;
  const std::string path = superd.dir() + "/notify.sock";
  Fd manager = BindDatagram(path, true);
  ASSERT_TRUE(manager);
  const uint16_t port = PickPort(), contract = PickPort();
  superd.WriteTable(
      "shutdown_grace: 2s\n"
      "services:\n" +
      ServiceEntry("hold", "127.0.0.1:" + std::to_string(port), HelperBinary("sleeper"),
                   "    args: [\"--until-eof\"]\n") +
      ServiceEntry("contract", "127.0.0.1:" + std::to_string(contract), HelperBinary("contract")));
  {
    ScopedEnv env("NOTIFY_SOCKET", path);
    ASSERT_TRUE(superd.Start(NoWaitReady()));
  }
  std::vector<Datagram> messages;
  auto ready = ReceiveWithSender(manager.get(), kTimeout);
  ASSERT_TRUE(ready) << "no READY=1 from superd within " << kTimeout.count() << " ms; log:\n"
                     << superd.Log();
  messages.push_back(*ready);
  const auto first = ParseNotify(ready->data);
  EXPECT_EQ(first.count("READY") ? first.at("READY") : "", "1")
      << "first message: " << Printable(ready->data);
  EXPECT_EQ(ready->sender, superd.pid()) << "READY=1 not sent by superd's main process "
                                            "(NotifyAccess=main would drop it)";
  const std::string status = first.count("STATUS") ? first.at("STATUS") : "";
  EXPECT_TRUE(std::regex_search(status, std::regex("^2 services? listening")))
      << "STATUS=" << status;
  EXPECT_TRUE(std::regex_search(status, std::regex("0 instances? running")))
      << "STATUS=" << status;
  // READY means ready: every socket bound and served.
  ASSERT_TRUE(superd.WaitReady());
  Fd held = ConnectTcp("127.0.0.1", port);
  ASSERT_TRUE(held);
  ASSERT_NE(ReadUntil(held.get(), "ready\n").data.find("ready\n"), std::string::npos);
  // The manager's socket is superd's business, not the programs'.
  {
    Fd c = ConnectTcp("127.0.0.1", contract);
    ASSERT_TRUE(c);
    const Report report = ParseReport(ReadAll(c.get()).data);
    ASSERT_FALSE(report.empty());
    EXPECT_EQ(EnvOf(report).count("NOTIFY_SOCKET"), 0u) << "a program got NOTIFY_SOCKET";
  }
  ASSERT_TRUE(superd.WaitForLog("^info: contract: pid [0-9]+ exited")) << superd.Log();

  ASSERT_EQ(kill(superd.pid(), SIGTERM), 0);
  // Until STOPPING=1: nothing but status updates.
  std::optional<Datagram> stopping;
  while (auto d = ReceiveWithSender(manager.get(), kTimeout)) {
    messages.push_back(*d);
    const auto fields = ParseNotify(d->data);
    EXPECT_EQ(fields.count("READY"), 0u) << "READY=1 again: " << Printable(d->data);
    if (fields.count("STOPPING")) {
      stopping = d;
      break;
    }
  }
  ASSERT_TRUE(stopping) << "no STOPPING=1 after SIGTERM; log:\n" << superd.Log();
  const auto fields = ParseNotify(stopping->data);
  EXPECT_EQ(fields.at("STOPPING"), "1");
  EXPECT_EQ(stopping->sender, superd.pid());
  EXPECT_TRUE(std::regex_search(fields.count("STATUS") ? fields.at("STATUS") : "",
                                std::regex("1 instances? running")))
      << "STOPPING message: " << Printable(stopping->data);

  const auto exit = superd.WaitExit();
  ASSERT_TRUE(exit) << "superd did not exit after SIGTERM";
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << DescribeStatus(*exit);
  // Nothing after STOPPING=1. superd has exited: whatever it sent is queued
  // here already, so there is nothing to wait for.
  if (auto late = ReceiveWithSender(manager.get(), 0ms))
    ADD_FAILURE() << "message after STOPPING=1: " << Printable(late->data);
  std::string all;
  for (const auto& d : messages) all += "[" + Printable(d.data) + "] ";
  RecordProperty("notify_messages", all);
}

TEST(AdminNotify, UnreachableNotifySocketDoesNotStopSuperd) {
  Superd superd;
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" + ServiceEntry("echo", "127.0.0.1:" + std::to_string(port),
                                                  ServiceBinary("echo")));
  {
    ScopedEnv env("NOTIFY_SOCKET", superd.dir() + "/no-manager-here.sock");
    ASSERT_TRUE(superd.Start());
  }
  Fd c = ConnectTcp("127.0.0.1", port);
  ASSERT_TRUE(c);
  EXPECT_EQ(Exchange(c.get(), "hi\n").data, "hi\n");
  const auto exit = superd.Stop();
  ASSERT_TRUE(exit);
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << DescribeStatus(*exit);
}

// --- --syslog --------------------------------------------------------------------

// superd (argv) in a private mount namespace whose /dev is a tmpfs holding
// only null and, when `log_socket` is given, log (that socket bind-mounted).
// The real /dev is never touched. stderr to the superd's log file.
pid_t StartInNamespace(const Superd& superd, const std::string& log_socket,
                       const std::vector<std::string>& args) {
  const std::string null_copy = superd.dir() + "/null";
  { std::ofstream(null_copy, std::ios::trunc); }
  const std::string dev_null = "/dev/null", dev_log = "/dev/log";
  std::vector<std::string> copy = args;
  copy.insert(copy.begin(), SuperdBinary());
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int log_fd =
      open(superd.log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    dup2(log_fd, 2);
    auto fail = [](const char* what) {
      dprintf(2, "test setup: %s: %s\n", what, std::strerror(errno));
      _exit(125);
    };
    if (unshare(CLONE_NEWNS) != 0) fail("unshare");
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail("make / private");
    if (mount(dev_null.c_str(), null_copy.c_str(), nullptr, MS_BIND, nullptr) != 0)
      fail("keep /dev/null");
    if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755") != 0)
      fail("tmpfs on /dev");
    int fd = open(dev_null.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) fail("create /dev/null");
    close(fd);
    if (mount(null_copy.c_str(), dev_null.c_str(), nullptr, MS_BIND, nullptr) != 0)
      fail("bind /dev/null");
    if (!log_socket.empty()) {
      // /dev/log -> /dev/logdir/NAME, the socket's directory mounted there:
      // a syslog daemon that restarts binds a new socket at the same path.
      const std::string dir = log_socket.substr(0, log_socket.rfind('/'));
      const std::string name = log_socket.substr(log_socket.rfind('/') + 1);
      if (mkdir("/dev/logdir", 0755) != 0) fail("mkdir /dev/logdir");
      if (mount(dir.c_str(), "/dev/logdir", nullptr, MS_BIND, nullptr) != 0)
        fail("bind /dev/logdir");
      if (symlink(("/dev/logdir/" + name).c_str(), dev_log.c_str()) != 0) fail("link /dev/log");
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log_fd);
  close(null_fd);
  return pid;
}

// A superd started by StartInNamespace, stopped (by pid) when done.
class NamespacedSuperd {
 public:
  explicit NamespacedSuperd(pid_t pid) : pid_(pid) {}
  ~NamespacedSuperd() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  std::optional<int> WaitExit(std::chrono::milliseconds timeout = kTimeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const pid_t r = waitpid(pid_, &status_, WNOHANG);
      if (r == pid_) {
        reaped_ = true;
        return status_;
      }
      if (Clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(5ms);
    }
  }
  std::optional<int> Stop() {
    kill(pid_, SIGTERM);
    return WaitExit();
  }

 private:
  pid_t pid_;
  bool reaped_ = false;
  int status_ = 0;
};

class AdminSyslog : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = MountNamespaceUnavailable(superd_.dir()))
      GTEST_SKIP() << "--syslog tests need a private /dev/log: " << *why;
    port_ = PickPort();
    broken_port_ = PickPort();
    script_ = superd_.WriteFile("broken.sh", "#!/nonexistent/interpreter\n", 0755);
    superd_.WriteTable("services:\n" +
                       ServiceEntry("echo", "127.0.0.1:" + std::to_string(port_),
                                    ServiceBinary("echo")) +
                       ServiceEntry("broken", "127.0.0.1:" + std::to_string(broken_port_),
                                    script_));
  }

  // Datagrams until one matches `regex`; all of them in `seen`.
  std::optional<std::string> WaitForDatagram(int fd, const std::string& regex,
                                             std::vector<std::string>* seen) {
    const std::regex re(regex);
    const auto deadline = Clock::now() + kTimeout;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto d = ReceiveWithSender(fd, left);
      if (!d) return std::nullopt;
      seen->push_back(d->data);
      if (std::regex_search(d->data, re)) return d->data;
    }
  }

  Superd superd_;  // directory, table and stderr file
  uint16_t port_ = 0, broken_port_ = 0;
  std::string script_;
};

TEST_F(AdminSyslog, LinesGoToDevLogWithFacilityDaemonAndTheSuperdTag) {
  const std::string sock_path = superd_.dir() + "/log.sock";
  Fd log = BindDatagram(sock_path, false);
  ASSERT_TRUE(log);
  NamespacedSuperd superd(StartInNamespace(superd_, sock_path,
                                           {"--syslog", "-c", superd_.table_path()}));
  ASSERT_GT(superd.pid(), 0);
  const std::string tag = "superd\\[" + std::to_string(superd.pid()) + "\\]: ";
  std::vector<std::string> seen;
  // 30 = daemon (3 << 3) | info (6).
  ASSERT_TRUE(WaitForDatagram(log.get(), "^<30>" + tag + "superd: ready: ", &seen))
      << "no ready line on /dev/log; datagrams: " << Join(seen)
      << "stderr:\n" << superd_.Log();

  Fd c = ConnectTcp("127.0.0.1", port_);
  ASSERT_TRUE(c);
  const uint16_t client_port = LocalPort(c.get());
  EXPECT_EQ(Exchange(c.get(), "to syslog\n").data, "to syslog\n");
  const auto connection = WaitForDatagram(
      log.get(),
      "^<30>" + tag + "echo: connection from 127\\.0\\.0\\.1:" + std::to_string(client_port) +
          ", pid [0-9]+$",
      &seen);
  EXPECT_TRUE(connection) << "no connection line; datagrams:\n" << Join(seen);
  EXPECT_TRUE(WaitForDatagram(log.get(), "^<30>" + tag + "echo: pid [0-9]+ exited with status 0",
                              &seen))
      << "no exit line; datagrams:\n" << Join(seen);

  // A warning keeps its level: 28 = daemon | warning (4).
  {
    Fd b = ConnectTcp("127.0.0.1", broken_port_);
    ASSERT_TRUE(b);
    EXPECT_TRUE(ReadAll(b.get()).eof);
  }
  EXPECT_TRUE(WaitForDatagram(log.get(), "^<28>" + tag + "broken: unable to exec " +
                                             Escape(script_),
                              &seen))
      << "no exec failure warning; datagrams:\n" << Join(seen);

  // SIGUSR1 statistics reach syslog too.
  ASSERT_EQ(kill(superd.pid(), SIGUSR1), 0);
  EXPECT_TRUE(WaitForDatagram(log.get(), "^<30>" + tag + "echo: state=listening ", &seen))
      << "no statistics; datagrams:\n" << Join(seen);

  const auto exit = superd.Stop();
  ASSERT_TRUE(exit) << "superd did not stop on SIGTERM";
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << DescribeStatus(*exit);
  EXPECT_TRUE(WaitForDatagram(log.get(), "^<30>" + tag + "superd: stopped", &seen))
      << "no stop line; datagrams:\n" << Join(seen);
  // Every datagram has the form; none went to stderr instead.
  const std::regex form("^<(2[4-9]|3[01])>" + tag + "[^:\n]+: [^\n]+$");
  for (const auto& d : seen) EXPECT_TRUE(std::regex_match(d, form)) << "datagram: " << d;
  EXPECT_EQ(superd_.Log(), "") << "log lines on stderr with --syslog";
}

TEST_F(AdminSyslog, ASyslogDaemonThatDoesNotReadNeverStallsSuperd) {
  const std::string sock_path = superd_.dir() + "/log.sock";
  Fd log = BindDatagram(sock_path, false);  // never read until the end
  ASSERT_TRUE(log);
  NamespacedSuperd superd(StartInNamespace(superd_, sock_path,
                                           {"--syslog", "-c", superd_.table_path()}));
  ASSERT_GT(superd.pid(), 0);
  ASSERT_TRUE(Readable(log.get(), kTimeout)) << "nothing logged; stderr:\n" << superd_.Log();
  // Far more lines than a datagram socket queues (net.unix.max_dgram_qlen).
  const auto start = Clock::now();
  for (int i = 0; i < 40; ++i) {
    Fd c = ConnectTcp("127.0.0.1", port_, 2s);
    ASSERT_TRUE(c) << "connection " << i;
    const std::string text = "line " + std::to_string(i) + "\n";
    ASSERT_EQ(Exchange(c.get(), text, 2s).data, text)
        << "connection " << i << " not served while the syslog socket is full";
  }
  EXPECT_LT(Clock::now() - start, 10s);
  // Once the daemon reads again, it hears how many lines it lost.
  std::string heard;
  while (auto line = ReceiveDatagram(log.get(), 300ms)) heard += *line + "\n";
  {
    Fd c = ConnectTcp("127.0.0.1", port_, 2s);
    ASSERT_EQ(Exchange(c.get(), "after\n", 2s).data, "after\n");
  }
  while (auto line = ReceiveDatagram(log.get(), 300ms)) heard += *line + "\n";
  EXPECT_TRUE(std::regex_search(
      heard, std::regex("(^|\n)<28>superd\\[[0-9]+\\]: superd: [1-9][0-9]* log lines lost: "
                        "the log reader did not keep up\n")))
      << heard;
  const auto exit = superd.Stop();
  ASSERT_TRUE(exit) << "superd did not stop on SIGTERM with the syslog socket full";
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << DescribeStatus(*exit);
}

// Issue 10, fault 9: without a syslog daemon (a machine with none, or one
// that starts later), `superd --syslog` refused to start, and so did the
// SysV script. It starts, says once on stderr that lines are dropped, and
// connects once a daemon listens, telling it how many lines were lost.
TEST_F(AdminSyslog, WithoutASyslogDaemonSuperdStartsAndConnectsOnceOneListens) {
  const std::string sock_path = superd_.dir() + "/log.sock";
  NamespacedSuperd superd(
      StartInNamespace(superd_, sock_path, {"--syslog", "-c", superd_.table_path()}));
  ASSERT_GT(superd.pid(), 0);
  Fd c;  // no ready line to wait for: its port, once bound
  for (int i = 0; i < 200 && TryConnectTcp("127.0.0.1", port_, &c, 1s) != 0; ++i)
    std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(c) << "superd --syslog without a syslog daemon does not serve\n" << superd_.Log();
  EXPECT_EQ(Exchange(c.get(), "no syslog\n").data, "no syslog\n");
  EXPECT_EQ(superd_.Log(),
            "superd: warning: unable to connect to /dev/log: No such file or directory; log "
            "lines are counted and dropped until a syslog daemon listens there\n");
  // The daemon starts; superd tries again (after a second) at its next line.
  Fd log = BindDatagram(sock_path, false);
  ASSERT_TRUE(log);
  std::optional<std::string> first;
  for (int i = 0; i < 100 && !first; ++i) {
    ASSERT_EQ(kill(superd.pid(), SIGUSR1), 0);
    first = ReceiveDatagram(log.get(), 100ms);
  }
  ASSERT_TRUE(first) << "superd never connected to the syslog daemon";
  EXPECT_TRUE(std::regex_search(*first, std::regex("^<28>superd\\[[0-9]+\\]: superd: [1-9][0-9]* "
                                                   "log lines lost")))
      << *first;
  const auto exit = superd.Stop();
  ASSERT_TRUE(exit);
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << DescribeStatus(*exit);
}

// Once connected, superd lost every later line when the syslog daemon
// restarted (its new socket is another one); it connects again.
TEST_F(AdminSyslog, ARestartedSyslogDaemonHearsTheNextLines) {
  const std::string sock_path = superd_.dir() + "/log.sock";
  std::optional<Fd> log(BindDatagram(sock_path, false));
  NamespacedSuperd superd(
      StartInNamespace(superd_, sock_path, {"--syslog", "-c", superd_.table_path()}));
  ASSERT_GT(superd.pid(), 0);
  std::vector<std::string> seen;
  ASSERT_TRUE(WaitForDatagram(log->get(), "superd: ready: ", &seen)) << superd_.Log();
  log.reset();  // the daemon stops ...
  unlink(sock_path.c_str());
  log.emplace(BindDatagram(sock_path, false));  // ... and starts again
  ASSERT_EQ(kill(superd.pid(), SIGUSR1), 0);
  EXPECT_TRUE(WaitForDatagram(log->get(), "echo: state=listening ", &seen))
      << "nothing reached the restarted daemon: " << Join(seen);
  EXPECT_EQ(superd_.Log(), "");
  const auto exit = superd.Stop();
  ASSERT_TRUE(exit);
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << DescribeStatus(*exit);
}

}  // namespace
}  // namespace e2e
