// SIGTERM and SIGINT (SPEC "Signals"): stop listening, SIGTERM to every
// running instance's process group, SIGKILL what is left after
// shutdown_grace, exit 0.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <regex>
#include <thread>

#include "harness.hpp"

namespace e2e {
namespace {

constexpr auto kGrace = 2s;

// One sleeper instance (with `args`) behind superd with shutdown_grace: 2s.
class Shutdown : public ::testing::Test {
 protected:
  void StartWith(const std::string& args) {
    port_ = PickPort();
    superd_.WriteTable(
        "shutdown_grace: 2s\n"
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

  static bool ExitedZero(const std::optional<int>& status) {
    return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
  }

  Superd superd_;
  uint16_t port_ = 0;
  Fd client_;
  pid_t instance_ = -1, child_ = -1;
};

TEST_F(Shutdown, SigtermEndsTheInstanceAndSuperdWithinGracePlusOneSecond) {
  StartWith("[\"--fork\", \"30\"]");
  Connect();
  ASSERT_GT(child_, 0);
  const auto deadline = Clock::now() + kGrace + 1s;
  ASSERT_EQ(kill(superd_.pid(), SIGTERM), 0);
  const auto status = superd_.WaitExit(
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
  ASSERT_TRUE(status) << "superd still running " << (kGrace + 1s).count() << " s after SIGTERM";
  EXPECT_TRUE(ExitedZero(status)) << DescribeStatus(*status);
  // The instance and its own child (same process group) are gone too.
  EXPECT_TRUE(WaitProcessGone(instance_, std::chrono::duration_cast<std::chrono::milliseconds>(
                                             deadline - Clock::now() + 10ms)))
      << "instance " << instance_ << " survived";
  EXPECT_TRUE(WaitProcessGone(child_, 100ms)) << "instance's child " << child_ << " survived";
  // The client saw its connection end.
  EXPECT_TRUE(ReadAll(client_.get(), 1s).eof);
}

TEST_F(Shutdown, SigintStopsLikeSigterm) {
  StartWith("[\"30\"]");
  Connect();
  const auto status = superd_.Stop(SIGINT, kGrace + 1s);
  ASSERT_TRUE(status) << "superd still running after SIGINT";
  EXPECT_TRUE(ExitedZero(status)) << DescribeStatus(*status);
  EXPECT_TRUE(WaitProcessGone(instance_, 100ms));
}

TEST_F(Shutdown, InstanceIgnoringSigtermIsKilledAfterTheGrace) {
  StartWith("[\"--ignore-term\", \"--fork\", \"30\"]");
  Connect();
  ASSERT_GT(child_, 0);
  const auto sent = Clock::now();
  ASSERT_EQ(kill(superd_.pid(), SIGTERM), 0);
  // SIGTERM went to the whole group: the child, which keeps the default
  // disposition, ends at once...
  EXPECT_TRUE(WaitProcessGone(child_, kGrace + 1s)) << "SIGTERM did not reach the process group";
  // ...while the instance ignoring it lives on until the grace is over.
  const bool gone_early = ProcessGone(instance_);
  const auto elapsed = Clock::now() - sent;
  if (elapsed < kGrace - 200ms) {
    EXPECT_FALSE(gone_early) << "instance killed before shutdown_grace";
    EXPECT_TRUE(superd_.Running()) << "superd left before shutdown_grace with an instance alive";
  }
  const auto status = superd_.WaitExit(std::chrono::duration_cast<std::chrono::milliseconds>(
      sent + kGrace + 1s - Clock::now()));
  ASSERT_TRUE(status) << "superd still running " << (kGrace + 1s).count() << " s after SIGTERM";
  EXPECT_TRUE(ExitedZero(status)) << DescribeStatus(*status);
  EXPECT_TRUE(WaitProcessGone(instance_, 200ms)) << "instance " << instance_ << " not killed";
}

TEST_F(Shutdown, ListeningStopsAtOnce) {
  StartWith("[\"--ignore-term\", \"30\"]");
  Connect();
  ASSERT_EQ(kill(superd_.pid(), SIGTERM), 0);
  // While superd waits out the grace for its instance, the port is closed.
  // (Until superd has handled the signal a connection may still complete, or
  // be reset when the listener closes under it.)
  Fd late;
  int error = 0;
  const auto until = Clock::now() + 1s;
  do {
    late.Reset();
    error = TryConnectTcp("127.0.0.1", port_, &late, 500ms);
    if (error != ECONNREFUSED) std::this_thread::sleep_for(20ms);
  } while (error != ECONNREFUSED && Clock::now() < until);
  EXPECT_EQ(error, ECONNREFUSED) << "still accepting connections after SIGTERM: "
                                 << std::strerror(error);
  EXPECT_TRUE(superd_.Running()) << "superd did not wait for its instance";
  const auto status = superd_.WaitExit(kGrace + 1s);
  EXPECT_TRUE(ExitedZero(status));
}

TEST_F(Shutdown, IdleSuperdExitsZero) {
  StartWith("[\"30\"]");
  const auto status = superd_.Stop(SIGTERM, 2s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(ExitedZero(status)) << DescribeStatus(*status);
}

}  // namespace
}  // namespace e2e
