#include "spawner.hpp"

#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace superd {
namespace {

// Written by the child, read by the parent once vfork returns.
struct Failure {
  const char* step;
  int error;
};

// The child: system calls only. Never returns.
[[noreturn]] __attribute__((noinline)) void RunChild(const SpawnPlan& plan,
                                                     int socket, int dev_null,
                                                     volatile Failure* failure) {
  auto fail = [failure](const char* step) {
    failure->error = errno;
    failure->step = step;
    _exit(127);
  };
  // Default dispositions and an empty mask: superd installs no handlers
  // (exec resets those anyway), ignores only SIGPIPE (SignalSet) and blocks
  // the signals it reads from its signalfd.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, nullptr);
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);

  if (setsid() < 0) fail("create a session");
  if (dup2(socket, 0) < 0 || dup2(socket, 1) < 0) fail("set up stdin/stdout");
  if (plan.stderr_mode() == StderrMode::kSocket && dup2(socket, 2) < 0)
    fail("set up stderr");
  if (plan.stderr_mode() == StderrMode::kNull && dup2(dev_null, 2) < 0)
    fail("set up stderr");
  if (plan.nice() != 0 && setpriority(PRIO_PROCESS, 0, plan.nice()) != 0)
    fail("set nice");
  if (const Credentials* c = plan.credentials()) {
    if (setgroups(c->groups.size(), c->groups.data()) != 0)
      fail("set supplementary groups");
    if (setresgid(c->gid, c->gid, c->gid) != 0) fail("set group");
    if (setresuid(c->uid, c->uid, c->uid) != 0) fail("set user");
  }
  ::umask(plan.umask());
  if (chdir(plan.working_directory()) != 0) fail("change directory");
  execve(plan.program(), plan.argv(), plan.envp());
  fail("exec");
  _exit(127);  // not reached
}

}  // namespace

SpawnResult Spawner::Spawn(const SpawnPlan& plan, int socket) {
  volatile Failure failure{nullptr, 0};
  pid_t pid = vfork();
  if (pid == 0) RunChild(plan, socket, dev_null_.get(), &failure);
  SpawnResult result;
  result.pid = pid;
  if (pid < 0) {
    result.failed_step = "fork";
    result.error = errno;
  } else if (failure.step != nullptr) {
    result.failed_step = failure.step;
    result.error = failure.error;
  }
  return result;
}

}  // namespace superd
