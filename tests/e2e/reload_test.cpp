// SIGHUP reload (SPEC "Signals"; issue 6 item 1): the table is reread from
// the same path, and
// - under load, not one connection is refused or lost, and the kept socket is
//   the same socket (same inode) before and after;
// - added services answer, removed ones stop listening while their running
//   instances finish undisturbed, changed settings apply to new connections;
// - an invalid table (YAML or semantic) changes nothing and is logged with
//   FILE:LINE:COL; a socket that cannot be bound abandons the whole reload;
// - many reloads in quick succession leave superd serving the last table;
// - sd_notify: RELOADING=1 (with MONOTONIC_USEC) then READY=1 around every
//   reload, abandoned or not, between the READY=1 of the start and the
//   STOPPING=1 of the stop;
// - a service that keeps its name keeps its counters (SIGUSR1).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace e2e {
namespace {

std::string Escape(const std::string& text) {
  return std::regex_replace(text, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
}

bool ExitedZero(const std::optional<int>& status) {
  return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

// Replaces the table in one step (write aside, rename over it), so that a
// reload running while the test writes never reads half a table.
void ReplaceTable(const Superd& superd, const std::string& yaml) {
  const std::string next = superd.dir() + "/superd.yaml.next";
  {
    std::ofstream out(next, std::ios::trunc | std::ios::binary);
    out << superd.TableText(yaml);
  }
  ASSERT_EQ(std::rename(next.c_str(), superd.table_path().c_str()), 0)
      << std::strerror(errno);
}

// Asks superd to reread its table.
void Hup(const Superd& superd) { ASSERT_EQ(kill(superd.pid(), SIGHUP), 0); }

const char* kReloaded = "^info: superd: reloaded: ";
const char* kReloading = "^info: superd: reloading ";

// How many of lines [from, to) match `regex`.
int CountBetween(const std::vector<std::string>& lines, const std::string& regex, int from,
                 int to) {
  const std::regex re(regex);
  int n = 0;
  for (int i = std::max(from, 0); i < to && i < static_cast<int>(lines.size()); ++i)
    n += std::regex_search(lines[i], re) ? 1 : 0;
  return n;
}

// The inode of the socket listening on 127.0.0.1:port (TCP), from
// /proc/net/tcp; nothing when no socket listens there.
std::optional<unsigned long> ListeningInode(uint16_t port) {
  const std::vector<std::string> f = ListeningTcpFields(port);
  if (f.empty()) return std::nullopt;
  return std::stoul(f[9]);
}

// Whether process `pid` holds the socket with `inode` among its descriptors.
bool HoldsSocket(pid_t pid, unsigned long inode) {
  const std::string want = "socket:[" + std::to_string(inode) + "]";
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code link_ec;
    if (std::filesystem::read_symlink(entry.path(), link_ec).string() == want) return true;
  }
  return false;
}

// "Tuesday, November 24, 2026 13:09:56 CET\r\n"
bool IsDaytime(const std::string& text) {
  return std::regex_match(
      text, std::regex("[A-Z][a-z]+, [A-Z][a-z]+ [0-9]{2}, [0-9]{4} "
                       "[0-9]{2}:[0-9]{2}:[0-9]{2} [^\r\n]*\r\n"));
}

// One daytime exchange: what the program sent, and a description of what
// went wrong (empty when it was daytime's line and a clean end).
std::string DaytimeProblem(uint16_t port) {
  Fd c;
  if (const int error = TryConnectTcp("127.0.0.1", port, &c); error != 0)
    return std::string("connect: ") + std::strerror(error);
  const ReadResult r = ReadAll(c.get(), 5s);
  if (r.timed_out) return "no end of input within 5 s; got \"" + r.data + "\"";
  if (r.reset) return "reset; got \"" + r.data + "\"";
  if (!IsDaytime(r.data)) return "not a daytime line: \"" + r.data + "\"";
  return "";
}

// One echo exchange of `payload`; empty when it came back whole and the
// connection ended cleanly, else what went wrong.
std::string EchoProblem(uint16_t port, const std::string& payload,
                        std::chrono::milliseconds timeout = 5s) {
  Fd c;
  if (const int error = TryConnectTcp("127.0.0.1", port, &c, timeout); error != 0)
    return std::string("connect: ") + std::strerror(error);
  const ReadResult r = Exchange(c.get(), payload, timeout);
  if (r.timed_out) return "timed out; got " + std::to_string(r.data.size()) + " bytes";
  if (r.reset) return "reset after " + std::to_string(r.data.size()) + " bytes";
  if (r.data != payload)
    return "reply \"" + r.data + "\" instead of \"" + payload + "\"";
  return "";
}

// Whether a connection to 127.0.0.1:port is refused.
bool Refused(uint16_t port) {
  Fd c;
  return TryConnectTcp("127.0.0.1", port, &c, 2s) == ECONNREFUSED;
}

// A client connecting to an echo service over and over in a thread: every
// connection sends a few bytes and must get them back, then a clean end.
class EchoLoop {
 public:
  explicit EchoLoop(uint16_t port) : port_(port), thread_([this] { Run(); }) {}
  ~EchoLoop() { Finish(); }

  void Finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int ok() const { return ok_; }
  std::vector<std::string> failures() {
    std::lock_guard<std::mutex> lock(mutex_);
    return failures_;
  }

 private:
  void Run() {
    for (int i = 0; !stop_; ++i) {
      const std::string payload = "ping " + std::to_string(i) + "\n";
      const std::string problem = EchoProblem(port_, payload);
      if (problem.empty()) {
        ++ok_;
      } else {
        std::lock_guard<std::mutex> lock(mutex_);
        failures_.push_back("connection " + std::to_string(i) + ": " + problem);
      }
    }
  }

  uint16_t port_;
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0};
  std::mutex mutex_;
  std::vector<std::string> failures_;
  std::thread thread_;
};

std::string Head(const std::vector<std::string>& lines, size_t n = 10) {
  std::string out;
  for (size_t i = 0; i < lines.size() && i < n; ++i) out += "  " + lines[i] + "\n";
  if (lines.size() > n) out += "  ... " + std::to_string(lines.size() - n) + " more\n";
  return out;
}

// --- 1. under load ---------------------------------------------------------------

TEST(Reload, TwentyReloadsUnderLoadLoseNoConnectionAndKeepTheSameSocket) {
  Superd superd;
  const uint16_t port = PickPort();
  const auto table = [&](int round) {
    return "services:\n" + ServiceEntry("echo", "127.0.0.1:" + Str(port), ServiceBinary("echo"),
                                        "    env: {ROUND: \"" + std::to_string(round) + "\"}\n");
  };
  superd.WriteTable(table(0));
  ASSERT_TRUE(superd.Start());
  const auto inode_before = ListeningInode(port);
  ASSERT_TRUE(inode_before) << "nothing listens on 127.0.0.1:" << port;
  ASSERT_TRUE(HoldsSocket(superd.pid(), *inode_before));

  EchoLoop loop(port);
  // The client completes kBetween connections before the first reload,
  // between any two and after the last: every reload happens while it
  // connects, however fast or slow the machine. Each reload is waited for
  // before the next SIGHUP, which would otherwise coalesce with it.
  constexpr int kReloads = 20, kBetween = 6;
  const auto some_connections = [&] {
    const int from = loop.ok();
    return WaitUntil([&] { return loop.ok() >= from + kBetween; });
  };
  const auto stalled = [&] {
    return "the client stalled at " + std::to_string(loop.ok()) + " connections; failures:\n" +
           Head(loop.failures());
  };
  ASSERT_TRUE(some_connections()) << stalled();
  for (int i = 1; i <= kReloads; ++i) {
    // Every other reload changes the table (an env value), the others reread
    // it unchanged.
    if (i % 2 == 1) superd.WriteTable(table(i));
    Hup(superd);
    ASSERT_TRUE(superd.WaitForLogCount(kReloaded, i))
        << "reload " << i << " did not end:\n" << superd.Log();
    ASSERT_TRUE(some_connections()) << stalled();
  }
  loop.Finish();

  const auto failures = loop.failures();
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed connections (" << loop.ok()
                                << " good) during " << kReloads << " reloads:\n"
                                << Head(failures);
  EXPECT_GE(loop.ok(), (kReloads + 1) * kBetween);
  EXPECT_EQ(superd.CountLog(kReloaded), static_cast<size_t>(kReloads));
  EXPECT_EQ(superd.CountLog("reload abandoned"), 0u);
  EXPECT_EQ(superd.CountLog(Escape("(1 sockets kept, 0 opened, 0 closed)") + "$"),
            static_cast<size_t>(kReloads))
      << "every reload must keep the one socket";

  const auto inode_after = ListeningInode(port);
  ASSERT_TRUE(inode_after) << "nothing listens on 127.0.0.1:" << port << " after the reloads";
  EXPECT_EQ(*inode_after, *inode_before) << "the listening socket was replaced";
  EXPECT_TRUE(HoldsSocket(superd.pid(), *inode_after));
  // The last table is the one in effect.
  EXPECT_EQ(EchoProblem(port, "after\n"), "");
  EXPECT_TRUE(ExitedZero(superd.Stop()));
  RecordProperty("connections", loop.ok());
}

// --- 2. add, remove, change -----------------------------------------------------------

TEST(Reload, AddsRemovesAndChangesServicesWhileARemovedInstanceFinishes) {
  Superd superd;
  const uint16_t p1 = PickPort(), p2 = PickPort(), p3 = PickPort();
  const std::string echo = ServiceBinary("echo"), daytime = ServiceBinary("daytime");
  superd.WriteTable("services:\n" +
                    ServiceEntry("keep", "127.0.0.1:" + Str(p1), daytime) +
                    ServiceEntry("gone", "127.0.0.1:" + Str(p2), HelperBinary("sleeper"),
                                 "    args: [\"--until-eof\"]\n"));
  ASSERT_TRUE(superd.Start());
  EXPECT_EQ(DaytimeProblem(p1), "");
  EXPECT_TRUE(Refused(p3));
  const auto keep_inode = ListeningInode(p1);
  ASSERT_TRUE(keep_inode);

  // One instance of `gone` running.
  Fd gone = ConnectTcp("127.0.0.1", p2);
  ASSERT_TRUE(gone);
  const ReadResult hello = ReadUntil(gone.get(), "ready\n");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(hello.data, m, std::regex("^pid=([0-9]+)\n"))) << hello.data;
  const std::string gone_pid = m[1].str();
  ASSERT_NE(hello.data.find("ready\n"), std::string::npos) << hello.data;

  superd.WriteTable("services:\n" +
                    ServiceEntry("keep", "127.0.0.1:" + Str(p1), echo) +
                    ServiceEntry("new", "127.0.0.1:" + Str(p3), daytime));
  Hup(superd);
  const auto reloaded = superd.WaitForLog(std::string(kReloaded) + "(.*)$");
  ASSERT_TRUE(reloaded) << superd.Log();
  EXPECT_EQ((*reloaded)[1],
            "2 services listening on 2 sockets, 1 instances running "
            "(1 sockets kept, 1 opened, 1 closed)");
  EXPECT_TRUE(superd.WaitForLog("^info: gone: removed; 1 instances left to finish$", 1s))
      << superd.Log();

  // The removed port refuses at once, the new one answers, the changed
  // service runs its new program on the same socket.
  EXPECT_TRUE(Refused(p2)) << "removed service still listening on " << p2;
  EXPECT_EQ(DaytimeProblem(p3), "") << "new service";
  EXPECT_EQ(EchoProblem(p1, "changed program\n"), "") << "kept service with a new program";
  EXPECT_EQ(ListeningInode(p1), keep_inode) << "kept socket replaced";
  EXPECT_FALSE(ListeningInode(p2)) << "a socket still listens on the removed port";

  // The running instance of the removed service finishes undisturbed: once
  // the instances of those exchanges have ended, a SIGUSR1 report still
  // counts it running; it lives until its client ends the input (after the
  // report), then exits on its own, status 0, and the client gets a clean
  // end.
  ASSERT_TRUE(superd.WaitForLogCount("^info: keep: pid [0-9]+ exited", 2)) << superd.Log();
  ASSERT_TRUE(superd.WaitForLogCount("^info: new: pid [0-9]+ exited", 1)) << superd.Log();
  ASSERT_EQ(kill(superd.pid(), SIGUSR1), 0);
  const auto report = superd.WaitForLog("^info: superd: stats: (.*)$");
  ASSERT_TRUE(report) << superd.Log();
  EXPECT_EQ((*report)[1], "2 services listening on 2 sockets, 1 instances running")
      << "removed service's instance ended early:\n" << superd.Log();
  EXPECT_FALSE(ProcessGone(std::stoi(gone_pid))) << "removed service's instance ended early";
  ASSERT_EQ(shutdown(gone.get(), SHUT_WR), 0);
  const ReadResult rest = ReadAll(gone.get());
  EXPECT_TRUE(rest.eof && !rest.reset && !rest.timed_out)
      << "eof=" << rest.eof << " reset=" << rest.reset << " timed_out=" << rest.timed_out;
  EXPECT_EQ(rest.data, "") << "sleeper writes nothing after ready";
  const std::string gone_end = "^info: gone: pid " + gone_pid + " ";
  ASSERT_TRUE(superd.WaitForLog(gone_end)) << superd.Log();
  const auto lines = superd.LogLines();
  EXPECT_TRUE(std::regex_search(lines[IndexOf(lines, gone_end)],
                                std::regex(gone_end + "exited with status 0 after [0-9.]+s$")))
      << superd.Log();
  EXPECT_GT(IndexOf(lines, gone_end), IndexOf(lines, "^info: superd: stats: "))
      << "removed service's instance ended before its client ended the input:\n"
      << superd.Log();
  EXPECT_EQ(superd.CountLog("^(warning|error): "), 0u) << superd.Log();
  EXPECT_TRUE(ExitedZero(superd.Stop()));
}

// --- 3. broken table --------------------------------------------------------------------

TEST(Reload, InvalidTableIsLoggedWithItsPositionAndChangesNothing) {
  Superd superd;
  const uint16_t p1 = PickPort(), p2 = PickPort();
  const std::map<std::string, std::string> vars = {
      {"P1", Str(p1)}, {"P2", Str(p2)}, {"ECHO", ServiceBinary("echo")},
      {"DAYTIME", ServiceBinary("daytime")}};
  superd.WriteTable(Subst(
      "services:\n"
      "  keep:\n"
      "    listen: \"127.0.0.1:${P1}\"\n"
      "    program: ${DAYTIME}\n",
      vars));
  // Unprivileged, for the third kind of refusal below.
  ASSERT_TRUE(superd.Start(Unprivileged()));
  const auto inode = ListeningInode(p1);
  ASSERT_TRUE(inode);
  const std::string path = Escape(superd.table_path());
  const auto unchanged = [&](const std::string& after) {
    EXPECT_EQ(DaytimeProblem(p1), "") << "after " << after << ": old program replaced";
    EXPECT_TRUE(Refused(p2)) << "after " << after << ": service of the broken table listens";
    EXPECT_EQ(ListeningInode(p1), inode) << "after " << after << ": socket replaced";
    EXPECT_EQ(superd.CountLog(kReloaded), 0u) << superd.Log();
  };
  // `keep` now running echo, and an `extra` service of these lines.
  const auto with_extra = [&vars](const std::string& extra) {
    return Subst(
        "services:\n"
        "  keep:\n"
        "    listen: \"127.0.0.1:${P1}\"\n"
        "    program: ${ECHO}\n"
        "  extra:\n" + extra,
        vars);
  };

  // A YAML error: the flow sequence is never closed.
  superd.WriteTable(with_extra(
      "    listen: [\"127.0.0.1:${P2}\"\n"
      "    program: ${ECHO}\n"));
  Hup(superd);
  ASSERT_TRUE(superd.WaitForLog("^error: superd: reload abandoned: " + path +
                                ":[0-9]+:[0-9]+: error: .+$"))
      << superd.Log();
  EXPECT_TRUE(superd.WaitForLog(kReloading + path + "$", 0ms));
  unchanged("a YAML error");

  // A semantic error: an unknown key, line 8 column 5.
  superd.WriteTable(with_extra(
      "    listen: \"127.0.0.1:${P2}\"\n"
      "    program: ${ECHO}\n"
      "    colour: red\n"));
  Hup(superd);
  ASSERT_TRUE(superd.WaitForLog("^error: superd: reload abandoned: " + path +
                                ":8:5: error: unknown key 'colour'"))
      << superd.Log();
  EXPECT_TRUE(superd.WaitForLogCount(kReloading, 2, 0ms));
  // Exactly one problem, so one line for it (counted once the next reload
  // has begun: a reload logs all its problems before that).
  unchanged("an unknown key");

  // A valid table with a user this superd may not switch to.
  superd.WriteTable(with_extra(
      "    listen: \"127.0.0.1:${P2}\"\n"
      "    program: ${ECHO}\n"
      "    user: nobody\n"));
  Hup(superd);
  ASSERT_TRUE(superd.WaitForLog(
      "^error: superd: reload abandoned: superd may not switch users; nothing changed$"))
      << superd.Log();
  EXPECT_EQ(superd.CountLog("^error: extra: cannot run as user nobody: "), 1u) << superd.Log();
  unchanged("a user superd may not switch to");
  {
    const auto lines = superd.LogLines();
    const std::string abandoned = "^error: superd: reload abandoned: ";
    for (int n = 1; n <= 2; ++n) {
      EXPECT_EQ(CountBetween(lines, abandoned, IndexOf(lines, kReloading, n),
                             IndexOf(lines, kReloading, n + 1)),
                1)
          << "reload " << n << " of a table with one problem:\n" << superd.Log();
    }
  }

  // And superd still takes a good table afterwards.
  superd.WriteTable(with_extra(
      "    listen: \"127.0.0.1:${P2}\"\n"
      "    program: ${DAYTIME}\n"));
  Hup(superd);
  ASSERT_TRUE(superd.WaitForLog(kReloaded)) << superd.Log();
  EXPECT_EQ(EchoProblem(p1, "fixed\n"), "");
  EXPECT_EQ(DaytimeProblem(p2), "");
  EXPECT_TRUE(ExitedZero(superd.Stop()));
}

// --- 4. a port that cannot be bound --------------------------------------------------------

TEST(Reload, ASocketThatCannotBeBoundAbandonsTheWholeReload) {
  Superd superd;
  const uint16_t p1 = PickPort(), p2 = PickPort(), fresh = PickPort(), held = PickPort();
  const std::string echo = ServiceBinary("echo"), daytime = ServiceBinary("daytime");
  superd.WriteTable("services:\n" +
                    ServiceEntry("keep", "127.0.0.1:" + Str(p1), daytime) +
                    ServiceEntry("gone", "127.0.0.1:" + Str(p2), echo));
  ASSERT_TRUE(superd.Start());
  const auto inode = ListeningInode(p1);
  ASSERT_TRUE(inode);
  Fd holder = HoldPort(held);
  ASSERT_TRUE(holder);

  // Table B: keep changes its program, gone goes, fresh is bound (before the
  // failing one), blocked cannot be bound.
  superd.WriteTable("services:\n" +
                    ServiceEntry("keep", "127.0.0.1:" + Str(p1), echo) +
                    ServiceEntry("fresh", "127.0.0.1:" + Str(fresh), daytime) +
                    ServiceEntry("blocked", "127.0.0.1:" + Str(held), daytime));
  Hup(superd);
  ASSERT_TRUE(superd.WaitForLog(
      "^error: superd: reload abandoned: a new socket could not be bound; nothing changed$"))
      << superd.Log();
  EXPECT_TRUE(superd.WaitForLog("^error: blocked: unable to bind 127\\.0\\.0\\.1:" + Str(held) +
                                    ": .+$",
                                0ms))
      << superd.Log();
  EXPECT_EQ(superd.CountLog(kReloaded), 0u) << superd.Log();

  // Nothing of B applied.
  EXPECT_EQ(DaytimeProblem(p1), "") << "keep's new program applied by an abandoned reload";
  EXPECT_EQ(ListeningInode(p1), inode) << "keep's socket replaced";
  EXPECT_EQ(EchoProblem(p2, "still here\n"), "") << "gone removed by an abandoned reload";
  EXPECT_TRUE(Refused(fresh)) << "fresh's port opened by an abandoned reload";
  EXPECT_FALSE(ListeningInode(fresh));
  EXPECT_TRUE(superd.Running());

  // With the port free, the same table goes through.
  holder.Reset();
  Hup(superd);
  const auto reloaded = superd.WaitForLog(std::string(kReloaded) + "(.*)$");
  ASSERT_TRUE(reloaded) << superd.Log();
  EXPECT_EQ((*reloaded)[1],
            "3 services listening on 3 sockets, 0 instances running "
            "(1 sockets kept, 2 opened, 1 closed)");
  EXPECT_EQ(EchoProblem(p1, "now echo\n"), "");
  EXPECT_EQ(DaytimeProblem(fresh), "");
  EXPECT_EQ(DaytimeProblem(held), "");
  EXPECT_TRUE(Refused(p2));
  EXPECT_TRUE(ExitedZero(superd.Stop()));
}

// --- 5. many quick reloads ----------------------------------------------------------------

TEST(Reload, FiftyQuickReloadsWithAChangingTableLeaveTheLastTableServing) {
  Superd superd;
  const uint16_t echo = PickPort(), flip = PickPort(), change = PickPort(),
                 report = PickPort(), hold = PickPort();
  constexpr int kReloads = 50;
  // Round i: `flip` exists in even rounds only, `change` alternates between
  // daytime and echo, `report` (the contract helper) carries ROUND=i.
  const auto table = [&](int round) {
    const std::string env = "    env: {ROUND: \"" + std::to_string(round) + "\"}\n";
    std::string yaml =
        "services:\n" +
        ServiceEntry("echo", "127.0.0.1:" + Str(echo), ServiceBinary("echo"), env) +
        ServiceEntry("change", "127.0.0.1:" + Str(change),
                     ServiceBinary(round % 2 ? "echo" : "daytime")) +
        ServiceEntry("report", "127.0.0.1:" + Str(report), HelperBinary("contract"), env) +
        ServiceEntry("hold", "127.0.0.1:" + Str(hold), HelperBinary("sleeper"),
                     "    args: [\"--until-eof\"]\n");
    if (round % 2 == 0)
      yaml += ServiceEntry("flip", "127.0.0.1:" + Str(flip), ServiceBinary("daytime"));
    return yaml;
  };
  superd.WriteTable(table(0));
  ASSERT_TRUE(superd.Start());
  // Children running through it all: one held instance, and four clients
  // connecting over and over (so that instances are always being started).
  Fd held = ConnectTcp("127.0.0.1", hold);
  ASSERT_TRUE(held);
  ASSERT_NE(ReadUntil(held.get(), "ready\n").data.find("ready\n"), std::string::npos);
  std::vector<std::unique_ptr<EchoLoop>> loops;
  for (int i = 0; i < 4; ++i) loops.push_back(std::make_unique<EchoLoop>(echo));
  for (auto& loop : loops)
    ASSERT_TRUE(WaitUntil([&] { return loop->ok() >= 1; }))
        << "a client got no connection through; failures:\n" << Head(loop->failures());

  for (int i = 1; i <= kReloads; ++i) {
    ReplaceTable(superd, table(i));
    Hup(superd);
  }
  ASSERT_TRUE(superd.Running()) << superd.Log();
  // Signals coalesce, and a SIGHUP that comes during a reload is served
  // after it. Once no SIGHUP is pending, every one has been taken; a SIGUSR1
  // sent then is handled after them, between two loop callbacks: if every
  // reload begun before its report has ended before it, none is under way
  // and none is to come. Until then, ask again.
  ASSERT_TRUE(WaitUntil([&] { return !SignalPending(superd.pid(), SIGHUP); }))
      << "superd never took the last SIGHUP";
  const auto settled_before = [&](int reports) {
    const auto lines = superd.LogLines();
    const int at = IndexOf(lines, "^info: superd: stats: ", reports);
    const int begun = CountBetween(lines, kReloading, 0, at);
    return begun > 0 &&
           begun == CountBetween(lines, kReloaded, 0, at) +
                        CountBetween(lines, "^error: superd: reload abandoned: a new", 0, at);
  };
  int reports = 0;
  bool settled = false;
  for (const auto deadline = Clock::now() + kTimeout; !settled && Clock::now() < deadline;) {
    ASSERT_EQ(kill(superd.pid(), SIGUSR1), 0);
    ++reports;
    ASSERT_TRUE(superd.WaitForLogCount("^info: superd: stats: ", reports)) << superd.Log();
    settled = settled_before(reports);
  }
  ASSERT_TRUE(settled) << superd.Log();
  for (auto& loop : loops) loop->Finish();
  const size_t reloads = superd.CountLog(kReloaded);
  EXPECT_GE(reloads, 1u);
  RecordProperty("reloads", static_cast<int>(reloads));
  // Every table of the run is valid and binds only ports that are free once
  // the previous table is in effect: no reload may be abandoned. (`flip`'s
  // port, closed by one reload and bound again by the next, is where it
  // shows if a closed listener lives on in an instance not yet past exec.)
  std::vector<std::string> abandoned, outcomes;
  for (const auto& line : superd.LogLines()) {
    if (std::regex_search(line, std::regex("^error: ")) ||
        std::regex_search(line, std::regex(kReloaded)))
      outcomes.push_back(line);
    if (std::regex_search(line, std::regex("^error: "))) abandoned.push_back(line);
  }
  EXPECT_TRUE(abandoned.empty()) << abandoned.size() << " error lines in " << reloads
                                 << " reloads:\n" << Head(abandoned);

  std::vector<std::string> failures;
  int good = 0;
  for (size_t i = 0; i < loops.size(); ++i) {
    good += loops[i]->ok();
    for (const auto& f : loops[i]->failures())
      failures.push_back("client " + std::to_string(i) + ", " + f);
  }
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed connections ("
                                << good
                                << " good) on the kept echo service:\n"
                                << Head(failures);

  // The last table (round 50) is the one in effect.
  ASSERT_FALSE(outcomes.empty());
  EXPECT_TRUE(std::regex_search(outcomes.back(), std::regex(kReloaded)))
      << "the last reload was not applied: " << outcomes.back();
  EXPECT_EQ(EchoProblem(echo, "last\n"), "");
  EXPECT_EQ(DaytimeProblem(change), "") << "change runs daytime in round 50";
  EXPECT_EQ(DaytimeProblem(flip), "") << "flip exists in round 50";
  {
    Fd c = ConnectTcp("127.0.0.1", report);
    ASSERT_TRUE(c);
    const auto env = EnvOf(ParseReport(ReadAll(c.get()).data));
    EXPECT_EQ(env.count("ROUND") ? env.at("ROUND") : "(none)", std::to_string(kReloads));
  }
  // Rereading it keeps every socket, opens and closes none.
  Hup(superd);
  ASSERT_TRUE(superd.WaitForLogCount(kReloaded, reloads + 1)) << superd.Log();
  const auto last = superd.LogLines();
  std::string again;
  for (const auto& line : last)
    if (std::regex_search(line, std::regex(kReloaded))) again = line;
  EXPECT_TRUE(std::regex_search(
      again, std::regex("reloaded: 5 services listening on 5 sockets, [0-9]+ instances running " +
                        Escape("(5 sockets kept, 0 opened, 0 closed)") + "$")))
      << again;
  // The held instance lived through every reload.
  EXPECT_EQ(superd.CountLog("^info: hold: pid [0-9]+ (exited|killed)"), 0u) << superd.Log();
  held.Reset();
  EXPECT_TRUE(superd.WaitForLog("^info: hold: pid [0-9]+ exited with status 0")) << superd.Log();

  const auto status = superd.Stop();
  ASSERT_TRUE(status) << "superd did not exit after SIGTERM";
  EXPECT_TRUE(ExitedZero(status)) << DescribeStatus(*status);
}

// --- 6. sd_notify ------------------------------------------------------------------------

struct Message {
  std::string text;
  pid_t sender = 0;
  std::map<std::string, std::string> fields;
  // READY, RELOADING or STOPPING; empty for a mere status update.
  std::string kind;
};

std::optional<Message> Receive(int fd, std::chrono::milliseconds timeout) {
  const auto d = ReceiveWithSender(fd, timeout);
  if (!d) return std::nullopt;
  Message m{d->data, d->sender, ParseNotify(d->data), ""};
  for (const char* kind : {"READY", "RELOADING", "STOPPING"}) {
    if (m.fields.count(kind) != 0) m.kind += (m.kind.empty() ? "" : "+") + std::string(kind);
  }
  return m;
}

// The next message that is not a mere status update.
std::optional<Message> NextEvent(int fd, std::vector<Message>* all) {
  while (auto m = Receive(fd, kTimeout)) {
    all->push_back(*m);
    if (!m->kind.empty()) return m;
  }
  return std::nullopt;
}

std::string Printable(const std::vector<Message>& messages) {
  std::string out;
  for (const auto& m : messages) {
    out += "  [";
    for (char c : m.text) out += c == '\n' ? std::string("\\n") : std::string(1, c);
    out += "] from pid " + std::to_string(m.sender) + "\n";
  }
  return out;
}

long long MonotonicUsec() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000000LL + now.tv_nsec / 1000;
}

TEST(Reload, NotifiesReloadingThenReadyAroundEveryReloadBetweenStartAndStop) {
  Superd superd;
  const std::string path = superd.dir() + "/notify.sock";
  Fd manager = BindDatagram(path, true);
  ASSERT_TRUE(manager);
  const uint16_t p1 = PickPort(), p2 = PickPort();
  const std::string echo = ServiceBinary("echo");
  superd.WriteTable("services:\n" + ServiceEntry("one", "127.0.0.1:" + Str(p1), echo));
  {
    ScopedEnv env("NOTIFY_SOCKET", path);
    ASSERT_TRUE(superd.Start());
  }
  std::vector<Message> all;
  const auto expect = [&](const std::string& kind, const std::string& when) {
    auto m = NextEvent(manager.get(), &all);
    EXPECT_TRUE(m) << "no " << kind << " " << when << "; messages so far:\n"
                   << Printable(all) << "log:\n" << superd.Log();
    if (!m) return std::optional<Message>();
    EXPECT_EQ(m->kind, kind) << when << "; messages so far:\n" << Printable(all);
    EXPECT_EQ(m->sender, superd.pid()) << "not sent by superd's main process";
    return m;
  };

  auto ready = expect("READY", "at start");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->fields["READY"], "1");

  // A good reload: RELOADING=1 with the time it began, then READY=1.
  superd.WriteTable("services:\n" +
                    ServiceEntry("one", "127.0.0.1:" + Str(p1), echo) +
                    ServiceEntry("two", "127.0.0.1:" + Str(p2), echo));
  const long long before = MonotonicUsec();
  Hup(superd);
  auto reloading = expect("RELOADING", "after a good reload");
  const long long after = MonotonicUsec();
  ASSERT_TRUE(reloading);
  EXPECT_EQ(reloading->fields["RELOADING"], "1");
  const std::string usec = reloading->fields["MONOTONIC_USEC"];
  ASSERT_TRUE(std::regex_match(usec, std::regex("[0-9]+")))
      << "MONOTONIC_USEC=\"" << usec << "\" in:\n" << Printable({*reloading});
  EXPECT_GE(std::stoll(usec), before) << "MONOTONIC_USEC not CLOCK_MONOTONIC of the reload";
  EXPECT_LE(std::stoll(usec), after) << "MONOTONIC_USEC not CLOCK_MONOTONIC of the reload";
  auto ready2 = expect("READY", "after RELOADING=1 of a good reload");
  ASSERT_TRUE(ready2);
  EXPECT_EQ(ready2->fields["READY"], "1");
  EXPECT_TRUE(std::regex_search(ready2->fields["STATUS"], std::regex("^2 services listening")))
      << "STATUS=" << ready2->fields["STATUS"];
  ASSERT_TRUE(superd.WaitForLog(kReloaded)) << superd.Log();
  EXPECT_EQ(EchoProblem(p2, "two\n"), "");

  // An abandoned reload: the same pair.
  superd.WriteTable("services: [\n");
  Hup(superd);
  auto reloading2 = expect("RELOADING", "after an abandoned reload");
  ASSERT_TRUE(reloading2);
  EXPECT_TRUE(std::regex_match(reloading2->fields["MONOTONIC_USEC"], std::regex("[0-9]+")))
      << Printable({*reloading2});
  auto ready3 = expect("READY", "after RELOADING=1 of an abandoned reload");
  ASSERT_TRUE(ready3);
  EXPECT_TRUE(std::regex_search(ready3->fields["STATUS"], std::regex("^2 services listening")))
      << "STATUS=" << ready3->fields["STATUS"];
  ASSERT_TRUE(superd.WaitForLog("^error: superd: reload abandoned: ")) << superd.Log();

  ASSERT_EQ(kill(superd.pid(), SIGTERM), 0);
  auto stopping = expect("STOPPING", "after SIGTERM");
  ASSERT_TRUE(stopping);
  EXPECT_EQ(stopping->fields["STOPPING"], "1");
  EXPECT_TRUE(ExitedZero(superd.WaitExit()));
  // superd has exited: whatever it sent is queued here already.
  while (auto late = Receive(manager.get(), 0ms)) all.push_back(*late);

  std::vector<std::string> kinds;
  for (const auto& m : all)
    if (!m.kind.empty()) kinds.push_back(m.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"READY", "RELOADING", "READY", "RELOADING", "READY",
                                             "STOPPING"}))
      << Printable(all);
}

// --- 7. counters ----------------------------------------------------------------------------

// `sndbuf` and `rcvbuf` apply to a socket a reload keeps, so connections
// accepted after it inherit the new sizes; and a service that drops them
// gets the kernel's defaults back: its connections then have the buffers of
// those of a service that never set any.
TEST(Reload, SocketBufferSizesApplyToTheSocketItKeeps) {
  Superd superd;
  const uint16_t port = PickPort(), plain = PickPort();
  const auto table = [&](const std::string& extra) {
    return "services:\n" +
           ServiceEntry("svc", "127.0.0.1:" + Str(port), HelperBinary("contract"), extra) +
           ServiceEntry("plain", "127.0.0.1:" + Str(plain), HelperBinary("contract"));
  };
  const auto ask = [](uint16_t p) {
    Fd c = ConnectTcp("127.0.0.1", p);
    return c ? ParseReport(ReadAll(c.get()).data) : Report{};
  };
  superd.WriteTable(table("    sndbuf: 48k\n    rcvbuf: 96k\n"));
  ASSERT_TRUE(superd.Start());
  Report r = ask(port);
  EXPECT_EQ(r["sndbuf"], KernelBufferSize(48 * 1024, false));
  EXPECT_EQ(r["rcvbuf"], KernelBufferSize(96 * 1024, true));
  const auto inode = ListeningInode(port);
  ASSERT_TRUE(inode);

  ReplaceTable(superd, table("    sndbuf: 40k\n    rcvbuf: 80k\n"));
  Hup(superd);
  ASSERT_TRUE(superd.WaitForLog(kReloaded)) << superd.Log();
  r = ask(port);
  EXPECT_EQ(r["sndbuf"], KernelBufferSize(40 * 1024, false));
  EXPECT_EQ(r["rcvbuf"], KernelBufferSize(80 * 1024, true));
  EXPECT_EQ(ListeningInode(port), inode) << "the socket was replaced, not kept";

  ReplaceTable(superd, table(""));
  Hup(superd);
  ASSERT_TRUE(superd.WaitForLogCount(kReloaded, 2)) << superd.Log();
  r = ask(port);
  Report base = ask(plain);
  ASSERT_FALSE(base["sndbuf"].empty()) << superd.Log();
  EXPECT_NE(r["sndbuf"], KernelBufferSize(40 * 1024, false));
  EXPECT_NE(r["rcvbuf"], KernelBufferSize(80 * 1024, true));
  EXPECT_EQ(r["sndbuf"], base["sndbuf"]);
  EXPECT_EQ(r["rcvbuf"], base["rcvbuf"]);
  EXPECT_EQ(ListeningInode(port), inode);
  EXPECT_TRUE(ExitedZero(superd.Stop()));
}

TEST(Reload, AServiceThatKeepsItsNameKeepsItsCounters) {
  Superd superd;
  const uint16_t port = PickPort();
  const auto table = [&](const std::string& program) {
    return "services:\n" + ServiceEntry("svc", "127.0.0.1:" + Str(port), ServiceBinary(program));
  };
  superd.WriteTable(table("daytime"));
  ASSERT_TRUE(superd.Start());
  constexpr int kBefore = 3, kAfter = 4;
  for (int i = 0; i < kBefore; ++i) EXPECT_EQ(DaytimeProblem(port), "");
  ASSERT_TRUE(superd.WaitForLogCount("^info: svc: pid [0-9]+ exited with status 0", kBefore))
      << superd.Log();

  superd.WriteTable(table("echo"));
  Hup(superd);
  ASSERT_TRUE(superd.WaitForLog(kReloaded)) << superd.Log();
  for (int i = 0; i < kAfter; ++i) EXPECT_EQ(EchoProblem(port, "n" + std::to_string(i) + "\n"), "");
  ASSERT_TRUE(
      superd.WaitForLogCount("^info: svc: pid [0-9]+ exited with status 0", kBefore + kAfter))
      << superd.Log();

  ASSERT_EQ(kill(superd.pid(), SIGUSR1), 0);
  const auto line = superd.WaitForLog("^info: svc: (state=.*)$");
  ASSERT_TRUE(line) << superd.Log();
  std::map<std::string, std::string> fields;
  std::istringstream in((*line)[1]);
  for (std::string token; in >> token;) {
    const size_t eq = token.find('=');
    if (eq != std::string::npos) fields[token.substr(0, eq)] = token.substr(eq + 1);
  }
  EXPECT_EQ(fields["spawned"], std::to_string(kBefore + kAfter)) << (*line)[0];
  EXPECT_EQ(fields["running"], "0") << (*line)[0];
  EXPECT_EQ(fields["failed"], "0") << (*line)[0];
  EXPECT_EQ(fields["state"], "listening") << (*line)[0];
  EXPECT_TRUE(ExitedZero(superd.Stop()));
}

}  // namespace
}  // namespace e2e
