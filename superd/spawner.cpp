#include "spawner.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "raw_syscall.hpp"

namespace superd {
namespace {

constexpr size_t kStackSize = 32 * 1024;
// Descriptor tables reaching this far are shared with the child, not copied.
constexpr int kShareAbove = 256;
constexpr size_t kMaxEnv = 1024;  // variables: `env` (at most 1000) and ours
constexpr size_t kEnvBytes = 8 * 1024;  // per-connection variables' text

// The steps of the child, in order; a failure records its index.
enum Step { kNone, kFiles, kSession, kStdio, kStderr, kNice, kRlimit, kGroups,
            kGroup, kUser, kDirectory, kExec };
const char* const kStepNames[] = {
    "",           "unshare descriptors", "create a session",
    "set up stdin/stdout", "set up stderr",
    "set nice",   "set rlimits", "set supplementary groups", "set group",   "set user",
    "change directory", "exec"};

// The kernel's struct sigaction (not glibc's), for rt_sigaction.
struct KernelSigaction {
  unsigned long handler, flags, restorer, mask;
};

}  // namespace

// Everything one child reads, set aside by the parent, page-aligned.
struct Spawner::Slot {
  alignas(64) char stack[kStackSize];
  volatile pid_t tid = 0;  // nonzero from clone until exec or exit
  volatile int failed_step = kNone;
  volatile int unshared = 0;  // the child has its own descriptor table
  volatile int error = 0;
  pid_t pid = 0;
  const SpawnPlan* plan = nullptr;
  int socket = -1, dev_null = -1;  // in the child's table
  int keep_below = 0;
  bool raw = false;  // use raw system calls (the parent does not wait)
  char* envp[kMaxEnv + 1];
  char env_text[kEnvBytes];
};

namespace {

long Call(const Spawner::Slot& slot, long n, long a = 0, long b = 0, long c = 0,
          long d = 0) {
  if (slot.raw) return raw::Syscall(n, a, b, c, d);
  long r = syscall(n, a, b, c, d);  // the parent waits: errno is safe here
  return r < 0 ? -errno : r;
}

// The child. System calls only; returns only by exiting.
int ChildMain(void* arg) {
  Spawner::Slot& slot = *static_cast<Spawner::Slot*>(arg);
  const SpawnPlan& plan = *slot.plan;
  auto step = [&slot](Step s, long result) {
    if (result >= 0) return;
    slot.error = static_cast<int>(-result);
    slot.failed_step = s;
    slot.unshared = 1;
    Call(slot, SYS_futex, reinterpret_cast<long>(&slot.unshared), FUTEX_WAKE, 1);
    Call(slot, SYS_exit_group, 127);
  };
  if (slot.keep_below > 0) {
    // Made with CLONE_FILES: first of all, a descriptor table of our own
    // with only fds 0 to keep_below - 1 (before Linux 5.9, all of them).
    long unshared = Call(slot, SYS_close_range, slot.keep_below, ~0U,
                         CLOSE_RANGE_UNSHARE);
    if (unshared < 0) step(kFiles, Call(slot, SYS_unshare, CLONE_FILES));
    slot.unshared = 1;
    Call(slot, SYS_futex, reinterpret_cast<long>(&slot.unshared), FUTEX_WAKE, 1);
  }

  // Default dispositions and an empty mask: superd installs no handlers,
  // ignores only SIGPIPE (SignalSet) and blocks what its signalfd reads.
  KernelSigaction dfl{};
  Call(slot, SYS_rt_sigaction, SIGPIPE, reinterpret_cast<long>(&dfl), 0, 8);
  unsigned long empty = 0;
  Call(slot, SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&empty), 0, 8);

  step(kSession, Call(slot, SYS_setsid));
  step(kStdio, Call(slot, SYS_dup3, slot.socket, 0, 0));
  step(kStdio, Call(slot, SYS_dup3, slot.socket, 1, 0));
  if (plan.stderr_mode() == StderrMode::kSocket)
    step(kStderr, Call(slot, SYS_dup3, slot.socket, 2, 0));
  if (plan.stderr_mode() == StderrMode::kNull)
    step(kStderr, Call(slot, SYS_dup3, slot.dev_null, 2, 0));
  if (plan.nice() != 0)
    step(kNice, Call(slot, SYS_setpriority, PRIO_PROCESS, 0, plan.nice()));
  // Before giving up root: raising a hard limit needs it.
  for (const SpawnPlan::Limit& limit : plan.rlimits())
    step(kRlimit, Call(slot, SYS_prlimit64, 0, limit.resource,
                       reinterpret_cast<long>(limit.value), 0));
  if (const Credentials* c = plan.credentials()) {
    step(kGroups, Call(slot, SYS_setgroups, static_cast<long>(c->groups.size()),
                       reinterpret_cast<long>(c->groups.data())));
    step(kGroup, Call(slot, SYS_setresgid, c->gid, c->gid, c->gid));
    step(kUser, Call(slot, SYS_setresuid, c->uid, c->uid, c->uid));
  }
  Call(slot, SYS_umask, plan.umask());
  step(kDirectory, Call(slot, SYS_chdir,
                        reinterpret_cast<long>(plan.working_directory())));
  step(kExec, Call(slot, SYS_execve, reinterpret_cast<long>(plan.program()),
                   reinterpret_cast<long>(plan.argv()),
                   reinterpret_cast<long>(slot.envp)));
  return 127;  // not reached
}

// Copies the plan's environment into the slot: the constant part by
// pointer, the per-connection variables by value (the parent rewrites the
// plan's for the next connection while this child may still be reading).
bool CopyEnvironment(const SpawnPlan& plan, Spawner::Slot& slot) {
  char* const* envp = plan.envp();
  size_t i = 0, used = 0;
  for (; envp[i] != nullptr; ++i) {
    if (i >= kMaxEnv) return false;
    if (i < plan.constant_env_count()) {
      slot.envp[i] = envp[i];
      continue;
    }
    size_t len = std::strlen(envp[i]) + 1;
    if (used + len > kEnvBytes) return false;
    slot.envp[i] = static_cast<char*>(
        std::memcpy(slot.env_text + used, envp[i], len));
    used += len;
  }
  slot.envp[i] = nullptr;
  return true;
}

}  // namespace

// Made before the listeners, so that the handoffs are low descriptors.
Spawner::Spawner(UniqueFd dev_null, bool concurrent)
    : dev_null_(std::move(dev_null)),
      concurrent_(concurrent && raw::kAvailable),
      dumpable_(prctl(PR_GET_DUMPABLE) == 1) {
  keep_below_ = dev_null_.get() + 1;
  for (size_t i = 0; i < kHandoffs; ++i) {
    handoffs_.emplace_back(fcntl(dev_null_.get(), F_DUPFD_CLOEXEC, 3));
    keep_below_ = std::max(keep_below_, handoffs_.back().get() + 1);
  }
}

void Spawner::Retire(std::unique_ptr<SpawnPlan> plan) {
  retired_.push_back(std::move(plan));
  std::erase_if(retired_, [this](const std::unique_ptr<SpawnPlan>& p) {
    for (const Slot* slot : slots_)
      if (slot->plan == p.get() && __atomic_load_n(&slot->tid, __ATOMIC_ACQUIRE) != 0)
        return false;
    return true;
  });
}

void Spawner::Flush() {
  for (size_t i = 0; i < pending_.size(); ++i) {
    AwaitUnshared(pending_[i]);
    dup3(dev_null_.get(), handoffs_[i].get(), O_CLOEXEC);
  }
  pending_.clear();
  RestoreDumpable();
}

// A child made with CLONE_FILES shares our descriptor table until its
// first step: the handoff descriptor must not change under it before then.
void Spawner::AwaitUnshared(Slot* slot) {
  auto done = [slot] {
    return __atomic_load_n(&slot->unshared, __ATOMIC_ACQUIRE) != 0 ||
           __atomic_load_n(&slot->tid, __ATOMIC_ACQUIRE) == 0;
  };
  // Measured: spinning first (up to ~50 us) before sleeping was slower at
  // every concurrency; the child often needs this very CPU.
  const timespec ms{0, 1'000'000};
  while (!done()) syscall(SYS_futex, &slot->unshared, FUTEX_WAIT, 0, &ms);
}

namespace {
// Each slot is mapped with an inaccessible page below it, where its stack
// would overflow into: a child that overflows dies of SIGSEGV instead of
// corrupting the neighbouring slot.
size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}
}  // namespace

Spawner::~Spawner() {
  for (Slot* slot : slots_)
    munmap(reinterpret_cast<char*>(slot) - PageSize(), PageSize() + sizeof(Slot));
}

// A slot no child is using: its tid was cleared by the kernel and any
// failure it recorded was collected.
Spawner::Slot* Spawner::FreeSlot() {
  for (size_t n = 0; n < slots_.size(); ++n) {
    Slot* slot = slots_[(next_ + n) % slots_.size()];
    if (__atomic_load_n(&slot->tid, __ATOMIC_ACQUIRE) == 0 &&
        slot->failed_step == kNone) {
      next_ = (next_ + n + 1) % slots_.size();
      return slot;
    }
  }
  char* memory = static_cast<char*>(mmap(nullptr, PageSize() + sizeof(Slot),
                                          PROT_READ | PROT_WRITE,
                                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0));
  if (memory == MAP_FAILED) return nullptr;
  if (mprotect(memory, PageSize(), PROT_NONE) != 0) {
    munmap(memory, PageSize() + sizeof(Slot));
    return nullptr;
  }
  Slot* slot = new (memory + PageSize()) Slot;
  slots_.push_back(slot);
  return slot;
}

pid_t Spawner::Spawn(const SpawnPlan& plan, int socket) {
  Slot* slot = FreeSlot();
  if (slot == nullptr) return -ENOMEM;
  if (!CopyEnvironment(plan, *slot)) return -E2BIG;
  // A large table (thousands of listeners) is not copied: the child shares
  // it and keeps only the low descriptors. A small one costs less to copy
  // than to wait for the child to unshare it.
  const bool share = socket >= kShareAbove && keep_below_ < kShareAbove;
  if (share && pending_.size() == kHandoffs) Flush();
  const int handoff = share ? handoffs_[pending_.size()].get() : -1;
  if (share && dup3(socket, handoff, O_CLOEXEC) < 0) return -errno;
  slot->plan = &plan;
  slot->socket = share ? handoff : socket;
  slot->dev_null = dev_null_.get();
  slot->keep_below = share ? keep_below_ : 0;
  slot->raw = concurrent_;
  slot->failed_step = kNone;
  slot->unshared = 0;
  slot->tid = -1;
  int flags = CLONE_VM | CLONE_CHILD_CLEARTID | SIGCHLD |
              (share ? CLONE_FILES : 0) | (concurrent_ ? 0 : CLONE_VFORK);
  pid_t pid = clone(ChildMain, slot->stack + kStackSize, flags, slot, nullptr,
                    nullptr, &slot->tid);
  if (pid < 0) {
    const int error = errno;
    slot->tid = 0;
    if (share) dup3(dev_null_.get(), handoff, O_CLOEXEC);
    return -error;
  }
  slot->pid = pid;
  if (share) pending_.push_back(slot);
  // The child's change of user makes the memory it shares with superd
  // non-dumpable (the kernel's guard against ptrace by that user);
  // superd's own dumpability is given back once no child shares it.
  dumpable_lost_ = dumpable_lost_ || plan.credentials() != nullptr;
  return pid;
}

void Spawner::RestoreDumpable() {
  if (!dumpable_lost_ || !dumpable_) return;
  for (const Slot* slot : slots_)
    if (__atomic_load_n(&slot->tid, __ATOMIC_ACQUIRE) != 0) return;  // not yet exec'd
  prctl(PR_SET_DUMPABLE, 1);
  dumpable_lost_ = false;
}

std::optional<SpawnFailure> Spawner::TakeFailure(pid_t pid) {
  for (Slot* slot : slots_) {
    if (slot->pid == pid && slot->failed_step != kNone) {
      SpawnFailure failure{kStepNames[slot->failed_step], slot->error};
      slot->failed_step = kNone;
      slot->pid = 0;
      return failure;
    }
  }
  return std::nullopt;
}

}  // namespace superd
