// `reuse_port` (SPEC "Service keys"; issue 12 item 2): several superd
// processes share one port, the kernel spreading the clients over them
// (an old and a new superd during an upgrade, or one per core); a reload
// of one keeps it serving; a superd without the key cannot join.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <string>

#include "harness.hpp"

namespace e2e {
namespace {

// A table serving `port` with a program that answers `who` and exits.
std::string Table(uint16_t port, const std::string& who, bool reuse_port,
                  const std::string& more = "") {
  return "services:\n  who:\n    listen: \"127.0.0.1:" + Str(port) +
         "\"\n    program: /bin/echo\n    args: [\"" + who + "\"]\n" +
         (reuse_port ? "    reuse_port: true\n" : "") + more;
}

// How many of `n` connections each superd answered ("a", "b"), and "" for
// those that failed.
std::map<std::string, int> Answers(uint16_t port, int n) {
  std::map<std::string, int> answers;
  for (int i = 0; i < n; ++i) {
    Fd c;
    std::string who;
    if (TryConnectTcp("127.0.0.1", port, &c) == 0) who = ReadAll(c.get()).data;
    ++answers[who.empty() ? "" : who.substr(0, who.size() - 1)];
  }
  return answers;
}

TEST(ReusePort, TwoSuperdsServeOnePortAndAReloadOfOneKeepsItServing) {
  const uint16_t port = PickPort();
  Superd a, b;
  a.WriteTable(Table(port, "a", true));
  b.WriteTable(Table(port, "b", true));
  ASSERT_TRUE(a.Start());
  ASSERT_TRUE(b.Start());
  // 2^-99 that the kernel's hash sends 100 clients with distinct ports to
  // one socket.
  auto answers = Answers(port, 100);
  EXPECT_EQ(answers[""], 0);
  EXPECT_GT(answers["a"], 0);
  EXPECT_GT(answers["b"], 0);

  // A reload of a that adds a service keeps its shared socket.
  const uint16_t other = PickPort();
  a.WriteTable(Table(port, "a", true,
                     "  other:\n    listen: \"127.0.0.1:" + Str(other) +
                         "\"\n    program: /bin/echo\n    args: [other]\n"));
  ASSERT_EQ(kill(a.pid(), SIGHUP), 0);
  ASSERT_TRUE(a.WaitForLog("reloaded: .*1 sockets? kept"));
  answers = Answers(port, 100);
  EXPECT_EQ(answers[""], 0);
  EXPECT_GT(answers["a"], 0);
  EXPECT_GT(answers["b"], 0);
}

TEST(ReusePort, ASuperdWithoutItCannotJoinAndSaysWhy) {
  const uint16_t port = PickPort();
  Superd a, b;
  a.WriteTable(Table(port, "a", true));
  b.WriteTable(Table(port, "b", false));
  ASSERT_TRUE(a.Start());
  ASSERT_TRUE(b.Start(NoWaitReady()));
  const auto status = b.WaitExit();
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0);
  EXPECT_TRUE(b.WaitForLog("unable to bind 127\\.0\\.0\\.1:" + Str(port) +
                           ": Address already in use"))
      << b.Log();
  EXPECT_EQ(Answers(port, 5)["a"], 5);
}

}  // namespace
}  // namespace e2e
