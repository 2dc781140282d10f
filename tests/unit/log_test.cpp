#include "log.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace superd {
namespace {

// Descriptor 2 is a pipe of the test's own for the length of a test, with
// Log following it; what Log wrote is read back from the other end.
class LogToPipe : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = dup(STDERR_FILENO);
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    ASSERT_GT(fcntl(fds[1], F_SETPIPE_SZ, 4096), 0);
    ASSERT_EQ(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
    close(fds[1]);
    reader_ = fds[0];
    fcntl(reader_, F_SETFL, O_NONBLOCK);
    Log::FollowStderr();
  }
  void TearDown() override {
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    close(reader_);
    Log::FollowStderr();
  }
  std::string Written() {
    std::string all;
    char buf[8192];
    for (ssize_t n; (n = read(reader_, buf, sizeof buf)) > 0;) all.append(buf, n);
    return all;
  }

  int saved_ = -1, reader_ = -1;
};

TEST_F(LogToPipe, OneLineWithLevelAndSource) {
  LOG_WARNING("echo", "unable to exec %s: %s", "/bin/x", "No such file or directory");
  EXPECT_EQ(Written(), "warning: echo: unable to exec /bin/x: No such file or directory\n");
}

TEST_F(LogToPipe, BelowTheLevelNothingIsWritten) {
  LOG_DEBUG("echo", "listening on %s", "127.0.0.1:7");
  EXPECT_EQ(Written(), "");
}

TEST_F(LogToPipe, ALongMessageIsCutToOneWholeLine) {
  LOG_INFO("echo", "%s", std::string(5000, 'x').c_str());
  const std::string line = Written();
  EXPECT_LE(line.size(), 1024u);
  EXPECT_EQ(line.rfind("info: echo: xxx", 0), 0u);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST_F(LogToPipe, AFullPipeCostsLinesThatAreCountedNotAStall) {
  // Descriptor 2 itself stays blocking (programs inherit it)...
  EXPECT_EQ(fcntl(STDERR_FILENO, F_GETFL) & O_NONBLOCK, 0);
  // ...yet far more than 4096 bytes of lines return at once.
  const std::string pad(60, '.');
  for (int i = 0; i < 200; ++i) LOG_INFO("echo", "line %d %s", i, pad.c_str());
  std::string seen = Written();
  size_t kept = 0;
  for (size_t at = 0; (at = seen.find("info: echo: line ", at)) != std::string::npos; ++at) ++kept;
  ASSERT_LT(kept, 200u);
  LOG_INFO("echo", "after");
  EXPECT_EQ(Written(), "warning: superd: " + std::to_string(200 - kept) +
                           " log lines lost: the log reader did not keep up\n"
                           "info: echo: after\n");
}

TEST_F(LogToPipe, ErrnoIsLeftAsItWas) {
  errno = EADDRINUSE;
  LOG_ERROR("echo", "unable to bind");
  EXPECT_EQ(errno, EADDRINUSE);
}

}  // namespace
}  // namespace superd
