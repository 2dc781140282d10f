// wait-mode TCP services (SPEC `wait`): the program gets the listening socket
// itself as fds 0 and 1, and superd stops watching it until the program exits.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "harness.hpp"

namespace e2e {
namespace {

class WaitService : public ::testing::Test {
 protected:
  void StartWith(const std::string& program, const std::string& extra = "") {
    port_ = PickPort();
    superd_.WriteTable(Subst(
        "services:\n"
        "  waiter:\n"
        "    listen: \"127.0.0.1:${PORT}\"\n"
        "    wait: true\n"
        "    program: ${PROGRAM}\n" + extra,
        {{"PORT", std::to_string(port_)}, {"PROGRAM", program}}));
    ASSERT_TRUE(superd_.Start());
  }

  // One connection's whole answer.
  std::string Ask() {
    Fd c = ConnectTcp("127.0.0.1", port_);
    if (!c) return "";
    const ReadResult r = ReadAll(c.get());
    EXPECT_TRUE(r.eof);
    return r.data;
  }

  Superd superd_;
  uint16_t port_ = 0;
};

// "pid=N served=K\n" -> {N, K}; {"", 0} when malformed.
std::pair<std::string, int> Served(const std::string& answer) {
  std::smatch m;
  if (!std::regex_match(answer, m, std::regex("pid=([0-9]+) served=([0-9]+)\n")))
    return {"", 0};
  return {m[1].str(), std::stoi(m[2].str())};
}

TEST_F(WaitService, OneInstanceAcceptsOnTheListeningSocketUntilItExits) {
  // The program serves two connections and exits: its lifetime is counted
  // in connections, and its idle time (a minute) never decides, however slow
  // the machine.
  StartWith(HelperBinary("wait-accept"), "    args: [\"--count\", \"2\", \"60000\"]\n");
  const auto [pid, first] = Served(Ask());
  const auto [pid2, second] = Served(Ask());
  ASSERT_FALSE(pid.empty());
  // The same process accepted both connections itself.
  EXPECT_EQ(pid2, pid);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 2);

  // Once it exits (after its second connection), superd watches the socket
  // again.
  const std::string exited = "^info: waiter: pid " + pid + " exited with status 0 after";
  ASSERT_TRUE(superd_.WaitForLog(exited)) << superd_.Log();
  // While its program held the socket, superd neither accepted nor spawned:
  // everything it logged up to that exit is the one start.
  std::vector<std::string> during;
  for (const auto& line : superd_.LogLines()) {
    if (std::regex_search(line, std::regex(exited))) break;
    if (std::regex_search(line, std::regex("^info: waiter: "))) during.push_back(line);
  }
  ASSERT_EQ(during.size(), 1u) << superd_.Log();
  EXPECT_EQ(during[0], "info: waiter: started pid " + pid);

  // A new connection: a new instance, serving its first.
  const auto [pid3, third] = Served(Ask());
  EXPECT_FALSE(pid3.empty());
  EXPECT_NE(pid3, pid);
  EXPECT_EQ(third, 1);
  EXPECT_TRUE(superd_.WaitForLogCount("waiter: started pid", 2));
  EXPECT_EQ(superd_.CountLog("waiter: connection from"), 0u) << superd_.Log();
}

TEST_F(WaitService, ProgramGetsTheListeningSocketAndNoPerConnectionVariables) {
  StartWith(HelperBinary("contract"));
  const std::string raw = Ask();
  Report report = ParseReport(raw);
  EXPECT_EQ(report["fd0.type"], "listening") << raw;
  // superd's own listeners are non-blocking; the one it hands over is not.
  EXPECT_EQ(report["fl.0"], "blocking") << raw;
  EXPECT_EQ(report["fd.0"], report["fd.1"]);
  EXPECT_EQ(report["fds"], "0,1,2");
  const std::map<std::string, std::string> want = {
      {"PATH", "/usr/local/bin:/usr/bin:/bin"},
      {"SUPERD_SERVICE", "waiter"},
      {"PROTO", "TCP"},
  };
  EXPECT_EQ(EnvOf(report), want);
}

}  // namespace
}  // namespace e2e
