// Logging (SPEC "Logging"): one info line per connection (client address and
// port, pid) and per exit (status or signal, duration); a log reader that
// stops reading costs lines, never service.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>

#include "harness.hpp"

namespace e2e {
namespace {

// Service "sh" running /bin/sh -c SCRIPT; returns the client port of one
// connection to it, after reading to its end.
class Logging : public ::testing::Test {
 protected:
  uint16_t RunOnce(const std::string& script) {
    const uint16_t port = PickPort();
    superd_.WriteTable("services:\n" + ServiceEntry("sh", "127.0.0.1:" + std::to_string(port),
                                                     "/bin/sh",
                                                     "    args: [\"-c\", \"" + script + "\"]\n"));
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

// superd's stderr is a pipe (a shell's, daemontools') or a stream socket
// (the journal's), with a small buffer that the test reads only when it
// chooses to.
enum class Sink { kPipe, kSocket };

class StderrReader : public ::testing::Test {
 protected:
  void Start(Sink sink) {
    int fds[2];
    if (sink == Sink::kPipe) {
      ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
      ASSERT_GT(fcntl(fds[1], F_SETPIPE_SZ, 4096), 0);
    } else {
      ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
      const int small = 4096;
      ASSERT_EQ(setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
      ASSERT_EQ(setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    }
    reader_.Reset(fds[0]);
    Fd writer(fds[1]);
    echo_ = PickPort();
    contract_ = PickPort();
    superd_.WriteTable("services:\n" +
                       // No limit line may join the two lines per connection.
                       ServiceEntry("echo", "127.0.0.1:" + std::to_string(echo_),
                                    ServiceBinary("echo"), "    max_instances: 1000\n") +
                       ServiceEntry("contract", "127.0.0.1:" + std::to_string(contract_),
                                    HelperBinary("contract"), "    stderr: inherit\n"));
    StartOptions options = NoWaitReady();
    options.stderr_fd = writer.get();
    ASSERT_TRUE(superd_.Start(options));
    ASSERT_NE(ReadUntil(reader_.get(), "ready: ").data.find("info: superd: ready: "),
              std::string::npos);
  }

  // Far more lines than the buffer holds (two per connection), none read;
  // then the reader catches up, and one more connection is logged.
  void StopReadingThenCatchUp() {
    for (int i = 0; i < kConnections; ++i) {
      Fd c = ConnectTcp("127.0.0.1", echo_, 2s);
      ASSERT_TRUE(c) << "connection " << i;
      const std::string text = "line " + std::to_string(i) + "\n";
      ASSERT_EQ(Exchange(c.get(), text, 2s).data, text)
          << "connection " << i << " not served while superd's stderr is full";
    }
    log_ = ReadUntil(reader_.get(), "\n\n", 500ms).data;  // whatever is there
    Fd c = ConnectTcp("127.0.0.1", contract_);
    ASSERT_TRUE(c);
    report_ = ParseReport(ReadAll(c.get()).data);
    ASSERT_TRUE(superd_.Stop());
    const ReadResult rest = ReadAll(reader_.get());
    EXPECT_TRUE(rest.eof);
    log_ += rest.data;
  }

  // Every line superd wrote is in the log or counted as lost: the lines of
  // the echo connections seen plus those reported lost make two per
  // connection; logging went on afterwards.
  void ExpectEveryLineSeenOrCounted() {
    static const std::regex lost(
        "(^|\n)warning: superd: ([0-9]+) log lines lost: the log reader did not keep up\n");
    size_t counted = 0, notices = 0;
    for (std::sregex_iterator it(log_.begin(), log_.end(), lost), end; it != end; ++it, ++notices)
      counted += std::stoul((*it)[2].str());
    size_t seen = 0;
    for (size_t at = 0; (at = log_.find("info: echo: ", at)) != std::string::npos; ++at) ++seen;
    EXPECT_GE(notices, 1u) << log_;
    EXPECT_GT(counted, 0u);
    EXPECT_EQ(seen + counted, 2u * kConnections) << log_;
    EXPECT_NE(log_.find("info: contract: connection from"), std::string::npos) << log_;
    // superd's own writes do not block, yet the stderr a program inherits
    // is still the blocking one it expects.
    EXPECT_EQ(report_.count("fl.2") ? report_.at("fl.2") : "", "blocking");
  }

  static constexpr int kConnections = 200;
  Superd superd_;
  Fd reader_;
  uint16_t echo_ = 0, contract_ = 0;
  std::string log_;
  Report report_;
};

TEST_F(StderrReader, PipeThatStopsReadingCostsCountedLinesNeverService) {
  Start(Sink::kPipe);
  StopReadingThenCatchUp();
  ExpectEveryLineSeenOrCounted();
}

TEST_F(StderrReader, SocketThatStopsReadingCostsCountedLinesNeverService) {
  Start(Sink::kSocket);
  StopReadingThenCatchUp();
  ExpectEveryLineSeenOrCounted();
}

}  // namespace
}  // namespace e2e
