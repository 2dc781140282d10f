#include "spawner.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "raw_syscall.hpp"

namespace superd {
namespace {

constexpr size_t kStackSize = 32 * 1024;
constexpr size_t kMaxEnv = 1024;  // variables: `env` (at most 1000) and ours
constexpr size_t kEnvBytes = 8 * 1024;  // per-connection variables' text

// The steps of the child, in order; a failure records its index.
enum Step { kNone, kSession, kStdio, kStderr, kNice, kGroups, kGroup, kUser,
            kDirectory, kExec };
const char* const kStepNames[] = {
    "",           "create a session",  "set up stdin/stdout", "set up stderr",
    "set nice",   "set supplementary groups", "set group",   "set user",
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
  volatile int error = 0;
  pid_t pid = 0;
  const SpawnPlan* plan = nullptr;
  int socket = -1, dev_null = -1;
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
    Call(slot, SYS_exit_group, 127);
  };
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

Spawner::Spawner(UniqueFd dev_null, bool concurrent)
    : dev_null_(std::move(dev_null)), concurrent_(concurrent && raw::kAvailable) {}

Spawner::~Spawner() {
  for (Slot* slot : slots_) munmap(slot, sizeof(Slot));
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
  void* memory = mmap(nullptr, sizeof(Slot), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (memory == MAP_FAILED) return nullptr;
  Slot* slot = new (memory) Slot;
  slots_.push_back(slot);
  return slot;
}

pid_t Spawner::Spawn(const SpawnPlan& plan, int socket) {
  Slot* slot = FreeSlot();
  if (slot == nullptr) return -ENOMEM;
  if (!CopyEnvironment(plan, *slot)) return -E2BIG;
  slot->plan = &plan;
  slot->socket = socket;
  slot->dev_null = dev_null_.get();
  slot->raw = concurrent_;
  slot->failed_step = kNone;
  slot->tid = -1;
  int flags = CLONE_VM | CLONE_CHILD_CLEARTID | SIGCHLD |
              (concurrent_ ? 0 : CLONE_VFORK);
  pid_t pid = clone(ChildMain, slot->stack + kStackSize, flags, slot, nullptr,
                    nullptr, &slot->tid);
  if (pid < 0) {
    slot->tid = 0;
    return -errno;
  }
  slot->pid = pid;
  return pid;
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
