// SIGTERM and SIGINT (SPEC "Signals"): stop listening, SIGTERM to every
// running instance's process group, SIGKILL what is left after
// shutdown_grace, exit 0.
//
// What happened, and in which order, is read from events rather than from
// the clock, so that a slow machine can neither fail these tests nor make
// them pass without checking: superd's log lines (it logs the end of the
// grace before the SIGKILL, and each instance's end with its signal), and
// exit statuses. The test process is a child subreaper, so that the
// instance's own child, orphaned when the instance dies, is reaped here
// with its status: which signal ended it tells whether the SIGTERM reached
// the process group or only the SIGKILL at the end of the grace did.
// A grace that must not expire is a minute: waiting it out would exceed
// every deadline of the test.
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace e2e {
namespace {

constexpr auto kGrace = 2s;
constexpr const char* kGraceYaml = "2s";
constexpr const char* kLongGraceYaml = "60s";

// One sleeper instance (with `args`) behind superd with `grace`.
class Shutdown : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0) << std::strerror(errno);
  }
  void TearDown() override { prctl(PR_SET_CHILD_SUBREAPER, 0); }

  void StartWith(const std::string& args, const std::string& grace) {
    port_ = PickPort();
    superd_.WriteTable(
        "shutdown_grace: " + grace + "\n"
        "services:\n" +
        ServiceEntry("sleeper", "127.0.0.1:" + std::to_string(port_), HelperBinary("sleeper"),
                     "    args: " + args + "\n"));
    ASSERT_TRUE(superd_.Start());
  }

  // Connects and reads the sleeper's pid (and its child's, with --fork).
  void Connect() {
    client_ = ConnectTcp("127.0.0.1", port_);
    ASSERT_TRUE(client_);
    const ReadResult r = ReadUntil(client_.get(), "ready\n");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.data, m, std::regex("pid=([0-9]+)\n"))) << r.data;
    instance_ = std::stoi(m[1].str());
    if (std::regex_search(r.data, m, std::regex("child=([0-9]+)\n")))
      child_ = std::stoi(m[1].str());
    ASSERT_NE(r.data.find("ready\n"), std::string::npos);
  }

  // The wait status of the instance's child, which this process inherits
  // (as the subreaper) once the instance is gone and reaps here; nothing if
  // that does not happen within `timeout` (the child lives on).
  std::optional<int> ReapChild(std::chrono::milliseconds timeout = kTimeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      int status = 0;
      // ECHILD until the instance dies and the child is handed to us.
      if (waitpid(child_, &status, WNOHANG) == child_) return status;
      if (Clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(10ms);
    }
  }

  // The regex of superd's line for the end of the instance.
  std::string InstanceEnd(const std::string& how) const {
    return "^info: sleeper: pid " + std::to_string(instance_) + " " + how;
  }

  static bool ExitedZero(const std::optional<int>& status) {
    return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
  }
  static bool KilledBy(int status, int signal) {
    return WIFSIGNALED(status) && WTERMSIG(status) == signal;
  }

  Superd superd_;
  uint16_t port_ = 0;
  Fd client_;
  pid_t instance_ = -1, child_ = -1;
};

// The index of the first of `lines` matching `regex`; -1 when none does.
int IndexOf(const std::vector<std::string>& lines, const std::string& regex) {
  const std::regex re(regex);
  for (size_t i = 0; i < lines.size(); ++i)
    if (std::regex_search(lines[i], re)) return static_cast<int>(i);
  return -1;
}

TEST_F(Shutdown, SigtermEndsTheInstanceItsGroupAndSuperdWithoutWaitingOutTheGrace) {
  StartWith("[\"--fork\", \"30\"]", kLongGraceYaml);
  Connect();
  ASSERT_GT(child_, 0);
  ASSERT_EQ(kill(superd_.pid(), SIGTERM), 0);
  // With a grace of a minute, an exit within the deadline means superd did
  // not wait it out.
  const auto status = superd_.WaitExit();
  ASSERT_TRUE(status) << "superd still running " << kTimeout.count()
                      << " ms after SIGTERM although its instance ended";
  EXPECT_TRUE(ExitedZero(status)) << DescribeStatus(*status);
  EXPECT_EQ(superd_.CountLog("shutdown_grace over"), 0u) << superd_.Log();
  // SIGTERM ended the instance ...
  EXPECT_EQ(superd_.CountLog(InstanceEnd("killed by signal 15 \\(SIGTERM\\) after")), 1u)
      << superd_.Log();
  // ... and its own child, in its process group.
  const auto child = ReapChild();
  ASSERT_TRUE(child) << "instance's child " << child_ << " survived the shutdown";
  EXPECT_TRUE(KilledBy(*child, SIGTERM))
      << "instance's child: " << DescribeStatus(*child) << "; SIGTERM did not reach the group";
  // The client saw its connection end.
  EXPECT_TRUE(ReadAll(client_.get()).eof);
}

TEST_F(Shutdown, SigintStopsLikeSigterm) {
  StartWith("[\"30\"]", kLongGraceYaml);
  Connect();
  const auto status = superd_.Stop(SIGINT);
  ASSERT_TRUE(status) << "superd still running after SIGINT";
  EXPECT_TRUE(ExitedZero(status)) << DescribeStatus(*status);
  EXPECT_TRUE(superd_.WaitForLog("^info: superd: stopping on SIGINT; 1 instances running$", 0ms))
      << superd_.Log();
  EXPECT_EQ(superd_.CountLog(InstanceEnd("killed by signal 15 \\(SIGTERM\\) after")), 1u)
      << superd_.Log();
  EXPECT_EQ(superd_.CountLog("shutdown_grace over"), 0u) << superd_.Log();
  EXPECT_TRUE(ProcessGone(instance_));
}

TEST_F(Shutdown, InstanceIgnoringSigtermIsKilledAfterTheGrace) {
  StartWith("[\"--ignore-term\", \"--fork\", \"30\"]", kGraceYaml);
  Connect();
  ASSERT_GT(child_, 0);
  ASSERT_EQ(kill(superd_.pid(), SIGTERM), 0);
  const auto status = superd_.WaitExit(kGrace + kTimeout);
  ASSERT_TRUE(status) << "superd still running " << (kGrace + kTimeout).count()
                      << " ms after SIGTERM";
  EXPECT_TRUE(ExitedZero(status)) << DescribeStatus(*status);
  EXPECT_TRUE(ProcessGone(instance_)) << "instance " << instance_ << " not killed";

  // SIGTERM went to the whole group at once: the child, which keeps the
  // default disposition, died of it, not of the SIGKILL after the grace.
  const auto child = ReapChild();
  ASSERT_TRUE(child) << "instance's child " << child_ << " survived the shutdown";
  EXPECT_TRUE(KilledBy(*child, SIGTERM))
      << "instance's child: " << DescribeStatus(*child) << "; SIGTERM did not reach the group";

  // The instance ignoring it lived until the grace was over: superd logged
  // the end of the grace, then the instance's death by SIGKILL, then its
  // own stop, and nothing of the instance's end before the grace line.
  const auto lines = superd_.LogLines();
  const int stopping = IndexOf(lines, "^info: superd: stopping on SIGTERM; 1 instances running$");
  const int grace = IndexOf(lines, "^warning: superd: shutdown_grace over; killing 1 instances$");
  const int end = IndexOf(lines, InstanceEnd(""));
  const int stopped = IndexOf(lines, "^info: superd: stopped$");
  ASSERT_GE(stopping, 0) << superd_.Log();
  ASSERT_GE(grace, 0) << "no end of the grace logged:\n" << superd_.Log();
  ASSERT_GE(end, 0) << "no end of the instance logged:\n" << superd_.Log();
  ASSERT_GE(stopped, 0) << superd_.Log();
  EXPECT_LT(stopping, grace) << superd_.Log();
  EXPECT_LT(grace, end) << "instance ended before shutdown_grace:\n" << superd_.Log();
  EXPECT_LT(end, stopped) << "superd stopped before its instance ended:\n" << superd_.Log();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      lines[end], m, std::regex(InstanceEnd("killed by signal 9 \\(SIGKILL\\) after ([0-9.]+)s$"))))
      << "the instance's end: " << lines[end];
  // Its life, from before the SIGTERM to its reaping, spans the grace at
  // least (superd's own clock: a lower bound that load only lengthens).
  EXPECT_GE(std::stod(m[1].str()), std::chrono::duration<double>(kGrace).count())
      << lines[end];
}

TEST_F(Shutdown, ListeningStopsAtOnce) {
  StartWith("[\"--ignore-term\", \"30\"]", kLongGraceYaml);
  Connect();
  ASSERT_EQ(kill(superd_.pid(), SIGTERM), 0);
  ASSERT_TRUE(superd_.WaitForLog("^info: superd: stopping on SIGTERM; 1 instances running$"))
      << superd_.Log();
  // While superd waits out the grace for its instance, the port is closed.
  // (It closes its listeners right after that line: until then, a
  // connection may still complete, or be reset when the listener closes.)
  Fd late;
  int error = 0;
  const auto until = Clock::now() + kTimeout;
  do {
    late.Reset();
    error = TryConnectTcp("127.0.0.1", port_, &late, 500ms);
    if (error != ECONNREFUSED) std::this_thread::sleep_for(20ms);
  } while (error != ECONNREFUSED && Clock::now() < until);
  EXPECT_EQ(error, ECONNREFUSED) << "still accepting connections after SIGTERM: "
                                 << std::strerror(error);
  EXPECT_TRUE(superd_.Running()) << "superd did not wait for its instance";
  EXPECT_FALSE(ProcessGone(instance_)) << "the instance ignoring SIGTERM was killed early";
  // A second SIGTERM: the operator will not wait out the grace.
  ASSERT_EQ(kill(superd_.pid(), SIGTERM), 0);
  const auto status = superd_.WaitExit();
  ASSERT_TRUE(status) << "superd still running after a second SIGTERM";
  EXPECT_TRUE(ExitedZero(status)) << DescribeStatus(*status);
  const auto lines = superd_.LogLines();
  const int again = IndexOf(lines, "^warning: superd: SIGTERM again; killing 1 instances now$");
  const int end = IndexOf(lines, InstanceEnd("killed by signal 9 \\(SIGKILL\\) after"));
  EXPECT_GE(again, 0) << superd_.Log();
  EXPECT_GT(end, again) << "superd did not wait for its instance:\n" << superd_.Log();
}

TEST_F(Shutdown, IdleSuperdExitsZero) {
  StartWith("[\"30\"]", kLongGraceYaml);
  const auto status = superd_.Stop(SIGTERM);
  ASSERT_TRUE(status);
  EXPECT_TRUE(ExitedZero(status)) << DescribeStatus(*status);
  EXPECT_TRUE(superd_.WaitForLog("^info: superd: stopping on SIGTERM; 0 instances running$", 0ms))
      << superd_.Log();
}

}  // namespace
}  // namespace e2e
