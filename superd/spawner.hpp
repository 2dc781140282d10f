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
// Nor is superd's descriptor table copied (with 10,000 listeners, copying
// it was most of the cost of a spawn): the child starts sharing it
// (CLONE_FILES) and at once makes a private one holding only fds 0-2 and
// the low "handoff" descriptor through which the parent passes the socket
// (close_range(CLOSE_RANGE_UNSHARE)). Each child in flight has a handoff
// descriptor of its own; Flush() waits for them to take that step (a few
// microseconds, usually already done) and lets go of the handoffs, or a
// client's connection would stay open after its program closed it. The
// supervisor flushes after each batch of accepts. Small tables are copied
// as usual: that costs less than the wait.
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
  // Lets go of every socket passed since the last Flush (see above).
  void Flush();
  // Keeps a plan a reload replaced until no child still reading it remains.
  void Retire(std::unique_ptr<SpawnPlan> plan);
  // How many spawns may share the descriptor table between flushes.
  static constexpr size_t kHandoffs = 32;

  // Why `pid`, reaped, did not exec; nullopt when it did (a program that
  // itself exits 127 is no failure). Call for every child reaped: a child
  // killed after it recorded its failure, before it could exit, would
  // otherwise keep its slot forever.
  std::optional<SpawnFailure> TakeFailure(pid_t pid);
  // Makes superd dumpable again once no child that changed its user still
  // shares superd's memory (see Spawn). Called at each Flush; call it when
  // children are reaped too.
  void RestoreDumpable();

  struct Slot;

 private:
  Slot* FreeSlot();
  void AwaitUnshared(Slot* slot);

  UniqueFd dev_null_;
  std::vector<UniqueFd> handoffs_;  // low fds: sockets of children in flight
  std::vector<Slot*> pending_;      // their children, until Flush
  std::vector<std::unique_ptr<SpawnPlan>> retired_;
  int keep_below_ = 0;      // the child's private table keeps fds below this
  bool concurrent_;
  bool dumpable_;              // superd was dumpable when it started
  bool dumpable_lost_ = false;  // a child changed its user since
  std::vector<Slot*> slots_;  // mmap()ed; grows with spawns in flight
  size_t next_ = 0;
};

}  // namespace superd
