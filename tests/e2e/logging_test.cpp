// Logging (SPEC "Logging"): one info line per connection (client address and
// port, pid) and per exit (status or signal, duration).
#include <gtest/gtest.h>

#include "harness.hpp"

namespace e2e {
namespace {

// Service "sh" running /bin/sh -c SCRIPT; returns the client port of one
// connection to it, after reading to its end.
class Logging : public ::testing::Test {
 protected:
  uint16_t RunOnce(const std::string& script) {
    const uint16_t port = PickPort();
    superd_.WriteTable(Subst(
        "services:\n"
        "  sh:\n"
        "    listen: \"127.0.0.1:${PORT}\"\n"
        "    program: /bin/sh\n"
        "    args: [\"-c\", \"${SCRIPT}\"]\n",
        {{"PORT", std::to_string(port)}, {"SCRIPT", script}}));
    EXPECT_TRUE(superd_.Start());
    Fd c = ConnectTcp("127.0.0.1", port);
    if (!c) return 0;
    const uint16_t client_port = LocalPort(c.get());
    EXPECT_TRUE(ReadAll(c.get()).eof);
    return client_port;
  }

  // The pid of the connection from client_port.
  std::string ConnectionPid(uint16_t client_port) {
    const auto m = superd_.WaitForLog("^info: sh: connection from 127\\.0\\.0\\.1:" +
                                      std::to_string(client_port) + ", pid ([0-9]+)$");
    return m ? (*m)[1] : "";
  }

  Superd superd_;
};

TEST_F(Logging, ConnectionAndExitStatusWithDuration) {
  const std::string pid = ConnectionPid(RunOnce("exit 3"));
  ASSERT_FALSE(pid.empty()) << "no connection line";
  EXPECT_TRUE(superd_.WaitForLog("^info: sh: pid " + pid +
                                 " exited with status 3 after [0-9]+\\.[0-9]{3}s$"));
}

TEST_F(Logging, KilledBySignalWithItsName) {
  const std::string pid = ConnectionPid(RunOnce("kill -KILL $$"));
  ASSERT_FALSE(pid.empty()) << "no connection line";
  EXPECT_TRUE(superd_.WaitForLog("^info: sh: pid " + pid +
                                 " killed by signal 9 \\((SIG)?KILL\\) after [0-9]+\\.[0-9]{3}s$"));
}

}  // namespace
}  // namespace e2e
