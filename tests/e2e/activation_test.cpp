// Socket activation (SPEC "Init systems"): sockets passed with LISTEN_FDS /
// LISTEN_PID whose address matches a listen entry are adopted instead of
// bound; others are logged and closed; programs see none of it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>


#include "harness.hpp"

namespace e2e {
namespace {

// The inode of superd's descriptor `fd`, or "".
std::string SocketOf(pid_t pid, int fd) {
  char buf[64] = "";
  const std::string path = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
  const ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, n) : "";
}

class Activation : public ::testing::Test {
 protected:
  StartOptions Activate(std::vector<std::string> sockets) {
    StartOptions o;
    o.wrapper = {HelperBinary("activate")};
    o.wrapper.insert(o.wrapper.end(), sockets.begin(), sockets.end());
    o.wrapper.push_back("--");
    return o;
  }
  Superd superd_;
};

TEST_F(Activation, APassedSocketIsAdoptedNotBound) {
  const uint16_t port = PickPort();
  superd_.WriteTable("services:\n" + ServiceEntry("echo", "127.0.0.1:" + std::to_string(port),
                                                   ServiceBinary("echo")));
  ASSERT_TRUE(superd_.Start(Activate({"tcp:127.0.0.1:" + std::to_string(port)})));
  const auto given = superd_.WaitForLog(R"(^fd 3 inode (\d+)$)");
  ASSERT_TRUE(given);
  EXPECT_EQ(SocketOf(superd_.pid(), 3), "socket:[" + given->at(1) + "]")
      << "superd does not serve on the socket it was given";
  EXPECT_EQ(superd_.CountLog("info: echo: adopted 127.0.0.1:" + std::to_string(port) +
                             R"( \(fd 3\) from the service manager)"),
            1u);
  Fd c = ConnectTcp("127.0.0.1", port);
  const ReadResult r = Exchange(c.get(), "ping\n");
  EXPECT_EQ(r.data, "ping\n");
}

TEST_F(Activation, ASocketNoEntryMatchesIsLoggedAndClosed) {
  const uint16_t port = PickPort(), other = PickPort();
  superd_.WriteTable("services:\n" + ServiceEntry("echo", "127.0.0.1:" + std::to_string(port),
                                                   ServiceBinary("echo")));
  ASSERT_TRUE(superd_.Start(Activate({"tcp:127.0.0.1:" + std::to_string(port),
                                      "udp:127.0.0.1:" + std::to_string(other)})));
  EXPECT_EQ(superd_.CountLog("warning: superd: closed socket fd 4 \\(sock1\\) from the "
                             "service manager: no listen entry has its address"),
            1u);
  const auto given = superd_.WaitForLog(R"(^fd 4 inode (\d+)$)");
  ASSERT_TRUE(given);
  EXPECT_NE(SocketOf(superd_.pid(), 4), "socket:[" + given->at(1) + "]");
  Fd c = ConnectTcp("127.0.0.1", port);
  EXPECT_EQ(Exchange(c.get(), "x").data, "x");
}

TEST_F(Activation, ProgramsSeeNeitherTheVariablesNorTheDescriptors) {
  const uint16_t port = PickPort();
  superd_.WriteTable("services:\n" + ServiceEntry("contract", "127.0.0.1:" + std::to_string(port),
                                                   HelperBinary("contract")));
  ASSERT_TRUE(superd_.Start(Activate({"tcp:127.0.0.1:" + std::to_string(port)})));
  Fd c = ConnectTcp("127.0.0.1", port);
  const Report report = ParseReport(ReadAll(c.get()).data);
  EXPECT_EQ(report.count("fds") ? report.at("fds") : "", "0,1,2");
  for (const auto& [key, value] : report)
    EXPECT_EQ(key.find("env:LISTEN_"), std::string::npos) << key << "=" << value;
}

TEST_F(Activation, AnAdoptedUnixSocketFileStaysWhenSuperdStops) {
  const std::string path = superd_.dir() + "/activated.sock";
  superd_.WriteTable("services:\n" + ServiceEntry("echo", "unix:" + path, ServiceBinary("echo")));
  ASSERT_TRUE(superd_.Start(Activate({"unix:" + path})));
  EXPECT_EQ(superd_.CountLog("info: echo: adopted unix:"), 1u);
  Fd c = ConnectUnix(path);
  EXPECT_EQ(Exchange(c.get(), "u").data, "u");
  c.Reset();
  ASSERT_TRUE(superd_.Stop());
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << "the service manager's socket file was removed";
}

TEST_F(Activation, WithSystemdSocketActivateFromDebian) {
  std::string tool;
  for (const char* dir : {"/usr/bin/", "/bin/", "/usr/local/bin/"})
    if (tool.empty() && access((std::string(dir) + "systemd-socket-activate").c_str(), X_OK) == 0)
      tool = std::string(dir) + "systemd-socket-activate";
  if (tool.empty())
    GTEST_SKIP() << "systemd-socket-activate is not installed (package systemd)";
  const uint16_t port = PickPort();
  superd_.WriteTable("services:\n" + ServiceEntry("echo", "127.0.0.1:" + std::to_string(port),
                                                   ServiceBinary("echo")));
  StartOptions o = NoWaitReady();
  o.wrapper = {tool, "-l", "127.0.0.1:" + std::to_string(port)};
  ASSERT_TRUE(superd_.Start(o));
  // It execs superd on the first connection, which then waits in the backlog.
  Fd c;
  for (auto end = Clock::now() + kTimeout; !c && Clock::now() < end;) {
    TryConnectTcp("127.0.0.1", port, &c, 200ms);
    if (!c) usleep(20000);
  }
  ASSERT_TRUE(c) << "systemd-socket-activate never listened";
  EXPECT_EQ(Exchange(c.get(), "first\n").data, "first\n");
  EXPECT_TRUE(superd_.WaitForLog("info: echo: adopted 127.0.0.1:" + std::to_string(port)));
  EXPECT_EQ(superd_.CountLog("unable to bind"), 0u);
}

}  // namespace
}  // namespace e2e
