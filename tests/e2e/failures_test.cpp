// Failures a user meets: a program that cannot be executed (logged, the
// client's connection closed, the daemon serving on), a port already in use
// at start (exit 1 with a clear message), broken tables (--check lists every
// problem as FILE:LINE:COLUMN: error: MESSAGE and exits 1), usage errors (2).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <sstream>

#include "harness.hpp"

namespace e2e {
namespace {

std::string Escape(const std::string& text) {
  return std::regex_replace(text, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
}

// A table with service "script" running an executable shell script from the
// test directory, and "echo" beside it.
class ExecFailure : public ::testing::Test {
 protected:
  void StartWith(const std::string& script) {
    script_ = superd_.WriteFile("script.sh", script, 0755);
    port_ = PickPort();
    echo_port_ = PickPort();
    superd_.WriteTable("services:\n" +
                       ServiceEntry("script", "127.0.0.1:" + std::to_string(port_), script_) +
                       ServiceEntry("echo", "127.0.0.1:" + std::to_string(echo_port_),
                                    ServiceBinary("echo")));
    ASSERT_TRUE(superd_.Start());
  }

  ReadResult AskScript() {
    Fd c = ConnectTcp("127.0.0.1", port_);
    if (!c) return {};
    return ReadAll(c.get());
  }

  // A connection to "script" ends at once with nothing, and the exec
  // failure is logged with `reason`; echo still answers.
  void ExpectExecFailure(const std::string& reason) {
    const ReadResult r = AskScript();
    EXPECT_TRUE(r.eof) << "connection not closed after the exec failure";
    EXPECT_EQ(r.data, "");
    EXPECT_TRUE(superd_.WaitForLog("^warning: script: unable to exec " + Escape(script_) +
                                   ": " + reason + "$"));
    ExpectStillServing();
  }

  void ExpectStillServing() {
    ASSERT_TRUE(superd_.Running()) << "superd died";
    Fd c = ConnectTcp("127.0.0.1", echo_port_);
    ASSERT_TRUE(c);
    const ReadResult r = Exchange(c.get(), "still there?\n");
    EXPECT_EQ(r.data, "still there?\n");
  }

  Superd superd_;
  std::string script_;
  uint16_t port_ = 0, echo_port_ = 0;
};

TEST_F(ExecFailure, ProgramMadeNonExecutableIsLoggedAndTheClientClosed) {
  StartWith("#!/bin/sh\necho hello\n");
  EXPECT_EQ(AskScript().data, "hello\n");  // works at first

  ASSERT_EQ(chmod(script_.c_str(), 0644), 0);
  ExpectExecFailure("Permission denied");

  // And the same service works again once the program is fixed.
  ASSERT_EQ(chmod(script_.c_str(), 0755), 0);
  EXPECT_EQ(AskScript().data, "hello\n");
}

TEST_F(ExecFailure, ProgramDeletedIsLoggedAndTheDaemonServesOn) {
  StartWith("#!/bin/sh\necho hello\n");
  ASSERT_EQ(unlink(script_.c_str()), 0);
  ExpectExecFailure("No such file or directory");
}

TEST_F(ExecFailure, MissingInterpreterIsLogged) {
  StartWith("#!/nonexistent/interpreter\nhello\n");
  ExpectExecFailure("No such file or directory");
  // Each failing connection is closed and logged; none is left hanging.
  const ReadResult again = AskScript();
  EXPECT_TRUE(again.eof);
  EXPECT_TRUE(superd_.WaitForLogCount("^warning: script: unable to exec", 2));
}

void ExpectBindFailure(const std::string& protocol, int type) {
  const uint16_t free_port = PickPort(), busy_port = PickPort();
  Fd holder = HoldPort(busy_port, type);
  ASSERT_TRUE(holder);
  Superd superd;
  superd.WriteTable(Subst(
      "services:\n"
      "  fine:\n"
      "    listen: \"127.0.0.1:${FREE}\"\n"
      "    protocol: ${PROTOCOL}\n"
      "    program: ${ECHO}\n"
      "  busy:\n"
      "    listen: \"127.0.0.1:${BUSY}\"\n"
      "    protocol: ${PROTOCOL}\n"
      "    program: ${ECHO}\n",
      {{"FREE", std::to_string(free_port)},
       {"BUSY", std::to_string(busy_port)},
       {"PROTOCOL", protocol},
       {"ECHO", ServiceBinary("echo")}}));
  ASSERT_TRUE(superd.Start(NoWaitReady()));
  const auto status = superd.WaitExit();
  ASSERT_TRUE(status) << "superd kept running with a port in use";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << DescribeStatus(*status);
  EXPECT_EQ(superd.CountLog("^error: busy: unable to bind 127\\.0\\.0\\.1:" +
                            std::to_string(busy_port) + ": Address already in use$"),
            1u);
  EXPECT_EQ(superd.CountLog("^info: superd: ready"), 0u);
}

TEST(StartFailure, TcpPortAlreadyInUseExitsOneWithAClearMessage) {
  ExpectBindFailure("tcp", SOCK_STREAM);
}

TEST(StartFailure, UdpPortAlreadyInUseExitsOneWithAClearMessage) {
  ExpectBindFailure("udp", SOCK_DGRAM);
}

TEST(StartFailure, UnknownUserExitsOne) {
  Superd superd;
  superd.WriteTable(Subst(
      "services:\n"
      "  echo:\n"
      "    listen: \"127.0.0.1:${PORT}\"\n"
      "    program: ${ECHO}\n"
      "    user: no-such-user-e2e\n",
      {{"PORT", std::to_string(PickPort())}, {"ECHO", ServiceBinary("echo")}}));
  ASSERT_TRUE(superd.Start(NoWaitReady()));
  const auto status = superd.WaitExit();
  ASSERT_TRUE(status) << "superd started with an unknown user";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << DescribeStatus(*status);
  EXPECT_EQ(superd.CountLog(Escape(superd.table_path()) + ":5:11: error: .*no-such-user-e2e"), 1u);
}

TEST(StartFailure, UserSuperdMayNotSwitchToExitsOne) {
  Superd superd;
  const std::string echo = ServiceBinary("echo");
  const uint16_t fine = PickPort(), port = PickPort(), off = PickPort();
  superd.WriteTable("services:\n" +
                    ServiceEntry("fine", "127.0.0.1:" + std::to_string(fine), echo) +
                    ServiceEntry("echo", "127.0.0.1:" + std::to_string(port), echo,
                                 "    user: nobody\n") +
                    ServiceEntry("off", "127.0.0.1:" + std::to_string(off), echo,
                                 "    group: 65534\n"
                                 "    disabled: true\n"));
  ASSERT_TRUE(superd.Start(Unprivileged(NoWaitReady())));
  const auto status = superd.WaitExit();
  ASSERT_TRUE(status) << "superd started with a user it may not switch to";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << DescribeStatus(*status);
  EXPECT_EQ(superd.CountLog("^error: echo: cannot run as user nobody: superd needs root, or "
                            "CAP_SETUID and CAP_SETGID, to switch users$"),
            1u)
      << superd.Log();
  EXPECT_EQ(superd.CountLog("^error: "), 1u) << "a disabled service is not checked\n"
                                              << superd.Log();
  EXPECT_EQ(superd.CountLog("^info: superd: ready"), 0u);
}

// --- --check ------------------------------------------------------------------

class Check : public ::testing::Test {
 protected:
  RunResult RunCheck(const std::string& table) {
    superd_.WriteTable(table);
    return RunCommand({SuperdBinary(), "-c", superd_.table_path(), "--check"}, superd_.dir());
  }
  // The diagnostics, from whichever stream --check used.
  static std::string Output(const RunResult& r) { return r.out + r.err; }
  // Lines of `output` that are diagnostics for table:line:column.
  size_t Count(const std::string& output, int line, int column, const std::string& also = "") {
    const std::regex re("^" + Escape(superd_.table_path()) + ":" + std::to_string(line) + ":" +
                        std::to_string(column) + ": error: .*" + Escape(also));
    size_t n = 0;
    std::istringstream in(output);
    for (std::string l; std::getline(in, l);)
      if (std::regex_search(l, re)) ++n;
    return n;
  }

  Superd superd_;  // for its directory; never started
};

TEST_F(Check, ValidTableExitsZero) {
  const RunResult r = RunCheck(
      "services:\n" + ServiceEntry("echo", "127.0.0.1:" + std::to_string(PickPort()),
                                    ServiceBinary("echo")));
  EXPECT_TRUE(r.exited);
  EXPECT_EQ(r.exit_code, 0) << Output(r);
  EXPECT_EQ(Output(r).find("error"), std::string::npos) << Output(r);
}

TEST_F(Check, MissingProgramIsReportedAtItsPosition) {
  const RunResult r = RunCheck(Subst(
      "services:\n"
      "  echo:\n"
      "    listen: \"127.0.0.1:${PORT}\"\n"
      "    program: /nonexistent/program\n",
      {{"PORT", std::to_string(PickPort())}}));
  EXPECT_EQ(r.exit_code, 1) << Output(r);
  EXPECT_EQ(Count(Output(r), 4, 14, "/nonexistent/program"), 1u) << Output(r);
}

TEST_F(Check, NonExecutableProgramIsReportedAtItsPosition) {
  const std::string path = superd_.WriteFile("not-executable", "#!/bin/sh\n", 0644);
  const RunResult r = RunCheck(Subst(
      "services:\n"
      "  echo:\n"
      "    listen: \"127.0.0.1:${PORT}\"\n"
      "    program: ${PROGRAM}\n",
      {{"PORT", std::to_string(PickPort())}, {"PROGRAM", path}}));
  EXPECT_EQ(r.exit_code, 1) << Output(r);
  EXPECT_EQ(Count(Output(r), 4, 14, path), 1u) << Output(r);
}

TEST_F(Check, EveryProblemIsReportedInOneRun) {
  const RunResult r = RunCheck(Subst(
      "services:\n"                                   // 1
      "  a:\n"                                        // 2
      "    listen: \"127.0.0.1:${PORT}\"\n"           // 3
      "    program: relative/program\n"               // 4: not absolute, col 14
      "    colour: blue\n"                            // 5: unknown key, col 5
      "  b:\n"                                        // 6
      "    listen: \"127.0.0.1:99999\"\n"             // 7: port out of range, col 13
      "    program: ${ECHO}\n"                        // 8
      "    nice: 40\n"                                // 9: out of range, col 11
      "  c:\n"                                        // 10
      "    program: ${ECHO}\n",                       // 11: no listen (the service, col 5)
      {{"PORT", std::to_string(PickPort())}, {"ECHO", ServiceBinary("echo")}}));
  const std::string out = Output(r);
  EXPECT_EQ(r.exit_code, 1) << out;
  EXPECT_EQ(Count(out, 4, 14), 1u) << "relative program\n" << out;
  EXPECT_EQ(Count(out, 5, 5, "colour"), 1u) << "unknown key\n" << out;
  EXPECT_EQ(Count(out, 7, 13), 1u) << "port 99999\n" << out;
  EXPECT_EQ(Count(out, 9, 11), 1u) << "nice 40\n" << out;
  // The missing key belongs to service c: its name (10:3) or its map (11:5).
  EXPECT_EQ(Count(out, 10, 3, "listen") + Count(out, 11, 5, "listen"), 1u) << "missing listen\n"
                                                                           << out;
  // Nothing else is reported as an error (context lines or carets may follow).
  size_t errors = 0;
  for (size_t at = out.find(": error: "); at != std::string::npos; at = out.find(": error: ", at + 1))
    ++errors;
  EXPECT_EQ(errors, 5u) << out;
}

TEST_F(Check, YamlSyntaxErrorIsReportedWithItsPosition) {
  const RunResult r = RunCheck("services:\n  echo: [\n");
  EXPECT_EQ(r.exit_code, 1) << Output(r);
  EXPECT_NE(Output(r).find(superd_.table_path() + ":"), std::string::npos) << Output(r);
  EXPECT_TRUE(std::regex_search(Output(r), std::regex(Escape(superd_.table_path()) +
                                                      ":[0-9]+:[0-9]+: error: ")))
      << Output(r);
}

TEST_F(Check, MissingTableExitsOne) {
  const RunResult r =
      RunCommand({SuperdBinary(), "-c", superd_.dir() + "/no-such.yaml", "--check"}, superd_.dir());
  EXPECT_EQ(r.exit_code, 1) << Output(r);
  EXPECT_NE(Output(r).find("no-such.yaml"), std::string::npos) << Output(r);
}

TEST_F(Check, BrokenTableAlsoStopsAStartWithExitOne) {
  superd_.WriteTable(Subst(
      "services:\n"
      "  echo:\n"
      "    listen: \"127.0.0.1:${PORT}\"\n"
      "    program: /nonexistent/program\n",
      {{"PORT", std::to_string(PickPort())}}));
  ASSERT_TRUE(superd_.Start(NoWaitReady()));
  const auto status = superd_.WaitExit();
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << DescribeStatus(*status);
  EXPECT_EQ(Count(superd_.Log(), 4, 14, "/nonexistent/program"), 1u);
  EXPECT_EQ(superd_.CountLog("^info: superd: ready"), 0u);
}

TEST(Usage, UnknownOptionExitsTwo) {
  Superd scratch;
  const RunResult r = RunCommand({SuperdBinary(), "--no-such-option"}, scratch.dir());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
}

TEST(Usage, BadLogLevelExitsTwo) {
  Superd scratch;
  const RunResult r = RunCommand({SuperdBinary(), "-l", "loud", "--check"}, scratch.dir());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
}

}  // namespace
}  // namespace e2e
