// Spawner: starts one instance of a SpawnPlan with `socket` as its fds 0 and
// 1, without copying superd's page tables.
//
// The child is created with clone(CLONE_VM) on a small stack of its own (a
// Slot) and, unlike vfork, the parent does not wait for it to exec: it goes
// back to accepting while the kernel loads the program. The child and the
// parent share memory until exec, so the child uses raw system calls only
// (it must not even write errno, which is the parent's), allocates nothing,
// and reads only what the parent has set aside for it in its Slot. The
// kernel clears Slot::tid when the child execs or exits
// (CLONE_CHILD_CLEARTID): only then is the slot reused. A child that cannot
// exec records the failed step and errno in its slot and exits with 127;
// the supervisor collects that with TakeFailure() when it reaps the pid.
//
// Where raw system calls are not implemented (raw_syscall.hpp), or when
// asked, the parent waits as with vfork (CLONE_VFORK).
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <vector>

#include "fd.hpp"
#include "spawn_plan.hpp"

namespace superd {

struct SpawnFailure {
  const char* step;  // "exec", "set user", ...
  int error;         // errno
};

class Spawner {
 public:
  // `dev_null` is used for `stderr: null`; the spawner keeps it open.
  // `concurrent`: let the parent run on while the child execs.
  Spawner(UniqueFd dev_null, bool concurrent);
  ~Spawner();

  // Returns the child's pid, or -errno when no process could be created.
  pid_t Spawn(const SpawnPlan& plan, int socket);

  // Why `pid`, which exited with status 127, did not exec; nullopt when it
  // did (the program itself exited 127).
  std::optional<SpawnFailure> TakeFailure(pid_t pid);

  struct Slot;

 private:
  Slot* FreeSlot();

  UniqueFd dev_null_;
  bool concurrent_;
  std::vector<Slot*> slots_;  // mmap()ed; grows with spawns in flight
  size_t next_ = 0;
};

}  // namespace superd
