// The Spawner's failure slots: a child that could not exec records why in
// its slot; the slot is given back by TakeFailure whatever the wait status
// of the child (one killed after it recorded its failure, before it could
// exit, must not keep its slot: issue 10, fault 11), exactly once.
#include "spawner.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>

#include "table.hpp"

namespace superd {
namespace {

class SpawnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair_), 0);
  }
  void TearDown() override {
    close(pair_[0]);
    close(pair_[1]);
  }
  // A plan whose program cannot be executed.
  static Service Missing() {
    Service s;
    s.name = "missing";
    s.program = "/nonexistent/superd-test-program";
    return s;
  }
  int pair_[2] = {-1, -1};
};

TEST_F(SpawnerTest, AFailedExecIsTakenOnceWhateverTheWaitStatus) {
  Spawner spawner(UniqueFd(open("/dev/null", O_RDWR | O_CLOEXEC)), true);
  const Service service = Missing();
  SpawnPlan plan(service);
  Connection c;
  c.socktype = SOCK_STREAM;
  plan.SetConnection(c);
  for (int round = 0; round < 3; ++round) {  // the slot serves again
    const pid_t pid = spawner.Spawn(plan, pair_[1]);
    ASSERT_GT(pid, 0);
    spawner.Flush();
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, __WALL), pid);
    // However it ended (127 here; SIGKILL for a child killed between its
    // record and its exit), the supervisor asks with the pid alone.
    const auto failure = spawner.TakeFailure(pid);
    ASSERT_TRUE(failure);
    EXPECT_STREQ(failure->step, "exec");
    EXPECT_EQ(failure->error, ENOENT);
    EXPECT_FALSE(spawner.TakeFailure(pid)) << "taken once: the slot is free again";
  }
}

TEST_F(SpawnerTest, AProgramThatRanHasNoFailureToTake) {
  Spawner spawner(UniqueFd(open("/dev/null", O_RDWR | O_CLOEXEC)), true);
  Service service;
  service.name = "true";
  service.program = "/bin/true";
  SpawnPlan plan(service);
  Connection c;
  c.socktype = SOCK_STREAM;
  plan.SetConnection(c);
  const pid_t pid = spawner.Spawn(plan, pair_[1]);
  ASSERT_GT(pid, 0);
  spawner.Flush();
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, __WALL), pid);
  EXPECT_FALSE(spawner.TakeFailure(pid));
}

}  // namespace
}  // namespace superd
