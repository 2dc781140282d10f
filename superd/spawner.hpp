// Spawner: starts one instance of a SpawnPlan with `socket` as its fds 0 and
// 1. Uses vfork(): the parent's page tables are not copied, and the child's
// exec failure (which step, which errno) is reported back through memory the
// two share until exec. Between vfork and exec the child makes only
// async-signal-safe system calls and allocates nothing.
#pragma once

#include <sys/types.h>

#include "fd.hpp"
#include "spawn_plan.hpp"

namespace superd {

struct SpawnResult {
  pid_t pid = -1;        // -1 if no process was created
  const char* failed_step = nullptr;  // set when the child could not exec
  int error = 0;         // errno of the failed step (or of vfork)
};

class Spawner {
 public:
  // `dev_null` is used for `stderr: null`; the spawner keeps it open.
  explicit Spawner(UniqueFd dev_null) : dev_null_(std::move(dev_null)) {}

  // Returns the child's pid. When the child could not exec, failed_step
  // names what failed ("exec", "set user", ...) and pid is the child that
  // has exited or is exiting with status 127, still to be reaped.
  SpawnResult Spawn(const SpawnPlan& plan, int socket);

 private:
  UniqueFd dev_null_;
};

}  // namespace superd
