// max_instances and max_children: at the limit superd stops accepting; the
// connection waits in the kernel backlog and is served once an instance ends.
// Out of descriptors, the same: the client waits until superd can accept.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace e2e {
namespace {

// That a connection is *not* served cannot be shown by waiting a while: on
// a slow machine superd may simply not have got to it yet. These tests show
// it by events instead:
// - the kernel's own count of the connections waiting in a listener's
//   backlog (the accept queue, /proc/net/tcp): the connection is queued
//   before the SIGUSR1 below is sent;
// - a SIGUSR1 report, handled in a loop iteration that began after the
//   connection was queued: had superd watched the listener, that iteration
//   would have accepted it;
// - a later event that superd handles in a later iteration still (a probe
//   connection, an instance's end): whatever was to happen at the limit
//   is logged before it.

// A connection to a sleeper --until-eof, read up to its "ready" line; the
// instance's pid in *pid.
Fd Hold(uint16_t port, std::string* pid = nullptr) {
  Fd c = ConnectTcp("127.0.0.1", port);
  if (!c) return c;
  const ReadResult r = ReadUntil(c.get(), "ready\n");
  EXPECT_NE(r.data.find("ready\n"), std::string::npos)
      << "no instance for the connection to port " << port << "; got: " << r.data;
  std::smatch m;
  if (pid && std::regex_search(r.data, m, std::regex("pid=([0-9]+)\n"))) *pid = m[1].str();
  return c;
}

// How many of the first `end` lines match `regex`.
int CountBefore(const std::vector<std::string>& lines, const std::string& regex, int end) {
  const std::regex re(regex);
  int n = 0;
  for (int i = 0; i < end && i < static_cast<int>(lines.size()); ++i)
    n += std::regex_search(lines[i], re) ? 1 : 0;
  return n;
}

// SIGUSR1, then the report it makes (the `nth` in the log): each of the
// `services` lines that follow its summary, "state=... running=N ...", by
// service name.
std::map<std::string, std::string> Report(const Superd& superd, int nth, size_t services) {
  std::map<std::string, std::string> report;
  EXPECT_EQ(kill(superd.pid(), SIGUSR1), 0);
  const std::string summary = "^info: superd: stats: ";
  std::vector<std::string> lines;
  int at = -1;
  const bool logged = WaitUntil([&] {
    lines = superd.LogLines();
    at = IndexOf(lines, summary, nth);
    return at >= 0 && lines.size() >= at + 1 + services;
  });
  if (!logged) {
    ADD_FAILURE() << "no SIGUSR1 report " << nth << ":\n" << superd.Log();
    return report;
  }
  const std::regex service_line("^info: ([^:]+): (state=.*)$");
  for (size_t i = at + 1; i <= at + services; ++i) {
    std::smatch m;
    if (std::regex_match(lines[i], m, service_line)) report[m[1].str()] = m[2].str();
  }
  return report;
}

// Whether a report line holds every "key=value" of `fields`.
::testing::AssertionResult Has(const std::string& line, const std::vector<std::string>& fields) {
  for (const auto& f : fields)
    if ((" " + line + " ").find(" " + f + " ") == std::string::npos)
      return ::testing::AssertionFailure() << "no " << f << " in \"" << line << "\"";
  return ::testing::AssertionSuccess();
}

std::string Echoed(uint16_t port, const std::string& text) {
  Fd c = ConnectTcp("127.0.0.1", port);
  return c ? Exchange(c.get(), text).data : std::string();
}

TEST(Limits, MaxInstancesQueuesTheNextConnectionUntilOneEnds) {
  Superd superd;
  const uint16_t port = PickPort(), probe = PickPort();
  superd.WriteTable("services:\n" +
                    ServiceEntry("hold", "127.0.0.1:" + std::to_string(port),
                                 HelperBinary("sleeper"),
                                 "    args: [\"--until-eof\"]\n"
                                 "    max_instances: 2\n") +
                    ServiceEntry("probe", "127.0.0.1:" + std::to_string(probe),
                                 ServiceBinary("echo")));
  ASSERT_TRUE(superd.Start());
  std::string first_pid;
  Fd first = Hold(port, &first_pid);
  Fd second = Hold(port);
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(
      superd.WaitForLog("^info: hold: max_instances \\(2\\) reached; new connections wait$"))
      << superd.Log();

  // The kernel completes the third connection and queues it...
  Fd third = ConnectTcp("127.0.0.1", port);
  ASSERT_TRUE(third);
  ASSERT_TRUE(WaitUntil([&] { return AcceptQueue(port) == 1; }))
      << "the third connection never waited in the backlog (accepted at the limit?)\n"
      << superd.Log();
  // ...but no process serves it: not by the SIGUSR1 report, nor by a probe
  // connection handled after it.
  EXPECT_TRUE(Has(Report(superd, 1, 2)["hold"], {"state=at-limit", "running=2", "spawned=2"}));
  ASSERT_EQ(Echoed(probe, "probe\n"), "probe\n");
  const auto lines = superd.LogLines();
  const int probed = IndexOf(lines, "^info: probe: connection from");
  ASSERT_GE(probed, 0) << superd.Log();
  EXPECT_EQ(CountBefore(lines, "^info: hold: connection from", probed), 2)
      << "third connection served at the limit:\n" << superd.Log();
  EXPECT_EQ(AcceptQueue(port), 1) << "the third connection no longer waits in the backlog";

  // One instance ends; the queued connection gets one, after that end.
  first.Reset();
  const ReadResult r = ReadUntil(third.get(), "ready\n");
  EXPECT_NE(r.data.find("ready\n"), std::string::npos)
      << "queued connection not served after an instance ended; got: " << r.data;
  ASSERT_TRUE(superd.WaitForLogCount("^info: hold: connection from", 3)) << superd.Log();
  const auto after = superd.LogLines();
  const int ended = IndexOf(after, "^info: hold: pid " + first_pid + " exited with status 0");
  ASSERT_GE(ended, 0) << superd.Log();
  EXPECT_LT(ended, IndexOf(after, "^info: hold: connection from", 3)) << superd.Log();
  EXPECT_EQ(superd.CountLog("^info: hold: connection from"), 3u);
}

TEST(Limits, MaxChildrenCapsAllServicesTogether) {
  Superd superd;
  const uint16_t port_a = PickPort(), port_b = PickPort();
  const std::string until_eof = "    args: [\"--until-eof\"]\n";
  superd.WriteTable(
      "max_children: 2\n"
      "services:\n" +
      ServiceEntry("a", "127.0.0.1:" + std::to_string(port_a), HelperBinary("sleeper"), until_eof) +
      ServiceEntry("b", "127.0.0.1:" + std::to_string(port_b), HelperBinary("sleeper"), until_eof));
  ASSERT_TRUE(superd.Start());
  Fd a1 = Hold(port_a);
  std::string b1_pid;
  Fd b1 = Hold(port_b, &b1_pid);
  ASSERT_TRUE(a1 && b1);
  ASSERT_TRUE(
      superd.WaitForLog("^warning: superd: max_children \\(2\\) reached; new connections wait$"))
      << superd.Log();

  Fd a2 = ConnectTcp("127.0.0.1", port_a);
  ASSERT_TRUE(a2);
  ASSERT_TRUE(WaitUntil([&] { return AcceptQueue(port_a) == 1; }))
      << "a's second connection never waited in the backlog (a third instance ran?)\n"
      << superd.Log();
  // Both listeners are out of the poll set ("paused"), each service with the
  // one instance it has.
  auto report = Report(superd, 1, 2);
  EXPECT_TRUE(Has(report["a"], {"state=paused", "running=1", "spawned=1"}))
      << "a third instance ran with max_children: 2";
  EXPECT_TRUE(Has(report["b"], {"state=paused", "running=1", "spawned=1"}));
  EXPECT_EQ(AcceptQueue(port_a), 1) << "a's second connection no longer waits in the backlog";

  // An instance of the *other* service ends: room for a, after that end.
  b1.Reset();
  const ReadResult r = ReadUntil(a2.get(), "ready\n");
  EXPECT_NE(r.data.find("ready\n"), std::string::npos)
      << "queued connection not served after another service's instance ended; got: "
      << r.data;
  ASSERT_TRUE(superd.WaitForLogCount("^info: a: connection from", 2)) << superd.Log();
  const auto lines = superd.LogLines();
  const int ended = IndexOf(lines, "^info: b: pid " + b1_pid + " exited with status 0");
  ASSERT_GE(ended, 0) << superd.Log();
  EXPECT_LT(ended, IndexOf(lines, "^info: a: connection from", 2))
      << "a's second connection served before b's instance ended:\n" << superd.Log();
}

// The lowest descriptor number free in process `pid`.
int LowestFreeFd(pid_t pid) {
  std::set<int> used;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
    used.insert(std::stoi(e.path().filename()));
  int fd = 0;
  while (used.count(fd) != 0) ++fd;
  return fd;
}

// superd's voluntary context switches (/proc/PID/status); -1 if unknown.
long VoluntarySwitches(pid_t pid) {
  std::istringstream status(ReadFile("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);)
    if (line.rfind("voluntary_ctxt_switches:", 0) == 0) return std::stol(line.substr(24));
  return -1;
}

// Tries to accept, after the first failure, before superd may call the
// episode one line.
constexpr long kRetries = 5;

TEST(Limits, OutOfDescriptorsTheClientWaitsAndIsServedOnceSuperdCanAccept) {
  Superd superd;
  const uint16_t port = PickPort();
  superd.WriteTable("services:\n" + ServiceEntry("echo", "127.0.0.1:" + std::to_string(port),
                                                  ServiceBinary("echo")));
  ASSERT_TRUE(superd.Start());
  // superd may open no descriptor more: accept(2) fails with EMFILE.
  rlimit before{};
  ASSERT_EQ(prlimit(superd.pid(), RLIMIT_NOFILE, nullptr, &before), 0);
  const int lowest = LowestFreeFd(superd.pid());
  ASSERT_GT(lowest, 2);
  const rlimit tight{static_cast<rlim_t>(lowest), before.rlim_max};
  ASSERT_EQ(prlimit(superd.pid(), RLIMIT_NOFILE, &tight, nullptr), 0);

  Fd c = ConnectTcp("127.0.0.1", port);  // completed by the kernel: backlog
  ASSERT_TRUE(c);
  ASSERT_TRUE(SendAll(c.get(), "waited\n"));
  ASSERT_TRUE(superd.WaitForLog(
      "^warning: echo: unable to accept: Too many open files; trying again every 100 ms$"))
      << superd.Log();
  // superd tries again every 100 ms, each time after a poll that sleeps
  // until the listener's rest is over: its voluntary context switches count
  // those tries (nothing else wakes an idle superd). Several of them, and
  // still one line for the whole episode.
  const long woken = VoluntarySwitches(superd.pid());
  ASSERT_GE(woken, 0);
  ASSERT_TRUE(WaitUntil([&] { return VoluntarySwitches(superd.pid()) >= woken + kRetries; }))
      << "superd did not try to accept again; log:\n" << superd.Log();
  EXPECT_EQ(superd.CountLog("unable to accept"), 1u) << superd.Log();
  // Meanwhile the client waits: its connection was neither served nor ended.
  EXPECT_FALSE(Readable(c.get(), 0ms)) << "the waiting client's connection ended";

  ASSERT_EQ(prlimit(superd.pid(), RLIMIT_NOFILE, &before, nullptr), 0);
  EXPECT_EQ(Exchange(c.get(), "").data, "waited\n") << "the waiting client was not served";
  ASSERT_TRUE(superd.WaitForLog("^info: echo: accepting again$")) << superd.Log();
  const auto lines = superd.LogLines();
  EXPECT_EQ(CountBefore(lines, "unable to accept", IndexOf(lines, "accepting again$")), 1)
      << superd.Log();
  EXPECT_EQ(superd.CountLog("^error: "), 0u) << superd.Log();
}

}  // namespace
}  // namespace e2e
